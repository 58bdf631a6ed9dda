"""Port of test/parallel/test-tls-startcom-wosign-whitelist.js: leaves under a *fake*
StartCom root (not the real one, so no distrust rule applies): the client trusting that
root either connects or, as Node's test also allows, fails with CERT_REVOKED."""
import pytest
import trustme

import tls


@pytest.mark.parametrize("agent", ["agent8", "agent9"])
def test_fake_startcom_root(agent, calls, node_run):
    root = trustme.CA(organization_name="StartCom Ltd.", organization_unit_name="Fake StartCom root")
    leaf = root.issue_cert("localhost", common_name=agent)
    results = []

    def main():
        server = tls.createServer({"key": leaf.private_key_pem.bytes(), "cert": leaf.cert_chain_pems[0].bytes()},
                                  lambda s: s.resume())

        def listening():
            client = tls.connect({"ca": root.cert_pem.bytes(), "port": server.address()["port"],
                                  "rejectUnauthorized": True})

            def on_error(e):
                results.append(e.code)
                server.close()

            def on_secure():
                results.append("secureConnect")
                client.end()
                server.close()

            client.on("error", on_error)
            client.on("secureConnect", on_secure)

        server.listen(0, calls.must_call(listening))

    node_run(main)
    assert results in (["CERT_REVOKED"], ["secureConnect"])
