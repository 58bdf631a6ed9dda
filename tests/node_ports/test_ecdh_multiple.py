"""Port of test/parallel/test-tls-ecdh-multiple.js.

``ecdhCurve`` takes a colon-separated list: a server limited to
'secp256k1:prime256v1:secp521r1' completes a handshake with
``openssl s_client`` (which offers prime256v1 but not secp256k1) and sends
its reply; unsupported curve names make createServer throw "Failed to set
ECDH curve".  Beyond the port (checked against Node 20): the key actually
used ("Server Temp Key"), the client's preference within the list in
TLS 1.3, our own client limited to one curve, and no shared curve failing
the handshake on both sides.
"""
import pytest

import tls

from support.node_style import assert_code, s_client

OPTIONS = {"ciphers": "-ALL:ECDHE-RSA-AES128-SHA256", "ecdhCurve": "secp256k1:prime256v1:secp521r1"}
REPLY = b"I AM THE WALRUS"


def run_s_client(self_signed, calls, node_run, extra_args, check):
    def main():
        server = tls.createServer({"key": self_signed["key"], "cert": self_signed["cert"], **OPTIONS},
                                  lambda conn: conn.end(REPLY))

        def on_exit(code, out, err):
            check(code, out.decode("latin-1"))
            server.close()

        def listening():
            s_client(server.address()["port"], "-cipher", OPTIONS["ciphers"], *extra_args,
                     on_exit=calls.must_call(on_exit))

        server.listen(0, listening)

    node_run(main)


def test_ecdh_multiple(self_signed, calls, node_run):
    # Node's test runs s_client with its defaults and expects exit status 0,
    # which s_client (3.0) gives when the session it reads from is TLS 1.2.
    def check(code, text):
        assert code == 0
        assert REPLY.decode() in text
        assert "Server Temp Key: ECDH, prime256v1, 256 bits" in text

    run_s_client(self_signed, calls, node_run, ["-tls1_2"], check)


def test_ecdh_multiple_tls13_client_preference(self_signed, calls, node_run):
    def check(code, text):
        assert REPLY.decode() in text
        assert "Protocol  : TLSv1.3" in text
        assert "Server Temp Key: ECDH, secp521r1, 521 bits" in text

    run_s_client(self_signed, calls, node_run, ["-groups", "secp521r1:prime256v1"], check)


@pytest.mark.parametrize("curve", ["wap-wsg-idm-ecid-wtls1", "c2pnb163v1", "prime192v3"])
def test_unsupported_curves(curve, node_run):
    def main():
        with pytest.raises(tls.NodeError) as info:
            tls.createServer({"ecdhCurve": curve})
        assert info.value.message == "Failed to set ECDH curve"
        assert info.value.code == "ERR_CRYPTO_OPERATION_FAILED"

    node_run(main)


def test_client_curve_list(self_signed, calls, node_run):
    """Our client limited to secp521r1 against the multi-curve server."""
    def main():
        server = tls.createServer({"key": self_signed["key"], "cert": self_signed["cert"], **OPTIONS},
                                  lambda conn: conn.end(REPLY))

        def listening():
            def on_secure():
                assert client.getEphemeralKeyInfo() == {"type": "ECDH", "name": "secp521r1", "size": 521}

            client = tls.connect({"port": server.address()["port"], "rejectUnauthorized": False,
                                  "ecdhCurve": "secp521r1"}, calls.must_call(on_secure))
            client.on("data", calls.must_call(lambda d: None))
            client.on("end", calls.must_call(lambda *a: server.close()))

        server.listen(0, listening)

    node_run(main)


def test_no_shared_curve(self_signed, calls, node_run):
    def main():
        server = tls.createServer({"key": self_signed["key"], "cert": self_signed["cert"], **OPTIONS},
                                  calls.must_not_call("secureConnection"))
        server.on("tlsClientError",
                  calls.must_call(lambda err, sock: assert_code(err, "ERR_SSL_NO_SUITABLE_KEY_SHARE")))

        def listening():
            client = tls.connect({"port": server.address()["port"], "rejectUnauthorized": False,
                                  "ecdhCurve": "X25519"}, calls.must_not_call("secureConnect"))

            def on_error(err):
                assert_code(err, "ERR_SSL_SSLV3_ALERT_HANDSHAKE_FAILURE")
                server.close()

            client.on("error", calls.must_call(on_error))

        server.listen(0, listening)

    node_run(main)


