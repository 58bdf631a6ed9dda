"""A real ``redis-server`` for the tests, and tls servers in processes of their own sharing it.

* :class:`RedisServer` -- ``redis-server --port N --save '' --appendonly no`` on a free port of
  127.0.0.1, started when PING answers; :meth:`RedisServer.kill` (SIGKILL) and
  :meth:`RedisServer.start` again on the same port, :meth:`RedisServer.pause` /
  :meth:`RedisServer.resume` (SIGSTOP / SIGCONT: a Redis that accepts and never answers).
* :class:`StoreServer` -- a Python subprocess running a tls server with a
  ``RedisSessionStore`` attached (plain asyncio), talking JSON lines: it prints ``listening``
  (port), ``ring`` (generation), ``failure``, ``secure`` (reused) and answers the commands
  ``counters`` and ``rotate`` sent on its stdin.
* :func:`eventually` -- wait for a condition with a deadline (for facts no event announces, such as
  a key that another process writes into Redis); :func:`close_client` for any redis-py >= 4.2.
"""
from __future__ import annotations

import asyncio
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from typing import Any, Awaitable, Callable, Dict, List, Optional

from support.loopback import free_port
from support.python import SRC

REDIS_SERVER = shutil.which("redis-server")


def _ping(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.2) as s:
            s.sendall(b"PING\r\n")
            return s.recv(16).startswith(b"+PONG")
    except OSError:
        return False


class RedisServer:
    """One redis-server process on a fixed port (kept across kill/start)."""

    def __init__(self, port: Optional[int] = None) -> None:
        assert REDIS_SERVER is not None, "redis-server is not installed (apt-get install redis-server)"
        self.port = port or free_port()
        self.proc: Optional[subprocess.Popen] = None

    @property
    def url(self) -> str:
        return "redis://127.0.0.1:%d/0" % self.port

    def start(self, limit: float = 10.0) -> "RedisServer":
        assert self.proc is None or self.proc.poll() is not None, "already running"
        self.proc = subprocess.Popen(
            [REDIS_SERVER, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--daemonize", "no", "--loglevel", "warning"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + limit
        while not _ping(self.port):
            if self.proc.poll() is not None:
                raise AssertionError("redis-server exited with %s (port %d taken?)" % (self.proc.returncode, self.port))
            if time.monotonic() > deadline:
                raise AssertionError("redis-server did not answer PING within %g s" % limit)
            time.sleep(0.01)   # polling the condition "PING answers", bounded by the deadline
        return self

    def kill(self) -> None:
        """SIGKILL, as a crash; its data is gone (no persistence)."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGCONT)
            self.proc.kill()
            self.proc.wait(10)

    def pause(self) -> None:
        """SIGSTOP: connections are accepted by the kernel, nothing is answered."""
        assert self.proc is not None
        self.proc.send_signal(signal.SIGSTOP)

    def resume(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGCONT)

    def stop(self) -> None:
        self.kill()
        self.proc = None


async def close_client(client: Any) -> None:
    """Close a redis.asyncio client: ``aclose()`` (redis-py >= 5.0.1), else ``close()`` (4.2 and later)."""
    await (getattr(client, "aclose", None) or client.close)()


async def eventually(check: Callable[[], Awaitable[bool]], limit: float = 5.0, what: str = "condition") -> None:
    """Await ``check()`` until it is true; fail after ``limit`` seconds."""
    deadline = time.monotonic() + limit
    while not await check():
        if time.monotonic() > deadline:
            raise AssertionError("%s not reached within %g s" % (what, limit))
        await asyncio.sleep(0.01)


STORE_SERVER = r"""
import asyncio, json, sys
import tls
from tls.stores import RedisSessionStore

cfg = json.loads(sys.argv[1])

def out(obj):
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()

async def main():
    options = {"key": open(cfg["key"]).read(), "cert": open(cfg["cert"]).read(),
               "sessionIdContext": "tests-fleet", **cfg.get("server", {})}
    server = tls.createServer(options, lambda s: s.end("hello"))
    server.on("secureConnection", lambda s: out({"event": "secure", "reused": s.isSessionReused()}))
    store = RedisSessionStore(cfg["url"], **cfg.get("store", {}))
    store.on("ring", lambda gen, rotated: out({"event": "ring", "gen": gen, "rotated": rotated}))
    store.on("failure", lambda err: out({"event": "failure", "code": err.code, "op": err.op}))
    store.attach(server)
    listening = asyncio.get_running_loop().create_future()
    server.listen(0, "127.0.0.1", lambda: listening.set_result(None))
    await listening
    out({"event": "listening", "port": server.address()["port"]})
    reader = asyncio.StreamReader()
    await asyncio.get_running_loop().connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    while True:
        line = await reader.readline()
        if not line:
            break
        cmd = json.loads(line)["cmd"]
        if cmd == "counters":
            out({"event": "counters", "counters": store.counters()})
        elif cmd == "rotate":
            out({"event": "rotated", "gen": await store.rotate()})
    server.close()
    await store.close()

asyncio.run(main())
"""


class StoreServer:
    """A tls server with a RedisSessionStore in a Python process of its own (see STORE_SERVER)."""

    def __init__(self, url: str, key: str, cert: str, store: Optional[Dict[str, Any]] = None,
                 server: Optional[Dict[str, Any]] = None) -> None:
        self.cfg = {"url": url, "key": key, "cert": cert, "store": store or {}, "server": server or {}}
        self.events: List[Dict[str, Any]] = []
        self.port = 0
        self.proc: Any = None

    async def __aenter__(self) -> "StoreServer":
        env = dict(os.environ, PYTHONPATH=SRC + os.pathsep + os.environ.get("PYTHONPATH", ""))
        self.proc = await asyncio.create_subprocess_exec(
            sys.executable, "-c", STORE_SERVER, json.dumps(self.cfg), env=env,
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self.port = (await self.expect("listening"))["port"]
        return self

    async def __aexit__(self, *exc: Any) -> None:
        if self.proc.returncode is None:
            self.proc.stdin.close()
            try:
                await asyncio.wait_for(self.proc.wait(), 5)
            except asyncio.TimeoutError:
                self.proc.kill()
                await self.proc.wait()

    async def expect(self, event: str, limit: float = 10.0, **match: Any) -> Dict[str, Any]:
        """The first event ``event`` (whose fields equal ``match``) seen so far or next."""
        def matches(obj: Dict[str, Any]) -> bool:
            return obj.get("event") == event and all(obj.get(k) == v for k, v in match.items())

        for obj in self.events:
            if matches(obj):
                return obj
        deadline = time.monotonic() + limit
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError("no %r %r from the store server; saw %r" % (event, match, self.events))
            try:
                line = await asyncio.wait_for(self.proc.stdout.readline(), remaining)
            except asyncio.TimeoutError:
                continue
            if not line:
                err = await self.proc.stderr.read()
                raise AssertionError("the store server exited: %s" % err.decode(errors="replace")[-2000:])
            obj = json.loads(line)
            self.events.append(obj)
            if matches(obj):
                return obj

    def send(self, cmd: str) -> None:
        self.proc.stdin.write(json.dumps({"cmd": cmd}).encode() + b"\n")

    async def counters(self) -> Dict[str, Any]:
        self.events = [e for e in self.events if e.get("event") != "counters"]
        self.send("counters")
        return (await self.expect("counters"))["counters"]

    async def rotate(self) -> int:
        self.events = [e for e in self.events if e.get("event") != "rotated"]
        self.send("rotate")
        gen: int = (await self.expect("rotated"))["gen"]
        return gen
