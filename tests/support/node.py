"""The one Node subprocess peer of the tests, and the scripts most tests share.

:class:`NodePeer` runs ``node -e PRELUDE + script CFG_JSON``: the script finds
its configuration as ``cfg`` (``process.argv[1]`` parsed; scripts run without
the prelude parse it themselves) and reports with ``report({event: ...})``,
one JSON object per line on stdout (Buffers in a report become hex).

The process is started synchronously (``subprocess.Popen``) and its stdout is
read through the running loop's ``add_reader`` on a non-blocking pipe: no
thread and no asyncio child watcher, so a peer can be started from plain code,
from a coroutine on any loop (asyncio, uvloop, the loop of ``tls.run``) and
killed in a fixture's teardown after that loop is gone.  Its stderr goes to a
temporary file that only failure messages read, so Node can never block on a
full stderr pipe.
"""
from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
import tempfile
from typing import Any, Dict, List, Optional

from .python import Script

NODE = shutil.which("node") or "node"

NODE_PRELUDE = r"""
'use strict';
const tls = require('tls');
const net = require('net');
const fs = require('fs');
const crypto = require('crypto');
const cfg = JSON.parse(process.argv[1] || '{}');
const read = (p) => (p ? fs.readFileSync(p) : undefined);
function hex(b) { return b === undefined || b === null ? null : Buffer.from(b).toString('hex'); }
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


class NodePeer:
    """``node -e [PRELUDE +] script CFG_JSON``; reads its JSON lines.

    :meth:`expect` returns the next report of an event not returned before
    (reports of other events are kept in :attr:`reports` for later);
    :meth:`recv` returns the next line in order, whatever it holds.  Use it
    as ``async with NodePeer(...) as peer`` or call :meth:`start` and
    :meth:`kill` (the ``node`` fixture of the tls.net tests does).
    """

    def __init__(self, script: str, cfg: Any = None, prelude: bool = True) -> None:
        self.script = (NODE_PRELUDE if prelude else "") + script
        self.cfg = cfg if cfg is not None else {}
        self.reports: List[Dict[str, Any]] = []
        self.proc: Optional["subprocess.Popen[bytes]"] = None
        self._stderr_file: Any = None
        self._buf = b""
        self._eof = False

    def start(self) -> "NodePeer":
        self._stderr_file = tempfile.TemporaryFile()
        self.proc = subprocess.Popen([NODE, "-e", self.script, json.dumps(self.cfg)], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=self._stderr_file)
        assert self.proc.stdout is not None
        os.set_blocking(self.proc.stdout.fileno(), False)
        return self

    async def __aenter__(self) -> "NodePeer":
        return self if self.proc is not None else self.start()

    async def __aexit__(self, *exc: Any) -> None:
        self.kill()

    @property
    def stderr(self) -> bytes:
        if self._stderr_file is None or self._stderr_file.closed:
            return b""
        self._stderr_file.seek(0)
        return self._stderr_file.read()

    def _stderr_text(self) -> str:
        return self.stderr[-3000:].decode(errors="replace")

    async def _fill(self, deadline: Optional[float] = None, limit: Optional[float] = None) -> bool:
        """Read what stdout has into the buffer, waiting for it until ``deadline`` (loop time; the
        ``limit`` it came from is for the message); False at EOF."""
        assert self.proc is not None and self.proc.stdout is not None
        if self._eof:
            return False
        loop = asyncio.get_running_loop()
        fd = self.proc.stdout.fileno()
        while True:
            try:
                data = os.read(fd, 65536)
            except BlockingIOError:
                ready = loop.create_future()
                loop.add_reader(fd, lambda: ready.done() or ready.set_result(None))
                try:
                    if deadline is None:
                        await ready
                    else:
                        await asyncio.wait_for(ready, max(deadline - loop.time(), 0.001))
                except asyncio.TimeoutError:
                    raise AssertionError("node said nothing for %ss; stderr:\n%s"
                                         % (limit, self._stderr_text())) from None
                finally:
                    loop.remove_reader(fd)
                continue
            if not data:
                self._eof = True
                return False
            self._buf += data
            return True

    async def _line(self, limit: Optional[float]) -> bytes:
        """The next line of stdout (without its newline)."""
        deadline = None if limit is None else asyncio.get_running_loop().time() + limit
        while b"\n" not in self._buf:
            if not await self._fill(deadline, limit):
                # wait for the exit first: then the stderr file holds all Node wrote
                rc = self.proc.wait() if self.proc is not None else None
                raise PeerExited("node exited (rc=%r) before reporting; reports=%r stderr:\n%s"
                                 % (rc, self.reports, self._stderr_text()))
        line, self._buf = self._buf.split(b"\n", 1)
        return line

    async def recv(self, limit: Optional[float] = 15.0) -> Any:
        """The next JSON line, in order."""
        return json.loads(await self._line(limit))

    async def recv_key(self, key: str, limit: Optional[float] = 15.0) -> Any:
        """The next message that has ``key`` (others are skipped)."""
        while True:
            msg = await self.recv(limit)
            if key in msg:
                return msg

    async def expect(self, event: str, limit: Optional[float] = None) -> Dict[str, Any]:
        """The next report of ``event`` not returned before (a thrown exception in Node fails)."""
        for rep in self.reports:
            if rep.get("event") == event and not rep.get("_seen"):
                rep["_seen"] = True
                return rep
        while True:
            line = await self._line(limit)
            try:
                rep = json.loads(line)
            except ValueError:
                continue
            self.reports.append(rep)
            if rep.get("event") == "uncaught":
                raise AssertionError("node peer threw: %r; stderr:\n%s" % (rep, self._stderr_text()))
            if rep.get("event") == event:
                rep["_seen"] = True
                return rep

    def names(self) -> List[Optional[str]]:
        """The events reported so far (as read by :meth:`expect`)."""
        return [rep.get("event") for rep in self.reports]

    def send(self, obj: Any) -> None:
        """One JSON line on Node's stdin."""
        assert self.proc is not None and self.proc.stdin is not None
        self.proc.stdin.write(json.dumps(obj).encode() + b"\n")
        self.proc.stdin.flush()

    async def exit_code(self) -> int:
        """Wait for Node to exit (its remaining stdout is kept for :meth:`recv` / :meth:`expect`)."""
        while await self._fill():
            pass
        assert self.proc is not None
        return self.proc.wait()

    def kill(self) -> None:
        proc = self.proc
        if proc is None:
            return
        if proc.poll() is None:
            proc.kill()
        proc.wait()
        for f in (proc.stdin, proc.stdout, self._stderr_file):
            try:
                if f is not None:
                    f.close()
            except OSError:
                pass


async def node_port(peer: NodePeer) -> int:
    """The port a Node server reported with ``{event: 'listening', port}``."""
    return (await peer.expect("listening"))["port"]


def same_lines_as_node(node_js: str, ours_py: str, *args: str) -> List[str]:
    """Run one scenario written twice: ``node_js`` under Node (``node -e``; its arguments from
    ``process.argv[2]``) and ``ours_py`` in a fresh interpreter (from ``sys.argv[1]``); both must
    print the same lines, in the same order.  Returns them."""
    node = subprocess.run([NODE, "-e", node_js, "program"] + list(args), capture_output=True, text=True,
                          timeout=30)
    assert node.returncode == 0, node.stderr
    expected = node.stdout.splitlines()
    assert expected, "node printed nothing"
    ours = Script(ours_py, *args)
    try:
        assert ours.wait() == 0, ours.stderr()
    finally:
        ours.close()
    if ours.seen != expected:
        width = max(len(line) for line in expected)
        pad = [""] * max(len(expected), len(ours.seen))
        side_by_side = ["%-*s | %s" % (width, a, b) for a, b in zip(expected + pad, ours.seen + pad) if a or b]
        raise AssertionError("Node | ours\n" + "\n".join(side_by_side))
    return expected


# The head of a Python program that prints values as Node's console.log would (null, true, false), for tests
# that run one program in Node and in tls and compare the lines (same_lines_as_node).  A program that needs
# Node's `undefined` for None sets NONE after it.
JS_LOG_PRELUDE = r"""
import sys
NONE = 'null'

def fmt(x):
    if x is None: return NONE
    if x is True: return 'true'
    if x is False: return 'false'
    if isinstance(x, bytes): return x.decode()
    return str(x)

def log(*a):
    print(' '.join(fmt(x) for x in a), flush=True)
"""
