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

import socket
from collections import OrderedDict, deque
from typing import Any, Callable, Deque, Dict, Optional

from ..._base.errors import NodeError, errno_error
from ..._node import net
from ..._node.netargs import _address_dict
from ..._node.runtime import get_loop
from .worker import Worker

__all__ = ["SharedHandle", "RoundRobinHandle", "Reply"]

Reply = Callable[[Optional[BaseException], Optional[Dict[str, Any]], Optional[socket.socket]], None]
Send = Callable[[Worker, Dict[str, Any], Optional[socket.socket], Callable[[Any, Any], None]], None]


def _bind(message: Dict[str, Any]) -> socket.socket:
    """Bind as a net.Server would (same dual-stack and reuse rules, same errors), or adopt the
    primary's descriptor ``fd`` (a worker's ``listen({fd})``: a socket systemd passed the primary)."""
    binder = net.Server()
    backlog = int(message.get("backlog") or 511)
    fd = message.get("fd")
    if fd is not None:
        return binder._adopt_listening(int(fd), backlog)
    return binder._bind_tcp(message.get("address"), int(message.get("port") or 0), backlog,
                            bool(message.get("ipv6Only")))


class SharedHandle:
    """One listening socket, the same descriptor in every worker (SCHED_NONE)."""

    def __init__(self, key: str, message: Dict[str, Any]) -> None:
        self.key = key
        self.workers: Dict[int, Worker] = {}
        self.error: Optional[BaseException] = None
        self.sock: Optional[socket.socket] = None
        try:
            self.sock = _bind(message)
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
            sock.close()


class RoundRobinHandle:
    """The primary accepts, each connection goes to the next free worker (SCHED_RR)."""

    def __init__(self, key: str, message: Dict[str, Any], send: Send) -> None:
        self.key = key
        self._send = send
        self.all: Dict[int, Worker] = {}
        self.free: "OrderedDict[int, Worker]" = OrderedDict()
        self.pending: Deque[socket.socket] = deque()
        self.inflight: Dict[int, socket.socket] = {}   # worker id -> the connection it has not acknowledged
        self.error: Optional[BaseException] = None
        self.sock: Optional[socket.socket] = None
        self._loop = get_loop()
        try:
            self.sock = _bind(message)
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
        send(None, {"sockname": _address_dict(self.sock.getsockname(), self.sock.family)}, None)
        self._handoff(worker)

    def remove(self, worker: Worker) -> bool:
        if self.all.pop(worker.id, None) is None:
            return False
        self.free.pop(worker.id, None)
        conn = self.inflight.pop(worker.id, None)
        if conn is not None:
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
            sock.close()
        while self.pending:
            self.pending.popleft().close()
        for conn in self.inflight.values():
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
                return
            except ConnectionAbortedError:
                continue
            except OSError as exc:
                # Out of descriptors and the like: Node's round-robin drops the error too
                # (there is no server in the primary to emit it on); try again on the next wake-up.
                errno_error(exc, "accept")
                return
            self._distribute(conn)

    def _distribute(self, conn: socket.socket) -> None:
        self.pending.append(conn)
        if self.free:
            _id, worker = self.free.popitem(last=False)
            self._handoff(worker)

    def _handoff(self, worker: Worker) -> None:
        if worker.id not in self.all:
            return   # the worker is gone
        if not self.pending:
            self.free[worker.id] = worker   # it waits for the next connection
            return
        conn = self.pending.popleft()
        self.inflight[worker.id] = conn

        def acked(reply: Any, _handle: Any) -> None:
            if self.inflight.get(worker.id) is conn:
                del self.inflight[worker.id]
            if conn.fileno() < 0:
                return   # closed by remove() meanwhile
            if reply.get("accepted"):
                conn.close()          # the worker has its own descriptor now
            else:
                self._distribute(conn)
            self._handoff(worker)

        self._send(worker, {"act": "newconn", "key": self.key}, conn, acked)
