"""Port of test/parallel/test-tls-sni-servername.js: an SNICallback that fails (or answers
with a context that has no certificate) ends in 'tlsClientError' with the name the client
sent, and the client's 'Client network socket disconnected ...'."""
import pytest

import tls

def _sni(servername, callback):
    if servername == "c.another.com":
        callback(None, {})
    else:
        callback(Exception("Invalid SNI context"), None)


@pytest.mark.parametrize("servername", ["c.another.com", "c.wrong.com"])
def test_sni_failure(servername, calls, node_run):
    def main():
        server = tls.createServer({"requestCert": True, "rejectUnauthorized": False, "SNICallback": _sni},
                                  calls.must_not_call())

        def on_client_error(err, socket):
            assert str(err) == "Invalid SNI context"   # a plain Error in Node too: no code
            assert socket.servername == servername

        server.on("tlsClientError", calls.must_call(on_client_error))

        def listening():
            client = tls.connect({"port": server.address()["port"], "servername": servername,
                                  "rejectUnauthorized": False}, calls.must_not_call())

            def on_error(err):
                assert err.message == "Client network socket disconnected before secure TLS connection was established"

            client.on("error", calls.must_call(on_error))
            client.on("close", calls.must_call(lambda *a: server.close()))

        server.listen(0, listening)

    node_run(main)
