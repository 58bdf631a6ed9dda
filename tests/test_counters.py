"""server.getCounters(): handshakes full / resumed, client errors by code, open connections, network bytes."""
from __future__ import annotations

import asyncio
import socket
import ssl

import pytest

import tls
from tls._objects.counters import sum_counters

from support.aio import async_test, once
from support.loopback import close_server, listen


def client_context(pems):
    ctx = ssl.create_default_context(cafile=pems.path("ca"))
    ctx.maximum_version = ssl.TLSVersion.TLSv1_2   # the session is there after the handshake
    return ctx


def python_client(port, ctx, session=None):
    """One blocking Python ssl client: handshake, 'ping' -> echo, close; (session, reused, bytes sent)."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as raw:
        with ctx.wrap_socket(raw, server_hostname="localhost", session=session) as conn:
            conn.sendall(b"ping")
            assert conn.recv(4) == b"ping"
            return conn.session, conn.session_reused


def raw_client(port, data):
    with socket.create_connection(("127.0.0.1", port), timeout=10) as raw:
        if data:
            raw.sendall(data)
            raw.recv(100)


@pytest.mark.parametrize("cache", ["openssl", "external"])
@async_test()
async def test_counters_against_python_ssl_clients(pems, cache):
    server = tls.createServer({"key": pems.key, "cert": pems.cert})
    if cache == "external":   # Node's ClientHello parser holds the first bytes, then replays them
        sessions = {}
        server.on("newSession", lambda sid, data, done: (sessions.__setitem__(sid, data), done()))
        server.on("resumeSession", lambda sid, done: done(None, sessions.get(sid)))
    closed = []
    errors = []
    all_seen = asyncio.get_running_loop().create_future()

    def seen(into, value):
        into.append(value)
        if len(errors) == 2 and len(closed) == 2 and not all_seen.done():
            all_seen.set_result(None)

    def on_secure(sock):
        sock.on("data", sock.write)
        sock.on("end", sock.end)
        sock.on("close", lambda *a: seen(closed, (sock._conn.bytes_received, sock._conn.bytes_sent)))

    server.on("secureConnection", on_secure)
    server.on("tlsClientError", lambda err, sock: seen(errors, err.code))
    port = await listen(server)
    ctx = client_context(pems)

    session, reused = await asyncio.to_thread(python_client, port, ctx)
    assert reused is False
    _, reused = await asyncio.to_thread(python_client, port, ctx, session)
    assert reused is True
    await asyncio.to_thread(raw_client, port, b"GET / HTTP/1.0\r\n\r\n")   # not TLS at all
    await asyncio.to_thread(raw_client, port, b"")                         # a hang-up before any byte
    await all_seen

    counters = server.getCounters()
    assert counters["handshakes"] == {"full": 1, "resumed": 1}
    expected_errors = {}
    for code in errors:
        expected_errors[code] = expected_errors.get(code, 0) + 1
    assert counters["tlsClientErrors"] == expected_errors
    assert set(errors) == {"ERR_SSL_HTTP_REQUEST", "ECONNRESET"}, errors
    assert counters["connections"] == 0
    # The two echo connections' network bytes, plus what the two failed ones read (no reply to the hang-up).
    assert counters["bytesRead"] == sum(r for r, _ in closed) + len(b"GET / HTTP/1.0\r\n\r\n")
    assert counters["bytesWritten"] >= sum(w for _, w in closed) > 8
    close_server(server)


@async_test()
async def test_open_connections_and_their_bytes_count_while_open(pems):
    server = tls.createServer({"key": pems.key, "cert": pems.cert})
    port = await listen(server)
    client = tls.connect(port, "127.0.0.1", {"ca": pems.ca, "servername": "localhost"})
    [server_side] = await once(server, "secureConnection")
    client.write(b"x" * 1000)
    [chunk] = await once(server_side, "data")
    counters = server.getCounters()
    assert counters["connections"] == 1
    assert counters["bytesRead"] == server_side._conn.bytes_received >= 1000 + 22   # record header, tag
    assert counters["handshakes"] == {"full": 1, "resumed": 0}
    client.destroy()
    await once(server_side, "close")
    assert server.getCounters()["connections"] == 0
    close_server(server)


def test_sum_counters_adds_workers_up():
    one = {"handshakes": {"full": 2, "resumed": 1}, "tlsClientErrors": {"ECONNRESET": 1}, "connections": 1,
           "bytesRead": 10, "bytesWritten": 20}
    two = {"handshakes": {"full": 3, "resumed": 0}, "tlsClientErrors": {"ECONNRESET": 2, "EPROTO": 1},
           "connections": 0, "bytesRead": 5, "bytesWritten": 1}
    assert sum_counters([one, two]) == {"handshakes": {"full": 5, "resumed": 1},
                                        "tlsClientErrors": {"ECONNRESET": 3, "EPROTO": 1}, "connections": 1,
                                        "bytesRead": 15, "bytesWritten": 21}
    assert sum_counters([]) == {"handshakes": {"full": 0, "resumed": 0}, "tlsClientErrors": {},
                                "connections": 0, "bytesRead": 0, "bytesWritten": 0}
