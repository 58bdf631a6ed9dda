"""Ports of Node's own tests (test/parallel/test-tls-*.js) run as Node-style
callback programs under ``tls.run``.

* :class:`CallTracker` -- Node's ``common.mustCall`` / ``mustCallAtLeast`` /
  ``mustNotCall``: wrap a callback, and after the program ended check that
  every wrapped callback ran the expected number of times.
* :func:`run_program` -- ``tls.run(main)`` under a watchdog (an unref'd timer:
  it never keeps the program alive, it only fails it), then the tracker's
  check; the ``node_run`` fixture (tests/conftest.py) is this function.
* :class:`Proc` -- an ``openssl`` or ``node`` subprocess driven from inside
  ``tls.run`` (a referenced handle until it exited, so the program waits for
  it), with stdin writes and line callbacks for stdout / stderr; killed when
  the test ends (:func:`kill_all`).  Such a program cannot await, which is why
  it is not :class:`support.node.NodePeer`.  :func:`fork` is Node's ``child_process.fork``:
  a :class:`Proc` running a Python program with this checkout's package; :func:`tls_run` is
  ``node FLAGS program.js``: a :class:`Proc` running ``python -m tls run FLAGS program.py``.
* :class:`RecordTap` -- a loopback TCP relay in a thread that records the TLS
  record headers (type, length) flowing from the server to the client.
* :func:`tls_connect` / :func:`fixture_keys` -- Node's test/fixtures/tls-connect.js
  (an echo server and a client, one callback with the first error and a cleanup).
* :func:`duplex_pair` -- Node's test/common/duplexpair.js; :class:`Duplex` -- a
  user-defined ``stream.Duplex({read, write})``, just enough to carry TLS.

Node lets a process exit while a half-closed socket still holds unread data
(its libuv handle is inactive once EOF arrived); tls.run keeps such a socket
alive, so the ports drain (``resume()``) sockets whose peer sends data nobody
reads.  This does not change what the tests check.
"""
from __future__ import annotations

import asyncio
import inspect
import os
import socket
import struct
import sys
import threading
from typing import Any, Callable, Dict, List, Optional, Tuple

import tls
from tls._node import runtime as _runtime
from tls._node.arity import fit as _fit
from tls._objects import legacy as _legacy

from support.certs import node_keys
from support.node import NODE
from support.openssl import OPENSSL
from support.python import SRC

WATCHDOG_SECONDS = 15.0


class CallTracker:
    """common.mustCall / mustCallAtLeast / mustNotCall, verified at the end."""

    def __init__(self) -> None:
        self._entries: List[list] = []

    def must_call(self, fn: Optional[Callable[..., Any]] = None, exact: int = 1) -> Callable[..., Any]:
        entry = [exact, 0, _where()]
        self._entries.append(entry)
        call = _fit(fn, None) if fn is not None else None  # fewer parameters than passed, as a JS listener

        def wrapper(*args: Any) -> Any:
            entry[1] += 1
            return call(*args) if call is not None else None

        return wrapper

    def must_call_at_least(self, fn: Optional[Callable[..., Any]] = None, minimum: int = 1) -> Callable[..., Any]:
        entry = [-minimum, 0, _where()]
        if minimum > 0:  # mustCallAtLeast(fn, 0) checks nothing (stored, -0 would read as "exactly 0")
            self._entries.append(entry)
        call = _fit(fn, None) if fn is not None else None  # fewer parameters than passed, as a JS listener

        def wrapper(*args: Any) -> Any:
            entry[1] += 1
            return call(*args) if call is not None else None

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
    """file:line of the test code that called must_call (for the failure message)."""
    frame = inspect.currentframe()
    # _where <- must_call <- the caller
    caller = frame.f_back.f_back if frame and frame.f_back else None
    if caller is None:
        return "?"
    return "%s:%d" % (caller.f_code.co_filename.rsplit("/", 1)[-1], caller.f_lineno)


# Node's assert inside a callback: a lambda cannot hold an assert statement.

def assert_equal(actual: Any, expected: Any) -> None:
    """assert.strictEqual(actual, expected)."""
    assert actual == expected, (actual, expected)


def assert_true(value: Any) -> None:
    """assert.strictEqual(value, true)."""
    assert value is True, value


def assert_code(err: Any, code: str) -> None:
    """assert.strictEqual(err.code, code)."""
    assert err is not None and err.code == code, (err, code)


def _watchdog(seconds: float) -> None:
    raise TimeoutError("the Node-style program did not finish within %.0f s" % seconds)


def run_program(main: Callable[[], Any], calls: Optional[CallTracker] = None,
                timeout: float = WATCHDOG_SECONDS) -> Any:
    """tls.run(main) under an unref'd watchdog timer, then the mustCall check (if ``calls``)."""
    def wrapped() -> Any:
        _runtime.setTimeout(_watchdog, timeout * 1000, timeout).unref()
        return main()
    result = tls.run(wrapped)
    if calls is not None:
        calls.verify()
    return result


# -- subprocesses inside tls.run ---------------------------------------------------------

_live_procs: List["Proc"] = []


class Proc:
    """A subprocess of a Node-style test: ``on_exit(returncode, stdout, stderr)``."""

    def __init__(self, args: List[str], on_exit: Optional[Callable[[int, bytes, bytes], Any]] = None,
                 on_stdout_line: Optional[Callable[[bytes], Any]] = None,
                 on_stderr_line: Optional[Callable[[bytes], Any]] = None, cwd: Optional[str] = None,
                 env: Optional[Dict[str, str]] = None) -> None:
        self.args = args
        self.stdout = bytearray()
        self.stderr = bytearray()
        self.returncode: Optional[int] = None
        self._on_exit = on_exit
        self._line_cbs = (on_stdout_line, on_stderr_line)
        self._proc: Any = None
        self._pending: List[Optional[bytes]] = []
        self._cwd = cwd
        self._env = env  # None: this process's environment
        _runtime.ref_handle(self)
        _live_procs.append(self)
        _runtime.spawn(self._main())

    async def _main(self) -> None:
        try:
            self._proc = await asyncio.create_subprocess_exec(
                *self.args, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE, cwd=self._cwd, env=self._env)
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


def fork(code: str, *args: str, env: Optional[Dict[str, str]] = None, **kwargs: Any) -> Proc:
    """Node's ``child_process.fork(__filename, args, {env})`` for a port: ``python -c code args...``
    in a fresh interpreter with this checkout's src/ first on the path; ``env`` is added to this
    process's environment (the ports' children need PATH and the like, which Node's forks inherit
    through the ``...process.env`` most of its tests spread)."""
    full = dict(os.environ, **(env or {}))
    full["PYTHONPATH"] = SRC + os.pathsep + full.get("PYTHONPATH", "")
    return Proc([sys.executable, "-c", code, *args], env=full, **kwargs)


TESTS = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def tls_run(flags: List[str], *args: str, env: Optional[Dict[str, str]] = None, **kwargs: Any) -> Proc:
    """``node FLAGS program.js args...`` for a port: ``python -m tls run FLAGS args...`` (``args``: a
    program's path and its arguments, or ``-c CODE``) in a fresh interpreter with this checkout's
    src/ and tests/ on the path (so a program can use ``support``); ``env`` as for :func:`fork`."""
    full = dict(os.environ, **(env or {}))
    full["PYTHONPATH"] = SRC + os.pathsep + TESTS + os.pathsep + full.get("PYTHONPATH", "")
    return Proc([sys.executable, "-m", "tls", "run", *flags, *args], env=full, **kwargs)


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


# -- Node's test/fixtures/tls-connect.js ---------------------------------------------------

def fixture_keys() -> Dict[str, Dict[str, bytes]]:
    """tls-connect.js's ``keys``: {name: {key, cert, ca}} where ``ca`` is the root of the chain
    (Node's agent1 / agent6 under ca1, agent3 / agent4 under ca2, agent2 and ec self-signed
    roots of their own), made by support.certs.node_keys."""
    k = node_keys()
    out = {}
    for name, root in (("agent1", "ca1"), ("agent3", "ca2"), ("agent4", "ca2"), ("agent6", "ca1")):
        out[name] = {"key": k[name]["key"], "cert": k[name]["cert"], "ca": k[root]}
    out["agent2"] = {"key": k["agent2"]["key"], "cert": k["agent2"]["cert"], "ca": k["agent2"]["cert"]}
    out["ec"] = {"key": k["ec"]["key"], "cert": k["ec"]["cert"], "ca": k["ca1"]}
    return out


def tls_connect(calls: CallTracker, options: Dict[str, Any],
                callback: Callable[[Any, Dict[str, Any], Callable[[], None]], Any]) -> None:
    """tls-connect.js's ``connect({server, client}, callback(err, pair, cleanup))`` (call it
    inside a Node-style program): an echoing server (``conn.pipe(conn)``) and a client; the
    callback, a mustCall, runs once both ends are there or either failed, with the client's
    error first, else the server's."""
    cb: List[Any] = [calls.must_call(callback)]
    server: Dict[str, Any] = {}
    client: Dict[str, Any] = {}
    pair = {"server": server, "client": client}

    def cleanup() -> None:
        if server.get("server") is not None:
            server["server"].close()
        if client.get("conn") is not None:
            client["conn"].end()

    def maybe_callback() -> None:
        if cb[0] is None:
            return
        if server.get("conn") is not None and client.get("conn") is not None:
            err = client.get("err") or server.get("err")
            fn, cb[0] = cb[0], None
            fn(err, pair, cleanup)

    def on_connection(conn: Any) -> None:
        server["conn"] = conn
        conn.pipe(conn)
        maybe_callback()

    def on_client_error(err: Any, sock: Any) -> None:
        server["conn"] = sock
        server["err"] = err
        maybe_callback()

    try:
        srv = tls.createServer(options.get("server"), on_connection)
    except Exception as err:  # invalid options throw: report the error, as tls-connect.js does
        server["err"] = err
        fn, cb[0] = cb[0], None
        fn(err, pair, lambda: None)
        return

    def listening() -> None:
        server["server"] = srv
        opt_client = {"port": srv.address()["port"], **(options.get("client") or {})}
        try:
            conn = tls.connect(opt_client)
        except Exception as err:
            client["err"] = err
            fn, cb[0] = cb[0], None
            fn(err, pair, cleanup)
            return

        def on_secure() -> None:
            client["conn"] = conn
            maybe_callback()

        def on_error(err: Any) -> None:
            client["err"] = err
            client["conn"] = conn
            maybe_callback()

        conn.on("secureConnect", on_secure)
        conn.on("error", on_error)

    srv.listen(0, listening)
    srv.on("tlsClientError", on_client_error)


# -- Node's test/common/duplexpair.js -----------------------------------------------------

def duplex_pair() -> Tuple[Any, Any]:
    """makeDuplexPair(): two in-memory duplex streams, each reading what the other writes
    (the package's own DuplexPair, which tls.createSecurePair uses)."""
    return _legacy._duplex_pair()


# -- a user-defined stream.Duplex ----------------------------------------------------------

class Duplex(tls.events.EventEmitter):
    """Just enough of Node's ``new stream.Duplex({read, write})`` for a test to hand
    ``tls.connect({socket})`` a stream of its own: ``write(chunk, cb)`` goes to the given
    ``write(data, encoding, callback)``; ``push(chunk)`` emits 'data' (``push(None)``: 'end');
    ``end()`` emits 'finish'; ``destroy()`` emits 'close' once.  The methods are called with
    the stream as their first argument (JavaScript's ``this``)."""

    def __init__(self, read: Optional[Callable[..., Any]] = None,
                 write: Optional[Callable[..., Any]] = None) -> None:
        super().__init__()
        self._read_fn = read
        self._write_fn = write
        self.destroyed = False
        self.writable = True
        self.allowHalfOpen = True

    def push(self, chunk: Optional[bytes]) -> bool:
        if chunk is None:
            self.emit("end")
        else:
            self.emit("data", chunk)
        return True

    def resume(self) -> "Duplex":
        if self._read_fn is not None:
            self._read_fn(self)
        return self

    def pause(self) -> "Duplex":
        return self

    def write(self, chunk: Any, encoding: Any = None, cb: Optional[Callable[..., Any]] = None) -> bool:
        if callable(encoding):
            encoding, cb = None, encoding
        if self._write_fn is not None:
            self._write_fn(self, chunk, encoding, cb or (lambda *a: None))
        return True

    def end(self, *args: Any) -> "Duplex":
        self.writable = False
        self.emit("finish")
        return self

    def destroy(self, error: Optional[BaseException] = None) -> "Duplex":
        if not self.destroyed:
            self.destroyed = True
            if error is not None:
                self.emit("error", error)
            self.emit("close")
        return self


class PullDuplex(Duplex):
    """A :class:`Duplex` whose ``read`` is called as Node's Readable calls ``_read``: when the
    consumer resumes it, and again (a tick later) after each chunk it pushed while flowing, until a
    call pushes nothing; the test's own code calls :meth:`_read` when its source has more
    (Node's test-tls-js-stream.js / test-tls-connect-stream-writes.js pull a net socket in
    paused mode this way: ``raw.on('readable', () => pending && p._read())``)."""

    def __init__(self, read: Optional[Callable[..., Any]] = None,
                 write: Optional[Callable[..., Any]] = None) -> None:
        super().__init__(read, write)
        self._pull_flowing = False
        self._ended = False

    def _read(self, size: Optional[int] = None) -> None:
        if self._read_fn is not None and not self._ended:
            self._read_fn(self)

    def push(self, chunk: Optional[bytes]) -> bool:
        if chunk is None:
            self._ended = True
        super().push(chunk)
        if chunk is not None and self._pull_flowing:
            _runtime.nextTick(self._read)
        return True

    def resume(self) -> "PullDuplex":
        if not self._pull_flowing:
            self._pull_flowing = True
            _runtime.nextTick(self._read)
        return self

    def pause(self) -> "PullDuplex":
        self._pull_flowing = False
        return self
