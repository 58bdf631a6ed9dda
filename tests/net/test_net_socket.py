"""tls.net (Node's net): pipe, timeouts, socket options, refs and byte counters.

Against Node 20 peers over loopback where Node shows the behaviour; the same
harness as tests/net/test_net_event_order.py (tls.run programs run under
support.aio.guarded_run).
"""
from __future__ import annotations

import asyncio
import gc
import socket
import warnings
from typing import Any, Dict, List

import pytest

import tls
from tls import net
from tls._node import runtime as _runtime
from tls.errors import NodeError

from support.aio import arun, future_event, guarded_run, settle, wait, when
from support.net_scripts import JS_PRELUDE, SERVER_JS

MiB = 1024 * 1024


# -- pipe -----------------------------------------------------------------------------------------

ECHO_CLIENT_JS = JS_PRELUDE + r"""
const data = crypto.randomBytes(A.size), h = crypto.createHash('sha256');
const c = net.connect(A.port, '127.0.0.1', () => { c.end(data); });
c.on('data', (d) => h.update(d));
c.on('end', () => out({same: h.digest('hex') === crypto.createHash('sha256').update(data).digest('hex'),
                       read: c.bytesRead}));
"""


def test_pipe_echo_and_proxy(node):
    """socket.pipe(socket) echoes 4 MiB for a Node client; a proxy pipes two of ours."""
    async def body():
        echo = net.createServer(lambda s: s.pipe(s))
        echo.listen(0, "127.0.0.1")
        await wait(when(echo, "listening"))

        def proxy_connection(inbound):
            # half-open on both legs, so each FIN is passed on by pipe()
            outbound = net.connect({"port": echo.address()["port"], "host": "127.0.0.1", "allowHalfOpen": True})
            inbound.pipe(outbound)
            outbound.pipe(inbound)

        proxy = net.createServer({"allowHalfOpen": True}, proxy_connection)
        proxy.listen(0, "127.0.0.1")
        await wait(when(proxy, "listening"))
        for port in (echo.address()["port"], proxy.address()["port"]):
            result = await node(ECHO_CLIENT_JS, {"port": port, "size": 4 * MiB}).recv(20)
            assert result == {"same": True, "read": 4 * MiB}
        for srv in (proxy, echo):
            srv.close()
            await wait(when(srv, "close"))

    arun(body, limit=40)


def test_unpipe_stops_the_copy_and_the_flow():
    """Node's readable.unpipe (the stream rules shared with CryptoStream): the
    destination hears 'unpipe' and gets nothing more; the source stops flowing
    (a new 'data' listener alone does not restart it) until resumed."""
    async def body():
        server = net.createServer()
        server.listen(0, "127.0.0.1")
        await wait(when(server, "listening"))
        accepted = when(server, "connection")
        client = net.connect(server.address()["port"], "127.0.0.1")
        [peer] = await wait(accepted)
        sink = tls.events.EventEmitter()
        got: List[Any] = []
        first = asyncio.get_running_loop().create_future()
        sink.write = lambda chunk: (got.append(bytes(chunk)), first.done() or first.set_result(None))
        sink.end = lambda: got.append("end")
        unpiped = when(sink, "unpipe")
        client.pipe(sink)
        peer.write(b"one")
        await wait(first)
        client.unpipe(sink)
        assert (await wait(unpiped))[0] is client and client.readableFlowing is False
        later: List[Any] = []
        client.on("data", later.append)
        assert client.readableFlowing is False
        ended = when(client, "end")
        peer.end(b"two")
        client.resume()
        await wait(ended)
        assert got == [b"one"] and later == [b"two"]
        client.destroy()
        peer.destroy()
        server.close()
        await wait(when(server, "close"))

    arun(body)


def test_destroy_in_a_drain_listener():
    """A 'drain' listener that destroys the socket: one clean close (asyncio's
    transport must not be asked to finish the connection twice)."""
    async def body():
        received = []
        server = net.createServer({"pauseOnConnect": True}, lambda s: received.append(s))
        server.listen(0, "127.0.0.1")
        await wait(when(server, "listening"))
        client = net.connect(server.address()["port"], "127.0.0.1")
        await wait(when(client, "connect"))
        while client.write(b"x" * 65536):  # until the kernel and the transport hold enough
            pass
        drained, closed = when(client, "drain"), when(client, "close")
        client.on("drain", lambda: client.destroy())
        await settle()
        received[0].resume()  # the server reads: the client's buffer empties, 'drain'
        received[0].on("data", lambda d: None)
        await wait(drained)
        assert await wait(closed) == [False]
        await settle(10)  # the transport's own callbacks run without an error
        received[0].destroy()
        server.close()
        await wait(when(server, "close"))

    arun(body)


# -- timeouts -------------------------------------------------------------------------------------

def test_set_timeout_idle_once_reset_disable(node):
    async def body():
        loop = asyncio.get_running_loop()
        server = node(SERVER_JS, {"recordData": False, "onConnection": r"""
            s.on('data', () => { let i = 0; const iv = setInterval(() => { s.write('x'); if (++i === 5) clearInterval(iv); }, 25); });
        """})
        port = (await server.recv())["port"]
        c = net.connect(port, "127.0.0.1")
        assert c.timeout is None
        await wait(when(c, "connect"))
        stamps: List[tuple] = []
        c.on("timeout", lambda: stamps.append(("timeout", loop.time())))
        c.on("data", lambda d: stamps.append(("data", loop.time())))
        calls: List[int] = []
        # idle: fires once per idle period (the callback form is a once listener)
        start = loop.time()
        c.setTimeout(60, lambda: calls.append(1))
        assert c.timeout == 60
        await wait(when(c, "timeout"))
        assert loop.time() - start >= 0.055
        await asyncio.sleep(0.25)  # nothing to await: no second timeout while still idle
        assert [k for k, _ in stamps] == ["timeout"] and calls == [1]
        # activity re-arms it; reads keep resetting it
        stamps.clear()
        c.setTimeout(100)
        c.write("go")
        await wait(when(c, "timeout"))
        kinds = [k for k, _ in stamps]
        assert kinds == ["data"] * kinds.count("data") + ["timeout"] and kinds.count("data") >= 1
        last_data = max(t for k, t in stamps if k == "data")
        assert stamps[-1][1] - last_data >= 0.095
        assert stamps[-1][1] - start >= 0.1 + 0.025 * 4 - 0.01  # the ticks pushed it out
        # 0 disables
        stamps.clear()
        c.setTimeout(0)
        assert c.timeout == 0
        c.write("y")
        await asyncio.sleep(0.3)  # nothing to await: no timeout any more
        assert [k for k, _ in stamps if k == "timeout"] == []
        closed = future_event(c, "close")
        c.destroy()
        await wait(closed)

    arun(body)


def test_set_timeout_validation():
    async def body():
        s = net.Socket()
        with pytest.raises(NodeError) as info:
            s.setTimeout(-1)
        assert info.value.code == "ERR_OUT_OF_RANGE"
        with pytest.raises(NodeError) as info:
            s.setTimeout("10")
        assert info.value.code == "ERR_INVALID_ARG_TYPE"
        cb = lambda: None  # noqa: E731
        s.setTimeout(10, cb)
        assert s.listenerCount("timeout") == 1
        s.setTimeout(0, cb)
        assert s.listenerCount("timeout") == 0
        s.destroy()

    arun(body)


# -- socket options, refs, counters --------------------------------------------------------------

def test_set_no_delay_and_keep_alive():
    async def body():
        srv = net.createServer(lambda s: None)
        srv.listen(0, "127.0.0.1")
        await wait(when(srv, "listening"))
        c = net.Socket()
        c.setNoDelay(False)          # remembered until connected
        c.setKeepAlive(True, 7000)
        c.connect(srv.address()["port"], "127.0.0.1")
        await wait(when(c, "connect"))
        raw = c._transport.get_extra_info("socket")
        opt = lambda level, name: raw.getsockopt(level, name)  # noqa: E731
        assert opt(socket.IPPROTO_TCP, socket.TCP_NODELAY) == 0
        assert opt(socket.SOL_SOCKET, socket.SO_KEEPALIVE) == 1
        if hasattr(socket, "TCP_KEEPIDLE"):
            assert opt(socket.IPPROTO_TCP, socket.TCP_KEEPIDLE) == 7
        assert c.setNoDelay() is c
        assert opt(socket.IPPROTO_TCP, socket.TCP_NODELAY) != 0
        c.setNoDelay(False)
        assert opt(socket.IPPROTO_TCP, socket.TCP_NODELAY) == 0
        assert c.setKeepAlive(False) is c
        assert opt(socket.SOL_SOCKET, socket.SO_KEEPALIVE) == 0
        c.destroy()
        srv.close()
        await wait(when(srv, "close"))

    arun(body)


def test_run_exits_with_unrefd_server_and_sockets_open():
    """A Node-style script ends while an unref'd server and connection are open."""
    state: Dict[str, Any] = {}

    def main():
        keep = _runtime.setTimeout(lambda: None, 5000)   # keeps it alive until connected
        srv = net.createServer(lambda s: (s.unref(), state.__setitem__("accepted", s)))
        srv.unref()
        state["srv"] = srv

        def on_listening():
            c = net.connect(srv.address()["port"], "127.0.0.1")
            c.unref()
            state["client"] = c
            c.on("connect", lambda: (state.__setitem__("connected", True), _runtime.clearTimeout(keep)))

        srv.listen(0, "127.0.0.1", on_listening)

    elapsed = guarded_run(main)
    try:
        assert state.get("connected") and "accepted" in state
        assert elapsed < 4
        assert state["srv"].listening and not state["client"].destroyed and not state["accepted"].destroyed
    finally:
        # The program ended with them open, as a Node process would; release
        # the descriptors here (the transports die with the closed loop).
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ResourceWarning)
            state["srv"]._sock.close()
            for key in ("client", "accepted"):
                if key in state and state[key]._transport is not None:
                    state[key]._transport._sock.close()
            state.clear()
            gc.collect()


def test_run_waits_for_refd_socket_and_ref_after_unref():
    """A referenced connection keeps tls.run alive until it closes (also after unref() + ref())."""
    log: List[str] = []

    def main():
        def on_connection(s):
            s.on("data", lambda d: None)
            # the server side closes after a while; nothing but the sockets is pending
            _runtime.setTimeout(lambda: s.end(), 300).unref()

        srv = net.createServer(on_connection)
        srv.listen(0, "127.0.0.1", lambda: connect(srv))

        def connect(srv):
            srv.unref()
            c = net.connect(srv.address()["port"], "127.0.0.1")
            c.unref()
            c.ref()
            c.resume()
            c.on("close", lambda had: (log.append("close"), srv.close()))

    elapsed = guarded_run(main)
    assert log == ["close"]
    assert elapsed >= 0.28


def test_bytes_read_and_written(node):
    async def body():
        server = node(SERVER_JS, {"recordData": False, "onConnection": r"""
            let n = 0; s.on('data', (d) => n += d.length); s.on('end', () => { out({n, read: s.bytesRead}); s.end('0123456789'); });
        """})
        port = (await server.recv())["port"]
        c = net.connect(port, "127.0.0.1")
        assert c.bytesWritten == 0 and c.bytesRead == 0
        c.write("héllo")                 # 6 bytes in UTF-8
        c.write(b"\x00" * 10)
        c.write("ff00", "hex")           # 2 bytes
        c.end("€")                       # 3 bytes
        assert c.bytesWritten == 21
        c.resume()
        closed = future_event(c, "close")
        assert await server.recv_key("n") == {"n": 21, "read": 21}
        await wait(closed)
        assert c.bytesRead == 10 and c.bytesWritten == 21

    arun(body)


def test_destroy_soon_ends_then_destroys():
    """Node's socket.destroySoon(): the writable side ends (the peer gets 'end' after the data
    written before), then the socket is destroyed once it finished."""
    async def body():
        server = net.createServer()
        server.listen(0, "127.0.0.1")
        await wait(when(server, "listening"))
        accepted = when(server, "connection")
        client = net.connect(server.address()["port"], "127.0.0.1")
        [peer] = await wait(accepted)
        got: List[bytes] = []
        peer.on("data", got.append)
        peer_ended = when(peer, "end")
        closed = when(client, "close")
        client.write(b"last words")
        client.destroySoon()
        assert client.destroyed is False and client.writable is False
        await wait(peer_ended)
        await wait(closed)
        assert b"".join(got) == b"last words" and client.destroyed is True
        peer.destroy()
        server.close()
        await wait(when(server, "close"))

    arun(body)
