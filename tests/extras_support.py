"""Helpers for the tests of tls._protocol.extras / tls._objects.legacy (keylog, PSK, exporters,
SecurePair, setSecureContext, ...): Node 20 peers as subprocesses that report
JSON lines, and a bounded asyncio runner.

A Node peer gets its configuration in the environment (``CFG``, JSON; PEM
strings as text) and reports with ``report({event: ..., ...})``; Buffers are
reported as hex.  Tests await ``peer.event(name)``.
"""
from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
from typing import Any, Callable, Dict, List, Optional

import pytest
import trustme
from trustme import KeyType

import tls
from tls._node import runtime as _runtime

import peers

NODE = shutil.which("node") or "node"
OPENSSL = shutil.which("openssl") or "openssl"

def async_test(timeout: float = 20.0) -> Callable:
    """Run ``async def test_x(...)`` on a fresh loop, bounded by ``timeout`` (peers.async_test)."""
    return peers.async_test(timeout)


once = peers.once


def event_future(emitter: Any, name: str) -> "asyncio.Future[tuple]":
    """A future resolved with the arguments of the first ``name`` event
    (no 'error' handling: for events that must come)."""
    fut = asyncio.get_running_loop().create_future()
    emitter.once(name, lambda *a: fut.done() or fut.set_result(a))
    return fut


async def listen(server: Any) -> int:
    server.listen(0, "127.0.0.1")
    await once(server, "listening")
    return server.address()["port"]


def pem_text(value: Any) -> str:
    return value.decode() if isinstance(value, (bytes, bytearray)) else value


NODE_PRELUDE = r"""
'use strict';
const tls = require('tls');
const net = require('net');
const cfg = JSON.parse(process.env.CFG || '{}');
function hex(b) { return b === undefined || b === null ? null : Buffer.from(b).toString('hex'); }
function report(obj) { process.stdout.write(JSON.stringify(obj) + '\n'); }
function errInfo(e) { return e ? {code: e.code, message: e.message} : null; }
process.on('uncaughtException', (e) => { report({event: 'uncaught', error: errInfo(e)}); process.exit(3); });
"""


class NodeProcess:
    """``node -e PRELUDE + script`` with ``cfg`` in the environment."""

    def __init__(self, script: str, cfg: Optional[Dict[str, Any]] = None) -> None:
        self.script = script
        self.cfg = cfg or {}
        self.proc: Optional[asyncio.subprocess.Process] = None
        self.reports: List[Dict[str, Any]] = []
        self.stderr = b""

    async def __aenter__(self) -> "NodeProcess":
        self.proc = await asyncio.create_subprocess_exec(
            NODE, "-e", NODE_PRELUDE + self.script, stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
            env={**os.environ, "CFG": json.dumps(self.cfg)})
        return self

    async def event(self, name: str) -> Dict[str, Any]:
        """The next report of ``name`` not returned before (reports of other events are kept)."""
        for rep in self.reports:
            if rep.get("event") == name and not rep.get("_seen"):
                rep["_seen"] = True
                return rep
        assert self.proc is not None and self.proc.stdout is not None
        while True:
            line = await self.proc.stdout.readline()
            if not line:
                err = await self.proc.stderr.read() if self.proc.stderr is not None else b""
                raise AssertionError("node exited before reporting %r; reports=%r stderr=%r"
                                     % (name, self.reports, (self.stderr + err)[-3000:]))
            rep = json.loads(line)
            self.reports.append(rep)
            if rep.get("event") == "uncaught":
                raise AssertionError("uncaught exception in node: %r" % (rep,))
            if rep.get("event") == name:
                rep["_seen"] = True
                return rep

    def names(self) -> List[str]:
        return [rep.get("event") for rep in self.reports]

    async def wait(self) -> int:
        assert self.proc is not None
        return await self.proc.wait()

    async def __aexit__(self, *exc: Any) -> None:
        proc = self.proc
        if proc is None:
            return
        if proc.returncode is None:
            try:
                proc.kill()
            except ProcessLookupError:
                pass
        await proc.wait()


async def run_process(*argv: str, input: Optional[bytes] = None, timeout: float = 15.0) -> tuple:
    """Run a command to completion: (returncode, stdout, stderr)."""
    proc = await asyncio.create_subprocess_exec(
        *argv, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE)
    try:
        out, err = await asyncio.wait_for(proc.communicate(input), timeout)
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
    return proc.returncode, out, err


# -- fixtures (import them into a test module to use them) --------------------------------

WATCHDOG_SECONDS = 15.0


class CallTracker:
    """Node's common.mustCall / mustCallAtLeast / mustNotCall, verified at the end."""

    def __init__(self) -> None:
        self._entries: List[list] = []

    def must_call(self, fn: Optional[Callable[..., Any]] = None, exact: int = 1) -> Callable[..., Any]:
        entry = [exact, 0, _where()]
        self._entries.append(entry)

        def wrapper(*args: Any) -> Any:
            entry[1] += 1
            return fn(*args) if fn is not None else None

        return wrapper

    def must_call_at_least(self, fn: Optional[Callable[..., Any]] = None, minimum: int = 1) -> Callable[..., Any]:
        entry = [-minimum, 0, _where()]
        self._entries.append(entry)

        def wrapper(*args: Any) -> Any:
            entry[1] += 1
            return fn(*args) if fn is not None else None

        return wrapper

    def must_not_call(self, what: str = "callback") -> Callable[..., Any]:
        def wrapper(*args: Any) -> Any:
            raise AssertionError("%s must not be called; got %r" % (what, args))
        return wrapper

    def verify(self) -> None:
        problems = []
        for exact, count, where in self._entries:
            if exact >= 0 and count != exact:
                problems.append("%s: expected %d call(s), got %d" % (where, exact, count))
            elif exact < 0 and count < -exact:
                problems.append("%s: expected at least %d call(s), got %d" % (where, -exact, count))
        self._entries.clear()
        assert not problems, "\n".join(problems)


def _where() -> str:
    import inspect
    frame = inspect.currentframe()
    caller = frame.f_back.f_back if frame and frame.f_back else None
    if caller is None:
        return "?"
    return "%s:%d" % (caller.f_code.co_filename.rsplit("/", 1)[-1], caller.f_lineno)


@pytest.fixture
def calls() -> CallTracker:
    return CallTracker()


def _watchdog(seconds: float) -> None:
    raise TimeoutError("the Node-style program did not finish within %.0f s" % seconds)


@pytest.fixture
def node_run(calls: CallTracker) -> Callable[..., Any]:
    """node_run(main): tls.run(main) under an unref'd watchdog timer, then the mustCall check."""
    def run(main: Callable[[], Any], timeout: float = WATCHDOG_SECONDS) -> Any:
        def wrapped() -> Any:
            _runtime.setTimeout(_watchdog, timeout * 1000, timeout).unref()
            return main()
        result = tls.run(wrapped)
        calls.verify()
        return result
    return run


def _openssl(*args: str, input: Optional[bytes] = None) -> bytes:
    return subprocess.run([OPENSSL, *args], input=input, check=True, capture_output=True).stdout


@pytest.fixture(scope="session")
def self_signed(tmp_path_factory) -> Dict[str, bytes]:
    """A self-signed RSA certificate for CN=localhost (Node's agent2)."""
    d = tmp_path_factory.mktemp("extras-selfsigned")
    key, cert = d / "key.pem", d / "cert.pem"
    _openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out", str(cert),
             "-days", "30", "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost")
    return {"key": key.read_bytes(), "cert": cert.read_bytes()}


def _chain(leaf: trustme.LeafCert) -> bytes:
    return b"".join(blob.bytes() for blob in leaf.cert_chain_pems)


@pytest.fixture(scope="session")
def rsa_ca1() -> trustme.CA:
    return trustme.CA(key_type=KeyType.RSA, organization_name="extras CA1")


@pytest.fixture(scope="session")
def rsa_ca2() -> trustme.CA:
    return trustme.CA(key_type=KeyType.RSA, organization_name="extras CA2")


def _agent(ca: trustme.CA, *names: str, key_type: KeyType = KeyType.RSA, cn: Optional[str] = None) -> Dict[str, Any]:
    leaf = ca.issue_cert(*names, common_name=cn, key_type=key_type)
    return {"key": leaf.private_key_pem.bytes(), "cert": _chain(leaf), "ca": ca.cert_pem.bytes(), "leaf": leaf}


@pytest.fixture(scope="session")
def agent1(rsa_ca1: trustme.CA) -> Dict[str, Any]:
    """RSA leaf for localhost issued by CA1 (Node's agent1)."""
    return _agent(rsa_ca1, "localhost", "127.0.0.1", cn="agent1")


@pytest.fixture(scope="session")
def client_agent(rsa_ca2: trustme.CA) -> Dict[str, Any]:
    """An RSA client certificate issued by CA2."""
    return _agent(rsa_ca2, "client@example.org", cn="client")
