"""The primary's listening handles, one per address workers listen on: shared or round-robin.

Node's lib/internal/cluster/shared_handle.js and round_robin_handle.js.  A
worker's ``server.listen(port, host)`` asks the primary (``queryServer``);
the primary keeps one handle per (address, port, address type, index) and
adds the worker to it:

* :class:`SharedHandle` (``SCHED_NONE``): the primary binds the socket once
  and gives every worker the same listening descriptor.  Each worker
  accepts on it; the kernel decides who gets each connection (whichever
  process's accept wins after the wake-up).  No per-connection work in the
  primary.
* :class:`RoundRobinHandle` (``SCHED_RR``): the primary accepts every
  connection itself and hands its descriptor to the next free worker
  (``{act: 'newconn'}``).  A worker is free again once it acknowledged the
  previous one, so a busy worker is skipped, and a connection it did not take
  (its server closed in between) goes to another.  One IPC round trip per
  connection in the primary, for an even spread.

Both reply to ``add(worker, send)`` with ``send(err, reply, descriptor)``; a
bind error goes back to the worker, whose ``listen()`` then emits it.
"""
from __future__ import annotations

import os
import socket
import stat as _stat
from collections import deque
from typing import Any, Callable, Deque, Dict, List, Optional

from ..._base.errors import NodeError, errno_error
from ..._node import net
from ..._node.netargs import _address_dict
from ..._node.runtime import get_loop
from .worker import Worker

__all__ = ["SharedHandle", "RoundRobinHandle", "Reply"]

Reply = Callable[[Optional[BaseException], Optional[Dict[str, Any]], Optional[socket.socket]], None]
# How many connections a worker may have been handed and not yet acknowledged.  Node's is 1: the
# primary waits for each acknowledgement before the worker's next turn.  Letting a worker hold 4 was
# measured (bench/cluster_distribution.py, 2 workers on 2 cores, 3 runs): 1.17x one worker's full
# handshakes/s against 1.15x with 1 -- the round trip is not what limits round-robin here, the
# primary's CPU is -- so Node's 1 stays.
PIPELINE = 1

Send = Callable[[Worker, Dict[str, Any], Optional[socket.socket], Callable[[Any, Any], None]], None]


def _bound_path(message: Dict[str, Any]) -> Optional[str]:
    """The Unix socket file the primary binds for ``message`` (not one it was given as a descriptor)."""
    path = message.get("path")
    return path if path and message.get("fd") is None else None


def _unlink(path: Optional[str]) -> None:
    """Remove the Unix socket file the primary bound, when its handle closes (libuv unlinks what it bound)."""
    if path:
        try:
            if _stat.S_ISSOCK(os.stat(path).st_mode):
                os.unlink(path)
        except OSError:
            pass


def _bind(message: Dict[str, Any]) -> socket.socket:
    """Bind as a net.Server would (same dual-stack and reuse rules, same errors), or adopt the
    primary's descriptor ``fd`` (a worker's ``listen({fd})``: a socket systemd passed the primary)."""
    binder = net.Server()
    backlog = int(message.get("backlog") or 511)
    fd = message.get("fd")
    if fd is not None:
        return binder._adopt_listening(int(fd), backlog)
    if message.get("path"):
        return binder._bind_unix(message["path"], backlog, bool(message.get("readableAll")),
                                 bool(message.get("writableAll")))
    return binder._bind_tcp(message.get("address"), int(message.get("port") or 0), backlog,
                            bool(message.get("ipv6Only")))


class SharedHandle:
    """One listening socket, the same descriptor in every worker (SCHED_NONE)."""

    def __init__(self, key: str, message: Dict[str, Any]) -> None:
        self.key = key
        self.workers: Dict[int, Worker] = {}
        self.error: Optional[BaseException] = None
        self.sock: Optional[socket.socket] = None
        self._path: Optional[str] = None
        try:
            self.sock = _bind(message)
            self._path = _bound_path(message)
        except NodeError as err:
            self.error = err

    def add(self, worker: Worker, send: Reply) -> None:
        self.workers[worker.id] = worker
        send(self.error, None, self.sock)

    def remove(self, worker: Worker) -> bool:
        """Drop ``worker``; True (and the socket closed) when it was the last."""
        if self.workers.pop(worker.id, None) is None:
            return False
        if self.workers:
            return False
        self.close()
        return True

    def close(self) -> None:
        sock, self.sock = self.sock, None
        if sock is not None:
            _unlink(self._path)
            sock.close()


class RoundRobinHandle:
    """The primary accepts, each connection goes to the next worker in turn (SCHED_RR).

    Node hands a worker one connection at a time and waits for its
    acknowledgement; here a worker may have :data:`PIPELINE` unacknowledged
    hand-overs (see its note), and the turn skips a worker that has that many.
    """

    def __init__(self, key: str, message: Dict[str, Any], send: Send) -> None:
        self.key = key
        self._send = send
        self.all: Dict[int, Worker] = {}
        self.turn: Deque[int] = deque()                    # worker ids, the next one first
        self.pending: Deque[socket.socket] = deque()
        self.inflight: Dict[int, List[socket.socket]] = {}  # worker id -> hand-overs not acknowledged yet
        self.error: Optional[BaseException] = None
        self.sock: Optional[socket.socket] = None
        self._loop = get_loop()
        self._path: Optional[str] = None
        try:
            self.sock = _bind(message)
            self._path = _bound_path(message)
        except NodeError as err:
            self.error = err
            return
        self._backlog = int(message.get("backlog") or 511)
        self._loop.add_reader(self.sock.fileno(), self._on_acceptable)

    def add(self, worker: Worker, send: Reply) -> None:
        self.all[worker.id] = worker
        if self.sock is None:
            send(self.error, None, None)
            return
        self.turn.append(worker.id)
        self.inflight[worker.id] = []
        name = self.sock.getsockname()
        sockname = name if self.sock.family == socket.AF_UNIX else _address_dict(name, self.sock.family)
        send(None, {"sockname": sockname}, None)
        self._pump()

    def remove(self, worker: Worker) -> bool:
        if self.all.pop(worker.id, None) is None:
            return False
        if worker.id in self.turn:
            self.turn.remove(worker.id)
        for conn in self.inflight.pop(worker.id, []):
            conn.close()   # the worker took it, or never will
        if self.all:
            return False
        self.close()
        return True

    def close(self) -> None:
        sock, self.sock = self.sock, None
        if sock is not None:
            try:
                self._loop.remove_reader(sock.fileno())
            except (ValueError, OSError):
                pass
            _unlink(self._path)
            sock.close()
        while self.pending:
            self.pending.popleft().close()
        for conns in self.inflight.values():
            for conn in conns:
                conn.close()
        self.inflight.clear()

    def _on_acceptable(self) -> None:
        sock = self.sock
        for _ in range(self._backlog):
            if sock is None or self.sock is not sock:
                return
            try:
                conn, _addr = sock.accept()
            except (BlockingIOError, InterruptedError):
                break
            except ConnectionAbortedError:
                continue
            except OSError as exc:
                # Out of descriptors and the like: Node's round-robin drops the error too
                # (there is no server in the primary to emit it on); try again on the next wake-up.
                errno_error(exc, "accept")
                break
            self.pending.append(conn)
        self._pump()

    def _next_worker(self) -> Optional[int]:
        """The next worker in turn that can take one more, moved to the end of the turn."""
        for _ in range(len(self.turn)):
            wid = self.turn[0]
            self.turn.rotate(-1)
            if len(self.inflight.get(wid, ())) < PIPELINE:
                return wid
        return None

    def _pump(self) -> None:
        while self.pending:
            wid = self._next_worker()
            if wid is None:
                return   # everyone is busy: the next acknowledgement pumps again
            conn = self.pending.popleft()
            self.inflight[wid].append(conn)
            self._send(self.all[wid], {"act": "newconn", "key": self.key}, conn, self._on_ack(wid, conn))

    def _on_ack(self, wid: int, conn: socket.socket) -> Callable[[Any, Any], None]:
        return lambda reply, _handle: self._acked(wid, conn, reply)

    def _acked(self, wid: int, conn: socket.socket, reply: Any) -> None:
        conns = self.inflight.get(wid)
        if conns is None or conn not in conns:
            return   # removed (and closed) meanwhile
        conns.remove(conn)
        if reply.get("accepted"):
            conn.close()              # the worker has its own descriptor now
        else:
            self.pending.appendleft(conn)   # its server had closed: someone else takes it
        self._pump()
