"""Why a tls.Server hung up on a client: the verification reason on its 'tlsClientError'.

A server with ``requestCert`` and ``rejectUnauthorized`` that gets a client certificate it
cannot verify does what Node 20 does (lib/_tls_wrap.js, onServerSocketSecure): the handshake
completes (Node's verify callback accepts everything, the result is read afterwards), the
socket is destroyed without an error, and its 'close' becomes a 'tlsClientError' of
ECONNRESET "socket hang up" -- the reason itself is only on ``tlsSocket.authorizationError``,
which few listeners read.  Here that same error (``.code`` and ``.message`` Node's, so code
that compares them with Node's still matches) also carries the reason:

* ``err.verifyError``: the verification's own error, as a client would get it
  (``.code`` DEPTH_ZERO_SELF_SIGNED_CERT, ``.message`` 'self-signed certificate');
* ``err.verify_code`` / ``err.verify_message``: its X509_V_ERR number and text, the names
  ``ssl.SSLCertVerificationError`` uses;
* ``str(err)``: Node's message followed by the reason, so a log line or a traceback says why
  (NodeError's ``_str_detail``: ``.message`` stays Node's).
"""
from __future__ import annotations

from typing import Any

from .._base.errors import NodeError
from .._binding.errors import VERIFY_ERROR_CODES

__all__ = ["explain_rejection"]

_VERIFY_NUMBERS = {code: number for number, code in VERIFY_ERROR_CODES.items()}


def explain_rejection(err: Any, verify_error: NodeError) -> Any:
    """``err`` (the server's 'tlsClientError'), carrying why the client was rejected."""
    err.verifyError = verify_error
    err.verify_code = _VERIFY_NUMBERS.get(verify_error.code or "", 0)
    err.verify_message = verify_error.message
    err._str_detail = "client certificate rejected: %s: %s" % (verify_error.code, verify_error.message)
    return err
