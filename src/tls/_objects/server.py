"""tls.Server and createServer: Node's Server of lib/internal/tls/wrap.js.

A tls.Server is a net.Server whose connections become server TLSSockets
(``_tls_connection_listener``, Node's tlsConnectionListener): the server
holds the shared secure context (``setSecureContext``), the SNI contexts
(``addContext``), the ticket keys and the server-wide options each new
TLSSocket is given; the per-connection work is the socket's.  How errors
reach 'tlsClientError' rather than 'error' is told in tlssocket.py.
"""
from __future__ import annotations

import hashlib
import re
import sys
import warnings
from typing import TYPE_CHECKING, Any, Callable, Dict, Hashable, List, Mapping, Optional, Sequence, TypeVar, overload

if TYPE_CHECKING:
    from typing import Literal

from .._base.errors import NodeError, NodeTypeError
from .._base.options import NET_SERVER, SECURE_CONTEXT, TLS_SERVER, take_options
from .._base.validators import (
    invalid_arg_type as _arg_type_error, received as _received, truthy as _truthy,
    validate_function as _validate_function, validate_string as _validate_string,
)
from .._engine.context import SecureContext
from .._node import net
from .._node.socket_protocol import _SocketProtocol
from .._protocol import sessions as _sessions
from .._protocol.negotiation import SNICallback, _check_wire, _convert
from . import server_hooks as _server_hooks
from .configure_context import createSecureContext
from .public_names import PUBLIC
from .counters import ServerCounters
from .tlssocket import TLSSocket, _ServerSocketOptions
from . import csocket as _csocket
from .x509_certificate import trace_option

__all__ = ["Server", "createServer", "DEFAULT_HANDSHAKE_TIMEOUT"]

_ServerT = TypeVar("_ServerT", bound="Server")


DEFAULT_HANDSHAKE_TIMEOUT = 120000


def _conn_reset(message: str, **attrs: Any) -> NodeError:
    return NodeError(message, "ECONNRESET", **attrs)


class Server(net.Server):
    """Node's tls.Server: a net.Server that wraps each connection in a TLSSocket."""

    # (unless TLS_C_SOCKET=0) accepted connections get a descriptor transport C can drive (csocket.py)
    if _csocket.ACCEPTED_TRANSPORT_FACTORY is not None:
        _fd_transport_factory = staticmethod(_csocket.ACCEPTED_TRANSPORT_FACTORY)

    # what the TLS server events pass (events.py: a listener taking that many is stored unwrapped)
    _declared_event_args = {"secureConnection": 1, "tlsClientError": 2, "newSession": 3, "resumeSession": 2,
                            "OCSPRequest": 3, "keylog": 2}
    # the connections' handshake timeouts, one loop timer for all (tls._node.timer_list; made by
    # the first TLSSocket, again if the loop or the timeout changes)
    _handshake_timers: Any = None

    if TYPE_CHECKING:
        # set by the helpers __init__ runs (tls._negotiation, tls._extras), as Node's properties
        ALPNProtocols: Optional[bytes]
        ALPNCallback: Any
        NPNProtocols: Optional[bytes]
        _SNICallback: Any
        _shared_creds: SecureContext
        _contexts: List[Any]  # addContext's (regex, SecureContext) pairs
        _pskCallback: Any
        _pskIdentityHint: Any
        # setSecureContext's options, kept as given
        pfx: Any
        key: Any
        passphrase: Any
        cert: Any
        clientCertEngine: Any
        ca: Any
        minVersion: Any
        maxVersion: Any
        secureProtocol: Any
        crl: Any
        ciphers: Any
        dhparam: Any
        sigalgs: Any
        ecdhCurve: Any
        honorCipherOrder: bool
        secureOptions: Any
        sessionIdContext: Any
        sessionTimeout: Any
        ticketKeys: Any
        privateKeyIdentifier: Any
        privateKeyEngine: Any

        # The listener shapes of the usual events (see TLSSocket.on).
        @overload
        def on(self: _ServerT, event: Literal["secureConnection"], listener: Callable[[TLSSocket], Any]
               ) -> _ServerT: ...
        @overload
        def on(self: _ServerT, event: Literal["tlsClientError"], listener: Callable[[BaseException, TLSSocket], Any]
               ) -> _ServerT: ...
        @overload
        def on(self: _ServerT, event: Literal["newSession"],
               listener: Callable[[bytes, bytes, Callable[..., None]], Any]) -> _ServerT: ...
        @overload
        def on(self: _ServerT, event: Literal["resumeSession"], listener: Callable[[bytes, Callable[..., None]], Any]
               ) -> _ServerT: ...
        @overload
        def on(self: _ServerT, event: Literal["OCSPRequest"],
               listener: Callable[[bytes, Optional[bytes], Callable[..., None]], Any]) -> _ServerT: ...
        @overload
        def on(self: _ServerT, event: Literal["keylog"], listener: Callable[[bytes, TLSSocket], Any]) -> _ServerT: ...
        @overload
        def on(self: _ServerT, event: Literal["connection"], listener: Callable[[net.Socket], Any]) -> _ServerT: ...
        @overload
        def on(self: _ServerT, event: Literal["listening", "close"], listener: Callable[[], Any]) -> _ServerT: ...
        @overload
        def on(self: _ServerT, event: Literal["error"], listener: Callable[[BaseException], Any]) -> _ServerT: ...
        @overload
        def on(self: _ServerT, event: Hashable, listener: Callable[..., Any]) -> _ServerT: ...
        def on(self: _ServerT, event: Hashable, listener: Callable[..., Any]) -> _ServerT: ...

        once = on
        addListener = on
        prependListener = on
        prependOnceListener = on

    def __init__(self, options: Any = None, secureConnectionListener: Optional[Callable[..., Any]] = None,
                 **kwargs: Any) -> None:
        if callable(options):
            secureConnectionListener, options = options, None
        opts = take_options(options, kwargs, TLS_SERVER, "Server")
        super().__init__({name: opts[name] for name in NET_SERVER.options if name in opts},
                         self._tls_connection_listener)
        self._options = opts
        self._counters = ServerCounters()
        self.requestCert = opts.get("requestCert") is True
        self.rejectUnauthorized = opts.get("rejectUnauthorized") is not False
        # Node: `options.handshakeTimeout || 120000`, then validateNumber.
        timeout = opts.get("handshakeTimeout") or DEFAULT_HANDSHAKE_TIMEOUT
        if not isinstance(timeout, (int, float)) or isinstance(timeout, bool):
            raise NodeTypeError('The "options.handshakeTimeout" property must be of type number. %s'
                                % _received(timeout), "ERR_INVALID_ARG_TYPE")
        self._handshake_timeout = timeout
        # Node stores it and validates it in each connection's TLSSocket (an uncaught
        # TypeError then); validated here, where the caller can catch it.
        self._enable_trace = opts.get("enableTrace")
        trace_option(self._enable_trace)
        _init_negotiation(self, opts)  # ALPNProtocols, ALPNCallback, NPNProtocols, SNICallback
        self.setSecureContext(opts)
        _init_psk(self, opts)  # pskCallback / pskIdentityHint
        if secureConnectionListener is not None:
            self.on("secureConnection", secureConnectionListener)
        if _server_hooks.default_ticket_keys is not None or _server_hooks._created:   # a cluster worker
            _server_hooks.server_created(self, opts)

    def setSecureContext(self, options: Any = None, **kwargs: Any) -> None:
        """Node's: new connections use a context made from ``options`` (see _extras)."""
        _set_secure_context(self, options, kwargs)

    def getTicketKeys(self) -> bytes:
        """The 48 bytes (name | HMAC key | AES key) that encrypt session tickets."""
        return _sessions.get_ticket_keys(self)

    def setTicketKeys(self, keys: Any) -> None:
        """Replace the ticket keys; new connections use them."""
        _sessions.set_ticket_keys(self, keys)

    def getCounters(self) -> Dict[str, Any]:
        """What an operator watches, as a plain dict: ``handshakes`` (``full``, ``resumed``),
        ``tlsClientErrors`` (count by error code), ``connections`` (open now), ``bytesRead`` and
        ``bytesWritten`` (network bytes, TLS records included, of every connection so far).
        ``tls.cluster``'s primary adds its workers' dicts up the same way (``counters.sum_counters``)."""
        return self._counters.snapshot()

    @property
    def native(self) -> Any:
        """The ``SSL_CTX*`` of the server's context (tls.openssl), borrowed: what new connections
        are made from until ``setSecureContext()`` replaces it (``None`` once closed)."""
        return self._shared_creds.native

    def getTicketKeyRing(self) -> List[bytes]:
        """The ticket key ring (beyond Node): the current key first, then the older ones that still decrypt."""
        return self._shared_creds.context.getTicketKeyRing()

    def setTicketKeyRing(self, keys: Sequence[Any]) -> None:
        """Beyond Node: ``keys[0]`` encrypts new tickets, ``keys[1:]`` (up to 8 keys in all) still decrypt and
        their tickets are renewed under ``keys[0]``.  Set on the server's context and on the contexts of
        ``addContext`` so far: an SNI context holds its own ring, as it holds its own keys."""
        ring = self._shared_creds.context.setTicketKeyRing(keys)  # validates first: all or nothing
        for _regex, context in self._contexts:
            context.setTicketKeyRing(ring)

    def addContext(self, hostname: Any, context: Any) -> None:
        """SNI: connections for ``hostname`` (``*`` wildcards) use ``context`` (see _negotiation)."""
        _add_context(self, hostname, context)

    def setOptions(self, options: Any = None, **kwargs: Any) -> None:
        """Deprecated (DEP0122, Node's text, warned once): stores the options on the server as
        Node's does -- ``requestCert``, ``rejectUnauthorized``, ``ALPNProtocols`` and the PSK
        options reach new connections; the secure-context ones are only kept as attributes
        (Node builds no new context from them either: ``setSecureContext`` does that)."""
        _set_options_deprecation()
        _set_options(self, take_options(options, kwargs, TLS_SERVER, "setOptions"))

    # events.captureRejectionSymbol (a method name here): Node's tls.Server destroys the
    # socket of a failed async 'secureConnection' listener with its error; the rest is net.Server's.
    def _nodejs_rejection(self, err: BaseException, event: Any, *args: Any) -> None:
        if event == "secureConnection" and args:
            args[0].destroy(err)
        else:
            super()._nodejs_rejection(err, event, *args)

    # -- accepting: the TLSSocket straight on the accepted transport when nobody can see the raw
    # net.Socket Node's design puts under it (issue 14).  net.Server makes the raw socket, emits
    # 'connection' with it, and this server's own 'connection' listener wraps it; when that
    # listener is the only one (and no option of net.Server's accept path acts on the raw socket),
    # the TLSSocket takes the transport at once and its _parent is made on first access
    # (TLSSocket._make_lazy_parent): ~70 Python calls fewer per connection.
    def _make_protocol(self) -> Any:
        owner = _Accepting(self)
        protocol = owner.protocol = _SocketProtocol(owner)  # type: ignore[arg-type]
        return protocol

    def _on_accepted_transport(self, protocol: Any, transport: Any) -> None:
        events = self._events
        if (events is not None and events.get("connection") == (self._tls_connection_listener,)
                and self.maxConnections is None and not self._close_emitted and not self.noDelay
                and not self.keepAlive and not self.pauseOnConnect and len(self._socket_options) == 1):
            opts = self._connection_options()
            opts["allowHalfOpen"] = self.allowHalfOpen   # (the raw socket's, which the TLSSocket takes)
            socket = TLSSocket(None, opts)
            protocol.owner = socket
            socket._protocol = protocol
            socket._server = self
            socket._lazy_parent = True
            socket._attach_transport(transport)
            self._connections.add(socket)
            self._serve(socket)
            return
        # net.Server's own path (its _make_protocol, then connection_made)
        sock = self._socket_class(self._socket_options)
        sock._call_site = self._call_site
        sock._server = sock.server = self
        protocol.owner = sock
        sock._protocol = protocol
        sock._on_transport(transport)

    def _connection_options(self) -> _ServerSocketOptions:
        return _ServerSocketOptions({
            "secureContext": self._shared_creds,
            "isServer": True,
            "server": self,
            "requestCert": self.requestCert,
            "rejectUnauthorized": self.rejectUnauthorized,
            "handshakeTimeout": self._handshake_timeout,
            "ALPNProtocols": self.ALPNProtocols,
            "ALPNCallback": self.ALPNCallback,
            "SNICallback": self._SNICallback or SNICallback,
            "NPNProtocols": self.NPNProtocols,
            "pskCallback": self._pskCallback,
            "pskIdentityHint": self._pskIdentityHint,
            "enableTrace": self._enable_trace,
        })

    def _tls_connection_listener(self, raw: net.Socket) -> None:
        """Node's tlsConnectionListener."""
        self._serve(TLSSocket(raw, self._connection_options()))

    def _serve(self, socket: TLSSocket) -> None:
        socket._counters = self._counters
        socket._call_site = self._call_site   # its errors name where the user started this server
        self._counters.opened(socket)
        socket._add_own("secure", socket._on_server_socket_secure)
        _forward_keylog(self, socket)  # 'keylog' forwarding
        socket._add_own("close", socket._on_server_socket_close)
        socket._add_own("_tlsError", socket._on_server_socket_tls_error)
        if self.pauseOnConnect:
            # Node 20: the TLSSocket of a paused connection starts paused too (readableFlowing
            # false: a 'data' listener does not start it, resume() does); the handshake goes on.
            socket.pause()
        socket._start()


class _Accepting:
    """The owner of an accepted connection's protocol until its transport is up: then the
    server decides between the TLSSocket at once and net.Server's raw socket (see above)."""

    __slots__ = ("server", "protocol")

    def __init__(self, server: Server) -> None:
        self.server = server
        self.protocol: Any = None

    def _on_transport(self, transport: Any) -> None:
        self.server._on_accepted_transport(self.protocol, transport)


def createServer(options: Any = None, secureConnectionListener: Optional[Callable[..., Any]] = None,
                 **kwargs: Any) -> Server:
    return Server(options, secureConnectionListener, **kwargs)


# -- negotiation options and addContext -------------------------------------------------------


def _init_negotiation(server: Any, opts: Dict[str, Any]) -> None:
    """The negotiation options of ``tls.Server(options)`` (Node's Server constructor)."""
    server._contexts = []
    server.ALPNCallback = opts.get("ALPNCallback")
    if _truthy(server.ALPNCallback) and _truthy(opts.get("ALPNProtocols")):
        raise NodeTypeError("The ALPNCallback and ALPNProtocols TLS options are mutually exclusive",
                            "ERR_TLS_ALPN_CALLBACK_WITH_PROTOCOLS")
    for key in ("ALPNProtocols", "NPNProtocols"):
        setattr(server, key, None)
        if _truthy(opts.get(key)):
            _convert(opts[key], server, key)
            if isinstance(getattr(server, key), bytes):
                _check_wire(getattr(server, key), "options." + key, opts[key])
    server._SNICallback = opts.get("SNICallback")
    if _truthy(server._SNICallback):
        _validate_function(server._SNICallback, "options.SNICallback")


_ESCAPE = re.compile(r"([.^$+?\-\\\[\]{}])")


def _add_context(server: Any, servername: Any, context: Any) -> None:
    """``server.addContext(hostname, context)``: ``*`` matches ``[^.]*``,
    case-sensitive (as Node 20), the context added last wins."""
    if not _truthy(servername):
        raise NodeError('"servername" is required parameter for Server.addContext',
                        "ERR_TLS_REQUIRED_SERVER_NAME")
    pattern = _ESCAPE.sub(r"\\\1", str(servername)).replace("*", "[^.]*")
    regex = re.compile("^" + pattern + r"\Z")  # JS `$` without the m flag
    secure_context = (context if isinstance(context, SecureContext)
                      else PUBLIC.get("createSecureContext", createSecureContext)(context))  # public_names.py
    server._contexts.append((regex, secure_context.context))


# -- setOptions (deprecated) ---------------------------------------------------------------

DEP0122_MESSAGE = "Server.prototype.setOptions() is deprecated"
_set_options_warned = False


def _set_options_deprecation() -> None:
    """Node's ``deprecate(fn, msg, 'DEP0122')``: the first call in the process warns."""
    global _set_options_warned
    if _set_options_warned:
        return
    _set_options_warned = True
    warning = DeprecationWarning(DEP0122_MESSAGE)
    warning.code = "DEP0122"  # type: ignore[attr-defined]
    warnings.warn(warning, stacklevel=3)


def _set_options(server: Any, options: Mapping[str, Any]) -> None:
    """Node's ``Server.prototype.setOptions`` body, key for key: truthy values replace, the rest stay."""
    get = options.get
    server.requestCert = get("requestCert") is True
    server.rejectUnauthorized = get("rejectUnauthorized") is not False
    for name in ("pfx", "key", "passphrase", "cert", "clientCertEngine", "ca", "minVersion", "maxVersion",
                 "secureProtocol", "crl", "ciphers"):
        if _truthy(get(name)):
            setattr(server, name, get(name))
    if "ecdhCurve" in options:
        server.ecdhCurve = get("ecdhCurve")
    for name in ("dhparam", "sessionTimeout", "ticketKeys"):
        if _truthy(get(name)):
            setattr(server, name, get(name))
    honor = get("honorCipherOrder")
    server.honorCipherOrder = True if honor is None else _truthy(honor)
    if _truthy(get("secureOptions")):
        server.secureOptions = get("secureOptions")
    if _truthy(get("ALPNProtocols")):
        _convert(get("ALPNProtocols"), server, "ALPNProtocols")
    session_id_context = get("sessionIdContext")
    server.sessionIdContext = session_id_context if _truthy(session_id_context) else _session_id_context()
    if _truthy(get("pskCallback")):
        server._pskCallback = get("pskCallback")
    if _truthy(get("pskIdentityHint")):
        server._pskIdentityHint = get("pskIdentityHint")


# -- PSK, keylog and setSecureContext -------------------------------------------------------


def _init_psk(server: Any, options: Mapping[str, Any]) -> None:
    """tls.Server construction: ``pskCallback`` / ``pskIdentityHint``."""
    server._pskCallback = options.get("pskCallback")
    server._pskIdentityHint = options.get("pskIdentityHint")
    if _truthy(server._pskCallback):
        _validate_function(server._pskCallback, "options.pskCallback", "property")
    if _truthy(server._pskIdentityHint):
        _validate_string(server._pskIdentityHint, "options.pskIdentityHint", "property")


def _forward_keylog(server: Any, socket: Any) -> None:
    """Node's tlsConnectionListener: forward the socket's 'keylog' while the server listens."""
    if server.listenerCount("keylog") > 0:
        socket.on("keylog", lambda line: server.emit("keylog", line, socket))


_default_session_id_context: Optional[str] = None


def _session_id_context() -> str:
    """Node: sha1(process.argv.join(' ')) in hex, first 32 characters."""
    global _default_session_id_context
    if _default_session_id_context is None:
        argv = " ".join([sys.executable] + list(sys.argv))
        _default_session_id_context = hashlib.sha1(argv.encode("utf-8")).hexdigest()[:32]
    return _default_session_id_context


def _set_secure_context(server: Any, options: Any, kwargs: Optional[Dict[str, Any]] = None) -> None:
    """Node's ``Server.prototype.setSecureContext``: the context for new connections
    (keyword arguments are merged into ``options``)."""
    if not isinstance(options, Mapping) and not (options is None and kwargs):
        raise _arg_type_error("options", "of type object", options)
    options = take_options(options, kwargs, SECURE_CONTEXT, "setSecureContext")
    get = options.get

    def keep_truthy(name: str) -> None:
        value = get(name)
        setattr(server, name, value if _truthy(value) else None)

    for name in ("pfx", "key", "passphrase", "cert", "clientCertEngine", "ca", "minVersion", "maxVersion",
                 "secureProtocol", "crl"):
        keep_truthy(name)
    server.sigalgs = get("sigalgs")
    keep_truthy("ciphers")
    server.ecdhCurve = get("ecdhCurve")
    keep_truthy("dhparam")
    honor = get("honorCipherOrder")
    server.honorCipherOrder = True if honor is None else _truthy(honor)
    secure_options = get("secureOptions") or 0
    server.secureOptions = secure_options if _truthy(secure_options) else None
    session_id_context = get("sessionIdContext")
    server.sessionIdContext = session_id_context if _truthy(session_id_context) else _session_id_context()
    # Sticky: kept from an earlier call when not given again.
    if _truthy(get("sessionTimeout")):
        server.sessionTimeout = get("sessionTimeout")
    if _truthy(get("ticketKeys")):
        server.ticketKeys = get("ticketKeys")
    server.privateKeyIdentifier = get("privateKeyIdentifier")
    server.privateKeyEngine = get("privateKeyEngine")

    keep_truthy("allowPartialTrustChain")

    # Every secure-context option, from the attributes set above (Node keeps
    # them on the server, and lists them by hand: one left out of that list
    # would be silently dropped).
    create = PUBLIC.get("createSecureContext", createSecureContext)  # as the module has it now (public_names.py)
    server._shared_creds = create({name: getattr(server, name, None) for name in SECURE_CONTEXT.options})
