"""destroy() / end() / renegotiate() called from inside every user callback
that can run synchronously (issue 9, part 2).

pskCallback runs while OpenSSL is inside ``SSL_do_handshake``: before the
engine deferred re-entry (tls/_engine.py, "Re-entry") a destroy() there freed
the ``SSL`` under OpenSSL (heap-use-after-free under AddressSanitizer) and a
renegotiate() recursed into ``SSL_do_handshake`` until RecursionError.  The
other callbacks run after OpenSSL returned, but from the middle of the
engine loop (TLSConnection.cycle), so they are re-entry cases for it.

Every case talks to a real Node 20 peer (our server with a Node client, our
client with a Node server).  The expected outcomes were measured on Node 20
running the same scenario on both sides (the peer writes 'hello' and ends
once it is secure); each test asserts what the socket emitted, what the peer
saw, that nothing hangs and that the process survives.

Combinations that do not exist (and so are not tested):

* ALPNCallback on a client: an option of servers only.
* checkServerIdentity, 'session', 'OCSPResponse', 'secureConnect' on a
  server: clients verify servers, receive sessions and stapled OCSP
  responses, and emit 'secureConnect' (a server's counterparts are
  'newSession', 'OCSPRequest' and 'secureConnection', server events).
* 'secureConnection' on a client: a tls.Server event.
* A server-side 'secure' is only reachable on a standalone
  ``new TLSSocket(socket, {isServer: true})`` (a tls.Server creates its
  sockets itself), so that is what the server case uses.
Every callback exists in both TLS 1.2 and TLS 1.3.
"""
from __future__ import annotations

import asyncio
from typing import Any, Dict, List, Tuple

import pytest

import tls
from tls import net

from support.aio import async_test
from support.loopback import listen
from support.node import NodePeer

PSK = bytes.fromhex("d731ef57be09e5204f0b205b60627028")
PSK_CIPHERS = "PSK+HIGH:TLS_AES_128_GCM_SHA256"

NODE_SERVER = r"""
const o = {minVersion: cfg.version, maxVersion: cfg.version};
if (cfg.psk) { o.ciphers = cfg.ciphers; o.pskCallback = () => Buffer.from(cfg.psk, 'hex'); }
else { o.key = cfg.key; o.cert = cfg.cert; }
const server = tls.createServer(o, (s) => {
  report({event: 'secureConnection'});
  s.on('data', (d) => report({event: 'data', text: String(d)}));
  s.on('end', () => report({event: 'end'}));
  s.on('error', (e) => report({event: 'error', error: errInfo(e)}));
  s.on('close', () => report({event: 'close'}));
  s.end('hello');
});
server.on('tlsClientError', (e, s) => {
  report({event: 'tlsClientError', error: errInfo(e)});
  report({event: 'close'});
});
server.listen(0, '127.0.0.1', () => report({event: 'listening', port: server.address().port}));
"""

NODE_CLIENT = r"""
const o = {port: cfg.port, host: '127.0.0.1', minVersion: cfg.version, maxVersion: cfg.version,
           servername: 'localhost'};
if (cfg.psk) {
  o.ciphers = cfg.ciphers;
  o.pskCallback = () => ({psk: Buffer.from(cfg.psk, 'hex'), identity: 'u'});
  o.checkServerIdentity = () => undefined;
} else { o.ca = cfg.ca; }
if (cfg.alpn) o.ALPNProtocols = ['a', 'b'];
const s = tls.connect(o, () => { report({event: 'secureConnect'}); s.end('hello'); });
s.on('data', (d) => report({event: 'data', text: String(d)}));
s.on('end', () => report({event: 'end'}));
s.on('error', (e) => report({event: 'error', error: errInfo(e)}));
s.on('close', () => report({event: 'close'}));
"""

# (callback, side that runs it)
CALLBACKS = [
    ("pskCallback", "server"), ("pskCallback", "client"),
    ("ALPNCallback", "server"),
    ("checkServerIdentity", "client"),
    ("keylog", "server"), ("keylog", "client"),
    ("session", "client"),
    ("OCSPResponse", "client"),
    ("secure", "server"), ("secure", "client"),
    ("secureConnect", "client"),
    ("secureConnection", "server"),
]
VERSIONS = ["TLSv1.2", "TLSv1.3"]
ACTIONS = ["destroy", "end", "renegotiate"]


class _Case:
    """Our side of one scenario: the callback under test runs ``action`` once."""

    def __init__(self, callback: str, side: str, version: str, action: str) -> None:
        self.callback, self.side, self.version, self.action = callback, side, version, action
        self.log: List[str] = []
        self.secure_connection = False
        loop = asyncio.get_running_loop()
        self.closed = loop.create_future()
        self.acted = False
        self.watched: List[Any] = []

    def act(self, sock: Any) -> None:
        if self.acted:
            return
        self.acted = True
        self.watch(sock)
        self.log.append("cb")
        if self.action == "destroy":
            sock.destroy()
        elif self.action == "end":
            sock.end()
        else:
            def done(err: Any = None) -> None:
                self.log.append("reneg-cb:%s" % (getattr(err, "code", None) if err else None))
            self.log.append("reneg-ret:%s" % sock.renegotiate({}, done))

    def watch(self, sock: Any) -> None:
        if sock in self.watched:
            return
        self.watched.append(sock)
        log = self.log
        sock.on("data", lambda d: log.append("data:%s" % d.decode()))
        sock.on("end", lambda *a: log.append("end"))
        sock.on("error", lambda e: log.append("error:%s" % getattr(e, "code", None)))

        def on_close(*a: Any) -> None:
            log.append("close")
            if not self.closed.done():
                self.closed.set_result(None)
        sock.on("close", on_close)


def _options(case: _Case, key_pem: bytes, cert_pem: bytes, ca_pem: bytes) -> Tuple[Dict[str, Any], Dict[str, Any]]:
    """(our options, the Node peer's cfg)."""
    psk = case.callback == "pskCallback"
    ours: Dict[str, Any] = {"minVersion": case.version, "maxVersion": case.version}
    cfg: Dict[str, Any] = {"version": case.version}
    if psk:
        ours["ciphers"] = cfg["ciphers"] = PSK_CIPHERS
        cfg["psk"] = PSK.hex()
    elif case.side == "server":
        ours.update(key=key_pem, cert=cert_pem)
        cfg["ca"] = ca_pem.decode()
    else:
        ours.update(ca=ca_pem, servername="localhost")
        cfg.update(key=key_pem.decode(), cert=cert_pem.decode())
    return ours, cfg


async def _run_server_case(case: _Case, ours: Dict[str, Any], cfg: Dict[str, Any]) -> List[Dict[str, Any]]:
    cb = case.callback
    if cb in ("secure", "ALPNCallback"):
        # A standalone server socket: the only place for a server-side 'secure'
        # listener, and the way to reach the socket from an ALPNCallback
        # (Node passes it as ``this``).
        def on_connection(raw: Any) -> None:
            holder: List[Any] = []
            opts = dict(ours, isServer=True)
            if cb == "ALPNCallback":
                cfg["alpn"] = True
                opts["ALPNCallback"] = lambda info: (case.act(holder[0]), info["protocols"][0])[1]
            sock = tls.TLSSocket(raw, opts)
            holder.append(sock)
            case.watch(sock)
            if cb == "secure":
                sock.once("secure", lambda *a: case.act(sock))
        server: Any = net.createServer(on_connection)
        if cb == "ALPNCallback":
            cfg["alpn"] = True
    else:
        if cb == "pskCallback":
            ours["pskCallback"] = lambda sock, ident: (case.act(sock), PSK)[1]

        def on_secure_connection(sock: Any) -> None:
            case.secure_connection = True
            case.watch(sock)
            if cb == "secureConnection":
                case.act(sock)
        server = tls.createServer(ours, on_secure_connection)
        server.on("tlsClientError", lambda e, s: case.log.append("tlsClientError:%s" % getattr(e, "code", None)))
        if cb == "keylog":
            server.once("keylog", lambda line, sock: case.act(sock))
    port = await listen(server)
    try:
        async with NodePeer(NODE_CLIENT, dict(cfg, port=port)) as node:
            await node.expect("close")
            await case.closed
            return node.reports
    finally:
        server.close()


async def _run_client_case(case: _Case, ours: Dict[str, Any], cfg: Dict[str, Any]) -> List[Dict[str, Any]]:
    cb = case.callback
    holder: List[Any] = []
    if cb == "pskCallback":
        ours["pskCallback"] = lambda hint: (case.act(holder[0]), {"psk": PSK, "identity": "u"})[1]
        ours["checkServerIdentity"] = lambda *a: None
    if cb == "checkServerIdentity":
        ours["checkServerIdentity"] = lambda *a: case.act(holder[0])
    if cb == "OCSPResponse":
        ours["requestOCSP"] = True
    async with NodePeer(NODE_SERVER, cfg) as node:
        port = (await node.expect("listening"))["port"]
        sock = tls.connect(dict(ours, port=port, host="127.0.0.1"))
        holder.append(sock)
        if cb in ("keylog", "session", "OCSPResponse", "secure"):
            sock.once(cb, lambda *a: case.act(sock))

        def on_secure_connect(*a: Any) -> None:
            case.log.append("secureConnect")
            if cb == "secureConnect":
                case.act(sock)
        sock.on("secureConnect", on_secure_connect)
        case.watch(sock)
        await case.closed
        await node.expect("close")
        return node.reports


# Callbacks that run before the handshake is complete on our side: a destroy()
# there ends the connection before any secure event, on both sides (Node 20
# too).  For 'keylog' the peer may still complete its handshake: our lines are
# emitted after OpenSSL returned and its flight was sent (Node emits them from
# inside OpenSSL, before the flight goes out).
BEFORE_SECURE = {("pskCallback", "server"), ("pskCallback", "client"), ("ALPNCallback", "server"),
                 ("keylog", "server"), ("keylog", "client"), ("OCSPResponse", "client")}
# Where the negotiated version is known when the callback runs, a TLS 1.3
# renegotiate() is refused at once, as in Node: false, then
# callback(ERR_SSL_WRONG_SSL_VERSION).  (A client's pskCallback runs while the
# ClientHello is built and our ALPNCallback from the ClientHello callback,
# both before the version is chosen: renegotiate() is accepted there.)
VERSION_UNKNOWN = {("pskCallback", "client"), ("ALPNCallback", "server")}


def _peer_events(reports: List[Dict[str, Any]]) -> List[str]:
    out = []
    for r in reports:
        event = r["event"]
        if event in ("error", "tlsClientError"):
            event += ":%s" % (r.get("error") or {}).get("code")
        elif event == "data":
            event += ":%s" % r["text"]
        out.append(event)
    return out


@pytest.mark.parametrize("action", ACTIONS)
@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("callback,side", CALLBACKS)
@async_test(20)
async def test_reentry(callback, side, version, action, key_pem, cert_pem, ca_pem):
    case = _Case(callback, side, version, action)
    ours, cfg = _options(case, key_pem, cert_pem, ca_pem)
    if side == "server":
        reports = await _run_server_case(case, ours, cfg)
    else:
        reports = await _run_client_case(case, ours, cfg)
    us, peer = case.log, _peer_events(reports)
    detail = "us=%r peer=%r" % (us, peer)
    # ran once; our socket closed exactly once; the peer's connection closed too
    assert us.count("cb") == 1 and us.count("close") == 1, detail
    assert us[-1] == "close" or action == "renegotiate", detail
    assert "close" in peer, detail
    after = us[us.index("cb") + 1:]
    secure_events = ("secureConnect", "secureConnection")
    key = (callback, side)
    if action == "destroy":
        # destroy() without an error: no 'error', nothing read afterwards
        assert [e for e in after if e.startswith(("error", "data"))] == [], detail
        if key in BEFORE_SECURE:
            assert not any(e in secure_events for e in after) and not case.secure_connection, detail
        if key in BEFORE_SECURE and callback != "keylog":
            # the peer saw the connection drop during its handshake (Node: the same)
            assert not any(e in secure_events for e in peer), detail
            assert "error:ECONNRESET" in peer or "tlsClientError:ECONNRESET" in peer, detail
        if side == "server" and callback in ("pskCallback", "keylog"):
            assert "tlsClientError:ECONNRESET" in us, detail  # a tls.Server's handshake failed
    elif action == "end":
        # end(): a clean close on both sides, no error anywhere
        assert [e for e in us + peer if "error" in e.lower()] == [], detail
    else:
        rets = [e for e in us if e.startswith("reneg-ret:")]
        assert rets in (["reneg-ret:True"], ["reneg-ret:False"]), detail  # returned, no RecursionError
        if version == "TLSv1.3" and key not in VERSION_UNKNOWN:
            assert rets == ["reneg-ret:False"], detail
            assert "reneg-cb:ERR_SSL_WRONG_SSL_VERSION" in us, detail
        if rets == ["reneg-ret:True"] and version == "TLSv1.2" and side == "server" \
                and callback in ("pskCallback", "keylog", "secure", "secureConnection"):
            # the server's HelloRequest went out once OpenSSL returned; the
            # client read 'hello' and the connection ended
            assert "data:hello" in us, detail
