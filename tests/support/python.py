"""A fresh interpreter with this checkout's src/ first on the path."""
from __future__ import annotations

import os
import queue
import subprocess
import sys
import threading
import time
from typing import Dict, List, Optional, Sequence

SRC = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), "src")


def run_python(code: str) -> str:
    """Run ``python -c code`` in a fresh interpreter with this checkout's src/ first on the path; its stdout."""
    env = dict(os.environ)
    env["PYTHONPATH"] = SRC + os.pathsep + env.get("PYTHONPATH", "")
    result = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    return result.stdout


class Script:
    """A Python program (source text) running in a fresh interpreter, read line by line with deadlines.

    For what only a whole process shows: signals, exit statuses, ``tls.run`` ending.  Its stdout is read
    by a thread into a queue, so :meth:`expect` waits for a line with a bound instead of sleeping.
    """

    def __init__(self, code: str, *args: str, env: Optional[Dict[str, str]] = None,
                 launcher: Sequence[str] = (), pass_fds: Sequence[int] = ()) -> None:
        """``launcher`` goes before the interpreter (a supervisor such as ``systemd-socket-activate``),
        ``pass_fds`` are descriptors the program inherits."""
        full_env = dict(os.environ if env is None else env)
        full_env["PYTHONPATH"] = SRC + os.pathsep + full_env.get("PYTHONPATH", "")
        full_env["PYTHONUNBUFFERED"] = "1"
        self.proc = subprocess.Popen([*launcher, sys.executable, "-c", code, *args], env=full_env,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, pass_fds=pass_fds)
        self.lines: "queue.Queue[Optional[str]]" = queue.Queue()
        self.seen: List[str] = []
        self._errors: List[str] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        self._error_reader = threading.Thread(target=self._read_errors, daemon=True)
        self._error_reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.put(line.rstrip("\n"))
        self.lines.put(None)

    def _read_errors(self) -> None:
        assert self.proc.stderr is not None
        self._errors.append(self.proc.stderr.read())

    def expect(self, prefix: str, timeout: float = 20.0) -> str:
        """The next line starting with ``prefix`` (earlier lines are kept in :attr:`seen`)."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                line = self.lines.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                raise AssertionError("no line %r within %ss; seen %r" % (prefix, timeout, self.seen)) from None
            if line is None:
                raise AssertionError("the program ended before %r; seen %r; stderr %s"
                                     % (prefix, self.seen, self.stderr()))
            self.seen.append(line)
            if line.startswith(prefix):
                return line

    def send_signal(self, sig: int) -> None:
        self.proc.send_signal(sig)

    def wait(self, timeout: float = 20.0) -> int:
        """The exit status (negative: the signal it died of); the rest of stdout goes to :attr:`seen`."""
        code = self.proc.wait(timeout=timeout)
        self._reader.join(timeout)
        while not self.lines.empty():
            line = self.lines.get()
            if line is not None:
                self.seen.append(line)
        return code

    def stderr(self) -> str:
        """Everything the program wrote to stderr (once it has ended)."""
        if self.proc.poll() is None:
            return "(still running)"
        self._error_reader.join(20)
        return "".join(self._errors)

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        for stream in (self.proc.stdout, self.proc.stderr):
            if stream is not None:
                stream.close()
