"""cluster.Worker: one worker as its primary sees it, or as a worker sees itself (Node's lib/internal/cluster/worker.js).

The class is shared by both sides, as in Node: the primary's ``Worker`` wraps
the worker's child process, a worker's ``cluster.worker`` wraps its own
``process``.  What differs -- ``disconnect()`` and ``kill()`` -- is the side's
(primary.py or child.py), given as ``side`` when the worker is made.
"""
from __future__ import annotations

from typing import Any, Callable, Optional, Protocol

from ..._node.events import EventEmitter

__all__ = ["Worker"]


class _Side(Protocol):
    def disconnect(self, worker: "Worker") -> None: ...
    def destroy(self, worker: "Worker", signal: str) -> None: ...


class Worker(EventEmitter):
    """A cluster worker: ``id``, ``process``, ``send()``, ``kill()``, ``disconnect()``;
    events 'online', 'listening', 'message', 'disconnect', 'exit', 'error'."""

    def __init__(self, id: int, process: Any, side: Optional[_Side] = None, state: str = "none") -> None:
        super().__init__()
        self.id = int(id)
        self.process = process
        self.state = state
        #: True once the worker was told to go (disconnect() or kill()); None until it exits otherwise
        self.exitedAfterDisconnect: Optional[bool] = None
        self._side = side
        process.on("error", lambda *args: self.emit("error", *args))
        process.on("message", lambda message, handle=None: self.emit("message", message, handle))

    def send(self, message: Any, *args: Any) -> bool:
        """``send(message[, sendHandle[, options]][, callback])``: to the other side's 'message'."""
        return bool(self.process.send(message, *args))

    def kill(self, signal: str = "SIGTERM") -> None:
        """Primary: disconnect, then send ``signal`` to the worker; worker: disconnect and exit."""
        self.destroy(signal)

    def destroy(self, signal: str = "SIGTERM") -> None:
        if self._side is not None:
            self._side.destroy(self, signal)

    def disconnect(self) -> "Worker":
        """Stop taking connections, let the open ones end, then close the channel (the worker then exits)."""
        if self._side is not None:
            self._side.disconnect(self)
        return self

    def isDead(self) -> bool:
        process = self.process
        return getattr(process, "exitCode", None) is not None or getattr(process, "signalCode", None) is not None

    def isConnected(self) -> bool:
        return bool(self.process.connected)

    # Node's deprecated name (DEP0007 is gone in 20; the property stays documented)
    @property
    def suicide(self) -> Optional[bool]:
        return self.exitedAfterDisconnect


def split_send_args(args: Any) -> "tuple[Any, Any, Optional[Callable[..., Any]]]":
    """``(sendHandle, options, callback)`` out of send()'s optional arguments, as Node reads them."""
    rest = list(args)
    callback = rest.pop() if rest and callable(rest[-1]) else None
    handle = rest[0] if rest else None
    options = rest[1] if len(rest) > 1 else None
    return handle, options, callback
