"""Fuzz target (a): bytes a client sends, read by a server engine.

Input: byte 0 picks the configuration (_common.CONFIGS), byte 1 the size of
the network reads, the rest is what arrives on the socket.  The server engine
runs the way TLSConnection.cycle runs it: handshake until done, then read, then
flush.  Seeds: the client's side of real handshakes (make_corpus.py).
"""
from __future__ import annotations

import _common


def test_one(data: bytes) -> None:
    config, chunks = _common.split_records(data)
    engine = _common.engine(config, server=True)
    try:
        _common.drive(engine, chunks)
    except Exception as exc:
        _common.guarded(exc)
    finally:
        engine.free()


if __name__ == "__main__":
    _common.main(test_one)
