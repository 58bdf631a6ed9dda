"""``python -m tls`` run as an asyncio subprocess, its output collected as it comes (tests/test_cli*.py)."""
from __future__ import annotations

import asyncio
import json
import os
import re
import sys
from typing import Any, Dict, List, Optional

from .python import SRC

TIMEOUT = 20.0
ENV = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [SRC, os.environ.get("PYTHONPATH")]))}
LISTENING = re.compile(rb"listening on 127\.0\.0\.1:(\d+)\n")


# -- running the command line -------------------------------------------------------------------

class Cli:
    """``python -m tls ARGS`` as an asyncio subprocess; stdout and stderr are collected as they come."""

    def __init__(self, *args: str, env: Optional[Dict[str, str]] = None) -> None:
        self.args = args
        self.env = env or ENV
        self.stdout = b""
        self.stderr = b""
        self.proc: Optional[asyncio.subprocess.Process] = None
        self._changed: Optional[asyncio.Event] = None
        self._readers: List[asyncio.Task] = []

    async def start(self, stdin: Optional[bytes] = None) -> "Cli":
        self._changed = asyncio.Event()
        self.proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "tls", *self.args, env=self.env, stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
        self._readers = [asyncio.ensure_future(self._collect(self.proc.stdout, "stdout")),
                         asyncio.ensure_future(self._collect(self.proc.stderr, "stderr"))]
        if stdin is not None:
            self.proc.stdin.write(stdin)
            self.proc.stdin.close()
        return self

    async def _collect(self, stream: asyncio.StreamReader, name: str) -> None:
        while True:
            chunk = await stream.read(65536)
            if not chunk:
                break
            setattr(self, name, getattr(self, name) + chunk)
            self._changed.set()
        self._changed.set()

    async def wait_for(self, pattern: "re.Pattern[bytes]", stream: str = "stderr") -> "re.Match[bytes]":
        """The first match of ``pattern`` in the output so far or to come."""
        while True:
            match = pattern.search(getattr(self, stream))
            if match:
                return match
            if all(reader.done() for reader in self._readers):
                raise AssertionError("exited (rc=%r) without %r; stdout=%r stderr=%r" % (
                    self.proc.returncode, pattern.pattern, self.stdout[-2000:], self.stderr[-3000:]))
            self._changed.clear()
            await self._changed.wait()

    async def port(self) -> int:
        return int((await self.wait_for(LISTENING)).group(1))

    async def finish(self) -> int:
        """Wait for the exit (with everything it wrote)."""
        await asyncio.wait_for(asyncio.gather(*self._readers), TIMEOUT)
        return await asyncio.wait_for(self.proc.wait(), TIMEOUT)

    async def stop(self) -> None:
        if self.proc is not None and self.proc.returncode is None:
            self.proc.kill()
        if self.proc is not None:
            await self.proc.wait()
        for reader in self._readers:
            reader.cancel()

    async def __aenter__(self) -> "Cli":
        return await self.start()

    async def __aexit__(self, *exc: Any) -> None:
        await self.stop()


async def run_cli(*args: str, stdin: bytes = b"", env: Optional[Dict[str, str]] = None) -> Cli:
    """Run to completion: ``.proc.returncode``, ``.stdout``, ``.stderr``."""
    cli = await Cli(*args, env=env).start(stdin)
    try:
        await cli.finish()
    finally:
        await cli.stop()
    return cli


def text(data: bytes) -> str:
    return data.decode("utf-8", "replace")


def assert_no_traceback(cli: Cli) -> None:
    assert b"Traceback" not in cli.stderr, text(cli.stderr)


def json_summary(cli: Cli) -> Dict[str, Any]:
    return json.loads(cli.stdout.split(b"\n", 1)[0])


# -- arguments and help -------------------------------------------------------------------------
