"""Node-style errors: every error carries a ``.code``.

``NodeError``, ``NodeTypeError`` and ``NodeRangeError`` (``tls._base.errors``)
are what every call raises.  Each error is also the Python exception its code
stands for (``ECONNREFUSED`` -> ``ConnectionRefusedError``, a certificate
failure -> ``ssl.SSLCertVerificationError``, ``ERR_SSL_*`` -> ``ssl.SSLError``,
the handshake timeout -> ``TimeoutError``: the table is in
``tls._base.error_kinds`` and docs/errors.md); ``str(err)`` is
``[code] message``, ``error_message(err)`` Node's message of any exception, and
on an ``OSError`` ``.errno`` is Python's number, Node's being ``.nodeErrno``.
The helpers that read OpenSSL's error queue (``openssl_error``, ``error_from_queue``, ``verify_error``,
``VERIFY_ERROR_CODES``: ``tls._binding.errors``) are loaded on first use, so
that ``import tls.errors`` (and ``tls.net``, ``tls.events``) does not load
OpenSSL.
"""
from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from ._base.errors import NodeError, NodeRangeError, NodeTypeError, errno_error, error_message

__all__ = [
    "NodeError", "NodeTypeError", "NodeRangeError", "errno_error", "error_message", "openssl_error",
    "error_from_queue", "verify_error", "VERIFY_ERROR_CODES",
]

from ._base.public_dir import module_dir as _module_dir

__dir__ = _module_dir(__name__)   # the API only (_base/public_dir.py)

if TYPE_CHECKING:
    from ._binding.errors import VERIFY_ERROR_CODES, error_from_queue, openssl_error, verify_error
else:
    def __getattr__(name: str) -> Any:
        if name in ("openssl_error", "error_from_queue", "verify_error", "VERIFY_ERROR_CODES"):
            return getattr(importlib.import_module("._binding.errors", __package__), name)
        raise AttributeError("module %r has no attribute %r" % (__name__, name))
