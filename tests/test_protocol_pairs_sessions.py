"""Sessions and tickets, OCSP and renegotiation between two peers wired in memory.

The harness (``tls_pair``: a tls.Server that never listens and a tls.connect
client whose raw sockets exchange bytes through an in-memory transport) is in
test_protocol_pairs.py.  Each test asserts the outcome: resumed or not, the
session bytes, the stapled bytes, the error codes.
"""
from __future__ import annotations

import asyncio
from typing import Any, List

import pytest

import tls

from support.aio import async_test, once
from support.pairs import tls_pair

SSL_OP_NO_TICKET = 0x00004000


async def first_session(server: Any, ca_pem: bytes, **options: Any) -> bytes:
    """Connect once, return the (last) 'session' the client got, close."""
    pair = tls_pair(server, ca=[ca_pem], **options)
    sessions: List[bytes] = []
    pair.client.on("session", sessions.append)
    await pair.secure()
    pair.client.resume()
    pair.conn.end(b"x")        # TLS 1.3 tickets come with the server's first flight after the handshake
    await once(pair.client, "end")
    await pair.close()
    assert sessions and all(isinstance(s, bytes) and s for s in sessions)
    return sessions[-1]


async def resumed(server: Any, ca_pem: bytes, session: Any, **options: Any) -> "tuple[bool, bool]":
    pair = tls_pair(server, ca=[ca_pem], session=session, **options)
    await pair.secure()
    outcome = (pair.client.isSessionReused(), pair.conn.isSessionReused())
    await pair.close()
    return outcome


# -- the 'session' event and the session option ---------------------------------------------------

@pytest.mark.parametrize("version", ["TLSv1.2", "TLSv1.3"])
def test_session_event_bytes_resume_the_next_connection(server_options, ca_pem, version):
    @async_test(5)
    async def run():
        server = tls.createServer(dict(server_options, maxVersion=version))
        session = await first_session(server, ca_pem)
        assert await resumed(server, ca_pem, session) == (True, True)
        # the same bytes, through setSession, as the getSession() of a resumed socket
        assert await resumed(server, ca_pem, None) == (False, False)

    run()


@async_test(5)
async def test_garbage_session_option_means_a_full_handshake(server_options, ca_pem):
    server = tls.createServer(server_options)
    assert await resumed(server, ca_pem, b"\x00" * 40) == (False, False)


# -- newSession / resumeSession --------------------------------------------------------------------

@async_test(5)
async def test_new_session_and_resume_session_hooks(server_options, ca_pem):
    """Session-id resumption (TLS 1.2 without tickets): the server's store is the hooks'."""
    server = tls.createServer(dict(server_options, maxVersion="TLSv1.2", secureOptions=SSL_OP_NO_TICKET))
    store: dict = {}
    log: List[str] = []

    def on_new_session(sid: bytes, data: bytes, done: Any) -> None:
        log.append("new")
        store[sid] = data
        # Node holds the server's last flight until done(): call it later
        asyncio.get_running_loop().call_soon(done)

    def on_resume_session(sid: bytes, cb: Any) -> None:
        log.append("resume hit" if sid in store else "resume miss")
        asyncio.get_running_loop().call_soon(cb, None, store.get(sid))

    server.on("newSession", on_new_session)
    server.on("resumeSession", on_resume_session)
    session = await first_session(server, ca_pem)
    # the first ClientHello carries a session id too (TLS 1.3's compatibility id): looked up, missed
    assert log == ["resume miss", "new"] and len(store) == 1
    assert await resumed(server, ca_pem, session) == (True, True)
    assert log[2:] == ["resume hit"]
    store.clear()
    assert await resumed(server, ca_pem, session) == (False, False)   # the store forgot it
    assert log[3:] == ["resume miss", "new"]


@async_test(5)
async def test_resume_session_error_destroys_the_socket(server_options, ca_pem):
    server = tls.createServer(dict(server_options, maxVersion="TLSv1.2", secureOptions=SSL_OP_NO_TICKET))
    server.on("newSession", lambda sid, data, done: done())
    session = await first_session(server, ca_pem)
    server.on("resumeSession", lambda sid, cb: cb(RuntimeError("store down")))
    pair = tls_pair(server, ca=[ca_pem], session=session)
    await pair.failed()
    assert [str(e) for e in pair.server_errors] == ["store down"]
    assert [e.code for e in pair.client_errors] == ["ECONNRESET"]


# -- ticket keys -----------------------------------------------------------------------------------

@pytest.mark.parametrize("version", ["TLSv1.2", "TLSv1.3"])
def test_ticket_keys_shared_between_servers(server_options, ca_pem, version):
    @async_test(5)
    async def run():
        keys = bytes(range(48))
        first = tls.createServer(dict(server_options, ticketKeys=keys, maxVersion=version))
        assert first.getTicketKeys() == keys
        session = await first_session(first, ca_pem)
        twin = tls.createServer(dict(server_options, maxVersion=version))
        twin.setTicketKeys(keys)
        assert await resumed(twin, ca_pem, session) == (True, True)
        stranger = tls.createServer(dict(server_options, ticketKeys=bytes(48), maxVersion=version))
        assert await resumed(stranger, ca_pem, session) == (False, False)

    run()


# -- OCSP --------------------------------------------------------------------------------------------

@async_test(5)
async def test_ocsp_request_and_stapled_response(server_options, ca_pem):
    server = tls.createServer(server_options)
    requests: List[Any] = []

    def on_request(cert: bytes, issuer: Any, cb: Any) -> None:
        requests.append((cert, issuer))
        asyncio.get_running_loop().call_soon(cb, None, b"the stapled bytes")

    server.on("OCSPRequest", on_request)
    order: List[str] = []
    pair = tls_pair(server, ca=[ca_pem], requestOCSP=True)
    responses: List[Any] = []
    pair.client.on("OCSPResponse", lambda response: (order.append("OCSPResponse"), responses.append(response)))
    pair.client.on("secureConnect", lambda: order.append("secureConnect"))
    await pair.secure()
    assert responses == [b"the stapled bytes"]
    assert order == ["OCSPResponse", "secureConnect"]
    (cert, issuer), = requests
    assert isinstance(cert, bytes) and cert[:1] == b"\x30"   # DER of the server's certificate
    await pair.close()


@async_test(5)
async def test_ocsp_not_requested_and_nothing_to_staple(server_options, ca_pem):
    server = tls.createServer(server_options)
    requests: List[Any] = []
    server.on("OCSPRequest", lambda cert, issuer, cb: (requests.append(cert), cb(None, None)))
    pair = tls_pair(server, ca=[ca_pem])       # no requestOCSP: no status_request, no OCSPRequest
    await pair.secure()
    assert requests == []
    await pair.close()
    pair = tls_pair(server, ca=[ca_pem], requestOCSP=True)
    responses: List[Any] = []
    pair.client.on("OCSPResponse", responses.append)
    await pair.secure()
    assert len(requests) == 1 and responses == [None]   # asked, nothing stapled
    await pair.close()


@async_test(5)
async def test_ocsp_request_error_fails_the_handshake(server_options, ca_pem):
    server = tls.createServer(server_options)
    server.on("OCSPRequest", lambda cert, issuer, cb: cb(RuntimeError("responder down")))
    pair = tls_pair(server, ca=[ca_pem], requestOCSP=True)
    await pair.failed()
    assert [str(e) for e in pair.server_errors] == ["responder down"]
    assert pair.client_errors and pair.client_errors[0].code == "ECONNRESET"


# -- renegotiation -------------------------------------------------------------------------------------

TLS12 = {"maxVersion": "TLSv1.2"}


@async_test(5)
async def test_renegotiation_is_secure_again(server_options, ca_pem):
    server = tls.createServer(dict(server_options, **TLS12))
    pair = tls_pair(server, ca=[ca_pem])
    await pair.secure()
    secures: List[str] = []
    pair.client.on("secure", lambda: secures.append("client"))
    pair.conn.on("secure", lambda: secures.append("server"))
    done = asyncio.get_running_loop().create_future()
    assert pair.client.renegotiate({}, lambda err: done.set_result(err)) is True
    pair.client.write(b"")   # a renegotiation needs traffic to run
    assert await done is None
    assert "client" in secures and "server" in secures
    assert pair.client._life.name == "SECURE"
    await pair.close()


@async_test(5)
async def test_renegotiation_in_tls13_is_refused(server_options, ca_pem):
    server = tls.createServer(server_options)
    pair = tls_pair(server, ca=[ca_pem])
    await pair.secure()
    done = asyncio.get_running_loop().create_future()
    assert pair.client.renegotiate({}, done.set_result) is False
    err = await done
    assert err.code == "ERR_SSL_WRONG_SSL_VERSION"
    assert not pair.client.destroyed
    await pair.close()


@pytest.mark.parametrize("limit", [0, 1, 2])
def test_client_renegotiation_limit(server_options, ca_pem, monkeypatch, limit):
    monkeypatch.setattr(tls, "CLIENT_RENEG_LIMIT", limit)

    @async_test(5)
    async def run():
        server = tls.createServer(dict(server_options, **TLS12))
        pair = tls_pair(server, ca=[ca_pem])
        await pair.secure()
        attempts = [0]
        closed = asyncio.get_running_loop().create_future()
        pair.conn.on("close", lambda *a: closed.done() or closed.set_result(None))
        pair.conn.on("error", lambda err: pair.conn.destroy())   # 'error' alone does not close (Node)

        def again(err: Any = None) -> None:
            assert err is None
            if pair.client.destroyed:
                return
            attempts[0] += 1
            pair.client.renegotiate({}, again)
            pair.client.write(b"")

        again()
        await closed
        assert [e.code for e in pair.conn_errors] == ["ERR_TLS_SESSION_ATTACK"]
        assert attempts[0] == limit + 1
        await pair.close()

    run()


@async_test(5)
async def test_disabled_renegotiation_is_an_error(server_options, ca_pem):
    server = tls.createServer(dict(server_options, **TLS12))
    server.on("secureConnection", lambda sock: sock.disableRenegotiation())
    pair = tls_pair(server, ca=[ca_pem])
    await pair.secure()
    closed = asyncio.get_running_loop().create_future()
    pair.conn.on("close", lambda *a: closed.done() or closed.set_result(None))
    pair.conn.on("error", lambda err: pair.conn.destroy())
    pair.client.renegotiate({}, lambda err: None)
    pair.client.write(b"")
    await closed
    assert [e.code for e in pair.conn_errors] == ["ERR_TLS_RENEGOTIATION_DISABLED"]
    # an error of the socket, not of the engine: its life stays SECURE (the listener destroyed it)
    assert pair.conn._life.name == "SECURE" and pair.conn.destroyed
    await pair.close()
