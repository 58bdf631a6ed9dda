"""``python -m tls run [FLAGS] program.py [args...]``: Node's TLS command-line flags for a Python program.

The defaults each combination of flags sets are compared with Node 20's (``node FLAGS -p ...``), as is
the refusal of ``--tls-min-v1.3`` with ``--tls-max-v1.2`` (exit status 9, Node's message); the program
runs as ``python program.py args...`` would (its argv, its directory first on sys.path, its exit status,
a traceback for an uncaught exception).  What the flags do to connections (a key-log file, tracing, the
protocol table) is in the ports of Node's own tests: tests/node_ports/test_cli_version.py,
test_cli_min_max_conflict.py, test_cipher_list.py, test_enable_keylog_cli.py, test_enable_trace_cli.py.
"""
from __future__ import annotations

import os
import subprocess
import sys
from typing import List

import pytest

from support.cli import ENV, TIMEOUT
from support.node import NODE
from tls._faces.cli import main as cli_main

DEFAULTS = "[tls.DEFAULT_MIN_VERSION, tls.DEFAULT_MAX_VERSION, tls.DEFAULT_CIPHERS].join(' ')"
PY_DEFAULTS = "import tls; print(' '.join([tls.DEFAULT_MIN_VERSION, tls.DEFAULT_MAX_VERSION, tls.DEFAULT_CIPHERS]))"


def ours(*argv: str, cwd: str = None) -> subprocess.CompletedProcess:  # type: ignore[assignment]
    return subprocess.run([sys.executable, "-m", "tls", "run", *argv], capture_output=True, text=True, env=ENV,
                          timeout=TIMEOUT, cwd=cwd)


def node(*argv: str) -> subprocess.CompletedProcess:
    return subprocess.run([NODE, *argv], capture_output=True, text=True, timeout=TIMEOUT)


@pytest.mark.parametrize("flags", [
    ["--tls-min-v1.1", "--tls-min-v1.0"],     # the lowest minimum wins, in either order
    ["--tls-min-v1.2", "--tls-min-v1.3"],
    ["--tls-max-v1.2", "--tls-max-v1.3"],     # the highest maximum wins
    ["--tls-max-v1.2", "--tls-min-v1.1", "--tls-cipher-list=AES128-SHA:ECDHE-RSA-AES128-SHA"],
], ids=lambda flags: " ".join(flags))
def test_defaults_as_node(flags: List[str]) -> None:
    theirs = node(*flags, "-p", DEFAULTS)
    assert theirs.returncode == 0, theirs.stderr
    done = ours(*flags, "-c", PY_DEFAULTS)
    assert done.returncode == 0, done.stderr
    assert done.stdout == theirs.stdout


def test_min_v13_with_max_v12_refused_as_node() -> None:
    theirs = node("--tls-max-v1.2", "--tls-min-v1.3", "-p", "1")
    done = ours("--tls-max-v1.2", "--tls-min-v1.3", "-c", "print(1)")
    assert done.returncode == theirs.returncode == 9
    assert done.stdout == theirs.stdout == ""
    # Node: "<its argv[0]>: either ... not both"; here the runner's name instead
    assert done.stderr == "python -m tls run: " + theirs.stderr.split(": ", 1)[1]


def test_program_runs_as_python_would(tmp_path) -> None:
    program = tmp_path / "prog.py"
    program.write_text("import sys, tls\n"
                       "print(repr(sys.argv), sys.path[0] == %r, __name__, tls.DEFAULT_MIN_VERSION)\n"
                       "sys.exit(int(sys.argv[-1]))\n" % str(tmp_path))
    done = ours("--tls-min-v1.1", str(program), "--tls-min-v1.0", "--help", "7", cwd=os.getcwd())
    assert done.returncode == 7, done.stderr
    # flags after the program are the program's arguments, as with node
    assert done.stdout == "%r True __main__ TLSv1.1\n" % [str(program), "--tls-min-v1.0", "--help", "7"]


def test_uncaught_exception_is_a_traceback_from_the_program(tmp_path) -> None:
    program = tmp_path / "boom.py"
    program.write_text("def f():\n    raise ValueError('boom')\nf()\n")
    done = ours(str(program))
    assert done.returncode == 1
    lines = done.stderr.splitlines()
    assert lines[0] == "Traceback (most recent call last):"
    assert str(program) in lines[1]         # the program's frame first, not the runner's
    assert lines[-1] == "ValueError: boom"


def test_missing_program_as_python(tmp_path) -> None:
    missing = str(tmp_path / "missing.py")
    done = ours(missing)
    python = subprocess.run([sys.executable, missing], capture_output=True, text=True, timeout=TIMEOUT)
    assert done.returncode == python.returncode == 2
    assert done.stderr == "python -m tls run: " + python.stderr.split(": ", 1)[1]


def test_code_argv() -> None:
    done = ours("-c", "import sys; print(sys.argv)", "a", "--trace-tls")
    assert done.returncode == 0, done.stderr
    assert done.stdout == "['-c', 'a', '--trace-tls']\n"


def test_help_and_missing_program(capsys) -> None:
    with pytest.raises(SystemExit) as exit_info:
        cli_main(["run", "--help"])
    assert exit_info.value.code == 0
    out = capsys.readouterr().out
    assert "usage: python -m tls run" in out
    for flag in ("--tls-cipher-list", "--tls-min-v1.0", "--tls-min-v1.3", "--tls-max-v1.2", "--tls-keylog",
                 "--trace-tls"):
        assert flag in out
    with pytest.raises(SystemExit) as exit_info:
        cli_main(["run", "--tls-min-v1.2"])
    assert exit_info.value.code == 2
    assert "a program to run is required" in capsys.readouterr().err


def test_abbreviated_flag_refused(capsys) -> None:
    # --tls-min could mean any of four flags: argparse's prefix matching is off, as Node has none
    with pytest.raises(SystemExit) as exit_info:
        cli_main(["run", "--tls-max", "-c", "pass"])
    assert exit_info.value.code == 2


WORKER_JS = """
const cluster = require('cluster'); const tls = require('tls');
if (cluster.isPrimary) { const w = cluster.fork(); w.on('exit', (code) => console.log('worker exited', code)); }
else { console.log('worker', tls.DEFAULT_MIN_VERSION, tls.DEFAULT_CIPHERS); process.exit(0); }
"""

WORKER_PY = """
import tls
from tls import cluster
if cluster.isPrimary:
    def main():
        worker = cluster.fork()
        worker.on('exit', lambda code, signal: print('worker exited', code, flush=True))
    tls.run(main)
else:
    print('worker', tls.DEFAULT_MIN_VERSION, tls.DEFAULT_CIPHERS, flush=True)
    tls.process.exit(0)
"""


@pytest.mark.skipif(not hasattr(sys, "orig_argv"), reason="Python 3.9 has no sys.orig_argv: a worker is started "
                    "as `python program.py`, without the runner's flags")
def test_cluster_workers_get_the_flags(tmp_path) -> None:
    """Node's cluster.fork() passes the primary's execArgv (its flags) to the worker; a worker of a
    program run by `python -m tls run FLAGS` is started the same way, flags included."""
    flags = ["--tls-min-v1.1", "--tls-cipher-list=AES128-SHA"]
    js, py = tmp_path / "cluster.js", tmp_path / "cluster_prog.py"
    js.write_text(WORKER_JS)
    py.write_text(WORKER_PY)
    theirs = node(*flags, str(js))
    assert theirs.returncode == 0, theirs.stderr
    done = ours(*flags, str(py))
    assert done.returncode == 0, done.stderr
    assert done.stdout == theirs.stdout == "worker TLSv1.1 AES128-SHA\nworker exited 0\n"
