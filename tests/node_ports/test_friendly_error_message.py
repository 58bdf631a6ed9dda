"""Port of test/parallel/test-tls-friendly-error-message.js.

A client without the issuing CA is refused with UNABLE_TO_VERIFY_LEAF_SIGNATURE.
The server side, checked against Node 20: in TLS 1.3 the rejecting client
never sends its Finished, so the server hears 'tlsClientError' ECONNRESET
(no 'secureConnection'); in TLS 1.2 the server finishes first and does get
'secureConnection'.
"""
import pytest

import tls


@pytest.mark.parametrize("version", ["TLSv1.3", "TLSv1.2"])
def test_unknown_issuer_is_a_friendly_error(agent1, calls, node_run, version):
    def main():
        def on_secure_connection(conn):
            conn.end()

        server = tls.createServer({"key": agent1["key"], "cert": agent1["cert"], "maxVersion": version},
                                  calls.must_call(on_secure_connection, 1 if version == "TLSv1.2" else 0))
        server.on("error", calls.must_not_call("server 'error'"))

        def on_client_error(err, sock):
            assert err.code == "ECONNRESET"
            assert sock.destroyed

        server.on("tlsClientError", calls.must_call(on_client_error, 1 if version == "TLSv1.3" else 0))

        def listening():
            client = tls.connect({"port": server.address()["port"], "rejectUnauthorized": True})

            def on_error(err):
                assert err.code == "UNABLE_TO_VERIFY_LEAF_SIGNATURE"
                client.destroy()

            client.on("error", calls.must_call(on_error))
            client.on("secureConnect", calls.must_not_call("secureConnect"))
            client.on("close", calls.must_call(lambda *a: server.close()))

        server.listen(0, calls.must_call(listening))

    node_run(main)
