"""Who is told about a ``tls.TLSSocket``'s errors (Node's error routing), and the listeners a
``tls.Server`` puts on the sockets it accepts.

``TLSSocketRouting`` is mixed into ``TLSSocket`` (tlssocket.py, which declares the state it works on);
it is apart only to keep each file about one job.  The rules are Node's (lib/internal/tls/wrap.js):
on a client every error reaches 'error'.  A server socket has not "released control" until
'secureConnection'; until then its TLS errors and a hang-up go to
``server.emit('tlsClientError', err, socket)`` once (``_on_server_socket_tls_error``,
``_on_server_socket_close``), and never to the server's 'error'.  A standalone TLSSocket never
releases control: its errors reach its own 'error' listeners, and never throw for want of one
(``_tlsError``, an 'error' listener of its own until ``_releaseControl``).
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Optional

from .._base.error_kinds import add_call_site_note
from .._base.errors import NodeError
from .client_rejection import explain_rejection
from .life import Life, Route
from .._node.timer_list import cancel as _cancel_timer

if TYPE_CHECKING:
    from .._engine.engine import TLSEngine
    from .._node.stream import StreamMixin
    from .._protocol.connection import TLSConnection
    from .counters import ServerCounters

    # for the type checker the mixin is the stream it is mixed into (with TLSSocket's state below)
    _RoutingBase = StreamMixin
else:
    _RoutingBase = object

__all__ = ["TLSSocketRouting", "_conn_reset"]


def _conn_reset(message: str, **attrs: Any) -> NodeError:
    return NodeError(message, "ECONNRESET", **attrs)


class TLSSocketRouting(_RoutingBase):
    """Node's error routing on a TLSSocket (see the module docstring)."""

    if TYPE_CHECKING:
        # the state and hooks tls.TLSSocket provides (declared there, with its defaults)
        _life: Life
        _route: Route
        _is_server: bool
        _requestCert: bool
        _rejectUnauthorized: bool
        _handshake_timer: Any
        _tls_error_listener: Any
        _counters: Optional[ServerCounters]
        _conn: TLSConnection
        _rejected_for: Optional[NodeError]
        _call_site: Any
        server: Any
        authorized: bool
        authorizationError: Optional[str]
        secureConnecting: bool

        @property
        def _engine(self) -> Optional[TLSEngine]: ...
        @property
        def _controlReleased(self) -> bool: ...
        @property
        def _secureEstablished(self) -> bool: ...
        def _set_life(self, life: Life) -> None: ...
        def _set_route(self, route: Route) -> None: ...
        def _verify_error(self) -> Optional[NodeError]: ...
        def isSessionReused(self) -> Optional[bool]: ...

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
            if type(timer) is list:   # an entry of the server's TimerList
                _cancel_timer(timer)
            else:
                timer.cancel()

    def _on_server_socket_secure(self) -> None:
        """Node's onServerSocketSecure (a 'secure' listener set by tls.Server)."""
        server = self.server
        assert server is not None and self._counters is not None, "a listener of tls.Server's sockets only"
        engine = self._conn.engine
        # isSessionReused() and the protocol, read together (the version cannot change after this)
        reused, tls13 = engine.reused_and_tls13() if engine is not None else (False, False)
        self._counters.handshake(reused)
        if self._requestCert:
            err = self._verify_error()
            if err is not None:
                self.authorizationError = err.code
                if self._rejectUnauthorized:
                    self._rejected_for = err   # the reason, for the 'tlsClientError' (client_rejection.py)
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
            if not tls13 and self._conn.engine is not None:
                self._set_ready()
            server.emit("secureConnection", self)

    def _on_server_socket_tls_error(self, err: BaseException) -> None:
        if self._route is Route.HELD:
            self._set_route(Route.REPORTED)
            server = self.server
            assert server is not None and self._counters is not None, "a listener of tls.Server's sockets only"
            self._counters.client_error(err)
            add_call_site_note(err, self._call_site)   # the server's createServer()/listen() line
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
            if self._rejected_for is not None:
                explain_rejection(err, self._rejected_for)
            self._counters.client_error(err)
            add_call_site_note(err, self._call_site)   # the server's createServer()/listen() line
            server.emit("tlsClientError", err, self)
