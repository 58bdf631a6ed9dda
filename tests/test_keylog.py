"""'keylog' on TLSSocket and tls.Server (Node 20).

Includes the port of test/parallel/test-tls-keylog-tlsv13.js, the format
check against Node 20 (for one connection, the lines a Node peer logs are
exactly the lines our side logs: same labels, client random and secrets),
and the "only when listened" wiring.
"""
from __future__ import annotations

import asyncio

import pytest

import tls
from tls._binding import ffi, lib

from support.aio import async_test, future_event, once
from support.certs import pem_text
from support.loopback import listen
from support.node import NodePeer

TLS13_LABELS = {"SERVER_HANDSHAKE_TRAFFIC_SECRET", "CLIENT_HANDSHAKE_TRAFFIC_SECRET", "EXPORTER_SECRET",
                "SERVER_TRAFFIC_SECRET_0", "CLIENT_TRAFFIC_SECRET_0"}


def test_keylog_tlsv13(self_signed, calls, node_run):
    """Port of test-tls-keylog-tlsv13.js: 5 lines on each side, as bytes."""
    def main():
        server = tls.createServer({"key": self_signed["key"], "cert": self_signed["cert"],
                                   "minVersion": "TLSv1.3", "maxVersion": "TLSv1.3"})

        def listening():
            client = tls.connect({"port": server.address()["port"], "rejectUnauthorized": False})

            def on_server_keylog(line, tls_socket):
                assert isinstance(line, bytes)
                assert tls_socket.encrypted is True

            def on_client_keylog(line):
                assert isinstance(line, bytes)

            server.on("keylog", calls.must_call(on_server_keylog, 5))
            client.on("keylog", calls.must_call(on_client_keylog, 5))

            def on_secure():
                server.close()
                client.end()

            client.once("secureConnect", on_secure)

        server.listen(0, calls.must_call(listening))

    node_run(main)


def _label(line: bytes) -> str:
    return line.split(b" ", 1)[0].decode()


def _check_line(line: bytes) -> None:
    # NSS key log format: LABEL <client random, 64 hex> <secret, hex>\n
    assert line.endswith(b"\n") and line.count(b"\n") == 1
    label, random_hex, secret_hex = line[:-1].split(b" ")
    assert len(random_hex) == 64
    bytes.fromhex(random_hex.decode())
    bytes.fromhex(secret_hex.decode())
    assert label == label.upper()


@pytest.mark.parametrize("version", ["TLSv1.2", "TLSv1.3"])
def test_keylog_lines_and_order(self_signed, version):
    """Lines come before 'secureConnect' / 'secureConnection', as Node emits them."""
    order = []

    def main():
        server = tls.createServer({"key": self_signed["key"], "cert": self_signed["cert"],
                                   "maxVersion": version},
                                  lambda s: (order.append("secureConnection"), s.end()))
        server.on("keylog", lambda line, sock: order.append(("S", line)))

        def listening():
            client = tls.connect({"port": server.address()["port"], "rejectUnauthorized": False,
                                  "maxVersion": version},
                                 lambda: order.append("secureConnect"))
            client.on("keylog", lambda line: order.append(("C", line)))
            client.on("close", lambda *a: server.close())
            client.resume()

        server.listen(0, "127.0.0.1", listening)

    tls.run(main)
    client_lines = [x[1] for x in order if isinstance(x, tuple) and x[0] == "C"]
    server_lines = [x[1] for x in order if isinstance(x, tuple) and x[0] == "S"]
    for line in client_lines + server_lines:
        _check_line(line)
    # Both ends derive the same secrets: the same lines, each side in OpenSSL's order.
    assert sorted(client_lines) == sorted(server_lines)
    if version == "TLSv1.3":
        assert {_label(x) for x in client_lines} == TLS13_LABELS
        assert [_label(x) for x in client_lines] == [
            "SERVER_HANDSHAKE_TRAFFIC_SECRET", "EXPORTER_SECRET", "SERVER_TRAFFIC_SECRET_0",
            "CLIENT_HANDSHAKE_TRAFFIC_SECRET", "CLIENT_TRAFFIC_SECRET_0"]
        assert [_label(x) for x in server_lines] == [
            "SERVER_HANDSHAKE_TRAFFIC_SECRET", "CLIENT_HANDSHAKE_TRAFFIC_SECRET", "EXPORTER_SECRET",
            "SERVER_TRAFFIC_SECRET_0", "CLIENT_TRAFFIC_SECRET_0"]
    else:
        assert [_label(x) for x in client_lines] == ["CLIENT_RANDOM"]
    # every client line precedes 'secureConnect', every server line 'secureConnection'
    assert order.index("secureConnect") > max(i for i, x in enumerate(order) if isinstance(x, tuple) and x[0] == "C")
    assert order.index("secureConnection") > max(i for i, x in enumerate(order)
                                                 if isinstance(x, tuple) and x[0] == "S")


NODE_KEYLOG_CLIENT = r"""
const lines = [];
const s = tls.connect({port: cfg.port, host: '127.0.0.1', rejectUnauthorized: false, maxVersion: cfg.version},
                      () => { report({event: 'secureConnect', lines}); s.end(); });
s.on('keylog', (line) => lines.push(line.toString('latin1')));
s.on('close', () => report({event: 'close'}));
s.resume();
"""

NODE_KEYLOG_SERVER = r"""
const lines = [];
const server = tls.createServer({key: cfg.key, cert: cfg.cert, maxVersion: cfg.version}, (s) => {
  report({event: 'secureConnection', lines});
  s.end();
  server.close();
});
server.on('keylog', (line, sock) => lines.push(line.toString('latin1')));
server.listen(0, '127.0.0.1', () => report({event: 'listening', port: server.address().port}));
"""


@pytest.mark.parametrize("version", ["TLSv1.2", "TLSv1.3"])
@async_test()
async def test_keylog_same_lines_as_node_client(self_signed, version):
    """Our server logs exactly the lines Node's client logs for the same connection."""
    ours = []
    server = tls.createServer({"key": self_signed["key"], "cert": self_signed["cert"]},
                              lambda s: s.end())
    server.on("keylog", lambda line, sock: ours.append(line))
    port = await listen(server)
    try:
        async with NodePeer(NODE_KEYLOG_CLIENT, {"port": port, "version": version}) as node:
            rep = await node.expect("secureConnect")
            await node.expect("close")
    finally:
        server.close()
    theirs = [line.encode("latin-1") for line in rep["lines"]]
    assert theirs, "node logged nothing"
    assert sorted(ours) == sorted(theirs)
    expected = TLS13_LABELS if version == "TLSv1.3" else {"CLIENT_RANDOM"}
    assert {_label(x) for x in ours} == expected


@pytest.mark.parametrize("version", ["TLSv1.2", "TLSv1.3"])
@async_test()
async def test_keylog_same_lines_as_node_server(self_signed, version):
    """Our client logs exactly the lines Node's server logs (line ends included)."""
    cfg = {"key": pem_text(self_signed["key"]), "cert": pem_text(self_signed["cert"]), "version": version}
    async with NodePeer(NODE_KEYLOG_SERVER, cfg) as node:
        port = (await node.expect("listening"))["port"]
        ours = []
        client = tls.connect({"port": port, "host": "127.0.0.1", "rejectUnauthorized": False})
        client.on("keylog", ours.append)
        client.resume()
        closed = future_event(client, "close")
        await once(client, "secureConnect")
        rep = await node.expect("secureConnection")
        await closed
    theirs = [line.encode("latin-1") for line in rep["lines"]]
    # Node's server has its 5th TLS 1.3 line (CLIENT_TRAFFIC_SECRET_0) by 'secureConnection'.
    assert sorted(ours) == sorted(theirs)


def _ctx_keylog_callback(context) -> bool:
    return lib.SSL_CTX_get_keylog_callback(context._ctx) != ffi.NULL


@async_test()
async def test_keylog_callback_only_when_listened(self_signed):
    """No 'keylog' listener, no OpenSSL callback; the first listener installs it."""
    server = tls.createServer({"key": self_signed["key"], "cert": self_signed["cert"]},
                              lambda s: s.end())
    port = await listen(server)
    try:
        client = tls.connect({"port": port, "host": "127.0.0.1", "rejectUnauthorized": False})
        client.resume()
        await once(client, "secureConnect")
        await once(client, "close")
        assert not _ctx_keylog_callback(server._shared_creds)
        assert not _ctx_keylog_callback(client._secure_context)

        lines = []
        server.on("keylog", lambda line, sock: lines.append(line))
        client = tls.connect({"port": port, "host": "127.0.0.1", "rejectUnauthorized": False})
        assert not _ctx_keylog_callback(client._secure_context)
        client.on("keylog", lambda line: None)
        assert _ctx_keylog_callback(client._secure_context)
        client.resume()
        await once(client, "secureConnect")
        await once(client, "close")
        assert _ctx_keylog_callback(server._shared_creds)
        assert len(lines) == 5
    finally:
        server.close()


@async_test()
async def test_keylog_listener_after_server_connection_not_forwarded(self_signed):
    """Node forwards to the server only for sockets accepted while it had listeners."""
    server_lines = []
    server = tls.createServer({"key": self_signed["key"], "cert": self_signed["cert"]},
                              lambda s: s.end())

    def add_listener_late(raw):
        # runs right after the TLS socket was made for this connection, before its handshake
        if not server.listenerCount("keylog"):
            server.on("keylog", lambda line, sock: server_lines.append(line))

    server.on("connection", add_listener_late)
    port = await listen(server)
    try:
        for expected in (0, 5):
            client = tls.connect({"port": port, "host": "127.0.0.1", "rejectUnauthorized": False})
            client.resume()
            await once(client, "secureConnect")
            await once(client, "close")
            assert len(server_lines) == expected
    finally:
        server.close()


@async_test()
async def test_keylog_listener_may_destroy_the_socket(self_signed):
    """Destroying the socket from a 'keylog' listener is safe (lines are emitted
    after OpenSSL returned)."""
    server = tls.createServer({"key": self_signed["key"], "cert": self_signed["cert"]})
    server.on("tlsClientError", lambda err, sock: None)
    port = await listen(server)
    try:
        client = tls.connect({"port": port, "host": "127.0.0.1", "rejectUnauthorized": False})
        got = []

        def on_keylog(line):
            got.append(line)
            client.destroy()

        client.on("keylog", on_keylog)
        client.on("secureConnect", lambda: got.append("secureConnect"))
        closed = future_event(client, "close")
        await closed
        assert client.destroyed
        assert got and got[0] != "secureConnect"
    finally:
        server.close()


@async_test()
async def test_keylog_standalone_tlssocket(self_signed):
    """A TLSSocket over a net.Socket (no tls.Server) emits 'keylog' too."""
    lines = []
    ctx = tls.createSecureContext({"key": self_signed["key"], "cert": self_signed["cert"]})
    done = asyncio.get_running_loop().create_future()

    def on_connection(raw):
        sock = tls.TLSSocket(raw, {"isServer": True, "secureContext": ctx})
        sock.on("keylog", lines.append)
        sock.on("secure", lambda: done.done() or done.set_result(True))
        sock.on("error", lambda e: None)

    server = tls.net.createServer(on_connection)
    port = await listen(server)
    try:
        client = tls.connect({"port": port, "host": "127.0.0.1", "rejectUnauthorized": False})
        client.resume()
        await once(client, "secureConnect")
        await done
        client.end()
        await once(client, "close")
        assert {_label(x) for x in lines} == TLS13_LABELS
    finally:
        server.close()
