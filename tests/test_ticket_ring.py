"""The ticket key ring (csrc/tickets.c, SecureContext/Server.setTicketKeyRing): the first key
encrypts, the older ones still decrypt and their tickets are renewed under the first, a key
dropped from the ring no longer opens its tickets.  Real clients over loopback: this package's
``tls.connect`` (whose ``getTLSTicket()`` shows the key name a ticket was made under) and
Python's ``ssl``."""
from __future__ import annotations

import os
from typing import Any

import pytest

import tls
from support.aio import async_test
from support.loopback import listen
from support.resume import ssl_client, tls_client

VERSIONS = ["TLSv1.2", "TLSv1.3"]


def key() -> bytes:
    return os.urandom(48)


def name(k: bytes) -> bytes:
    return k[:16]


def serve(server_options: dict, **extra: Any) -> Any:
    return tls.createServer({**server_options, **extra}, lambda s: s.end("hello"))


@pytest.mark.parametrize("version", VERSIONS)
@async_test()
async def test_rotation_keeps_old_tickets_and_renews_them(version, server_options, ca_pem):
    a, b, c = key(), key(), key()
    server = serve(server_options, ticketKeys=a)
    port = await listen(server)
    try:
        first = await tls_client(port, ca_pem, version)
        assert first["reused"] is False
        der_a, ticket_a = first["sessions"][-1]
        assert ticket_a[:16] == name(a)

        server.setTicketKeyRing([b, a])
        assert server.getTicketKeys() == b and server.getTicketKeyRing() == [b, a]
        second = await tls_client(port, ca_pem, version, der_a)
        assert second["reused"] is True and second["data"] == b"hello"
        # the callback answered 2 for the older key: a fresh ticket, under the current key
        der_b, ticket_b = second["last"]
        assert ticket_b != ticket_a and ticket_b[:16] == name(b)

        server.setTicketKeyRing([c, b])
        gone = await tls_client(port, ca_pem, version, der_a)
        assert gone["reused"] is False
        assert gone["last"][1][:16] == name(c)
        kept = await tls_client(port, ca_pem, version, der_b)
        assert kept["reused"] is True
    finally:
        server.close()


@pytest.mark.parametrize("version", VERSIONS)
@async_test()
async def test_python_ssl_client_resumes_across_rotation(version, server_options, ca_pem):
    a, b, c = key(), key(), key()
    server = serve(server_options)
    server.setTicketKeyRing([a])
    port = await listen(server)
    try:
        first = await ssl_client(port, ca_pem, version)
        assert first.reused is False and first.data == b"hello" and first.session.has_ticket
        server.setTicketKeyRing([b, a])
        second = await ssl_client(port, ca_pem, version, first.session)
        assert second.reused is True
        server.setTicketKeyRing([c, b])
        assert (await ssl_client(port, ca_pem, version, first.session)).reused is False
        assert (await ssl_client(port, ca_pem, version, second.session)).reused is True
    finally:
        server.close()


@async_test()
async def test_set_ticket_keys_replaces_the_ring(server_options, ca_pem):
    a, b = key(), key()
    server = serve(server_options)
    server.setTicketKeyRing([a, b])
    server.setTicketKeys(b)               # Node's: one key, the ring is gone
    assert server.getTicketKeyRing() == [b] and server.getTicketKeys() == b
    port = await listen(server)
    try:
        server.setTicketKeys(a)
        first = await tls_client(port, ca_pem, "TLSv1.3")
        server.setTicketKeys(b)           # a single key: the old tickets are worthless at once
        assert (await tls_client(port, ca_pem, "TLSv1.3", first["sessions"][-1][0]))["reused"] is False
    finally:
        server.close()


@async_test()
async def test_sni_contexts_take_the_ring(server_options, ca_pem):
    a, b = key(), key()
    server = serve(server_options)
    sni = tls.createSecureContext(server_options)
    server.addContext("localhost", sni)
    server.setTicketKeyRing([a, b])
    assert sni.getTicketKeyRing() == [a, b]
    port = await listen(server)
    try:
        res = await tls_client(port, ca_pem, "TLSv1.3", servername="localhost")
        assert res["sessions"][-1][1][:16] == name(a)
    finally:
        server.close()


def test_context_ring_methods_and_snake_aliases():
    a, b = key(), key()
    ctx = tls.createSecureContext()
    assert len(ctx.getTicketKeyRing()) == 1 and ctx.getTicketKeyRing()[0] == ctx.getTicketKeys()
    assert ctx.set_ticket_key_ring([a, bytearray(b)]) == [a, b]
    assert ctx.get_ticket_key_ring() == [a, b] and ctx.getTicketKeys() == a
    ring = ctx.getTicketKeyRing()
    ring.append(b"x")                     # a copy
    assert ctx.getTicketKeyRing() == [a, b]
    assert ctx.setTicketKeyRing((memoryview(b),)) == [b]


@pytest.mark.parametrize("bad, code, words", [
    (b"k" * 48, "ERR_INVALID_ARG_TYPE", 'The "keys" argument must be an instance of Array'),
    ("keys", "ERR_INVALID_ARG_TYPE", 'The "keys" argument must be an instance of Array'),
    (None, "ERR_INVALID_ARG_TYPE", 'The "keys" argument must be an instance of Array'),
    ([], "ERR_INVALID_ARG_VALUE", "must hold at least one key"),
    ([b"k" * 47], "ERR_INVALID_ARG_VALUE", "'keys[0]' must be exactly 48 bytes"),
    ([os.urandom(48), b"k" * 49], "ERR_INVALID_ARG_VALUE", "'keys[1]' must be exactly 48 bytes"),
    ([os.urandom(48), "x" * 48], "ERR_INVALID_ARG_TYPE", 'The "keys[1]" argument must be an instance of Buffer'),
    ([os.urandom(48) for _ in range(9)], "ERR_INVALID_ARG_VALUE", "must hold at most 8 keys"),
    ([b"n" * 16 + os.urandom(32), b"n" * 16 + os.urandom(32)], "ERR_INVALID_ARG_VALUE",
     "'keys[1]' repeats the key name of keys[0]"),
])
def test_bad_rings_are_refused_and_change_nothing(bad, code, words):
    ctx = tls.createSecureContext()
    before = ctx.getTicketKeyRing()
    with pytest.raises(TypeError) as info:
        ctx.setTicketKeyRing(bad)
    assert info.value.code == code and words in str(info.value)
    assert ctx.getTicketKeyRing() == before


@async_test()
async def test_server_refuses_a_bad_ring_for_every_context(server_options):
    server = serve(server_options)
    sni = tls.createSecureContext(server_options)
    server.addContext("localhost", sni)
    before = (server.getTicketKeyRing(), sni.getTicketKeyRing())
    with pytest.raises(TypeError):
        server.setTicketKeyRing([key(), b"short"])
    assert (server.getTicketKeyRing(), sni.getTicketKeyRing()) == before
    server.close()
