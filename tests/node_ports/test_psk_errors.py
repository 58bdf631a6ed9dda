"""Port of test/parallel/test-tls-psk-errors.js: a 512-byte pskIdentityHint cannot be set:
'tlsClientError' ERR_TLS_PSK_SET_IDENTIY_HINT_FAILED on the server, ECONNRESET on the
client."""
import tls


def test_identity_hint_too_long(calls, node_run):
    def main():
        server = tls.createServer({"ciphers": "PSK+HIGH", "pskCallback": lambda *a: None,
                                   "pskIdentityHint": "a" * 512})

        def on_client_error(err, *rest):
            assert isinstance(err, Exception)
            assert err.code == "ERR_TLS_PSK_SET_IDENTIY_HINT_FAILED"
            server.close()

        server.on("tlsClientError", calls.must_call(on_client_error))

        def listening():
            client = tls.connect({"port": server.address()["port"], "ciphers": "PSK+HIGH",
                                  "checkServerIdentity": lambda *a: None, "pskCallback": lambda *a: None},
                                 lambda: None)
            client.on("error", calls.must_call(lambda err: _code(err, "ECONNRESET")))

        server.listen(0, listening)

    node_run(main)


def _code(err, code):
    assert err.code == code, err
