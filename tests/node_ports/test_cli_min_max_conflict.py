"""Port of test/parallel/test-tls-cli-min-max-conflict.js: ``--tls-min-v1.3`` with ``--tls-max-v1.2``
refuses to start (Node: ``node: either --tls-min-v1.3 or --tls-max-v1.2 can be used, not both`` on
stderr, exit status 9, nothing run).  Here ``python -m tls run`` (support.node_style.tls_run) with
the same flags and a program that would print."""
from support.node_style import tls_run


def test_cli_min_max_conflict(calls, node_run):
    result = {}

    def main():
        def on_exit(code, stdout, stderr):
            result.update(code=code, stdout=stdout.decode(), stderr=stderr.decode())

        tls_run(["--tls-min-v1.3", "--tls-max-v1.2"], "-c", "import sys; print(sys.version)",
                on_exit=calls.must_call(on_exit))

    node_run(main)
    assert result["code"] == 9
    assert "either --tls-min-v1.3 or --tls-max-v1.2 can be used, not both" in result["stderr"]
    assert result["stdout"] == ""
