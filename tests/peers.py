"""Real peers for the interop tests: Node scripts, ``openssl s_server`` /
``s_client`` and helpers to drive our own sockets from a test coroutine.

Every test body runs through :func:`async_test`: a fresh event loop and a hard
deadline (``asyncio.wait_for``), plus a faulthandler watchdog that dumps the
stacks and kills the process if the loop itself is wedged.  Peers are
subprocesses that report on stdout (Node: one JSON object per line; openssl:
its usual text) and are killed when the test leaves their ``async with``.
"""
from __future__ import annotations

import asyncio
import faulthandler
import functools
import hashlib
import json
import os
import random
import re
import shutil
from typing import Any, Callable, Dict, List, Optional

from tls import events

NODE = shutil.which("node") or "node"
OPENSSL = shutil.which("openssl") or "openssl"
STDBUF = shutil.which("stdbuf")

# Hard limit for one test if the loop is blocked and wait_for cannot fire.
_HARD_LIMIT = 90


def async_test(timeout: float = 15.0) -> Callable:
    """Run ``async def test_x(...)`` on a fresh loop with a deadline."""
    def decorate(fn: Callable) -> Callable:
        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            async def main() -> Any:
                return await asyncio.wait_for(fn(*args, **kwargs), timeout)
            faulthandler.dump_traceback_later(_HARD_LIMIT, exit=True)
            try:
                return asyncio.run(main())
            finally:
                faulthandler.cancel_dump_traceback_later()
        return wrapper
    return decorate


# -- waiting on our own emitters ------------------------------------------------------

async def once(emitter: Any, name: str) -> List[Any]:
    """events.once: the event's arguments; raises if 'error' comes first."""
    return await events.once(emitter, name)


class Recorder:
    """Records every event of interest from an emitter, in order, with futures."""

    def __init__(self, emitter: Any, *names: str) -> None:
        self.emitter = emitter
        self.log: List[tuple] = []
        self._loop = asyncio.get_running_loop()
        self._futures: Dict[str, asyncio.Future] = {}
        self._next: List[tuple] = []
        for name in names:
            emitter.on(name, functools.partial(self._on, name))

    def _on(self, name: str, *args: Any) -> None:
        self.log.append((name,) + args)
        fut = self._futures.get(name)
        if fut is not None and not fut.done():
            fut.set_result(args)
        for waiter in list(self._next):
            wname, start, wfut = waiter
            if wname == name and len(self.log) > start and not wfut.done():
                wfut.set_result(args)
                self._next.remove(waiter)

    def names(self) -> List[str]:
        return [entry[0] for entry in self.log]

    def args(self, name: str) -> List[tuple]:
        return [entry[1:] for entry in self.log if entry[0] == name]

    async def wait(self, name: str) -> tuple:
        for entry in self.log:
            if entry[0] == name:
                return entry[1:]
        fut = self._futures.get(name)
        if fut is None:
            fut = self._futures[name] = self._loop.create_future()
        return await fut

    async def wait_next(self, name: str, start: int) -> tuple:
        """The first ``name`` event at log index ``start`` or later."""
        for entry in self.log[start:]:
            if entry[0] == name:
                return entry[1:]
        fut = self._loop.create_future()
        self._next.append((name, start, fut))
        return await fut


async def listen(server: Any, host: str = "127.0.0.1") -> int:
    server.listen(0, host)
    await once(server, "listening")
    return server.address()["port"]


def close_server(server: Any) -> None:
    """Stop listening (open connections are left to the test's teardown)."""
    if server is not None and getattr(server, "listening", False):
        server.close()


class Collector:
    """Gathers a socket's data; ``ended`` resolves at 'end', ``closed`` at 'close'."""

    def __init__(self, sock: Any) -> None:
        loop = asyncio.get_running_loop()
        self.chunks: List[bytes] = []
        self.ended = loop.create_future()
        self.closed = loop.create_future()
        self.errors: List[BaseException] = []
        self._waiters: List[tuple] = []
        sock.on("data", self._on_data)
        sock.on("end", lambda *a: self.ended.done() or self.ended.set_result(True))
        sock.on("error", self.errors.append)
        sock.on("close", lambda *a: self.closed.done() or self.closed.set_result(a[0] if a else None))

    def _on_data(self, chunk: Any) -> None:
        self.chunks.append(chunk.encode() if isinstance(chunk, str) else bytes(chunk))
        data = self.data
        for waiter in list(self._waiters):
            needle, fut = waiter
            if needle in data and not fut.done():
                fut.set_result(data)
                self._waiters.remove(waiter)

    @property
    def data(self) -> bytes:
        return b"".join(self.chunks)

    async def until(self, needle: bytes) -> bytes:
        if needle in self.data:
            return self.data
        fut = asyncio.get_running_loop().create_future()
        self._waiters.append((needle, fut))
        return await fut


# -- bulk transfer -----------------------------------------------------------------------

class Hasher:
    """sha256 and byte count of a socket's incoming data."""

    def __init__(self, sock: Any) -> None:
        self.sha = hashlib.sha256()
        self.count = 0
        self.done = asyncio.get_running_loop().create_future()
        sock.on("data", self._on_data)
        sock.on("end", lambda *a: self.done.done() or self.done.set_result(
            (self.count, self.sha.hexdigest())))

    def _on_data(self, chunk: bytes) -> None:
        self.count += len(chunk)
        self.sha.update(chunk)


async def send_random(sock: Any, total: int, seed: int = 1, max_chunk: int = 1 << 17,
                      end: bool = True) -> tuple:
    """Write ``total`` random bytes in random-size writes, honouring 'drain'."""
    rnd = random.Random(seed)
    payload = rnd.randbytes(total)
    view = memoryview(payload)
    sha = hashlib.sha256(payload).hexdigest()
    offset = 0
    while offset < total:
        # mostly mid-size writes, some tiny, some large
        pick = rnd.random()
        if pick < 0.1:
            n = rnd.randint(1, 64)
        elif pick < 0.9:
            n = rnd.randint(1, 32768)
        else:
            n = rnd.randint(32768, max_chunk)
        chunk = bytes(view[offset:offset + n])
        offset += len(chunk)
        if sock.write(chunk) is False:
            await once(sock, "drain")
    if end:
        sock.end()
    return total, sha


# -- Node peers ------------------------------------------------------------------------

NODE_PRELUDE = r"""
'use strict';
const tls = require('tls');
const net = require('net');
const fs = require('fs');
const crypto = require('crypto');
const cfg = JSON.parse(process.env.PEER_CFG || '{}');
const read = (p) => (p ? fs.readFileSync(p) : undefined);
function replacer(k, v) {
  if (v && v.type === 'Buffer' && Array.isArray(v.data)) return Buffer.from(v.data).toString('hex');
  return v;
}
function report(obj) { process.stdout.write(JSON.stringify(obj, replacer) + '\n'); }
function certInfo(c) {
  if (!c) return c === undefined ? null : c;
  const o = {};
  for (const k of Object.keys(c)) if (k !== 'issuerCertificate') o[k] = c[k];
  return o;
}
function errInfo(e) {
  return e ? {code: e.code, message: e.message, reason: e.reason, library: e.library} : null;
}
function sockInfo(s) {
  return {protocol: s.getProtocol(), cipher: s.getCipher(), authorized: s.authorized,
          authorizationError: s.authorizationError === undefined ? null : s.authorizationError,
          peer: certInfo(s.getPeerCertificate()), own: certInfo(s.getCertificate()),
          alpn: s.alpnProtocol, servername: s.servername === undefined ? null : s.servername};
}
// Common TLS options from cfg (file paths).
function tlsOptions() {
  const o = Object.assign({}, cfg.options || {});
  for (const k of ['key', 'cert', 'ca', 'pfx']) if (cfg[k]) o[k] = read(cfg[k]);
  return o;
}
function sendRandom(s, total, done) {
  const h = crypto.createHash('sha256');
  let sent = 0;
  function pump() {
    while (sent < total) {
      const pick = Math.random();
      let n = pick < 0.1 ? 1 + Math.floor(Math.random() * 64)
            : pick < 0.9 ? 1 + Math.floor(Math.random() * 32768)
            : 32768 + Math.floor(Math.random() * 98304);
      n = Math.min(n, total - sent);
      const b = crypto.randomBytes(n);
      h.update(b);
      sent += n;
      if (!s.write(b)) { s.once('drain', pump); return; }
    }
    done(sent, h.digest('hex'));
  }
  pump();
}
function hashIncoming(s, done) {
  const h = crypto.createHash('sha256');
  let n = 0;
  s.on('data', (d) => { n += d.length; h.update(d); });
  s.on('end', () => done(n, h.digest('hex')));
}
process.on('uncaughtException', (e) => { report({event: 'uncaught', error: errInfo(e)}); process.exit(3); });
"""


# A Node tls server: reports the connection, says hello, echoes with a prefix.
NODE_ECHO_SERVER = r"""
const server = tls.createServer(tlsOptions(), (s) => {
  report(Object.assign({event: 'secure'}, sockInfo(s)));
  s.write('hello from node\n');
  s.on('data', (d) => { report({event: 'data', text: d.toString()}); s.write('echo:' + d); });
  s.on('end', () => report({event: 'end'}));
  s.on('close', () => report({event: 'close'}));
  s.on('error', (e) => report({event: 'error', error: errInfo(e)}));
});
server.on('tlsClientError', (e) => report({event: 'tlsClientError', error: errInfo(e)}));
server.listen(0, '127.0.0.1', () => report({event: 'listening', port: server.address().port}));
"""

# A Node tls client: reports the connection, sends cfg.send, ends once cfg.expect arrived.
NODE_CLIENT = r"""
const opts = Object.assign(tlsOptions(), {port: cfg.port, host: cfg.host || '127.0.0.1'});
const s = tls.connect(opts, () => {
  report(Object.assign({event: 'secureConnect'}, sockInfo(s)));
  if (cfg.send) s.write(cfg.send);
});
let got = '';
s.on('data', (d) => {
  got += d.toString();
  if (cfg.expect && got.includes(cfg.expect)) { report({event: 'data', text: got}); s.end(); }
});
s.on('end', () => report({event: 'end', text: got}));
s.on('error', (e) => report({event: 'error', error: errInfo(e)}));
s.on('close', (hadError) => report({event: 'close', hadError}));
"""


class PeerExited(AssertionError):
    pass


class _Process:
    """An asyncio subprocess whose stdout is scanned and whose stderr is kept."""

    argv: List[str]

    def __init__(self) -> None:
        self.proc: Optional[asyncio.subprocess.Process] = None
        self.stderr = b""
        self.stdout = b""
        self._err_task: Optional[asyncio.Task] = None
        self._err_event: Optional[asyncio.Event] = None

    async def _spawn(self, argv: List[str], env: Optional[Dict[str, str]] = None, stdin: bool = False) -> None:
        self.argv = argv
        self.proc = await asyncio.create_subprocess_exec(
            *argv, stdin=asyncio.subprocess.PIPE if stdin else asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
            env={**os.environ, **(env or {})})
        self._err_task = asyncio.ensure_future(self._read_stderr())

    async def _read_stderr(self) -> None:
        assert self.proc is not None and self.proc.stderr is not None
        self._err_event = event = asyncio.Event()
        try:
            while True:
                chunk = await self.proc.stderr.read(65536)
                if not chunk:
                    return
                self.stderr += chunk
                event.set()
        finally:
            self._err_task_done = True
            event.set()

    async def until_stderr(self, needle: bytes) -> None:
        """Wait until ``needle`` shows up on stderr."""
        while needle not in self.stderr:
            if getattr(self, "_err_task_done", False):
                raise PeerExited("stderr ended without %r: %r" % (needle, self.stderr[-2000:]))
            event = self._err_event
            if event is None:
                await asyncio.sleep(0)
                continue
            event.clear()
            await event.wait()

    async def _readline(self) -> bytes:
        assert self.proc is not None and self.proc.stdout is not None
        line = await self.proc.stdout.readline()
        if not line:
            await asyncio.sleep(0)  # let the stderr reader catch up
            raise PeerExited("%s exited (rc=%r) before reporting; stdout=%r stderr=%r" % (
                os.path.basename(self.argv[0]), self.proc.returncode, self.stdout[-2000:],
                self.stderr[-2000:]))
        self.stdout += line
        return line

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

    async def __aenter__(self) -> "_Process":
        return self

    async def __aexit__(self, *exc: Any) -> None:
        await self.close()


class NodePeer(_Process):
    """``node -e PRELUDE + script``; ``cfg`` reaches the script as ``cfg``.

    The script reports with ``report({event: ..., ...})``; :meth:`expect`
    returns the next report of an event (earlier reports of other events are
    kept in :attr:`reports`).
    """

    def __init__(self, script: str, cfg: Optional[Dict[str, Any]] = None) -> None:
        super().__init__()
        self.script = script
        self.cfg = cfg or {}
        self.reports: List[Dict[str, Any]] = []
        self._consumed = 0

    async def start(self) -> "NodePeer":
        await self._spawn([NODE, "-e", NODE_PRELUDE + self.script], {"PEER_CFG": json.dumps(self.cfg)})
        return self

    async def __aenter__(self) -> "NodePeer":
        return await self.start()

    async def expect(self, event: str) -> Dict[str, Any]:
        for i, rep in enumerate(self.reports):
            if rep.get("event") == event and not rep.get("_seen"):
                rep["_seen"] = True
                return rep
        while True:
            line = await self._readline()
            try:
                rep = json.loads(line)
            except ValueError:
                continue
            self.reports.append(rep)
            if rep.get("event") == "uncaught":
                raise AssertionError("node peer threw: %r; stderr=%r" % (rep, self.stderr[-2000:]))
            if rep.get("event") == event:
                rep["_seen"] = True
                return rep


async def node_port(peer: NodePeer) -> int:
    return (await peer.expect("listening"))["port"]


# -- openssl peers ---------------------------------------------------------------------

class OpenSSLPeer(_Process):
    """``openssl s_server`` or ``s_client``; stdout is scanned for text."""

    async def start(self, argv: List[str], unbuffered: bool = False) -> "OpenSSLPeer":
        prefix = [STDBUF, "-o0"] if unbuffered and STDBUF else []
        await self._spawn([*prefix, OPENSSL, *argv], stdin=True)
        return self

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


async def s_server(argv: List[str], unbuffered: bool = False) -> "tuple[OpenSSLPeer, int]":
    peer = await OpenSSLPeer().start(["s_server", "-accept", "127.0.0.1:0", *argv], unbuffered)
    m = await peer.until(re.compile(rb"ACCEPT [^\n]*:(\d+)\s*\n"))
    return peer, int(m.group(1))


# -- raw TCP peers -----------------------------------------------------------------------

class RawServer:
    """A plain TCP server whose handler is a coroutine (reader, writer)."""

    def __init__(self, handler: Callable) -> None:
        self.handler = handler
        self.server: Optional[asyncio.AbstractServer] = None
        self.done = asyncio.get_running_loop().create_future()

    async def start(self) -> int:
        async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            try:
                result = await self.handler(reader, writer)
                if not self.done.done():
                    self.done.set_result(result)
            except Exception as exc:  # pragma: no cover - surfaced through done
                if not self.done.done():
                    self.done.set_exception(exc)
            finally:
                writer.close()
        self.server = await asyncio.start_server(handle, "127.0.0.1", 0)
        return self.server.sockets[0].getsockname()[1]

    async def close(self) -> None:
        if self.server is not None:
            self.server.close()


def run_python(code: str) -> str:
    """Run ``python -c code`` in a fresh interpreter with this checkout's src/ first on the path; its stdout."""
    import subprocess
    import sys
    src = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "src")
    env = dict(os.environ)
    env["PYTHONPATH"] = src + os.pathsep + env.get("PYTHONPATH", "")
    result = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    return result.stdout


def free_port() -> int:
    """A port nobody listens on (bound, then released)."""
    import socket
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


# -- certificates as files -------------------------------------------------------------

def self_signed(hostname: str = "localhost") -> "tuple[bytes, bytes]":
    """A self-signed (key_pem, cert_pem) for ``hostname`` and 127.0.0.1."""
    import datetime
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, hostname)])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(hours=1))
            .not_valid_after(now + datetime.timedelta(days=2))
            .add_extension(x509.SubjectAlternativeName([
                x509.DNSName(hostname), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
            .sign(key, hashes.SHA256()))
    key_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
    return key_pem, cert.public_bytes(serialization.Encoding.PEM)


class Pems:
    """The test certificates as bytes and as files (for node and openssl)."""

    def __init__(self, folder: str, ca: Any, server_cert: Any, client_cert: Any) -> None:
        self.folder = folder
        self.ca = ca.cert_pem.bytes()
        self.key = server_cert.private_key_pem.bytes()
        self.cert = b"".join(blob.bytes() for blob in server_cert.cert_chain_pems)
        self.client_key = client_cert.private_key_pem.bytes()
        self.client_cert = b"".join(blob.bytes() for blob in client_cert.cert_chain_pems)
        other = ca.issue_cert("other.example")       # trusted, but for another name
        self.other_key = other.private_key_pem.bytes()
        self.other_cert = b"".join(blob.bytes() for blob in other.cert_chain_pems)
        self.self_key, self.self_cert = self_signed()
        self.files: Dict[str, str] = {}
        for name in ("ca", "key", "cert", "client_key", "client_cert", "other_key", "other_cert",
                     "self_key", "self_cert"):
            path = os.path.join(folder, name + ".pem")
            with open(path, "wb") as f:
                f.write(getattr(self, name))
            self.files[name] = path

    def path(self, name: str) -> str:
        return self.files[name]

    # Our options and the matching node cfg for a server identity.
    IDENTITIES = {"good": ("key", "cert"), "other": ("other_key", "other_cert"),
                  "self": ("self_key", "self_cert")}

    def server_options(self, identity: str = "good", **extra: Any) -> Dict[str, Any]:
        key, cert = self.IDENTITIES[identity]
        return {"key": getattr(self, key), "cert": getattr(self, cert), **extra}

    def node_server_cfg(self, identity: str = "good", **extra: Any) -> Dict[str, Any]:
        key, cert = self.IDENTITIES[identity]
        return {"key": self.files[key], "cert": self.files[cert], **extra}


_PEMS_CACHE: Dict[int, Pems] = {}


def make_pems(tmp_path_factory: Any, ca: Any, server_cert: Any, client_cert: Any) -> Pems:
    """One Pems per session's CA (each test module's ``pems`` fixture calls this)."""
    pems = _PEMS_CACHE.get(id(ca))
    if pems is None or pems._ca_obj is not ca:
        pems = Pems(str(tmp_path_factory.mktemp("pems")), ca, server_cert, client_cert)
        pems._ca_obj = ca
        _PEMS_CACHE.clear()
        _PEMS_CACHE[id(ca)] = pems
    return pems


__all__ = [
    "NODE_ECHO_SERVER", "NODE_CLIENT", "NODE", "STDBUF", "OPENSSL", "async_test", "once", "Recorder", "listen",
    "close_server", "Collector", "Hasher", "send_random", "NodePeer", "node_port", "OpenSSLPeer", "s_server",
    "RawServer", "free_port", "Pems", "make_pems", "self_signed",
]
