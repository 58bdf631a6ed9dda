"""``sock = await tls.connect(...)`` / ``await net.connect(...)`` / ``await server.listen(...)``:
the objects Node returns are awaitable; the Node forms (callback, the returned socket, 'error'
listeners) are unchanged, and a socket nobody awaits neither warns nor lingers."""
from __future__ import annotations

import asyncio
import gc
import warnings
import weakref

import pytest

import tls

from support.aio import FROM_FIXTURE, async_test, when
from support.loopback import free_port, listen
from support.node import NODE_ECHO_SERVER, NodePeer, node_port


@async_test(15, loop=FROM_FIXTURE)
async def test_await_connect_resolves_at_secure_connect(pems, loop_name):
    server = tls.createServer(pems.server_options(), lambda sock: sock.end(b"hi"))
    port = await listen(server)
    seen = []
    sock = tls.connect(port, "localhost", {"ca": pems.ca}, lambda: seen.append("callback"))
    sock.on("secureConnect", lambda: seen.append("listener"))
    assert await sock is sock                      # the socket connect() returned, now verified
    assert seen == ["callback", "listener"] and sock.authorized and not sock.secureConnecting
    assert await sock.readAsync() == b"hi"
    assert await sock is sock                      # established already: at once
    sock.destroy()
    server.close()


@async_test(15, loop=FROM_FIXTURE)
async def test_await_connect_raises_the_connection_error(pems, loop_name):
    server = tls.createServer(pems.server_options())
    server.on("tlsClientError", lambda *_: None)
    port = await listen(server)
    with pytest.raises(tls.NodeError) as info:
        await tls.connect(port, "localhost")           # the system roots do not know our CA
    assert info.value.code == "UNABLE_TO_VERIFY_LEAF_SIGNATURE"
    server.close()
    with pytest.raises(tls.NodeError) as refused:
        await tls.connect(free_port(), "127.0.0.1", ca=pems.ca)
    assert refused.value.code == "ECONNREFUSED"


@async_test(15)
async def test_await_after_the_failure_raises_it_and_listeners_still_get_it(pems):
    sock = tls.connect(free_port(), "127.0.0.1", ca=pems.ca)
    errors = []
    sock.on("error", errors.append)
    await when(sock, "close")
    assert [e.code for e in errors] == ["ECONNREFUSED"]
    with pytest.raises(tls.NodeError) as info:
        await sock                                      # destroyed before it was established
    assert info.value is errors[0]


@async_test(15)
async def test_await_against_a_node_server(pems):
    async with NodePeer(NODE_ECHO_SERVER, pems.node_server_cfg()) as peer:
        port = await node_port(peer)
        sock = await tls.connect(port, "localhost", ca=pems.ca)
        assert sock.getProtocol() == "TLSv1.3"
        assert await sock.readAsync() == b"hello from node\n"
        sock.write(b"ping")
        assert await sock.readAsync() == b"echo:ping"
        sock.destroy()


@async_test(15, loop=FROM_FIXTURE)
async def test_await_net_connect_and_listen(loop_name):
    server = await tls.net.createServer(lambda s: s.end(b"plain")).listen(0, "127.0.0.1")
    assert isinstance(server, tls.net.Server) and server.listening   # listen() returns the server, as in Node
    sock = await tls.net.connect(server.address()["port"], "127.0.0.1")
    assert isinstance(sock, tls.net.Socket) and not sock.connecting
    assert await sock.readAsync() == b"plain"
    sock.destroy()
    with pytest.raises(tls.NodeError) as info:
        await tls.net.connect(free_port(), "127.0.0.1")
    assert info.value.code == "ECONNREFUSED"
    server.close()


@async_test(15)
async def test_a_server_socket_is_established_when_handed_over(pems):
    """An accepted net.Socket is connected from the start (Node emits no 'connect' for it); a
    tls.Server's socket is secure by 'secureConnection': awaiting either returns it at once."""
    awaited = asyncio.get_running_loop().create_future()

    async def on_connection(sock):
        awaited.set_result(await asyncio.wait_for(sock, 5) is sock)
        sock.end(b"x")

    plain = await tls.net.createServer(on_connection).listen(0, "127.0.0.1")
    client = await tls.net.connect(plain.address()["port"], "127.0.0.1")
    assert await awaited
    client.destroy()
    plain.close()

    secured = asyncio.get_running_loop().create_future()

    async def on_secure(sock):
        secured.set_result(await asyncio.wait_for(sock, 5) is sock and sock.authorized is False)
        sock.end(b"x")

    server = await tls.createServer(pems.server_options(), on_secure).listen(0, "127.0.0.1")
    client = await tls.connect(server.address()["port"], "localhost", ca=pems.ca)
    assert await secured
    client.destroy()
    server.close()


@async_test(15)
async def test_await_tls_server_listen_and_its_error(pems):
    server = await tls.createServer(pems.server_options()).listen(0, "127.0.0.1")
    assert isinstance(server, tls.Server) and server.listening
    with pytest.raises(tls.NodeError) as info:
        await tls.createServer(pems.server_options()).listen(server.address()["port"], "127.0.0.1")
    assert info.value.code == "EADDRINUSE"
    server.close()


@async_test(15)
async def test_cancelling_the_await_destroys_the_socket(pems):
    # a server that never answers the ClientHello: a raw TCP listener
    held = []   # the writers, kept: a collected StreamWriter closes its connection (3.12+)
    raw = await asyncio.start_server(lambda r, w: held.append(w), "127.0.0.1", 0)
    port = raw.sockets[0].getsockname()[1]
    sock = tls.connect(port, "localhost", ca=pems.ca)
    with pytest.raises(asyncio.TimeoutError):
        await asyncio.wait_for(sock, 0.2)
    assert sock.destroyed
    for writer in held:
        writer.close()
    raw.close()


@async_test(15)
async def test_an_unawaited_socket_does_not_warn_or_linger(pems):
    server = tls.createServer(pems.server_options(), lambda s: s.end())
    port = await listen(server)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        sock = tls.connect(port, "localhost", {"ca": pems.ca})   # Node style: never awaited
        await when(sock, "secureConnect")
        sock.destroy()
        await when(sock, "close")
        ref = weakref.ref(sock)
        del sock
        for _ in range(3):
            await asyncio.sleep(0)
        gc.collect()
    assert ref() is None
    assert not [w for w in caught if "never awaited" in str(w.message)], [str(w.message) for w in caught]
    server.close()


def test_a_main_returning_a_socket_leaves_its_error_to_the_listeners(pems):
    """tls.run awaits what main returns, except a socket: its errors are its listeners' (Node)."""
    seen = []

    def main():
        sock = tls.connect(free_port(), "127.0.0.1", ca=pems.ca)
        sock.on("error", lambda err: seen.append(err.code))
        return sock

    assert isinstance(tls.run(main), tls.TLSSocket)
    assert seen == ["ECONNREFUSED"]
