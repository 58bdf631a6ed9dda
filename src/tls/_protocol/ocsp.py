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

from typing import Any, Optional, Tuple

from .._binding import ffi, lib
from .._base.errors import NodeError, NodeTypeError

__all__ = ["configure", "after_handshake_step"]

# csrc/ocsp_stapling.c states
_REQUESTED = 2
_RUNNING = 3
_DONE = 4

_SERVER = 1
_CLIENT = 2

from .._base.validators import BUFFER_TYPES as _BUFFER_TYPES  # noqa: E402


def configure(sock: Any, opts: Any) -> None:
    """Wire OCSP on a new TLSSocket (sets ``sock._ocsp``: None when unused)."""
    sock._ocsp = None
    ssl = sock._engine.ssl
    if sock._is_server:
        server = sock.server
        if server is not None and hasattr(server, "listenerCount") and server.listenerCount("OCSPRequest") > 0:
            lib.tls_ocsp_server_enable(ssl)
            sock._ocsp = _SERVER
    elif opts.get("requestOCSP"):
        lib.tls_ocsp_client_enable(ssl)
        sock._ocsp = _CLIENT


def after_handshake_step(sock: Any) -> bool:
    """Run after each SSL_do_handshake of a socket with OCSP wired.

    Returns True when the socket was destroyed meanwhile (stop cycling).
    """
    engine = sock._engine
    if engine is None:
        return True
    ssl = engine.ssl
    if sock._ocsp == _CLIENT:
        out = ffi.new("const unsigned char **")
        n = lib.tls_ocsp_take_response(ssl, out)
        if n == -2:
            return False
        response = ffi.buffer(out[0], n)[:] if n >= 0 and out[0] != ffi.NULL else None
        sock.emit("OCSPResponse", response)
        return sock._engine is None or sock.destroyed
    if lib.tls_ocsp_state(ssl) != _REQUESTED:
        return False
    lib.tls_ocsp_set_state(ssl, _RUNNING)
    _request(sock)
    return sock._engine is None or sock.destroyed


def _context_certificates(sock: Any) -> Optional[Tuple[Optional[bytes], Optional[bytes]]]:
    """(certificate, issuer) DER of the context the handshake uses, as Node:
    the SNI context if one was selected (tls/_negotiation.py keeps it as
    ``sock._sni_context``), else the server's shared context; None when there
    is neither (a TLSSocket of a plain net.Server)."""
    ctx = getattr(sock, "_sni_context", None) or getattr(sock.server, "_shared_creds", None)
    if ctx is None:
        return None
    ctx = getattr(ctx, "context", ctx)
    return ctx.getCertificate(), ctx.getIssuer()


def _request(sock: Any) -> None:
    """Node's requestOCSP(socket, info) for a client that asked."""
    server = sock.server
    certs = _context_certificates(sock) if server is not None else None
    if certs is None or server.listenerCount("OCSPRequest") == 0:
        _done(sock, None)
        return
    called = [False]
    # While the listeners run (Node runs them inside the certificate
    # callback), an answer is only recorded: the handshake goes on once they
    # returned, so a second call there still destroys before anything is sent.
    emitting = [True]

    def on_ocsp(err: Any = None, response: Any = None) -> None:
        if called[0]:
            sock.destroy(NodeError("Callback called multiple times", "ERR_MULTIPLE_CALLBACK"))
            return
        called[0] = True
        if err:
            sock.destroy(err)
            return
        if sock._engine is None:
            sock.destroy(NodeError("Socket is closed", "ERR_SOCKET_CLOSED"))
            return
        # JavaScript truthiness: any Buffer (even empty) is a response.
        if response is not None and response is not False and response != "" and response != 0:
            if not isinstance(response, _BUFFER_TYPES):
                raise NodeTypeError("OCSP response must be a buffer", "ERR_INVALID_ARG_TYPE")
            _done(sock, bytes(response), resume=not emitting[0])
        else:
            _done(sock, None, resume=not emitting[0])

    try:
        server.emit("OCSPRequest", certs[0], certs[1], on_ocsp)
    finally:
        emitting[0] = False
    engine = sock._engine
    if called[0] and engine is not None and not sock.destroyed \
            and lib.tls_ocsp_state(engine.ssl) == _DONE:
        _resume(sock)


def _done(sock: Any, response: Optional[bytes], resume: bool = True) -> None:
    """Node's setOCSPResponse + requestOCSPDone: store, then resume the handshake."""
    engine = sock._engine
    if engine is None:
        return
    if response is None:
        lib.tls_ocsp_done(engine.ssl, ffi.NULL, 0)
    elif not lib.tls_ocsp_done(engine.ssl, response, len(response)):
        sock.destroy(NodeError("Failed to set the OCSP response", "ERR_CRYPTO_OPERATION_FAILED"))
        return
    if resume:
        _resume(sock)


def _resume(sock: Any) -> None:
    engine = sock._engine
    if engine is not None:
        engine.paused = False
        sock._cycle()
