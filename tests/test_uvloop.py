"""The core, Node-style API on uvloop: echo, verification failures, backpressure,
Node and openssl peers, and ``tls.run`` under uvloop's event loop policy.

uvloop is a test dependency (the ``test`` extra): without it every test here
fails (ImportError) rather than being skipped; the import is made inside the
tests so that the rest of the suite still runs.
"""
from __future__ import annotations

import asyncio


import tls

from support.aio import Collector, Hasher, Recorder, async_test, once, send_random
from support.loopback import free_port, listen
from support.node import NODE_CLIENT, NODE_ECHO_SERVER, NodePeer, node_port
from support.openssl import OpenSSLPeer, s_server


def _is_uvloop() -> bool:
    import uvloop
    return isinstance(asyncio.get_running_loop(), uvloop.Loop)


@async_test(15, loop="uvloop")
async def test_echo_between_our_server_and_client(pems):
    assert _is_uvloop()

    def on_secure(sock):
        sock.on("data", lambda d: sock.write(b"echo:" + d))
        sock.on("end", lambda: sock.end())

    server = tls.createServer(pems.server_options(), on_secure)
    port = await listen(server)
    client = tls.connect(port, "localhost", {"ca": pems.ca})
    rec = Recorder(client, "secureConnect", "end", "close", "error")
    got = Collector(client)
    await rec.wait("secureConnect")
    assert client.authorized and client.getProtocol() == "TLSv1.3"
    client.write(b"ping")
    await got.until(b"echo:ping")
    client.end()
    await rec.wait("close")
    assert rec.names() == ["secureConnect", "end", "close"]
    server.close()
    await once(server, "close")


@async_test(15, loop="uvloop")
async def test_verification_failures_are_coded_errors(pems):
    server = tls.createServer(pems.server_options("self"))
    server.on("tlsClientError", lambda err, sock: None)
    port = await listen(server)
    client = tls.connect(port, "localhost", {"ca": pems.ca})
    rec = Recorder(client, "secureConnect", "error", "close")
    (err,) = await rec.wait("error")
    assert err.code == "DEPTH_ZERO_SELF_SIGNED_CERT"
    await rec.wait("close")
    assert "secureConnect" not in rec.names()
    server.close()
    other = tls.createServer(pems.server_options("other"))
    other.on("tlsClientError", lambda err, sock: None)
    port = await listen(other)
    client = tls.connect(port, "localhost", {"ca": pems.ca})
    (err,) = await Recorder(client, "error").wait("error")
    assert err.code == "ERR_TLS_CERT_ALTNAME_INVALID"
    other.close()
    refused = tls.connect(free_port(), "127.0.0.1")
    (err,) = await Recorder(refused, "error").wait("error")
    assert err.code == "ECONNREFUSED"


@async_test(30, loop="uvloop")
async def test_bulk_transfer_with_backpressure(pems):
    hashed = asyncio.get_running_loop().create_future()

    def on_secure(sock):
        hasher = Hasher(sock)
        hasher.done.add_done_callback(lambda f: (hashed.set_result(f.result()), sock.end()))

    server = tls.createServer(pems.server_options(), on_secure)
    port = await listen(server)
    client = tls.connect(port, "localhost", {"ca": pems.ca})
    client.resume()
    await once(client, "secureConnect")
    sent = await send_random(client, 8 * 1024 * 1024, seed=7)
    assert await hashed == sent
    await once(client, "close")
    server.close()


@async_test(20, loop="uvloop")
async def test_our_client_with_a_node_server(pems):
    async with NodePeer(NODE_ECHO_SERVER, pems.node_server_cfg()) as peer:
        port = await node_port(peer)
        client = tls.connect(port, "localhost", {"ca": pems.ca, "ALPNProtocols": ["x"]})
        got = Collector(client)
        await once(client, "secureConnect")
        await got.until(b"hello from node\n")
        client.write(b"from uvloop")
        await got.until(b"echo:from uvloop")
        client.end()
        await got.closed
        assert (await peer.expect("end"))["event"] == "end"
        assert got.errors == []


@async_test(20, loop="uvloop")
async def test_node_client_with_our_server(pems):
    server = tls.createServer(pems.server_options(), lambda s: s.on("data", lambda d: s.write(b"echo:" + d)))
    port = await listen(server)
    cfg = {"port": port, "send": "hi", "expect": "echo:hi", "ca": pems.path("ca"),
           "options": {"servername": "localhost"}}
    async with NodePeer(NODE_CLIENT, cfg) as peer:
        info = await peer.expect("secureConnect")
        assert info["authorized"] is True and info["protocol"] == "TLSv1.3"
        assert (await peer.expect("data"))["text"] == "echo:hi"
        assert (await peer.expect("close"))["hadError"] is False
    server.close()


@async_test(20, loop="uvloop")
async def test_our_client_with_openssl_s_server(pems):
    server, port = await s_server(["-key", pems.path("key"), "-cert", pems.path("cert"), "-naccept", "1"])
    async with server:
        client = tls.connect(port, "localhost", {"ca": pems.ca})
        got = Collector(client)
        await once(client, "secureConnect")
        client.write(b"hello s_server\n")
        await server.until(b"hello s_server\n")
        server.send(b"hello uvloop\n")
        await server.drain()
        await got.until(b"hello uvloop\n")
        client.end()
        await got.closed
        assert b"DONE" in await server.read_rest()


@async_test(20, loop="uvloop")
async def test_openssl_s_client_with_our_server(pems):
    server = tls.createServer(pems.server_options(), lambda s: s.on("data", lambda d: s.write(b"echo:" + d)))
    port = await listen(server)
    argv = ["s_client", "-connect", "127.0.0.1:%d" % port, "-servername", "localhost", "-CAfile", pems.path("ca"),
            "-verify_return_error"]
    async with await OpenSSLPeer().start(argv) as client:
        await client.until(b"Verify return code: 0 (ok)")
        client.send(b"ping\n")
        await client.until(b"echo:ping\n")
        client.send(b"Q\n")
        await client.drain()
        assert await client.exit_code() == 0
    server.close()


def test_tls_run_under_the_uvloop_policy(pems):
    import uvloop   # a missing uvloop fails the test
    seen = {}

    def main():
        seen["loop"] = type(asyncio.get_running_loop())
        server = tls.createServer(pems.server_options(), lambda s: s.end(b"bye"))

        def on_listening():
            client = tls.connect(server.address()["port"], "localhost", {"ca": pems.ca})
            chunks = []
            client.on("data", chunks.append)
            client.on("end", lambda: (seen.update(data=b"".join(chunks)), server.close()))

        server.listen(0, "127.0.0.1", on_listening)
        tls._node.runtime.setTimeout(lambda: (_ for _ in ()).throw(TimeoutError("stalled")), 10000).unref()
        return "done"

    previous = asyncio.get_event_loop_policy()
    asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())
    try:
        assert tls.run(main) == "done"
    finally:
        asyncio.set_event_loop_policy(previous)
    assert seen == {"loop": uvloop.Loop, "data": b"bye"}
