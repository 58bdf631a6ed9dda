"""The live side of test-tls-check-server-identity.js (whose table of
hostname/certificate cases is tests/test_check_server_identity.py): how
tls.connect calls checkServerIdentity, checked against Node 20.

* it is called once, after the chain verified, with (servername || host ||
  'localhost', getPeerCertificate(true));
* an error it returns destroys the socket with that error and becomes
  authorizationError (its code); with rejectUnauthorized False the socket
  connects unauthorized instead;
* the default checker rejects a name the certificate lacks with
  ERR_TLS_CERT_ALTNAME_INVALID; it is not called when the chain fails.
"""
import pytest

import tls


def _server(agent1, calls):
    server = tls.createServer({"key": agent1["key"], "cert": agent1["cert"]}, lambda c: c.end())
    server.on("tlsClientError", lambda err, sock: None)
    return server


@pytest.mark.parametrize("options,expected_host", [
    ({"servername": "localhost", "host": "127.0.0.1"}, "localhost"),
    ({"host": "127.0.0.1"}, "127.0.0.1"),
    ({}, "localhost"),
])
def test_called_with_the_right_name(agent1, calls, node_run, options, expected_host):
    def main():
        server = _server(agent1, calls)

        def check(host, cert):
            assert host == expected_host
            assert cert["subject"]["CN"] == "agent1"
            assert "issuerCertificate" in cert      # the detailed form
            return None

        def listening():
            client = None

            def on_secure():
                assert client.authorized is True
                client.end()
                server.close()

            client = tls.connect({"port": server.address()["port"], "ca": [agent1["ca"]],
                                  "checkServerIdentity": calls.must_call(check), **options},
                                 calls.must_call(on_secure))
            client.resume()

        server.listen(0, calls.must_call(listening))

    node_run(main)


def test_returned_error_rejects(agent1, calls, node_run):
    def main():
        server = _server(agent1, calls)
        broken = tls.NodeError("broken", "ERR_BROKEN")

        def listening():
            client = tls.connect({"port": server.address()["port"], "ca": [agent1["ca"]],
                                  "checkServerIdentity": calls.must_call(lambda host, cert: broken)},
                                 calls.must_not_call("secureConnect"))

            def on_error(err):
                assert err is broken
                assert client.authorized is False
                assert client.authorizationError == "ERR_BROKEN"
                server.close()

            client.on("error", calls.must_call(on_error))

        server.listen(0, calls.must_call(listening))

    node_run(main)


def test_returned_error_without_reject(agent1, calls, node_run):
    def main():
        server = _server(agent1, calls)

        def listening():
            client = None

            def on_secure():
                assert client.authorized is False
                assert client.authorizationError == "ERR_TLS_CERT_ALTNAME_INVALID"
                client.end()
                server.close()

            client = tls.connect({"port": server.address()["port"], "ca": [agent1["ca"]],
                                  "servername": "example.org", "rejectUnauthorized": False},
                                 calls.must_call(on_secure))
            client.on("error", calls.must_not_call("client 'error'"))
            client.resume()

        server.listen(0, calls.must_call(listening))

    node_run(main)


def test_default_checker_rejects_a_wrong_name(agent1, calls, node_run):
    def main():
        server = _server(agent1, calls)

        def listening():
            client = tls.connect({"port": server.address()["port"], "ca": [agent1["ca"]],
                                  "servername": "example.org"}, calls.must_not_call("secureConnect"))

            def on_error(err):
                assert err.code == "ERR_TLS_CERT_ALTNAME_INVALID"
                assert err.host == "example.org"
                assert err.cert["subject"]["CN"] == "agent1"
                server.close()

            client.on("error", calls.must_call(on_error))

        server.listen(0, calls.must_call(listening))

    node_run(main)


def test_not_called_when_the_chain_fails(agent1, calls, node_run):
    def main():
        server = _server(agent1, calls)

        def listening():
            client = tls.connect({"port": server.address()["port"],
                                  "checkServerIdentity": calls.must_not_call("checkServerIdentity")})

            def on_error(err):
                assert err.code == "UNABLE_TO_VERIFY_LEAF_SIGNATURE"
                server.close()

            client.on("error", calls.must_call(on_error))

        server.listen(0, calls.must_call(listening))

    node_run(main)
