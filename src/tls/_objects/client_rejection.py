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
* ``str(err)``: Node's message followed by the reason, so a log line or a traceback says why.

``str()`` is the one part that needs a class of its own: the error's class is swapped for a
subclass of whatever class it has (the error family may give ECONNRESET a builtin base such
as ConnectionResetError), which adds only ``__str__`` -- same layout, same ``isinstance``
answers, same name in tracebacks.
"""
from __future__ import annotations

from typing import Any, Dict

from .._base.errors import NodeError
from .._binding.errors import VERIFY_ERROR_CODES

__all__ = ["explain_rejection"]

_VERIFY_NUMBERS = {code: number for number, code in VERIFY_ERROR_CODES.items()}


class _WithVerifyReason:
    __slots__ = ()   # adds nothing to the instance: the class of a live error can become this

    def __str__(self) -> str:
        base = super().__str__()
        return "%s (client certificate rejected: %s: %s)" % (
            base, getattr(getattr(self, "verifyError", None), "code", None), getattr(self, "verify_message", ""))


_CLASSES: Dict[type, type] = {}


def _explained_class(base: type) -> type:
    cls = _CLASSES.get(base)
    if cls is None:
        cls = _CLASSES[base] = type(base.__name__, (_WithVerifyReason, base),
                                    {"__module__": base.__module__, "__qualname__": base.__qualname__,
                                     "__slots__": ()})
    return cls


def explain_rejection(err: Any, verify_error: NodeError) -> Any:
    """``err`` (the server's 'tlsClientError'), carrying why the client was rejected."""
    err.verifyError = verify_error
    err.verify_code = _VERIFY_NUMBERS.get(verify_error.code or "", 0)
    err.verify_message = verify_error.message
    if isinstance(err, BaseException) and not isinstance(err, _WithVerifyReason):
        err.__class__ = _explained_class(type(err))
    return err
