"""Port of test/parallel/test-tls-peer-certificate-multi-keys.js: a subject with two OUs
gives a list, on both getCertificate() and getPeerCertificate() (Node's rsa_cert.crt is
made here with the same two OUs)."""
import tls

from support.openssl import openssl

OUS = ["Test TLS Certificate", "Engineering"]


def test_two_organizational_units(calls, node_run, tmp_path):
    key, cert = tmp_path / "key.pem", tmp_path / "cert.pem"
    openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out", str(cert), "-days", "2",
            "-subj", "/C=US/OU=%s/OU=%s/CN=localhost" % tuple(OUS))

    def main():
        server = tls.createServer({"key": key.read_bytes(), "cert": cert.read_bytes()},
                                  lambda cleartext: cleartext.resume().end("World"))  # resume: "Hello" is unread

        def on_secure_connection(socket):
            assert socket.getCertificate()["subject"]["OU"] == OUS

        server.once("secureConnection", calls.must_call(on_secure_connection))

        def listening():
            socket = None

            def on_secure():
                assert socket.getPeerCertificate()["subject"]["OU"] == OUS
                server.close()

            socket = tls.connect({"port": server.address()["port"], "rejectUnauthorized": False},
                                 calls.must_call(on_secure))
            socket.end("Hello")
            socket.resume()  # "World" is not read in Node either (see support.node_style)

        server.listen(0, calls.must_call(listening))

    node_run(main)
