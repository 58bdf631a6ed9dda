"""A 'resumeSession' lookup that does not answer cannot make a server buffer without bound.

While the lookup is pending, the server holds the client's bytes without
running OpenSSL (Node's ClientHelloParser).  Node 20 keeps them without a
limit; a client that sends its ClientHello and then floods would grow the
server's memory until the lookup answers.  Here the held bytes are capped
(tls._protocol.sessions._PENDING_LIMIT: the largest ClientHello record the parser
pauses for plus one full TLS 1.3 record) and a client that sends more is
destroyed with ERR_TLS_RESUME_SESSION_OVERFLOW ('tlsClientError').

The client is a raw TCP peer sending a real ClientHello (made by Python's
ssl, whose OpenSSL sends a 32-byte legacy session id, so 'resumeSession'
fires) and then junk records.
"""
from __future__ import annotations

import asyncio
import ssl
from typing import Any, List

import pytest

import tls
from tls._protocol import sessions as _sessions

from support.aio import async_test
from support.loopback import close_server, listen

CHUNK = 64 * 1024
FLOOD_BUDGET = 64 * 1024 * 1024  # far past the cap: the server must cut the client off long before


def _client_hello() -> bytes:
    """One ClientHello record, as Python's ssl would send it first."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
    obj = ctx.wrap_bio(incoming, outgoing, server_hostname="localhost")
    with pytest.raises(ssl.SSLWantReadError):
        obj.do_handshake()
    hello = outgoing.read()
    assert hello[0] == 22 and hello[5] == 1   # a handshake record holding a ClientHello
    assert hello[43] == 32                    # with a session id: 'resumeSession' will be asked
    return hello


def _junk_record() -> bytes:
    """An application_data record of the largest TLS 1.3 size, full of zeros."""
    body = bytes(2 ** 14 + 256)
    return b"\x17\x03\x03" + len(body).to_bytes(2, "big") + body


@pytest.fixture
def peak(monkeypatch: Any) -> List[int]:
    """The largest number of bytes any _HelloParser held after a feed."""
    seen = [0]
    feed = _sessions._HelloParser.feed

    def recording_feed(self: Any, data: Any) -> None:
        feed(self, data)
        seen[0] = max(seen[0], len(self.buf))

    monkeypatch.setattr(_sessions._HelloParser, "feed", recording_feed)
    return seen


@pytest.mark.parametrize("one_write", [False, True], ids=["hello-then-flood", "hello-and-flood-in-one-write"])
def test_flood_while_resume_session_is_pending(server_options: dict, peak: List[int], one_write: bool) -> None:
    @async_test(timeout=30)
    async def main() -> None:
        loop = asyncio.get_running_loop()
        server = tls.createServer(server_options)
        lookups: List[Any] = []
        asked = loop.create_future()
        failed = loop.create_future()

        def on_resume_session(session_id: bytes, cb: Any) -> None:
            lookups.append(cb)  # the store hangs: no answer until the test gives one
            if not asked.done():
                asked.set_result(session_id)

        def on_tls_client_error(err: Any, sock: Any) -> None:
            if not failed.done():
                failed.set_result((err, sock))

        server.on("resumeSession", on_resume_session)
        server.on("tlsClientError", on_tls_client_error)
        server.on("secureConnection", lambda sock: failed.set_exception(AssertionError("handshake finished")))
        port = await listen(server)
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        hello, junk = _client_hello(), _junk_record()
        sent = 0
        try:
            if one_write:
                writer.write(hello + junk * 4)
                sent += 4 * len(junk)
            else:
                writer.write(hello)
                assert len(await asked) == 32
            # Flood until the server cuts the connection (or reports the error).
            try:
                while not failed.done() and sent < FLOOD_BUDGET:
                    writer.write(junk * (CHUNK // len(junk) + 1))
                    sent += CHUNK
                    await writer.drain()
            except (ConnectionResetError, BrokenPipeError):
                pass
            err, sock = await failed
            assert len(lookups) == 1
            assert isinstance(err, tls.NodeError)
            assert err.code == "ERR_TLS_RESUME_SESSION_OVERFLOW"
            assert err.message == ("The client sent more than %d bytes while 'resumeSession' was pending"
                                % _sessions._PENDING_LIMIT)
            assert sock.destroyed
            # Bounded memory: never more than the cap was held between reads (in one
            # write, the read that completes the hello is dropped whole at once).
            assert peak[0] <= _sessions._PENDING_LIMIT
            assert peak[0] >= (0 if one_write else len(hello))
            # The server closes the connection: the client's read ends.
            try:
                await reader.read()
            except ConnectionResetError:
                pass
            # The store answering late is a no-op on the destroyed socket.
            lookups[0](None, None)
        finally:
            writer.close()
            close_server(server)

    main()


def test_cap_fits_a_full_hello_and_one_record() -> None:
    """The figure: the largest first record the parser pauses for, plus one full TLS 1.3 record."""
    assert _sessions._PENDING_LIMIT == (5 + 16 * 1024 + 4) + (5 + 2 ** 14 + 256)
