"""Port of test/parallel/test-tls-addca.js: the client's own secureContext wins over its
``ca`` option; context.addCACert() makes the same connection verify."""
import tls

from support.node_style import fixture_keys, tls_connect


def test_add_ca_cert(calls, node_run):
    keys = fixture_keys()

    def main():
        context_without_cert = tls.createSecureContext({})
        context_with_cert = tls.createSecureContext({})
        context_with_cert.context.addCACert(keys["agent1"]["ca"])
        server_options = {"key": keys["agent1"]["key"], "cert": keys["agent1"]["cert"]}
        client_options = {"ca": [keys["agent1"]["ca"]], "servername": "agent1", "rejectUnauthorized": True,
                          "secureContext": context_without_cert}

        def first(err, pair, cleanup):
            assert err
            assert err.message == "unable to verify the first certificate"
            cleanup()

            def second(err, pair, cleanup):
                assert err is None
                cleanup()

            tls_connect(calls, {"client": {**client_options, "secureContext": context_with_cert},
                                "server": server_options}, second)

        tls_connect(calls, {"client": client_options, "server": server_options}, first)

    node_run(main)
