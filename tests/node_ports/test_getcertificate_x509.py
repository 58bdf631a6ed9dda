"""Port of test/parallel/test-tls-getcertificate-x509.js: getX509Certificate() on the server's
socket and getPeerX509Certificate() on the client give X509Certificate objects; the peer's
issuerCertificate is the intermediate the server sent, whose own issuerCertificate is undefined
(None: the root was not sent).  Node checks the fixture's serial numbers (agent6 and its issuer,
ca3); the port checks the serials read from the certificates made for it."""
import re

import tls

from support.certs import node_keys


def _serial(pem: bytes, index: int) -> str:
    blocks = re.findall(b"-----BEGIN CERTIFICATE-----.*?-----END CERTIFICATE-----\n?", pem, re.S)
    return tls.X509Certificate(blocks[index]).serialNumber


def test_getcertificate_x509(calls, node_run):
    agent6 = node_keys()["agent6"]
    leaf_serial, issuer_serial = _serial(agent6["cert"], 0), _serial(agent6["cert"], 1)

    def main():
        server = tls.createServer({"key": agent6["key"], "cert": agent6["cert"]},
                                  lambda cleartext: cleartext.end("World"))

        def on_secure_connection(socket):
            cert = socket.getX509Certificate()
            assert isinstance(cert, tls.X509Certificate)
            assert re.search(leaf_serial, cert.serialNumber, re.I)

        server.once("secureConnection", calls.must_call(on_secure_connection))

        def listening():
            def on_connect():
                peer_cert = socket.getPeerX509Certificate()
                assert isinstance(peer_cert.issuerCertificate, tls.X509Certificate)
                assert peer_cert.issuerCertificate.issuerCertificate is None
                assert re.search(issuer_serial, peer_cert.issuerCertificate.serialNumber, re.I)
                server.close()

            socket = tls.connect({"port": server.address()["port"], "rejectUnauthorized": False},
                                 calls.must_call(on_connect))
            socket.resume()  # the server's 'World', which nobody reads (README conventions)
            socket.end("Hello")

        server.listen(0, calls.must_call(listening))

    node_run(main)
