"""The child of test-tls-enable-keylog-cli.js (run under ``python -m tls run --tls-keylog=FILE``):
tls-connect.js's exchange, TLS 1.2 (the number of keylog lines depends on the protocol version);
neither end may fail."""
from support.node_style import CallTracker, fixture_keys, run_program, tls_connect

calls = CallTracker()
keys = fixture_keys()


def main() -> None:
    def connected(err, pair, cleanup):
        assert pair["server"].get("err") is None, pair["server"].get("err")
        assert pair["client"].get("err") is None, pair["client"].get("err")
        return cleanup()

    tls_connect(calls, {
        "client": {"checkServerIdentity": lambda servername, cert: None,
                   "ca": keys["agent1"]["cert"] + b"\n" + keys["agent6"]["ca"]},
        "server": {"cert": keys["agent6"]["cert"], "key": keys["agent6"]["key"], "maxVersion": "TLSv1.2"},
    }, connected)


run_program(main, calls)
