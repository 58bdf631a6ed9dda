"""tls.net (Node's net) against real peers over loopback.

Peers are Node 20's own ``net`` (``node -e`` scripts that report one JSON
object per line on stdout, killed in fixture teardown) and our own
Server/Socket.  Wherever Node defines an event order, the same scenario is run
with Node on both ends first and the recorded event lists are compared with
ours (the peer's view included).

Every test runs its coroutine under ``asyncio.wait_for`` (or ``tls.run`` with a
guard timer); an exception escaping any callback fails the test at once.
"""
from __future__ import annotations

import asyncio
import errno
import gc
import hashlib
import json
import os
import random
import shutil
import socket
import subprocess
import tempfile
import threading
import time
import warnings
from typing import Any, Callable, Dict, List

import pytest

import tls
from tls import net
from tls._node import runtime as _runtime
from tls.errors import NodeError

NODE = shutil.which("node")
LIMIT = 30.0
MiB = 1024 * 1024

pytestmark = pytest.mark.skipif(NODE is None, reason="needs node")


# -- running a test body ---------------------------------------------------------------------

class CallbackFailed(AssertionError):
    pass


def arun(fn: Callable[..., Any], *args: Any, limit: float = LIMIT) -> Any:
    """asyncio.run(fn(*args)) with a deadline; an exception raised in any
    callback (event listener, protocol) fails the test instead of being logged."""
    async def main() -> Any:
        loop = asyncio.get_running_loop()
        task = asyncio.current_task()
        errors: List[Dict[str, Any]] = []

        def handler(loop: Any, context: Dict[str, Any]) -> None:
            if context.get("exception") is None:
                loop.default_exception_handler(context)
                return
            errors.append(context)
            task.cancel()

        loop.set_exception_handler(handler)
        try:
            return await asyncio.wait_for(fn(*args), limit)
        except asyncio.CancelledError:
            if errors:
                raise CallbackFailed(errors[0].get("message")) from errors[0]["exception"]
            raise

    return asyncio.run(main())


class Hung(AssertionError):
    pass


def guarded_run(fn: Callable[..., Any], limit: float = 10.0) -> float:
    """tls.run(fn) with an in-loop guard (a plain asyncio timer, holding
    nothing) and a watchdog thread; returns how long it ran."""
    loops: List[Any] = []

    def main() -> Any:
        loop = asyncio.get_running_loop()
        loops.append(loop)

        def hang() -> None:
            raise Hung("tls.run() did not finish within %s s" % limit)

        loop.call_later(limit, hang)
        return fn()

    def watchdog() -> None:
        if loops and not loops[0].is_closed():
            try:
                loops[0].call_soon_threadsafe(loops[0].stop)
            except RuntimeError:
                pass

    timer = threading.Timer(limit + 5, watchdog)
    timer.daemon = True
    timer.start()
    start = time.monotonic()
    try:
        tls.run(main)
    finally:
        timer.cancel()
    return time.monotonic() - start


def when(emitter: Any, name: str) -> "asyncio.Future[Any]":
    """A future for the next ``name``, listening from now on (``events.once``
    only starts listening once its coroutine runs); an 'error' first fails
    it, except when waiting for 'close' (which follows every 'error')."""
    fut = asyncio.get_running_loop().create_future()

    def on_event(*args: Any) -> None:
        emitter.removeListener("error", on_error)
        if not fut.done():
            fut.set_result(list(args))

    def on_error(err: Any) -> None:
        emitter.removeListener(name, on_event)
        if not fut.done():
            fut.set_exception(err)

    emitter.once(name, on_event)
    if name != "close":
        emitter.once("error", on_error)
    return fut


def future_event(emitter: Any, name: str) -> "asyncio.Future[Any]":
    """A future for the next ``name`` (no 'error' handling: use it for 'close')."""
    fut = asyncio.get_running_loop().create_future()
    emitter.once(name, lambda *a: fut.done() or fut.set_result(a))
    return fut


async def wait(aw: Any, limit: float = 10.0) -> Any:
    return await asyncio.wait_for(aw, limit)


async def settle(iterations: int = 5) -> None:
    """Let a few loop iterations pass (to see that nothing else is emitted)."""
    for _ in range(iterations):
        await asyncio.sleep(0)


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def has_ipv6() -> bool:
    try:
        with socket.socket(socket.AF_INET6) as s:
            s.bind(("::1", 0))
        return True
    except OSError:
        return False


# -- Node peers ------------------------------------------------------------------------------

class NodePeer:
    """A ``node -e`` script; reads its stdout JSON lines without threads."""

    def __init__(self, script: str, args: Any) -> None:
        self.stderr = tempfile.TemporaryFile()
        self.proc = subprocess.Popen([NODE, "-e", script, json.dumps(args)], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=self.stderr)
        os.set_blocking(self.proc.stdout.fileno(), False)
        self._buf = b""

    def _stderr_text(self) -> str:
        self.stderr.seek(0)
        return self.stderr.read().decode(errors="replace")

    async def recv(self, limit: float = 15.0) -> Any:
        loop = asyncio.get_running_loop()
        fd = self.proc.stdout.fileno()
        deadline = loop.time() + limit
        while b"\n" not in self._buf:
            try:
                data = os.read(fd, 65536)
            except BlockingIOError:
                ready = loop.create_future()
                loop.add_reader(fd, lambda: ready.done() or ready.set_result(None))
                try:
                    await asyncio.wait_for(ready, max(deadline - loop.time(), 0.001))
                except asyncio.TimeoutError:
                    raise AssertionError("node said nothing for %ss; stderr:\n%s"
                                         % (limit, self._stderr_text())) from None
                finally:
                    loop.remove_reader(fd)
                continue
            if not data:
                raise AssertionError("node exited (%s); stderr:\n%s" % (self.proc.poll(), self._stderr_text()))
            self._buf += data
        line, self._buf = self._buf.split(b"\n", 1)
        return json.loads(line)

    async def recv_key(self, key: str, limit: float = 15.0) -> Any:
        """The next message that has ``key`` (others are skipped)."""
        while True:
            msg = await self.recv(limit)
            if key in msg:
                return msg

    def send(self, obj: Any) -> None:
        self.proc.stdin.write(json.dumps(obj).encode() + b"\n")
        self.proc.stdin.flush()

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()
        for f in (self.proc.stdin, self.proc.stdout, self.stderr):
            try:
                f.close()
            except OSError:
                pass


@pytest.fixture
def node():
    """Start Node scripts: ``node(script, args) -> NodePeer``; all killed at teardown."""
    peers: List[NodePeer] = []

    def start(script: str, args: Any = None) -> NodePeer:
        peer = NodePeer(script, args if args is not None else {})
        peers.append(peer)
        return peer

    yield start
    for peer in peers:
        peer.kill()


JS_PRELUDE = r"""
const net = require('net'), crypto = require('crypto'), readline = require('readline');
const out = (o) => process.stdout.write(JSON.stringify(o) + '\n');
const A = JSON.parse(process.argv[1] || '{}');
const commands = [];
readline.createInterface({input: process.stdin}).on('line', (l) => { const m = JSON.parse(l); for (const f of commands) f(m); });
process.stdin.unref && process.stdin.unref();
const errFields = (e) => ({message: e.message, code: e.code, errno: e.errno, syscall: e.syscall,
                           address: e.address, port: e.port, hostname: e.hostname});
function record(sock, log, withData = true) {
  sock.on('lookup', () => log.push('lookup'));
  for (const e of ['connect', 'ready', 'end', 'finish', 'timeout', 'drain']) sock.on(e, () => log.push(e));
  if (withData) sock.on('data', (d) => {
    const t = typeof d === 'string' ? d : d.toString('latin1');
    if (log.length && log[log.length - 1].startsWith('data:')) log[log.length - 1] += t; else log.push('data:' + t);
  });
  sock.on('error', (e) => log.push('error:' + e.code));
  sock.on('close', (h) => log.push('close:' + h));
}
const wcb = (log, tag) => (e) => log.push(tag + ':' + (e ? e.code : 'ok'));
"""

# A server: per connection, record the socket's events, run A.onConnection /
# A.onEnd (JS source, with `s`, `log`, `srv` in scope), report {events} at 'close'.
SERVER_JS = JS_PRELUDE + r"""
const srv = net.createServer(A.serverOptions || {}, (s) => {
  const log = [];
  if (A.pauseFirst) s.pause();
  record(s, log, A.recordData !== false);
  if (A.onConnection) eval(A.onConnection);
  if (A.onEnd) s.on('end', () => eval(A.onEnd));
  s.on('close', () => setImmediate(() => out({events: log})));
});
srv.listen(A.listenPort || 0, A.host || '127.0.0.1', () => out({port: srv.address().port}));
"""

# A client: connect with A.options, run A.pre right away, A.onConnect / A.onEnd
# on those events, report {events} after 'close'.
CLIENT_JS = JS_PRELUDE + r"""
const log = [];
const c = net.connect(A.options);
record(c, log, A.recordData !== false);
if (A.pre) eval(A.pre);
if (A.onConnect) c.on('connect', () => eval(A.onConnect));
if (A.onEnd) c.on('end', () => eval(A.onEnd));
c.on('close', () => setImmediate(() => { out({events: log}); process.exit(0); }));
"""


def record(sock: Any, log: List[str], with_data: bool = True) -> None:
    """The Python twin of the JS ``record``: same listeners, same strings."""
    sock.on("lookup", lambda *a: log.append("lookup"))
    for name in ("connect", "ready", "end", "finish", "timeout", "drain"):
        sock.on(name, lambda *a, name=name: log.append(name))
    if with_data:
        def on_data(chunk: Any) -> None:
            text = chunk if isinstance(chunk, str) else chunk.decode("latin-1")
            if log and log[-1].startswith("data:"):
                log[-1] += text
            else:
                log.append("data:" + text)
        sock.on("data", on_data)
    sock.on("error", lambda err: log.append("error:%s" % getattr(err, "code", None)))
    sock.on("close", lambda had: log.append("close:%s" % ("true" if had else "false")))


def wcb(log: List[str], tag: str) -> Callable[..., None]:
    return lambda err=None: log.append("%s:%s" % (tag, err.code if err else "ok"))


# -- event order: our client vs Node's client, against the same Node server -----------------

# name: server (its A.* settings), client (options for connect, host/port set by
# the harness), js (pre/onConnect/onEnd sources), py (the same as callables).
CLIENT_SCENARIOS: Dict[str, Dict[str, Any]] = {
    "server_ends": dict(
        server={"onConnection": "s.end('hello')"},
    ),
    "client_ends_after_connect": dict(
        server={"onConnection": "s.on('data', (d) => s.write(d))"},
        js={"onConnect": "c.end('bye')"},
        py={"onConnect": lambda c, log: c.end("bye")},
    ),
    "writes_queued_before_connect": dict(
        server={"onConnection": "s.on('data', (d) => s.write(d))"},
        js={"pre": "log.push('w:' + c.write('a')); log.push('w:' + c.write(Buffer.from('b'))); c.end('c')"},
        py={"pre": lambda c, log: (log.append("w:%s" % str(c.write("a")).lower()),
                                   log.append("w:%s" % str(c.write(b"b")).lower()), c.end("c"))},
    ),
    "write_and_end_callbacks": dict(
        server={"onConnection": "s.on('data', (d) => s.write(d))"},
        js={"onConnect": "c.write('a', wcb(log, 'wa')); c.write('b', 'latin1', wcb(log, 'wb')); "
                         "c.end('c', wcb(log, 'endcb'))"},
        py={"onConnect": lambda c, log: (c.write("a", wcb(log, "wa")), c.write("b", "latin1", wcb(log, "wb")),
                                         c.end("c", wcb(log, "endcb")))},
    ),
    "half_open_client_writes_after_end": dict(
        server={"serverOptions": {"allowHalfOpen": True}, "onConnection": "s.end('a')"},
        client={"allowHalfOpen": True},
        js={"onEnd": "log.push('writable:' + c.writable); c.end('late')"},
        py={"onEnd": lambda c, log: (log.append("writable:%s" % str(c.writable).lower()), c.end("late"))},
    ),
    "no_half_open_client_ends_after_end": dict(
        server={"serverOptions": {"allowHalfOpen": True}, "onConnection": "s.end('a')"},
    ),
    # Without allowHalfOpen: writing in the 'end' listener still works (our
    # FIN follows it); after our automatic end() it is EPIPE.
    "no_half_open_writes_in_end_and_finish": dict(
        server={"serverOptions": {"allowHalfOpen": True}, "onConnection": "s.end('a')"},
        js={"onEnd": "log.push('w:' + c.write('in-end', wcb(log, 'we')))",
            "pre": "c.on('finish', () => log.push('w:' + c.write('in-finish', wcb(log, 'wf'))))"},
        py={"onEnd": lambda c, log: log.append("w:%s" % str(c.write("in-end", wcb(log, "we"))).lower()),
            "pre": lambda c, log: c.on("finish", lambda: log.append(
                "w:%s" % str(c.write("in-finish", wcb(log, "wf"))).lower()))},
    ),
    "destroy_with_error": dict(
        server={},
        js={"onConnect": "c.destroy(Object.assign(new Error('boom'), {code: 'EBOOM'}))"},
        py={"onConnect": lambda c, log: c.destroy(NodeError("boom", "EBOOM"))},
    ),
    "destroy_without_error": dict(
        server={},
        js={"onConnect": "c.destroy()"},
        py={"onConnect": lambda c, log: c.destroy()},
    ),
    "destroy_while_connecting": dict(
        server={},
        server_sees=False,
        js={"pre": "c.write('a', wcb(log, 'wa')); c.end(wcb(log, 'endcb')); c.destroy()"},
        py={"pre": lambda c, log: (c.write("a", wcb(log, "wa")), c.end(wcb(log, "endcb")), c.destroy())},
    ),
    "write_after_destroy": dict(
        server={},
        js={"onConnect": "c.destroy(); log.push('w:' + c.write('x', wcb(log, 'wx')))"},
        py={"onConnect": lambda c, log: (c.destroy(),
                                         log.append("w:%s" % str(c.write("x", wcb(log, "wx"))).lower()))},
    ),
    "write_after_end": dict(
        server={},
        js={"onConnect": "c.end(wcb(log, 'endcb')); log.push('w:' + c.write('x', wcb(log, 'wx')))"},
        py={"onConnect": lambda c, log: (c.end(wcb(log, "endcb")),
                                         log.append("w:%s" % str(c.write("x", wcb(log, "wx"))).lower()))},
    ),
    "reset_by_peer": dict(
        server={"onConnection": "s.on('data', () => s.resetAndDestroy())"},
        js={"onConnect": "c.write('x')"},
        py={"onConnect": lambda c, log: c.write("x")},
    ),
    "client_resets": dict(
        server={"onConnection": "s.write('hi')"},
        js={"onConnect": "c.once('data', () => c.resetAndDestroy())"},
        py={"onConnect": lambda c, log: c.once("data", lambda d: c.resetAndDestroy())},
    ),
    "idle_timeout": dict(
        server={},
        js={"onConnect": "c.setTimeout(50, () => { log.push('timeout-cb'); c.destroy(); })"},
        py={"onConnect": lambda c, log: c.setTimeout(50, lambda: (log.append("timeout-cb"), c.destroy()))},
    ),
    "connection_refused": dict(
        server=None, port="closed",
    ),
    "host_not_found": dict(
        server=None, host="no-such-host.invalid", port=80,
    ),
    "localhost_is_looked_up": dict(
        server={"onConnection": "s.end('hello')"}, host="localhost",
    ),
}


async def _py_client(options: Dict[str, Any], py: Dict[str, Callable[..., Any]]) -> List[str]:
    log: List[str] = []
    c = net.connect(options)
    record(c, log)
    closed = future_event(c, "close")
    if py.get("pre"):
        py["pre"](c, log)
    if py.get("onConnect"):
        c.on("connect", lambda: py["onConnect"](c, log))
    if py.get("onEnd"):
        c.on("end", lambda: py["onEnd"](c, log))
    await wait(closed)
    await settle()
    return log


@pytest.mark.parametrize("name", sorted(CLIENT_SCENARIOS))
def test_client_event_order_matches_node(node, name):
    sc = CLIENT_SCENARIOS[name]

    async def body():
        server = None
        host = sc.get("host", "127.0.0.1")
        if sc.get("server") is not None:
            server = node(SERVER_JS, sc["server"])
            port = (await server.recv())["port"]
        else:
            port = closed_port() if sc.get("port") == "closed" else sc["port"]
        options = dict(sc.get("client", {}), port=port, host=host)
        ref = node(CLIENT_JS, dict(options=options, **sc.get("js", {})))
        expected = (await ref.recv())["events"]
        expected_peer = (await server.recv())["events"] if server and sc.get("server_sees", True) else None
        got = await _py_client(options, sc.get("py", {}))
        assert got == expected
        if expected_peer is not None:
            assert (await server.recv())["events"] == expected_peer
        return expected

    expected = arun(body)
    # What Node showed, spelled out for the main cases.
    sanity = {
        "server_ends": ["connect", "ready", "data:hello", "end", "finish", "close:false"],
        "destroy_with_error": ["connect", "ready", "error:EBOOM", "close:true"],
        "connection_refused": ["error:ECONNREFUSED", "close:true"],
        "host_not_found": ["lookup", "error:ENOTFOUND", "close:true"],
        "reset_by_peer": ["connect", "ready", "error:ECONNRESET", "close:true"],
    }
    if name in sanity:
        assert expected == sanity[name]


# -- event order: our server vs Node's server, with the same Node client ---------------------

SERVER_SCENARIOS: Dict[str, Dict[str, Any]] = {
    "client_sends_and_ends": dict(
        client={"pre": "c.end('hi')"},
    ),
    "server_ends_first": dict(
        server_js={"onConnection": "s.end('bye')"},
        server_py={"onConnection": lambda s, log, srv: s.end("bye")},
    ),
    "server_half_open_writes_after_end": dict(
        options={"allowHalfOpen": True},
        client={"pre": "c.end('hi')"},
        server_js={"onEnd": "log.push('writable:' + s.writable); s.end('late')"},
        server_py={"onEnd": lambda s, log, srv: (log.append("writable:%s" % str(s.writable).lower()),
                                                 s.end("late"))},
    ),
    "client_resets": dict(
        client={"onConnect": "c.once('data', () => c.resetAndDestroy())"},
        server_js={"onConnection": "s.write('hi')"},
        server_py={"onConnection": lambda s, log, srv: s.write("hi")},
    ),
    "server_destroys_with_error": dict(
        server_js={"onConnection": "s.destroy(Object.assign(new Error('x'), {code: 'EX'}))"},
        server_py={"onConnection": lambda s, log, srv: s.destroy(NodeError("x", "EX"))},
    ),
    # Node emits 'end' at EOF when nothing is buffered, whether anyone reads or not.
    "end_without_reader": dict(
        record_data=False,
        client={"onConnect": "c.end()"},
    ),
    "end_while_paused_nothing_buffered": dict(
        pause_first=True,
        client={"onConnect": "c.end()"},
    ),
    # ... but with data buffered in a paused socket, 'end' waits for resume().
    "end_while_paused_with_data": dict(
        pause_first=True,
        client={"onConnect": "c.end('abc')"},
        server_js={"onConnection": "setTimeout(() => { log.push('resume'); s.resume(); }, 150)"},
        server_py={"onConnection": lambda s, log, srv: asyncio.get_running_loop().call_later(
            0.15, lambda: (log.append("resume"), s.resume()))},
    ),
    "pause_on_connect": dict(
        options={"pauseOnConnect": True},
        client={"onConnect": "c.end('abc')"},
        server_js={"onConnection": "log.push('paused:' + s.isPaused()); "
                                   "setTimeout(() => { log.push('resume'); s.resume(); }, 150)"},
        server_py={"onConnection": lambda s, log, srv: (
            log.append("paused:%s" % str(s.isPaused()).lower()),
            asyncio.get_running_loop().call_later(0.15, lambda: (log.append("resume"), s.resume())))},
    ),
}


async def _py_server(sc: Dict[str, Any], node: Callable[..., NodePeer]) -> tuple:
    logs: List[List[str]] = []
    closed: "asyncio.Future[Any]" = asyncio.get_running_loop().create_future()
    py = sc.get("server_py", {})

    def on_connection(s: net.Socket) -> None:
        log: List[str] = []
        logs.append(log)
        if sc.get("pause_first"):
            s.pause()
        record(s, log, sc.get("record_data", True))
        if py.get("onConnection"):
            py["onConnection"](s, log, srv)
        if py.get("onEnd"):
            s.on("end", lambda: py["onEnd"](s, log, srv))
        s.on("close", lambda *a: closed.done() or closed.set_result(None))

    srv = net.createServer(sc.get("options", {}), on_connection)
    srv.listen(0, "127.0.0.1")
    await wait(when(srv, "listening"))
    client = node(CLIENT_JS, dict(options={"port": srv.address()["port"], "host": "127.0.0.1"},
                                  **sc.get("client", {})))
    client_events = (await client.recv())["events"]
    await wait(closed)
    await settle()
    srv.close()
    await wait(when(srv, "close"))
    return logs[0], client_events


@pytest.mark.parametrize("name", sorted(SERVER_SCENARIOS))
def test_server_event_order_matches_node(node, name):
    sc = SERVER_SCENARIOS[name]

    async def body():
        server = node(SERVER_JS, dict(serverOptions=sc.get("options", {}), recordData=sc.get("record_data", True),
                                      pauseFirst=sc.get("pause_first", False), **sc.get("server_js", {})))
        port = (await server.recv())["port"]
        client = node(CLIENT_JS, dict(options={"port": port, "host": "127.0.0.1"}, **sc.get("client", {})))
        expected_client = (await client.recv())["events"]
        expected_server = (await server.recv())["events"]
        got_server, got_client = await _py_server(sc, node)
        assert got_server == expected_server
        assert got_client == expected_client
        return expected_server

    expected = arun(body)
    sanity = {
        "client_sends_and_ends": ["data:hi", "end", "finish", "close:false"],
        "end_without_reader": ["end", "finish", "close:false"],
        "end_while_paused_with_data": ["resume", "data:abc", "end", "finish", "close:false"],
        "client_resets": ["error:ECONNRESET", "close:true"],
    }
    if name in sanity:
        assert expected == sanity[name]


def test_server_lifecycle_order_matches_node(node):
    """Node: the server's 'close' comes before the last socket's (its count drops first)."""
    js = JS_PRELUDE + r"""
    const log = []; let closes = 0;
    const done = () => { if (++closes === 2) setImmediate(() => out({events: log})); };
    const srv = net.createServer((s) => { log.push('connection'); s.on('close', () => { log.push('socket-close'); done(); });
                                          srv.close((e) => log.push('close-cb:' + (e ? e.code : 'ok'))); });
    srv.on('listening', () => { log.push('listening'); const c = net.connect(srv.address().port, '127.0.0.1', () => c.end()); });
    srv.on('close', () => { log.push('close'); done(); });
    srv.listen(0, '127.0.0.1');
    """

    async def body():
        expected = (await node(js).recv())["events"]
        log: List[str] = []
        done = asyncio.get_running_loop().create_future()
        closes = []

        def closed(what):
            log.append(what)
            closes.append(what)
            if len(closes) == 2:
                done.set_result(None)

        def on_connection(s):
            log.append("connection")
            s.on("close", lambda *a: closed("socket-close"))
            srv.close(wcb(log, "close-cb"))

        def on_listening():
            log.append("listening")
            c = net.connect(srv.address()["port"], "127.0.0.1", lambda: c.end())

        srv = net.createServer(on_connection)
        srv.on("listening", on_listening)
        srv.on("close", lambda: closed("close"))
        srv.listen(0, "127.0.0.1")
        await wait(done)
        await settle()
        assert expected == ["listening", "connection", "close", "close-cb:ok", "socket-close"]
        assert log == expected

    arun(body)


# -- half-close: what the peer receives ------------------------------------------------------

def test_half_open_peer_gets_data_written_after_end(node):
    """allowHalfOpen: after 'end' we stay writable and the Node peer gets it."""
    async def body():
        server = node(SERVER_JS, {"serverOptions": {"allowHalfOpen": True},
                                  "onConnection": "s.end('ping')"})
        port = (await server.recv())["port"]
        c = net.connect({"port": port, "host": "127.0.0.1", "allowHalfOpen": True})
        got: List[bytes] = []
        c.on("data", got.append)
        await wait(when(c, "end"))
        assert b"".join(got) == b"ping"
        assert c.writable and not c.destroyed and c.readyState == "writeOnly"
        await settle(10)
        assert not c.destroyed  # nothing closes it by itself
        assert c.write("pong, ") is True
        closed = future_event(c, "close")
        c.end("late")
        await wait(closed)
        peer = (await server.recv())["events"]
        assert peer == ["finish", "data:pong, late", "end", "close:false"]

    arun(body)


# -- 16 MiB both ways ------------------------------------------------------------------------

BULK_JS = JS_PRELUDE + r"""
function duplex(sock) {
  const N = A.size, rh = crypto.createHash('sha256'), wh = crypto.createHash('sha256');
  let rn = 0, wn = 0, wdone = false, rdone = false;
  const finish = () => { if (wdone && rdone) out({sent: wh.digest('hex'), recv: rh.digest('hex'), recvBytes: rn,
                                                  bytesRead: sock.bytesRead, bytesWritten: sock.bytesWritten}); };
  sock.on('data', (d) => { rh.update(d); rn += d.length; });
  sock.on('end', () => { rdone = true; finish(); });
  const go = () => {
    while (wn < N) {
      const n = Math.min(N - wn, 1 + crypto.randomInt(A.maxChunk));
      const b = crypto.randomBytes(n); wh.update(b); wn += n;
      if (!sock.write(b)) { sock.once('drain', go); return; }
    }
    sock.end(() => { wdone = true; finish(); });
  };
  go();
}
if (A.port) {
  const c = net.connect({port: A.port, host: A.host, allowHalfOpen: true}, () => duplex(c));
} else {
  const srv = net.createServer({allowHalfOpen: true}, (s) => { duplex(s); s.on('close', () => srv.close()); });
  srv.listen(0, A.host, () => out({port: srv.address().port}));
}
"""


async def _py_duplex(sock: net.Socket, size: int, max_chunk: int, respect_backpressure: bool = True) -> Dict[str, Any]:
    """Send ``size`` random bytes in random-size writes while hashing what comes in."""
    recv_hash = hashlib.sha256()
    counts = {"recv": 0, "false": 0, "drain": 0}
    ended = asyncio.get_running_loop().create_future()

    def on_data(chunk: bytes) -> None:
        recv_hash.update(chunk)
        counts["recv"] += len(chunk)

    sock.on("data", on_data)
    sock.on("end", lambda: ended.set_result(None))
    sock.on("drain", lambda: counts.__setitem__("drain", counts["drain"] + 1))
    sent_hash = hashlib.sha256()
    sent = 0
    rng = random.Random()
    while sent < size:
        n = min(size - sent, rng.randint(1, max_chunk))
        chunk = rng.randbytes(n)
        sent_hash.update(chunk)
        sent += n
        if not sock.write(chunk):
            counts["false"] += 1
            assert sock.writableLength >= sock.writableHighWaterMark
            if respect_backpressure:
                await wait(when(sock, "drain"), 20)
        else:
            assert sock.writableLength < sock.writableHighWaterMark
    finished = future_event(sock, "finish")
    sock.end()
    await wait(finished, 20)
    await wait(ended, 20)
    return {"sent": sent_hash.hexdigest(), "recv": recv_hash.hexdigest(), "recvBytes": counts["recv"],
            "false": counts["false"], "drain": counts["drain"]}


SIZE = 16 * MiB


def test_16mib_both_ways_with_node_server(node):
    async def body():
        peer = node(BULK_JS, {"size": SIZE, "maxChunk": 200000, "host": "127.0.0.1"})
        port = (await peer.recv())["port"]
        c = net.connect({"port": port, "host": "127.0.0.1", "allowHalfOpen": True})
        await wait(when(c, "connect"))
        closed = future_event(c, "close")
        ours = await _py_duplex(c, SIZE, 200000)
        theirs = await peer.recv()
        await wait(closed)
        assert ours["recvBytes"] == SIZE == theirs["recvBytes"]
        assert ours["recv"] == theirs["sent"]
        assert ours["sent"] == theirs["recv"]
        assert c.bytesRead == SIZE and c.bytesWritten == SIZE
        assert ours["drain"] == ours["false"]  # every False was followed by one 'drain'

    arun(body, limit=60)


def test_16mib_both_ways_with_node_client(node):
    async def body():
        results: "asyncio.Future[Any]" = asyncio.get_running_loop().create_future()

        def on_connection(s):
            task = asyncio.ensure_future(_py_duplex(s, SIZE, 100000))
            task.add_done_callback(lambda t: results.set_result((s, t.result())))

        srv = net.createServer({"allowHalfOpen": True}, on_connection)
        srv.listen(0, "127.0.0.1")
        await wait(when(srv, "listening"))
        peer = node(BULK_JS, {"size": SIZE, "maxChunk": 100000, "host": "127.0.0.1",
                              "port": srv.address()["port"]})
        s, ours = await wait(results, 60)
        theirs = await peer.recv(30)
        assert ours["recv"] == theirs["sent"] and ours["sent"] == theirs["recv"]
        assert s.bytesRead == SIZE == s.bytesWritten == theirs["bytesRead"] == theirs["bytesWritten"]
        srv.close()
        await wait(when(srv, "close"))

    arun(body, limit=60)


def test_16mib_both_ways_ours_to_ours_ignoring_backpressure():
    """Our server and client; the client writes everything at once (all buffered)."""
    async def body():
        server_result: "asyncio.Future[Any]" = asyncio.get_running_loop().create_future()

        def on_connection(s):
            task = asyncio.ensure_future(_py_duplex(s, SIZE, 300000))
            task.add_done_callback(lambda t: server_result.set_result(t.result()))

        srv = net.createServer({"allowHalfOpen": True}, on_connection)
        srv.listen(0, "127.0.0.1")
        await wait(when(srv, "listening"))
        c = net.connect({"port": srv.address()["port"], "host": "127.0.0.1", "allowHalfOpen": True})
        client = await _py_duplex(c, SIZE, 70000, respect_backpressure=False)
        server = await wait(server_result, 30)
        assert client["recv"] == server["sent"] and client["sent"] == server["recv"]
        # write() said False, but end() came before the buffer emptied: no 'drain' (as in Node)
        assert client["false"] > 0 and client["drain"] == 0
        srv.close()
        await wait(when(srv, "close"))

    arun(body, limit=60)


# -- backpressure ------------------------------------------------------------------------------

def test_write_returns_false_then_drain_with_a_paused_node_reader(node):
    """write() is False once 16 KiB are not taken by the kernel; 'drain' comes when
    the peer reads again; write callbacks run once the bytes are in the kernel."""
    async def body():
        server = node(SERVER_JS, {"pauseFirst": True, "recordData": False, "onConnection": r"""
            const h = crypto.createHash('sha256'); let n = 0;
            s.on('data', (d) => { h.update(d); n += d.length; });
            s.pause();
            commands.push((m) => { if (m.resume) s.resume(); });
            s.on('end', () => out({sha: h.digest('hex'), n}));
        """})
        port = (await server.recv())["port"]
        c = net.connect(port, "127.0.0.1")
        assert c.writableHighWaterMark == 16384
        log: List[str] = []
        await wait(when(c, "connect"))
        assert c.write(b"x") is True
        h = hashlib.sha256(b"x")
        chunk = os.urandom(64 * 1024)
        writes = 0
        while True:
            writes += 1
            h.update(chunk)
            if not c.write(chunk, wcb(log, "cb%d" % writes)):
                break
            assert writes < 2000, "the kernel never pushed back"
            await asyncio.sleep(0)  # let the transport flush into the kernel
        assert c.writableLength >= 16384 and c.writableNeedDrain
        await settle(20)
        assert "cb%d:ok" % writes not in log  # still not in the kernel
        drained = asyncio.get_running_loop().create_future()
        c.on("drain", lambda: (log.append("drain"), drained.set_result(c.writableLength)))
        server.send({"resume": True})
        assert await wait(drained) == 0
        await settle()
        assert log.index("drain") < log.index("cb%d:ok" % writes)  # Node: 'drain', then the last callback
        assert log[-1] == "cb%d:ok" % writes
        assert [x for x in log if x.startswith("cb")] == ["cb%d:ok" % i for i in range(1, writes + 1)]
        closed = future_event(c, "close")
        c.end()
        result = await server.recv_key("sha")
        assert result == {"sha": h.hexdigest(), "n": 1 + writes * len(chunk)}
        await wait(closed)

    arun(body)


def test_writes_before_connect_count_and_drain(node):
    """Queued before connect: writableLength counts them, False past 16 KiB,
    'drain' once they are flushed."""
    async def body():
        server = node(SERVER_JS, {"onConnection": "s.resume()", "recordData": False})
        port = (await server.recv())["port"]
        ref = node(CLIENT_JS, {"options": {"port": port, "host": "127.0.0.1"}, "recordData": False, "pre": r"""
            log.push('w1:' + c.write('a'), 'len:' + c.writableLength,
                     'w2:' + c.write(Buffer.alloc(20000)), 'len:' + c.writableLength, 'need:' + c.writableNeedDrain);
            c.on('connect', () => { log.push('len:' + c.writableLength); c.end(); });
        """})
        expected = (await ref.recv())["events"]
        c = net.Socket()
        log: List[str] = []
        record(c, log, with_data=False)
        closed = future_event(c, "close")
        c.connect(port, "127.0.0.1")
        log += ["w1:%s" % str(c.write("a")).lower(), "len:%d" % c.writableLength,
                "w2:%s" % str(c.write(bytes(20000))).lower(), "len:%d" % c.writableLength,
                "need:%s" % str(c.writableNeedDrain).lower()]
        c.on("connect", lambda: (log.append("len:%d" % c.writableLength), c.end()))
        await wait(closed)
        assert log == expected
        # 'connect' first here: record()'s listener was added before the
        # writes, and Node flushes them from a 'connect' listener of its own
        assert expected[:7] == ["w1:true", "len:1", "w2:false", "len:20001", "need:true", "connect", "drain"]
        assert c.bytesWritten == 20001

    arun(body)


def test_pause_stops_reading_and_the_peer_feels_it(node):
    """pause(): nothing is read past 16 KiB, the Node writer stalls; resume(): all of it arrives."""
    size = 32 * MiB

    async def body():
        server = node(SERVER_JS, {"recordData": False, "onConnection": r"""
            const buf = crypto.randomBytes(A.size);
            out({sha: crypto.createHash('sha256').update(buf).digest('hex')});
            s.write(buf, () => out({flushed: true}));
            s.end();
            let last = -1, same = 0;
            const iv = setInterval(() => {
              const w = s.writableLength;
              if (w > 0 && w === last) { if (++same === 4) out({stalled: w}); } else same = 0;
              last = w;
            }, 40);
            s.on('close', () => clearInterval(iv));
        """, "size": size})
        port = (await server.recv())["port"]
        c = net.connect(port, "127.0.0.1")
        c.pause()
        chunks: List[bytes] = []
        c.on("data", chunks.append)  # a 'data' listener does not resume an explicitly paused socket
        sha = (await server.recv())["sha"]
        stalled = await server.recv_key("stalled")
        assert stalled["stalled"] > 0
        assert chunks == [] and c.isPaused()
        # we buffered at most about one read past the 16 KiB mark, the kernel holds the rest
        assert 0 < c.readableLength == c.bytesRead <= 16384 + 256 * 1024
        read_before = c.bytesRead
        await settle(20)
        assert c.bytesRead == read_before
        ended = future_event(c, "end")
        c.resume()
        await wait(ended, 20)
        data = b"".join(chunks)
        assert len(data) == size == c.bytesRead
        assert hashlib.sha256(data).hexdigest() == sha
        await server.recv_key("flushed")

    arun(body, limit=60)


# -- encodings ---------------------------------------------------------------------------------

# '€' (e2 82 ac) and '😀' (f0 9f 98 80) split over several TCP segments.
PARTS = ["e2", "82acf0", "9f", "988041", "c3", "bc0a", "ff"]


@pytest.mark.parametrize("encoding", ["utf8", "hex", "base64", "latin1", "ucs2"])
def test_set_encoding_across_chunks_matches_node(node, encoding):
    async def body():
        server = node(SERVER_JS, {"parts": PARTS, "onConnection": r"""
            s.setNoDelay(true);
            const parts = A.parts.map((h) => Buffer.from(h, 'hex'));
            let i = 0;
            const next = () => { if (i < parts.length) { s.write(parts[i++]); setTimeout(next, 15); } else s.end(); };
            next();
        """})
        port = (await server.recv())["port"]
        ref = node(CLIENT_JS, {"options": {"port": port, "host": "127.0.0.1"},
                               "pre": "c.setEncoding(%s)" % json.dumps(encoding)})
        expected = (await ref.recv())["events"]
        c = net.connect(port, "127.0.0.1")
        log: List[str] = []
        c.setEncoding(encoding)
        kinds = set()
        c.on("data", lambda d: kinds.add(type(d)))
        record(c, log)
        closed = future_event(c, "close")
        await wait(closed)
        assert log == expected
        assert kinds == {str}
        return expected

    expected = arun(body)
    whole = bytes.fromhex("".join(PARTS))
    text = expected[2][len("data:"):]
    if encoding == "utf8":
        assert text == "€😀A\u00fc\n\ufffd"
    elif encoding == "hex":
        assert text == whole.hex()
    elif encoding == "latin1":
        assert text == whole.decode("latin-1")


WRITES = [("héllo €", None), ("68656c6c6fzz", "hex"), ("aGk=", "base64"), ("aGk_-w", "base64url"),
          ("\u00ff\u0100x", "latin1"), ("ab", "ucs2"), ("\ud83d\ude00|\ud800|", "utf8")]


def test_write_encodings_match_node(node):
    """write(str, encoding) puts the same bytes on the wire as Node's."""
    async def body():
        server = node(SERVER_JS, {"recordData": False, "onConnection": r"""
            const got = []; s.on('data', (d) => got.push(d)); s.on('end', () => out({hex: Buffer.concat(got).toString('hex')}));
        """})
        port = (await server.recv())["port"]
        js_writes = "; ".join("c.write(%s%s)" % (json.dumps(text), ", %s" % json.dumps(enc) if enc else "")
                              for text, enc in WRITES)
        node(CLIENT_JS, {"options": {"port": port, "host": "127.0.0.1"}, "onConnect": js_writes + "; c.end()"})
        expected = (await server.recv_key("hex"))["hex"]
        c = net.connect(port, "127.0.0.1")
        for text, enc in WRITES:
            c.write(text, enc) if enc else c.write(text)
        c.end()
        c.resume()
        got = (await server.recv_key("hex"))["hex"]
        assert got == expected
        assert bytes.fromhex(got).startswith("héllo €".encode() + b"hello")
        await wait(when(c, "close"))

    arun(body)


def test_set_encoding_unknown_raises():
    async def body():
        s = net.Socket()
        with pytest.raises(NodeError) as info:
            s.setEncoding("klingon")
        assert info.value.code == "ERR_UNKNOWN_ENCODING"
        s.destroy()

    arun(body)


# -- pipe -----------------------------------------------------------------------------------------

ECHO_CLIENT_JS = JS_PRELUDE + r"""
const data = crypto.randomBytes(A.size), h = crypto.createHash('sha256');
const c = net.connect(A.port, '127.0.0.1', () => { c.end(data); });
c.on('data', (d) => h.update(d));
c.on('end', () => out({same: h.digest('hex') === crypto.createHash('sha256').update(data).digest('hex'),
                       read: c.bytesRead}));
"""


def test_pipe_echo_and_proxy(node):
    """socket.pipe(socket) echoes 4 MiB for a Node client; a proxy pipes two of ours."""
    async def body():
        echo = net.createServer(lambda s: s.pipe(s))
        echo.listen(0, "127.0.0.1")
        await wait(when(echo, "listening"))

        def proxy_connection(inbound):
            # half-open on both legs, so each FIN is passed on by pipe()
            outbound = net.connect({"port": echo.address()["port"], "host": "127.0.0.1", "allowHalfOpen": True})
            inbound.pipe(outbound)
            outbound.pipe(inbound)

        proxy = net.createServer({"allowHalfOpen": True}, proxy_connection)
        proxy.listen(0, "127.0.0.1")
        await wait(when(proxy, "listening"))
        for port in (echo.address()["port"], proxy.address()["port"]):
            result = await node(ECHO_CLIENT_JS, {"port": port, "size": 4 * MiB}).recv(20)
            assert result == {"same": True, "read": 4 * MiB}
        for srv in (proxy, echo):
            srv.close()
            await wait(when(srv, "close"))

    arun(body, limit=40)


def test_unpipe_stops_the_copy_and_the_flow():
    """Node's readable.unpipe (the stream rules shared with CryptoStream): the
    destination hears 'unpipe' and gets nothing more; the source stops flowing
    (a new 'data' listener alone does not restart it) until resumed."""
    async def body():
        server = net.createServer()
        server.listen(0, "127.0.0.1")
        await wait(when(server, "listening"))
        accepted = when(server, "connection")
        client = net.connect(server.address()["port"], "127.0.0.1")
        [peer] = await wait(accepted)
        sink = tls.events.EventEmitter()
        got: List[Any] = []
        first = asyncio.get_running_loop().create_future()
        sink.write = lambda chunk: (got.append(bytes(chunk)), first.done() or first.set_result(None))
        sink.end = lambda: got.append("end")
        unpiped = when(sink, "unpipe")
        client.pipe(sink)
        peer.write(b"one")
        await wait(first)
        client.unpipe(sink)
        assert (await wait(unpiped))[0] is client and client.readableFlowing is False
        later: List[Any] = []
        client.on("data", later.append)
        assert client.readableFlowing is False
        ended = when(client, "end")
        peer.end(b"two")
        client.resume()
        await wait(ended)
        assert got == [b"one"] and later == [b"two"]
        client.destroy()
        peer.destroy()
        server.close()
        await wait(when(server, "close"))

    arun(body)


def test_destroy_in_a_drain_listener():
    """A 'drain' listener that destroys the socket: one clean close (asyncio's
    transport must not be asked to finish the connection twice)."""
    async def body():
        received = []
        server = net.createServer({"pauseOnConnect": True}, lambda s: received.append(s))
        server.listen(0, "127.0.0.1")
        await wait(when(server, "listening"))
        client = net.connect(server.address()["port"], "127.0.0.1")
        await wait(when(client, "connect"))
        while client.write(b"x" * 65536):  # until the kernel and the transport hold enough
            pass
        drained, closed = when(client, "drain"), when(client, "close")
        client.on("drain", lambda: client.destroy())
        await settle()
        received[0].resume()  # the server reads: the client's buffer empties, 'drain'
        received[0].on("data", lambda d: None)
        await wait(drained)
        assert await wait(closed) == [False]
        await settle(10)  # the transport's own callbacks run without an error
        received[0].destroy()
        server.close()
        await wait(when(server, "close"))

    arun(body)


# -- timeouts -------------------------------------------------------------------------------------

def test_set_timeout_idle_once_reset_disable(node):
    async def body():
        loop = asyncio.get_running_loop()
        server = node(SERVER_JS, {"recordData": False, "onConnection": r"""
            s.on('data', () => { let i = 0; const iv = setInterval(() => { s.write('x'); if (++i === 5) clearInterval(iv); }, 25); });
        """})
        port = (await server.recv())["port"]
        c = net.connect(port, "127.0.0.1")
        assert c.timeout is None
        await wait(when(c, "connect"))
        stamps: List[tuple] = []
        c.on("timeout", lambda: stamps.append(("timeout", loop.time())))
        c.on("data", lambda d: stamps.append(("data", loop.time())))
        calls: List[int] = []
        # idle: fires once per idle period (the callback form is a once listener)
        start = loop.time()
        c.setTimeout(60, lambda: calls.append(1))
        assert c.timeout == 60
        await wait(when(c, "timeout"))
        assert loop.time() - start >= 0.055
        await asyncio.sleep(0.25)  # nothing to await: no second timeout while still idle
        assert [k for k, _ in stamps] == ["timeout"] and calls == [1]
        # activity re-arms it; reads keep resetting it
        stamps.clear()
        c.setTimeout(100)
        c.write("go")
        await wait(when(c, "timeout"))
        kinds = [k for k, _ in stamps]
        assert kinds == ["data"] * kinds.count("data") + ["timeout"] and kinds.count("data") >= 1
        last_data = max(t for k, t in stamps if k == "data")
        assert stamps[-1][1] - last_data >= 0.095
        assert stamps[-1][1] - start >= 0.1 + 0.025 * 4 - 0.01  # the ticks pushed it out
        # 0 disables
        stamps.clear()
        c.setTimeout(0)
        assert c.timeout == 0
        c.write("y")
        await asyncio.sleep(0.3)  # nothing to await: no timeout any more
        assert [k for k, _ in stamps if k == "timeout"] == []
        closed = future_event(c, "close")
        c.destroy()
        await wait(closed)

    arun(body)


def test_set_timeout_validation():
    async def body():
        s = net.Socket()
        with pytest.raises(NodeError) as info:
            s.setTimeout(-1)
        assert info.value.code == "ERR_OUT_OF_RANGE"
        with pytest.raises(NodeError) as info:
            s.setTimeout("10")
        assert info.value.code == "ERR_INVALID_ARG_TYPE"
        cb = lambda: None  # noqa: E731
        s.setTimeout(10, cb)
        assert s.listenerCount("timeout") == 1
        s.setTimeout(0, cb)
        assert s.listenerCount("timeout") == 0
        s.destroy()

    arun(body)


# -- socket options, refs, counters --------------------------------------------------------------

def test_set_no_delay_and_keep_alive():
    async def body():
        srv = net.createServer(lambda s: None)
        srv.listen(0, "127.0.0.1")
        await wait(when(srv, "listening"))
        c = net.Socket()
        c.setNoDelay(False)          # remembered until connected
        c.setKeepAlive(True, 7000)
        c.connect(srv.address()["port"], "127.0.0.1")
        await wait(when(c, "connect"))
        raw = c._transport.get_extra_info("socket")
        opt = lambda level, name: raw.getsockopt(level, name)  # noqa: E731
        assert opt(socket.IPPROTO_TCP, socket.TCP_NODELAY) == 0
        assert opt(socket.SOL_SOCKET, socket.SO_KEEPALIVE) == 1
        if hasattr(socket, "TCP_KEEPIDLE"):
            assert opt(socket.IPPROTO_TCP, socket.TCP_KEEPIDLE) == 7
        assert c.setNoDelay() is c
        assert opt(socket.IPPROTO_TCP, socket.TCP_NODELAY) != 0
        c.setNoDelay(False)
        assert opt(socket.IPPROTO_TCP, socket.TCP_NODELAY) == 0
        assert c.setKeepAlive(False) is c
        assert opt(socket.SOL_SOCKET, socket.SO_KEEPALIVE) == 0
        c.destroy()
        srv.close()
        await wait(when(srv, "close"))

    arun(body)


def test_run_exits_with_unrefd_server_and_sockets_open():
    """A Node-style script ends while an unref'd server and connection are open."""
    state: Dict[str, Any] = {}

    def main():
        keep = _runtime.setTimeout(lambda: None, 5000)   # keeps it alive until connected
        srv = net.createServer(lambda s: (s.unref(), state.__setitem__("accepted", s)))
        srv.unref()
        state["srv"] = srv

        def on_listening():
            c = net.connect(srv.address()["port"], "127.0.0.1")
            c.unref()
            state["client"] = c
            c.on("connect", lambda: (state.__setitem__("connected", True), _runtime.clearTimeout(keep)))

        srv.listen(0, "127.0.0.1", on_listening)

    elapsed = guarded_run(main)
    try:
        assert state.get("connected") and "accepted" in state
        assert elapsed < 4
        assert state["srv"].listening and not state["client"].destroyed and not state["accepted"].destroyed
    finally:
        # The program ended with them open, as a Node process would; release
        # the descriptors here (the transports die with the closed loop).
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ResourceWarning)
            state["srv"]._sock.close()
            for key in ("client", "accepted"):
                if key in state and state[key]._transport is not None:
                    state[key]._transport._sock.close()
            state.clear()
            gc.collect()


def test_run_waits_for_refd_socket_and_ref_after_unref():
    """A referenced connection keeps tls.run alive until it closes (also after unref() + ref())."""
    log: List[str] = []

    def main():
        def on_connection(s):
            s.on("data", lambda d: None)
            # the server side closes after a while; nothing but the sockets is pending
            _runtime.setTimeout(lambda: s.end(), 300).unref()

        srv = net.createServer(on_connection)
        srv.listen(0, "127.0.0.1", lambda: connect(srv))

        def connect(srv):
            srv.unref()
            c = net.connect(srv.address()["port"], "127.0.0.1")
            c.unref()
            c.ref()
            c.resume()
            c.on("close", lambda had: (log.append("close"), srv.close()))

    elapsed = guarded_run(main)
    assert log == ["close"]
    assert elapsed >= 0.28


def test_bytes_read_and_written(node):
    async def body():
        server = node(SERVER_JS, {"recordData": False, "onConnection": r"""
            let n = 0; s.on('data', (d) => n += d.length); s.on('end', () => { out({n, read: s.bytesRead}); s.end('0123456789'); });
        """})
        port = (await server.recv())["port"]
        c = net.connect(port, "127.0.0.1")
        assert c.bytesWritten == 0 and c.bytesRead == 0
        c.write("héllo")                 # 6 bytes in UTF-8
        c.write(b"\x00" * 10)
        c.write("ff00", "hex")           # 2 bytes
        c.end("€")                       # 3 bytes
        assert c.bytesWritten == 21
        c.resume()
        closed = future_event(c, "close")
        assert await server.recv_key("n") == {"n": 21, "read": 21}
        await wait(closed)
        assert c.bytesRead == 10 and c.bytesWritten == 21

    arun(body)


# -- addresses ----------------------------------------------------------------------------------

ADDR_CLIENT_JS = JS_PRELUDE + r"""
const c = net.connect(A.options, () => {
  out({local: [c.localAddress, c.localPort], remote: [c.remoteAddress, c.remotePort, c.remoteFamily],
       address: c.address()});
  c.end();
});
c.resume();
"""


@pytest.mark.parametrize("host", ["127.0.0.1", "::1"])
def test_addresses_with_node_client_and_server(node, host):
    if host == "::1" and not has_ipv6():
        pytest.skip("no IPv6 loopback")
    family = "IPv6" if ":" in host else "IPv4"

    async def body():
        # our server, Node client
        accepted: "asyncio.Future[Any]" = asyncio.get_running_loop().create_future()
        srv = net.createServer(lambda s: (accepted.set_result(s), s.resume()))
        srv.listen({"port": 0, "host": host})
        await wait(when(srv, "listening"))
        addr = srv.address()
        assert addr["address"] == host and addr["family"] == family and addr["port"] > 0
        view = await node(ADDR_CLIENT_JS, {"options": {"port": addr["port"], "host": host}}).recv()
        s = await wait(accepted)
        assert [s.remoteAddress, s.remotePort] == view["local"]
        assert [s.localAddress, s.localPort, s.remoteFamily] == view["remote"]
        assert s.address() == {"address": host, "family": family, "port": addr["port"]}
        srv.close()
        await wait(when(srv, "close"))

        # Node server, our client
        server = node(SERVER_JS, {"host": host, "recordData": False, "onConnection": r"""
            out({remote: [s.remoteAddress, s.remotePort, s.remoteFamily], local: [s.localAddress, s.localPort]}); s.end();
        """})
        port = (await server.recv())["port"]
        c = net.connect({"port": port, "host": host})
        await wait(when(c, "connect"))
        seen = await server.recv_key("remote")
        assert [c.localAddress, c.localPort, c.remoteFamily] == seen["remote"]
        assert [c.remoteAddress, c.remotePort] == seen["local"]
        assert c.address() == {"address": host, "family": family, "port": c.localPort}
        assert c.localFamily == family
        c.resume()
        await wait(when(c, "close"))

    arun(body)


# -- listen forms, close, connections ----------------------------------------------------------------

def test_listen_forms(tmp_path):
    async def body():
        loop = asyncio.get_running_loop()

        async def check(srv, expect_address, connect_to):
            got: "asyncio.Future[Any]" = loop.create_future()
            srv.on("connection", lambda s: (s.end("hi"), got.done() or got.set_result(s)))
            addr = srv.address()
            if callable(expect_address):
                assert expect_address(addr), addr
            else:
                assert addr == expect_address
            c = net.connect(*connect_to(addr))
            data: List[bytes] = []
            c.on("data", data.append)
            await wait(when(c, "close"))
            assert b"".join(data) == b"hi"
            await wait(got)
            done = loop.create_future()
            srv.close(lambda err=None: done.set_result(err))
            assert await wait(done) is None
            assert not srv.listening
            # Node: a TCP server has no address once closed; a Unix one keeps its path
            assert srv.address() == (expect_address if isinstance(expect_address, str) else None)

        # listen(port, host, cb)
        port = closed_port()
        listened = loop.create_future()
        srv = net.createServer().listen(port, "127.0.0.1", lambda: listened.set_result(True))
        assert srv.address() == {"address": "127.0.0.1", "family": "IPv4", "port": port}  # bound at once
        await wait(listened)
        await check(srv, {"address": "127.0.0.1", "family": "IPv4", "port": port},
                    lambda a: (a["port"], "127.0.0.1"))

        # listen(port, cb): all interfaces (dual stack '::' like Node)
        port = closed_port()
        listened = loop.create_future()
        srv = net.createServer()
        srv.listen(port, lambda: listened.set_result(True))
        await wait(listened)
        await check(srv, lambda a: a["port"] == port and a["address"] in ("::", "0.0.0.0"),
                    lambda a: (a["port"], "127.0.0.1"))

        # listen({port, host})
        srv = net.createServer()
        srv.listen({"port": 0, "host": "127.0.0.1"})
        await wait(when(srv, "listening"))
        await check(srv, lambda a: a["address"] == "127.0.0.1" and a["port"] > 0,
                    lambda a: ({"port": a["port"], "host": "127.0.0.1"},))

        # listen(): a random port on all interfaces
        srv = net.createServer()
        srv.listen()
        await wait(when(srv, "listening"))
        await check(srv, lambda a: a["port"] > 0, lambda a: (a["port"],))

        # listen(path, cb): a Unix socket, removed on close
        path = str(tmp_path / "s.sock")
        listened = loop.create_future()
        srv = net.createServer()
        srv.listen(path, lambda: listened.set_result(True))
        await wait(listened)
        await check(srv, path, lambda a: (a,))
        assert not os.path.exists(path)

    arun(body)


def test_unix_socket_with_node_client(node, tmp_path):
    path = str(tmp_path / "n.sock")

    async def body():
        srv = net.createServer(lambda s: s.pipe(s))
        srv.listen(path)
        await wait(when(srv, "listening"))
        log = (await node(CLIENT_JS, {"options": {"path": path}, "onConnect": "c.end('over unix')"}).recv())["events"]
        assert log == ["connect", "ready", "finish", "data:over unix", "end", "close:false"]
        srv.close()
        await wait(when(srv, "close"))

    arun(body)


LISTEN_ERRORS_JS = JS_PRELUDE + r"""
const holder = net.createServer();
const target = A.path || 0;
const args = A.path ? [A.path] : [0, '127.0.0.1'];
holder.listen(...args, () => {
  out({holding: A.path || holder.address().port});
  const second = net.createServer();
  second.on('error', (e) => {
    const closeLog = [];
    second.close((err) => closeLog.push('cb:' + (err ? err.code : 'ok')));
    second.on('close', () => { closeLog.push('close'); out({err: errFields(e), listening: second.listening,
                                                            address: second.address(), closeLog}); });
  });
  second.listen(...(A.path ? [A.path] : [holder.address().port, '127.0.0.1']));
});
"""


@pytest.mark.parametrize("kind", ["tcp", "unix"])
def test_eaddrinuse_like_node(node, tmp_path, kind):
    async def body():
        path = str(tmp_path / "busy.sock") if kind == "unix" else None
        peer = node(LISTEN_ERRORS_JS, {"path": path})
        holding = (await peer.recv())["holding"]
        expected = await peer.recv()
        srv = net.createServer()
        errors: "asyncio.Future[Any]" = asyncio.get_running_loop().create_future()
        srv.on("error", errors.set_result)
        if kind == "unix":
            srv.listen(holding)
        else:
            srv.listen(holding, "127.0.0.1")
        err = await wait(errors)
        fields = {k: getattr(err, k, None) for k in expected["err"]}
        assert {k: v for k, v in fields.items() if v is not None} == expected["err"]
        assert err.code == "EADDRINUSE" and err.errno == -errno.EADDRINUSE and err.syscall == "listen"
        assert srv.listening is expected["listening"] is False
        assert srv.address() == expected["address"] == (holding if kind == "unix" else None)
        close_log: List[str] = []
        closed = future_event(srv, "close")
        srv.close(wcb(close_log, "cb"))
        srv.on("close", lambda: close_log.append("close"))
        await wait(closed)
        await settle()
        assert close_log == expected["closeLog"] == ["cb:ERR_SERVER_NOT_RUNNING", "close"]

    arun(body)


def test_close_waits_for_connections_and_counts(node):
    async def body():
        loop = asyncio.get_running_loop()
        sockets: List[net.Socket] = []
        all_in = loop.create_future()

        def on_connection(s):
            sockets.append(s)
            s.resume()
            if len(sockets) == 3:
                all_in.set_result(None)

        srv = net.createServer(on_connection)
        srv.listen(0, "127.0.0.1")
        await wait(when(srv, "listening"))
        port = srv.address()["port"]
        clients = [net.connect(port, "127.0.0.1") for _ in range(3)]
        connected = [when(c, "connect") for c in clients]
        for c in clients:
            c.resume()
        await wait(asyncio.gather(*connected))
        await wait(all_in)
        assert srv.connections == 3
        counted = loop.create_future()
        srv.getConnections(lambda err, n: counted.set_result((err, n)))
        assert await wait(counted) == (None, 3)
        log: List[str] = []
        srv.close(wcb(log, "close-cb"))
        srv.on("close", lambda: log.append("close"))
        assert not srv.listening and srv.address() is None
        refused = net.connect(port, "127.0.0.1")
        refused.on("error", lambda err: log.append("new:" + err.code))
        await wait(when(refused, "close"))
        for i, c in enumerate(clients):
            c.end()
            await wait(when(c, "close"))
            await settle()
            log.append("client%d-closed" % i)
        await settle()
        assert log == ["new:ECONNREFUSED", "client0-closed", "client1-closed",
                       "client2-closed", "close-cb:ok", "close"] or \
            log == ["new:ECONNREFUSED", "client0-closed", "client1-closed", "close-cb:ok", "close",
                    "client2-closed"]
        assert srv.connections == 0
        again: List[str] = []
        srv.close(wcb(again, "cb"))
        await wait(when(srv, "close"))
        await settle()
        assert again == ["cb:ERR_SERVER_NOT_RUNNING"]

    arun(body)


def test_server_close_callback_never_listened_matches_node(node):
    js = JS_PRELUDE + r"""
    const log = [];
    const s = net.createServer();
    s.close((e) => log.push('cb:' + (e ? e.code + '|' + e.message : 'ok')));
    s.on('close', () => { log.push('close'); setImmediate(() => out({events: log})); });
    """

    async def body():
        expected = (await node(js).recv())["events"]
        log: List[str] = []
        s = net.createServer()
        s.close(lambda e: log.append("cb:" + ("%s|%s" % (e.code, e.message) if e else "ok")))
        s.on("close", lambda: log.append("close"))
        await wait(when(s, "close"))
        await settle()
        assert log == expected == ["cb:ERR_SERVER_NOT_RUNNING|Server is not running.", "close"]

    arun(body)


def test_listen_twice_and_bad_port():
    async def body():
        srv = net.createServer()
        srv.listen(0, "127.0.0.1")
        with pytest.raises(NodeError) as info:
            srv.listen(0)
        assert info.value.code == "ERR_SERVER_ALREADY_LISTEN"
        srv.close()
        with pytest.raises(NodeError) as info:
            net.createServer().listen(70000)
        assert info.value.code == "ERR_SOCKET_BAD_PORT"
        with pytest.raises(NodeError) as info:
            net.connect(70000, "127.0.0.1")
        assert info.value.code == "ERR_SOCKET_BAD_PORT"
        assert str(info.value) == "Port should be >= 0 and < 65536. Received type number (70000)."
        await wait(when(srv, "close"))

    arun(body)


def test_close_then_listen_again():
    async def body():
        srv = net.createServer(lambda s: s.end("again"))
        srv.listen(0, "127.0.0.1")
        srv.close()                      # before 'listening': Node emits no 'listening'
        seen: List[str] = []
        srv.on("listening", lambda: seen.append("listening"))
        await wait(when(srv, "close"))
        assert seen == []
        srv.listen(0, "127.0.0.1")
        await wait(when(srv, "listening"))
        c = net.connect(srv.address()["port"], "127.0.0.1")
        got: List[bytes] = []
        c.on("data", got.append)
        await wait(when(c, "close"))
        assert got == [b"again"]
        srv.close()
        await wait(when(srv, "close"))

    arun(body)


# -- client errors, with Node's fields ---------------------------------------------------------------

CONNECT_ERROR_JS = JS_PRELUDE + r"""
const c = net.connect(A.options);
c.on('error', (e) => out({err: errFields(e)}));
c.resume();
"""


def _fields(err: Any, keys: Any) -> Dict[str, Any]:
    return {k: getattr(err, k) for k in keys if getattr(err, k, None) is not None}


@pytest.mark.parametrize("case", ["refused", "not_found", "unix_enoent"])
def test_connect_error_fields_like_node(node, tmp_path, case):
    options = {
        "refused": {"port": closed_port(), "host": "127.0.0.1"},
        "not_found": {"port": 80, "host": "no-such-host.invalid"},
        "unix_enoent": {"path": str(tmp_path / "missing.sock")},
    }[case]

    async def body():
        expected = (await node(CONNECT_ERROR_JS, {"options": options}).recv())["err"]
        c = net.connect(options)
        log: List[str] = []
        record(c, log)
        errors: List[Any] = []
        c.on("error", errors.append)
        await wait(when(c, "close"))
        assert _fields(errors[0], expected) == expected
        assert set(k for k in ("errno", "code", "syscall", "address", "port", "hostname")
                   if getattr(errors[0], k, None) is not None) == set(k for k in expected if k != "message")
        assert log[-2:] == ["error:" + expected["code"], "close:true"]
        return expected

    expected = arun(body)
    if case == "refused":
        assert expected["code"] == "ECONNREFUSED" and expected["syscall"] == "connect"
        assert expected["errno"] == -errno.ECONNREFUSED and expected["port"] == options["port"]
    if case == "not_found":
        assert expected["code"] == "ENOTFOUND" and expected["errno"] == -3008


def test_econnreset_fields_like_node(node):
    async def body():
        server = node(SERVER_JS, {"onConnection": "s.on('data', () => s.resetAndDestroy())"})
        port = (await server.recv())["port"]
        expected = (await node(CONNECT_ERROR_JS.replace("c.resume();", "c.resume(); c.write('x');"),
                               {"options": {"port": port, "host": "127.0.0.1"}}).recv())["err"]
        c = net.connect(port, "127.0.0.1", lambda: c.write("x"))
        errors: List[Any] = []
        c.on("error", errors.append)
        c.resume()
        had = await wait(when(c, "close"))
        assert had == [True]
        assert _fields(errors[0], expected) == expected == {
            "message": "read ECONNRESET", "code": "ECONNRESET", "errno": -errno.ECONNRESET, "syscall": "read"}

    arun(body)


def test_our_reset_reaches_node_as_econnreset(node):
    async def body():
        server = node(SERVER_JS, {"onConnection": "s.write('hi')"})
        port = (await server.recv())["port"]
        c = net.connect(port, "127.0.0.1")
        c.once("data", lambda d: c.resetAndDestroy())
        closed = await wait(when(c, "close"))
        assert closed == [False]
        assert (await server.recv())["events"] == ["error:ECONNRESET", "close:true"]

    arun(body)


# -- callbacks without arguments, misc ---------------------------------------------------------------

def test_callbacks_may_take_no_argument(node):
    """JS callbacks ignore extra arguments; ours may be ``lambda: ...`` too."""
    async def body():
        server = node(SERVER_JS, {"onConnection": "s.resume()"})
        port = (await server.recv())["port"]
        log: List[str] = []
        c = net.connect(port, "127.0.0.1", lambda: log.append("connected"))
        c.write("a", lambda: log.append("write"))
        c.end("b", lambda: log.append("end"))
        srv = net.createServer()
        srv.close(lambda: log.append("close-not-running"))
        await wait(when(c, "close"))
        await settle()
        assert log == ["close-not-running", "connected", "write", "end"] or \
            log == ["connected", "close-not-running", "write", "end"]

    arun(body)


def test_max_connections_drops(node):
    async def body():
        srv = net.createServer(lambda s: s.resume())
        srv.maxConnections = 1
        drops: List[Dict[str, Any]] = []
        srv.on("drop", drops.append)
        srv.listen(0, "127.0.0.1")
        await wait(when(srv, "listening"))
        port = srv.address()["port"]
        accepted = when(srv, "connection")
        first = net.connect(port, "127.0.0.1")
        await wait(when(first, "connect"))
        await wait(accepted)
        second = net.connect(port, "127.0.0.1")
        second.resume()
        await wait(when(second, "close"))
        assert len(drops) == 1 and drops[0]["remotePort"] == second.localPort
        first.destroy()
        srv.close()
        await wait(when(srv, "close"))

    arun(body)


def test_is_ip_helpers():
    assert net.isIP("127.0.0.1") == 4 and net.isIP("::1") == 6 and net.isIP("fe80::1%lo") == 6
    assert net.isIP("localhost") == 0 and net.isIP("") == 0 and net.isIP(None) == 0
    assert net.isIPv4("10.0.0.1") and not net.isIPv4("::1") and net.isIPv6("::ffff:1.2.3.4")
