"""Port of test/parallel/test-tls-cnnic-whitelist.js: a server sending agent6 with its
intermediate ca3 but a root (ca1) the default client does not trust fails it with
UNABLE_TO_GET_ISSUER_CERT_LOCALLY (Node's ``ca`` option here holds a private key, which
adds no certificate)."""
import tls

from support.certs import node_keys


def test_missing_issuer(calls, node_run):
    k = node_keys()

    def main():
        server = tls.createServer({"ca": k["agent6"]["key"], "key": k["agent6"]["key"], "cert": k["agent6"]["cert"]},
                                  lambda s: s.resume())

        def listening():
            client = tls.connect({"port": server.address()["port"], "rejectUnauthorized": True})

            def on_error(e):
                assert e.code == "UNABLE_TO_GET_ISSUER_CERT_LOCALLY"
                server.close(calls.must_call())

            client.on("error", calls.must_call(on_error))

        server.listen(0, calls.must_call(listening))

    node_run(main)
