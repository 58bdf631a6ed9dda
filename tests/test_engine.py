"""The sans-IO engine in memory: two engines wired back to back, no sockets."""
from __future__ import annotations

import hashlib
import os

import pytest

from tls._engine.engine import READ_CLOSED, READ_EOF, READ_WANT, TLSEngine
from tls.errors import NodeError

from support.engine import engine_context


def test_handshake_negotiates_tls13(pair):
    assert pair.client.protocol() == "TLSv1.3"
    cipher = pair.client.cipher()
    assert cipher["name"] == cipher["standardName"] == "TLS_AES_256_GCM_SHA384"
    assert cipher["version"] == "TLSv1.3"
    assert pair.client.has_peer_certificate()
    # nobody trusts the test CA in this bare context: the verdict is kept, not enforced
    assert pair.client.verify_result() != 0


def test_large_transfer_is_intact_and_batched(pair):
    payload = os.urandom(3 * 1024 * 1024 + 17)
    sent = 0
    received = bytearray()
    while sent < len(payload):
        sent += pair.client.encrypt(memoryview(payload)[sent:])[0]
        pair.server.feed(pair.client.outgoing())
        while True:
            data, status = pair.server.read()
            received += data
            if status != 0:
                break
    assert status == READ_WANT
    assert hashlib.sha256(received).digest() == hashlib.sha256(payload).digest()


def test_close_notify_reads_as_closed(pair):
    pair.client.encrypt(b"last words")
    pair.client.shutdown()
    pair.server.feed(pair.client.outgoing())
    data, status = pair.server.read()
    assert data == b"last words"
    assert status == READ_CLOSED


def test_eof_without_close_notify_reads_as_eof(pair):
    pair.server.feed_eof()
    data, status = pair.server.read()
    assert (data, status) == (b"", READ_EOF)


def test_garbage_fails_the_handshake_with_a_code(server_cert):
    engine = TLSEngine(engine_context(server_cert.cert_chain_pems[0].bytes(),
                                server_cert.private_key_pem.bytes()), True)
    engine.feed(b"\x00garbage that is not TLS at all\r\n" * 4)
    with pytest.raises(NodeError) as info:
        engine.handshake()
    assert info.value.code == "ERR_SSL_WRONG_VERSION_NUMBER"


def test_http_request_is_recognised(server_cert):
    engine = TLSEngine(engine_context(server_cert.cert_chain_pems[0].bytes(),
                                server_cert.private_key_pem.bytes()), True)
    engine.feed(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
    with pytest.raises(NodeError) as info:
        engine.handshake()
    assert info.value.code == "ERR_SSL_HTTP_REQUEST"


def test_peer_vanishing_mid_handshake_is_a_reset(server_cert):
    engine = TLSEngine(engine_context(), False)
    assert engine.handshake() is False
    assert engine.outgoing()[:1] == b"\x16"  # a ClientHello record
    engine.feed_eof()
    with pytest.raises(NodeError) as info:
        engine.handshake()
    assert info.value.code == "ECONNRESET"


def test_free_is_idempotent_and_clears_the_owner(pair):
    pair.client.free()
    pair.client.free()
    assert pair.client.ssl is None
