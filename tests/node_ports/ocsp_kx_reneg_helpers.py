"""Helpers for the OCSP / key exchange / record size / renegotiation ports.

* :class:`Proc` -- an ``openssl`` or ``node`` subprocess driven from inside
  ``tls.run`` (a referenced handle until it exited, so the program waits for
  it), with stdin writes and line callbacks for stdout / stderr; killed when
  the test ends.
* :class:`RecordTap` -- a loopback TCP relay in a thread that records the
  TLS record headers (type, length) flowing from the server to the client.
* certificate / DH parameter makers used by the fixtures of several files.
"""
from __future__ import annotations

import asyncio
import os
import socket
import struct
import subprocess
import threading
from typing import Any, Callable, List, Optional, Tuple

from tls._node import runtime as _runtime

NODE = "node"
OPENSSL = "openssl"

_live_procs: List["Proc"] = []


class Proc:
    """A subprocess of a Node-style test: ``on_exit(returncode, stdout, stderr)``."""

    def __init__(self, args: List[str], on_exit: Optional[Callable[[int, bytes, bytes], Any]] = None,
                 on_stdout_line: Optional[Callable[[bytes], Any]] = None,
                 on_stderr_line: Optional[Callable[[bytes], Any]] = None, cwd: Optional[str] = None) -> None:
        self.args = args
        self.stdout = bytearray()
        self.stderr = bytearray()
        self.returncode: Optional[int] = None
        self._on_exit = on_exit
        self._line_cbs = (on_stdout_line, on_stderr_line)
        self._proc: Any = None
        self._pending: List[Optional[bytes]] = []
        self._cwd = cwd
        _runtime.ref_handle(self)
        _live_procs.append(self)
        _runtime.spawn(self._main())

    async def _main(self) -> None:
        try:
            self._proc = await asyncio.create_subprocess_exec(
                *self.args, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE, cwd=self._cwd)
            for data in self._pending:
                self._send(data)
            self._pending = []
            await asyncio.gather(self._pump(self._proc.stdout, self.stdout, self._line_cbs[0]),
                                 self._pump(self._proc.stderr, self.stderr, self._line_cbs[1]))
            self.returncode = await self._proc.wait()
        finally:
            _runtime.handle_closed(self)
            if self._proc is not None:
                transport = getattr(self._proc, "_transport", None)
                if transport is not None:
                    transport.close()  # stdin too: nothing left for the loop to reap later
        if self._on_exit is not None:
            self._on_exit(self.returncode, bytes(self.stdout), bytes(self.stderr))

    @staticmethod
    async def _pump(stream: Any, buf: bytearray, line_cb: Optional[Callable[[bytes], Any]]) -> None:
        start = 0
        while True:
            chunk = await stream.read(65536)
            if not chunk:
                return
            buf += chunk
            if line_cb is not None:
                while True:
                    end = buf.find(b"\n", start)
                    if end < 0:
                        break
                    line = bytes(buf[start:end])
                    start = end + 1
                    line_cb(line)

    def _send(self, data: Optional[bytes]) -> None:
        stdin = self._proc.stdin
        if stdin.is_closing():
            return
        if data is None:
            stdin.close()
        else:
            stdin.write(data)

    def write(self, data: bytes) -> None:
        if self._proc is None:
            self._pending.append(data)
        else:
            self._send(data)

    def end(self) -> None:
        self.write(None)  # type: ignore[arg-type]

    def kill(self) -> None:
        if self._proc is not None and self._proc.returncode is None:
            try:
                self._proc.kill()
            except ProcessLookupError:
                pass


def kill_all() -> None:
    """Kill what a failed test left running (called by the fixtures' teardown)."""
    while _live_procs:
        proc = _live_procs.pop()
        inner = proc._proc
        if inner is not None and inner.returncode is None:
            try:
                inner.kill()
            except (ProcessLookupError, RuntimeError):
                pass


def s_client(port: int, *extra: str, **kwargs: Any) -> Proc:
    """``openssl s_client`` to 127.0.0.1:port (no -quiet: 'R' lines renegotiate)."""
    return Proc([OPENSSL, "s_client", "-connect", "127.0.0.1:%d" % port, "-servername", "localhost", *extra],
                **kwargs)


def node(script: str, *args: str, **kwargs: Any) -> Proc:
    return Proc([NODE, "-e", script, "--", *args], **kwargs)


# -- record capture ------------------------------------------------------------------

class RecordTap:
    """Relay 127.0.0.1:<port> -> 127.0.0.1:<target>; records (type, length) of
    every TLS record the target sends back."""

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self.records: List[Tuple[int, int]] = []
        self._listener = socket.socket()
        self._listener.bind(("127.0.0.1", 0))
        self._listener.listen(1)
        self._listener.settimeout(15)
        self.port = self._listener.getsockname()[1]
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            downstream, _ = self._listener.accept()
        except OSError:
            return
        upstream = socket.create_connection(("127.0.0.1", self.target_port), timeout=15)
        downstream.settimeout(15)
        back = bytearray()

        def up() -> None:
            try:
                while True:
                    data = downstream.recv(65536)
                    if not data:
                        upstream.shutdown(socket.SHUT_WR)
                        return
                    upstream.sendall(data)
            except OSError:
                pass

        t = threading.Thread(target=up, daemon=True)
        t.start()
        try:
            while True:
                data = upstream.recv(65536)
                if not data:
                    break
                back += data
                while len(back) >= 5:
                    rtype, _version, length = struct.unpack("!BHH", bytes(back[:5]))
                    if len(back) < 5 + length:
                        break
                    self.records.append((rtype, length))
                    del back[:5 + length]
                downstream.sendall(data)
            downstream.shutdown(socket.SHUT_WR)
        except OSError:
            pass
        t.join(15)
        downstream.close()
        upstream.close()
        self._listener.close()

    def join(self) -> None:
        self._thread.join(15)


# -- certificates and DH parameters -----------------------------------------------------

def openssl(*args: str, cwd: Optional[str] = None, input: Optional[bytes] = None) -> bytes:
    return subprocess.run([OPENSSL, *args], check=True, capture_output=True, cwd=cwd, input=input,
                          timeout=120).stdout


# RFC 2409 section 6.2 (Oakley group 2): a well-known 1024-bit safe prime, generator 2.
OAKLEY_GROUP_2 = int(
    "FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74"
    "020BBEA63B139B22514A08798E3404DDEF9519B3CD3A431B302B0A6DF25F1437"
    "4FE1356D6D51C245E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6F406B7ED"
    "EE386BFB5A899FA5AE9F24117C4B1FE649286651ECE65381FFFFFFFFFFFFFFFF", 16)


def dh_params_pem(bits: int, directory: str) -> bytes:
    """PKCS#3 DH parameters: 1024 -> Oakley group 2, 2048 -> ffdhe2048, else generated."""
    if bits == 1024:
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric import dh
        params = dh.DHParameterNumbers(OAKLEY_GROUP_2, 2).parameters()
        return params.parameter_bytes(serialization.Encoding.PEM, serialization.ParameterFormat.PKCS3)
    path = os.path.join(directory, "dh%d.pem" % bits)
    if bits == 2048:
        openssl("genpkey", "-genparam", "-algorithm", "DH", "-pkeyopt", "group:ffdhe2048", "-out", path)
    else:
        openssl("dhparam", "-out", path, str(bits))
    with open(path, "rb") as f:
        return f.read()
