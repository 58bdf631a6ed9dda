"""A tls.Server's accept and handshake in few Python calls (issue 14's second deliverable), with Node's wiring.

The call counts themselves are bounded by tests/test_perf_invariants.py; these check that the
shortcuts behind them keep what a program can see: the package's own listeners of a connection are
there (stored directly only when ``on()`` would have stored them as they are, so a ``'newListener'``
listener still hears them), an accepted connection is started from the accept event itself (no
transport left waiting for a loop callback), and a server connection's echo, counters and
``server.getConnections`` are what they were.  The peers are real: our client and Python's ssl.
"""
from __future__ import annotations

import asyncio
import socket
import ssl

import tls
from tls import net
from tls._node.fd_transport import FdTransport
from tls._objects import csocket

from support.aio import Recorder, async_test, once
from support.loopback import listen


@async_test(20)
async def test_a_server_connection_is_started_from_the_accept_and_keeps_its_listeners(pems):
    loop = asyncio.get_running_loop()
    seen: dict = {}
    done = loop.create_future()

    def on_connection(raw):
        transport = raw._transport
        seen["fd"] = type(transport) is FdTransport
        seen["started"] = not getattr(transport, "_start_pending", False)

    def on_secure(sock):
        # Node's tlsConnectionListener wiring, as Node 20 counts it in 'secureConnection': one
        # 'secure' and one '_tlsError' listener; the raw socket's 'close' and 'error' (the TLS wrap's)
        seen["listeners"] = {name: sock.listenerCount(name) for name in ("_tlsError", "secure")}
        seen["parent"] = {name: sock._parent.listenerCount(name) for name in ("close", "error")}
        sock.on("data", sock.write)
        sock.on("end", sock.end)

        def on_close(*_):
            server.getConnections(lambda err, n: done.set_result((sock.bytesRead, sock.bytesWritten, n)))
        sock.on("close", on_close)

    server = tls.createServer(pems.server_options(), on_secure)
    server.prependListener("connection", on_connection)   # before the TLS wrap takes the transport
    port = await listen(server)

    def client() -> bytes:
        ctx = ssl.create_default_context(cadata=pems.ca.decode())
        with socket.create_connection(("127.0.0.1", port)) as raw:
            with ctx.wrap_socket(raw, server_hostname="localhost") as s:
                s.sendall(b"x" * 64)
                got = b""
                while len(got) < 64:
                    got += s.recv(64 - len(got))
                return got

    assert await loop.run_in_executor(None, client) == b"x" * 64
    read, written, connections = await done
    server.close()
    await once(server, "close")
    # (TLS_C_SOCKET=0: asyncio's transports, started by asyncio)
    assert seen["fd"] == csocket.ENABLED and seen["started"]
    assert seen["listeners"] == {"_tlsError": 1, "secure": 1}
    assert seen["parent"] == {"close": 1, "error": 1}
    assert (read, written) == (64, 64)
    assert connections == 0
    counters = server.getCounters()
    assert counters["bytesRead"] > 64 and counters["bytesWritten"] > 64


@async_test(20)
async def test_wrapping_a_socket_announces_its_listeners_to_new_listener(pems):
    """new tls.TLSSocket(raw) adds 'close' and 'error' listeners to ``raw`` (Node adds them too):
    a 'newListener' listener of ``raw`` hears both (the direct store is for sockets nobody watches)."""
    loop = asyncio.get_running_loop()
    heard = loop.create_future()

    def on_connection(raw):
        seen = []
        raw.on("newListener", lambda event, *_: seen.append(event))
        wrapped = tls.TLSSocket(raw, {"isServer": True, "secureContext": tls.createSecureContext(
            pems.server_options())})
        heard.set_result(seen)
        wrapped.destroy()

    server = net.createServer(on_connection)
    port = await listen(server)
    client = net.connect(port, "127.0.0.1")
    rec = Recorder(client, "close", "error")
    assert {"close", "error"} <= set(await heard)
    await rec.wait("close")
    server.close()
    await once(server, "close")
