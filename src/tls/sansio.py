"""TLS with no I/O of its own: ``tls.sansio.Connection``, memory in and memory out (docs/openssl.md).

The protocol layer's connection -- the engine and every per-connection feature of the package --
with the caller moving the bytes: ``receiveData()`` / ``dataToSend()`` for ciphertext,
``write()`` / ``'data'`` (or ``read()``) for plaintext, Node's events and TLSSocket's getters.
It needs no event loop.  The implementation is tls._faces.sansio.
"""
from __future__ import annotations

from ._faces.sansio import Connection

__all__ = ["Connection"]
