"""Port of test/parallel/test-tls-peer-certificate-encoding.js: a UTF-8 subject CN reaches
getPeerCertificate() decoded (Node's agent5, made here with the same CN)."""
import tls

from support.openssl import openssl

CN = "\u00c1d\u00e1m Lippai"


def test_utf8_subject(calls, node_run, tmp_path):
    key, cert = tmp_path / "key.pem", tmp_path / "cert.pem"
    openssl("req", "-x509", "-utf8", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out", str(cert),
            "-days", "2", "-subj", "/C=HU/CN=%s" % CN)

    def main():
        # resume: the client's "Hello" is not read (see support.node_style)
        server = tls.createServer({"key": key.read_bytes(), "cert": cert.read_bytes()},
                                  lambda cleartext: cleartext.resume().end("World"))

        def listening():
            socket = None

            def on_secure():
                assert socket.getPeerCertificate()["subject"]["CN"] == CN
                server.close()

            socket = tls.connect({"port": server.address()["port"], "rejectUnauthorized": False},
                                 calls.must_call(on_secure))
            socket.end("Hello")
            socket.resume()

        server.listen(0, calls.must_call(listening))

    node_run(main)
