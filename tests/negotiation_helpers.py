"""Helpers for the protocol-negotiation tests (ALPN, NPN, SNI).

* ``node_keys()``: trustme stand-ins for the Node fixtures the ported tests
  use (test/fixtures/keys): ca1, ca2, ca3 (an intermediate under ca1), agent1
  (ca1), agent2 (self-signed), agent3 and agent4 (ca2), agent6 (ca3, its
  ``cert`` carries the ca3 chain certificate), an ECDSA leaf ``ec`` (ca1).
  Each agent's certificate names only its CN, so an SNI name like
  a.example.com never matches it (ERR_TLS_CERT_ALTNAME_INVALID), as with
  Node's keys.
* ``run_async(coro, timeout)``: asyncio.run under a deadline.
* ``NodeProcess``: a ``node -e`` peer that prints one JSON object per line.
* ``openssl(...)``: an ``openssl`` CLI peer with its output collected.
"""
from __future__ import annotations

import asyncio
import atexit
import functools
import json
import os
import shutil
import tempfile
from typing import Any, Dict, List, Optional

import trustme
from trustme import KeyType

NODE = shutil.which("node")
OPENSSL = shutil.which("openssl")


def _leaf(ca: trustme.CA, cn: str, key_type: KeyType = KeyType.RSA) -> Dict[str, bytes]:
    leaf = ca.issue_cert(cn, common_name=cn, key_type=key_type)
    return {"key": leaf.private_key_pem.bytes(),
            "cert": b"".join(blob.bytes() for blob in leaf.cert_chain_pems)}


@functools.lru_cache(maxsize=None)
def node_keys() -> Dict[str, Any]:
    ca1 = trustme.CA(key_type=KeyType.RSA, organization_name="Node ports ca1")
    ca2 = trustme.CA(key_type=KeyType.RSA, organization_name="Node ports ca2")
    ca3 = ca1.create_child_ca(key_type=KeyType.RSA)
    agent2 = trustme.CA(key_type=KeyType.RSA, organization_name="agent2")  # a self-signed certificate
    keys = {
        "ca1": ca1.cert_pem.bytes(),
        "ca2": ca2.cert_pem.bytes(),
        "agent1": _leaf(ca1, "agent1"),
        "agent2": {"key": agent2.private_key_pem.bytes(), "cert": agent2.cert_pem.bytes()},
        "agent3": _leaf(ca2, "agent3"),
        "agent4": _leaf(ca2, "agent4"),
        "agent6": _leaf(ca3, "agent6"),
        "ec": _leaf(ca1, "ecdsa", KeyType.ECDSA),
    }
    # files for the node / openssl peers
    directory = tempfile.mkdtemp(prefix="tls-negotiation-")
    atexit.register(shutil.rmtree, directory, True)
    paths: Dict[str, str] = {}
    for name, value in keys.items():
        items = value.items() if isinstance(value, dict) else [("cert", value)]
        for kind, pem in items:
            path = os.path.join(directory, "%s-%s.pem" % (name, kind))
            with open(path, "wb") as f:
                f.write(pem)
            paths["%s-%s" % (name, kind)] = path
    keys["paths"] = paths
    return keys


def run_async(coro: Any, timeout: float = 20.0) -> Any:
    async def main() -> Any:
        return await asyncio.wait_for(coro, timeout)
    return asyncio.run(main())


def future_event(emitter: Any, name: str) -> "asyncio.Future[Any]":
    """A future with the arguments of the next ``name`` event."""
    fut = asyncio.get_running_loop().create_future()

    def on_event(*args: Any) -> None:
        if not fut.done():
            fut.set_result(args)

    emitter.once(name, on_event)
    return fut


class NodeProcess:
    """``node -e script`` with a JSON config in argv[1]; reads JSON lines."""

    def __init__(self, script: str, config: Dict[str, Any]) -> None:
        self.script = script
        self.config = config
        self.proc: Optional[asyncio.subprocess.Process] = None
        self.stderr = b""

    async def __aenter__(self) -> "NodeProcess":
        self.proc = await asyncio.create_subprocess_exec(
            NODE, "-e", self.script, json.dumps(self.config),
            stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
        return self

    async def __aexit__(self, *exc: Any) -> None:
        proc = self.proc
        if proc is not None and proc.returncode is None:
            proc.kill()
            await proc.wait()

    async def line(self) -> Dict[str, Any]:
        """The next JSON line (EOF: what node wrote on stderr, as an error)."""
        assert self.proc is not None and self.proc.stdout is not None
        raw = await self.proc.stdout.readline()
        if not raw:
            err = await self.proc.stderr.read() if self.proc.stderr is not None else b""
            raise AssertionError("node exited: %s" % err.decode(errors="replace"))
        return json.loads(raw)

    async def expect(self, event: str) -> Dict[str, Any]:
        while True:
            msg = await self.line()
            if msg.get("event") == event:
                return msg

    async def finish(self) -> List[Dict[str, Any]]:
        """Every remaining JSON line until node exits."""
        assert self.proc is not None and self.proc.stdout is not None
        out, err = await self.proc.communicate()
        self.stderr = err
        return [json.loads(line) for line in out.decode().splitlines() if line.strip()]


async def openssl(*args: str, stdin: bytes = b"", timeout: float = 10.0) -> "tuple[int, bytes, bytes]":
    """Run the openssl CLI to completion: (exit code, stdout, stderr)."""
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


class SServer:
    """``openssl s_server -accept 127.0.0.1:0 ...``: the port from its ACCEPT line."""

    def __init__(self, *args: str) -> None:
        self.args = args
        self.proc: Optional[asyncio.subprocess.Process] = None
        self.port = 0

    async def __aenter__(self) -> "SServer":
        self.proc = await asyncio.create_subprocess_exec(
            OPENSSL, "s_server", "-accept", "127.0.0.1:0", *self.args, stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
        assert self.proc.stdout is not None
        while True:
            line = await self.proc.stdout.readline()
            if not line:
                raise AssertionError("s_server exited: %r" % (await self.proc.stderr.read(),))
            if line.startswith(b"ACCEPT"):
                self.port = int(line.strip().rsplit(b":", 1)[1])
                return self

    async def __aexit__(self, *exc: Any) -> None:
        proc = self.proc
        if proc is not None and proc.returncode is None:
            proc.kill()
            await proc.wait()

    async def output(self) -> bytes:
        """Everything s_server writes until it exits (give it -naccept 1)."""
        assert self.proc is not None
        out, _ = await self.proc.communicate()
        return out
