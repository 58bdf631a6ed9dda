"""Port of test/parallel/test-tls-connect-secure-context.js: a client secureContext made
from ``ca`` alone, and one where every other context option is given as null (None)."""
import pytest

import tls

from support.node_style import fixture_keys, tls_connect

NULL_OPTIONS = ["ciphers", "clientCertEngine", "crl", "dhparam", "passphrase", "pfx", "privateKeyIdentifier",
                "privateKeyEngine", "sessionIdContext", "sessionTimeout", "sigalgs", "ticketKeys"]


@pytest.mark.parametrize("with_nulls", [False, True])
def test_client_secure_context(with_nulls, calls, node_run):
    keys = fixture_keys()["agent1"]

    def connected(err, pair, cleanup):
        assert err is None
        cleanup()

    def main():
        options = {"ca": keys["ca"]}
        if with_nulls:
            options.update(dict.fromkeys(NULL_OPTIONS))
        tls_connect(calls, {
            "client": {"servername": "agent1", "secureContext": tls.createSecureContext(options)},
            "server": {"cert": keys["cert"], "key": keys["key"]},
        }, connected)

    node_run(main)
