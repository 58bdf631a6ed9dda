"""The ``openssl`` command line: one-shot commands and ``s_server`` / ``s_client`` peers."""
from __future__ import annotations

import asyncio
import os
import re
import shutil
import subprocess
from typing import Any, Dict, List, Optional

OPENSSL = shutil.which("openssl") or "openssl"
STDBUF = shutil.which("stdbuf")


def openssl(*args: str, input: Optional[bytes] = None, cwd: Optional[str] = None, timeout: float = 120) -> bytes:
    """Run ``openssl ARGS`` to completion (certificates, keys, OCSP files); its stdout.  A failure
    fails the test with openssl's stderr."""
    proc = subprocess.run([OPENSSL, *args], input=input, cwd=cwd, capture_output=True, timeout=timeout)
    assert proc.returncode == 0, "openssl %s: %s" % (" ".join(args), proc.stderr.decode(errors="replace"))
    return proc.stdout


async def run_openssl(*args: str, stdin: bytes = b"", timeout: float = 10.0) -> "tuple[int, bytes, bytes]":
    """Run the openssl CLI to completion from a coroutine: (exit code, stdout, stderr)."""
    proc = await asyncio.create_subprocess_exec(
        OPENSSL, *args, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE)
    try:
        out, err = await asyncio.wait_for(proc.communicate(stdin), timeout)
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
    return proc.returncode, out, err


class OpenSSLPeer:
    """``openssl s_server`` or ``s_client`` as an asyncio subprocess; stdout is scanned for text,
    stderr is collected as it comes."""

    def __init__(self) -> None:
        self.argv: List[str] = []
        self.proc: Optional[asyncio.subprocess.Process] = None
        self.stderr = b""
        self.stdout = b""
        self._err_task: Optional[asyncio.Task] = None
        self._err_event = asyncio.Event()
        self._err_done = False

    async def start(self, argv: List[str], unbuffered: bool = False,
                    env: Optional[Dict[str, str]] = None) -> "OpenSSLPeer":
        prefix = [STDBUF, "-o0"] if unbuffered and STDBUF else []
        self.argv = [*prefix, OPENSSL, *argv]
        self.proc = await asyncio.create_subprocess_exec(
            *self.argv, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE, env={**os.environ, **(env or {})})
        self._err_task = asyncio.ensure_future(self._read_stderr())
        return self

    async def _read_stderr(self) -> None:
        assert self.proc is not None and self.proc.stderr is not None
        try:
            while True:
                chunk = await self.proc.stderr.read(65536)
                if not chunk:
                    return
                self.stderr += chunk
                self._err_event.set()
        finally:
            self._err_done = True
            self._err_event.set()

    async def until_stderr(self, needle: bytes) -> None:
        """Wait until ``needle`` shows up on stderr."""
        while needle not in self.stderr:
            if self._err_done:
                raise AssertionError("stderr ended without %r: %r" % (needle, self.stderr[-2000:]))
            self._err_event.clear()
            await self._err_event.wait()

    async def _readline(self) -> bytes:
        assert self.proc is not None and self.proc.stdout is not None
        line = await self.proc.stdout.readline()
        if not line:
            await asyncio.sleep(0)  # let the stderr reader catch up
            raise AssertionError("openssl exited (rc=%r) before reporting; stdout=%r stderr=%r" % (
                self.proc.returncode, self.stdout[-2000:], self.stderr[-2000:]))
        self.stdout += line
        return line

    async def until(self, pattern: "bytes | re.Pattern") -> "re.Match | bytes":
        """Read stdout until ``pattern`` (bytes or compiled regex) appears."""
        while True:
            if isinstance(pattern, bytes):
                if pattern in self.stdout:
                    return pattern
            else:
                m = pattern.search(self.stdout)
                if m:
                    return m
            await self._readline()

    def send(self, data: bytes) -> None:
        assert self.proc is not None and self.proc.stdin is not None
        self.proc.stdin.write(data)

    async def drain(self) -> None:
        assert self.proc is not None and self.proc.stdin is not None
        await self.proc.stdin.drain()

    async def read_rest(self) -> bytes:
        """Everything on stdout until the process exits."""
        assert self.proc is not None and self.proc.stdout is not None
        rest = await self.proc.stdout.read()
        self.stdout += rest
        return self.stdout

    async def exit_code(self) -> int:
        assert self.proc is not None
        rc = await self.proc.wait()
        if self._err_task is not None:
            await self._err_task
        return rc

    async def close(self) -> None:
        proc = self.proc
        if proc is None:
            return
        if proc.returncode is None:
            try:
                proc.kill()
            except ProcessLookupError:
                pass
        try:
            await asyncio.wait_for(proc.wait(), 5)
        except asyncio.TimeoutError:
            pass
        if self._err_task is not None:
            self._err_task.cancel()
            try:
                await self._err_task
            except (asyncio.CancelledError, Exception):
                pass

    async def __aenter__(self) -> "OpenSSLPeer":
        return self

    async def __aexit__(self, *exc: Any) -> None:
        await self.close()


async def s_server(argv: List[str], unbuffered: bool = False) -> "tuple[OpenSSLPeer, int]":
    """``openssl s_server -accept 127.0.0.1:0 ARGV``: the peer and the port of its ACCEPT line."""
    peer = await OpenSSLPeer().start(["s_server", "-accept", "127.0.0.1:0", *argv], unbuffered)
    m = await peer.until(re.compile(rb"ACCEPT [^\n]*:(\d+)\s*\n"))
    return peer, int(m.group(1))
