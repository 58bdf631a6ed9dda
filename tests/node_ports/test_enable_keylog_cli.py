"""Port of test/parallel/test-tls-enable-keylog-cli.js: a child run with ``--tls-keylog=FILE``
(Node forks itself with that execArgv; here ``python -m tls run --tls-keylog=FILE
programs/enable_keylog_cli.py``, support.node_style.tls_run) makes a TLS 1.2 connection to its own
server; it exits 0 and FILE holds two lines, the client's and the server's, identical (the one
CLIENT_RANDOM line of TLS 1.2)."""
import os

from support.node_style import tls_run

PROGRAM = os.path.join(os.path.dirname(os.path.abspath(__file__)), "programs", "enable_keylog_cli.py")


def test_enable_keylog_cli(tmp_path, calls, node_run):
    path = str(tmp_path / "keylog.log")
    result = {}

    def main():
        def on_close(code, stdout, stderr):
            result.update(code=code, stderr=stderr.decode())

        tls_run(["--tls-keylog=" + path], PROGRAM, on_exit=calls.must_call(on_close))

    node_run(main, timeout=30)
    assert result["code"] == 0, result["stderr"]
    with open(path, encoding="utf-8") as f:
        log = f.read().strip().split("\n")
    # Both client and server should log their secrets, so we should have two identical lines in the log
    assert len(log) == 2
    assert log[0] == log[1]
    assert log[0].startswith("CLIENT_RANDOM ")
    assert os.stat(path).st_mode & 0o777 == 0o600
    # Node's warning, once
    assert result["stderr"].count("Using --tls-keylog makes TLS connections insecure by writing secret key "
                                  "material to file " + path) == 1
