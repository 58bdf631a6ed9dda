"""Node's ``net.Socket`` on asyncio, and ``net.connect`` (the module: net.py; the server: net_server.py).

A ``Socket`` is a Node duplex stream over an asyncio transport.  The asyncio
protocol object is a thin forwarder (``_SocketProtocol``, socket_protocol.py)
whose ``owner`` is the Socket; ``tls.TLSSocket`` subclasses Socket and
overrides the raw hooks (``_on_raw_data``, ``_on_raw_eof``, ``_write_chunk``,
``_shutdown_write``, ``_on_connect``, ``_on_connection_lost``,
``_on_destroy``) to put its engine between the transport and the stream.
Taking over a connected Socket (what ``new TLSSocket(socket)`` and the TLS
server do) is just re-pointing the protocol's ``owner``
(``_take_transport_from``).

The stream rules kept from Node 20 (flowing, backpressure, 'end'/'finish'/'close'
order, error-first callbacks) are stated and implemented in ``stream.py``.

Connecting (``connect()``, the lookup and the address list) is the mixin
``ConnectingMixin`` of connecting.py; the argument forms, ports and address
dicts are netargs.py.  'connect' and 'ready' are emitted from the
transport's ``connection_made`` (``_on_transport`` here), so no 'data' can
come before them.  A server accepts on its own non-blocking listening socket
(``loop.add_reader``, net_server.py), so ``listen`` and ``close`` take effect
at once, like Node's synchronous bind/close.
"""
from __future__ import annotations

import socket as _socket
import struct
from typing import Any, Callable, Deque, Dict, List, Optional, Tuple, TypeVar, Protocol

from . import runtime as _runtime
from .._base.addresses import isIP, isIPv4, isIPv6  # net's own functions
from .._base.errors import NodeError, NodeRangeError, NodeTypeError, errno_error
from .._base.nodeargs import _call_cb
from .._base.options import NET_CONNECT, NET_SOCKET, take_options
from .aio import AsyncSocketMixin  # read / async for / drain / endAsync / async with (aio.py)
from .connecting import ConnectingMixin
from .events import EventEmitter
from .netargs import _address_dict, _family_name, _high_water_mark, _normalize_connect_args
from .onread import OnReadMixin
from .socket_protocol import _SocketProtocol
from .stream import StreamMixin, _destroyed_error

__all__ = ["Socket", "Stream", "connect", "createConnection", "isIP", "isIPv4", "isIPv6"]

_SocketT = TypeVar("_SocketT", bound="Socket")

HIGH_WATER_MARK = 16 * 1024


class _AcceptingServer(Protocol):
    """What a socket asks of the net.Server that accepted it (net_server.py implements it;
    a Protocol here, so that this module need not import the server module that imports it)."""

    def _accepted(self, sock: "Socket") -> None: ...
    def _swap_connection(self, old: "Socket", new: "Socket") -> None: ...
    def _connection_closed(self, sock: "Socket") -> None: ...


class Socket(ConnectingMixin, OnReadMixin, StreamMixin, EventEmitter, AsyncSocketMixin):
    """Node's net.Socket: a duplex stream over a TCP or Unix-domain connection."""

    writableHighWaterMark = HIGH_WATER_MARK
    readableHighWaterMark = HIGH_WATER_MARK
    # what each event passes (events.py: a listener taking that many is stored unwrapped)
    _declared_event_args = {
        "close": 1, "data": 1, "end": 0, "connect": 0, "ready": 0, "drain": 0, "finish": 0, "timeout": 0,
        "error": 1, "lookup": 4, "pipe": 1, "unpipe": 1, "pause": 0, "resume": 0, "readable": 0,
    }

    # Per-connection state starts as these class-level defaults (all
    # immutable) and becomes an instance attribute only when it changes: a
    # new socket costs a few stores, and an idle one carries only the state it
    # has used.  The exception is what the per-read / per-write path reads
    # (set in __init__ as well): CPython 3.11 cannot specialize
    # reading a class attribute through an instance, which costs about three
    # times an instance attribute read.
    allowHalfOpen = False
    _loop: Any = _runtime.LoopOnFirstUse()  # the running loop, bound in __init__ or on first use
    _transport: Any = None
    _protocol: Optional[_SocketProtocol] = None
    _connect_task: Any = None
    _connect_sock: Any = None       # the socket of a direct connect in progress (_connect_direct)
    _was_connected = False          # a transport was ever attached
    _detached = False               # its transport was handed to another Socket (a TLSSocket)
    connecting = False
    destroyed = False
    _bytes_read = 0
    _bytes_written = 0
    _bytes_dispatched = 0
    # writable side
    _ready = False                  # transport (or TLS session) ready for writes
    _queue: Optional[Deque[Tuple[bytes, Any]]] = None   # writes before ready
    _queued_bytes = 0
    _write_paused = False           # the transport holds >= writableHighWaterMark
    _drain_cbs: Optional[List[Any]] = None
    _end_cbs: Optional[List[Any]] = None
    _need_drain = False
    _ending = False                 # end() called
    _write_shut = False             # our side shut down (FIN / close_notify sent)
    _finished = False
    # readable side
    _flowing: Optional[bool] = None
    _rbuf: Optional[Deque[bytes]] = None
    _rbuf_size = 0
    _reading_paused = False         # we paused the transport's reading
    _eof = False                    # peer ended
    _ended_emitted = False
    _decoder: Any = None
    # misc
    _timeout_ms: Optional[float] = None
    _timer: Any = None
    _last_active = 0.0
    _had_error = False
    _close_emitted = False
    _close_before_connect: Any = None
    _tcp_ready = False
    _destroy_error: Optional[BaseException] = None
    _refed = True
    _server: Optional["_AcceptingServer"] = None  # the net.Server that accepted it (net_server.py)
    #: Node's public ``socket.server``: the server that accepted it (null on a client).  Unlike
    #: ``_server`` (the live bookkeeping link, cut when the server forgets the socket) it stays set.
    server: Any = None
    _peer: Any = None
    _sockname: Any = None
    _family: Optional[int] = None
    _no_delay: Optional[bool] = None
    _keep_alive: Optional[Tuple[bool, float]] = None

    def __init__(self, options: Optional[Dict[str, Any]] = None, **kwargs: Any) -> None:
        super().__init__()
        opts = take_options(options, kwargs, NET_SOCKET, "Socket")
        # read on every write: an instance attribute (see above)
        self.writableHighWaterMark = self.writableHighWaterMark
        if opts:
            if opts.get("allowHalfOpen"):
                self.allowHalfOpen = True
            # Node's Duplex: the readable side first; highWaterMark stands for both and an
            # error names the side's own key (lib/internal/streams/state.js)
            hwm = opts.get("highWaterMark")
            for name in ("readableHighWaterMark", "writableHighWaterMark"):
                value = hwm if hwm is not None else opts.get(name)
                if value is not None:
                    setattr(self, name, _high_water_mark(value, name))
            if opts.get("onread") is not None:
                self._set_onread(opts["onread"])   # reads into the caller's buffer (onread.py)
        loop = _runtime.running_loop()
        if loop is not None:  # else bound on first use (connect() ...): constructible anywhere, as in Node
            self._loop = loop
        # the state the data path reads, as instance attributes (see above)
        self.destroyed = False
        self._bytes_read = 0
        self._bytes_written = 0
        self._bytes_dispatched = 0
        self._transport = None
        self._ready = False
        self._queued_bytes = 0
        self._write_paused = False
        self._need_drain = False
        self._ending = False
        self._flowing = None
        self._rbuf = None
        self._decoder = None
        self._timeout_ms = None

    # -- attaching a transport -------------------------------------------
    def _on_transport(self, transport: Any) -> None:
        """``connection_made``: an accepted or a freshly connected transport."""
        if self.destroyed:
            transport.abort()
            return
        self._attach_transport(transport)
        if self._server is not None:
            self._server._accepted(self)
            return
        self.connecting = False
        self._on_connect()

    def _attach_transport(self, transport: Any, addresses_known: bool = False) -> None:
        self._transport = transport
        self._was_connected = True
        if not addresses_known:
            self._read_addresses(transport)
        transport.set_write_buffer_limits(high=max(self.writableHighWaterMark - 1, 0), low=0)
        if self._reading_paused:
            transport.pause_reading()
        if self._no_delay is not None:
            self.setNoDelay(self._no_delay)
        if self._keep_alive is not None:
            self.setKeepAlive(*self._keep_alive)
        if self._refed:
            _runtime.ref_handle(self, self._loop)
        if self._onread is not None:
            self._onread_attach()

    def _read_addresses(self, transport: Any) -> None:
        """Family, peer and local address of a socket transport.

        asyncio's socket transports already asked the kernel (``peername`` /
        ``sockname`` extras), so no system call is made here.  Like a failed
        ``getpeername()``, a missing peer name leaves both addresses unset.
        """
        sock = transport.get_extra_info("socket")
        if sock is None:
            return
        sockname = transport.get_extra_info("sockname")
        if type(sockname) is tuple and len(sockname) in (2, 4):
            self._family = _socket.AF_INET6 if len(sockname) == 4 else _socket.AF_INET
        else:
            self._family = sock.family
        peer = transport.get_extra_info("peername")
        if peer is None:
            try:
                peer = sock.getpeername()
                sockname = sock.getsockname()
            except OSError:
                return
        elif sockname is None:
            try:
                sockname = sock.getsockname()
            except OSError:
                return
        self._peer = peer
        self._sockname = sockname

    def _take_transport_from(self, other: "Socket") -> None:
        """Adopt ``other``'s live connection (Node's handle transfer)."""
        transport, protocol = other._transport, other._protocol
        other._transport = other._protocol = None
        other._detached = True
        other._adopter = self
        other._clear_timer()
        _runtime.handle_closed(other)
        self._protocol = protocol
        assert protocol is not None, "a connected socket has its protocol"
        protocol.owner = self
        if other._onread is not None:
            protocol.use_buffer(None)   # other's reads went into its onread buffer
        self._peer, self._sockname, self._family = other._peer, other._sockname, other._family
        self._write_paused = other._write_paused
        self._server = other._server
        if other._server is not None:
            other._server._swap_connection(other, self)
        if other._reading_paused:
            # other stopped reading for its own buffer; we start with none
            transport.resume_reading()
        self._attach_transport(transport, addresses_known=other._was_connected)

    # A detached socket still writes to the connection, raw, beside its adopter (Node: the
    # net.Socket given to tls.connect keeps its handle; what it writes bypasses TLS -- Node's
    # test-tls-alert-handling sends a bad record that way).  Its own end is then only its FIN:
    # it closes with its adopter (the TLSSocket's close destroys it), not on its own.
    _adopter: Optional["Socket"] = None

    _raw_fin_sent = False   # the detached socket sent the FIN: writing more is Node's EPIPE

    def _transport_write(self, data: bytes) -> None:
        if self._raw_fin_sent:
            if not self.destroyed:
                self.destroy(errno_error(BrokenPipeError(32, "Broken pipe"), "write"))
        elif not self._detached:
            super()._transport_write(data)
        elif self._adopter is not None:
            self._adopter._transport_write(data)

    def _shutdown_write(self) -> None:
        adopter = self._adopter
        if not self._detached:
            super()._shutdown_write()
        elif adopter is not None and not adopter._write_shut:
            adopter._write_shut = adopter._raw_fin_sent = True   # FIN sent: the adopter sends no second one
            Socket._shutdown_write(adopter)

    def _maybe_close(self) -> None:
        if not self._detached:
            super()._maybe_close()

    def _on_connect(self) -> None:
        """Hook: TCP is up: 'connect' (queued writes are flushed by the listener
        the first of them added), 'ready'.  TLSSocket starts its handshake instead."""
        self._tcp_ready = True
        if self._queue is None and not self._ending and not self._corked:
            # Node: a write in a 'connect' listener goes out at once (nothing written before it
            # to wait behind, which the queue's own 'connect' listener flushes in order)
            self._ready = True
        self.emit("connect")
        self.emit("ready")
        if not self._ready and not self.destroyed:
            self._set_ready()

    def _flush_on_connect(self, *_: Any) -> None:
        if self._tcp_ready and not self._ready and not self.destroyed:
            self._set_ready()

    # -- errors and closing ----------------------------------------------
    def _on_connection_lost(self, exc: Optional[BaseException]) -> None:
        """Hook: the transport is gone (error, or closed under us)."""
        self._transport = None
        if self.destroyed or _runtime.program_ended(self._loop):
            # (after an uncaught exception -- e.g. a 'data' listener that raised inside asyncio's
            # data_received, which then closes the transport -- nothing reaches user code)
            return
        if exc is not None:
            self.destroy(errno_error(exc, "read"))
            return
        # Closed without an error and without us asking: nothing more can be
        # written; close once 'end' is out.
        if not self._eof:
            self._on_raw_eof()
        if self.destroyed:
            return
        self._write_shut = True
        self._finished = True
        self._maybe_close()

    def destroy(self: _SocketT, error: Optional[BaseException] = None) -> _SocketT:
        """Close now; 'error' (if given) then 'close'(hadError) on later iterations."""
        if self.destroyed:
            return self
        self.destroyed = True
        self.connecting = False
        self._clear_timer()
        task, self._connect_task = self._connect_task, None
        if task is not None and not task.done():
            task.cancel()
        sock, self._connect_sock = self._connect_sock, None
        if sock is not None:   # a direct connect still in progress
            try:
                self._loop.remove_writer(sock.fileno())
            except (ValueError, OSError):
                pass
            sock.close()
        transport = self._transport
        if transport is not None:
            if error is not None:
                transport.abort()
            else:
                transport.close()
        if error is not None:
            self._had_error = True
            self._destroy_error = error
        self._on_destroy()
        self._loop.call_soon(self._emit_destroyed, error)
        return self

    def _on_destroy(self) -> None:
        """Hook: release per-connection state (the TLS engine)."""

    def _emit_destroyed(self, error: Optional[BaseException]) -> None:
        # Node: pending callbacks and 'error' on the next tick, 'close' once
        # the handle is closed (a loop iteration later); the server counts
        # the connection gone before that (its 'close' can come first).
        if _runtime.program_ended(self._loop):
            return  # nothing after an uncaught exception (see _on_connection_lost)
        try:
            self._fail_pending_callbacks(error)
            if error is not None:
                self.emit("error", error)
        finally:
            if self._server is not None:
                self._server._connection_closed(self)
            self._loop.call_soon(self._emit_close, error is not None)

    def _emit_close(self, had_error: bool) -> None:
        if _runtime.program_ended(self._loop):
            return  # nothing after an uncaught exception (see _on_connection_lost)
        if not self._detached:  # a detached socket's handle went with its transport
            _runtime.handle_closed(self)
        self._close_emitted = True
        self.emit("close", had_error)

    def _on_close_before_connection(self, *_: Any) -> None:
        self._close_before_connect = None
        if self._was_connected:   # e.g. a TLS socket whose handshake never finished
            err: BaseException = self._destroy_error or _destroyed_error("write")
        else:
            err = NodeError("Socket closed before the connection was established",
                            "ERR_SOCKET_CLOSED_BEFORE_CONNECTION")
        queue, self._queue = self._queue, None
        end_cbs, self._end_cbs = self._end_cbs, None
        first = True
        for _chunk, cb in queue or ():
            if cb is not None:
                _call_cb(cb, err if first else (self._destroy_error or err))
            first = False
        for cb in end_cbs or ():
            _call_cb(cb, self._destroy_error or err)

    def _fail_pending_callbacks(self, error: Optional[BaseException]) -> None:
        if self._close_before_connect is not None:
            return  # the 'close' listener does it
        queue, self._queue = self._queue, None
        drain_cbs, self._drain_cbs = self._drain_cbs, None
        end_cbs, self._end_cbs = self._end_cbs, None
        if not (queue or drain_cbs or end_cbs):
            return
        if error is None:
            if not self._was_connected:
                error = NodeError("Socket closed before the connection was established",
                                  "ERR_SOCKET_CLOSED_BEFORE_CONNECTION")
        write_err = error or _destroyed_error("write")
        for _, cb in queue or ():
            if cb is not None:
                _call_cb(cb, write_err)
        for cb in drain_cbs or ():
            _call_cb(cb, write_err)
        for cb in end_cbs or ():
            _call_cb(cb, error or _destroyed_error("end"))

    def resetAndDestroy(self: _SocketT) -> _SocketT:
        """Close with a TCP RST (SO_LINGER 0), discarding what is not sent yet."""
        transport = self._transport
        sock = transport.get_extra_info("socket") if transport is not None else None
        if sock is not None and sock.family in (_socket.AF_INET, _socket.AF_INET6):
            try:
                sock.setsockopt(_socket.SOL_SOCKET, _socket.SO_LINGER, struct.pack("ii", 1, 0))
            except OSError:
                pass
            if not self.destroyed:
                self._transport = None
                transport.abort()
        elif transport is None and self.connecting:
            self.once("connect", lambda *a: self.resetAndDestroy())
            return self
        return self.destroy()

    # -- timeouts --------------------------------------------------------
    def setTimeout(self: _SocketT, timeout: float, callback: Optional[Callable[..., Any]] = None) -> _SocketT:
        """Emit 'timeout' after ``timeout`` ms without reads or writes (0 disables)."""
        if isinstance(timeout, bool) or not isinstance(timeout, (int, float)):
            raise NodeTypeError('The "msecs" argument must be of type number. Received %r' % (timeout,),
                                "ERR_INVALID_ARG_TYPE")
        if timeout < 0 or timeout != timeout:
            raise NodeRangeError('The value of "msecs" is out of range. It must be a non-negative finite '
                                 'number. Received %r' % (timeout,), "ERR_OUT_OF_RANGE")
        self._timeout_ms = timeout
        if callback is not None:
            if not callable(callback):
                raise NodeTypeError('The "callback" argument must be of type function. Received %r'
                                    % (callback,), "ERR_INVALID_ARG_TYPE")
            if timeout:
                self.once("timeout", callback)
            else:
                self.removeListener("timeout", callback)
        self._clear_timer()
        if timeout and not self.destroyed:
            self._touch()
        return self

    @property
    def timeout(self) -> Optional[float]:
        return self._timeout_ms

    def _touch(self) -> None:
        """Activity: restart the idle countdown (armed lazily)."""
        if self._timeout_ms:
            self._last_active = self._loop.time()
            if self._timer is None and not self.destroyed:
                self._timer = self._loop.call_later(self._timeout_ms / 1000.0, self._on_timer)

    def _clear_timer(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _on_timer(self) -> None:
        self._timer = None
        if self.destroyed or not self._timeout_ms:
            return
        remaining = self._last_active + self._timeout_ms / 1000.0 - self._loop.time()
        if remaining > 0.001:
            self._timer = self._loop.call_later(remaining, self._on_timer)
            return
        # Once per idle period, as Node: the next activity arms it again.
        self.emit("timeout")

    # -- socket options and refs -------------------------------------------
    def _raw_socket(self) -> Any:
        transport = self._transport
        return transport.get_extra_info("socket") if transport is not None else None

    def setNoDelay(self: _SocketT, noDelay: bool = True) -> _SocketT:
        """TCP_NODELAY on (default) or off; remembered until connected."""
        self._no_delay = bool(noDelay)
        sock = self._raw_socket()
        # (the family we know already: socket.family builds an enum each time)
        if sock is not None and (self._family if self._family is not None else sock.family) \
                in (_socket.AF_INET, _socket.AF_INET6):
            try:
                sock.setsockopt(_socket.IPPROTO_TCP, _socket.TCP_NODELAY, 1 if noDelay else 0)
            except OSError:
                pass
        return self

    def setKeepAlive(self: _SocketT, enable: bool = False, initialDelay: float = 0) -> _SocketT:
        """SO_KEEPALIVE, with TCP_KEEPIDLE = initialDelay (ms, rounded to s) when given."""
        self._keep_alive = (bool(enable), initialDelay or 0)
        sock = self._raw_socket()
        if sock is not None and sock.family in (_socket.AF_INET, _socket.AF_INET6):
            try:
                sock.setsockopt(_socket.SOL_SOCKET, _socket.SO_KEEPALIVE, 1 if enable else 0)
                if enable and initialDelay and hasattr(_socket, "TCP_KEEPIDLE"):
                    sock.setsockopt(_socket.IPPROTO_TCP, _socket.TCP_KEEPIDLE,
                                    max(1, int(initialDelay // 1000)))
            except OSError:
                pass
        return self

    def ref(self: _SocketT) -> _SocketT:
        """Keep ``tls.run`` alive while this socket is open (the default)."""
        self._refed = True
        if not self.destroyed and (self._transport is not None or self.connecting):
            _runtime.ref_handle(self)
            if self._peer_ended:
                _runtime.handle_inactive(self, self._loop)
        return self

    # -- program lifetime after the peer ended ---------------------------
    # Node's TCP handle stops reading at EOF and is then active only while a
    # write is pending: a program whose only socket holds data nobody reads
    # after the peer ended exits (checked on Node 20).  The runtime asks
    # _handle_active once the socket said so (loopstate.handle_inactive).
    _peer_ended = False

    def _on_raw_eof(self) -> None:
        self._transport_ended()
        super()._on_raw_eof()

    def _transport_ended(self) -> None:
        """The transport saw the peer's FIN (TLSSocket calls it too)."""
        if not self._peer_ended:
            self._peer_ended = True
            _runtime.handle_inactive(self, self._loop)

    def _handle_active(self) -> bool:
        transport = self._transport
        return bool(self._queue) or (transport is not None and transport.get_write_buffer_size() > 0)

    def unref(self: _SocketT) -> _SocketT:
        """Let ``tls.run`` end while this socket is still open."""
        self._refed = False
        _runtime.unref_handle(self)
        return self

    # -- addresses -------------------------------------------------------
    def address(self) -> Dict[str, Any]:
        return _address_dict(self._sockname, self._family) or {}

    @property
    def remoteAddress(self) -> Optional[str]:
        return self._peer[0] if isinstance(self._peer, tuple) else None

    @property
    def remotePort(self) -> Optional[int]:
        return self._peer[1] if isinstance(self._peer, tuple) else None

    @property
    def remoteFamily(self) -> Optional[str]:
        return _family_name(self._family) if isinstance(self._peer, tuple) else None

    @property
    def localAddress(self) -> Optional[str]:
        return self._sockname[0] if isinstance(self._sockname, tuple) else None

    @property
    def localPort(self) -> Optional[int]:
        return self._sockname[1] if isinstance(self._sockname, tuple) else None

    @property
    def localFamily(self) -> Optional[str]:
        return _family_name(self._family) if isinstance(self._sockname, tuple) else None

    @property
    def readyState(self) -> str:
        if self.connecting:
            return "opening"
        if self.destroyed or self._transport is None:
            return "closed"
        readable = not self._eof
        writable = not self._ending
        if readable and writable:
            return "open"
        if readable:
            return "readOnly"
        if writable:
            return "writeOnly"
        return "closed"

    @property
    def pending(self) -> bool:
        return self._transport is None or self.connecting


Stream = Socket


def connect(*args: Any, **kwargs: Any) -> Socket:
    """net.connect(options[, cb]) / (port[, host][, cb]) / (path[, cb])."""
    options, cb = _normalize_connect_args(args, kwargs, NET_CONNECT, "connect")
    sock = Socket(options)
    return sock.connect(options, cb) if cb is not None else sock.connect(options)


createConnection = connect


