"""The README's main job: the spec's echo server and client (PEM and PFX variants)."""
import os
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@pytest.mark.parametrize("flags", [[], ["--pfx"]], ids=["pem", "pfx"])
def test_echo_example_runs_end_to_end(flags):
    env = dict(os.environ, PYTHONPATH=os.path.join(ROOT, "src"))
    proc = subprocess.run([sys.executable, os.path.join(ROOT, "examples", "echo.py"), *flags],
                          capture_output=True, text=True, timeout=60, env=env)
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert "server bound" in out
    assert "client connected authorized" in out
    assert "server connected authorized" in out
    echoed = "".join(eval(line.split(":", 1)[1]) for line in out.splitlines() if line.startswith("client got:"))
    assert echoed == "welcome!\nhello\necho me\ngoodbye\n"
    assert out.rstrip().endswith("client closed, error: False") or "server closed" in out
