"""Port of Node's test/parallel/test-tls-empty-sni-context.js.

A server without a certificate of its own whose SNICallback answers with an
empty context (no certificate either): nothing can be served, the handshake
fails on both sides and 'secureConnection' / 'secureConnect' never run.

Node 20.20 reports the server's failure with the code of a stale error its
UseSNIContext left on OpenSSL's queue (SSL_use_certificate: "passed a null
parameter"); we report the failure itself, as Node's current test expects:
"no suitable signature algorithm" (TLS 1.3, the server has no key to sign
with).  The client sees the handshake_failure alert in both.
"""
import tls


def test_empty_sni_context(calls, node_run):
    def main():
        def sni_callback(name, callback):
            callback(None, tls.createSecureContext())

        server = tls.createServer({"SNICallback": sni_callback}, calls.must_not_call("secureConnection"))

        def on_tls_client_error(err, c):
            assert err.code == "ERR_SSL_NO_SUITABLE_SIGNATURE_ALGORITHM"
            assert "no suitable signature algorithm" in str(err)
            server.close()

        server.on("tlsClientError", calls.must_call(on_tls_client_error))

        def listening():
            c = tls.connect({"port": server.address()["port"], "rejectUnauthorized": False,
                             "servername": "any.name"}, calls.must_not_call("secureConnect"))

            def on_error(err):
                assert err.code == "ERR_SSL_SSLV3_ALERT_HANDSHAKE_FAILURE"

            c.on("error", calls.must_call(on_error))

        server.listen(0, calls.must_call(listening))

    node_run(main)
