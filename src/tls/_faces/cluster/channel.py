"""The IPC channel between a cluster primary and one worker: JSON lines and descriptors over a socketpair.

How it works, and why this way:

* **One AF_UNIX stream socketpair per worker.**  The primary keeps one end and
  passes the other to the worker's fresh interpreter (``pass_fds`` plus the
  ``NODE_CHANNEL_FD`` environment variable, as Node does).  A stream socket
  keeps message order, and AF_UNIX can carry descriptors.
* **Messages are JSON, one per line** -- Node's ``'json'`` serialization: what
  JSON cannot carry (bytes, sets, objects) is refused when sending, not
  mangled.  Cluster's own messages are ``{"cmd": "NODE_CLUSTER", ...}``, as
  in Node, and are emitted as ``'internalMessage'``; everything else is the
  program's ``'message'``.
* **Descriptors** (a listening socket for the shared handle, an accepted
  connection for round-robin) travel as SCM_RIGHTS ancillary data on the
  first byte of the line they belong to, and the line is wrapped as Node
  wraps it: ``{"cmd": "NODE_HANDLE", "msg": ...}``.  The kernel delivers the
  descriptors no later than that byte, so the reader queues every descriptor
  it receives and a NODE_HANDLE line takes the oldest one: order is all the
  bookkeeping needed.
* **Reading and writing on the running loop.**  ``add_reader`` reads whatever
  is there (many lines per ``recvmsg``); writes go straight out with
  ``sendmsg`` and queue behind ``add_writer`` only when the socket is full.
  Before the channel joins a loop (a worker booting, before its program runs
  ``tls.run``) it is a blocking socket and :meth:`send_sync` /
  :meth:`recv_sync` exchange the first messages.
* **Lifetime.**  A connected channel is a referenced handle of the runtime
  when ``ref`` (a worker's is, as Node's: its cluster code listens for
  ``'disconnect'``); :meth:`disconnect` flushes what is queued, then shuts
  the socket down; the peer sees EOF.  Either way both ends emit
  ``'disconnect'`` once, and sending afterwards fails with
  ``ERR_IPC_CHANNEL_CLOSED`` as in Node.
"""
from __future__ import annotations

import array
import asyncio
import json
import os
import socket
from collections import deque
from typing import Any, Callable, Deque, List, Optional, Tuple

from ..._base.errors import NodeError, NodeTypeError
from ..._node import runtime as _runtime
from ..._node.events import EventEmitter

__all__ = ["Channel", "channel_closed_error", "encode"]

_MAX_FDS = 16            # descriptors one recvmsg takes at most
_READ_SIZE = 256 * 1024


def channel_closed_error() -> NodeError:
    return NodeError("Channel closed", "ERR_IPC_CHANNEL_CLOSED")


def encode(message: Any) -> bytes:
    """One JSON line; what JSON cannot hold is refused (Node's 'json' serialization throws too)."""
    if message is None:
        raise NodeTypeError('The "message" argument must be specified', "ERR_MISSING_ARGS")
    try:
        text = json.dumps(message, separators=(",", ":"), allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise NodeTypeError('The "message" argument must be serializable as JSON: %s' % exc,
                            "ERR_INVALID_ARG_TYPE") from None
    return text.encode("utf-8") + b"\n"


def _fileno(handle: Any) -> int:
    """The descriptor of what may be sent along: a socket, something with fileno(), or an int."""
    if isinstance(handle, int) and not isinstance(handle, bool) and handle >= 0:
        return handle
    fileno = getattr(handle, "fileno", None)
    if callable(fileno):
        fd = fileno()
        if isinstance(fd, int) and fd >= 0:
            return fd
    raise NodeTypeError('The "handle" argument must be a socket, an object with fileno() or a descriptor. '
                        'Received %r' % (handle,), "ERR_INVALID_HANDLE_TYPE")


class Channel(EventEmitter):
    """One end of the socketpair: ``send`` / ``'message'`` / ``'internalMessage'`` / ``'disconnect'``."""

    def __init__(self, sock: socket.socket) -> None:
        super().__init__()
        self._sock: Optional[socket.socket] = sock
        self.connected = True
        self._loop: Optional[asyncio.AbstractEventLoop] = None
        self._rbuf = bytearray()
        self._fds: Deque[int] = deque()
        # (data, descriptors to send with its first byte, callback(err))
        self._queue: Deque[Tuple[memoryview, List[int], Optional[Callable[..., Any]]]] = deque()
        self._writing = False
        self._closing = False
        self._refed = True
        self._disconnect_emitted = False

    # -- joining a loop ------------------------------------------------------------------------
    def attach(self, loop: asyncio.AbstractEventLoop) -> None:
        """Read (and write) on ``loop`` from now on; a no-op when attached to a live loop."""
        if self._sock is None or (self._loop is not None and not self._loop.is_closed()):
            return
        self._loop = loop
        self._sock.setblocking(False)
        loop.add_reader(self._sock.fileno(), self._on_readable)
        if self._refed:
            _runtime.ref_handle(self, loop)
        if self._queue:
            self._flush()

    @property
    def loop(self) -> Optional[asyncio.AbstractEventLoop]:
        return self._loop

    def ref(self) -> None:
        self._refed = True
        if self._loop is not None and self.connected:
            _runtime.ref_handle(self, self._loop)

    def unref(self) -> None:
        self._refed = False
        _runtime.unref_handle(self)

    # -- before the loop: the boot handshake ---------------------------------------------------
    def send_sync(self, message: Any) -> None:
        """Send one message at once on the (still blocking) socket."""
        assert self._sock is not None and self._loop is None
        self._sock.sendall(encode(message))

    def recv_sync(self, timeout: float) -> Any:
        """Read one message on the (still blocking) socket, within ``timeout`` seconds."""
        assert self._sock is not None and self._loop is None
        self._sock.settimeout(timeout)
        try:
            while b"\n" not in self._rbuf:
                chunk = self._sock.recv(65536)
                if not chunk:
                    raise NodeError("The cluster primary closed the channel before setting up this worker",
                                    "ERR_IPC_CHANNEL_CLOSED")
                self._rbuf += chunk
        finally:
            self._sock.settimeout(None)
        line, _, rest = bytes(self._rbuf).partition(b"\n")
        self._rbuf = bytearray(rest)
        return json.loads(line)

    # -- sending -------------------------------------------------------------------------------
    def send(self, message: Any, handle: Any = None, callback: Optional[Callable[..., Any]] = None) -> bool:
        """Queue ``message`` (with ``handle``'s descriptor); ``callback(err)`` once it is written.

        False, with ERR_IPC_CHANNEL_CLOSED given to ``callback`` or emitted as
        'error', once the channel is closed (Node's ChildProcess.send).
        """
        fds: List[int] = []
        if handle is not None:
            fds.append(_fileno(handle))
            message = {"cmd": "NODE_HANDLE", "type": "net.Native", "msg": message}
        data = encode(message)
        if not self.connected or self._closing or self._sock is None:
            err = channel_closed_error()
            if self._loop is not None and not self._loop.is_closed():
                if callback is not None:
                    self._loop.call_soon(callback, err)
                else:
                    self._loop.call_soon(self.emit, "error", err)
            elif callback is not None:
                callback(err)
            return False
        self._queue.append((memoryview(data), fds, callback))
        if self._loop is not None and not self._writing:
            self._flush()
        return True

    def _flush(self) -> None:
        sock, loop = self._sock, self._loop
        if sock is None or loop is None:
            return
        while self._queue:
            data, fds, callback = self._queue[0]
            try:
                if fds:
                    sent = sock.sendmsg([data], [(socket.SOL_SOCKET, socket.SCM_RIGHTS, array.array("i", fds))])
                else:
                    sent = sock.send(data)
            except (BlockingIOError, InterruptedError):
                if not self._writing:
                    self._writing = True
                    loop.add_writer(sock.fileno(), self._on_writable)
                return
            except OSError:
                self._gone()   # the peer is gone (EPIPE, ECONNRESET): what is queued is lost
                return
            if sent < len(data):
                self._queue[0] = (data[sent:], [], callback)   # the descriptors went with the first byte
                continue
            self._queue.popleft()
            if callback is not None:
                loop.call_soon(callback, None)
        if self._writing:
            self._writing = False
            loop.remove_writer(sock.fileno())
        if self._closing:
            self._shutdown()

    def _on_writable(self) -> None:
        self._flush()

    # -- receiving -----------------------------------------------------------------------------
    def _on_readable(self) -> None:
        sock = self._sock
        if sock is None:
            return
        try:
            data, ancdata, _flags, _addr = sock.recvmsg(_READ_SIZE, socket.CMSG_SPACE(_MAX_FDS * 4))
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            data, ancdata = b"", []
        for level, kind, payload in ancdata:
            if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
                fds = array.array("i")
                fds.frombytes(payload[:len(payload) - len(payload) % fds.itemsize])
                self._fds.extend(fds)
        if not data:
            self._gone()
            return
        self._rbuf += data
        buf = self._rbuf
        start = 0
        while self._sock is not None:
            end = buf.find(b"\n", start)
            if end < 0:
                break
            line = bytes(buf[start:end])
            start = end + 1
            self._deliver(json.loads(line))
        del buf[:start]

    def _deliver(self, message: Any) -> None:
        handle: Optional[socket.socket] = None
        if isinstance(message, dict) and message.get("cmd") == "NODE_HANDLE":
            handle = socket.socket(fileno=self._fds.popleft()) if self._fds else None
            message = message.get("msg")
        if isinstance(message, dict) and str(message.get("cmd", "")).startswith("NODE_"):
            self.emit("internalMessage", message, handle)
        else:
            self.emit("message", message, handle)

    # -- closing -------------------------------------------------------------------------------
    def disconnect(self) -> None:
        """Close after what is queued is written; 'disconnect' on both ends."""
        if not self.connected:
            err = NodeError("IPC channel is already disconnected", "ERR_IPC_DISCONNECTED")
            if self._loop is not None:
                self._loop.call_soon(self.emit, "error", err)
            return
        self.connected = False
        self._closing = True
        if not self._queue:
            self._shutdown()

    def _shutdown(self) -> None:
        sock, self._sock = self._sock, None
        self.connected = False
        if sock is not None:
            if self._loop is not None and not self._loop.is_closed():
                self._loop.remove_reader(sock.fileno())
                if self._writing:
                    self._loop.remove_writer(sock.fileno())
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            sock.close()
        for fd in self._fds:   # descriptors nobody took
            os.close(fd)
        self._fds.clear()
        _runtime.handle_closed(self)
        if not self._disconnect_emitted:
            self._disconnect_emitted = True
            if self._loop is not None and not self._loop.is_closed():
                self._loop.call_soon(self.emit, "disconnect")

    def _gone(self) -> None:
        """EOF or a broken pipe: the other end is closed."""
        self._queue.clear()
        self._closing = True
        self._shutdown()



class Internal:
    """Cluster's own messages on a channel (Node's internal/cluster/utils.js: sendHelper and internal).

    Each is ``{"cmd": "NODE_CLUSTER", "act": ..., "seq": n}``; a reply carries
    ``"ack": n`` and goes to the callback the sender gave, not to ``on_message``.
    """

    def __init__(self, channel: Channel, on_message: Callable[[Any, Optional[socket.socket]], Any]) -> None:
        self.channel = channel
        self._on_message = on_message
        self._callbacks: "dict[int, Callable[[Any, Optional[socket.socket]], Any]]" = {}
        self._seq = 0
        channel.on("internalMessage", self._on_internal)
        channel.on("disconnect", self._on_disconnect)

    def send(self, message: Any, handle: Any = None,
             callback: Optional[Callable[[Any, Optional[socket.socket]], Any]] = None) -> bool:
        if not self.channel.connected:
            return False   # Node's sendHelper: nothing to say on a closed channel, and no 'error' either
        message = {"cmd": "NODE_CLUSTER", **message}
        seq = None
        if callback is not None:
            seq = message["seq"] = self._seq
            self._callbacks[seq] = callback
            self._seq += 1
        sent = self.channel.send(message, handle)
        if not sent and seq is not None:
            self._callbacks.pop(seq, None)   # the channel is closed: the caller hears False instead
        return sent

    def reply(self, to: Any, message: Any, handle: Any = None) -> bool:
        return self.send({**message, "ack": to.get("seq")}, handle)

    def _on_disconnect(self) -> None:
        """No answer will come: each waiting callback gets an empty one (no session, not accepted),
        so nothing waits forever on a peer that is gone (a handshake on its 'newSession')."""
        callbacks, self._callbacks = self._callbacks, {}
        for callback in callbacks.values():
            callback({}, None)

    def _on_internal(self, message: Any, handle: Optional[socket.socket]) -> None:
        if message.get("cmd") != "NODE_CLUSTER":
            return
        ack = message.get("ack")
        if ack is not None:
            callback = self._callbacks.pop(ack, None)
            if callback is not None:
                callback(message, handle)
                return
        self._on_message(message, handle)
