"""Port of test/parallel/test-tls-client-getephemeralkeyinfo.js.

A client learns the server's ephemeral key: nothing ({}) for RSA key
exchange, ``{'type': 'DH', 'size': n}`` for DHE with the server's
``dhparam``, ``{'type': 'ECDH', 'name': curve, 'size': bits}`` for ECDHE
with the server's ``ecdhCurve``; a server socket gets None.  Node's fixtures
dh1024.pem / dh2048.pem are replaced by the RFC 2409 1024-bit group and
ffdhe2048.  Beyond the port: the defaults ('auto' -> X25519) in TLS 1.2 and
1.3, an FFDHE group in TLS 1.3, None once the socket is destroyed, and
Node 20 servers as the peer.
"""
import contextlib
import json

import pytest

import tls
from tls._engine.context import SecurityWarning

from support.node_style import assert_equal, kill_all, node

CIPHERS = {"NOT_PFS": "AES128-SHA256", "DH": "DHE-RSA-AES128-GCM-SHA256", "ECDH": "ECDHE-RSA-AES128-GCM-SHA256"}


def run_case(self_signed, calls, node_run, server_extra, client_extra, check):
    def main():
        def on_connection(conn):
            assert conn.getEphemeralKeyInfo() is None
            conn.end()

        server = tls.createServer({"key": self_signed["key"], "cert": self_signed["cert"], **server_extra},
                                  calls.must_call(on_connection))
        server.on("close", calls.must_call())

        def listening():
            def on_secure():
                check(client.getEphemeralKeyInfo())
                server.close()

            client = tls.connect({"port": server.address()["port"], "host": "127.0.0.1",
                                  "rejectUnauthorized": False, **client_extra}, calls.must_call(on_secure))
            client.on("error", calls.must_not_call("client 'error'"))
            client.on("close", calls.must_call(lambda *a: check_after_close(client)))

        server.listen(0, "127.0.0.1", listening)

    node_run(main)


def check_after_close(client):
    assert client.getEphemeralKeyInfo() is None


@pytest.mark.parametrize("size,kind,name", [
    (None, None, None),
    (1024, "DH", None),
    (2048, "DH", None),
    (256, "ECDH", "prime256v1"),
    (521, "ECDH", "secp521r1"),
], ids=["NOT_PFS", "DHE1024", "DHE2048", "ECDHE256", "ECDHE521"])
def test_ephemeral_key_info(size, kind, name, dhparams, self_signed, calls, node_run):
    cipher = CIPHERS[kind or "NOT_PFS"]
    server_extra = {"ciphers": cipher, "maxVersion": "TLSv1.2"}
    if kind == "DH":
        server_extra["dhparam"] = dhparams[size]
    if name:
        server_extra["ecdhCurve"] = name

    def check(info):
        if kind is None:
            assert info == {}
        elif kind == "DH":
            assert info == {"type": "DH", "size": size}
        else:
            assert info == {"type": "ECDH", "name": name, "size": size}

    # Node warns about a DH parameter below 2048 bits (SecurityWarning)
    with pytest.warns(SecurityWarning) if size == 1024 else contextlib.nullcontext():
        run_case(self_signed, calls, node_run, server_extra, {"ciphers": cipher}, check)


@pytest.mark.parametrize("version", ["TLSv1.2", "TLSv1.3"])
def test_default_curve_is_x25519(version, self_signed, calls, node_run):
    """ecdhCurve 'auto' (the default) prefers X25519 (Node 20: size 253)."""
    def check(info):
        assert info == {"type": "ECDH", "name": "X25519", "size": 253}

    run_case(self_signed, calls, node_run, {"maxVersion": version}, {}, check)


def test_tls13_ffdhe_group(self_signed, calls, node_run):
    """TLS 1.3 with a finite-field group: {'type': 'DH', 'size': 2048} (as Node 20)."""
    def check(info):
        assert info == {"type": "DH", "size": 2048}

    run_case(self_signed, calls, node_run, {"ecdhCurve": "ffdhe2048"}, {}, check)


def test_default_ecdh_curve_is_read_live(self_signed, calls, node_run, monkeypatch):
    """tls.DEFAULT_ECDH_CURVE assigned by the program applies to new contexts (Node's test does this)."""
    monkeypatch.setattr(tls, "DEFAULT_ECDH_CURVE", "secp384r1")

    def check(info):
        assert info == {"type": "ECDH", "name": "secp384r1", "size": 384}

    run_case(self_signed, calls, node_run, {"ciphers": CIPHERS["ECDH"], "maxVersion": "TLSv1.2"},
             {"ciphers": CIPHERS["ECDH"]}, check)


NODE_SERVER = r"""
const tls = require('tls');
const opts = JSON.parse(process.argv[1]);
opts.key = process.env.KEY; opts.cert = process.env.CERT;
if (opts.dhparam) opts.dhparam = process.env.DHPARAM;
const server = tls.createServer(opts, (s) => { s.end(); server.close(); });
server.listen(0, '127.0.0.1', () => console.log(server.address().port));
"""


@pytest.mark.parametrize("server_options,expected", [
    ({"ciphers": CIPHERS["DH"], "maxVersion": "TLSv1.2", "dhparam": True}, {"type": "DH", "size": 2048}),
    ({"ciphers": CIPHERS["ECDH"], "maxVersion": "TLSv1.2", "ecdhCurve": "prime256v1"},
     {"type": "ECDH", "name": "prime256v1", "size": 256}),
    ({}, {"type": "ECDH", "name": "X25519", "size": 253}),
    ({"ciphers": CIPHERS["NOT_PFS"], "maxVersion": "TLSv1.2"}, {}),
], ids=["DHE2048", "ECDHE256", "default", "NOT_PFS"])
def test_against_node_server(server_options, expected, dhparams, self_signed, calls, node_run, monkeypatch):
    monkeypatch.setenv("KEY", self_signed["key"].decode())
    monkeypatch.setenv("CERT", self_signed["cert"].decode())
    monkeypatch.setenv("DHPARAM", dhparams[2048].decode())

    def main():
        def on_port(line):
            client = tls.connect({"port": int(line), "host": "127.0.0.1", "rejectUnauthorized": False,
                                  "ciphers": server_options.get("ciphers")},
                                 calls.must_call(lambda: assert_equal(client.getEphemeralKeyInfo(), expected)))
            client.resume()

        node(NODE_SERVER, json.dumps(server_options), on_stdout_line=calls.must_call(on_port),
             on_exit=calls.must_call(lambda code, out, err: assert_equal(code, 0)))

    try:
        node_run(main)
    finally:
        kill_all()


