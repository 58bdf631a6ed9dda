"""Port of test/parallel/test-tls-cert-regression.js: an old-style certificate (1024-bit
RSA, SHA-1, a PKCS#1 'RSA PRIVATE KEY') loads as a string and as bytes.
Node inlines such a pair from 2009 (long expired); the port makes one of the same kind."""
import tls

from support.openssl import openssl


def _old_pair(tmp_path):
    """A self-signed 1024-bit RSA / SHA-1 certificate and its key in PKCS#1 form (the
    openssl CLI of OpenSSL 3.0 cannot backdate, so this one is not expired)."""
    key, cert = tmp_path / "key.pem", tmp_path / "cert.pem"
    openssl("req", "-x509", "-newkey", "rsa:1024", "-sha1", "-nodes", "-keyout", str(key), "-out", str(cert),
            "-days", "1", "-subj", "/C=GB/OU=Test Cert/CN=localhost")
    return cert.read_text(), openssl("rsa", "-traditional", "-in", str(key)).decode()


def test_old_certificate_loads(calls, node_run, tmp_path):
    cert, key = _old_pair(tmp_path)
    assert key.startswith("-----BEGIN RSA PRIVATE KEY-----")

    def main():
        def test(cert, key, cb):
            server = tls.createServer({"cert": cert, "key": key})
            server.listen(0, lambda: server.close(cb))

        test(cert, key, calls.must_call(lambda *a: test(cert.encode(), key.encode(), calls.must_call())))

    node_run(main)
