"""Fuzz target (b): server flights read by a client engine.

The client engine sends its ClientHello (discarded), then reads the input as
the server's answer: byte 0 picks the configuration (_common.CONFIGS), byte 1
the size of the network reads.  Seeds: the server's side of real handshakes,
recorded with the same keys (make_corpus.py), so the ServerHello,
Certificate, key exchange and the TLS 1.2 RSA paths parse for real before
the random values of this handshake make the Finished check fail.
"""
from __future__ import annotations

import _common


def test_one(data: bytes) -> None:
    config, chunks = _common.split_records(data)
    engine = _common.engine(config, server=False)
    try:
        engine.handshake()
        engine.outgoing()
        _common.drive(engine, chunks)
    except Exception as exc:
        _common.guarded(exc)
    finally:
        engine.free()


if __name__ == "__main__":
    _common.main(test_one)
