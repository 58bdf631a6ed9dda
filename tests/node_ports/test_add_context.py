"""Port of test/parallel/test-tls-add-context.js: addContext() with options and with a
SecureContext; the client certificate verifies against the chosen context's CA, and an
unknown name falls back to the default context (whose CA does not know it)."""
import tls

from support.certs import node_keys


def test_add_context(calls, node_run):
    k = node_keys()

    def main():
        state = {"connections": 0}
        server = None

        def on_secure_connection(c):
            state["connections"] += 1
            if state["connections"] == 3:
                server.close()
            if c.servername == "unknowncontext":
                assert c.authorized is False
                return
            assert c.authorized is True

        server = tls.createServer({"key": k["agent2"]["key"], "cert": k["agent2"]["cert"], "ca": [k["ca2"]],
                                   "requestCert": True, "rejectUnauthorized": False},
                                  calls.must_call(on_secure_connection, 3))
        secure_context = {"key": k["agent1"]["key"], "cert": k["agent1"]["cert"], "ca": [k["ca1"]]}
        server.addContext("context1", secure_context)
        server.addContext("context2", tls.createSecureContext(secure_context))
        client_base = {"key": k["agent1"]["key"], "cert": k["agent1"]["cert"], "ca": [k["ca1"]],
                       "rejectUnauthorized": False}

        def listening():
            for name in ("context1", "context2", "unknowncontext"):
                client = tls.connect({**client_base, "port": server.address()["port"], "servername": name})
                client.on("secureConnect", calls.must_call(client.end))

        server.listen(0, calls.must_call(listening))

    node_run(main)
