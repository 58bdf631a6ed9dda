"""Port of test/parallel/test-tls-secure-context-usage-order.js: addContext() for the same
wildcard again replaces the context, for the connections that follow."""
import tls

from support.certs import node_keys


def test_replaced_context(calls, node_run):
    k = node_keys()

    def main():
        def on_secure_connection(c):
            if c.servername == "a.example.com":
                assert c.authorized is False
            if c.servername == "b.example.com":
                assert c.authorized is True

        server = tls.createServer({"key": k["agent2"]["key"], "cert": k["agent2"]["cert"], "requestCert": True,
                                   "rejectUnauthorized": False}, on_secure_connection)
        bad = {"key": k["agent1"]["key"], "cert": k["agent1"]["cert"], "ca": [k["ca2"]]}
        good = {"key": k["agent1"]["key"], "cert": k["agent1"]["cert"], "ca": [k["ca1"]]}
        server.addContext("*.example.com", bad)

        def listening():
            options = {"port": server.address()["port"], "key": k["agent1"]["key"], "cert": k["agent1"]["cert"],
                       "ca": [k["ca1"]], "servername": "a.example.com", "rejectUnauthorized": False}
            client = None
            client = tls.connect(options, lambda: client.end())

            def first_closed(*args):
                server.addContext("*.example.com", good)
                options["servername"] = "b.example.com"
                other = None
                other = tls.connect(options, lambda: other.end())

                def second_closed(*args):
                    onemore = None
                    onemore = tls.connect(options, lambda: onemore.end())
                    onemore.on("close", calls.must_call(lambda *a: server.close()))

                other.on("close", calls.must_call(second_closed))

            client.on("close", calls.must_call(first_closed))

        server.listen(0, listening)

    node_run(main)
