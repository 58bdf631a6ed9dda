"""Port of test/parallel/test-tls-set-sigalgs.js: ``sigalgs`` on both ends; the server's
getSharedSigalgs(), or no shared algorithm: the server's error, ECONNRESET on the client.

Node's server options hold ``context: {requestCert, rejectUnauthorized}``, a key
tls.createServer ignores (so no client certificate is asked for); the port leaves it out."""
import pytest

from support.node_style import fixture_keys, tls_connect


@pytest.mark.parametrize("csigalgs,ssigalgs,shared,cerr,serr", [
    ("RSA-PSS+SHA384", "RSA-PSS+SHA384", ["RSA-PSS+SHA384"], None, None),
    ("RSA-PSS+SHA256:RSA-PSS+SHA512:ECDSA+SHA256", "RSA-PSS+SHA256:ECDSA+SHA256",
     ["RSA-PSS+SHA256", "ECDSA+SHA256"], None, None),
    ("RSA-PSS+SHA384", "ECDSA+SHA256", None, "ECONNRESET", "ERR_SSL_NO_SHARED_SIGNATURE_ALGORITMS"),
    ("RSA-PSS+SHA384:ECDSA+SHA256", "ECDSA+SHA384:RSA-PSS+SHA256", None, "ECONNRESET",
     "ERR_SSL_NO_SHARED_SIGNATURE_ALGORITMS"),
])
def test_sigalgs(csigalgs, ssigalgs, shared, cerr, serr, calls, node_run):
    keys = fixture_keys()

    def connected(err, pair, cleanup):
        if shared:
            assert err is None
            assert pair["server"].get("err") is None
            assert pair["client"].get("err") is None
            assert pair["server"]["conn"]
            assert pair["client"]["conn"]
            assert list(pair["server"]["conn"].getSharedSigalgs()) == shared
        else:
            if serr:
                assert pair["server"]["err"]
            if cerr:
                assert pair["client"]["err"]
        cleanup()

    def main():
        tls_connect(calls, {
            "client": {"checkServerIdentity": lambda servername, cert: None,
                       "ca": keys["agent1"]["cert"] + b"\n" + keys["agent6"]["ca"],
                       "cert": keys["agent2"]["cert"], "key": keys["agent2"]["key"], "sigalgs": csigalgs},
            "server": {"cert": keys["agent6"]["cert"], "key": keys["agent6"]["key"], "ca": keys["agent2"]["ca"],
                       "sigalgs": ssigalgs},
        }, connected)

    node_run(main)
