"""Port of test/parallel/test-tls-ca-concat.js: a ``ca`` string of two concatenated PEMs
(agent1's certificate, then agent6's root) trusts agent6's chain."""
from support.node_style import fixture_keys, tls_connect


def test_concatenated_ca(calls, node_run):
    keys = fixture_keys()

    def done(err, pair, cleanup):
        assert err is None
        cleanup()

    def main():
        tls_connect(calls, {
            "client": {"checkServerIdentity": lambda servername, cert: None,
                       "ca": keys["agent1"]["cert"].decode() + "\n" + keys["agent6"]["ca"].decode()},
            "server": {"cert": keys["agent6"]["cert"], "key": keys["agent6"]["key"]},
        }, done)

    node_run(main)
