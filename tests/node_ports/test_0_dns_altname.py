"""Port of test/parallel/test-tls-0-dns-altname.js: a DNS subjectAltName holding a NUL byte
is shown quoted and escaped in ``subjectaltname``, next to ordinary DNS and IP entries
(Node's 0-dns fixture, made here with the same names)."""
import datetime
import ipaddress

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

import tls


def _zero_dns_pair():
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "0-dns")])
    san = x509.SubjectAlternativeName([
        x509.DNSName("good.example.org\x00.evil.example.com"), x509.DNSName("just-another.example.com"),
        x509.IPAddress(ipaddress.ip_address("8.8.8.8")), x509.IPAddress(ipaddress.ip_address("8.8.4.4")),
        x509.DNSName("last.example.com")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=2)).add_extension(san, critical=False)
            .sign(key, hashes.SHA256()))
    return (key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                              serialization.NoEncryption()),
            cert.public_bytes(serialization.Encoding.PEM))


def test_nul_in_dns_altname(calls, node_run):
    key, cert = _zero_dns_pair()

    def main():
        server = None

        def on_secure_connection(c):
            def on_data(*args):
                c.destroy()
                server.close()

            c.once("data", calls.must_call(on_data))

        server = tls.createServer({"key": key, "cert": cert}, calls.must_call(on_secure_connection))

        def listening():
            c = None

            def on_secure():
                assert c.getPeerCertificate()["subjectaltname"] == (
                    'DNS:"good.example.org\\u0000.evil.example.com", DNS:just-another.example.com, '
                    "IP Address:8.8.8.8, IP Address:8.8.4.4, DNS:last.example.com")
                c.write("ok")

            c = tls.connect(server.address()["port"], {"rejectUnauthorized": False}, calls.must_call(on_secure))
            c.on("error", lambda *a: None)   # the server destroys the connection; Node's test does not look

        server.listen(0, calls.must_call(listening))

    node_run(main)
