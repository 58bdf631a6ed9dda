"""OCSP stapling: the server's 'OCSPRequest' and the client's ``requestOCSP``
/ 'OCSPResponse' (Node's requestOCSP / onocspresponse in
lib/internal/tls/wrap.js and the cert / status callbacks of
src/crypto/crypto_tls.cc).

Server.  Wired only when the server had 'OCSPRequest' listeners when the
connection arrived: the server certificate callback (csrc/renegotiation.c,
with csrc/ocsp_stapling.c's step) then pauses the handshake (``SSL_ERROR_WANT_X509_LOOKUP``, the engine's
``paused`` state) when -- and only when -- the client sent a status request.
It runs after the client-hello and servername callbacks, i.e. after SNI has
chosen the context, and independently of SNI's own pause.  Once
``SSL_do_handshake`` returned, :func:`after_handshake_step` emits
``server.emit('OCSPRequest', certificate, issuer, callback)`` with the DER of
the chosen context's certificate and of its issuer (or None).
``callback(None, resp)`` stores ``resp`` for OpenSSL to staple and resumes the
handshake; ``callback(None, None)`` resumes without a staple;
``callback(err)`` destroys the socket with ``err`` (-> 'tlsClientError'); a
second call destroys it with ERR_MULTIPLE_CALLBACK, a call after it closed
with ERR_SOCKET_CLOSED, a response that is not a buffer throws
ERR_INVALID_ARG_TYPE from the callback (all as Node).  Renegotiations do
not ask again.

Client.  ``requestOCSP`` sends the status_request extension; whatever the
server answers (bytes, or None when it stapled nothing) is emitted as
'OCSPResponse' right after the handshake step that received it, before
'secure' / 'secureConnect'; a listener may destroy the socket.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Optional, Tuple

from .._binding import ffi, lib
from .._base.errors import NodeError, NodeTypeError
from .._base.validators import BUFFER_TYPES as _BUFFER_TYPES

if TYPE_CHECKING:
    from .state import ConnectionState

__all__ = ["configure", "after_handshake_step"]

# csrc/ocsp_stapling.c states
_REQUESTED = 2
_RUNNING = 3
_DONE = 4

_SERVER = 1
_CLIENT = 2


def configure(conn: "ConnectionState", opts: Any) -> None:
    """Wire OCSP on a new connection (sets ``conn.ocsp``: None when unused)."""
    engine = conn.engine
    assert engine is not None, "configured before the engine is freed"
    conn.ocsp = None
    ssl = engine.ssl
    if conn.is_server:
        if conn.owner._server_listens("OCSPRequest"):
            lib.tls_ocsp_server_enable(ssl)
            conn.ocsp = _SERVER
    elif opts.get("requestOCSP"):
        lib.tls_ocsp_client_enable(ssl)
        conn.ocsp = _CLIENT


def after_handshake_step(conn: "ConnectionState") -> bool:
    """Run after each SSL_do_handshake of a connection with OCSP wired.

    Returns True when its owner was destroyed meanwhile (stop cycling).
    """
    engine = conn.engine
    if engine is None:
        return True
    ssl = engine.ssl
    if conn.ocsp == _CLIENT:
        out = ffi.new("const unsigned char **")
        n = lib.tls_ocsp_take_response(ssl, out)
        if n == -2:
            return False
        response = ffi.buffer(out[0], n)[:] if n >= 0 and out[0] != ffi.NULL else None
        conn.owner._emit_tls_event("OCSPResponse", response)
        return conn.engine is None or conn.owner.destroyed
    if lib.tls_ocsp_state(ssl) != _REQUESTED:
        return False
    lib.tls_ocsp_set_state(ssl, _RUNNING)
    _request(conn)
    return conn.engine is None or conn.owner.destroyed


def _context_certificates(conn: "ConnectionState") -> Optional[Tuple[Optional[bytes], Optional[bytes]]]:
    """(certificate, issuer) DER of the context the handshake uses, as Node:
    the SNI context if one was selected (tls._protocol.negotiation keeps it
    as ``conn.sni_context``), else the server's shared context; None when
    there is neither (a TLSSocket of a plain net.Server)."""
    ctx = conn.sni_context or conn.owner._server_context()
    if ctx is None:
        return None
    return ctx.getCertificate(), ctx.getIssuer()


def _request(conn: "ConnectionState") -> None:
    """Node's requestOCSP(socket, info) for a client that asked."""
    owner = conn.owner
    certs = _context_certificates(conn)
    if certs is None or not owner._server_listens("OCSPRequest"):
        _done(conn, None)
        return
    called = [False]
    # While the listeners run (Node runs them inside the certificate
    # callback), an answer is only recorded: the handshake goes on once they
    # returned, so a second call there still destroys before anything is sent.
    emitting = [True]

    def on_ocsp(err: Any = None, response: Any = None) -> None:
        if called[0]:
            owner.destroy(NodeError("Callback called multiple times", "ERR_MULTIPLE_CALLBACK"))
            return
        called[0] = True
        if err:
            owner.destroy(err)
            return
        if conn.engine is None:
            owner.destroy(NodeError("Socket is closed", "ERR_SOCKET_CLOSED"))
            return
        # JavaScript truthiness: any Buffer (even empty) is a response.
        if response is not None and response is not False and response != "" and response != 0:
            if not isinstance(response, _BUFFER_TYPES):
                raise NodeTypeError("OCSP response must be a buffer", "ERR_INVALID_ARG_TYPE")
            _done(conn, bytes(response), resume=not emitting[0])
        else:
            _done(conn, None, resume=not emitting[0])

    try:
        owner._emit_server_event("OCSPRequest", certs[0], certs[1], on_ocsp)
    finally:
        emitting[0] = False
    engine = conn.engine
    if called[0] and engine is not None and not owner.destroyed \
            and lib.tls_ocsp_state(engine.ssl) == _DONE:
        _resume(conn)


def _done(conn: "ConnectionState", response: Optional[bytes], resume: bool = True) -> None:
    """Node's setOCSPResponse + requestOCSPDone: store, then resume the handshake."""
    engine = conn.engine
    if engine is None:
        return
    if response is None:
        lib.tls_ocsp_done(engine.ssl, ffi.NULL, 0)
    elif not lib.tls_ocsp_done(engine.ssl, response, len(response)):
        conn.owner.destroy(NodeError("Failed to set the OCSP response", "ERR_CRYPTO_OPERATION_FAILED"))
        return
    if resume:
        _resume(conn)


def _resume(conn: "ConnectionState") -> None:
    engine = conn.engine
    if engine is not None:
        engine.paused = False
        conn.cycle()
