"""Cluster programs (tls.cluster, Node's cluster) written to files and run as processes.

A cluster test is a whole program -- the primary forks workers that run the
same file -- so each test writes its program to a temporary file and runs it
with a bounded timeout.  The programs report with :data:`PRELUDE`'s
``log(...)``: one JSON array per line on stdout, which :func:`run_program`
returns as ``events``.  :func:`run_node` runs the Node 20 version of a
program the same way, for tests that compare the two.
"""
from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
from typing import Any, Dict, List, Optional, Sequence

from .node import NODE
from .python import SRC

# Put first in every Python cluster program: log() writes one event line, flushed at once
# (a worker's lines and the primary's interleave in one stdout).
PRELUDE = '''\
import json, os, sys
import tls
import tls.cluster as cluster
from tls import net


def log(*args):
    sys.stdout.write(json.dumps(list(args)) + "\\n")
    sys.stdout.flush()
'''

# The same log() for Node programs.
NODE_PRELUDE = "const log = (...a) => process.stdout.write(JSON.stringify(a) + '\\n');\n"


@dataclasses.dataclass
class Ran:
    returncode: int
    events: List[List[Any]]
    stdout: str
    stderr: str

    def named(self, name: str) -> List[List[Any]]:
        """The events whose first item is ``name``."""
        return [event for event in self.events if event and event[0] == name]


def parse_events(stdout: str) -> List[List[Any]]:
    events = []
    for line in stdout.splitlines():
        if line.startswith("["):
            try:
                events.append(json.loads(line))
            except ValueError:
                pass
    return events


def run_program(source: str, directory: str, timeout: float = 20.0, env: Optional[Dict[str, str]] = None,
                argv: Sequence[str] = (), name: str = "program.py", module: Optional[str] = None) -> Ran:
    """Run ``PRELUDE + source`` as ``python <file> argv...`` (or ``python -m module`` from ``directory``)."""
    path = os.path.join(directory, name)
    with open(path, "w", encoding="utf-8") as f:
        f.write(PRELUDE + source)
    run_env = dict(os.environ)
    run_env.pop("NODE_UNIQUE_ID", None)
    run_env.pop("NODE_CLUSTER_SCHED_POLICY", None)
    run_env["PYTHONPATH"] = SRC + os.pathsep + directory + os.pathsep + run_env.get("PYTHONPATH", "")
    run_env.update(env or {})
    command = [sys.executable, "-m", module] if module else [sys.executable, path]
    done = subprocess.run(command + list(argv), cwd=directory, env=run_env, capture_output=True, text=True,
                          timeout=timeout)
    return Ran(done.returncode, parse_events(done.stdout), done.stdout, done.stderr)


def run_node(source: str, directory: str, timeout: float = 20.0, env: Optional[Dict[str, str]] = None) -> Ran:
    """Run ``NODE_PRELUDE + source`` with Node 20."""
    path = os.path.join(directory, "program.js")
    with open(path, "w", encoding="utf-8") as f:
        f.write(NODE_PRELUDE + source)
    run_env = dict(os.environ)
    run_env.pop("NODE_UNIQUE_ID", None)
    run_env.update(env or {})
    done = subprocess.run([NODE, path], cwd=directory, env=run_env, capture_output=True, text=True,
                          timeout=timeout)
    return Ran(done.returncode, parse_events(done.stdout), done.stdout, done.stderr)
