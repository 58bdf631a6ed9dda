"""Port of test/parallel/test-tls-pfx-authorizationerror.js: both ends use one PFX (agent1
with its CA, under a passphrase): the CA in the PFX is trusted, so the client's
certificate verifies (authorizationError None), and getCertificate() is stable."""
from cryptography import x509

import tls

from support.node_style import fixture_keys
from support.openssl import openssl


def test_pfx_both_ends(calls, node_run, tmp_path):
    keys = fixture_keys()["agent1"]
    for name in ("key", "cert", "ca"):
        (tmp_path / name).write_bytes(keys[name])
    pfx = openssl("pkcs12", "-export", "-inkey", str(tmp_path / "key"), "-in", str(tmp_path / "cert"),
                  "-certfile", str(tmp_path / "ca"), "-passout", "pass:sample")
    serial = "%X" % x509.load_pem_x509_certificate(keys["cert"]).serial_number
    serial = "0" + serial if len(serial) % 2 else serial

    def main():
        def on_secure_connection(c):
            assert c.getPeerCertificate()["serialNumber"] == serial
            assert c.authorizationError is None
            c.end()

        server = tls.createServer({"pfx": pfx, "passphrase": "sample", "requestCert": True,
                                   "rejectUnauthorized": False}, calls.must_call(on_secure_connection))

        def listening():
            client = None

            def on_secure():
                for _ in range(10):
                    assert client.getCertificate()["serialNumber"] == serial
                client.end()
                server.close()

            client = tls.connect({"port": server.address()["port"], "pfx": pfx, "passphrase": "sample",
                                  "rejectUnauthorized": False}, on_secure)

        server.listen(0, listening)

    node_run(main)
