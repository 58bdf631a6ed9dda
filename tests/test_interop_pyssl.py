"""Interop with Python's own ``ssl`` module: asyncio streams with an
SSLContext, and blocking ssl-wrapped sockets in a thread.

Python's contexts here do not set OP_IGNORE_UNEXPECTED_EOF, so a blocking
``recv`` returns b"" only on a real close_notify (a bare TCP close raises
SSLEOFError): that is how the threaded tests check our close_notify.
"""
from __future__ import annotations

import asyncio
import socket
import ssl
import threading

import pytest

import tls

from support.aio import Collector, Recorder, async_test, once
from support.loopback import close_server, listen


VERSIONS = {"TLSv1.2": ssl.TLSVersion.TLSv1_2, "TLSv1.3": ssl.TLSVersion.TLSv1_3}


def server_context(pems, version=None, client_ca=False):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(pems.path("cert"), pems.path("key"))
    if version is not None:
        ctx.minimum_version = ctx.maximum_version = VERSIONS[version]
    if client_ca:
        ctx.verify_mode = ssl.CERT_REQUIRED
        ctx.load_verify_locations(pems.path("ca"))
    return ctx


def client_context(pems, version=None, client_cert=False):
    ctx = ssl.create_default_context(cafile=pems.path("ca"))
    if version is not None:
        ctx.minimum_version = ctx.maximum_version = VERSIONS[version]
    if client_cert:
        ctx.load_cert_chain(pems.path("client_cert"), pems.path("client_key"))
    return ctx


def in_thread(fn, *args):
    """Run blocking ``fn`` in a daemon thread; a future for its result."""
    loop = asyncio.get_running_loop()
    fut = loop.create_future()

    def settle(ok, value):
        if not fut.done():
            fut.set_result(value) if ok else fut.set_exception(value)

    def run():
        try:
            result = fn(*args)
        except BaseException as exc:  # noqa: B902 - handed to the test
            loop.call_soon_threadsafe(settle, False, exc)
        else:
            loop.call_soon_threadsafe(settle, True, result)

    threading.Thread(target=run, daemon=True).start()
    return fut


def recv_until(conn, needle):
    data = b""
    while needle not in data:
        chunk = conn.recv(65536)
        if not chunk:
            raise AssertionError("EOF before %r (got %r)" % (needle, data))
        data += chunk
    return data


# -- our client -> asyncio ssl server ------------------------------------------------------

@pytest.mark.parametrize("version", list(VERSIONS))
@async_test(10)
async def test_our_client_to_asyncio_ssl_server(pems, version):
    loop = asyncio.get_running_loop()
    seen = loop.create_future()

    async def handle(reader, writer):
        obj = writer.get_extra_info("ssl_object")
        writer.write(b"hello from asyncio\n")
        line = await reader.readline()
        writer.write(b"echo:" + line)
        await writer.drain()
        rest = await reader.read()      # b"" once our close_notify arrives
        seen.set_result((obj.version(), obj.cipher(), line, rest))
        writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0, ssl=server_context(pems, version))
    port = server.sockets[0].getsockname()[1]
    try:
        client = tls.connect(port, "localhost", {"ca": pems.ca})
        rec = Recorder(client, "secureConnect", "finish", "end", "close", "error")
        got = Collector(client)
        await rec.wait("secureConnect")
        await got.until(b"hello from asyncio\n")
        client.write(b"ping from tls\n")
        await got.until(b"echo:ping from tls\n")
        client.end()
        proto, cipher, line, rest = await seen
        await rec.wait("close")
        assert client.authorized is True
        assert proto == version
        assert line == b"ping from tls\n" and rest == b""
        assert got.data == b"hello from asyncio\necho:ping from tls\n"
        assert "error" not in rec.names()
        assert rec.args("close") == [(False,)]
    finally:
        server.close()


@pytest.mark.parametrize("version", list(VERSIONS))
@async_test(10)
async def test_our_client_getters_match_asyncio_ssl_server(pems, version):
    loop = asyncio.get_running_loop()
    seen = loop.create_future()

    async def handle(reader, writer):
        obj = writer.get_extra_info("ssl_object")
        seen.set_result((obj.version(), obj.cipher()))
        await reader.read()
        writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0, ssl=server_context(pems, version))
    port = server.sockets[0].getsockname()[1]
    try:
        client = tls.connect(port, "localhost", {"ca": pems.ca})
        client.resume()
        await once(client, "secureConnect")
        proto, (name, cipher_proto, _bits) = await seen
        assert client.getProtocol() == proto
        assert client.getCipher()["name"] == name
        client.end()
        await once(client, "close")
    finally:
        server.close()


# -- asyncio ssl client -> our server --------------------------------------------------------

@pytest.mark.parametrize("version", list(VERSIONS))
@async_test(10)
async def test_asyncio_ssl_client_to_our_server(pems, version):
    server = tls.createServer(pems.server_options())
    conns = []

    def on_secure(sock):
        conns.append((sock, Recorder(sock, "end", "finish", "close", "error"), Collector(sock),
                      sock.getProtocol(), sock.getCipher()))
        sock.write(b"hello from tls\n")
        sock.on("data", lambda d: sock.write(b"echo:" + d))

    server.on("secureConnection", on_secure)
    port = await listen(server)
    reader, writer = await asyncio.open_connection("127.0.0.1", port, ssl=client_context(pems, version),
                                                   server_hostname="localhost")
    obj = writer.get_extra_info("ssl_object")
    assert await reader.readline() == b"hello from tls\n"
    writer.write(b"ping from asyncio\n")
    assert await reader.readline() == b"echo:ping from asyncio\n"
    sock, rec, got, protocol, cipher = conns[0]
    assert (protocol, cipher["name"]) == (obj.version(), obj.cipher()[0]) and protocol == version
    writer.close()                       # close_notify
    await rec.wait("close")
    assert got.data == b"ping from asyncio\n"
    assert "end" in rec.names() and "error" not in rec.names(), rec.log
    try:
        await writer.wait_closed()
    except (ConnectionError, ssl.SSLError):
        pass
    close_server(server)


@async_test(10)
async def test_asyncio_ssl_client_cert_to_our_server(pems):
    server = tls.createServer(pems.server_options(requestCert=True, ca=pems.ca))
    seen = []

    def on_secure(sock):
        seen.append((sock.authorized, sock.authorizationError, sock.getPeerCertificate()["subject"]["CN"]))
        sock.end(b"welcome\n")

    server.on("secureConnection", on_secure)
    port = await listen(server)
    reader, writer = await asyncio.open_connection("127.0.0.1", port, ssl=client_context(pems, client_cert=True),
                                                   server_hostname="localhost")
    assert await reader.read() == b"welcome\n"
    writer.close()
    assert seen == [(True, None, "client")]
    close_server(server)


@async_test(10)
async def test_our_client_cert_to_asyncio_ssl_server(pems):
    loop = asyncio.get_running_loop()
    seen = loop.create_future()

    async def handle(reader, writer):
        peer = writer.get_extra_info("peercert")
        seen.set_result(dict(x[0] for x in peer["subject"]))
        writer.write(b"ok\n")
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0, ssl=server_context(pems, client_ca=True))
    port = server.sockets[0].getsockname()[1]
    try:
        client = tls.connect(port, "localhost", {"ca": pems.ca, "key": pems.client_key,
                                                  "cert": pems.client_cert})
        got = Collector(client)
        await once(client, "secureConnect")
        assert (await seen)["commonName"] == "client"
        await got.closed
        assert got.data == b"ok\n" and not got.errors
    finally:
        server.close()


# -- blocking ssl sockets in a thread --------------------------------------------------------

@async_test(10)
async def test_our_client_to_threaded_ssl_server(pems):
    ctx = server_context(pems)
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(8)
    port = listener.getsockname()[1]

    def serve():
        raw, _ = listener.accept()
        raw.settimeout(8)
        with ctx.wrap_socket(raw, server_side=True) as conn:
            version = conn.version()
            conn.sendall(b"hello from thread\n")
            line = recv_until(conn, b"\n")
            conn.sendall(b"echo:" + line)
            rest = b""
            while True:
                chunk = conn.recv(65536)     # SSLEOFError unless close_notify came
                if not chunk:
                    break
                rest += chunk
            conn.unwrap()                    # our close_notify back
            return line, rest, version

    result = in_thread(serve)
    try:
        client = tls.connect(port, "localhost", {"ca": pems.ca})
        rec = Recorder(client, "secureConnect", "finish", "end", "close", "error")
        got = Collector(client)
        await rec.wait("secureConnect")
        protocol = client.getProtocol()
        await got.until(b"hello from thread\n")
        client.write(b"ping\nmore after the line")
        await got.until(b"echo:ping\n")
        client.end()
        line, rest, version = await result
        await rec.wait("close")
        assert line + rest == b"ping\nmore after the line"
        assert version == protocol
        assert rec.names() == ["secureConnect", "finish", "end", "close"]
        assert rec.args("close") == [(False,)]
    finally:
        listener.close()


@async_test(10)
async def test_threaded_ssl_client_to_our_server(pems):
    server = tls.createServer(pems.server_options())
    conns = []

    def on_secure(sock):
        conns.append((sock, Recorder(sock, "end", "finish", "close", "error"), Collector(sock)))
        sock.write(b"hello from tls\n")
        sock.on("data", lambda d: sock.write(b"echo:" + d))

    server.on("secureConnection", on_secure)
    port = await listen(server)
    ctx = client_context(pems)

    def client():
        raw = socket.create_connection(("127.0.0.1", port), timeout=8)
        conn = ctx.wrap_socket(raw, server_hostname="localhost")
        greeting = recv_until(conn, b"\n")
        conn.sendall(b"ping from thread")
        echo = recv_until(conn, b"echo:ping from thread")
        # sends close_notify, then waits for ours (our server ends back)
        plain = conn.unwrap()
        leftover = plain.recv(1)
        plain.close()
        return greeting, echo, leftover

    greeting, echo, leftover = await in_thread(client)
    assert greeting == b"hello from tls\n"
    assert echo == b"echo:ping from thread"
    assert leftover == b""      # nothing after the close_notify, then FIN
    sock, rec, got = conns[0]
    await rec.wait("close")
    assert got.data == b"ping from thread"
    assert rec.names()[:1] == ["end"] and "error" not in rec.names(), rec.log
    close_server(server)
