"""TLSSocket, tls.Server and tls.connect: Node's lib/internal/tls/wrap.js on asyncio.

A TLSSocket is a net.Socket whose raw hooks run a TLSEngine: bytes from the
transport are fed to the engine, plaintext comes out as 'data'; user writes
are encrypted and the records go to the transport.  Writes made before the
handshake completes are queued by net.Socket until ``_set_ready``.

Error routing is Node's: on a client every error reaches 'error'.  A server
socket has not "released control" until 'secureConnection'; until then its
TLS errors and a hang-up go to ``server.emit('tlsClientError', err, socket)``
once, and never to the server's 'error'.
"""
from __future__ import annotations

from typing import Any, Callable, Dict, Optional

from . import _runtime, net
from ._binding import ffi, lib
from ._engine import READ_CLOSED, READ_EOF, READ_MORE, TLSEngine
from .errors import NodeError, NodeTypeError
from ._secure_context import SecureContext, createSecureContext
from . import _x509

__all__ = ["TLSSocket", "Server", "connect", "createServer"]

DEFAULT_HANDSHAKE_TIMEOUT = 120000


def _conn_reset(message: str, **attrs: Any) -> NodeError:
    return NodeError(message, "ECONNRESET", **attrs)


class TLSSocket(net.Socket):
    """Node's tls.TLSSocket: wraps a net.Socket (or any duplex stream) in TLS."""

    def __init__(self, socket: Any = None, options: Optional[Dict[str, Any]] = None, **kwargs: Any) -> None:
        opts = net.merge_options(options, kwargs)
        half_open = opts.get("allowHalfOpen", getattr(socket, "allowHalfOpen", False))
        super().__init__({"allowHalfOpen": half_open})
        self.encrypted = True
        self.authorized = False
        self.authorizationError: Optional[str] = None
        self.alpnProtocol: Any = False
        self.servername: Any = None
        self._tls_options = opts
        self._is_server = bool(opts.get("isServer"))
        self._tls_server: Optional["Server"] = opts.get("server")
        # A server socket reports to its server until 'secureConnection'.
        self._control_released = not (self._is_server and self._tls_server is not None)
        self._error_emitted = False
        self._secure = False
        self._handshake_started = False
        self._rejectUnauthorized = opts.get("rejectUnauthorized", True) is not False
        self._requestCert = bool(opts.get("requestCert", not self._is_server))
        context = opts.get("secureContext")
        if context is None:
            context = createSecureContext(opts)
        elif not isinstance(context, SecureContext):
            raise NodeTypeError('The "options.secureContext" property must be an instance of SecureContext',
                                "ERR_INVALID_ARG_TYPE")
        self._secure_context = context
        self._engine: Optional[TLSEngine] = TLSEngine(context._ctx, self._is_server, self)
        self._configure_engine(opts)
        self._parent: Any = None
        if socket is not None:
            self._wrap(socket)

    def _configure_engine(self, opts: Dict[str, Any]) -> None:
        ssl = self._engine.ssl
        if self._is_server:
            if self._requestCert:
                mode = lib.SSL_VERIFY_PEER
                if self._rejectUnauthorized:
                    mode |= lib.SSL_VERIFY_FAIL_IF_NO_PEER_CERT
                lib.SSL_set_verify(ssl, mode, lib.tls_verify_accept_all)
            else:
                lib.SSL_set_verify(ssl, lib.SSL_VERIFY_NONE, ffi.NULL)
        else:
            lib.SSL_set_verify(ssl, lib.SSL_VERIFY_PEER, lib.tls_verify_accept_all)

    # -- wiring to the underlying connection ----------------------------
    def _wrap(self, socket: Any) -> None:
        self._parent = socket
        if isinstance(socket, net.Socket):
            if socket._transport is not None:
                self._take_transport_from(socket)
                if self._is_server:
                    self._start()
                return
            if socket.connecting:
                self.connecting = True
                _runtime.ref_handle(self)

                def on_connect(*_: Any) -> None:
                    self.connecting = False
                    if socket._transport is not None and not self.destroyed:
                        self._take_transport_from(socket)
                        self._start()

                socket.once("connect", on_connect)
                socket.once("error", lambda err: self.destroy(err))
                return
        if hasattr(socket, "write") and hasattr(socket, "on"):
            self._wrap_stream(socket)
            return
        raise NodeTypeError('The "options.socket" property must be a stream.Duplex', "ERR_INVALID_ARG_TYPE")

    def _wrap_stream(self, stream: Any) -> None:
        """Any Node-style duplex stream carries the ciphertext (Node's JSStreamSocket)."""
        self._transport = _StreamTransport(self, stream)
        _runtime.ref_handle(self)
        stream.on("data", lambda chunk: self._on_raw_read(memoryview(net.to_bytes(chunk))))
        stream.on("end", lambda *a: self._on_raw_eof())
        stream.on("error", lambda err: self.destroy(err))
        stream.on("close", lambda *a: self._on_connection_lost(None))
        if hasattr(stream, "resume"):
            stream.resume()

    def _on_connect(self) -> None:
        """TCP connected (tls.connect without a socket): say 'connect', start TLS."""
        self.emit("connect")
        self._start()

    def _start(self) -> None:
        if self._handshake_started or self.destroyed:
            return
        self._handshake_started = True
        if self._is_server:
            timeout = self._tls_options.get("handshakeTimeout", DEFAULT_HANDSHAKE_TIMEOUT)
            if timeout and timeout > 0:
                self._handshake_timer = self._loop.call_later(timeout / 1000.0, self._on_handshake_timeout)
        else:
            self._cycle()

    def _on_handshake_timeout(self) -> None:
        if not self._secure and not self.destroyed:
            self._emit_tls_error(NodeError("TLS handshake timeout", "ERR_TLS_HANDSHAKE_TIMEOUT"))

    # -- the engine loop ---------------------------------------------------
    def _on_raw_data(self, data: Any) -> None:
        engine = self._engine
        if engine is None:
            return
        engine.feed(data)
        if self._handshake_started:
            self._cycle()
        elif self._is_server:
            self._start()
            self._cycle()

    def _on_raw_eof(self) -> None:
        engine = self._engine
        if engine is None:
            return
        engine.feed_eof()
        if not self._secure:
            if self._is_server:
                self._emit_tls_error(_conn_reset("socket hang up"))
            else:
                self._client_hang_up()
            return
        self._cycle()

    def _client_hang_up(self) -> None:
        opts = self._tls_options
        self.destroy(_conn_reset(
            "Client network socket disconnected before secure TLS connection was established",
            host=opts.get("host"), port=opts.get("port"), path=opts.get("path"),
            localAddress=opts.get("localAddress")))

    def _cycle(self) -> None:
        """Run the engine as far as the input allows, then send its output."""
        engine = self._engine
        if engine is None:
            return
        try:
            if not self._secure:
                done = engine.handshake()
                self._flush()
                if not done:
                    return
                self._on_handshake_done()
                if self.destroyed or self._engine is None:
                    return
            while True:
                data, status = engine.read()
                if data:
                    self._push(data)
                if status != READ_MORE or self._engine is None:
                    break
            self._flush()
        except NodeError as err:
            self._flush()
            if err.code == "ECONNRESET" and not self._secure:
                if self._is_server:
                    err = _conn_reset("socket hang up")
                else:
                    return self._client_hang_up()
            self._emit_tls_error(err)
            return
        if status == READ_CLOSED or status == READ_EOF:
            self._push_eof()

    def _flush(self) -> None:
        engine = self._engine
        if engine is None:
            return
        out = engine.outgoing()
        if out:
            self._transport_write(out)

    def _emit_tls_error(self, err: BaseException) -> None:
        if not self._control_released:
            if not self._error_emitted:
                self._error_emitted = True
                self._tls_server.emit("tlsClientError", err, self)
            # Node destroys the socket for every error but the handshake timeout.
            if getattr(err, "code", None) != "ERR_TLS_HANDSHAKE_TIMEOUT":
                self.destroy()
            return
        self.destroy(err)

    # -- handshake done ---------------------------------------------------
    def _on_handshake_done(self) -> None:
        self._secure = True
        timer = getattr(self, "_handshake_timer", None)
        if timer is not None:
            timer.cancel()
        engine = self._engine
        if self._is_server:
            self.servername = engine.servername() or False
            if self._requestCert:
                result = engine.verify_result()
                if not engine.has_peer_certificate():
                    result = lib.X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT
                if result != lib.X509_V_OK:
                    from .errors import verify_error
                    self.authorizationError = verify_error(result).code
                    if self._rejectUnauthorized:
                        self.destroy()
                        self._emit_tls_error_on_close()
                        return
                else:
                    self.authorized = True
            self._control_released = True
            self._set_ready()
            if self._tls_server is not None:
                self._tls_server.emit("secureConnection", self)
            self.emit("secure")
            return
        # client: Node's onConnectSecure
        opts = self._tls_options
        verify_err: Optional[NodeError] = None
        result = engine.verify_result()
        if not engine.has_peer_certificate():
            result = lib.X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT
        if result != lib.X509_V_OK:
            from .errors import verify_error
            verify_err = verify_error(result)
        elif not engine.session_reused():
            hostname = opts.get("servername") or opts.get("host") or "localhost"
            check = opts.get("checkServerIdentity") or _x509.checkServerIdentity
            verify_err = check(hostname, self.getPeerCertificate(True))
        if verify_err is not None:
            self.authorized = False
            self.authorizationError = getattr(verify_err, "code", None) or str(verify_err)
            if self._rejectUnauthorized:
                self.destroy(verify_err)
                return
        else:
            self.authorized = True
        self._set_ready()
        self.emit("secure")
        self.emit("secureConnect")

    def _emit_tls_error_on_close(self) -> None:
        # A rejected client certificate: the server hears of it as a hang-up.
        if self._tls_server is not None and not self._error_emitted:
            self._error_emitted = True
            self._loop.call_soon(self._tls_server.emit, "tlsClientError",
                                 _conn_reset("socket hang up"), self)

    # -- writing ------------------------------------------------------------
    def _write_chunk(self, chunk: bytes, cb: Optional[Callable[..., Any]]) -> None:
        engine = self._engine
        if engine is None:
            return
        view = memoryview(chunk)
        try:
            while view:
                n = engine.write(view)
                self._flush()
                view = view[n:]
                if n == 0:
                    break
        except NodeError as err:
            self.destroy(err)
            return
        self._after_write(cb)

    def _shutdown_write(self) -> None:
        engine = self._engine
        if engine is not None:
            engine.shutdown()
            self._flush()
        super()._shutdown_write()

    def _on_connection_lost(self, exc: Optional[BaseException]) -> None:
        if not self._secure and not self.destroyed and self._handshake_started:
            self._transport = None
            if exc is not None:
                err = net.errno_error(exc, "read")
            elif self._is_server:
                err = _conn_reset("socket hang up")
            else:
                return self._client_hang_up()
            self._emit_tls_error(err)
            if not self.destroyed:
                self.destroy()
            return
        super()._on_connection_lost(exc)

    def _on_destroy(self) -> None:
        timer = getattr(self, "_handshake_timer", None)
        if timer is not None:
            timer.cancel()
        if not self._secure and self._tls_server is not None and not self._control_released \
                and not self._error_emitted:
            self._error_emitted = True
            self._loop.call_soon(self._tls_server.emit, "tlsClientError", _conn_reset("socket hang up"), self)
        engine, self._engine = self._engine, None
        if engine is not None:
            engine.free()
        if self._parent is not None and not isinstance(self._parent, net.Socket):
            parent = self._parent
            if hasattr(parent, "destroy") and not getattr(parent, "destroyed", False):
                parent.destroy()

    # -- getters ----------------------------------------------------------
    def getPeerCertificate(self, detailed: bool = False) -> Optional[dict]:
        engine = self._engine
        if engine is None:
            return None
        return _x509.peer_certificate(engine.ssl, bool(detailed), self._is_server,
                                      self._secure_context._cert_store())

    def getCertificate(self) -> Optional[dict]:
        engine = self._engine
        if engine is None:
            return None
        return _x509.local_certificate(engine.ssl)

    def getCipher(self) -> Optional[dict]:
        engine = self._engine
        return engine.cipher() if engine is not None else None

    def getProtocol(self) -> Optional[str]:
        engine = self._engine
        return engine.protocol() if engine is not None else None

    def isSessionReused(self) -> bool:
        engine = self._engine
        return engine.session_reused() if engine is not None else False

    def setServername(self, name: str) -> None:
        if not isinstance(name, str):
            raise NodeTypeError('The "name" argument must be of type string', "ERR_INVALID_ARG_TYPE")
        if self._is_server:
            raise NodeError("Cannot issue SNI from a TLS server-side socket", "ERR_TLS_SNI_FROM_SERVER")
        if self._engine is not None:
            self._engine.set_servername(name)

    def address(self) -> Dict[str, Any]:
        if self._sockname is None and isinstance(self._parent, net.Socket):
            return self._parent.address()
        return super().address()


class _StreamTransport:
    """The asyncio-transport surface net.Socket uses, over a Node-style stream."""

    def __init__(self, owner: TLSSocket, stream: Any) -> None:
        self._owner = owner
        self._stream = stream
        self._closing = False

    def write(self, data: bytes) -> None:
        if self._stream.write(data) is False:
            self._owner._write_paused = True
            self._stream.once("drain", lambda *a: self._owner._on_write_drained())

    def is_closing(self) -> bool:
        return self._closing

    def get_write_buffer_size(self) -> int:
        return int(getattr(self._stream, "writableLength", 0) or 0)

    def can_write_eof(self) -> bool:
        return True

    def write_eof(self) -> None:
        self._stream.end()

    def pause_reading(self) -> None:
        if hasattr(self._stream, "pause"):
            self._stream.pause()

    def resume_reading(self) -> None:
        if hasattr(self._stream, "resume"):
            self._stream.resume()

    def set_write_buffer_limits(self, high: int = 0, low: int = 0) -> None:
        pass

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return default

    def close(self) -> None:
        if not self._closing:
            self._closing = True
            self._stream.end()

    def abort(self) -> None:
        if not self._closing:
            self._closing = True
            if hasattr(self._stream, "destroy"):
                self._stream.destroy()


class Server(net.Server):
    """Node's tls.Server: a net.Server that wraps each connection in a TLSSocket."""

    def __init__(self, options: Any = None, secureConnectionListener: Optional[Callable[..., Any]] = None,
                 **kwargs: Any) -> None:
        if callable(options):
            secureConnectionListener, options = options, None
        opts = net.merge_options(options, kwargs)
        super().__init__({"allowHalfOpen": opts.get("allowHalfOpen", False),
                          "pauseOnConnect": opts.get("pauseOnConnect", False),
                          "noDelay": opts.get("noDelay", False)}, self._tls_connection_listener)
        self._options = opts
        self.requestCert = opts.get("requestCert") is True
        self.rejectUnauthorized = opts.get("rejectUnauthorized") is not False
        timeout = opts.get("handshakeTimeout", DEFAULT_HANDSHAKE_TIMEOUT)
        if not isinstance(timeout, (int, float)) or isinstance(timeout, bool):
            raise NodeTypeError('The "options.handshakeTimeout" property must be of type number',
                                "ERR_INVALID_ARG_TYPE")
        self._handshake_timeout = timeout
        self.setSecureContext(opts)
        if secureConnectionListener is not None:
            self.on("secureConnection", secureConnectionListener)

    def setSecureContext(self, options: Optional[Dict[str, Any]] = None, **kwargs: Any) -> None:
        opts = net.merge_options(options, kwargs)
        if "honorCipherOrder" not in opts:
            opts["honorCipherOrder"] = True
        self._shared_creds = createSecureContext(opts)

    def _tls_connection_listener(self, raw: net.Socket) -> None:
        TLSSocket(raw, {
            "secureContext": self._shared_creds,
            "isServer": True,
            "server": self,
            "requestCert": self.requestCert,
            "rejectUnauthorized": self.rejectUnauthorized,
            "handshakeTimeout": self._handshake_timeout,
        })


def createServer(options: Any = None, secureConnectionListener: Optional[Callable[..., Any]] = None,
                 **kwargs: Any) -> Server:
    return Server(options, secureConnectionListener, **kwargs)


def connect(*args: Any, **kwargs: Any) -> TLSSocket:
    """tls.connect(options[, cb]) or tls.connect(port[, host][, options][, cb])."""
    args = list(args)
    cb = args.pop() if args and callable(args[-1]) else None
    options: Dict[str, Any] = {}
    if args and isinstance(args[0], dict):
        options.update(args[0])
    else:
        if args:
            options["port"] = args.pop(0)
        if args and isinstance(args[0], str):
            options["host"] = args.pop(0)
        if args and isinstance(args[0], dict):
            options = {**args.pop(0), **options}
    options.update(kwargs)
    if cb is None and callable(options.get("callback")):
        cb = options.pop("callback")
    defaults = {"rejectUnauthorized": True, "checkServerIdentity": _x509.checkServerIdentity,
                "minDHSize": 1024}
    for key, value in defaults.items():
        if options.get(key) is None:
            options[key] = value
    if options.get("ciphers") is None:
        from . import _constants
        options["ciphers"] = _constants.DEFAULT_CIPHERS
    context = options.get("secureContext") or createSecureContext(options)
    sock = TLSSocket(options.get("socket"), {
        "allowHalfOpen": options.get("allowHalfOpen", False),
        "secureContext": context,
        "isServer": False,
        "requestCert": True,
        "rejectUnauthorized": options["rejectUnauthorized"],
    })
    sock._tls_options = options
    if cb is not None:
        sock.once("secureConnect", cb)
    servername = options.get("servername")
    if servername:
        sock.setServername(servername)
    if options.get("socket") is None:
        if options.get("timeout"):
            sock.setTimeout(options["timeout"])
        sock.connect(options)
    elif isinstance(options["socket"], net.Socket) and sock._transport is not None:
        sock._start()
    elif not isinstance(options["socket"], net.Socket):
        sock._start()
    return sock
