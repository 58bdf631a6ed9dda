"""Node-style errors: every error carries a ``.code`` (the bottom of the stack: no OpenSSL here).

``NodeError`` and its TypeError / RangeError kinds are what every layer
raises; ``errno_error`` and ``_lookup_error`` turn operating-system and
getaddrinfo failures into Node's codes.  Errors read from OpenSSL's queue are
made in ``tls._binding.errors``; ``tls.errors`` shows both.

Each error is also the Python exception its code stands for
(``ECONNREFUSED`` -> ``ConnectionRefusedError``, a certificate failure ->
``ssl.SSLCertVerificationError`` ...): ``NodeError.__new__`` asks
``error_kinds`` (where the table and the reasons are) for the class.
``str(err)`` is ``[code] message``; ``err.message`` is Node's message.
"""
from __future__ import annotations

import errno as _errno
import os
import socket as _socket
from typing import TYPE_CHECKING, Any, Optional, Type

from . import error_kinds as _kinds

_MADE = _kinds.MADE   # (family, code) -> class: the lookup every construction starts with

__all__ = ["NodeError", "NodeTypeError", "NodeRangeError", "errno_error", "error_message"]


class NodeError(Exception):
    """An Error as Node creates it: a message plus ``.code`` and extra attributes."""

    code: Optional[str]

    if TYPE_CHECKING:
        # Like Node's Error objects, each carries the properties its origin adds
        # (library, reason, opensslErrorStack, errno, syscall, address, port, ...).
        def __getattr__(self, name: str) -> Any: ...
        def __setattr__(self, name: str, value: Any) -> None: ...

    # True on the classes error_kinds makes (a family plus a builtin): they are built as they are
    _python_kind = False

    def __new__(cls, *args: Any, **attrs: Any) -> "NodeError":
        kind: Any = cls
        # Only the families built as NodeError(message, code, **attrs) are looked up: a subclass with
        # its own constructor (StoreFailure) has other positional arguments.
        if not cls._python_kind and cls.__init__ is _NODE_ERROR_INIT:
            code = args[1] if len(args) > 1 else attrs.get("code")
            kind = _MADE.get((cls, code)) or _kinds.python_kind(cls, code)
            if kind._python_kind:
                # an OSError subclass must be allocated by OSError.__new__ (a larger instance layout)
                made: NodeError = OSError.__new__(kind, *args[:1]) if issubclass(kind, OSError) \
                    else Exception.__new__(kind, *args[:1])
                return made
        return Exception.__new__(kind, *args[:1])  # type: ignore[no-any-return]

    def __init__(self, message: str = "", code: Optional[str] = None, **attrs: Any) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        for name, value in attrs.items():
            setattr(self, name, value)
        if type(self)._python_kind:
            _kinds.fill_python_fields(self, code, attrs)  # type: ignore[arg-type]
        elif "errno" in attrs:
            self.nodeErrno = attrs["errno"]

    #: said after the message by str() only (``.message`` stays Node's): why, where Node's own
    #: error does not say (e.g. a rejected client certificate's reason: tls._objects.client_rejection)
    _str_detail: Optional[str] = None

    def __str__(self) -> str:
        # the code first, so that the last line of a traceback says what happened
        code = self.code
        text = "[%s] %s" % (code, self.message) if code else self.message
        detail = self._str_detail
        return text if detail is None else "%s (%s)" % (text, detail)

    def __reduce__(self) -> Any:
        # the made classes are not module attributes: rebuild from the family and the code
        family = next(c for c in type(self).__mro__ if not c.__dict__.get("_python_kind"))
        return (_rebuild, (family, self.message, self.code, dict(self.__dict__)))

    def __repr__(self) -> str:
        return "%s(%r, code=%r)" % (type(self).__name__, self.message, self.code)


_NODE_ERROR_INIT = NodeError.__init__


def _rebuild(family: Type[NodeError], message: str, code: Optional[str], state: Any) -> NodeError:
    """Unpickle: the family makes the same class again from the code."""
    err = family.__new__(family, message, code)
    NodeError.__init__(err, message, code)
    err.__dict__.update(state)
    return err


def error_message(exc: BaseException) -> str:
    """Node's message of an error (``err.message``), or str() of any other exception."""
    message = getattr(exc, "message", None)
    return message if isinstance(message, str) else str(exc)


class NodeTypeError(NodeError, TypeError):
    """Node's TypeError (ERR_INVALID_ARG_TYPE ...)."""


class NodeRangeError(NodeError, ValueError):
    """Node's RangeError (ERR_OUT_OF_RANGE ...)."""


# Node's OSSL_ERROR_CODES_MAP: the libraries that get a name in the code.


# -- operating-system errors, as libuv names them ----------------------------------------------

# libuv's uv_strerror() texts, which Node puts in the messages of listen errors.
_UV_DESCRIPTIONS = {
    "EADDRINUSE": "address already in use", "EADDRNOTAVAIL": "address not available",
    "EACCES": "permission denied", "EAFNOSUPPORT": "address family not supported",
    "EINVAL": "invalid argument", "ENOENT": "no such file or directory", "EPERM": "operation not permitted",
    "EMFILE": "too many open files", "ENOTSUP": "operation not supported on socket",
}


def errno_error(exc: BaseException, syscall: str, *, describe: bool = False, **attrs: Any) -> BaseException:
    """An OSError as Node reports it: code = errno name, errno negative, syscall.

    ``describe`` adds libuv's description the way Node's listen errors have
    it (``listen EADDRINUSE: address already in use 127.0.0.1:80``); connect
    errors have none (``connect ECONNREFUSED 127.0.0.1:80``).  Anything that
    is not an OSError (an exception from a listener) is returned as it is.
    """
    if isinstance(exc, NodeError):
        return exc
    if not isinstance(exc, OSError):
        return exc
    num = exc.errno
    if num is None:
        num = _errno.ECONNRESET if isinstance(exc, ConnectionError) else _errno.EIO
    name = _errno.errorcode.get(num, "EIO")
    if num == _errno.EPIPE and syscall == "read":
        syscall = "write"
    message = "%s %s" % (syscall, name)
    if describe:
        message += ": " + _UV_DESCRIPTIONS.get(name, os.strerror(num).lower())
    address = attrs.get("address")
    if address is not None:
        message += " %s" % address
        port = attrs.get("port")
        if port is not None and port != -1:
            message += ":%s" % port
    return NodeError(message, name, errno=-num, syscall=syscall, **attrs)


def _lookup_error(exc: BaseException, hostname: str) -> NodeError:
    """A getaddrinfo failure as Node's dns.lookup reports it."""
    num = getattr(exc, "errno", None)
    if num in (getattr(_socket, "EAI_AGAIN", -3),):
        code, uv = "EAI_AGAIN", -3001
    elif num in (getattr(_socket, "EAI_NONAME", -2), getattr(_socket, "EAI_NODATA", -5),
                 getattr(_socket, "EAI_ADDRFAMILY", -9)):
        code, uv = "ENOTFOUND", -3008
    elif num == getattr(_socket, "EAI_FAIL", -4):
        code, uv = "EAI_FAIL", -3002
    else:
        code, uv = "ENOTFOUND", -3008
    return NodeError("getaddrinfo %s %s" % (code, hostname), code, errno=uv, syscall="getaddrinfo",
                     hostname=hostname)
