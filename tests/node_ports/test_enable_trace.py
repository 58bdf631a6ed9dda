"""Port of test/parallel/test-tls-enable-trace.js: a child (Node forks itself; here a fresh
interpreter) runs tls-connect.js's exchange with ``enableTrace: true`` on the server and
``enableTrace()`` called on the client's socket; its stderr carries OpenSSL's trace ("Received
Record", "ClientHello") and it exits 0.  Node skips without SSL_trace compiled into OpenSSL
(asked through an internal binding); here the child says so when enableTrace() gives
ERR_OPTION_NOT_IMPLEMENTED, and the test skips."""
import os
import re
import textwrap

import pytest

from support.node_style import fork

TESTS = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

CHILD = textwrap.dedent("""
    import sys
    from support.node_style import CallTracker, fixture_keys, run_program, tls_connect

    calls = CallTracker()
    keys = fixture_keys()

    def main():
        def connected(err, pair, cleanup):
            try:
                pair['client']['conn'].enableTrace()
            except Exception as exc:
                if getattr(exc, 'code', None) != 'ERR_OPTION_NOT_IMPLEMENTED':
                    raise
                print('skip: no SSL_trace() compiled into openssl')
            return cleanup()

        tls_connect(calls, {
            'client': {'checkServerIdentity': lambda servername, cert: None,
                       'ca': keys['agent1']['cert'] + b'\\n' + keys['agent6']['ca']},
            'server': {'cert': keys['agent6']['cert'], 'key': keys['agent6']['key'], 'enableTrace': True},
        }, connected)

    run_program(main, calls)
""")


def test_enable_trace(calls, node_run):
    result = {}

    def main():
        def on_exit(code, stdout, stderr):
            result.update(code=code, stdout=stdout.decode(), stderr=stderr.decode())

        fork(CHILD, env={"PYTHONPATH": TESTS}, on_exit=calls.must_call(on_exit))

    node_run(main)
    if result["stdout"].startswith("skip:"):
        pytest.skip(result["stdout"][len("skip: "):].strip())
    assert result["code"] == 0, result["stderr"]
    assert re.search(r"Received Record", result["stderr"])
    assert re.search(r"ClientHello", result["stderr"])
