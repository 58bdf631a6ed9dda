"""A connection's state and its owner's interface (the pump that drives them: connection.py).

The protocol features (negotiation, sessions, ocsp, renegotiation,
keyexchange, extras) work on :class:`ConnectionState` and speak to the socket
through :class:`ConnectionOwner`; :class:`~tls._protocol.connection.TLSConnection`
is the one concrete connection and calls the features.  Kept apart so that
the features and the connection do not import each other.
"""
from __future__ import annotations

import abc
from typing import TYPE_CHECKING, Any, Callable, List, Optional, Protocol

from .._engine.engine import TLSEngine

if TYPE_CHECKING:
    from .._engine.context import SecureContext

__all__ = ["ConnectionOwner", "ConnectionState"]


class ConnectionOwner(Protocol):
    """What a TLSConnection and its features call on their owner (TLSSocket implements it).

    Ciphertext out, plaintext and end of stream in, the handshake's outcome,
    errors and the two schedulers (the pump); then what the features
    (tls._protocol.*) need of a Node socket: its events, ``destroy``, its
    server's events and context.
    """

    destroyed: bool
    _loop: Any  # the asyncio loop: call_soon for the cork
    secureConnecting: bool  # Node's: a client emits 'session' only once it is False
    _write_shut: bool       # end() closed the writing side (held writes go first)
    servername: Any         # Node's: a server socket's is the name sent once its SNICallback is asked

    def _transport_write(self, data: bytes) -> None:
        """Send ciphertext to the peer."""

    def _push(self, chunk: bytes) -> None:
        """Deliver plaintext ('data')."""

    def _push_eof(self) -> None:
        """The peer ended the stream after the handshake (close_notify or EOF)."""

    def _finishInit(self) -> None:
        """The handshake (or a renegotiation) is done: 'secure'."""

    def _on_ssl_error(self, err: BaseException) -> None:
        """A fatal TLS error."""

    def _hang_up(self) -> None:
        """The transport ended before the handshake finished."""

    def _after_write(self, cb: Optional[Callable[..., Any]]) -> None:
        """A user write was encrypted: call its callback when the transport took it."""

    def _send_fin(self) -> None:
        """Close the writing side of the transport (after close_notify)."""

    def _next_tick(self, callback: Callable[..., Any], *args: Any) -> None:
        """Run ``callback(*args)`` on Node's next tick."""

    # -- for the features (tls._protocol.*) --------------------------------
    def destroy(self, error: Optional[BaseException] = None) -> Any:
        """Node's destroy([error])."""

    def _emitTLSError(self, err: BaseException) -> None:
        """A TLS error that does not end the connection by itself (renegotiation limits)."""

    def _on_raw_data(self, data: Any) -> None:
        """Ciphertext as if it had just arrived (the ClientHello parser hands back what it held)."""

    def _emit_tls_event(self, event: str, *args: Any) -> bool:
        """Emit one of Node's TLSSocket events ('session', 'OCSPResponse', 'keylog')."""

    def _before_secure(self, listener: Callable[[], Any]) -> None:
        """Run ``listener()`` first at every 'secure' (keylog lines come before it)."""

    def _on_first_tls_listener(self, event: str, hook: Callable[[], Any]) -> None:
        """Call ``hook()`` once ``event`` has a listener (at once if it has one)."""

    def _server_listens(self, event: str) -> bool:
        """The owner's tls.Server has ``event`` listeners (False without a server)."""

    def _emit_server_event(self, event: str, *args: Any) -> bool:
        """``server.emit(event, *args)``: False without a server or a listener."""

    def _server_context(self) -> Optional["SecureContext"]:
        """The server's own SecureContext (OCSP reads its certificates), or None."""


class ConnectionState(abc.ABC):
    """One connection's engine and feature state: what the features (tls._protocol.*) work on.

    TLSConnection (connection.py) adds the pump; the features are typed against this class, so
    that they need not import the module that drives them."""

    __slots__ = ("engine", "owner", "is_server", "_loop", "secure", "sessions", "hello_parser",
                 "held_writes", "reneg_events", "ocsp", "corked", "in_cycle", "cork_scheduled",
                 "reneg", "hello", "sni_context", "npn_wired", "psk_callback", "keylog_lines",
                 "bytes_received", "bytes_sent", "plaintext_received", "sockio")

    def __init__(self, context: "SecureContext", is_server: bool, owner: ConnectionOwner) -> None:
        # the engine's owner is this connection: OpenSSL's hooks find it from the SSL*
        self.engine: Optional[TLSEngine] = TLSEngine(context._ctx, is_server, self)
        self.owner = owner
        self.is_server = is_server
        self._loop = owner._loop
        self.secure = False              # the (first) handshake is done
        self.sessions: Any = None        # tls._protocol.sessions state, when session events are wired
        self.hello_parser: Any = None    # sessions._HelloParser while 'resumeSession' may pause
        self.held_writes: Any = None     # renegotiation: writes SSL_write refused meanwhile
        self.reneg_events: Any = None    # renegotiation starts/dones recorded by OpenSSL
        self.ocsp: Any = None            # ocsp: set when OCSP is wired
        self.corked = False              # records of writes wait in the write BIO
        self.bytes_received = 0          # ciphertext in and out (a server's counters add them up)
        self.bytes_sent = 0
        self.plaintext_received = 0      # the TLSSocket's bytesRead (Node counts plaintext there)
        self.in_cycle = False            # inside cycle() (its end flushes)
        self.cork_scheduled = False      # flush_cork is queued on the loop
        self.sockio: Any = None          # sockio.SocketPump while C drives a plain TCP descriptor
        # off the data path (see the module docstring)
        self.reneg: Any = None           # renegotiation: counting, disableRenegotiation()
        self.hello: Any = None           # negotiation: SNICallback / ALPNCallback work
        self.sni_context: Optional["SecureContext"] = None  # the one an SNICallback chose
        self.npn_wired = False           # NPN configured (else npnProtocol is False)
        self.psk_callback: Optional[Callable[..., Any]] = None
        self.keylog_lines: Optional[List[bytes]] = None  # None until 'keylog' is listened to

    # Node's owner.destroy() / owner.destroyed, for the callback guard
    # (tls._binding.callbacks) and the features: the socket decides.
    @property
    def destroyed(self) -> bool:
        return self.owner.destroyed

    def destroy(self, error: Optional[BaseException] = None) -> None:
        self.owner.destroy(error)

    def free(self) -> None:
        engine, self.engine = self.engine, None
        if engine is not None:
            engine.free()

    # -- configuration ---------------------------------------------------

    # the pump's entry points the features call (TLSConnection, connection.py)
    @abc.abstractmethod
    def cycle(self, source: Optional[Callable[[], Any]] = None) -> None: ...

    @abc.abstractmethod
    def flush(self) -> None: ...

    @abc.abstractmethod
    def write_chunk(self, chunk: bytes, cb: Optional[Callable[..., Any]]) -> None: ...

    @abc.abstractmethod
    def shutdown_write(self) -> None: ...
