"""The socket driven from C (issue 14: csrc/sockio.c, tls._protocol.sockio, tls._node.fd_transport).

Each scenario runs with the switch on (the default; the ``c_socket`` fixture makes sure of it in this
process) and, where the outcome must be the same, with it off too (as TLS_C_SOCKET=0 at import): the
events, errors and byte counts of the socket driven from C are those of the asyncio transport.
The peers are real: our own client or server, Node 20, Python's ssl.
"""
from __future__ import annotations

import asyncio
import socket
import ssl
import struct

import pytest

import tls
from tls._node.fd_transport import FdTransport, transport_factory
from tls._objects import csocket

from support.aio import Collector, Hasher, Recorder, async_test, once, send_random
from support.loopback import listen
from support.node import NODE_CLIENT, NodePeer


@pytest.fixture(params=["c", "asyncio"])
def mode(request, monkeypatch):
    """'c': tls.Server's and tls.connect's TCP sockets driven from C; 'asyncio': the transport path."""
    if request.param == "c":
        _enable(monkeypatch)
    else:
        _disable(monkeypatch)
    return request.param


@pytest.fixture
def c_socket(monkeypatch):
    _enable(monkeypatch)


def _enable(monkeypatch):
    monkeypatch.setattr(csocket, "ENABLED", True)
    monkeypatch.setattr(tls.Server, "_fd_transport_factory", staticmethod(transport_factory), raising=False)
    monkeypatch.setattr(tls.TLSSocket, "_fd_transport_factory", staticmethod(transport_factory), raising=False)


def _disable(monkeypatch):
    """As TLS_C_SOCKET=0 at import."""
    monkeypatch.setattr(csocket, "ENABLED", False)
    monkeypatch.setattr(tls.Server, "_fd_transport_factory", None, raising=False)
    monkeypatch.setattr(tls.TLSSocket, "_fd_transport_factory", None, raising=False)


def _driven_from_c(sock) -> bool:
    return type(sock._transport) is FdTransport and sock._conn.sockio is not None


async def _echo_round(pems, mode_name):
    seen = {}
    done = asyncio.get_running_loop().create_future()

    def on_secure(sock):
        seen["server_c"] = _driven_from_c(sock)
        sock.on("data", lambda d: sock.write(b"echo:" + d))
        sock.on("end", lambda: sock.end())
        sock.on("close", lambda *a: done.done() or done.set_result((sock.bytesRead, sock.bytesWritten)))

    server = tls.createServer(pems.server_options(), on_secure)
    port = await listen(server)
    client = tls.connect(port, "localhost", {"ca": pems.ca})
    rec = Recorder(client, "secureConnect", "end", "finish", "close", "error")
    got = Collector(client)
    await rec.wait("secureConnect")
    seen["client_c"] = _driven_from_c(client)
    for i in range(20):
        client.write(b"ping%d" % i)
        await got.until(b"echo:ping%d" % i)
    client.end()
    await rec.wait("close")
    server_counts = await done
    server.close()
    await once(server, "close")
    counters = server.getCounters()
    return {"events": rec.names(), "data": got.data, "client": (client.bytesRead, client.bytesWritten),
            "server": server_counts, "network": (counters["bytesRead"] > 0, counters["bytesWritten"] > 0),
            "c": (seen["server_c"], seen["client_c"])}


@pytest.mark.parametrize("loop_name", ["asyncio", "uvloop"])
def test_echo_is_the_same_driven_from_c(pems, mode, loop_name):
    @async_test(20, loop=None if loop_name == "asyncio" else "uvloop")
    async def body(pems):
        return await _echo_round(pems, mode)

    result = body(pems)
    expected_c = (True, True) if mode == "c" else (False, False)
    assert result.pop("c") == expected_c
    assert result == {
        "events": ["secureConnect", "finish", "end", "close"],
        "data": b"".join(b"echo:ping%d" % i for i in range(20)),
        "client": (sum(len(b"echo:ping%d" % i) for i in range(20)), sum(len(b"ping%d" % i) for i in range(20))),
        "server": (sum(len(b"ping%d" % i) for i in range(20)), sum(len(b"echo:ping%d" % i) for i in range(20))),
        "network": (True, True),
    }


@async_test(30)
async def test_a_full_kernel_buffer_queues_in_the_write_bio_until_write_ready(pems, c_socket):
    """The server does not read until the client's writes back up: the records the kernel refused
    wait in the write BIO (the transport reports them as its buffer, 'drain' follows), then
    everything arrives intact and in order."""
    hashed = asyncio.get_running_loop().create_future()
    secured = asyncio.get_running_loop().create_future()

    def on_secure(sock):
        secured.set_result(sock)
        sock.pause()
        hasher = Hasher(sock)
        hasher.done.add_done_callback(lambda f: (hashed.set_result(f.result()), sock.end()))

    server = tls.createServer(pems.server_options(), on_secure)
    port = await listen(server)
    client = tls.connect(port, "localhost", {"ca": pems.ca})
    client.resume()
    await once(client, "secureConnect")
    assert _driven_from_c(client)
    chunk = b"z" * 65536
    # write() returns False at the high-water mark at once (the bytes count until the next tick, as
    # Node's): keep writing until the kernel refuses and C queues (bounded: the buffers are MBs)
    for _ in range(4096):
        client.write(chunk)
        if client._transport.get_write_buffer_size():
            break
    # the kernel's buffers are full: what is left waits in C, the write-ready event is armed
    queued = client._transport.get_write_buffer_size()
    assert queued > 0 and client._transport._writing
    drained = asyncio.ensure_future(once(client, "drain"))
    (await secured).resume()
    await drained
    sent = await send_random(client, 2 * 1024 * 1024, seed=3, end=False)
    client.end()
    count, _digest = await hashed
    assert count >= sent[0] + 65536
    await once(client, "close")
    server.close()


def test_a_peer_reset_is_econnreset_as_on_the_asyncio_path(pems, mode):
    """A Python ssl client completes the handshake, then resets the connection (SO_LINGER 0)."""
    @async_test(20)
    async def body(pems):
        loop = asyncio.get_running_loop()
        result = loop.create_future()

        def on_secure(sock):
            rec = Recorder(sock, "end", "error", "close")
            used_c = _driven_from_c(sock)
            sock.on("data", lambda d: None)
            sock.on("close", lambda *a: result.set_result(
                ([n for n in rec.names() if n != "end"], [getattr(e, "code", e) for (e,) in rec.args("error")],
                 used_c)))

        server = tls.createServer(pems.server_options(), on_secure)
        port = await listen(server)
        ctx = ssl.create_default_context(cadata=pems.ca.decode())

        def client():
            raw = socket.create_connection(("127.0.0.1", port))
            s = ctx.wrap_socket(raw, server_hostname="localhost")
            s.sendall(b"hello")
            s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            s.close()

        await loop.run_in_executor(None, client)
        outcome = await asyncio.wait_for(result, 10)
        server.close()
        return outcome

    names, codes, used_c = body(pems)
    assert names == ["error", "close"] and codes == ["ECONNRESET"]
    assert used_c == (mode == "c")


@async_test(20)
async def test_half_open_server_writes_after_the_clients_end(pems, c_socket):
    def on_secure(sock):
        assert _driven_from_c(sock)
        sock.on("data", lambda d: None)
        sock.on("end", lambda: (sock.write(b"after your end"), sock.end()))

    server = tls.createServer({**pems.server_options(), "allowHalfOpen": True}, on_secure)
    port = await listen(server)
    client = tls.connect(port, "localhost", {"ca": pems.ca, "allowHalfOpen": True})
    got = Collector(client)
    rec = Recorder(client, "end", "close")
    await once(client, "secureConnect")
    client.end(b"bye")
    await got.ended
    assert got.data == b"after your end"
    await rec.wait("close")
    assert rec.names() == ["end", "close"]
    server.close()


@async_test(20)
async def test_a_node_client_with_our_server_driven_from_c(pems, c_socket):
    served = []

    def on_secure(sock):
        served.append(_driven_from_c(sock))
        sock.on("data", lambda d: sock.write(b"echo:" + d))

    server = tls.createServer(pems.server_options(), on_secure)
    port = await listen(server)
    cfg = {"port": port, "send": "hi", "expect": "echo:hi", "ca": pems.path("ca"),
           "options": {"servername": "localhost"}}
    async with NodePeer(NODE_CLIENT, cfg) as peer:
        info = await peer.expect("secureConnect")
        assert info["authorized"] is True and info["protocol"] == "TLSv1.3"
        assert (await peer.expect("data"))["text"] == "echo:hi"
        assert (await peer.expect("close"))["hadError"] is False
    assert served == [True]
    server.close()


@async_test(20)
async def test_connect_failures_keep_their_node_errors(c_socket):
    from support.loopback import free_port
    for host in ("127.0.0.1", "localhost"):   # the direct connect, and the one after a lookup
        client = tls.connect(free_port(), host)
        rec = Recorder(client, "error", "close")
        (err,) = await rec.wait("error")
        assert err.code == "ECONNREFUSED" and err.syscall == "connect"
        await rec.wait("close")
        assert rec.names() == ["error", "close"]


def test_on_by_default_and_off_with_tls_c_socket_0():
    import os
    import subprocess
    import sys
    from support.python import SRC
    code = ("import tls; from tls._objects import csocket; "
            "print(csocket.ENABLED, tls.Server._fd_transport_factory is not None, "
            "tls.TLSSocket._fd_transport_factory is not None)")
    seen = {}
    for value in (None, "0", "1"):
        env = {k: v for k, v in os.environ.items() if k != "TLS_C_SOCKET"}
        env["PYTHONPATH"] = SRC + os.pathsep + env.get("PYTHONPATH", "")
        if value is not None:
            env["TLS_C_SOCKET"] = value
        out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60)
        assert out.returncode == 0, out.stderr
        seen[value] = out.stdout.split()
    assert seen == {None: ["True"] * 3, "0": ["False"] * 3, "1": ["True"] * 3}


@async_test(30)
async def test_end_while_records_wait_sends_the_fin_after_them(pems, c_socket):
    """end() while the kernel refuses: close_notify queues behind the waiting records and the FIN
    goes once the write BIO is empty; the server reads everything, then 'end'."""
    hashed = asyncio.get_running_loop().create_future()
    secured = asyncio.get_running_loop().create_future()

    def on_secure(sock):
        secured.set_result(sock)
        sock.pause()
        hasher = Hasher(sock)
        hasher.done.add_done_callback(lambda f: hashed.set_result(f.result()))
        sock.on("end", sock.end)

    server = tls.createServer(pems.server_options(), on_secure)
    port = await listen(server)
    client = tls.connect(port, "localhost", {"ca": pems.ca})
    client.resume()
    rec = Recorder(client, "finish", "end", "close", "error")
    await once(client, "secureConnect")
    chunk = b"q" * 65536
    written = 0
    for _ in range(4096):   # until the kernel refuses and C queues (see above)
        client.write(chunk)
        written += len(chunk)
        if client._transport.get_write_buffer_size():
            break
    client.end()
    assert client._transport.get_write_buffer_size() > 0   # still waiting in C when end() came
    (await secured).resume()
    count, _digest = await hashed
    assert count == written
    await rec.wait("close")
    assert rec.names() == ["finish", "end", "close"]
    server.close()


@async_test(20)
async def test_an_async_data_listener_runs_and_its_failure_is_captured(pems, mode, monkeypatch):
    """The read path emits 'data' to a socket's one listener without emit() (readable._push): an async
    listener's coroutine still runs, and with captureRejections its exception becomes 'error', as Node's
    rejected promise does."""
    monkeypatch.setattr(tls.events.EventEmitter, "captureRejections", True)   # Node's events.captureRejections
    errors = []
    done = asyncio.get_running_loop().create_future()

    def on_secure(sock):
        async def on_data(data):
            await asyncio.sleep(0)
            if data == b"boom":
                raise ValueError("listener failed")
            sock.write(b"async:" + data)

        sock.on("data", on_data)
        sock.on("error", lambda err: (errors.append(err), done.done() or done.set_result(None)))

    server = tls.createServer(pems.server_options(), on_secure)
    port = await listen(server)
    client = tls.connect(port, "localhost", {"ca": pems.ca})
    got = Collector(client)
    client.on("error", lambda err: None)
    await once(client, "secureConnect")
    client.write(b"one")
    await got.until(b"async:one")
    client.write(b"boom")
    await done
    assert [type(e) for e in errors] == [ValueError] and str(errors[0]) == "listener failed"
    client.destroy()
    server.close()
