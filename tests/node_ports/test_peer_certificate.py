"""Port of test/parallel/test-tls-peer-certificate.js.

The client's view of the server certificate: plain and detailed
(getPeerCertificate(true) links issuerCertificate, a self-signed root
points to itself), RSA fields (exponent, bits, modulus), EC fields
(asn1Curve, nistCurve, bits, no RSA fields), fingerprints and pubkey.
Node's fixed fixture values are replaced by values computed from the DER of
certificates made for the test.
"""
import hashlib

from cryptography import x509
from cryptography.hazmat.primitives import serialization

import tls


def _colon_hex(digest: bytes) -> str:
    return ":".join("%02X" % b for b in digest)


def _spki(der: bytes) -> bytes:
    return x509.load_der_x509_certificate(der).public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)


def _serial_hex(n: int) -> str:
    """OpenSSL's BN_bn2hex, as Node uses it: whole bytes, so a leading 0 nibble stays."""
    text = "%X" % n
    return "0" + text if len(text) % 2 else text


def _ec_point(der: bytes) -> bytes:
    return x509.load_der_x509_certificate(der).public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)


def _connect_pair(server_options, client_options, on_client, calls, node_run):
    """Node's fixtures/tls-connect.js: connect a client, hand it over, clean up."""
    def main():
        server = tls.createServer(server_options, lambda conn: conn.end("World"))

        def listening():
            client = None

            def on_secure():
                try:
                    on_client(client)
                finally:
                    client.end()
                    server.close()

            client = tls.connect({"port": server.address()["port"], **client_options}, calls.must_call(on_secure))
            # Drain the server's "World" so the client can end: in Node an
            # unconsumed, half-closed socket no longer holds the process
            # (an inactive libuv handle); here it would.
            client.resume()
            client.on("error", calls.must_not_call("client 'error'"))

        server.listen(0, calls.must_call(listening))

    node_run(main)


def test_rsa_peer_certificate(openssl_agent, calls, node_run):
    der, ca_der = openssl_agent["der"], openssl_agent["ca_der"]
    leaf = x509.load_der_x509_certificate(der)
    root = x509.load_der_x509_certificate(ca_der)

    def check(socket):
        assert socket.getCertificate() == {}   # the client has no certificate of its own
        peer = socket.getPeerCertificate()
        assert "issuerCertificate" not in peer

        peer = socket.getPeerCertificate(True)
        assert peer["issuerCertificate"]
        assert peer["ca"] is False
        assert peer["issuerCertificate"]["ca"] is True
        assert peer["subject"]["emailAddress"] == "ry@tinyclouds.org"
        assert peer["subject"]["CN"] == "agent1"
        assert peer["serialNumber"] == _serial_hex(leaf.serial_number)
        assert peer["exponent"] == "0x10001"
        assert peer["bits"] == 2048
        assert len(peer["modulus"]) / 2 * 8 == peer["bits"]
        assert peer["fingerprint"] == _colon_hex(hashlib.sha1(der).digest())
        assert peer["fingerprint256"] == _colon_hex(hashlib.sha256(der).digest())
        assert peer["fingerprint512"] == _colon_hex(hashlib.sha512(der).digest())
        # pubkey is the DER SubjectPublicKeyInfo (an HPKP pin hashes it)
        assert hashlib.sha256(peer["pubkey"]).digest() == hashlib.sha256(_spki(der)).digest()
        assert peer["infoAccess"]["OCSP - URI"] == ["http://ocsp.nodejs.org/"]
        assert peer["infoAccess"]["CA Issuers - URI"] == ["http://ca.nodejs.org/ca.cert"]
        assert peer["raw"] == der

        issuer = peer["issuerCertificate"]
        assert issuer["issuerCertificate"] is issuer
        assert issuer["serialNumber"] == _serial_hex(root.serial_number)
        assert issuer["raw"] == ca_der

    _connect_pair({"key": openssl_agent["key"], "cert": openssl_agent["cert"], "ca": [openssl_agent["ca"]]},
                  {"rejectUnauthorized": False}, check, calls, node_run)


def test_ec_peer_certificate(ec_agent, calls, node_run):
    leaf_pem = ec_agent["leaf"].cert_chain_pems[0].bytes()
    leaf = x509.load_pem_x509_certificate(leaf_pem)
    der = leaf.public_bytes(serialization.Encoding.DER)

    def check(socket):
        peer = socket.getPeerCertificate(True)
        assert peer["issuerCertificate"]
        assert peer["subject"]["CN"] == "agent10.example.com"
        assert peer["serialNumber"] == _serial_hex(leaf.serial_number)
        for absent in ("exponent", "modulus", "pubKey", "infoAccess"):
            assert absent not in peer, absent
        assert peer["fingerprint"] == _colon_hex(hashlib.sha1(der).digest())
        assert peer["fingerprint256"] == _colon_hex(hashlib.sha256(der).digest())
        assert peer["fingerprint512"] == _colon_hex(hashlib.sha512(der).digest())
        # for EC keys Node's pubkey is the uncompressed point, not the SPKI
        assert peer["pubkey"] == _ec_point(der)
        assert peer["asn1Curve"] == "prime256v1"
        assert peer["nistCurve"] == "P-256"
        assert peer["bits"] == 256
        issuer = peer["issuerCertificate"]
        assert issuer["issuerCertificate"] is issuer
        assert issuer["ca"] is True

    _connect_pair({"key": ec_agent["key"], "cert": ec_agent["cert"], "ca": [ec_agent["ca"]]},
                  {"rejectUnauthorized": False}, check, calls, node_run)


def test_peer_certificate_is_none_after_destroy(agent1, calls, node_run):
    def check(socket):
        assert socket.getPeerCertificate()["subject"]["CN"] == "agent1"
        socket.destroy()
        assert socket.getPeerCertificate() is None
        assert socket.getPeerCertificate(True) is None
        assert socket.getCertificate() is None

    _connect_pair({"key": agent1["key"], "cert": agent1["cert"]}, {"rejectUnauthorized": False},
                  check, calls, node_run)
