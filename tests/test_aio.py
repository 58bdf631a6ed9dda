"""The awaitable face (tls._node.aio): ``await server.listen()``, ``tls.connectAsync``,
``await sock.readAsync()`` / ``async for``, ``drain``, ``endAsync``, ``async with``,
on asyncio's default loop and on uvloop, against our own peers and Node's.

Every test runs once per loop factory (``async_test(loop=FROM_FIXTURE)`` and
the ``loop_name`` fixture, tests/support/aio.py and tests/conftest.py).  uvloop is a test dependency: without it the uvloop runs fail
(ImportError), they are not skipped.
"""
from __future__ import annotations

import asyncio
import hashlib
import os

import pytest

import tls
from tls import net

from support.aio import FROM_FIXTURE, async_test
from support.loopback import free_port
from support.node import NODE_CLIENT, NODE_ECHO_SERVER, NodePeer, node_port

def _loop_kind(loop_name: str) -> None:
    loop = asyncio.get_running_loop()
    assert (type(loop).__module__.split(".")[0] == "uvloop") == (loop_name == "uvloop"), type(loop)


# -- servers: await listen / close ------------------------------------------------------------

@async_test(15, loop=FROM_FIXTURE)
async def test_await_listen_resolves_to_the_server_and_await_close_to_closed(loop_name, pems):
    _loop_kind(loop_name)
    server = tls.createServer(pems.server_options())
    seen = []
    server.on("listening", lambda: seen.append("listening"))
    server.on("close", lambda: seen.append("close"))
    assert await server.listen(0, "127.0.0.1") is server
    assert seen == ["listening"] and server.listening and server.address()["port"] > 0
    assert await server.close() is server
    assert seen == ["listening", "close"] and not server.listening
    # a server with nothing pending is settled already
    assert await tls.createServer(pems.server_options()) is not None


@async_test(15, loop=FROM_FIXTURE)
async def test_listen_callbacks_still_work_node_style(loop_name, pems):
    server = tls.createServer(pems.server_options())
    listening = asyncio.get_running_loop().create_future()
    assert server.listen(0, "127.0.0.1", lambda: listening.set_result(server.address()["port"])) is server
    assert await listening > 0
    await server.closeAsync()
    with pytest.raises(tls.NodeError) as info:
        await server.closeAsync()          # Node's close(cb) gets ERR_SERVER_NOT_RUNNING
    assert info.value.code == "ERR_SERVER_NOT_RUNNING"


@async_test(15, loop=FROM_FIXTURE)
async def test_await_listen_raises_the_listen_error(loop_name, pems):
    first = await tls.createServer(pems.server_options()).listen(0, "127.0.0.1")
    port = first.address()["port"]
    second = tls.createServer(pems.server_options())
    with pytest.raises(tls.NodeError) as info:
        await second.listen(port, "127.0.0.1")
    assert info.value.code == "EADDRINUSE" and info.value.syscall == "listen"
    assert not second.listening
    await first.close()


@async_test(15, loop=FROM_FIXTURE)
async def test_async_with_server_closes_it_and_waits_for_its_connections(loop_name, pems):
    order = []

    async def on_secure(sock):
        await sock.endAsync(b"bye\n")

    async with tls.createServer(pems.server_options(), on_secure) as server:
        await server.listen(0, "127.0.0.1")
        server.on("close", lambda: order.append("server close"))
        async with await tls.connectAsync(server.address()["port"], "localhost", ca=[pems.ca]) as client:
            assert [chunk async for chunk in client] == [b"bye\n"]
        order.append("client done")
    assert order == ["client done", "server close"]
    assert not server.listening and server.connections == 0


# -- connectAsync ------------------------------------------------------------------------

@async_test(15, loop=FROM_FIXTURE)
async def test_connect_async_read_and_async_for_with_our_server(loop_name, pems):
    _loop_kind(loop_name)

    async def echo(sock):
        async for chunk in sock:        # until the client's end
            sock.write(chunk.upper())
            await sock.drain()
        await sock.endAsync(b"END")       # after the client's end: allowHalfOpen

    server = await tls.createServer(pems.server_options(allowHalfOpen=True), echo).listen(0, "127.0.0.1")
    sock = await tls.connectAsync({"port": server.address()["port"], "host": "localhost", "ca": [pems.ca]})
    assert isinstance(sock, tls.TLSSocket) and sock.authorized and not sock.secureConnecting
    sock.write(b"hello")
    assert await sock.readAsync() == b"HELLO"
    sock.write(b"abcdef")
    assert await sock.readAsync(2) == b"AB"          # at most n bytes; the rest stays queued
    assert await sock.readAsync() == b"CDEF"
    await sock.endAsync()
    assert sock.writableFinished
    assert [chunk async for chunk in sock] == [b"END"]
    assert await sock.readAsync() == b""               # the end, again
    await server.close()


@async_test(15, loop=FROM_FIXTURE)
async def test_connect_async_raises_the_verification_error(loop_name, pems):
    server = await tls.createServer(pems.server_options()).listen(0, "127.0.0.1")
    port = server.address()["port"]
    with pytest.raises(tls.NodeError) as info:
        await tls.connectAsync(port, "localhost")               # no ca: the system roots
    assert info.value.code == "UNABLE_TO_VERIFY_LEAF_SIGNATURE"
    with pytest.raises(tls.NodeError) as info:
        await tls.connectAsync(port, "127.0.0.1", {"ca": [pems.ca], "servername": "other.example"})
    assert info.value.code == "ERR_TLS_CERT_ALTNAME_INVALID"
    await server.close()


@async_test(15, loop=FROM_FIXTURE)
async def test_connect_async_raises_econnrefused(loop_name):
    port = free_port()
    with pytest.raises(tls.NodeError) as info:
        await tls.connectAsync(port, "127.0.0.1")
    assert info.value.code == "ECONNREFUSED" and info.value.port == port
    with pytest.raises(tls.NodeError) as info:
        await net.connectAsync(port, "127.0.0.1")
    assert info.value.code == "ECONNREFUSED"


@async_test(15, loop=FROM_FIXTURE)
async def test_cancelling_connect_async_destroys_the_socket(loop_name, pems):
    made = []
    real_connect = tls._faces.aio.connect

    def recording_connect(*args, **kwargs):
        made.append(real_connect(*args, **kwargs))
        return made[-1]

    hung = await net.createServer(lambda s: s.resume()).listen(0, "127.0.0.1")   # TCP only: no handshake
    tls._faces.aio.connect = recording_connect
    try:
        task = asyncio.ensure_future(tls.connectAsync(hung.address()["port"], "127.0.0.1"))
        await tls.events.once(hung, "connection")
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
    finally:
        tls._faces.aio.connect = real_connect
    assert made and made[0].destroyed
    await hung.close()


# -- reading -------------------------------------------------------------------------------

@async_test(15, loop=FROM_FIXTURE)
async def test_read_and_data_listeners_both_see_every_byte_once(loop_name, pems):
    payload = os.urandom(300 * 1024)

    async def send(sock):
        sock.write(payload[:1000])
        await sock.endAsync(payload[1000:])

    server = await tls.createServer(pems.server_options(), send).listen(0, "127.0.0.1")
    sock = await tls.connectAsync(server.address()["port"], "localhost", ca=[pems.ca])
    heard = []
    sock.on("data", heard.append)           # a 'data' listener and read() on the same socket
    read = []
    while True:
        chunk = await sock.readAsync()
        if not chunk:
            break
        read.append(chunk)
    assert b"".join(read) == payload
    assert b"".join(heard) == payload
    assert len(read) == len(heard)          # the same chunks, none twice
    await server.close()


@async_test(15, loop=FROM_FIXTURE)
async def test_read_works_on_a_paused_socket_and_with_an_encoding(loop_name, pems):
    async def send(sock):
        await sock.endAsync("h\u00e9llo w\u00f6rld")

    server = await tls.createServer(pems.server_options(), send).listen(0, "127.0.0.1")
    sock = await tls.connectAsync(server.address()["port"], "localhost", ca=[pems.ca])
    sock.pause()
    sock.setEncoding("utf8")
    text = ""
    async for chunk in sock:
        text += chunk
    assert text == "h\u00e9llo w\u00f6rld"
    assert await sock.readAsync() == ""
    await server.close()


@async_test(30, loop=FROM_FIXTURE)
async def test_read_applies_backpressure_and_drain_waits(loop_name, pems):
    total = 16 * 1024 * 1024           # more than loopback's socket buffers hold
    payload = os.urandom(total)
    waits = {"drain": 0}

    async def send(sock):
        view = memoryview(payload)
        for offset in range(0, total, 64 * 1024):
            if not sock.write(view[offset:offset + 64 * 1024]):
                waits["drain"] += 1
                await sock.drain()
        await sock.endAsync()

    server = await tls.createServer(pems.server_options(), send).listen(0, "127.0.0.1")
    sock = await tls.connectAsync(server.address()["port"], "localhost", ca=[pems.ca])
    paused = asyncio.get_running_loop().create_future()
    push = sock._push

    def watching_push(chunk):   # the socket stops its transport once its own buffer is full
        push(chunk)
        if sock._reading_paused and not paused.done():
            paused.set_result(sock.bytesRead)

    sock._push = watching_push
    first = await sock.readAsync()
    read_when_paused = await paused
    # nobody reads: the reader holds one high-water mark, the socket another, then TCP pushes back
    assert sock._aio_reader.size <= sock.readableHighWaterMark + 256 * 1024
    assert sock.readableLength >= sock.readableHighWaterMark
    assert read_when_paused < 2 * 1024 * 1024 < total
    digest = hashlib.sha256(first)
    count = len(first)
    async for chunk in sock:
        digest.update(chunk)
        count += len(chunk)
    assert count == total and digest.digest() == hashlib.sha256(payload).digest()
    assert waits["drain"] > 0              # the sender really waited in drain()
    await server.close()


@async_test(15, loop=FROM_FIXTURE)
async def test_read_raises_the_socket_error_or_premature_close(loop_name, pems):
    def on_secure(s):
        s.on("error", lambda err: None)     # the client's abort may reach it as ECONNRESET
        s.resume()

    server = await tls.createServer(pems.server_options(), on_secure).listen(0, "127.0.0.1")
    port = server.address()["port"]
    sock = await tls.connectAsync(port, "localhost", ca=[pems.ca])
    pending = asyncio.ensure_future(sock.readAsync())
    await asyncio.sleep(0)
    sock.destroy(tls.NodeError("boom", "EBOOM"))
    with pytest.raises(tls.NodeError) as info:
        await pending
    assert info.value.code == "EBOOM"
    with pytest.raises(tls.NodeError):
        await sock.readAsync()                    # and every read after
    sock = await tls.connectAsync(port, "localhost", ca=[pems.ca])
    pending = asyncio.ensure_future(sock.readAsync())
    await asyncio.sleep(0)
    sock.destroy()
    with pytest.raises(tls.NodeError) as info:
        await pending
    assert info.value.code == "ERR_STREAM_PREMATURE_CLOSE"
    with pytest.raises(tls.NodeError) as info:
        await sock.drain()
    assert info.value.code == "ERR_STREAM_DESTROYED"
    await server.close()


@async_test(15, loop=FROM_FIXTURE)
async def test_async_with_socket_ends_and_destroys_it(loop_name, pems):
    got = asyncio.get_running_loop().create_future()

    errors = []

    def on_secure(sock):
        chunks = []
        sock.on("data", chunks.append)
        sock.on("end", lambda: got.done() or got.set_result(b"".join(chunks)))
        sock.on("error", errors.append)     # the destroyed one below: an abort

    server = await tls.createServer(pems.server_options(), on_secure).listen(0, "127.0.0.1")
    async with await tls.connectAsync(server.address()["port"], "localhost", ca=[pems.ca]) as sock:
        sock.write(b"last words")
    assert sock.destroyed and sock.closed
    assert await got == b"last words"      # end() first: close_notify, so the server saw a clean end
    assert errors == []                    # and it answered with its own end before we closed
    with pytest.raises(RuntimeError):
        async with await tls.connectAsync(server.address()["port"], "localhost", ca=[pems.ca]) as sock:
            raise RuntimeError("the block failed")
    assert sock.destroyed and sock.closed
    await server.close()


# -- net.Socket / net.Server share it ------------------------------------------------------

@async_test(15, loop=FROM_FIXTURE)
async def test_net_socket_and_server(loop_name):
    async def echo(sock):
        async for chunk in sock:
            sock.write(chunk[::-1])
        await sock.endAsync()

    async with net.createServer(echo) as server:
        await server.listen(0, "127.0.0.1")
        async with await net.connectAsync(server.address()["port"], "127.0.0.1") as sock:
            assert isinstance(sock, net.Socket) and not isinstance(sock, tls.TLSSocket)
            sock.write(b"abc")
            assert await sock.readAsync() == b"cba"
            await sock.endAsync()
            assert await sock.readAsync() == b""


# -- Node peers ---------------------------------------------------------------------------

@async_test(20, loop=FROM_FIXTURE)
async def test_connect_async_to_a_node_server(loop_name, pems):
    async with NodePeer(NODE_ECHO_SERVER, pems.node_server_cfg()) as peer:
        port = await node_port(peer)
        sock = await tls.connectAsync(port, "localhost", ca=[pems.ca])
        assert sock.authorized and sock.getProtocol() == "TLSv1.3"
        assert await sock.readAsync() == b"hello from node\n"
        sock.write(b"ping")
        assert await sock.readAsync() == b"echo:ping"
        await sock.endAsync()
        assert (await peer.expect("end"))["event"] == "end"
        assert [chunk async for chunk in sock] == []


@async_test(20, loop=FROM_FIXTURE)
async def test_node_client_to_an_async_handler(loop_name, pems):
    async def handler(sock):
        sock.write(b"welcome\n")
        async for chunk in sock:
            sock.write(b"echo:" + chunk)
            await sock.drain()
        await sock.endAsync()

    async with tls.createServer(pems.server_options(), handler) as server:
        await server.listen(0, "127.0.0.1")
        cfg = {"port": server.address()["port"], "send": "from node", "expect": "echo:from node",
               "ca": pems.path("ca"), "options": {"servername": "localhost"}}
        async with NodePeer(NODE_CLIENT, cfg) as peer:
            assert (await peer.expect("secureConnect"))["authorized"] is True
            assert "echo:from node" in (await peer.expect("data"))["text"]
            assert (await peer.expect("close"))["hadError"] is False
