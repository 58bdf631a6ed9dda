"""Port of test/parallel/test-tls-enable-trace-cli.js: a child run with ``--trace-tls`` (Node forks
itself with that execArgv, silent; here ``python -m tls run --trace-tls
programs/enable_trace_cli.py``, support.node_style.tls_run) makes a connection with no
``enableTrace`` option anywhere: it exits 0, prints nothing on stdout, and its stderr has Node's
warning and OpenSSL's trace of both ends ("Received Record", "ClientHello").  Node skips without
SSL_trace compiled into OpenSSL (asked through an internal binding); here the runner refuses the
flag then (exit status 9), and the test skips."""
import os
import re

import pytest

from support.node_style import tls_run

PROGRAM = os.path.join(os.path.dirname(os.path.abspath(__file__)), "programs", "enable_trace_cli.py")


def test_enable_trace_cli(calls, node_run):
    result = {}

    def main():
        def on_close(code, stdout, stderr):
            result.update(code=code, stdout=stdout.decode(), stderr=stderr.decode())

        tls_run(["--trace-tls"], PROGRAM, on_exit=calls.must_call(on_close))

    node_run(main, timeout=30)
    if result["code"] == 9 and "built without SSL_trace" in result["stderr"]:
        pytest.skip("no SSL_trace() compiled into openssl")
    assert result["code"] == 0, result["stderr"]
    assert result["stdout"].strip() == ""
    assert re.search(r"Warning: Enabling --trace-tls can expose sensitive", result["stderr"])
    assert result["stderr"].count("Enabling --trace-tls can expose sensitive") == 1   # once per process
    assert re.search(r"Received Record", result["stderr"])
    assert re.search(r"ClientHello", result["stderr"])
