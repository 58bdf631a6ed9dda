"""Port of test/parallel/test-tls-cert-chains-concat.js: a server ``cert`` holding the leaf
and its intermediate (agent6 under ca3 under ca1) is sent as a chain; the client, trusting
only the root, sees leaf -> intermediate -> root through issuerCertificate; the server
side has no peer certificate.

Node's fixture values (a UTF-8 CN and emailAddress, fixed serial numbers) become values
read from the certificates made for the test (support.certs.node_keys)."""
import re

from cryptography import x509
from cryptography.x509.oid import NameOID

from support.node_style import fixture_keys, tls_connect


def _certs(pem: bytes):
    return x509.load_pem_x509_certificates(pem)


_SHORT = {NameOID.COMMON_NAME: "CN", NameOID.ORGANIZATION_NAME: "O", NameOID.ORGANIZATIONAL_UNIT_NAME: "OU"}


def _same_name(seen, name):
    """Node's subject / issuer object holds each attribute of the certificate's name
    (trustme's CAs have O and OU, no CN: Node's checked CN becomes these)."""
    expected = {_SHORT[a.oid]: a.value for a in name if a.oid in _SHORT}
    assert expected and {k: seen.get(k) for k in expected} == expected, (seen, expected)


def _serial(cert):
    return "%X" % cert.serial_number


def test_cert_chain_concatenated(calls, node_run):
    keys = fixture_keys()
    leaf, middle = _certs(keys["agent6"]["cert"])
    (root,) = _certs(keys["agent6"]["ca"])

    def connected(err, pair, cleanup):
        assert err is None
        peer = pair["client"]["conn"].getPeerCertificate()
        _same_name(peer["subject"], leaf.subject)
        _same_name(peer["issuer"], middle.subject)
        assert re.search(_serial(leaf), peer["serialNumber"], re.I)
        nxt = pair["client"]["conn"].getPeerCertificate(True)["issuerCertificate"]
        top = nxt.pop("issuerCertificate")
        _same_name(nxt["subject"], middle.subject)
        _same_name(nxt["issuer"], root.subject)
        assert re.search(_serial(middle), nxt["serialNumber"], re.I)
        _same_name(top["subject"], root.subject)
        _same_name(top["issuer"], root.subject)
        assert re.search(_serial(root), top["serialNumber"], re.I)
        assert pair["server"]["conn"].getPeerCertificate() == {}
        assert pair["server"]["conn"].getPeerCertificate(True) == {}
        cleanup()

    def main():
        tls_connect(calls, {
            "client": {"checkServerIdentity": lambda servername, cert: None, "ca": keys["agent6"]["ca"]},
            "server": {"cert": keys["agent6"]["cert"], "key": keys["agent6"]["key"]},
        }, connected)

    node_run(main)
