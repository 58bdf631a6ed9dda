"""server.setSecureContext(options) (Node 20): certificate hot reload.

Port of test/parallel/test-tls-set-secure-context.js (over tls instead of
https): connections made after the call get the new certificate, a
connection made before keeps working throughout; plus a Node 20 client
seeing the swap, and Node's validation and field handling.
"""
from __future__ import annotations

import asyncio

import pytest

import tls

from support.aio import async_test, once
from support.certs import fingerprint256
from support.loopback import listen
from support.node import NodePeer


def _request(port: int, ca: bytes, request_id: int) -> "asyncio.Future[str]":
    """Connect, send the id, collect the reply until the server ends."""
    fut = asyncio.get_running_loop().create_future()
    chunks = []
    client = tls.connect({"port": port, "host": "127.0.0.1", "ca": ca})
    client.on("secureConnect", lambda: client.write(b"%d" % request_id))
    client.on("data", chunks.append)
    client.on("end", lambda: fut.done() or fut.set_result(b"".join(chunks).decode()))
    client.on("error", lambda err: fut.done() or fut.set_exception(err))
    return fut


@async_test(30)
async def test_set_secure_context_port(agent1, self_signed):
    """Port of test-tls-set-secure-context.js."""
    credential_options = [
        {"key": agent1["key"], "cert": agent1["cert"], "ca": agent1["ca"]},
        {"key": self_signed["key"], "cert": self_signed["cert"], "ca": self_signed["cert"]},
    ]
    ca = credential_options[0]["ca"]
    state = {"first": None}
    first_seen = asyncio.get_running_loop().create_future()

    def on_secure(socket):
        def on_data(data):
            request_id = int(data)
            if request_id == 1:
                state["first"] = socket
                socket.write(b"multi-")
                first_seen.set_result(True)
                return
            if request_id == 4:
                state["first"].write(b"success-")
            socket.end(b"success")

        socket.once("data", on_data)

    server = tls.createServer(credential_options[0], on_secure)
    port = await listen(server)
    try:
        first_request = _request(port, ca, 1)
        await first_seen
        assert await _request(port, ca, 2) == "success"

        server.setSecureContext(credential_options[1])
        state["first"].write(b"request-")
        with pytest.raises(tls.NodeError) as info:
            await _request(port, ca, 3)
        assert info.value.code == "DEPTH_ZERO_SELF_SIGNED_CERT"

        server.setSecureContext(credential_options[0])
        assert await _request(port, ca, 4) == "success"

        server.setSecureContext(credential_options[1])
        state["first"].end(b"fun!")
        with pytest.raises(tls.NodeError) as info:
            await _request(port, ca, 5)
        assert info.value.code == "DEPTH_ZERO_SELF_SIGNED_CERT"

        assert await first_request == "multi-request-success-fun!"
    finally:
        server.close()


NODE_FINGERPRINT_CLIENT = r"""
function one(i) {
  if (i === cfg.count) return;
  const s = tls.connect({port: cfg.port, host: '127.0.0.1', rejectUnauthorized: false}, () => {
    report({event: 'cert', fingerprint256: s.getPeerCertificate().fingerprint256});
    s.end();
  });
  s.on('close', () => one(i + 1));
  s.resume();
}
one(0);
"""


@async_test(30)
async def test_set_secure_context_seen_by_node_client(agent1, self_signed):
    """A Node 20 client sees the new certificate on the next connection."""
    server = tls.createServer({"key": agent1["key"], "cert": agent1["cert"]}, lambda s: s.end())
    count = [0]

    def on_secure_connection(sock):
        count[0] += 1
        if count[0] == 1:
            server.setSecureContext({"key": self_signed["key"], "cert": self_signed["cert"]})

    server.on("secureConnection", on_secure_connection)
    port = await listen(server)
    try:
        async with NodePeer(NODE_FINGERPRINT_CLIENT, {"port": port, "count": 2}) as node:
            first = await node.expect("cert")
            second = await node.expect("cert")
    finally:
        server.close()
    assert first["fingerprint256"] == fingerprint256(agent1["cert"])
    assert second["fingerprint256"] == fingerprint256(self_signed["cert"])


def test_set_secure_context_validation(agent1):
    def main():
        server = tls.createServer({"key": agent1["key"], "cert": agent1["cert"]})
        for bad in (None, "options", 5):
            with pytest.raises(TypeError) as info:
                server.setSecureContext(bad)
            assert info.value.code == "ERR_INVALID_ARG_TYPE"
        before = server._shared_creds
        # an invalid new context leaves the old one in place
        with pytest.raises(tls.NodeError):
            server.setSecureContext({"key": agent1["key"], "cert": b"not a certificate"})
        assert server._shared_creds is before
        # keyword arguments work too
        server.setSecureContext(key=agent1["key"], cert=agent1["cert"])
        assert server._shared_creds is not before

    tls.run(main)


def test_set_secure_context_fields(agent1):
    """Node's field handling: falsy -> unset, sticky sessionTimeout / ticketKeys,
    honorCipherOrder defaulting to true, a default sessionIdContext."""
    def main():
        keys = bytes(range(48))
        server = tls.createServer({"key": agent1["key"], "cert": agent1["cert"], "sessionTimeout": 77,
                                   "ticketKeys": keys, "ciphers": "ECDHE-RSA-AES128-GCM-SHA256"})
        assert server.key == agent1["key"] and server.cert == agent1["cert"]
        assert server.honorCipherOrder is True
        assert server.ciphers == "ECDHE-RSA-AES128-GCM-SHA256"
        assert len(server.sessionIdContext) == 32
        int(server.sessionIdContext, 16)
        assert server.getTicketKeys() == keys if hasattr(server, "getTicketKeys") else True
        server.setSecureContext({"key": agent1["key"], "cert": agent1["cert"], "honorCipherOrder": False,
                                 "sessionIdContext": "abc"})
        # not given again: kept from the first call (Node)
        assert server.sessionTimeout == 77 and server.ticketKeys == keys
        assert server._shared_creds.getTicketKeys() == keys
        # given falsy: unset
        assert server.ciphers is None and server.honorCipherOrder is False
        assert server.sessionIdContext == "abc"
        server.close()

    tls.run(main)


@async_test(30)
async def test_set_secure_context_keeps_existing_connections(agent1, self_signed):
    """Data keeps flowing both ways on a connection made before the swap."""
    server_side = asyncio.get_running_loop().create_future()
    server = tls.createServer({"key": agent1["key"], "cert": agent1["cert"]},
                              lambda s: server_side.set_result(s))
    port = await listen(server)
    try:
        client = tls.connect({"port": port, "host": "127.0.0.1", "ca": agent1["ca"]})
        await once(client, "secureConnect")
        conn = await server_side
        conn.on("data", lambda d: conn.write(b"echo:" + d))
        for i in range(3):
            server.setSecureContext({"key": self_signed["key"], "cert": self_signed["cert"]}
                                    if i % 2 == 0 else {"key": agent1["key"], "cert": agent1["cert"]})
            client.write(b"ping%d" % i)
            (data,) = await once(client, "data")
            assert data == b"echo:ping%d" % i
        assert client.getPeerCertificate()["fingerprint256"] == fingerprint256(agent1["cert"])
        client.end()
        await once(client, "close")
    finally:
        server.close()
