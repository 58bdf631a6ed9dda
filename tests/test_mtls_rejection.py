"""mTLS: a tls.Server that rejects a client certificate says why on its 'tlsClientError'.

Node 20 (lib/_tls_wrap.js onServerSocketSecure) completes the handshake, destroys the socket
without an error and reports ECONNRESET "socket hang up"; ours keeps that ``.code`` and
``.message`` (compared with a Node server below) and adds the reason: ``err.verifyError``,
``err.verify_code`` / ``err.verify_message``, and ``str(err)``.  Clients: ``openssl s_client``
and Node, presenting an untrusted and an expired certificate.  The client's side is Node's
too: in TLS 1.3 it has finished its handshake first, so it sees 'secureConnect' and then a
plain end, no error (docs/usage.md explains it)."""
from __future__ import annotations

import asyncio
import datetime

import pytest

import tls

from support.aio import async_test, when
from support.loopback import listen
from support.node import NodePeer, NODE_CLIENT, node_port
from support.openssl import OPENSSL


@pytest.fixture(scope="module")
def expired(ca, tmp_path_factory):
    """A client certificate from the trusted CA that expired yesterday (key, cert paths)."""
    now = datetime.datetime.now(datetime.timezone.utc)
    leaf = ca.issue_cert("client.example", not_before=now - datetime.timedelta(days=10),
                         not_after=now - datetime.timedelta(days=1))
    folder = tmp_path_factory.mktemp("expired")
    key, cert = str(folder / "key.pem"), str(folder / "cert.pem")
    leaf.private_key_pem.write_to_path(key)
    leaf.cert_chain_pems[0].write_to_path(cert)
    return key, cert


async def _mtls_server(pems, max_version):
    server = tls.createServer(pems.server_options(ca=pems.ca, requestCert=True, rejectUnauthorized=True,
                                                  maxVersion=max_version),
                              lambda sock: pytest.fail("a rejected client got through"))
    rejected = asyncio.get_running_loop().create_future()
    server.on("tlsClientError", lambda err, sock: rejected.done() or rejected.set_result((err, sock)))
    return server, await listen(server), rejected


def _assert_explained(err, sock, code, number, text):
    assert (err.code, err.message) == ("ECONNRESET", "socket hang up")     # Node's, unchanged
    assert isinstance(err, tls.NodeError)
    assert sock.authorizationError == code                                 # Node's own field
    assert (err.verifyError.code, err.verifyError.message) == (code, text)
    assert (err.verify_code, err.verify_message) == (number, text)
    assert str(err).endswith("socket hang up (client certificate rejected: %s: %s)" % (code, text))


@pytest.mark.parametrize("version", ["TLSv1.3", "TLSv1.2"])
@async_test(20)
async def test_openssl_client_with_an_untrusted_certificate(pems, version):
    server, port, rejected = await _mtls_server(pems, version)
    client = await asyncio.create_subprocess_exec(
        OPENSSL, "s_client", "-connect", "127.0.0.1:%d" % port, "-servername", "localhost",
        "-CAfile", pems.path("ca"), "-cert", pems.path("self_cert"), "-key", pems.path("self_key"),
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)
    try:
        err, sock = await asyncio.wait_for(rejected, 15)
        _assert_explained(err, sock, "DEPTH_ZERO_SELF_SIGNED_CERT", 18, "self-signed certificate")
    finally:
        client.kill()
        await client.wait()
        server.close()


@async_test(20)
async def test_node_client_with_an_expired_certificate_sees_a_plain_end(pems, expired):
    server, port, rejected = await _mtls_server(pems, "TLSv1.3")
    key, cert = expired
    async with NodePeer(NODE_CLIENT, {"port": port, "ca": pems.path("ca"), "key": key, "cert": cert,
                                      "options": {"servername": "localhost"}}) as peer:
        err, sock = await asyncio.wait_for(rejected, 15)
        _assert_explained(err, sock, "CERT_HAS_EXPIRED", 10, "certificate has expired")
        await peer.expect("secureConnect")   # TLS 1.3: the client finished first ...
        await peer.expect("end")             # ... then the connection just ends
        await peer.expect("close")
        assert "error" not in peer.names()
    server.close()


NODE_MTLS_SERVER = r"""
const server = tls.createServer(Object.assign(tlsOptions(), {requestCert: true, rejectUnauthorized: true}));
server.on('tlsClientError', (e, s) => report({event: 'tlsClientError', code: e.code, message: e.message,
                                               keys: Object.keys(e), authorizationError: s.authorizationError}));
server.listen(0, '127.0.0.1', () => report({event: 'listening', port: server.address().port}));
"""


@async_test(20)
async def test_node_server_reports_the_same_code_and_message(pems):
    """Node's own tlsClientError for this case: the reason only on authorizationError."""
    cfg = {"key": pems.path("key"), "cert": pems.path("cert"), "ca": pems.path("ca")}
    async with NodePeer(NODE_MTLS_SERVER, cfg) as node_server:
        port = await node_port(node_server)
        sock = await tls.connect(port, "localhost", ca=pems.ca, key=pems.self_key, cert=pems.self_cert)
        ended = when(sock, "close")
        node = await node_server.expect("tlsClientError")
        await ended                          # our client too: 'secureConnect', then a plain end
    server, port, rejected = await _mtls_server(pems, "TLSv1.3")
    sock = await tls.connect(port, "localhost", ca=pems.ca, key=pems.self_key, cert=pems.self_cert)
    err, server_sock = await rejected
    assert (err.code, err.message, server_sock.authorizationError) == \
        (node["code"], node["message"], node["authorizationError"])
    assert node["keys"] == ["code"]          # Node has no reason on the error: the difference
    await when(sock, "close")
    server.close()
