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
throw for want of one.

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
from .._base.encoding import to_bytes
from .._engine.engine import TLSEngine
from .._base.errors import NodeError, NodeTypeError
from .._base.validators import received as _received
from .._engine.context import SecureContext
from .configure_context import createSecureContext
from .public_names import PUBLIC
from .counters import ServerCounters
from . import x509 as _x509
from . import x509_certificate as _x509_certificate
from .._protocol import keyexchange as _keyexchange
from .._protocol import ocsp as _ocsp
from .._protocol import renegotiation as _renegotiation
from .._protocol import extras as _extras
from .._protocol import sessions as _sessions
from .._protocol import negotiation as _negotiation
from .._protocol.connection import TLSConnection
from .stream_transport import StreamTransport
from . import csocket as _csocket
from .life import SECURED, UNSTARTED, Life, Route, check as _check
from .._base.options import NET_SOCKET, RENEGOTIATE, TLS_SOCKET, take_options

__all__ = ["TLSSocket"]

_TLSSocketT = TypeVar("_TLSSocketT", bound="TLSSocket")



def _conn_reset(message: str, **attrs: Any) -> NodeError:
    return NodeError(message, "ECONNRESET", **attrs)


_HIGH_WATER_MARKS = tuple(name for name in NET_SOCKET.options if name.endswith("ighWaterMark"))



class TLSSocket(_extras.TLSSocketExtras, net.Socket):
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
    #: Node's TLS writes complete a tick later: flushed queued bytes still count in writableLength
    #: until then (StreamMixin._set_ready; measured in tests/test_paused_mode_writable.py)
    _hold_flushed_length = True
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
        opts = take_options(options, kwargs, TLS_SOCKET, "TLSSocket")
        half_open = getattr(socket, "allowHalfOpen", False) if socket is not None else opts.get("allowHalfOpen")
        # the net.Socket options (buffer sizes) go to the socket underneath
        super().__init__({**{name: opts[name] for name in _HIGH_WATER_MARKS if name in opts},
                          "allowHalfOpen": bool(half_open)})
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
        elif not isinstance(context, SecureContext):
            raise NodeTypeError("context must be a SecureContext", "ERR_TLS_INVALID_CONTEXT")
        self._secure_context = context
        conn = self._conn = TLSConnection(context, self._is_server, self)
        # The per-write entry point is the connection's own method, bound
        # once: net.Socket calls it directly (no forwarding call on the hot
        # path); the per-read one follows once the handshake started (_set_life).
        self._write_chunk = conn.write_chunk  # type: ignore[method-assign]
        self._configure_engine(opts)
        if _x509_certificate.trace_option(opts.get("enableTrace")):
            self.enableTrace()
        _extras.configure(conn, opts)  # pskCallback / pskIdentityHint
        _sessions.configure(conn, opts)  # session option, 'session' / 'newSession' / 'resumeSession'
        _negotiation.configure(conn, opts)  # ALPN, ALPNCallback, NPN, SNICallback
        self._tls_error_listener = self._tlsError
        self.on("error", self._tls_error_listener)
        timeout = opts.get("handshakeTimeout")
        if isinstance(timeout, (int, float)) and not isinstance(timeout, bool) and timeout > 0:
            self._handshake_timer = self._loop.call_later(timeout / 1000.0, self._handleTimeout)
        self._parent: Any = None
        if socket is not None:
            self._wrap(socket)

    def _set_life(self, life: Life) -> None:
        self._life = _check(self._life, life)
        if life is Life.HANDSHAKING:
            # from now on bytes from the transport go straight to the connection
            self._on_raw_data = self._conn.on_raw_data  # type: ignore[method-assign]
            if _csocket.ENABLED:
                _csocket.adopt(self)   # a plain TCP descriptor: C reads and sends from now on

    def _set_route(self, route: Route) -> None:
        self._route = _check(self._route, route)

    @property
    def _controlReleased(self) -> bool:
        """Node's field: errors reach the socket's own 'error' listeners."""
        return self._route is Route.RELEASED

    @property
    def _secureEstablished(self) -> bool:
        """Node's field: the (first) handshake is done."""
        return self._life in SECURED

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
        server = self.server
        return server is not None and hasattr(server, "listenerCount") and server.listenerCount(event) > 0

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

    def renegotiate(self, options: Any = None, callback: Optional[Callable[..., Any]] = None) -> Optional[bool]:
        """Start a TLS renegotiation (TLS 1.2 and older); ``callback(err)`` when it is done.

        Returns True when started, False when OpenSSL refused (the error then
        goes to ``callback`` on the next tick), None on a destroyed socket.
        """
        if not isinstance(options, dict):
            raise NodeTypeError('The "options" argument must be of type object. %s' % _received(options),
                                "ERR_INVALID_ARG_TYPE")
        if callback is not None and not callable(callback):
            raise NodeTypeError('The "callback" argument must be of type function. %s' % _received(callback),
                                "ERR_INVALID_ARG_TYPE")
        options = take_options(options, None, RENEGOTIATE, "renegotiate")
        if self.destroyed or self._engine is None:
            return None
        request_cert = bool(self._requestCert)
        reject_unauthorized = bool(self._rejectUnauthorized)
        if options.get("requestCert") is not None:
            request_cert = bool(options["requestCert"])
        if options.get("rejectUnauthorized") is not None:
            reject_unauthorized = bool(options["rejectUnauthorized"])
        if request_cert != self._requestCert or reject_unauthorized != self._rejectUnauthorized:
            self._conn.set_verify_mode(request_cert, reject_unauthorized)
            self._requestCert = request_cert
            self._rejectUnauthorized = reject_unauthorized
        engine = self._engine
        try:
            # only sets OpenSSL's flags (no callbacks): safe even from a
            # pskCallback, and gives Node's synchronous true / false
            engine.renegotiate()
        except NodeError as err:
            if callback is not None:
                _runtime.nextTick(callback, err)
            return False
        start = self._conn.start_renegotiation
        if not engine.defer(start):  # from a hook: once OpenSSL returned
            start()
        if callback is not None:
            self.once("secure", lambda *a: callback(None))
        return True

    def disableRenegotiation(self) -> None:
        """Later renegotiations of the peer emit 'error' ERR_TLS_RENEGOTIATION_DISABLED."""
        _renegotiation.disable(self._conn)

    def getEphemeralKeyInfo(self) -> Optional[Dict[str, Any]]:
        return _keyexchange.ephemeral_key_info(self._conn)

    def setMaxSendFragment(self, size: Any) -> bool:
        return _keyexchange.set_max_send_fragment(self._conn, size)

    # -- Node's error plumbing ----------------------------------------------
    def _tlsError(self, err: BaseException) -> Optional[BaseException]:
        self.emit("_tlsError", err)
        if self._controlReleased:
            return err
        return None

    def _emitTLSError(self, err: BaseException) -> None:
        e = self._tlsError(err)
        if e is not None:
            self.emit("error", e)

    def _releaseControl(self) -> bool:
        if self._route is Route.RELEASED:
            return False
        self._set_route(Route.RELEASED)
        self.removeListener("error", self._tls_error_listener)
        return True

    def _on_ssl_error(self, err: BaseException) -> None:
        """Node's ssl.onerror: a fatal TLS error from the engine."""
        life = self._life
        if life is Life.FAILED or life is Life.ERRORED or self.destroyed:
            return
        if life is not Life.SECURE:
            self._set_life(Life.FAILED)
            # Before the handshake is done: destroy with the error; an
            # unreleased socket hands it to '_tlsError' (-> tlsClientError).
            self.destroy(err)
            return
        self._set_life(Life.ERRORED)
        if self._is_server and self._rejectUnauthorized and \
                "peer did not return a certificate" in str(err):
            self.destroy()
        else:
            self.destroy(self._tlsError(err))

    def _handleTimeout(self) -> None:
        self._handshake_timer = None
        if not self._secureEstablished and not self.destroyed:
            self._emitTLSError(NodeError("TLS handshake timeout", "ERR_TLS_HANDSHAKE_TIMEOUT"))

    def _cancel_handshake_timer(self) -> None:
        timer, self._handshake_timer = self._handshake_timer, None
        if timer is not None:
            timer.cancel()

    # -- wiring to the underlying connection ----------------------------
    def _wrap(self, socket: Any) -> None:
        self._parent = socket
        # A TLSSocket is a net.Socket too, but TLS inside TLS runs over the outer socket's
        # plaintext (Node's JSStreamSocket over the TLSSocket as a duplex), never its raw TCP.
        if isinstance(socket, net.Socket) and not isinstance(socket, TLSSocket):
            # Node: the wrapped socket's close destroys the TLS socket, its
            # errors are TLS errors.
            socket.on("close", lambda *a: self.destroy())
            socket.on("error", self._on_parent_error)
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

    def _on_parent_error(self, err: BaseException) -> None:
        if not self.destroyed:
            self.destroy(self._tlsError(err))

    def _wrap_stream(self, stream: Any) -> None:
        """Any Node-style duplex stream carries the ciphertext (Node's JSStreamSocket)."""
        self._transport = StreamTransport(self, stream)
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
        engine = self._engine
        if engine is None:
            return
        self.alpnProtocol, self.npnProtocol = _negotiation.negotiated(self._conn)
        if self.servername is None:
            self.servername = engine.servername() or False
        self._set_life(Life.SECURE)
        self._cancel_handshake_timer()
        self.emit("secure")
        if not self.destroyed and self._engine is not None:
            self._set_ready()

    @property
    def bytesRead(self) -> int:
        """Plaintext bytes received, as Node counts them on a TLSSocket (the network's bytes, records
        included, are what ``tls.Server.getCounters()`` reports)."""
        return self._conn.plaintext_received

    def _verify_error(self) -> Optional[NodeError]:
        return self._conn.verify_error()

    def _on_server_socket_secure(self) -> None:
        """Node's onServerSocketSecure (a 'secure' listener set by tls.Server)."""
        server = self.server
        assert server is not None and self._counters is not None, "a listener of tls.Server's sockets only"
        self._counters.handshake(self.isSessionReused() is True)
        if self._requestCert:
            err = self._verify_error()
            if err is not None:
                self.authorizationError = err.code
                if self._rejectUnauthorized:
                    self.destroy()
            else:
                self.authorized = True
        if not self.destroyed and self._releaseControl():
            self.secureConnecting = False
            # Measured on Node 20: in TLS 1.2 a write in a 'secureConnection'
            # listener goes out at once (with the server's last flight), so
            # write() + destroy() there still delivers it; in TLS 1.3 Node holds
            # such writes until the listeners have returned (then a synchronous
            # destroy() drops them).  See tests/test_interop_node.py.
            engine = self._engine
            if engine is not None and engine.protocol() != "TLSv1.3":
                self._set_ready()
            server.emit("secureConnection", self)

    def _on_server_socket_tls_error(self, err: BaseException) -> None:
        if self._route is Route.HELD:
            self._set_route(Route.REPORTED)
            server = self.server
            assert server is not None and self._counters is not None, "a listener of tls.Server's sockets only"
            self._counters.client_error(err)
            server.emit("tlsClientError", err, self)

    def _on_server_socket_close(self, had_error: Any = False) -> None:
        server = self.server
        assert server is not None and self._counters is not None, "a listener of tls.Server's sockets only"
        self._counters.closed(self)
        if had_error:
            return  # already reported through '_tlsError'
        if self._route is Route.HELD:
            self._set_route(Route.REPORTED)
            err = _conn_reset("socket hang up")
            self._counters.client_error(err)
            server.emit("tlsClientError", err, self)

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
        parent = self._parent
        # Node: destroying the TLS socket destroys the socket it wraps.
        if parent is not None and hasattr(parent, "destroy") and not getattr(parent, "destroyed", False):
            parent.destroy()

    # -- getters ----------------------------------------------------------
    def getPeerCertificate(self, detailed: bool = False) -> Optional[Dict[str, Any]]:
        engine = self._engine
        if engine is None:
            return None
        return _x509.peer_certificate(engine.ssl, bool(detailed), self._is_server,
                                      self._secure_context._cert_store())

    def getCertificate(self) -> Optional[Dict[str, Any]]:
        engine = self._engine
        if engine is None:
            return None
        return _x509.local_certificate(engine.ssl)

    # Node 20's X509Certificate getters and the packet trace (tls._objects.x509_certificate);
    # after destroy() there is no SSL: None, as Node's undefined / null.
    def getPeerX509Certificate(self) -> Optional[_x509_certificate.X509Certificate]:
        engine = self._engine
        return _x509_certificate.peer_x509(engine.ssl, self._is_server) if engine is not None else None

    def getX509Certificate(self) -> Optional[_x509_certificate.X509Certificate]:
        engine = self._engine
        return _x509_certificate.local_x509(engine.ssl) if engine is not None else None

    def enableTrace(self) -> None:
        engine = self._engine
        if engine is not None:
            _x509_certificate.enable_trace(engine.ssl)

    def getCipher(self) -> Optional[Dict[str, str]]:
        engine = self._engine
        return engine.cipher() if engine is not None else None

    def getProtocol(self) -> Optional[str]:
        engine = self._engine
        return engine.protocol() if engine is not None else None

    def isSessionReused(self) -> Optional[bool]:
        engine = self._engine
        return engine.session_reused() if engine is not None else None

    def getSession(self) -> Optional[bytes]:
        return _sessions.get_session(self._conn)

    def getTLSTicket(self) -> Optional[bytes]:
        return _sessions.get_tls_ticket(self._conn)

    def setSession(self, session: Any) -> None:
        _sessions.set_session(self._conn, session)

    def setServername(self, name: str) -> None:
        if not isinstance(name, str):
            raise NodeTypeError('The "name" argument must be of type string. Received %s' % _received(name),
                                "ERR_INVALID_ARG_TYPE")
        if self._is_server:
            raise NodeError("Cannot issue SNI from a TLS server-side socket", "ERR_TLS_SNI_FROM_SERVER")
        if self._engine is not None:
            self._engine.set_servername(name)

    def resetAndDestroy(self: _TLSSocketT) -> _TLSSocketT:
        # Node: only a plain TCP handle can be reset; a TLS socket's handle is TLSWrap.
        raise NodeError("Invalid handle type", "ERR_INVALID_HANDLE_TYPE")

    def address(self) -> Dict[str, Any]:
        if self._sockname is None and isinstance(self._parent, net.Socket):
            return self._parent.address()
        return super().address()
