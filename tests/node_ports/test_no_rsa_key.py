"""Port of test/parallel/test-tls-no-rsa-key.js: an EC-only server; the client reads 'ok',
sees 'end' and the certificate's subject (Node's fixture has C=US; the EC certificate made
here is checked against its own subject)."""
from cryptography import x509
from cryptography.x509.oid import NameOID

import tls


def test_ec_only_server(ec_agent, calls, node_run):
    cert = x509.load_pem_x509_certificate(ec_agent["cert"])
    cn = cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value

    def main():
        server = tls.createServer({"key": ec_agent["key"], "cert": ec_agent["cert"]}, lambda conn: conn.end("ok"))

        def listening():
            c = None

            def on_secure():
                def on_end():
                    c.end()
                    server.close()

                c.on("end", calls.must_call(on_end))
                c.on("data", lambda data: _eq(data.decode(), "ok"))
                assert c.getPeerCertificate()["subject"]["CN"] == cn

            c = tls.connect(server.address()["port"], {"rejectUnauthorized": False}, calls.must_call(on_secure))

        server.listen(0, calls.must_call(listening))

    node_run(main)


def _eq(a, b):
    assert a == b, (a, b)
