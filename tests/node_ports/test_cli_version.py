"""Ports of test/parallel/test-tls-cli-max-version-1.2.js, -1.3.js and test-tls-cli-min-version-1.0.js,
-1.1.js, -1.2.js, -1.3.js: each runs its program under Node's flags (here ``python -m tls run
FLAGS``, support.node_style.tls_run), which checks ``tls.DEFAULT_MAX_VERSION`` /
``DEFAULT_MIN_VERSION`` and then runs test-tls-min-max-version.js's table under those defaults
(programs/cli_version.py, programs/min_max_version.py); the program exits 0 once every case
passed.  Node's values: ``node FLAGS -p "[tls.DEFAULT_MIN_VERSION, tls.DEFAULT_MAX_VERSION]"``."""
import os

import pytest

from support.node_style import tls_run

PROGRAM = os.path.join(os.path.dirname(os.path.abspath(__file__)), "programs", "cli_version.py")


@pytest.mark.parametrize("flags,max_version,min_version", [
    pytest.param(["--tls-max-v1.2"], "TLSv1.2", "TLSv1.2", id="cli-max-version-1.2"),
    pytest.param(["--tls-max-v1.3"], "TLSv1.3", "TLSv1.2", id="cli-max-version-1.3"),
    # --tls-min-v1.0 overrides --tls-min-v1.1
    pytest.param(["--tls-min-v1.0", "--tls-min-v1.1"], "TLSv1.3", "TLSv1", id="cli-min-version-1.0"),
    pytest.param(["--tls-min-v1.1"], "TLSv1.3", "TLSv1.1", id="cli-min-version-1.1"),
    pytest.param(["--tls-min-v1.2"], "TLSv1.3", "TLSv1.2", id="cli-min-version-1.2"),
    pytest.param(["--tls-min-v1.3"], "TLSv1.3", "TLSv1.3", id="cli-min-version-1.3"),
])
def test_cli_version(flags, max_version, min_version, calls, node_run):
    result = {}

    def main():
        def on_exit(code, stdout, stderr):
            result.update(code=code, stdout=stdout.decode(), stderr=stderr.decode())

        tls_run(flags, PROGRAM, max_version, min_version, on_exit=calls.must_call(on_exit))

    node_run(main, timeout=60)
    assert result["code"] == 0, result["stderr"]
    assert result["stdout"].startswith("cases: "), result["stdout"]
