"""Port of test/parallel/test-tls-client-renegotiation-13.js: renegotiate() in TLS 1.3
returns false and calls back with OpenSSL's 'wrong ssl version' (Node's agent10 is
agent3 here: a leaf under ca2, given with its root as ``ca``)."""
import tls  # noqa: F401  (the program's module, as in Node's test)

from support.node_style import fixture_keys, tls_connect


def test_renegotiate_in_tls13(calls, node_run):
    server = fixture_keys()["agent3"]

    def connected(err, pair, cleanup):
        assert err is None
        client = pair["client"]["conn"]
        assert client.getProtocol() == "TLSv1.3"

        def on_renegotiate(err):
            assert err.message == "error:0A00010A:SSL routines::wrong ssl version"
            assert err.code == "ERR_SSL_WRONG_SSL_VERSION"
            assert err.library == "SSL routines"
            assert err.reason == "wrong ssl version"
            cleanup()

        ok = client.renegotiate({}, calls.must_call(on_renegotiate))
        assert ok is False

    def main():
        tls_connect(calls, {
            "client": {"ca": server["ca"], "checkServerIdentity": calls.must_call()},
            "server": {"key": server["key"], "cert": server["cert"]},
        }, connected)

    node_run(main)
