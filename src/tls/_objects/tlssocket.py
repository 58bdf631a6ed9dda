"""TLSSocket: Node's lib/internal/tls/wrap.js on asyncio (tls.Server: server.py, tls.connect: connect.py).

A TLSSocket is a net.Socket whose raw hooks run a TLSEngine: bytes from the
transport are fed to the engine, plaintext comes out as 'data'; user writes
are encrypted and the records go to the transport.  Writes made before the
handshake completes are queued by net.Socket until ``_set_ready``.

Error routing is Node's: on a client every error reaches 'error'.  A server
socket has not "released control" until 'secureConnection'; until then its
TLS errors and a hang-up go to ``server.emit('tlsClientError', err, socket)``
once, and never to the server's 'error'.  A standalone TLSSocket never
releases control: its errors reach its own 'error' listeners, and never
throw for want of one.  That routing and the listeners a tls.Server puts on
its sockets are the mixin of tlssocket_routing.py; the getters and setters of
a connected socket (certificates, cipher, session, renegotiation) the mixin of
tlssocket_info.py.

What is wired where follows wrap.js, because it decides what a standalone
socket does: tls.Server adds the 'secure' listener that verifies a client
certificate and emits 'secureConnection' (onServerSocketSecure) plus the
'_tlsError' / 'close' listeners behind 'tlsClientError'; tls.connect adds
the 'secure' listener that verifies the server (chain, then
checkServerIdentity) and emits 'secureConnect' (onConnectSecure) and turns
an EOF before it into ECONNRESET with the connect options' host/port
(onConnectEnd).  A bare ``TLSSocket(sock)`` client starts its handshake with
the first write and only emits 'secure'.

Ordering detail kept from Node: 'secure' runs before the last handshake
flight is sent, so a socket destroyed by its 'secure' listeners (a rejected
certificate) never sends it; the peer then sees a hang-up.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable, Dict, Hashable, Optional, TypeVar, Union, overload

if TYPE_CHECKING:
    from typing import Literal


    # events whose listeners get no argument
    _SocketNoArgEvent = Literal["secureConnect", "connect", "ready", "end", "finish", "drain", "timeout"]

from .._node import runtime as _runtime
from .._node import net
from .._node.timer_list import TimerList
from .._node.socket import TakenOptions
from .._base.encoding import to_bytes
from .._engine.engine import TLSEngine
from .._base.errors import NodeError, NodeTypeError
from .._engine.context import SecureContext
from .configure_context import createSecureContext
from .public_names import PUBLIC
from .counters import ServerCounters
from . import x509_certificate as _x509_certificate
from . import cli_flags as _cli_flags
from .._protocol import ocsp as _ocsp
from .._protocol import renegotiation as _renegotiation
from .._protocol import extras as _extras
from .._protocol import sessions as _sessions
from .._protocol import negotiation as _negotiation
from .._protocol.connection import TLSConnection
from .stream_transport import StreamTransport
from .tlssocket_info import TLSSocketInfo
from .tlssocket_routing import TLSSocketRouting, _conn_reset
from . import csocket as _csocket
from .life import SECURED, TRANSITIONS, UNSTARTED, Life, Route
from .._base.options import NET_SOCKET, TLS_SOCKET, take_options


class _ServerSocketOptions(dict):  # type: ignore[type-arg]
    """The options a tls.Server gives each connection's TLSSocket (tlsConnectionListener): built
    fresh per connection from valid keys, so TLSSocket takes them as they are (the option rule's
    checks are for the user's dicts)."""

    __slots__ = ()


__all__ = ["TLSSocket"]

_TLSSocketT = TypeVar("_TLSSocketT", bound="TLSSocket")

_HIGH_WATER_MARKS = tuple(name for name in NET_SOCKET.options if name.endswith("ighWaterMark"))


class TLSSocket(TLSSocketRouting, TLSSocketInfo, _extras.TLSSocketExtras, net.Socket):
    """Node's tls.TLSSocket: wraps a net.Socket (or any duplex stream) in TLS.

    Error routing is Node's: until ``_releaseControl()`` (tls.connect does it
    at once, a tls.Server at 'secureConnection', a standalone socket never)
    an internal 'error' listener (``_tlsError``) re-emits every error as
    '_tlsError', so an unreleased socket never throws for want of an 'error'
    listener; the server turns '_tlsError' and an error-less 'close' into
    one 'tlsClientError'.
    """

    _conn: TLSConnection
    # what the TLS events pass (events.py: a listener taking that many is stored unwrapped)
    _declared_event_args = {"secureConnect": 0, "secure": 0, "session": 1, "keylog": 1, "OCSPResponse": 1,
                            "_tlsError": 1}
    #: the tls.Server's counters a server socket reports to (set by the server's connection listener)
    _counters: Optional[ServerCounters] = None
    #: why a server socket rejected its client's certificate (its 'tlsClientError' says so)
    _rejected_for: Optional[NodeError] = None
    #: Node's TLS writes complete a tick later: flushed queued bytes still count in writableLength
    #: until then (StreamMixin._set_ready; measured in tests/test_paused_mode_writable.py)
    _hold_flushed_length = True
    #: onread (tls._node.onread): the transport carries ciphertext; the plaintext is copied into the buffer
    _onread_in_place = False
    # (unless TLS_C_SOCKET=0) tls.connect's own TCP connection gets a descriptor transport C can drive
    if _csocket.TRANSPORT_FACTORY is not None:
        _fd_transport_factory = staticmethod(_csocket.TRANSPORT_FACTORY)

    # The connection owns the engine and the per-connection feature state
    # (tls._protocol.*); the socket is its ConnectionOwner.  The engine is
    # read by the socket's getters (None once destroyed).
    @property
    def _engine(self) -> Optional[TLSEngine]:
        return self._conn.engine

    if TYPE_CHECKING:
        # The listener shapes of the usual events, for type checkers and editors only (at run
        # time EventEmitter.on / once run).  Any other event, or a listener of another shape,
        # takes the last overload: they describe and infer, they do not reject.
        @overload
        def on(self: _TLSSocketT, event: _SocketNoArgEvent, listener: Callable[[], Any]) -> _TLSSocketT: ...
        @overload
        def on(self: _TLSSocketT, event: Literal["data"], listener: Callable[[Union[bytes, str]], Any]
               ) -> _TLSSocketT: ...
        @overload
        def on(self: _TLSSocketT, event: Literal["error"], listener: Callable[[BaseException], Any]) -> _TLSSocketT: ...
        @overload
        def on(self: _TLSSocketT, event: Literal["close"], listener: Callable[[bool], Any]) -> _TLSSocketT: ...
        @overload
        def on(self: _TLSSocketT, event: Literal["session", "keylog"], listener: Callable[[bytes], Any]
               ) -> _TLSSocketT: ...
        @overload
        def on(self: _TLSSocketT, event: Literal["OCSPResponse"], listener: Callable[[Optional[bytes]], Any]
               ) -> _TLSSocketT: ...
        @overload
        def on(self: _TLSSocketT, event: Hashable, listener: Callable[..., Any]) -> _TLSSocketT: ...
        def on(self: _TLSSocketT, event: Hashable, listener: Callable[..., Any]) -> _TLSSocketT: ...

        once = on
        addListener = on
        prependListener = on
        prependOnceListener = on

    def __init__(self, socket: Any = None, options: Optional[Dict[str, Any]] = None, **kwargs: Any) -> None:
        opts: Dict[str, Any] = options if type(options) is _ServerSocketOptions and not kwargs \
            else take_options(options, kwargs, TLS_SOCKET, "TLSSocket")
        half_open = getattr(socket, "allowHalfOpen", False) if socket is not None else opts.get("allowHalfOpen")
        # the net.Socket options (buffer sizes) go to the socket underneath
        if opts is options and type(opts) is _ServerSocketOptions:   # (no buffer sizes, signal, onread)
            super().__init__(TakenOptions({"allowHalfOpen": bool(half_open), "signal": None, "onread": None}))
        else:
            super().__init__(TakenOptions({**{name: opts[name] for name in _HIGH_WATER_MARKS if name in opts},
                                           "allowHalfOpen": bool(half_open), "signal": opts.get("signal"),
                                           "onread": opts.get("onread")}))
        self.encrypted = True
        self.authorized = False
        self.authorizationError: Optional[str] = None
        self.alpnProtocol: Any = None
        self.npnProtocol: Any = None
        self.servername: Any = None
        self.secureConnecting = True
        self._tls_options = opts
        self._is_server = bool(opts.get("isServer"))
        self.server: Optional[net.Server] = opts.get("server")   # a tls.Server, or a plain net.Server
        # Node's _secureEstablished, _hadError, a started / pending handshake (tls._objects.life)
        self._life = Life.NEW
        # Node's _controlReleased and kErrorEmitted: where TLS errors go (tls._objects.life)
        self._route = Route.HELD
        self._handshake_timer: Any = None
        self._connect_options: Optional[Dict[str, Any]] = None   # kConnectOptions (tls.connect)
        # Clients always request the certificate; servers only when asked.
        self._requestCert = bool(opts.get("requestCert")) or not self._is_server
        self._rejectUnauthorized = bool(opts.get("rejectUnauthorized"))
        context = opts.get("secureContext")
        if context is None:  # tls.createSecureContext as the module has it now (public_names.py)
            context = PUBLIC.get("createSecureContext", createSecureContext)(opts)
        elif type(context) is not SecureContext and not isinstance(context, SecureContext):
            raise NodeTypeError("context must be a SecureContext", "ERR_TLS_INVALID_CONTEXT")
        self._secure_context = context
        conn = self._conn = TLSConnection(context, self._is_server, self)
        # The per-write entry point is the connection's own method, bound
        # once: net.Socket calls it directly (no forwarding call on the hot
        # path); the per-read one follows once the handshake started (_set_life).
        self._write_chunk = conn.write_chunk  # type: ignore[method-assign]
        self._configure_engine(opts)
        if _x509_certificate.trace_option(_cli_flags.trace_default(opts.get("enableTrace"))):
            self.enableTrace()
        _cli_flags.socket_created(self)  # --tls-keylog (python -m tls run)
        _extras.configure(conn, opts)  # pskCallback / pskIdentityHint
        _sessions.configure(conn, opts)  # session option, 'session' / 'newSession' / 'resumeSession'
        _negotiation.configure(conn, opts)  # ALPN, ALPNCallback, NPN, SNICallback
        self._tls_error_listener = self._tlsError
        self._add_own("error", self._tls_error_listener)
        timeout = opts.get("handshakeTimeout")
        # (type() first: the server's int, without isinstance's calls, once per connection)
        if (type(timeout) is int or type(timeout) is float
                or (isinstance(timeout, (int, float)) and not isinstance(timeout, bool))) and timeout > 0:
            if type(options) is _ServerSocketOptions:
                # a tls.Server's connections share one loop timer per duration (timer_list.py)
                server: Any = self.server
                timers = server._handshake_timers
                if timers is None or timers.loop is not self._loop or timers.delay != timeout / 1000.0:
                    timers = server._handshake_timers = TimerList(self._loop, timeout / 1000.0)
                self._handshake_timer = timers.start(self._handleTimeout)
            else:
                self._handshake_timer = self._loop.call_later(timeout / 1000.0, self._handleTimeout)
        self._parent: Any = None
        if socket is not None:
            self._wrap(socket)

    # Node's _parent, the net.Socket under a server's TLSSocket: made on first access when the
    # server accepted straight into the TLSSocket (tls.Server._on_accepted_transport), in the
    # state the eager one would be in (detached, its transport taken; destroyed with this socket,
    # its 'close' right before this socket's).
    _parent_socket: Any = None
    _lazy_parent = False

    @property
    def _parent(self) -> Any:
        if self._lazy_parent:
            return self._make_lazy_parent()
        return self._parent_socket

    @_parent.setter
    def _parent(self, socket: Any) -> None:
        self._parent_socket = socket

    def _make_lazy_parent(self) -> Any:
        self._lazy_parent = False
        server: Any = self.server
        raw = server._socket_class(server._socket_options)   # what net.Server would have made
        raw._loop = self._loop
        raw._call_site = self._call_site
        raw._server = raw.server = server
        raw._peer, raw._sockname, raw._family = self._peer, self._sockname, self._family
        raw._was_connected = True
        raw._ready = True
        raw._detached = True
        raw._adopter = self
        raw._add_own("close", lambda *a: self.destroy())
        raw._add_own("error", self._on_parent_error)
        if self.destroyed:
            # destroyed with this socket; its 'close' still comes right before this socket's
            raw.destroyed = True
            if self._close_emitted:
                raw._close_emitted = True
            elif self._rider is None:
                raw._riding = True
                self._rider = raw
        self._parent_socket = raw
        return raw

    def _set_life(self, life: Life) -> None:
        # life.check, inlined (three transitions per connection)
        assert life in TRANSITIONS[self._life], "illegal TLSSocket transition %s -> %s" % (self._life, life)
        self._life = life
        if life is Life.HANDSHAKING:
            # from now on bytes from the transport go straight to the connection
            self._on_raw_data = self._conn.on_raw_data  # type: ignore[method-assign]
            if _csocket.ENABLED:
                _csocket.adopt(self)   # a plain TCP descriptor: C reads and sends from now on

    def _set_route(self, route: Route) -> None:
        assert route in TRANSITIONS[self._route], "illegal TLSSocket transition %s -> %s" % (self._route, route)
        self._route = route

    @property
    def _controlReleased(self) -> bool:
        """Node's field: errors reach the socket's own 'error' listeners."""
        return self._route is Route.RELEASED

    @property
    def _secureEstablished(self) -> bool:
        """Node's field: the (first) handshake is done."""
        return self._life in SECURED

    # -- await sock (tls._node.aio): a client is established at 'secureConnect' (verified),
    # a server socket at 'secure'
    @property
    def _established_event(self) -> str:  # type: ignore[override]
        return "secure" if self._is_server else "secureConnect"

    def _is_established(self) -> bool:
        return self._secureEstablished if self._is_server else not self.secureConnecting

    # -- ConnectionOwner: what the protocol features (tls._protocol) ask of the socket
    def _next_tick(self, callback: Callable[..., Any], *args: Any) -> None:
        """Run ``callback(*args)`` on Node's next tick."""
        _runtime.nextTick(callback, *args)

    def _emit_tls_event(self, event: str, *args: Any) -> bool:
        """'session', 'OCSPResponse', 'keylog': Node's events of this socket."""
        return self.emit(event, *args)

    def _before_secure(self, listener: Callable[[], Any]) -> None:
        self.prependListener("secure", lambda *a: listener())

    def _on_first_tls_listener(self, event: str, hook: Callable[[], Any]) -> None:
        self._on_first_listener(event, lambda _socket: hook())

    def _server_listens(self, event: str) -> bool:
        # server.listenerCount(event) > 0, read from the emitter's table: asked three times
        # per server connection (sessions, OCSP), one Python call each instead of four
        try:
            events = self.server._events   # type: ignore[union-attr]
        except AttributeError:   # no server, or not an EventEmitter
            return False
        return events is not None and events.get(event, ()) != ()

    def _emit_server_event(self, event: str, *args: Any) -> bool:
        server = self.server
        return server is not None and bool(server.emit(event, *args))

    def _server_context(self) -> Optional[SecureContext]:
        """The tls.Server's context (a TLSSocket of a plain net.Server has none)."""
        return getattr(self.server, "_shared_creds", None)

    def _configure_engine(self, opts: Dict[str, Any]) -> None:
        conn = self._conn
        conn.set_verify_mode(self._requestCert, self._rejectUnauthorized)
        _renegotiation.configure(conn)   # C info callback: a 2nd 'secure', CLIENT_RENEG_LIMIT
        _ocsp.configure(conn, opts)      # sets conn.ocsp (None unless OCSP is wired)

    # -- wiring to the underlying connection ----------------------------
    def _wrap(self, socket: Any) -> None:
        self._parent = socket
        # A TLSSocket is a net.Socket too, but TLS inside TLS runs over the outer socket's
        # plaintext (Node's JSStreamSocket over the TLSSocket as a duplex), never its raw TCP.
        if isinstance(socket, net.Socket) and not isinstance(socket, TLSSocket):
            # Node: the wrapped socket's close destroys the TLS socket, its
            # errors are TLS errors.
            socket._add_own("close", lambda *a: self.destroy())
            socket._add_own("error", self._on_parent_error)
            if socket._transport is not None:
                self._take_transport_from(socket)
                # Node: bytes the socket already read (and nobody consumed)
                # are the start of the TLS stream.
                pending, socket._rbuf, socket._rbuf_size = socket._rbuf, None, 0
                for chunk in pending or ():
                    self._on_raw_data(chunk)
                return
            if socket.connecting:
                self.connecting = True
                _runtime.ref_handle(self)

                def on_connect(*_: Any) -> None:
                    self.connecting = False
                    if self.destroyed or socket._transport is None:
                        return
                    self._take_transport_from(socket)
                    self.emit("connect")
                    if self._life is Life.WAITING or (not self._is_server and self._queue):
                        self._start()

                socket.once("connect", on_connect)
                return
        if hasattr(socket, "write") and hasattr(socket, "on"):
            self._wrap_stream(socket)
            return
        raise NodeTypeError('The "options.socket" property must be a stream.Duplex', "ERR_INVALID_ARG_TYPE")

    def _after_stream_write(self, cb: Optional[Callable[..., Any]]) -> None:
        """``_after_write`` over a stream: ``cb`` waits, with 'drain', for the stream's write
        callbacks of the records it was encrypted into (Node's JSStreamSocket finishes the TLS
        write from there).  Those records go out with the cork's flush, before the check below;
        if they were all called back already (or there were none), the write is done then."""
        if cb is None:
            return
        self._write_paused = True
        if self._drain_cbs is None:
            self._drain_cbs = []
        self._drain_cbs.append(cb)
        self._loop.call_soon(self._release_if_stream_idle)

    def _release_if_stream_idle(self) -> None:
        transport = self._transport
        if self._write_paused and not self.destroyed and isinstance(transport, StreamTransport) \
                and not transport.in_flight():
            self._on_write_drained()

    def _on_parent_error(self, err: BaseException) -> None:
        if not self.destroyed:
            self.destroy(self._tlsError(err))

    def _wrap_stream(self, stream: Any) -> None:
        """Any Node-style duplex stream carries the ciphertext (Node's JSStreamSocket)."""
        self._transport = StreamTransport(self, stream)
        # a write completes when the stream calls back (stream_transport.py), not on the next tick
        self._after_write = self._after_stream_write  # type: ignore[method-assign]
        _runtime.ref_handle(self)
        stream.on("data", lambda chunk: self._on_raw_read(memoryview(to_bytes(chunk))))
        stream.on("end", lambda *a: self._on_raw_eof())
        stream.on("error", self._on_parent_error)
        stream.on("close", lambda *a: self._on_connection_lost(None))
        if hasattr(stream, "resume"):
            stream.resume()

    def _on_connect(self) -> None:
        """TCP connected (tls.connect without a socket): 'connect', 'ready', start TLS."""
        self.emit("connect")
        self.emit("ready")
        self._start()

    def _start(self) -> None:
        """Begin the handshake (a client sends its ClientHello)."""
        if self._life not in UNSTARTED or self.destroyed:
            return
        if self._transport is None:
            # a wrapped socket still connecting: start once it is connected
            if self._life is Life.NEW:
                self._set_life(Life.WAITING)
            return
        self._set_life(Life.HANDSHAKING)
        if not self._is_server:
            self._conn.cycle()

    def _on_queued_write(self) -> None:
        # A standalone client socket starts its handshake with the first write (as in Node).
        if self._life in UNSTARTED and not self._is_server and self._transport is not None \
                and not self.destroyed:
            self._start()

    # -- the engine loop (tls._protocol.connection) -------------------------
    def _on_raw_data(self, data: Any) -> None:
        # Only until the handshake started (then the connection's own method
        # takes this name, see _set_life): the first bytes start it.
        conn = self._conn
        if conn.engine is not None and conn.hello_parser is None and self._life in UNSTARTED:
            self._set_life(Life.HANDSHAKING)
        conn.on_raw_data(data)

    def _on_raw_eof(self) -> None:
        self._transport_ended()  # the program may end now (net.Socket._transport_ended)
        if not self._conn.on_raw_eof():
            self._hang_up()

    def _hang_up(self) -> None:
        """The transport ended before the handshake finished."""
        if self.destroyed:
            return
        if self._connect_options is not None:
            # Node: 'end' arrives with onConnectEnd as its first listener,
            # which destroys with ECONNRESET; the user's 'end' listeners
            # still run, then 'error' and 'close' follow.
            self._on_connect_end()
            if not self._ended_emitted:
                self._ended_emitted = True
                self.emit("end")
        elif self._is_server:
            # Node: the socket closes without an error; a server hears
            # 'tlsClientError' ECONNRESET "socket hang up" from its 'close'.
            self.destroy()
        else:
            self._push_eof()

    def _on_connect_end(self) -> None:
        """Node's onConnectEnd (tls.connect): EOF before 'secureConnect'."""
        if self._life is Life.FAILED or self._life is Life.ERRORED:
            return
        self._set_life(Life.FAILED)
        opts = self._connect_options or {}
        self.destroy(_conn_reset(
            "Client network socket disconnected before secure TLS connection was established",
            path=opts.get("path"), host=opts.get("host"), port=opts.get("port"),
            localAddress=opts.get("localAddress")))

    def destroy(self: _TLSSocketT, error: Optional[BaseException] = None) -> _TLSSocketT:
        conn = self._conn
        if conn.corked and not self.destroyed:
            conn.flush()  # corked records go out first (Node's write is synchronous)
        super().destroy(error)
        return self

    # -- handshake done ---------------------------------------------------
    def _finishInit(self) -> None:
        engine = self._conn.engine   # (the _engine property's read, without its call)
        if engine is None:
            return
        self.alpnProtocol, self.npnProtocol = _negotiation.negotiated(self._conn)
        if self.servername is None:
            self.servername = engine.servername() or False
        self._set_life(Life.SECURE)
        self._cancel_handshake_timer()
        self.emit("secure")
        if not self.destroyed and self._conn.engine is not None:
            self._set_ready()

    @property
    def bytesRead(self) -> int:
        """Plaintext bytes received, as Node counts them on a TLSSocket (the network's bytes, records
        included, are what ``tls.Server.getCounters()`` reports)."""
        return self._conn.plaintext_received

    def _verify_error(self) -> Optional[NodeError]:
        return self._conn.verify_error()

    # -- writing (tls._protocol.connection) -----------------------------------
    def _write_chunk(self, chunk: bytes, cb: Optional[Callable[..., Any]]) -> None:
        self._conn.write_chunk(chunk, cb)  # replaced per instance by the connection's

    def _shutdown_write(self) -> None:
        self._conn.shutdown_write()

    def _send_fin(self) -> None:
        """ConnectionOwner: the transport's FIN, after close_notify."""
        super()._shutdown_write()

    def _on_connection_lost(self, exc: Optional[BaseException]) -> None:
        if exc is None and not self._secureEstablished and not self.destroyed \
                and not _runtime.program_ended(self._loop):  # (nothing after an uncaught exception)
            self._transport = None
            engine = self._conn.engine
            if engine is not None:
                engine.feed_eof()
            self._hang_up()
            if not self.destroyed:
                self.destroy()
            return
        super()._on_connection_lost(exc)

    def _on_destroy(self) -> None:
        self._cancel_handshake_timer()
        self._conn.free()
        parent = self._parent_socket   # (not made for this: nobody saw it)
        # Node: destroying the TLS socket destroys the socket it wraps.
        if parent is not None and hasattr(parent, "destroy") and not getattr(parent, "destroyed", False):
            if isinstance(parent, net.Socket):
                self.ride_destroy(parent)   # its events in our loop callbacks (socket_closing.py)
            else:
                parent.destroy()

    def _on_destroy_queues_nothing(self) -> bool:
        # _on_destroy destroys the wrapped socket when there is one (which may queue its callbacks)
        return self._parent_socket is None and type(self)._on_destroy is TLSSocket._on_destroy

    def resetAndDestroy(self: _TLSSocketT) -> _TLSSocketT:
        # Node: only a plain TCP handle can be reset; a TLS socket's handle is TLSWrap.
        raise NodeError("Invalid handle type", "ERR_INVALID_HANDLE_TYPE")

    def address(self) -> Dict[str, Any]:
        if self._sockname is None and isinstance(self._parent, net.Socket):
            return self._parent.address()
        return super().address()
