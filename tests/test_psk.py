"""pskCallback / pskIdentityHint (Node 20): TLS 1.2 PSK cipher suites and TLS 1.3
external PSKs.

Ports of test/parallel/test-tls-psk-circuit.js, test-tls-psk-errors.js and
test-tls-psk-server.js (openssl s_client -psk), interop with Node 20 on both
sides and with openssl s_server, and Node's handling of a callback that
raises or returns something invalid (the socket is destroyed with that
error; the peer sees the connection drop).
"""
from __future__ import annotations

import asyncio

import pytest

import tls
import tls._protocol.extras  # noqa: F401  (registers the PSK hooks, as a TLSSocket does)
from tls._binding import ffi, lib
from tls._engine.engine import TLSEngine

from support.aio import async_test, once
from support.loopback import listen
from support.node import NodePeer
from support.node_style import assert_equal
from support.openssl import OPENSSL

CIPHERS = "PSK+HIGH:TLS_AES_128_GCM_SHA256"
USERS = {
    "users": bytes(range(128)),
    "UserB": bytes.fromhex("82072606b502b0f4025e90eb75fe137d"),
}
TEST_DATA = b"x"

# The handshake failures as this OpenSSL (3.0) reports them; Node 20 on the
# same OpenSSL gives the same codes (checked with a Node peer below).
HANDSHAKE_FAILURE = "ERR_SSL_SSLV3_ALERT_HANDSHAKE_FAILURE"
ILLEGAL_PARAMETER = "ERR_SSL_SSLV3_ALERT_ILLEGAL_PARAMETER"

CIRCUIT = [
    ({"psk": USERS["users"], "identity": "users"}, {}, None),
    ({"psk": USERS["users"], "identity": "users"}, {"maxVersion": "TLSv1.2"}, None),
    ({"psk": USERS["users"], "identity": "users"}, {"minVersion": "TLSv1.3"}, None),
    ({"psk": USERS["UserB"], "identity": "UserB"}, {}, None),
    ({"psk": USERS["UserB"], "identity": "UserB"}, {"minVersion": "TLSv1.3"}, None),
    # Unrecognized user should fail handshake
    ({"psk": USERS["UserB"], "identity": "UserC"}, {}, HANDSHAKE_FAILURE),
    # Recognized user but incorrect secret should fail handshake
    ({"psk": USERS["users"], "identity": "UserB"}, {}, ILLEGAL_PARAMETER),
    ({"psk": USERS["UserB"], "identity": "UserB"}, {}, None),
]


@pytest.mark.parametrize("secret,opts,error", CIRCUIT)
def test_psk_circuit(secret, opts, error, calls, node_run):
    """Port of test-tls-psk-circuit.js (one case per test)."""
    def server_psk(socket, ident):
        assert isinstance(socket, tls.TLSSocket)
        assert isinstance(ident, str)
        return USERS.get(ident)

    def main():
        server_options = {"ciphers": CIPHERS, "pskCallback": calls.must_call_at_least(server_psk)}
        if not error:
            cb = calls.must_call(lambda c: c.pipe(c))
        else:
            cb = calls.must_not_call("secureConnection")
        server = tls.createServer(server_options, cb)

        def listening():
            options = {"port": server.address()["port"], "ciphers": CIPHERS,
                       "checkServerIdentity": lambda *a: None,
                       "pskCallback": calls.must_call(lambda hint: secret)}
            options.update(opts)
            if not error:
                def on_secure():
                    client.end(TEST_DATA)
                    client.on("data", calls.must_call(lambda data: assert_equal(data, TEST_DATA)))
                    client.on("close", calls.must_call(lambda *a: server.close()))

                client = tls.connect(options, calls.must_call(on_secure))
            else:
                client = tls.connect(options, calls.must_not_call("secureConnect"))

                def on_error(err):
                    assert err.code == error
                    server.close()

                client.on("error", calls.must_call(on_error))

        server.listen(0, calls.must_call(listening))

    node_run(main)


def test_psk_errors_identity_hint_too_long(calls, node_run):
    """Port of test-tls-psk-errors.js: a hint OpenSSL refuses -> tlsClientError.

    Node 20's code has a typo (ERR_TLS_PSK_SET_IDENTIY_HINT_FAILED); Node 22
    renamed it ERR_TLS_PSK_SET_IDENTITY_HINT_FAILED.  We follow Node 20.
    """
    def main():
        server = tls.createServer({"ciphers": "PSK+HIGH", "pskCallback": lambda *a: None,
                                   "pskIdentityHint": "a" * 512})  # Too long identity hint.

        def on_client_error(err, sock):
            assert isinstance(err, Exception)
            assert err.code == "ERR_TLS_PSK_SET_IDENTIY_HINT_FAILED"
            server.close()

        server.on("tlsClientError", calls.must_call(on_client_error))

        def listening():
            client = tls.connect({"port": server.address()["port"], "ciphers": "PSK+HIGH",
                                  "checkServerIdentity": lambda *a: None, "pskCallback": lambda *a: None},
                                 calls.must_not_call("secureConnect"))
            client.on("error", calls.must_call(lambda err: assert_equal(err.code, "ECONNRESET")))

        server.listen(0, listening)

    node_run(main)


def _run_pair(server_opts, client_opts, timeout=10.0):
    """One connection between our server and our client; what each side saw."""
    seen = {"server": [], "client": []}

    def main():
        server = tls.createServer(dict({"ciphers": "PSK+HIGH"}, **server_opts),
                                  lambda c: (seen["server"].append("secureConnection"), c.end()))
        server.on("tlsClientError", lambda err, s: seen["server"].append(("tlsClientError", err)))

        def listening():
            client = tls.connect(dict({"port": server.address()["port"], "ciphers": "PSK+HIGH",
                                       "checkServerIdentity": lambda *a: None}, **client_opts),
                                 lambda: seen["client"].append("secureConnect"))
            client.on("error", lambda err: seen["client"].append(("error", err)))
            client.on("close", lambda *a: server.close())
            client.resume()

        server.listen(0, "127.0.0.1", listening)
        _watch = tls._node.runtime.setTimeout(_timeout, timeout * 1000)
        _watch.unref()

    tls.run(main)
    return seen


def _timeout():
    raise TimeoutError("PSK scenario did not finish")


class Boom(Exception):
    code = "BOOM"


def _boom(*args):
    raise Boom("boom")


GOOD_CLIENT = {"psk": bytes(16), "identity": "me"}


@pytest.mark.parametrize("version", ["TLSv1.2", "TLSv1.3"])
def test_psk_server_callback_raises(version):
    """Node: the server socket is destroyed with the error (tlsClientError); the
    client sees the connection drop (ECONNRESET), no alert."""
    seen = _run_pair({"pskCallback": _boom}, {"pskCallback": lambda h: GOOD_CLIENT, "maxVersion": version})
    assert [x[0] for x in seen["server"]] == ["tlsClientError"]
    assert isinstance(seen["server"][0][1], Boom)
    assert [(x[0], x[1].code) for x in seen["client"]] == [("error", "ECONNRESET")]


@pytest.mark.parametrize("version", ["TLSv1.2", "TLSv1.3"])
def test_psk_client_callback_raises(version):
    """Node: the client socket is destroyed with the error; the server sees a hang-up."""
    seen = _run_pair({"pskCallback": lambda s, i: bytes(16)}, {"pskCallback": _boom, "maxVersion": version})
    assert [x[0] for x in seen["client"]] == ["error"]
    assert isinstance(seen["client"][0][1], Boom)
    assert [(x[0], x[1].code) for x in seen["server"]] == [("tlsClientError", "ECONNRESET")]


@pytest.mark.parametrize("server_ret,code", [
    (bytes(1000), "ERR_INVALID_ARG_VALUE"),        # longer than PSK_MAX_PSK_LEN (512)
    (42, "ERR_INVALID_ARG_TYPE"),
    ({"psk": "not a buffer"}, "ERR_INVALID_ARG_TYPE"),
])
def test_psk_server_callback_invalid_result(server_ret, code):
    seen = _run_pair({"pskCallback": lambda s, i: server_ret}, {"pskCallback": lambda h: GOOD_CLIENT})
    assert [(x[0], x[1].code) for x in seen["server"]] == [("tlsClientError", code)]
    assert [(x[0], x[1].code) for x in seen["client"]] == [("error", "ECONNRESET")]


@pytest.mark.parametrize("client_ret,code", [
    ("nope", "ERR_INVALID_ARG_TYPE"),
    ({"psk": "str", "identity": "me"}, "ERR_INVALID_ARG_TYPE"),
    ({"psk": bytes(16), "identity": 5}, "ERR_INVALID_ARG_TYPE"),
    ({"psk": bytes(16), "identity": "x" * 300}, "ERR_INVALID_ARG_VALUE"),   # > PSK_MAX_IDENTITY_LEN
    ({"psk": bytes(600), "identity": "me"}, "ERR_INVALID_ARG_VALUE"),
])
def test_psk_client_callback_invalid_result(client_ret, code):
    seen = _run_pair({"pskCallback": lambda s, i: bytes(16)}, {"pskCallback": lambda h: client_ret})
    assert [(x[0], x[1].code) for x in seen["client"]] == [("error", code)]
    assert [(x[0], x[1].code) for x in seen["server"]] == [("tlsClientError", "ECONNRESET")]


def test_psk_server_result_forms_and_hint():
    """The server may return the key or {'psk': key}; the TLS 1.2 client gets the hint
    (TLS 1.3 has none: None), the server the client's identity."""
    got = []
    seen = _run_pair({"pskCallback": lambda s, ident: (got.append(("server", ident)), {"psk": bytes(16)})[1],
                      "pskIdentityHint": "myhint"},
                     {"maxVersion": "TLSv1.2",
                      "pskCallback": lambda hint: (got.append(("client", hint)), GOOD_CLIENT)[1]})
    assert seen == {"server": ["secureConnection"], "client": ["secureConnect"]}
    assert got == [("client", "myhint"), ("server", "me")]
    got.clear()
    seen = _run_pair({"pskCallback": lambda s, ident: (got.append(("server", ident)), bytearray(16))[1],
                      "pskIdentityHint": "myhint"},
                     {"pskCallback": lambda hint: (got.append(("client", hint)), GOOD_CLIENT)[1]})
    assert seen == {"server": ["secureConnection"], "client": ["secureConnect"]}
    assert got == [("client", None), ("server", "me")]


def test_psk_validation():
    def main():
        for make, name in [
                (lambda: tls.createServer({"pskCallback": 5}), "options.pskCallback"),
                (lambda: tls.createServer({"pskCallback": lambda *a: None, "pskIdentityHint": 5}),
                 "options.pskIdentityHint"),
                (lambda: tls.connect({"port": 1, "pskCallback": 5}), "pskCallback")]:
            with pytest.raises(TypeError) as info:
                make()
            assert info.value.code == "ERR_INVALID_ARG_TYPE"
            assert '"%s"' % name in str(info.value)
        # falsy values are "not given", as in JavaScript
        tls.createServer({"pskCallback": None, "pskIdentityHint": ""}).close()

    tls.run(main)


def test_psk_without_certificate_is_authorized():
    """A PSK handshake needs no certificate and counts as verified (Node's
    VerifyPeerCertificate); with the default rejectUnauthorized the client is
    authorized, and only checkServerIdentity (TLS 1.2, not resumed) can object."""
    state = {}

    def main():
        server = tls.createServer({"ciphers": CIPHERS, "pskCallback": lambda s, i: USERS["UserB"]},
                                  lambda c: c.end())

        def listening():
            port = server.address()["port"]
            a = tls.connect({"port": port, "ciphers": CIPHERS,
                             "pskCallback": lambda h: {"psk": USERS["UserB"], "identity": "UserB"}},
                            lambda: state.update(tls13=(a.authorized, a.authorizationError, a.isSessionReused(),
                                                        a.getPeerCertificate())))
            a.resume()

            def second(*_):
                b = tls.connect({"port": port, "ciphers": CIPHERS, "maxVersion": "TLSv1.2",
                                 "pskCallback": lambda h: {"psk": USERS["UserB"], "identity": "UserB"}})
                b.on("error", lambda err: state.update(tls12=err.code))
                b.on("close", lambda *a: server.close())

            a.on("close", second)

        server.listen(0, "127.0.0.1", listening)

    tls.run(main)
    assert state["tls13"] == (True, None, True, {})
    # TLS 1.2: no certificate for checkServerIdentity, as in Node
    assert state["tls12"] == "ERR_TLS_CERT_ALTNAME_INVALID"


# -- interop: Node 20 ------------------------------------------------------------------------

NODE_PSK_SERVER = r"""
const server = tls.createServer({
  ciphers: cfg.ciphers, maxVersion: cfg.version, pskIdentityHint: cfg.hint,
  pskCallback: (socket, identity) => {
    report({event: 'identity', identity, isSocket: socket instanceof tls.TLSSocket});
    return identity === cfg.identity ? Buffer.from(cfg.key, 'hex') : undefined;
  },
}, (s) => {
  report({event: 'secureConnection', protocol: s.getProtocol(), cipher: s.getCipher().name});
  s.on('data', (d) => s.write('echo:' + d));
  s.on('end', () => s.end());
});
server.on('tlsClientError', (e) => report({event: 'tlsClientError', error: errInfo(e)}));
server.listen(0, '127.0.0.1', () => report({event: 'listening', port: server.address().port}));
"""

NODE_PSK_CLIENT = r"""
const s = tls.connect({
  port: cfg.port, host: '127.0.0.1', ciphers: cfg.ciphers, maxVersion: cfg.version,
  checkServerIdentity: () => {},
  pskCallback: (hint) => {
    report({event: 'hint', hint});
    return {psk: Buffer.from(cfg.key, 'hex'), identity: cfg.identity};
  },
}, () => {
  report({event: 'secureConnect', protocol: s.getProtocol(), cipher: s.getCipher().name,
          authorized: s.authorized});
  s.write('hello');
});
let got = '';
s.on('data', (d) => { got += d; if (got.includes('echo:hello')) { report({event: 'data', text: got}); s.end(); } });
s.on('error', (e) => report({event: 'error', error: errInfo(e)}));
s.on('close', () => report({event: 'close'}));
"""

KEY_HEX = "d731ef57be09e5204f0b205b60627028"


@pytest.mark.parametrize("version", ["TLSv1.2", "TLSv1.3"])
@async_test()
async def test_psk_client_against_node_server(version):
    cfg = {"ciphers": CIPHERS, "version": version, "hint": "node-hint", "identity": "TestUser", "key": KEY_HEX}
    async with NodePeer(NODE_PSK_SERVER, cfg) as node:
        port = (await node.expect("listening"))["port"]
        hints = []
        client = tls.connect({"port": port, "host": "127.0.0.1", "ciphers": CIPHERS,
                              "checkServerIdentity": lambda *a: None,
                              "pskCallback": lambda hint: (hints.append(hint),
                                                           {"psk": bytes.fromhex(KEY_HEX),
                                                            "identity": "TestUser"})[1]})
        got = []
        client.on("data", got.append)
        await once(client, "secureConnect")
        assert client.authorized is True
        client.write(b"hi")
        ident = await node.expect("identity")
        secure = await node.expect("secureConnection")
        while b"".join(got) != b"echo:hi":
            await once(client, "data")
        client.end()
        await once(client, "close")
    assert ident["identity"] == "TestUser" and ident["isSocket"] is True
    assert secure["protocol"] == version
    # A TLS 1.3-capable client asks first for its ClientHello (no hint in TLS 1.3),
    # then again with the TLS 1.2 server's hint (Node 20 does the same).
    assert hints == ([None, "node-hint"] if version == "TLSv1.2" else [None])


@pytest.mark.parametrize("version", ["TLSv1.2", "TLSv1.3"])
@async_test()
async def test_psk_server_against_node_client(version):
    identities = []
    secure = []

    def on_secure(s):
        secure.append((s.getProtocol(), s.getCipher()["name"]))
        s.on("data", lambda d: s.write(b"echo:" + d))
        s.on("end", lambda: s.end())

    server = tls.createServer({"ciphers": CIPHERS, "pskIdentityHint": "py-hint",
                               "pskCallback": lambda sock, ident: (identities.append(ident),
                                                                   bytes.fromhex(KEY_HEX))[1]}, on_secure)
    port = await listen(server)
    try:
        cfg = {"port": port, "ciphers": CIPHERS, "version": version, "identity": "NodeUser", "key": KEY_HEX}
        async with NodePeer(NODE_PSK_CLIENT, cfg) as node:
            hint = await node.expect("hint")
            connected = await node.expect("secureConnect")
            data = await node.expect("data")
            await node.expect("close")
    finally:
        server.close()
    assert identities == ["NodeUser"]
    assert hint["hint"] == ("py-hint" if version == "TLSv1.2" else None)
    assert connected["protocol"] == version and connected["authorized"] is True
    assert secure == [(version, connected["cipher"])]
    assert data["text"] == "echo:hello"


@async_test()
async def test_psk_unknown_identity_against_node_server():
    """Same codes as Node for the failure (TLS 1.2: unknown_psk_identity alert)."""
    cfg = {"ciphers": CIPHERS, "version": "TLSv1.2", "hint": "h", "identity": "TestUser", "key": KEY_HEX}
    async with NodePeer(NODE_PSK_SERVER, cfg) as node:
        port = (await node.expect("listening"))["port"]
        client = tls.connect({"port": port, "host": "127.0.0.1", "ciphers": CIPHERS,
                              "checkServerIdentity": lambda *a: None,
                              "pskCallback": lambda hint: {"psk": bytes(16), "identity": "Nobody"}})
        with pytest.raises(tls.NodeError) as info:
            await once(client, "secureConnect")
        server_err = await node.expect("tlsClientError")
    assert info.value.code == "ERR_SSL_TLSV1_ALERT_UNKNOWN_PSK_IDENTITY"
    assert server_err["error"]["code"] == "ERR_SSL_PSK_IDENTITY_NOT_FOUND"


# -- interop: openssl --------------------------------------------------------------------------

@pytest.mark.parametrize("tls_flag", ["-tls1_2", "-tls1_3"])
@async_test(30)
async def test_psk_server_against_openssl_s_client(tls_flag):
    """Port of test-tls-psk-server.js: openssl s_client -psk talks to our server."""
    identity, connections = "TestUser", []

    def psk(sock, ident):
        return bytes.fromhex(KEY_HEX) if ident == identity else None

    def on_secure(socket):
        socket.write(b"hello\r\n")
        socket.on("data", lambda data: socket.write(data))

    server = tls.createServer({"ciphers": "PSK+HIGH", "pskCallback": psk}, on_secure)
    server.on("connection", lambda s: connections.append(s))
    port = await listen(server)
    try:
        proc = await asyncio.create_subprocess_exec(
            OPENSSL, "s_client", "-connect", "127.0.0.1:%d" % port, "-cipher", "PSK+HIGH", tls_flag,
            "-psk", KEY_HEX, "-psk_identity", identity,
            stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
        out = b""
        try:
            while b"hello" not in out:
                chunk = await proc.stdout.read(4096)
                assert chunk, out
                out += chunk
            proc.stdin.write(b"world\r\n")
            await proc.stdin.drain()
            while b"world" not in out:
                chunk = await proc.stdout.read(4096)
                assert chunk, out
                out += chunk
            proc.stdin.close()
            rest, _ = await proc.communicate()
            out += rest
        finally:
            if proc.returncode is None:
                proc.kill()
                await proc.wait()
    finally:
        server.close()
    assert len(connections) == 1
    assert proc.returncode == 0
    assert b"hello" in out and b"world" in out
    assert (b"TLSv1.3" if tls_flag == "-tls1_3" else b"TLSv1.2") in out


@pytest.mark.parametrize("tls_flag,version", [("-tls1_2", "TLSv1.2"), ("-tls1_3", "TLSv1.3")])
@async_test(30)
async def test_psk_client_against_openssl_s_server(tls_flag, version):
    proc = await asyncio.create_subprocess_exec(
        OPENSSL, "s_server", "-accept", "0", "-nocert", "-cipher", "PSK+HIGH", tls_flag,
        "-psk", KEY_HEX, "-psk_identity", "Client_identity", "-psk_hint", "ossl-hint", "-rev",
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    try:
        line = b""
        while b"ACCEPT" not in line:
            line = await proc.stdout.readline()
            assert line, "s_server did not start"
        port = int(line.split(b":")[-1])
        hints = []
        client = tls.connect({"port": port, "host": "127.0.0.1", "ciphers": CIPHERS,
                              "checkServerIdentity": lambda *a: None,
                              "pskCallback": lambda hint: (hints.append(hint),
                                                           {"psk": bytes.fromhex(KEY_HEX),
                                                            "identity": "Client_identity"})[1]})
        got = []
        client.on("data", got.append)
        await once(client, "secureConnect")
        assert client.getProtocol() == version
        assert client.authorized is True
        client.write(b"abc\n")
        while b"cba" not in b"".join(got):
            await once(client, "data")
        client.destroy()
        assert hints == ([None, "ossl-hint"] if version == "TLSv1.2" else [None])
    finally:
        proc.kill()
        await proc.wait()


def test_psk_hooks_go_through_the_callback_guard():
    """The PSK hooks' errors take the guard's user-code path (tls._binding.callbacks):
    the socket is destroyed with the error while the hook still counts as running
    (so the engine only detaches), nothing is stored for later, OpenSSL gets 0."""
    class Owner:
        """Stands for the engine's owner, the TLSConnection (and for its socket)."""
        destroyed = False

        def __init__(self, engine_box):
            self.box = engine_box
            self.seen = []
            self.owner = self

        def psk_callback(self, *args):
            raise Boom("from the user")

        def destroy(self, err):
            self.seen.append((err, self.box[0].in_callback))
            self.destroyed = True

    box = []
    owner = Owner(box)
    engine = TLSEngine(tls.createSecureContext()._ctx, True, owner)
    box.append(engine)
    try:
        psk = ffi.new("unsigned char[]", 64)
        assert lib._tls_psk_server_cb(engine.ssl, b"me", psk, 64) == 0
        [(err, depth)] = owner.seen
        assert isinstance(err, Boom) and depth == 1
        assert engine.in_callback == 0 and engine.callback_error is None
        # a socket already destroyed: nothing more happens
        assert lib._tls_psk_server_cb(engine.ssl, b"me", psk, 64) == 0
        assert len(owner.seen) == 1 and engine.callback_error is None
    finally:
        engine.free()
