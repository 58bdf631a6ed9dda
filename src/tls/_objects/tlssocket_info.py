"""What a connected ``tls.TLSSocket`` tells and what a program may change on it: the certificates,
cipher, protocol and session getters, ``setServername`` / ``setSession``, renegotiation and the
record size.

``TLSSocketInfo`` is mixed into ``TLSSocket`` (tlssocket.py, which declares the state it works on);
it is apart only to keep each file about one job.  Each method reads or sets the engine's state or
hands the work to its ``tls._protocol`` feature; after ``destroy()`` there is no engine, and the
getters answer None, as Node's undefined / null.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable, Dict, Optional

from .._node import runtime as _runtime
from .._base.errors import NodeError, NodeTypeError
from .._base.options import RENEGOTIATE, take_options
from .._base.validators import received as _received
from . import x509 as _x509
from . import x509_certificate as _x509_certificate
from .._protocol import keyexchange as _keyexchange
from .._protocol import renegotiation as _renegotiation
from .._protocol import sessions as _sessions

if TYPE_CHECKING:
    from .._engine.context import SecureContext
    from .._engine.engine import TLSEngine
    from .._node.events import EventEmitter
    from .._protocol.connection import TLSConnection

    # for the type checker the mixin is the emitter it is mixed into (with TLSSocket's state below)
    _InfoBase = EventEmitter
else:
    _InfoBase = object

__all__ = ["TLSInfo", "TLSSocketInfo"]


class TLSInfo(_InfoBase):
    """The getters of a TLS connection (certificates, cipher, protocol, session, key exchange) and the
    setters that only hand work to a ``tls._protocol`` feature: shared by TLSSocket and
    tls.sansio.Connection, which both provide the state below."""

    if TYPE_CHECKING:
        # the state the connection object provides (TLSSocket declares it with its defaults)
        _conn: TLSConnection
        _is_server: bool
        _requestCert: bool
        _rejectUnauthorized: bool
        _secure_context: SecureContext
        destroyed: bool

        @property
        def _engine(self) -> Optional[TLSEngine]: ...

    # -- getters ----------------------------------------------------------
    @property
    def native(self) -> Any:
        """The ``SSL*`` (a cffi pointer of ``tls.openssl.ffi``), borrowed: valid until the socket
        is destroyed, then ``None`` -- never a dangling pointer (docs/openssl.md)."""
        engine = self._engine
        return None if engine is None else engine.native()

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

    def disableRenegotiation(self) -> None:
        """Later renegotiations of the peer emit 'error' ERR_TLS_RENEGOTIATION_DISABLED."""
        _renegotiation.disable(self._conn)

    def getEphemeralKeyInfo(self) -> Optional[Dict[str, Any]]:
        return _keyexchange.ephemeral_key_info(self._conn)

    def setMaxSendFragment(self, size: Any) -> bool:
        return _keyexchange.set_max_send_fragment(self._conn, size)


class TLSSocketInfo(TLSInfo):
    """The getters and setters of a TLSSocket (see the module docstring)."""

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

    def setServername(self, name: str) -> None:
        if not isinstance(name, str):
            raise NodeTypeError('The "name" argument must be of type string. Received %s' % _received(name),
                                "ERR_INVALID_ARG_TYPE")
        if self._is_server:
            raise NodeError("Cannot issue SNI from a TLS server-side socket", "ERR_TLS_SNI_FROM_SERVER")
        if self._engine is not None:
            self._engine.set_servername(name)
