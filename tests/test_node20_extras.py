"""Node 20 TLSSocket additions: getFinished / getPeerFinished, getCertificate,
setServername, getSharedSigalgs and the ``sigalgs`` option.

Ports of test/parallel/test-tls-finished.js and test-tls-set-sigalgs.js, and
checks of each against a Node 20 or openssl peer for the same connection.
"""
from __future__ import annotations

import asyncio

import pytest

import tls

from support.aio import async_test, future_event, once
from support.certs import fingerprint256, pem_text
from support.loopback import listen
from support.node import NodePeer
from support.openssl import OPENSSL


# -- getFinished / getPeerFinished ----------------------------------------------------------

def test_finished(agent1, calls, node_run):
    """Port of test-tls-finished.js: None before the handshake, then each side's
    Finished equals the other side's peer Finished."""
    msg = {}

    def main():
        def on_secure(alice):
            msg["server"] = {"alice": alice.getFinished(), "bob": alice.getPeerFinished()}
            server.close()

        server = tls.createServer({"key": agent1["key"], "cert": agent1["cert"]}, calls.must_call(on_secure))

        def listening():
            def on_connect():
                msg["client"] = {"alice": bob.getPeerFinished(), "bob": bob.getFinished()}
                bob.end()

            bob = tls.connect({"port": server.address()["port"], "rejectUnauthorized": False},
                              calls.must_call(on_connect))
            msg["before"] = {"alice": bob.getPeerFinished(), "bob": bob.getFinished()}

        server.listen(0, calls.must_call(listening))

    node_run(main)
    assert msg["before"] == {"alice": None, "bob": None}
    for side in ("server", "client"):
        for who in ("alice", "bob"):
            assert isinstance(msg[side][who], bytes) and len(msg[side][who]) > 0
    assert msg["server"]["alice"] == msg["client"]["alice"]
    assert msg["server"]["bob"] == msg["client"]["bob"]


NODE_FINISHED_SERVER = r"""
const server = tls.createServer({key: cfg.key, cert: cfg.cert, maxVersion: cfg.version}, (s) => {
  report({event: 'finished', finished: hex(s.getFinished()), peer: hex(s.getPeerFinished())});
  s.end();
  server.close();
});
server.listen(0, '127.0.0.1', () => report({event: 'listening', port: server.address().port}));
"""


@pytest.mark.parametrize("version,size", [("TLSv1.2", 12), ("TLSv1.3", 48)])
@async_test()
async def test_finished_against_node(agent1, version, size):
    cfg = {"key": pem_text(agent1["key"]), "cert": pem_text(agent1["cert"]), "version": version}
    async with NodePeer(NODE_FINISHED_SERVER, cfg) as node:
        port = (await node.expect("listening"))["port"]
        client = tls.connect({"port": port, "host": "127.0.0.1", "rejectUnauthorized": False})
        client.resume()
        closed = future_event(client, "close")
        await once(client, "secureConnect")
        ours = (client.getFinished(), client.getPeerFinished())
        theirs = await node.expect("finished")
        await closed
    assert ours[0].hex() == theirs["peer"] and ours[1].hex() == theirs["finished"]
    # TLS 1.2: verify_data is 12 bytes; TLS 1.3: the size of the suite's hash
    # (TLS_AES_256_GCM_SHA384, the first of Node's default suites)
    assert len(ours[0]) == size
    assert client.getFinished() is None and client.getPeerFinished() is None  # destroyed


# -- getCertificate ---------------------------------------------------------------------------

NODE_CERT_CLIENT = r"""
const s = tls.connect({port: cfg.port, host: '127.0.0.1', rejectUnauthorized: false,
                       key: cfg.key, cert: cfg.cert}, () => {
  const peer = s.getPeerCertificate(), own = s.getCertificate();
  report({event: 'certs', peer: {fingerprint256: peer.fingerprint256, subject: peer.subject,
                                 raw: hex(peer.raw), serialNumber: peer.serialNumber},
          own: {fingerprint256: own.fingerprint256, subject: own.subject}});
  s.end();
});
s.resume();
"""


@async_test()
async def test_get_certificate_against_node(agent1, client_agent):
    """Our server's getCertificate() is the certificate Node's client got; the
    client's certificate is what our getPeerCertificate() shows."""
    seen = {}

    def on_secure(sock):
        seen["own"] = sock.getCertificate()
        seen["peer"] = sock.getPeerCertificate()
        sock.end()

    server = tls.createServer({"key": agent1["key"], "cert": agent1["cert"], "requestCert": True,
                               "rejectUnauthorized": False}, on_secure)
    port = await listen(server)
    try:
        cfg = {"port": port, "key": pem_text(client_agent["key"]), "cert": pem_text(client_agent["cert"])}
        async with NodePeer(NODE_CERT_CLIENT, cfg) as node:
            rep = await node.expect("certs")
            await node.exit_code()
    finally:
        server.close()
    own = seen["own"]
    assert own["fingerprint256"] == rep["peer"]["fingerprint256"]
    assert own["subject"] == rep["peer"]["subject"]
    assert own["raw"].hex() == rep["peer"]["raw"]
    assert own["serialNumber"] == rep["peer"]["serialNumber"]
    assert seen["peer"]["fingerprint256"] == rep["own"]["fingerprint256"]


def test_get_certificate_states(agent1):
    """{} for a client without a certificate (also before the handshake), the
    server's own certificate, None once destroyed."""
    seen = {}

    def main():
        def on_secure(sock):
            seen["server"] = sock.getCertificate()
            sock.end()

        server = tls.createServer({"key": agent1["key"], "cert": agent1["cert"]}, on_secure)

        def listening():
            client = tls.connect({"port": server.address()["port"], "rejectUnauthorized": False})
            seen["before"] = client.getCertificate()

            def on_connect():
                seen["client"] = client.getCertificate()

            def on_close(*_):
                seen["destroyed"] = client.getCertificate()
                server.close()

            client.on("secureConnect", on_connect)
            client.on("close", on_close)
            client.resume()

        server.listen(0, "127.0.0.1", listening)

    tls.run(main)
    assert seen["before"] == {} and seen["client"] == {}
    assert seen["destroyed"] is None
    assert seen["server"]["subject"]["CN"] == "agent1"
    assert seen["server"]["fingerprint256"] == fingerprint256(agent1["leaf"].cert_chain_pems[0].bytes())


# -- setServername --------------------------------------------------------------------------

def test_set_servername_from_server_throws(agent1):
    """Node: ERR_TLS_SNI_FROM_SERVER on a server-side socket; a non-string name is
    ERR_INVALID_ARG_TYPE on either side."""
    codes = []

    def main():
        def on_secure(sock):
            for name in ("example.com", 5):
                try:
                    sock.setServername(name)
                except tls.NodeError as err:
                    codes.append(("server", err.code))
            sock.end()

        server = tls.createServer({"key": agent1["key"], "cert": agent1["cert"]}, on_secure)

        def listening():
            client = tls.connect({"port": server.address()["port"], "rejectUnauthorized": False})
            try:
                client.setServername(5)
            except tls.NodeError as err:
                codes.append(("client", err.code))
            client.on("close", lambda *a: server.close())
            client.resume()

        server.listen(0, "127.0.0.1", listening)

    tls.run(main)
    assert codes == [("client", "ERR_INVALID_ARG_TYPE"), ("server", "ERR_TLS_SNI_FROM_SERVER"),
                     ("server", "ERR_INVALID_ARG_TYPE")]


NODE_SNI_SERVER = r"""
const server = tls.createServer({key: cfg.key, cert: cfg.cert}, (s) => {
  report({event: 'servername', servername: s.servername});
  s.end();
  server.close();
});
server.listen(0, '127.0.0.1', () => report({event: 'listening', port: server.address().port}));
"""


@async_test()
async def test_set_servername_on_client_reaches_node(agent1):
    """setServername() on a client TLSSocket made by hand sends SNI."""
    cfg = {"key": pem_text(agent1["key"]), "cert": pem_text(agent1["cert"])}
    async with NodePeer(NODE_SNI_SERVER, cfg) as node:
        port = (await node.expect("listening"))["port"]
        raw = tls.net.connect(port, "127.0.0.1")
        await once(raw, "connect")
        client = tls.TLSSocket(raw, {"rejectUnauthorized": False})
        client.setServername("sni.example.org")
        client.resume()
        client.write(b"")
        rep = await node.expect("servername")
        client.destroy()
    assert rep["servername"] == "sni.example.org"


# -- sigalgs ----------------------------------------------------------------------------------

SIGALGS_CASES = [
    # (client sigalgs, server sigalgs, shared, client error, server error)
    ("RSA-PSS+SHA384", "RSA-PSS+SHA384", ["RSA-PSS+SHA384"], None, None),
    ("RSA-PSS+SHA256:RSA-PSS+SHA512:ECDSA+SHA256", "RSA-PSS+SHA256:ECDSA+SHA256",
     ["RSA-PSS+SHA256", "ECDSA+SHA256"], None, None),
    ("RSA-PSS+SHA384", "ECDSA+SHA256", None, "ERR_SSL_SSLV3_ALERT_HANDSHAKE_FAILURE",
     "ERR_SSL_NO_SHARED_SIGNATURE_ALGORITHMS"),
    ("RSA-PSS+SHA384:ECDSA+SHA256", "ECDSA+SHA384:RSA-PSS+SHA256", None,
     "ERR_SSL_SSLV3_ALERT_HANDSHAKE_FAILURE", "ERR_SSL_NO_SHARED_SIGNATURE_ALGORITHMS"),
]


@pytest.mark.parametrize("csigalgs,ssigalgs,shared,cerr,serr", SIGALGS_CASES)
def test_set_sigalgs(csigalgs, ssigalgs, shared, cerr, serr, agent1, client_agent, calls, node_run):
    """Port of test-tls-set-sigalgs.js (Node's tls-connect fixture: the server
    echoes, the result is read once both ends are connected or failed)."""
    pair = {"server": {}, "client": {}}

    def main():
        def done():
            if "conn" in pair["server"] and "conn" in pair["client"]:
                check()

        def check():
            if shared:
                assert "err" not in pair["server"] and "err" not in pair["client"]
                assert pair["server"]["conn"].getSharedSigalgs() == shared
            else:
                assert pair["server"]["err"].code == serr
                assert pair["client"]["err"].code == cerr
            server.close()
            pair["client"]["conn"].end()

        def on_secure(conn):
            pair["server"]["conn"] = conn
            conn.pipe(conn)
            done()

        server = tls.createServer({"cert": agent1["cert"], "key": agent1["key"], "ca": client_agent["ca"],
                                   "sigalgs": ssigalgs}, on_secure)

        def on_client_error(err, sock):
            pair["server"].update(conn=sock, err=err)
            done()

        server.on("tlsClientError", on_client_error)

        def listening():
            client = tls.connect({"port": server.address()["port"], "checkServerIdentity": lambda *a: None,
                                  "ca": agent1["ca"], "cert": client_agent["cert"], "key": client_agent["key"],
                                  "sigalgs": csigalgs})

            def on_connect():
                pair["client"]["conn"] = client
                done()

            def on_error(err):
                pair["client"].update(conn=client, err=err)
                done()

            client.on("secureConnect", on_connect)
            client.on("error", on_error)

        server.listen(0, calls.must_call(listening))

    node_run(main)


SERVER_SIGALGS = "RSA-PSS+SHA512:RSA-PSS+SHA256:RSA+SHA384"
CLIENT_SIGALGS = "RSA-PSS+SHA256:RSA+SHA384:ECDSA+SHA256"

NODE_SIGALGS_PAIR = r"""
const server = tls.createServer({key: cfg.key, cert: cfg.cert, ca: cfg.ca, sigalgs: cfg.ssigalgs,
                                 maxVersion: cfg.version, requestCert: cfg.requestCert,
                                 rejectUnauthorized: false}, (s) => {
  report({event: 'server', shared: s.getSharedSigalgs()});
  s.end();
  server.close();
});
server.listen(0, '127.0.0.1', () => {
  const c = tls.connect({port: server.address().port, host: '127.0.0.1', rejectUnauthorized: false,
                         sigalgs: cfg.csigalgs, key: cfg.ckey, cert: cfg.ccert},
                        () => report({event: 'client', shared: c.getSharedSigalgs()}));
  c.resume();
});
"""


@pytest.mark.parametrize("version", ["TLSv1.2", "TLSv1.3"])
@pytest.mark.parametrize("request_cert", [False, True])
@async_test()
async def test_shared_sigalgs_same_as_node(agent1, client_agent, version, request_cert):
    """getSharedSigalgs() on both ends equals what Node 20 reports for the same
    configuration (a client only has a list when asked for a certificate)."""
    cfg = {"key": pem_text(agent1["key"]), "cert": pem_text(agent1["cert"]), "ca": pem_text(client_agent["ca"]),
           "ssigalgs": SERVER_SIGALGS, "csigalgs": CLIENT_SIGALGS, "version": version,
           "requestCert": request_cert, "ckey": pem_text(client_agent["key"]),
           "ccert": pem_text(client_agent["cert"])}
    async with NodePeer(NODE_SIGALGS_PAIR, cfg) as node:
        node_server = (await node.expect("server"))["shared"]
        node_client = (await node.expect("client"))["shared"]

    ours = {}
    server = tls.createServer({"key": agent1["key"], "cert": agent1["cert"], "ca": client_agent["ca"],
                               "sigalgs": SERVER_SIGALGS, "maxVersion": version, "requestCert": request_cert,
                               "rejectUnauthorized": False},
                              lambda s: (ours.__setitem__("server", s.getSharedSigalgs()), s.end()))
    port = await listen(server)
    try:
        client = tls.connect({"port": port, "host": "127.0.0.1", "rejectUnauthorized": False,
                              "sigalgs": CLIENT_SIGALGS, "key": client_agent["key"], "cert": client_agent["cert"]})
        client.resume()
        await once(client, "secureConnect")
        ours["client"] = client.getSharedSigalgs()
        await once(client, "close")
    finally:
        server.close()
    assert ours == {"server": node_server, "client": node_client}
    assert node_server == ["RSA-PSS+SHA256", "RSA+SHA384"]


NODE_SIGALGS_CLIENT = r"""
const s = tls.connect({port: cfg.port, host: '127.0.0.1', rejectUnauthorized: false, sigalgs: cfg.sigalgs},
                      () => { report({event: 'secureConnect'}); s.end(); });
s.on('error', (e) => report({event: 'error', error: errInfo(e)}));
s.resume();
"""


@pytest.mark.parametrize("sigalgs,shared", [("RSA-PSS+SHA256:RSA+SHA384", ["RSA-PSS+SHA256", "RSA+SHA384"]),
                                            ("RSA-PSS+SHA512", ["RSA-PSS+SHA512"])])
@async_test()
async def test_sigalgs_against_node_client(agent1, sigalgs, shared):
    """A Node client's ``sigalgs`` as our server sees them."""
    ours = []
    server = tls.createServer({"key": agent1["key"], "cert": agent1["cert"], "sigalgs": SERVER_SIGALGS},
                              lambda s: (ours.append(s.getSharedSigalgs()), s.end()))
    port = await listen(server)
    try:
        async with NodePeer(NODE_SIGALGS_CLIENT, {"port": port, "sigalgs": sigalgs}) as node:
            await node.expect("secureConnect")
            await node.exit_code()
    finally:
        server.close()
    assert ours == [shared]


@pytest.mark.parametrize("sigalgs,expected", [("RSA-PSS+SHA384", b"RSA-PSS"), ("RSA+SHA256", b"RSA"),
                                              ("RSA-PSS+SHA512", b"RSA-PSS")])
@async_test(30)
async def test_sigalgs_server_seen_by_openssl_s_client(agent1, tmp_path, sigalgs, expected):
    """The server signs with the one algorithm ``sigalgs`` allows (TLS 1.2, where
    PKCS#1 v1.5 is allowed): openssl s_client reports it."""
    server = tls.createServer({"key": agent1["key"], "cert": agent1["cert"], "sigalgs": sigalgs,
                               "maxVersion": "TLSv1.2"}, lambda s: s.end())
    port = await listen(server)
    try:
        proc = await asyncio.create_subprocess_exec(
            OPENSSL, "s_client", "-connect", "127.0.0.1:%d" % port, "-tls1_2",
            stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
        out, err = await proc.communicate()
    finally:
        server.close()
    digest = sigalgs.split("+")[1].encode()
    text = out + err
    assert b"Peer signing digest: " + digest in text, text
    assert b"Peer signature type: " + expected + b"\n" in text, text


@async_test(30)
async def test_sigalgs_client_against_openssl_s_server(agent1, client_agent, tmp_path):
    """Our client's ``sigalgs`` limits what the server may sign with: s_server
    (TLS 1.3, RSA key) succeeds with RSA-PSS+SHA512 only, fails with ECDSA only."""
    key, cert = tmp_path / "k.pem", tmp_path / "c.pem"
    key.write_bytes(agent1["key"])
    cert.write_bytes(agent1["cert"])
    proc = await asyncio.create_subprocess_exec(
        OPENSSL, "s_server", "-accept", "0", "-key", str(key), "-cert", str(cert), "-tls1_3",
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    try:
        line = b""
        while b"ACCEPT" not in line:
            line = await proc.stdout.readline()
            assert line, "s_server did not start"
        port = int(line.split(b":")[-1])
        client = tls.connect({"port": port, "host": "127.0.0.1", "ca": agent1["ca"],
                              "sigalgs": "RSA-PSS+SHA512"})
        await once(client, "secureConnect")
        assert client.getSharedSigalgs() == []   # a client has no list unless asked for a certificate
        client.destroy()

        # offering only what an RSA key cannot do: the server has nothing to sign with
        bad = tls.connect({"port": port, "host": "127.0.0.1", "ca": agent1["ca"], "sigalgs": "ECDSA+SHA256"})
        with pytest.raises(tls.NodeError) as info:
            await once(bad, "secureConnect")
        assert info.value.code == "ERR_SSL_SSLV3_ALERT_HANDSHAKE_FAILURE"
    finally:
        proc.kill()
        await proc.wait()


def test_sigalgs_option_validation():
    """Node's checks: '' -> ERR_INVALID_ARG_VALUE, not a string -> ERR_INVALID_ARG_TYPE,
    an unknown name -> an error from OpenSSL (Node 20 gives it no code either)."""
    with pytest.raises(tls.NodeError) as info:
        tls.createSecureContext({"sigalgs": ""})
    assert info.value.code == "ERR_INVALID_ARG_VALUE"
    with pytest.raises(TypeError) as info:
        tls.createSecureContext({"sigalgs": 5})
    assert info.value.code == "ERR_INVALID_ARG_TYPE"
    for bad in ("NOPE+SHA256", "RSA-PSS+SHA256:bogus"):
        with pytest.raises(tls.NodeError) as info:
            tls.createSecureContext({"sigalgs": bad})
        assert info.value.code is None
