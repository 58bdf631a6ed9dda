"""Port of test/parallel/test-tls-reduced-SECLEVEL-in-cipher.js: a 512-bit RSA key (Node's
agent11, made here) is too small at the default security level and accepted once the
cipher string lowers it (@SECLEVEL=0 applies before the key is loaded)."""
import pytest

import tls

from support.openssl import openssl


def test_seclevel_0_allows_small_key(calls, node_run, tmp_path):
    key, cert = tmp_path / "key.pem", tmp_path / "cert.pem"
    openssl("req", "-x509", "-newkey", "rsa:512", "-nodes", "-keyout", str(key), "-out", str(cert), "-days", "2",
            "-subj", "/CN=agent11", "-sha256")
    options = {"key": key.read_bytes(), "cert": cert.read_bytes(), "ciphers": "DEFAULT"}

    def main():
        with pytest.raises(Exception, match=r"(?i)key too small"):
            tls.createServer(options, calls.must_not_call())
        options["ciphers"] = "DEFAULT:@SECLEVEL=0"
        assert tls.createServer(options, calls.must_not_call())

    node_run(main)
