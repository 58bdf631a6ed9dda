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
order, error-first callbacks) are stated and implemented in ``stream.py``.  The
rest of the Socket is split by job into mixins of this folder: errors and closing
(``destroy``, 'error' / 'close') in socket_closing.py; the idle timeout, TCP
options, ref / unref and the addresses in socket_handle.py; reading into the
caller's buffer (``onread``) in onread.py.

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
from typing import Any, Deque, Dict, List, Optional, Tuple, TypeVar, Protocol

from asyncio import _get_running_loop

from . import runtime as _runtime
from .abort import add_abort_signal as _add_abort_signal
from .._base.addresses import isIP, isIPv4, isIPv6  # net's own functions
from .._base.errors import errno_error
from .._base.options import NET_CONNECT, NET_SOCKET, take_options
from .aio import AsyncSocketMixin  # read / async for / drain / endAsync / async with (aio.py)
from .connecting import ConnectingMixin
from .events import EventEmitter
from .fd_transport import FdTransport
from .netargs import _high_water_mark, _normalize_connect_args
from .onread import OnReadMixin
from .socket_closing import SocketClosingMixin
from .socket_handle import SocketHandleMixin
from .socket_protocol import _SocketProtocol
from .stream import StreamMixin

__all__ = ["Socket", "Stream", "connect", "createConnection", "isIP", "isIPv4", "isIPv6"]

_SocketT = TypeVar("_SocketT", bound="Socket")

HIGH_WATER_MARK = 16 * 1024


class _AcceptingServer(Protocol):
    """What a socket asks of the net.Server that accepted it (net_server.py implements it;
    a Protocol here, so that this module need not import the server module that imports it)."""

    def _accepted(self, sock: "Socket") -> None: ...
    def _swap_connection(self, old: "Socket", new: "Socket") -> None: ...
    def _connection_closed(self, sock: "Socket") -> None: ...



class TakenOptions(dict):  # type: ignore[type-arg]
    """Options of a ``net.Socket`` the package built itself from keys of NET_SOCKET (a server's
    accepted sockets, a TLSSocket's net side): the constructor takes them as they are, the option
    rule's key checks being for the user's dicts (their values are still validated).  The caller
    does not mutate them afterwards; the socket only reads them."""

    __slots__ = ()

class Socket(SocketClosingMixin, SocketHandleMixin, ConnectingMixin, OnReadMixin, StreamMixin, EventEmitter,
             AsyncSocketMixin):
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
        opts = options if type(options) is TakenOptions and not kwargs \
            else take_options(options, kwargs, NET_SOCKET, "Socket")
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
            signal = opts.get("signal")
            if signal is not None:   # (None: no signal, without the call)
                _add_abort_signal(self, signal)  # Node's stream.addAbortSignal (abort.py)
            if opts.get("onread") is not None:
                self._set_onread(opts["onread"])   # reads into the caller's buffer (onread.py)
        loop = _get_running_loop()   # (loopstate.running_loop, one call less per socket)
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
        # the descriptor transport's extras read from its dict (three method calls per connection)
        extra = transport._extra.get if type(transport) is FdTransport else transport.get_extra_info
        sock = extra("socket")
        if sock is None:
            return
        sockname = extra("sockname")
        if type(sockname) is tuple and len(sockname) in (2, 4):
            self._family = _socket.AF_INET6 if len(sockname) == 4 else _socket.AF_INET
        else:
            self._family = sock.family
        peer = extra("peername")
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
        _runtime.handle_closed(other, other._loop)
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


Stream = Socket


def connect(*args: Any, **kwargs: Any) -> Socket:
    """net.connect(options[, cb]) / (port[, host][, cb]) / (path[, cb])."""
    options, cb = _normalize_connect_args(args, kwargs, NET_CONNECT, "connect")
    sock = Socket(options)
    return sock.connect(options, cb) if cb is not None else sock.connect(options)


createConnection = connect


