"""Port of Node's test/parallel/test-tls-sni-server-client.js.

The default SNICallback over ``server.addContext``: an exact name, a
``*.test.com`` wildcard (one label only: a.b.test.com falls back to the
default context) and a context whose certificate carries its chain (agent6
with the intermediate ca3, verified by a client that trusts only ca1).  The
client sees the SNI context's certificate (a host name mismatch,
ERR_TLS_CERT_ALTNAME_INVALID) or the default self-signed one (another
error); the server sees the name in ``servername``.

Certificates are trustme stand-ins for Node's keys (support.certs.node_keys).
"""
import pytest

import tls

from support.certs import node_keys

# (client ca, servername, clientResult, serverResult)
CASES = [
    ("ca1", "a.example.com", True, "a.example.com"),
    ("ca2", "b.test.com", True, "b.test.com"),
    ("ca2", "a.b.test.com", False, "a.b.test.com"),
    ("ca1", "c.wrong.com", False, "c.wrong.com"),
    ("ca1", "chain.example.com", True, "chain.example.com"),
]


@pytest.mark.parametrize("ca,servername,client_result,server_result", CASES,
                         ids=[case[1] for case in CASES])
def test_sni_server_client(calls, node_run, ca, servername, client_result, server_result):
    keys = node_keys()

    def main():
        def on_secure(c):
            assert c.servername == server_result
            assert c.authorized is False

        server = tls.createServer({"key": keys["agent2"]["key"], "cert": keys["agent2"]["cert"]},
                                  calls.must_call(on_secure))
        server.addContext("a.example.com", {"key": keys["agent1"]["key"], "cert": keys["agent1"]["cert"]})
        server.addContext("*.test.com", {"key": keys["agent3"]["key"], "cert": keys["agent3"]["cert"]})
        # NOTE: agent6's cert carries the ca3 chain certificate
        server.addContext("chain.example.com", {"key": keys["agent6"]["key"], "cert": keys["agent6"]["cert"]})
        server.on("tlsClientError", calls.must_not_call("tlsClientError"))

        def listening():
            client = None

            def on_secure_connect():
                result = bool(client.authorizationError) and \
                    client.authorizationError == "ERR_TLS_CERT_ALTNAME_INVALID"
                assert result == client_result
                client.end()

            client = tls.connect({"ca": [keys[ca]], "servername": servername, "port": server.address()["port"],
                                  "rejectUnauthorized": False}, calls.must_call(on_secure_connect))
            client.on("close", calls.must_call(lambda *a: server.close()))

        server.listen(0, listening)

    node_run(main)
