"""The child of test-tls-enable-trace-cli.js (run under ``python -m tls run --trace-tls``):
tls-connect.js's exchange with no ``enableTrace`` option anywhere."""
from support.node_style import CallTracker, fixture_keys, run_program, tls_connect

calls = CallTracker()
keys = fixture_keys()


def main() -> None:
    tls_connect(calls, {
        "client": {"checkServerIdentity": lambda servername, cert: None,
                   "ca": keys["agent1"]["cert"] + b"\n" + keys["agent6"]["ca"]},
        "server": {"cert": keys["agent6"]["cert"], "key": keys["agent6"]["key"]},
    }, lambda err, pair, cleanup: cleanup())


run_program(main, calls)
