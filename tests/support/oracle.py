"""The same program run by Node 20 and by us: the expected values of a behaviour come from Node.

:func:`node_and_ours` runs a Node script (``node -e``) and a Python program (a fresh interpreter with
this checkout's src/) with the same arguments and environment, each under a deadline, and returns both
results (exit status, stdout lines, stderr), so a test can assert that they agree.
"""
from __future__ import annotations

import os
import subprocess
import sys
from typing import Dict, List, NamedTuple, Optional, Sequence, Tuple

from support.python import SRC


class Run(NamedTuple):
    status: int
    lines: List[str]
    stderr: str


def _run(argv: Sequence[str], env: Optional[Dict[str, str]], timeout: float) -> Run:
    result = subprocess.run(list(argv), env=env, capture_output=True, text=True, timeout=timeout)
    return Run(result.returncode, result.stdout.splitlines(), result.stderr)


def node(js: str, *args: str, env: Optional[Dict[str, str]] = None, timeout: float = 30.0) -> Run:
    """``node -e js args...`` (``env``: added to this process's environment)."""
    return _run(["node", "-e", js, *args], dict(os.environ, **(env or {})), timeout)


def ours(code: str, *args: str, env: Optional[Dict[str, str]] = None, timeout: float = 30.0) -> Run:
    """``python -c code args...`` with this checkout's src/ first on the path."""
    full = dict(os.environ, **(env or {}))
    full["PYTHONPATH"] = SRC + os.pathsep + full.get("PYTHONPATH", "")
    return _run([sys.executable, "-c", code, *args], full, timeout)


def node_and_ours(js: str, code: str, *args: str, env: Optional[Dict[str, str]] = None,
                  timeout: float = 30.0) -> Tuple[Run, Run]:
    """Both runs of one program; asserts Node's succeeded (a broken oracle script fails loudly)."""
    expected = node(js, *args, env=env, timeout=timeout)
    assert expected.status == 0, expected.stderr
    return expected, ours(code, *args, env=env, timeout=timeout)
