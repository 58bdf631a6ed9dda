"""Misbehaving peers and failing connections, with Node 20 as the oracle.

Garbage and HTTP on the TLS port, peers that vanish mid-handshake (FIN and
RST, both sides), a refused port, listeners that raise, certificate
verification failures, and a peer that keeps sending after its close_notify.
Codes are asserted, not messages.
"""
from __future__ import annotations

import asyncio
import socket
import struct

import pytest

import tls

from support.aio import Collector, Recorder, async_test, once
from support.loopback import RawServer, close_server, free_port, listen
from support.node import NODE_CLIENT, NODE_ECHO_SERVER, NodePeer, node_port
from support.node_style import run_program
from tls._binding import lib
from tls._engine.engine import TLSEngine


async def raw_exchange(port, data, end=True, rst=False):
    """Send ``data`` on a plain TCP connection; everything received until close."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(data)
    await writer.drain()
    if rst:
        sock = writer.get_extra_info("socket")
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        writer.transport.abort()
        return b""
    if end:
        writer.write_eof()
    try:
        received = await reader.read()
    except ConnectionError:
        received = b"<reset>"
    writer.close()
    return received


def set_linger_rst(writer):
    sock = writer.get_extra_info("socket")
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))


async def assert_still_serving(port, ca):
    """A real client still gets through after the bad connections."""
    client = tls.connect(port, "localhost", {"ca": ca})
    got = Collector(client)
    await once(client, "secureConnect")
    client.write(b"still there?")
    await got.until(b"echo:still there?")
    client.destroy()


def echo_server(pems, **options):
    server = tls.createServer(pems.server_options(**options))

    def on_secure(sock):
        sock.write(b"hello\n")
        sock.on("data", lambda d: sock.write(b"echo:" + d))
        sock.on("error", lambda e: None)

    server.on("secureConnection", on_secure)
    return server


# -- garbage on the TLS port -------------------------------------------------------------------

BAD_INPUTS = {
    "text": (b"hello world\r\n", "ERR_SSL_WRONG_VERSION_NUMBER"),
    "binary": (bytes(range(16)), "ERR_SSL_WRONG_VERSION_NUMBER"),
    "bad-record-version": (b"\x16\x09\x09\x00\x05hello", "ERR_SSL_WRONG_VERSION_NUMBER"),
    "http-get": (b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n", "ERR_SSL_HTTP_REQUEST"),
    "http-post": (b"POST /x HTTP/1.1\r\nHost: localhost\r\nContent-Length: 0\r\n\r\n", "ERR_SSL_HTTP_REQUEST"),
}


@async_test(15)
async def test_garbage_on_tls_port_matches_node(pems):
    server = echo_server(pems)
    rec = Recorder(server, "tlsClientError", "secureConnection", "error")
    port = await listen(server)
    async with NodePeer(NODE_ECHO_SERVER, pems.node_server_cfg()) as node:
        nport = await node_port(node)
        for name, (data, code) in BAD_INPUTS.items():
            before = len(rec.log)
            ours_got = await raw_exchange(port, data)
            (err, sock) = await rec.wait_next("tlsClientError", before)
            node_got = await raw_exchange(nport, data)
            node_err = (await node.expect("tlsClientError"))["error"]
            assert (name, err.code) == (name, code) == (name, node_err["code"])
            assert isinstance(sock, tls.TLSSocket)
            # what went back on the wire: Node sends nothing (no alert)
            assert (name, ours_got) == (name, node_got)
        assert [e[0] for e in rec.log] == ["tlsClientError"] * len(BAD_INPUTS)
        await assert_still_serving(port, pems.ca)
    close_server(server)


@async_test(10)
async def test_http_request_error_attributes(pems):
    server = echo_server(pems)
    rec = Recorder(server, "tlsClientError")
    port = await listen(server)
    await raw_exchange(port, b"GET / HTTP/1.1\r\n\r\n")
    (err, sock) = await rec.wait("tlsClientError")
    assert err.code == "ERR_SSL_HTTP_REQUEST"
    assert err.library == "SSL routines" and err.reason == "http request"
    assert sock.destroyed
    await assert_still_serving(port, pems.ca)
    close_server(server)


# -- peers vanishing mid-handshake -------------------------------------------------------------

@pytest.mark.parametrize("how", ["fin", "rst"])
@async_test(10)
async def test_server_closes_mid_handshake_client_sees_econnreset(how):
    async def handler(reader, writer):
        hello = await reader.read(65536)       # the ClientHello, then goodbye
        if how == "rst":
            set_linger_rst(writer)
        return hello

    raw = RawServer(handler)
    port = await raw.start()
    try:
        client = tls.connect(port, "127.0.0.1", {"rejectUnauthorized": False})
        rec = Recorder(client, "connect", "secureConnect", "error", "close")
        await rec.wait("close")
        hello = await raw.done
        assert hello[:1] == b"\x16"                # it did send a ClientHello
        assert rec.names() == ["connect", "error", "close"]
        (err,) = rec.args("error")[0]
        assert err.code == "ECONNRESET"
        assert rec.args("close") == [(True,)]
        if how == "fin":
            # Node: "Client network socket disconnected ..." with host and port
            assert (err.host, err.port) == ("127.0.0.1", port)
        else:
            assert err.syscall == "read"

        # Node's client against the same kind of peer says the same
        async with NodePeer(NODE_CLIENT, {"port": port, "options": {"rejectUnauthorized": False}}) as node:
            node_err = (await node.expect("error"))["error"]
            assert node_err["code"] == err.code
            assert (await node.expect("close"))["hadError"] is True
    finally:
        await raw.close()


@async_test(10)
async def test_close_notify_answering_client_hello_is_econnreset():
    # Found by fuzz/fuzz_client_records.py: the engine raised a code-less
    # "TLS handshake failed".  Node reads a close_notify met mid-handshake as
    # the end of the stream: 'end', then ECONNRESET, then 'close'.
    async def handler(reader, writer):
        hello = await reader.read(65536)
        writer.write(b"\x15\x03\x03\x00\x02\x01\x00")   # warning alert: close_notify
        await writer.drain()
        await reader.read()                                # until the client hangs up
        return hello

    raw = RawServer(handler)
    port = await raw.start()
    try:
        client = tls.connect(port, "127.0.0.1", {"rejectUnauthorized": False})
        rec = Recorder(client, "connect", "secureConnect", "end", "error", "close")
        await rec.wait("close")
        assert (await raw.done)[:1] == b"\x16"
        assert rec.names() == ["connect", "end", "error", "close"]
        (err,) = rec.args("error")[0]
        assert err.code == "ECONNRESET"
        assert (err.host, err.port) == ("127.0.0.1", port)

        async with NodePeer(NODE_CLIENT, {"port": port, "options": {"rejectUnauthorized": False}}) as node:
            node_err = (await node.expect("error"))["error"]
            assert node_err["code"] == err.code
            assert (await node.expect("close"))["hadError"] is True
    finally:
        await raw.close()


@async_test(10)
async def test_unnamed_alert_answering_client_hello_has_a_code():
    # Found by fuzz/fuzz_client_records.py: a fatal alert with a description
    # OpenSSL has no name for (4) gave an error without a code.  Node emits
    # nothing at all for it (TLSWrap drops an error with a null reason) and
    # waits for the transport: the peer here keeps the connection open, so
    # Node would hang; we report the alert.
    async def handler(reader, writer):
        hello = await reader.read(65536)
        writer.write(b"\x15\x03\x03\x00\x02\x02\x04")   # fatal alert, description 4
        await writer.drain()
        await reader.read()
        return hello

    raw = RawServer(handler)
    port = await raw.start()
    try:
        client = tls.connect(port, "127.0.0.1", {"rejectUnauthorized": False})
        rec = Recorder(client, "connect", "secureConnect", "error", "close")
        await rec.wait("close")
        assert rec.names() == ["connect", "error", "close"]
        (err,) = rec.args("error")[0]
        assert err.code == "ERR_SSL_SSL_ALERT_NUMBER_4"
        assert err.reason == "ssl alert number 4" and err.library == "SSL routines"
    finally:
        await raw.close()


@pytest.mark.parametrize("how", ["partial-fin", "partial-rst", "hello-fin", "hello-rst"])
@async_test(10)
async def test_client_closes_mid_handshake_server_sees_econnreset(pems, how):
    """A client that goes away before the handshake completes: 'tlsClientError'
    ECONNRESET on our server (as on Node's), never the server's 'error'."""
    server = echo_server(pems)
    rec = Recorder(server, "tlsClientError", "secureConnection", "error")
    port = await listen(server)
    hello_capture = asyncio.get_running_loop().create_future()

    async def capture(reader, writer):
        hello_capture.set_result(await reader.read(65536))
    raw = RawServer(capture)
    cport = await raw.start()
    probe = tls.connect(cport, "127.0.0.1", {"rejectUnauthorized": False})
    probe.on("error", lambda e: None)
    client_hello = await hello_capture
    await raw.close()

    async with NodePeer(NODE_ECHO_SERVER, pems.node_server_cfg()) as node:
        nport = await node_port(node)
        for target in (port, nport):
            reader, writer = await asyncio.open_connection("127.0.0.1", target)
            if how.startswith("partial"):
                writer.write(client_hello[:20])
            else:
                writer.write(client_hello)
                await reader.read(1)            # the server answered: mid-handshake now
            await writer.drain()
            if how.endswith("rst"):
                set_linger_rst(writer)
                writer.transport.abort()
            else:
                writer.write_eof()
                writer.close()
        (err, sock) = await rec.wait("tlsClientError")
        node_err = (await node.expect("tlsClientError"))["error"]
        assert err.code == "ECONNRESET" == node_err["code"]
        assert rec.names() == ["tlsClientError"]
        await assert_still_serving(port, pems.ca)
    close_server(server)


# -- refused port --------------------------------------------------------------------------------

@async_test(10)
async def test_refused_port_error_then_close():
    port = free_port()
    client = tls.connect(port, "127.0.0.1", {"rejectUnauthorized": False})
    rec = Recorder(client, "connect", "secureConnect", "error", "close")
    await rec.wait("close")
    assert rec.names() == ["error", "close"]
    (err,) = rec.args("error")[0]
    assert err.code == "ECONNREFUSED"
    assert (err.syscall, err.address, err.port) == ("connect", "127.0.0.1", port)
    assert rec.args("close") == [(True,)]


# -- listeners that raise ------------------------------------------------------------------------

class Boom(Exception):
    pass


def _raise(exc):
    raise exc


@pytest.mark.parametrize("where", ["secureConnection", "secureConnect", "data"])
def test_raising_listener_surfaces_from_tls_run(pems, where):
    def main():
        def on_secure(sock):
            if where == "secureConnection":
                raise Boom(where)
            sock.write(b"payload")

        server = tls.createServer(pems.server_options(), on_secure)

        def on_listening():
            def on_connect():
                if where == "secureConnect":
                    raise Boom(where)
            client = tls.connect(server.address()["port"], "localhost", {"ca": pems.ca}, on_connect)
            client.on("error", lambda e: None)
            client.on("data", lambda d: _raise(Boom(where)) if where == "data" else None)

        server.listen(0, "127.0.0.1", on_listening)

    with pytest.raises(Boom, match=where):
        run_program(main, timeout=8)


@pytest.mark.parametrize("where", ["secureConnection", "secureConnect", "data", "tlsClientError"])
@async_test(10)
async def test_raising_listener_reaches_loop_exception_handler(pems, where):
    """On a plain asyncio loop the exception goes to the loop's handler; the
    server goes on serving."""
    loop = asyncio.get_running_loop()
    caught = loop.create_future()

    def handler(_loop, context):
        exc = context.get("exception")
        if isinstance(exc, Boom) and not caught.done():
            caught.set_result(exc)
    loop.set_exception_handler(handler)

    served = []

    def on_secure(sock):
        served.append(sock)
        if where == "secureConnection" and len(served) == 1:
            raise Boom(where)
        sock.write(b"hello\n")
        sock.on("data", lambda d: sock.write(b"echo:" + d))

    server = tls.createServer(pems.server_options(), on_secure)
    if where == "tlsClientError":
        server.on("tlsClientError", lambda err, sock: _raise(Boom(where)))
    port = await listen(server)

    if where == "tlsClientError":
        await raw_exchange(port, b"GET / HTTP/1.1\r\n\r\n")
    else:
        def on_connect():
            if where == "secureConnect":
                raise Boom(where)
        client = tls.connect(port, "localhost", {"ca": pems.ca}, on_connect)
        client.on("error", lambda e: None)
        client.on("data", lambda d: _raise(Boom(where)) if where == "data" else None)
    exc = await caught
    assert str(exc) == where
    await assert_still_serving(port, pems.ca)
    close_server(server)


# -- certificate verification with rejectUnauthorized ---------------------------------------------

VERIFY_FAILURES = {
    "self-signed": ("self", True, "DEPTH_ZERO_SELF_SIGNED_CERT"),
    "untrusted": ("good", False, "UNABLE_TO_VERIFY_LEAF_SIGNATURE"),
    "wrong-host": ("other", True, "ERR_TLS_CERT_ALTNAME_INVALID"),
}


@pytest.mark.parametrize("version", ["TLSv1.2", "TLSv1.3"])
@pytest.mark.parametrize("case", list(VERIFY_FAILURES))
@async_test(10)
async def test_verify_failure_rejects_like_node(pems, case, version):
    """Our client and Node's, against our server and Node's: the same 'error'
    code on the client; and the servers see the same thing (TLS 1.2: the
    handshake completed, 'secureConnection'; TLS 1.3: the client goes away
    before its Finished, 'tlsClientError' ECONNRESET)."""
    identity, trust, code = VERIFY_FAILURES[case]
    server = tls.createServer(pems.server_options(identity, maxVersion=version))
    srec = Recorder(server, "tlsClientError", "secureConnection")
    port = await listen(server)
    cfg = pems.node_server_cfg(identity, options={"maxVersion": version})
    async with NodePeer(NODE_ECHO_SERVER, cfg) as node_server:
        nport = await node_port(node_server)
        for target in (port, nport):
            options = {"ca": pems.ca} if trust else {}
            client = tls.connect(target, "localhost", options)
            rec = Recorder(client, "connect", "secureConnect", "error", "close")
            await rec.wait("close")
            assert rec.names() == ["connect", "error", "close"], rec.log
            (err,) = rec.args("error")[0]
            assert err.code == code
            assert client.authorized is False
            if code == "ERR_TLS_CERT_ALTNAME_INVALID":
                assert err.host == "localhost" and err.reason
                # the error carries the whole detailed certificate, as Node's does
                assert err.cert["subject"] and err.cert["fingerprint256"] and "issuerCertificate" in err.cert
            cfg = {"port": target, "host": "localhost"}
            if trust:
                cfg["ca"] = pems.path("ca")
            async with NodePeer(NODE_CLIENT, cfg) as node_client:
                node_err = (await node_client.expect("error"))["error"]
                assert node_err["code"] == code
                assert (await node_client.expect("close"))["hadError"] is True

        # what each server saw of the two rejecting clients
        await srec.wait_next("tlsClientError" if version == "TLSv1.3" else "secureConnection", 1)
        ours = [(e[0], getattr(e[1], "code", None) if e[0] == "tlsClientError" else None) for e in srec.log]
        if version == "TLSv1.3":
            node_saw = [("tlsClientError", (await node_server.expect("tlsClientError"))["error"]["code"])
                        for _ in range(2)]
        else:
            node_saw = [("secureConnection", None) for _ in range(2) if await node_server.expect("secure")]
        assert ours == node_saw
        assert ours[0] == (("tlsClientError", "ECONNRESET") if version == "TLSv1.3" else ("secureConnection", None))
    close_server(server)


# -- data after close_notify ----------------------------------------------------------------------

async def send_after_close_notify(port):
    """A raw OpenSSL client that sends 'before', close_notify, then a valid
    record 'after' (it clears its own shutdown flag to be able to)."""
    ctx = tls.createSecureContext({"minVersion": "TLSv1.2", "maxVersion": "TLSv1.2"})
    engine = TLSEngine(ctx._ctx, False)
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        while not engine.handshake():
            writer.write(engine.outgoing())
            chunk = await reader.read(65536)
            assert chunk, "server closed during the handshake"
            engine.feed(chunk)
        writer.write(engine.outgoing())
        engine.encrypt(b"before")
        engine.shutdown()
        lib.SSL_set_shutdown(engine.ssl, 0)
        assert engine.encrypt(b"after")[0] == 5
        writer.write(engine.outgoing())
        await writer.drain()
        # wait for the server to finish with us
        rest = b""
        while True:
            try:
                chunk = await reader.read(65536)
            except ConnectionError:
                break
            if not chunk:
                break
            rest += chunk
        return rest
    finally:
        writer.close()
        engine.free()


@async_test(10)
async def test_data_after_close_notify_not_delivered(pems):
    server = tls.createServer(pems.server_options())
    conns = []
    server.on("secureConnection", lambda sock: conns.append(
        (Recorder(sock, "end", "close", "error"), Collector(sock))))
    port = await listen(server)
    await send_after_close_notify(port)
    rec, got = conns[0]
    await rec.wait("close")
    assert got.data == b"before"
    assert rec.names() == ["end", "close"], rec.log
    assert rec.args("close") == [(False,)]

    # Node delivers the same: 'before', then 'end'
    async with NodePeer(NODE_ECHO_SERVER, pems.node_server_cfg()) as node:
        nport = await node_port(node)
        await send_after_close_notify(nport)
        await node.expect("close")
        texts = [r["text"] for r in node.reports if r["event"] == "data"]
        assert "".join(texts) == "before"
        assert [r["event"] for r in node.reports if r["event"] in ("end", "error")] == ["end"]
    close_server(server)


# -- a corrupt record after the handshake ---------------------------------------------------------

CORRUPT_RECORD = b"\x17\x03\x03\x00\x30" + bytes(range(0x30))


async def engine_handshake(engine, reader, writer):
    while not engine.handshake():
        out = engine.outgoing()
        if out:
            writer.write(out)
        chunk = await reader.read(65536)
        assert chunk, "peer closed during the handshake"
        engine.feed(chunk)
    writer.write(engine.outgoing())
    await writer.drain()


async def client_then_corrupt(port):
    """Handshake as a client, send one good record, then a corrupt one; returns
    the writer (to close once the server has reacted: Node 20 sometimes leaves
    the TCP connection open after the error until the peer goes)."""
    ctx = tls.createSecureContext({})
    engine = TLSEngine(ctx._ctx, False)
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        await engine_handshake(engine, reader, writer)
        engine.encrypt(b"good")
        writer.write(engine.outgoing() + CORRUPT_RECORD)
        await writer.drain()
    finally:
        engine.free()
    return writer


@async_test(10)
async def test_corrupt_record_to_server_matches_node(pems):
    server = tls.createServer(pems.server_options())
    seen = []
    server.on("secureConnection", lambda sock: seen.append(
        (Recorder(sock, "end", "error", "close"), Collector(sock))))
    srec = Recorder(server, "secureConnection", "tlsClientError")
    port = await listen(server)
    writer = await client_then_corrupt(port)
    await srec.wait("secureConnection")
    rec, got = seen[0]
    await rec.wait("close")
    writer.close()
    async with NodePeer(NODE_ECHO_SERVER, pems.node_server_cfg()) as node:
        nport = await node_port(node)
        writer = await client_then_corrupt(nport)
        node_err = (await node.expect("error"))["error"]
        node_data = (await node.expect("data"))["text"]
        writer.close()
    assert got.data.decode() == node_data == "good"
    assert [name for name, *_ in rec.log] == ["error", "close"]
    (err,) = rec.args("error")[0]
    assert err.code == node_err["code"]
    assert err.code.startswith("ERR_SSL_")
    close_server(server)


async def serve_then_corrupt(pems, port_future):
    """A raw server: handshake with our engine, send one good record, then garbage."""
    ctx = tls.createSecureContext(pems.server_options())
    done = asyncio.get_running_loop().create_future()

    async def handle(reader, writer):
        engine = TLSEngine(ctx._ctx, True)
        try:
            chunk = await reader.read(65536)
            engine.feed(chunk)
            await engine_handshake(engine, reader, writer)
            engine.encrypt(b"good")
            writer.write(engine.outgoing() + CORRUPT_RECORD)
            await writer.drain()
            try:
                await reader.read()
            except ConnectionError:
                pass
        finally:
            engine.free()
            writer.close()
            if not done.done():
                done.set_result(None)

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    port_future.set_result(server.sockets[0].getsockname()[1])
    return server, done


@async_test(10)
async def test_corrupt_record_to_client_matches_node(pems):
    port_future = asyncio.get_running_loop().create_future()
    raw, _ = await serve_then_corrupt(pems, port_future)
    port = await port_future
    try:
        client = tls.connect(port, "localhost", {"ca": pems.ca})
        rec = Recorder(client, "secureConnect", "end", "error", "close")
        got = Collector(client)
        await rec.wait("close")
        async with NodePeer(NODE_CLIENT, {"port": port, "host": "localhost", "ca": pems.path("ca")}) as node:
            node_err = (await node.expect("error"))["error"]
        assert got.data == b"good"
        assert rec.names() == ["secureConnect", "error", "close"]
        (err,) = rec.args("error")[0]
        assert err.code == node_err["code"]
        assert err.code.startswith("ERR_SSL_")
    finally:
        raw.close()
