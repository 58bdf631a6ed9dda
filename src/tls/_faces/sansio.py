"""tls.sansio.Connection: one TLS connection with no I/O of its own (docs/openssl.md, "Sans-IO").

Theory of operation
===================

A :class:`Connection` is the protocol layer's :class:`~tls._protocol.connection.TLSConnection`
-- the engine (one ``SSL*`` between memory BIOs) and every per-connection feature of the
package -- with an owner that is not a socket: the bytes are the caller's to move.

* ciphertext in: :meth:`Connection.receiveData` (and :meth:`Connection.receiveEof` when the
  carrier ended);
* ciphertext out: :meth:`Connection.dataToSend`, everything produced so far;
* plaintext out: the ``'data'`` event, or :meth:`Connection.read` when nobody listens;
* plaintext in: :meth:`Connection.write` / :meth:`Connection.end` (close_notify).

Like ``ssl.SSLObject`` it can run over anything -- a pipe, a queue, a WebSocket, another TLS
connection, a test harness -- but it is the package's whole connection: Node's events
(``'secure'``, ``'session'``, ``'keylog'``, ``'OCSPResponse'``, and the server side's
``'newSession'``, ``'resumeSession'``, ``'OCSPRequest'`` on the connection itself), ALPN / SNI
callbacks, PSK, sessions and tickets, renegotiation, exporters, certificates as objects, and
``native`` (the ``SSL*``, tls.openssl).  It takes the options of ``new tls.TLSSocket``.

No event loop
=============

The connection needs no asyncio loop and no ``tls.run``: it runs entirely inside the calls made
on it.  The protocol layer asks its owner for two schedulers -- the cork's ``call_soon`` and
Node's ``nextTick`` -- and here both are one queue (:class:`_Queue`) that every public method
drains before it returns.  So when ``receiveData`` returns, every event it caused has been
emitted and ``dataToSend()`` holds every byte OpenSSL produced; a user callback that answers
later (an ``SNICallback`` calling back from elsewhere) is picked up by the next call, and
``dataToSend()`` drains first.  Nothing is ever written anywhere but into ``dataToSend()``.

The client's handshake starts lazily, at the first ``dataToSend()``, ``write()`` or
``receiveData()``: between the constructor and that, ``native`` may still be tuned (groups,
sigalgs, verify parameters) for the ClientHello.

Verification: a client verifies the server's chain against its context (``ca``, or the default
trust store), and its identity against the name given to :meth:`setServername` through
``tls.checkServerIdentity`` (as ``tls.connect`` does); with ``rejectUnauthorized`` (the default)
a failure is an ``'error'`` and the connection is destroyed before ``'secure'``.  Without
``rejectUnauthorized`` the result is in ``authorized`` / ``authorizationError``.  A server with
``requestCert`` does the same for the client's certificate (no identity check).
"""
from __future__ import annotations

import collections
from typing import Any, Callable, Deque, Dict, List, Optional, Tuple

from .._base.encoding import to_bytes
from .._base.errors import NodeError, NodeTypeError
from .._base.options import RENEGOTIATE, TLS_SOCKET, take_options
from .._base.validators import BUFFER_TYPES, received
from .._engine.context import SecureContext
from .._node.events import EventEmitter
from .._objects import x509 as _x509
from .._objects import x509_certificate as _x509_certificate
from .._objects.configure_context import createSecureContext
from .._objects.tlssocket_info import TLSInfo
from .._protocol import extras as _extras
from .._protocol import negotiation as _negotiation
from .._protocol import ocsp as _ocsp
from .._protocol import renegotiation as _renegotiation
from .._protocol import sessions as _sessions
from .._protocol.connection import TLSConnection

__all__ = ["Connection"]

# new tls.TLSSocket's options that belong to a socket and its event loop: refused here, with the
# reason (the rest of the table is honoured as TLSSocket honours it)
_REFUSED: Dict[str, str] = {
    "server": "a sans-IO connection has no tls.Server: its server events are emitted on the connection",
    "handshakeTimeout": "a sans-IO connection has no clock: time the handshake where the bytes are moved",
    "allowHalfOpen": "a sans-IO connection never ends itself: call end() when you are done",
    "highWaterMark": "plaintext is handed over at once ('data' or read()), there is no stream buffer",
    "readableHighWaterMark": "plaintext is handed over at once ('data' or read()), there is no stream buffer",
    "writableHighWaterMark": "ciphertext waits in dataToSend(), there is no stream buffer",
}


class _Queue:
    """The loop a TLSConnection asks its owner for (``call_soon``) and Node's nextTick, as one
    FIFO run by the connection at the end of each of its public calls (see the module docstring)."""

    __slots__ = ("ready",)

    def __init__(self) -> None:
        self.ready: Deque[Tuple[Callable[..., Any], Tuple[Any, ...]]] = collections.deque()

    def call_soon(self, fn: Callable[..., Any], *args: Any) -> None:
        self.ready.append((fn, args))

    def run(self) -> None:
        ready = self.ready
        while ready:
            fn, args = ready.popleft()
            fn(*args)


def _closed() -> NodeError:
    return NodeError("The connection is destroyed", "ERR_SOCKET_CLOSED")


class Connection(_extras.TLSSocketExtras, TLSInfo, EventEmitter):
    """One TLS connection, memory in and memory out (see the module docstring).

    ``Connection(options)`` takes the options of ``new tls.TLSSocket(socket, options)``:
    ``isServer``, ``secureContext`` (else the secure-context options make one), ``requestCert``,
    ``rejectUnauthorized`` (default True), ``ALPNProtocols``, ``ALPNCallback``, ``SNICallback``,
    ``session``, ``requestOCSP``, ``pskCallback``, ``pskIdentityHint``, ``enableTrace``.
    """

    _conn: TLSConnection   # the protocol layer's connection (its owner is this object)

    def __init__(self, options: Optional[Dict[str, Any]] = None, **kwargs: Any) -> None:
        opts = take_options(options, kwargs, TLS_SOCKET, "Connection")
        for name, reason in _REFUSED.items():
            if opts.get(name) is not None:
                raise NodeError("The option '%s' is not implemented by tls.sansio.Connection: %s"
                                % (name, reason), "ERR_OPTION_NOT_IMPLEMENTED")
        super().__init__()
        self._loop = self._queue = _Queue()     # ConnectionOwner: the cork's scheduler
        self.destroyed = False
        self.secureConnecting = True            # a client emits 'session' once verified
        self._write_shut = False                # end() was called (held writes go first)
        self.encrypted = True
        self.authorized = False
        self.authorizationError: Optional[str] = None
        self.alpnProtocol: Any = None
        self.npnProtocol: Any = None
        self.servername: Any = None
        self.writableEnded = False              # close_notify is in dataToSend(): close the carrier after it
        self._is_server = bool(opts.get("isServer"))
        self._requestCert = bool(opts.get("requestCert")) or not self._is_server
        self._rejectUnauthorized = opts.get("rejectUnauthorized") is not False
        self._hostname: Optional[str] = None   # setServername(): SNI and the identity checked
        self._out: List[bytes] = []            # ciphertext for dataToSend()
        self._unread: List[bytes] = []         # plaintext for read() (no 'data' listener)
        self._pending: List[bytes] = []        # writes before 'secure'
        self._end_pending = False
        self._started = False
        self._secure = False
        self._ended = False
        context = opts.get("secureContext")
        if context is None:
            context = createSecureContext(opts)
        elif not isinstance(context, SecureContext):
            raise NodeTypeError("context must be a SecureContext", "ERR_TLS_INVALID_CONTEXT")
        self._secure_context = context
        conn = self._conn = TLSConnection(context, self._is_server, self)
        conn.set_verify_mode(self._requestCert, self._rejectUnauthorized)
        _renegotiation.configure(conn)
        self._opts = opts
        if not self._is_server:
            # a server's OCSP and session hooks are wired for the events listened to when its first
            # bytes arrive (a tls.Server's listeners exist before its sockets; these come after)
            _ocsp.configure(conn, opts)
        if _x509_certificate.trace_option(opts.get("enableTrace")):
            self.enableTrace()
        _extras.configure(conn, opts)
        if not self._is_server:
            _sessions.configure(conn, opts)
        _negotiation.configure(conn, opts)

    # -- the caller's side: bytes in, bytes out ---------------------------------------------------
    def receiveData(self, data: Any) -> None:
        """Ciphertext from the peer (any amount: a part of a record, many records)."""
        if not isinstance(data, BUFFER_TYPES):
            raise NodeTypeError('The "data" argument must be of type bytes, bytearray or memoryview. %s'
                                % received(data), "ERR_INVALID_ARG_TYPE")
        if self.destroyed:
            raise _closed()
        self._start()
        if len(data):
            self._conn.on_raw_data(memoryview(bytes(data)))
        self._run()

    def receiveEof(self) -> None:
        """The carrier ended: no more ciphertext will come."""
        if self.destroyed:
            return
        self._start()
        if not self._conn.on_raw_eof():
            self._hang_up()
        self._run()

    def dataToSend(self) -> bytes:
        """The ciphertext produced so far (the ClientHello first, for a client), to give the peer."""
        if not self.destroyed:
            self._start()
        self._run()
        conn = self._conn
        if conn.corked:
            conn.flush()
        out, self._out = b"".join(self._out), []
        return out

    def read(self) -> bytes:
        """The plaintext received while no 'data' listener was there (b'' when none)."""
        out, self._unread = b"".join(self._unread), []
        return out

    def write(self, data: Any) -> bool:
        """Plaintext to send (queued until 'secure'); True, as a stream with room."""
        chunk = self._plaintext(data)
        if self._end_pending or self._write_shut:
            raise NodeError("write after end", "ERR_STREAM_WRITE_AFTER_END")
        self._start()
        if self._secure:
            self._conn.write_chunk(chunk, None)
        else:
            self._pending.append(chunk)
        self._run()
        return True

    def end(self, data: Any = None) -> None:
        """Write ``data`` (if any), then close_notify: the last bytes of dataToSend()."""
        if data is not None:
            self.write(data)
        if self._end_pending or self._write_shut or self.destroyed:
            return
        if not self._secure:
            self._end_pending = True
            self._start()
            self._run()
            return
        self._write_shut = True
        self._conn.shutdown_write()
        self._run()

    def destroy(self, error: Optional[BaseException] = None) -> "Connection":
        """Free the SSL* now; 'error' (when given) then 'close'. Ciphertext already produced stays
        in dataToSend()."""
        if self.destroyed:
            return self
        conn = self._conn
        if conn.corked:
            conn.flush()
        self.destroyed = True
        conn.free()
        try:
            if error is not None:
                self.emit("error", error)   # raises without a listener, as Node's unhandled 'error'
        finally:
            self.emit("close", error is not None)
        return self

    def _plaintext(self, data: Any) -> bytes:
        if self.destroyed:
            raise _closed()
        if isinstance(data, str):
            return data.encode("utf-8")
        if not isinstance(data, BUFFER_TYPES):
            raise NodeTypeError('The "chunk" argument must be of type string or an instance of bytes, bytearray '
                                'or memoryview. %s' % received(data), "ERR_INVALID_ARG_TYPE")
        return to_bytes(data)

    def _start(self) -> None:
        if not self._started and not self.destroyed:
            self._started = True
            conn = self._conn
            if self._is_server:
                # 'OCSPRequest', 'newSession', 'resumeSession': listened to by now (see __init__)
                _ocsp.configure(conn, self._opts)
                _sessions.configure(conn, self._opts)
            else:
                conn.cycle()   # the ClientHello

    def _run(self) -> None:
        self._queue.run()

    # -- ConnectionOwner: what the connection and its features call ---------------------------------
    def _transport_write(self, data: bytes) -> None:
        self._out.append(bytes(data))

    def _push(self, chunk: bytes) -> None:
        chunk = bytes(chunk)
        if self.listenerCount("data"):
            self.emit("data", chunk)
        else:
            self._unread.append(chunk)

    def _push_eof(self) -> None:
        if not self._ended:
            self._ended = True
            self.emit("end")

    def _finishInit(self) -> None:
        conn = self._conn
        engine = conn.engine
        if engine is None:
            return
        self.alpnProtocol, self.npnProtocol = _negotiation.negotiated(conn)
        if self.servername is None:
            self.servername = engine.servername() or False
        if not self._secure:
            if not self._verify():
                return
            self._secure = True
            self.secureConnecting = False
        self.emit("secure")
        if self.destroyed or self._conn.engine is None:
            return
        pending, self._pending = self._pending, []
        for chunk in pending:
            conn.write_chunk(chunk, None)
        if self._end_pending:
            self._end_pending = False
            self.end()

    def _verify(self) -> bool:
        """The peer's certificate (and a server's identity), as tls.connect / tls.Server check them."""
        if self._is_server and not self._requestCert:
            return True
        err: Any = self._conn.verify_error()
        if err is None and not self._is_server and self._hostname is not None and not self.isSessionReused():
            err = _x509.checkServerIdentity(self._hostname, self.getPeerCertificate(True))
        if err is None:
            self.authorized = True
            return True
        self.authorizationError = getattr(err, "code", None) or str(err)
        if self._rejectUnauthorized:
            self.destroy(err)
            return False
        return True

    def _on_ssl_error(self, err: BaseException) -> None:
        if not self.destroyed:
            self.destroy(err)

    def _hang_up(self) -> None:
        if self.destroyed:
            return
        if self._secure:
            self._push_eof()
            return
        self.destroy(NodeError("Client network socket disconnected before secure TLS connection was established"
                               if not self._is_server else "socket hang up", "ECONNRESET"))

    def _after_write(self, cb: Optional[Callable[..., Any]]) -> None:
        if cb is not None:
            self._queue.call_soon(cb, None)

    def _send_fin(self) -> None:
        if not self.writableEnded:
            self.writableEnded = True
            self._queue.call_soon(self.emit, "finish")

    def _next_tick(self, callback: Callable[..., Any], *args: Any) -> None:
        self._queue.call_soon(callback, *args)

    def _emitTLSError(self, err: BaseException) -> None:
        self.emit("error", err)

    def _on_raw_data(self, data: Any) -> None:
        self._conn.on_raw_data(data)

    def _emit_tls_event(self, event: str, *args: Any) -> bool:
        return self.emit(event, *args)

    def _before_secure(self, listener: Callable[[], Any]) -> None:
        self.prependListener("secure", lambda *a: listener())

    def _on_first_tls_listener(self, event: str, hook: Callable[[], Any]) -> None:
        self._on_first_listener(event, lambda _self: hook())

    def _server_listens(self, event: str) -> bool:
        return self._is_server and self.listenerCount(event) > 0

    def _emit_server_event(self, event: str, *args: Any) -> bool:
        return self._server_listens(event) and bool(self.emit(event, *args))

    def _server_context(self) -> Optional[SecureContext]:
        return self._secure_context if self._is_server else None

    # -- what TLSSocketExtras reads (exportKeyingMaterial, getFinished, ...) ------------------------
    @property
    def _engine(self) -> Any:
        return self._conn.engine

    @property
    def _secureEstablished(self) -> bool:
        return self._secure

    # -- Node's TLSSocket getters and methods: TLSInfo's, but for these two ------------------------------
    def setServername(self, name: str) -> None:
        """A client's SNI name, also the identity its 'secure' checks (call it before the handshake)."""
        if not isinstance(name, str):
            raise NodeTypeError('The "name" argument must be of type string. %s' % received(name),
                                "ERR_INVALID_ARG_TYPE")
        if self._is_server:
            raise NodeError("Cannot issue SNI from a TLS server-side socket", "ERR_TLS_SNI_FROM_SERVER")
        self._hostname = name
        engine = self._conn.engine
        if engine is not None:
            engine.set_servername(name)

    def renegotiate(self, options: Any, callback: Optional[Callable[..., Any]] = None) -> Optional[bool]:
        """TLS 1.2 renegotiation (its messages go to dataToSend()); ``callback(err)`` at the next 'secure'.

        ``options``: ``requestCert`` / ``rejectUnauthorized`` for the new handshake, as TLSSocket's."""
        if not isinstance(options, dict):
            raise NodeTypeError('The "options" argument must be of type object. %s' % received(options),
                                "ERR_INVALID_ARG_TYPE")
        options = take_options(options, None, RENEGOTIATE, "renegotiate")
        engine = self._conn.engine
        if self.destroyed or engine is None:
            return None
        if options.get("requestCert") is not None:
            self._requestCert = bool(options["requestCert"])
        if options.get("rejectUnauthorized") is not None:
            self._rejectUnauthorized = bool(options["rejectUnauthorized"])
        self._conn.set_verify_mode(self._requestCert, self._rejectUnauthorized)
        try:
            engine.renegotiate()
        except NodeError as err:
            if callback is not None:
                self._queue.call_soon(callback, err)
                self._run()
            return False
        self._conn.start_renegotiation()
        if callback is not None:
            self.once("secure", lambda *a: callback(None))
        self._run()
        return True
