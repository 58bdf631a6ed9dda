"""tls.createSecurePair() / SecurePair / CryptoStream over real sockets.

The spec's pattern (``pair.encrypted.pipe(socket); socket.pipe(pair.encrypted)``)
against Node 20 peers in both roles, two pairs talking in memory, the
documented ``authorized`` check in 'secure', ``cryptoStream.bytesWritten``
(all ciphertext written to the socket), and the CryptoStream stream rules.
"""
from __future__ import annotations

import asyncio
import warnings

import pytest

import tls
from tls._objects import legacy as _legacy

from support.aio import async_test, future_event, once
from support.certs import pem_text
from support.loopback import listen
from support.node import NodePeer


@pytest.fixture(autouse=True)
def _quiet_deprecation():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        yield


NODE_ECHO_SERVER = r"""
const server = tls.createServer({key: cfg.key, cert: cfg.cert}, (s) => {
  report({event: 'secureConnection', protocol: s.getProtocol()});
  s.on('data', (d) => s.write('echo:' + d));
  s.on('end', () => { report({event: 'end'}); s.end(); });
});
server.listen(0, '127.0.0.1', () => report({event: 'listening', port: server.address().port}));
"""


@async_test()
async def test_securepair_client_with_node_server(agent1):
    """A client pair piped to a net.Socket talks to a Node 20 tls server."""
    cfg = {"key": pem_text(agent1["key"]), "cert": pem_text(agent1["cert"])}
    async with NodePeer(NODE_ECHO_SERVER, cfg) as node:
        port = (await node.expect("listening"))["port"]
        socket = tls.net.connect(port, "127.0.0.1")
        await once(socket, "connect")
        pair = tls.createSecurePair(tls.createSecureContext({"ca": agent1["ca"]}), False, True, False)
        pair.encrypted.pipe(socket)
        socket.pipe(pair.encrypted)
        log = []
        secure = future_event(pair, "secure")
        pair.on("secure", lambda: log.append("pair secure"))
        for name in ("secure", "end", "finish", "close"):
            pair.cleartext.on(name, lambda *a, name=name: log.append("cleartext " + name))
        for name in ("end", "finish"):
            pair.encrypted.on(name, lambda *a, name=name: log.append("encrypted " + name))
        data = future_event(pair.cleartext, "data")
        socket_closed = future_event(socket, "close")
        pair.cleartext.write(b"hello")
        await secure
        assert pair.cleartext.authorized is True and pair.cleartext.authorizationError is None
        assert pair.cleartext.getProtocol() == "TLSv1.3"
        (chunk,) = await data
        assert chunk == b"echo:hello"
        assert pair.cleartext.bytesWritten == 5
        pair.cleartext.end()
        await node.expect("end")
        await socket_closed
        await future_event(pair.cleartext, "close") if not pair.cleartext.closed else None
    # the documented bytesWritten: everything written to the socket, TLS records included
    assert pair.encrypted.bytesWritten == socket.bytesWritten > 5
    assert log[:2] == ["pair secure", "cleartext secure"]
    assert log.index("encrypted end") < log.index("cleartext end") < log.index("cleartext close")
    assert "cleartext finish" in log


NODE_CLIENT = r"""
const s = tls.connect({port: cfg.port, host: '127.0.0.1', ca: cfg.ca, key: cfg.key, cert: cfg.cert},
                      () => {
  report({event: 'secureConnect', authorized: s.authorized, protocol: s.getProtocol()});
  s.write('ping');
});
s.on('data', (d) => { report({event: 'data', text: d.toString()}); s.end(); });
s.on('error', (e) => report({event: 'error', error: errInfo(e)}));
s.on('close', () => report({event: 'close'}));
"""


@pytest.mark.parametrize("request_cert", [False, True])
@async_test()
async def test_securepair_server_with_node_client(agent1, client_agent, request_cert):
    """A server pair per accepted net.Socket serves a Node 20 client; with
    requestCert the documented check (``cleartext.authorized`` in 'secure') works."""
    ctx = tls.createSecureContext({"key": agent1["key"], "cert": agent1["cert"], "ca": client_agent["ca"]})
    seen = []
    done = asyncio.get_running_loop().create_future()

    def on_connection(socket):
        pair = tls.createSecurePair(ctx, True, request_cert, False)
        pair.encrypted.pipe(socket)
        socket.pipe(pair.encrypted)
        pair.on("secure", lambda: seen.append(("secure", pair.cleartext.authorized,
                                                pair.cleartext.authorizationError)))
        pair.cleartext.on("data", lambda d: pair.cleartext.write(b"pong:" + d))
        pair.cleartext.on("end", lambda: pair.cleartext.end())
        socket.on("close", lambda *a: done.done() or done.set_result(pair))

    server = tls.net.createServer(on_connection)
    port = await listen(server)
    try:
        cfg = {"port": port, "ca": pem_text(agent1["ca"]), "key": pem_text(client_agent["key"]),
               "cert": pem_text(client_agent["cert"])}
        async with NodePeer(NODE_CLIENT, cfg) as node:
            connected = await node.expect("secureConnect")
            data = await node.expect("data")
            await node.expect("close")
            await done
    finally:
        server.close()
    assert connected["authorized"] is True
    assert data["text"] == "pong:ping"
    if request_cert:
        assert seen == [("secure", True, None)]
    else:  # a server that did not ask leaves authorized alone, as onServerSocketSecure
        assert seen == [("secure", False, None)]


def _connect_pairs(client_pair, server_pair):
    client_pair.encrypted.pipe(server_pair.encrypted)
    server_pair.encrypted.pipe(client_pair.encrypted)


def test_securepair_two_pairs_in_memory(agent1, client_agent):
    """Two pairs piped to each other: handshake, data both ways, client
    certificate verified; no socket, and the program still ends by itself."""
    log = []

    def main():
        server_ctx = tls.createSecureContext({"key": agent1["key"], "cert": agent1["cert"],
                                              "ca": client_agent["ca"]})
        client_ctx = tls.createSecureContext({"key": client_agent["key"], "cert": client_agent["cert"],
                                              "ca": agent1["ca"]})
        server = tls.createSecurePair(server_ctx, True, True, True)
        client = tls.createSecurePair(client_ctx, False)
        _connect_pairs(client, server)
        server.on("secure", lambda: log.append(("server secure", server.cleartext.authorized)))
        client.on("secure", lambda: log.append(("client secure", client.cleartext.authorized)))
        server.cleartext.on("data", lambda d: (log.append(("server data", d)), server.cleartext.end(b"bye")))
        client.cleartext.on("data", lambda d: log.append(("client data", d)))
        client.cleartext.on("end", lambda: (log.append("client end"), client.cleartext.end()))
        client.cleartext.on("close", lambda *a: log.append("client close"))
        server.cleartext.on("close", lambda *a: log.append("server close"))
        client.cleartext.write(b"hi")

    tls.run(main)
    assert ("client secure", True) in log and ("server secure", True) in log
    assert ("server data", b"hi") in log and ("client data", b"bye") in log
    assert log.index("client end") < log.index("client close")
    assert "server close" in log


def test_securepair_authorization_error(self_signed):
    """'secure' comes with ``authorized`` False and the verify code when the chain fails."""
    seen = []

    def main():
        server = tls.createSecurePair(tls.createSecureContext({"key": self_signed["key"],
                                                               "cert": self_signed["cert"]}), True)
        client = tls.createSecurePair()   # default context: the system roots
        _connect_pairs(client, server)
        client.on("secure", lambda: (seen.append((client.cleartext.authorized,
                                                  client.cleartext.authorizationError)),
                                     client.destroy(), server.destroy()))

    tls.run(main)
    assert seen == [(False, "DEPTH_ZERO_SELF_SIGNED_CERT")]


def test_securepair_handshake_failure_ends_socket(agent1):
    """Garbage on the encrypted side: cleartext 'error' with Node's code, and the
    socket piped from ``pair.encrypted`` is ended (Node 20 would leave it open)."""
    seen = []

    def main():
        ctx = tls.createSecureContext({"key": agent1["key"], "cert": agent1["cert"]})

        def on_connection(socket):
            pair = tls.createSecurePair(ctx, True, False, False)
            pair.encrypted.pipe(socket)
            socket.pipe(pair.encrypted)
            pair.cleartext.on("error", lambda err: seen.append(("cleartext error", err.code)))

        server = tls.net.createServer(on_connection)

        def listening():
            raw = tls.net.connect(server.address()["port"], "127.0.0.1",
                                  lambda: raw.write(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n"))
            raw.on("data", lambda d: None)
            raw.on("end", lambda: seen.append("client end"))
            raw.on("close", lambda *a: (seen.append("client close"), server.close()))

        server.listen(0, "127.0.0.1", listening)
        tls._node.runtime.setTimeout(_too_long, 10000).unref()

    tls.run(main)
    assert seen[0] == ("cleartext error", "ERR_SSL_HTTP_REQUEST")
    assert seen[-1] == "client close"


def _too_long():
    raise TimeoutError("did not finish")


def test_securepair_destroy_and_types():
    events_seen = []

    def main():
        pair = tls.createSecurePair()
        assert isinstance(pair, tls.SecurePair)
        assert isinstance(pair.encrypted, tls.CryptoStream)
        assert isinstance(pair.cleartext, tls.TLSSocket)
        assert isinstance(pair.credentials, tls.SecureContext)
        assert pair.server is None
        assert pair.encrypted.bytesWritten == 0
        pair.encrypted.on("close", lambda *a: events_seen.append("encrypted close"))
        pair.cleartext.on("close", lambda *a: events_seen.append("cleartext close"))
        pair.destroy()
        assert pair.cleartext.destroyed and pair.encrypted.destroyed

    tls.run(main)
    assert sorted(events_seen) == ["cleartext close", "encrypted close"]


def test_securepair_options_reach_the_socket(agent1):
    """The fifth argument is spread over the TLSSocket options (Node 20):
    ``ALPNProtocols`` and ``server`` take effect."""
    seen = {}

    def main():
        fake_server = tls.events.EventEmitter()
        server = tls.createSecurePair(tls.createSecureContext({"key": agent1["key"], "cert": agent1["cert"]}),
                                      True, False, False, {"ALPNProtocols": ["b", "a"], "server": fake_server})
        client = tls.createSecurePair(None, False, None, None, {"ALPNProtocols": ["a"]})
        assert server.server is fake_server and server.cleartext.server is fake_server
        _connect_pairs(client, server)

        def on_secure(name, pair):
            seen[name] = pair.cleartext.alpnProtocol
            if len(seen) == 2:
                client.destroy()
                server.destroy()

        client.on("secure", lambda: on_secure("client", client))
        server.on("secure", lambda: on_secure("server", server))

    tls.run(main)
    assert seen == {"client": "a", "server": "a"}


# -- CryptoStream, the duplex pair ----------------------------------------------------------

def test_crypto_stream_flow_control():
    """A write returns False once the other end holds the high-water mark; 'drain'
    and the write callbacks follow the read; end -> 'end' there, 'finish' here,
    and both ends close once both directions are done."""
    log = []

    def main():
        a, b = _legacy._duplex_pair()
        hwm = a.writableHighWaterMark
        assert a.write(b"x" * (hwm - 1), lambda err: log.append(("cb1", err))) is True
        assert a.write(b"y", lambda err: log.append(("cb2", err))) is False
        assert a.writableLength == hwm and a.writableNeedDrain
        a.on("drain", lambda: log.append("drain"))
        a.on("finish", lambda: log.append("a finish"))
        a.on("close", lambda *x: log.append("a close"))
        b.on("close", lambda *x: log.append("b close"))
        received = []
        b.on("data", received.append)
        b.on("end", lambda: (log.append("b end"), b.end()))
        a.on("end", lambda: log.append("a end"))
        a.resume()

        def after_drain():
            assert b"".join(received) == b"x" * (hwm - 1) + b"y"
            a.end(b"tail")

        a.once("drain", after_drain)

    tls.run(main)
    assert log[:3] == ["drain", ("cb1", None), ("cb2", None)]
    for item in ("b end", "a finish", "a end", "a close", "b close"):
        assert item in log
    assert log.index("b end") < log.index("a finish")


def test_crypto_stream_write_after_end_and_destroy():
    codes = []

    def main():
        a, b = _legacy._duplex_pair()
        a.on("error", lambda err: codes.append(("error", err.code)))
        b.resume()
        a.end()
        a.write(b"late", lambda err: codes.append(("cb", err.code)))
        c, d = _legacy._duplex_pair()
        c.destroy()
        c.write(b"x", lambda err: codes.append(("cb2", err.code)))
        d.on("end", lambda: codes.append("d end"))
        d.resume()

    tls.run(main)
    assert ("cb", "ERR_STREAM_WRITE_AFTER_END") in codes
    assert ("error", "ERR_STREAM_WRITE_AFTER_END") in codes
    assert ("cb2", "ERR_STREAM_DESTROYED") in codes
    assert "d end" in codes   # a destroyed end ends the other end's readable side


def test_crypto_stream_shares_the_socket_stream_rules():
    """CryptoStream runs on net.Socket's stream rules (tls/_node/stream.py):
    setEncoding keeps a character split over two chunks whole, bytesWritten
    counts what this end emitted, and unpipe() stops a pipe ('unpipe' on the
    destination; the source stops flowing and buffers)."""
    log = []

    def main():
        a, b = _legacy._duplex_pair()
        c, d = _legacy._duplex_pair()
        c.on("unpipe", lambda src: log.append(("unpipe", src is b)))
        b.pipe(c)           # what a writes reaches d
        d.setEncoding("utf8")

        def on_text(text):
            log.append(("d", text))
            if "".join(x[1] for x in log if x[0] == "d") != "héllo":
                return
            b.unpipe(c)
            a.write(b"more")
            # delivered on a later iteration if anyone read: nobody does now
            loop.call_soon(loop.call_soon, check)

        def check():
            log.append(("buffered", b.readableLength, b.readableFlowing, b.bytesWritten))
            for stream in (a, b, c, d):
                stream.destroy()

        d.on("data", on_text)
        loop = asyncio.get_running_loop()
        a.write("h\u00e9".encode()[:2])
        a.write("h\u00e9llo".encode()[2:])

    tls.run(main)
    assert log == [("d", "h"), ("d", "éllo"), ("unpipe", True), ("buffered", 4, False, 6)]
