"""Session resumption across implementations: Node 20 <-> tls.

* a Node client resumes (ticket, TLS 1.2 and 1.3) against our server, and our
  client against a Node server;
* session-id resumption through an external store (TLS 1.2, tickets off):
  Node client -> our 'newSession' / 'resumeSession' store, our client -> a
  Node server's store;
* a Node server and our server configured with the same ``ticketKeys`` and
  ``sessionIdContext`` resume each other's tickets, both ways, TLS 1.2 and 1.3
  (Node's 48-byte key format: name | HMAC-SHA256 key | AES-128-CBC key).

Each test runs on a fresh event loop under asyncio.wait_for; Node runs as a
subprocess speaking one JSON object per line.
"""
from __future__ import annotations

import asyncio
import contextlib
import os
from typing import Any, AsyncIterator, Dict, List, Optional, Tuple

import pytest

import tls

from support.aio import async_test
from support.node import NodePeer

SSL_OP_NO_TICKET = 0x00004000
VERSIONS = ["TLSv1.2", "TLSv1.3"]

NODE_SERVER = r"""
const tls = require('tls'); const fs = require('fs');
const cfg = JSON.parse(process.argv[1]);
const out = (o) => process.stdout.write(JSON.stringify(o) + '\n');
const opts = {key: fs.readFileSync(cfg.key), cert: fs.readFileSync(cfg.cert), maxVersion: cfg.maxVersion};
if (cfg.ticketKeys) opts.ticketKeys = Buffer.from(cfg.ticketKeys, 'hex');
if (cfg.sessionIdContext) opts.sessionIdContext = cfg.sessionIdContext;
if (cfg.noTicket) opts.secureOptions = require('crypto').constants.SSL_OP_NO_TICKET;
const server = tls.createServer(opts, (s) => {
  out({event: 'secureConnection', reused: s.isSessionReused(), protocol: s.getProtocol()});
  s.on('error', () => {});
  s.end('hello');
});
if (cfg.store) {
  const store = {};
  server.on('newSession', (id, data, cb) => { store[id.toString('hex')] = data; out({event: 'newSession'}); cb(); });
  server.on('resumeSession', (id, cb) => {
    const hit = store[id.toString('hex')] || null;
    out({event: 'resumeSession', hit: !!hit});
    cb(null, hit);
  });
}
server.listen(0, '127.0.0.1', () => out({port: server.address().port}));
process.stdin.on('end', () => process.exit(0));
process.stdin.resume();
"""

NODE_CLIENT = r"""
const tls = require('tls'); const fs = require('fs');
const cfg = JSON.parse(process.argv[1]);
const res = {sessions: [], data: ''};
const c = tls.connect({host: '127.0.0.1', port: cfg.port, ca: fs.readFileSync(cfg.ca), servername: 'localhost',
                       maxVersion: cfg.maxVersion,
                       session: cfg.session ? Buffer.from(cfg.session, 'hex') : undefined}, () => {
  res.reused = c.isSessionReused(); res.protocol = c.getProtocol();
});
c.on('session', (s) => res.sessions.push(s.toString('hex')));
c.on('data', (d) => { res.data += d; });
c.on('error', (e) => { res.error = e.code || e.message; });
c.on('close', () => { process.stdout.write(JSON.stringify(res) + '\n'); });
"""


@pytest.fixture
def files(tmp_path, server_options: dict, ca_pem: bytes) -> Dict[str, str]:
    paths = {"key": tmp_path / "key.pem", "cert": tmp_path / "cert.pem", "ca": tmp_path / "ca.pem"}
    paths["key"].write_bytes(server_options["key"])
    paths["cert"].write_bytes(server_options["cert"])
    paths["ca"].write_bytes(ca_pem)
    return {name: str(path) for name, path in paths.items()}


@contextlib.asynccontextmanager
async def node_server(files: Dict[str, str], **cfg: Any) -> AsyncIterator[Tuple[NodePeer, int]]:
    """A Node server: the peer (one JSON line per server event, ``recv()``) and its port."""
    async with NodePeer(NODE_SERVER, {"key": files["key"], "cert": files["cert"], **cfg}, prelude=False) as peer:
        yield peer, (await peer.recv())["port"]


async def node_client(files: Dict[str, str], port: int, max_version: str,
                      session: Optional[str] = None) -> Dict[str, Any]:
    """A Node client's one connection: what it saw, printed at 'close'."""
    cfg = {"port": port, "ca": files["ca"], "maxVersion": max_version, "session": session}
    async with NodePeer(NODE_CLIENT, cfg, prelude=False) as peer:
        result = await peer.recv(None)
        assert await peer.exit_code() == 0
    return result


async def our_client(port: int, ca: bytes, max_version: str, session: Optional[bytes] = None) -> Dict[str, Any]:
    loop = asyncio.get_running_loop()
    done: asyncio.Future = loop.create_future()
    res: Dict[str, Any] = {"sessions": [], "data": b""}
    c = tls.connect({"host": "127.0.0.1", "port": port, "ca": ca, "servername": "localhost",
                     "maxVersion": max_version, "session": session})

    def on_secure() -> None:
        res["reused"] = c.isSessionReused()
        res["protocol"] = c.getProtocol()

    def on_data(chunk: Any) -> None:
        res["data"] += bytes(chunk)

    def on_error(err: BaseException) -> None:
        if not done.done():
            done.set_exception(err)

    def on_close(*_: Any) -> None:
        if not done.done():
            done.set_result(res)

    c.on("secureConnect", on_secure)
    c.on("session", lambda s: res["sessions"].append(s))
    c.on("data", on_data)
    c.on("error", on_error)
    c.on("close", on_close)
    return await done


class OurServer:
    """tls.createServer on 127.0.0.1, recording its events."""

    def __init__(self, options: Dict[str, Any], store: bool = False) -> None:
        self.log: List[Dict[str, Any]] = []

        def on_secure(s: Any) -> None:
            self.log.append({"event": "secureConnection", "reused": s.isSessionReused(),
                             "protocol": s.getProtocol()})
            s.end("hello")

        self.server = tls.createServer(options, on_secure)
        if store:
            sessions: Dict[str, bytes] = {}

            def on_new_session(sid: bytes, data: bytes, cb: Any) -> None:
                sessions[sid.hex()] = data
                self.log.append({"event": "newSession"})
                cb()

            def on_resume_session(sid: bytes, cb: Any) -> None:
                hit = sessions.get(sid.hex())
                self.log.append({"event": "resumeSession", "hit": hit is not None})
                cb(None, hit)

            self.server.on("newSession", on_new_session)
            self.server.on("resumeSession", on_resume_session)

    async def __aenter__(self) -> "OurServer":
        self.server.listen(0, "127.0.0.1")
        await tls.events.once(self.server, "listening")
        self.port = self.server.address()["port"]
        return self

    async def __aexit__(self, *exc: Any) -> None:
        self.server.close()


# -- tickets ---------------------------------------------------------------------------

@pytest.mark.parametrize("max_version", VERSIONS)
@async_test()
async def test_node_client_resumes_against_our_server(max_version, files, server_options):
    async with OurServer({**server_options, "maxVersion": max_version}) as ours:
        first = await node_client(files, ours.port, max_version)
        assert first.get("error") is None and first["reused"] is False and first["data"] == "hello"
        assert len(first["sessions"]) == (2 if max_version == "TLSv1.3" else 1)
        second = await node_client(files, ours.port, max_version, first["sessions"][-1])
        assert second.get("error") is None and second["data"] == "hello"
        assert second["reused"] is True and second["protocol"] == max_version
    assert [e["reused"] for e in ours.log] == [False, True]


@pytest.mark.parametrize("max_version", VERSIONS)
@async_test()
async def test_our_client_resumes_against_node_server(max_version, files, ca_pem):
    async with node_server(files, maxVersion=max_version) as (node, node_port):
        first = await our_client(node_port, ca_pem, max_version)
        assert first["reused"] is False and first["data"] == b"hello"
        assert len(first["sessions"]) == (2 if max_version == "TLSv1.3" else 1)
        second = await our_client(node_port, ca_pem, max_version, first["sessions"][-1])
        assert second["reused"] is True and second["protocol"] == max_version
        assert [(await node.recv(None))["reused"] for _ in range(2)] == [False, True]


# -- session ids through an external store ---------------------------------------------

@async_test()
async def test_node_client_resumes_through_our_session_store(files, server_options):
    options = {**server_options, "maxVersion": "TLSv1.2", "secureOptions": SSL_OP_NO_TICKET}
    async with OurServer(options, store=True) as ours:
        first = await node_client(files, ours.port, "TLSv1.2")
        second = await node_client(files, ours.port, "TLSv1.2", first["sessions"][-1])
        assert (first["reused"], second["reused"]) == (False, True)
    events = [(e["event"], e.get("hit", e.get("reused"))) for e in ours.log]
    # The Node client only sends a session id when it has a session.
    assert events == [("newSession", None), ("secureConnection", False),
                      ("resumeSession", True), ("secureConnection", True)]


@async_test()
async def test_our_client_resumes_through_node_session_store(files, ca_pem):
    async with node_server(files, maxVersion="TLSv1.2", noTicket=True, store=True) as (node, node_port):
        first = await our_client(node_port, ca_pem, "TLSv1.2")
        second = await our_client(node_port, ca_pem, "TLSv1.2", first["sessions"][-1])
        assert (first["reused"], second["reused"]) == (False, True)
        events = [await node.recv(None) for _ in range(4)]
    # A client capped at TLS 1.2 sends no session id without a session.
    assert [(e["event"], e.get("hit", e.get("reused"))) for e in events] == [
        ("newSession", None), ("secureConnection", False),
        ("resumeSession", True), ("secureConnection", True)]


# -- shared ticket keys ------------------------------------------------------------------

@pytest.mark.parametrize("issuer", ["node", "ours"])
@pytest.mark.parametrize("max_version", VERSIONS)
@async_test()
async def test_node_and_our_server_share_ticket_keys(max_version, issuer, files, server_options, ca_pem):
    keys = os.urandom(48)
    sid_ctx = "shared-session-context"
    ours_options = {**server_options, "maxVersion": max_version, "ticketKeys": keys, "sessionIdContext": sid_ctx}
    async with node_server(files, maxVersion=max_version, ticketKeys=keys.hex(),
                           sessionIdContext=sid_ctx) as (node, node_port), \
            OurServer(ours_options) as ours:
        first_port, second_port = (node_port, ours.port) if issuer == "node" else (ours.port, node_port)
        first = await our_client(first_port, ca_pem, max_version)
        assert first["reused"] is False
        ticket_session = first["sessions"][-1]
        second = await our_client(second_port, ca_pem, max_version, ticket_session)
        assert second["reused"] is True and second["protocol"] == max_version and second["data"] == b"hello"
        # and a server with other keys cannot open it
        async with OurServer({**ours_options, "ticketKeys": os.urandom(48)}) as other:
            third = await our_client(other.port, ca_pem, max_version, ticket_session)
        assert third["reused"] is False
