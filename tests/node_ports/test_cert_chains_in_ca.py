"""Port of test/parallel/test-tls-cert-chains-in-ca.js: the server's intermediate given as
its ``ca`` (not in ``cert``) still goes out as the chain (OpenSSL builds it from the
store); serial numbers are read from the certificates made for the test."""
import re

from cryptography import x509

from support.node_style import fixture_keys, tls_connect


def test_intermediate_from_ca(calls, node_run):
    keys = fixture_keys()
    end_pem, middle_pem = re.split(rb"(?=-----BEGIN CERTIFICATE-----)", keys["agent6"]["cert"])[1:3]
    serial = lambda pem: "%X" % x509.load_pem_x509_certificate(pem).serial_number  # noqa: E731

    def connected(err, pair, cleanup):
        assert err is None
        peer = pair["client"]["conn"].getPeerCertificate()
        assert re.search(serial(end_pem), peer["serialNumber"], re.I)
        nxt = pair["client"]["conn"].getPeerCertificate(True)["issuerCertificate"]
        root = nxt.pop("issuerCertificate")
        assert re.search(serial(middle_pem), nxt["serialNumber"], re.I)
        assert re.search(serial(keys["agent6"]["ca"]), root["serialNumber"], re.I)
        cleanup()

    def main():
        tls_connect(calls, {
            "client": {"checkServerIdentity": lambda servername, cert: None, "ca": keys["agent6"]["ca"]},
            "server": {"cert": end_pem, "key": keys["agent6"]["key"], "ca": middle_pem},
        }, connected)

    node_run(main)
