"""Port of test/parallel/test-tls-invalid-pfx.js: a PFX without a key (Node's
cert-without-key.pfx, made here with ``openssl pkcs12 -export -nokeys``)."""
from support.node_style import fixture_keys, tls_connect
from support.openssl import openssl


def test_pfx_without_a_key(calls, node_run, tmp_path):
    keys = fixture_keys()
    cert = tmp_path / "cert.pem"
    cert.write_bytes(keys["agent1"]["cert"])
    invalid_pfx = openssl("pkcs12", "-export", "-nokeys", "-in", str(cert), "-passout", "pass:test")

    def done(e, pair, cleanup):
        assert e.message == "Unable to load private key from PFX data"
        assert e.code == "ERR_CRYPTO_OPERATION_FAILED"
        cleanup()

    def main():
        tls_connect(calls, {
            "client": {"pfx": invalid_pfx, "passphrase": "test", "rejectUnauthorized": False},
            "server": keys["agent1"],
        }, done)

    node_run(main)
