"""Which Python exception each Node error also is, and where the user started what failed.

Why this module exists
----------------------
Every error of the package is a ``NodeError``: Node's ``code``, its exact
``message`` and the attributes Node puts on it.  Code written for asyncio
does not know those; it catches ``ConnectionRefusedError``,
``ConnectionResetError``, ``TimeoutError``, ``ssl.SSLCertVerificationError``
or just ``OSError``.  So each error is *also* an instance of the builtin a
Python user would catch: ``NodeError(message, code, **attrs)`` looks the code
up here and, when it names one, builds an instance of a class that derives
from both the Node family it was asked for (``NodeError``, ``NodeTypeError``
...) and that builtin.  Those classes are made on first use, one per (family,
builtin) pair, and cached, so the table below is the whole design and no call
site changes: a call site says which Node error it has, this module decides
which Python error that is.

The table
---------
* a code that is an errno name (``ECONNREFUSED``, ``ECONNRESET``, ``EPIPE``,
  ``ETIMEDOUT``, ``EADDRINUSE`` ...): the ``OSError`` subclass Python itself
  picks for that number (``OSError(errno.ECONNREFUSED, ...)`` is a
  ``ConnectionRefusedError``; ``EADDRINUSE`` stays a plain ``OSError``), with
  ``.errno`` the positive number and ``.strerror`` the C library's text;
* a getaddrinfo failure (``ENOTFOUND``, ``EAI_AGAIN``, ``EAI_FAIL``):
  ``socket.gaierror`` with Python's ``EAI_*`` number;
* a certificate verification failure (the X509_V_ERR names Node uses as codes,
  and ``ERR_TLS_CERT_ALTNAME_INVALID``): ``ssl.SSLCertVerificationError`` with
  ``verify_code`` / ``verify_message`` as ``_ssl.c`` sets them (the host name
  mismatch one reads "Hostname mismatch, certificate is not valid for 'x'.");
* any other OpenSSL failure (``ERR_SSL_*``, ``ERR_OSSL_*``): ``ssl.SSLError``
  (``ssl.SSLEOFError`` for an unexpected EOF), ``.errno`` = SSL_ERROR_SSL as
  ``_ssl.c`` sets it;
* the handshake timeouts (``ERR_TLS_HANDSHAKE_TIMEOUT``,
  ``ERR_SOCKET_CONNECTION_TIMEOUT``): ``TimeoutError`` (and
  ``asyncio.TimeoutError`` before Python 3.11, where the two differ).

The one clash: ``errno``
------------------------
Node's ``err.errno`` is libuv's negative number (-111); Python's
``OSError.errno`` is the positive one (111) and code such as
``if exc.errno == errno.EADDRINUSE`` relies on it.  An error that is an
``OSError`` keeps Python's meaning for ``.errno``, and Node's value is
``.nodeErrno`` (every error made with ``errno=`` has it).  Call sites keep
passing Node's value as ``errno=``.  ``.library`` and ``.reason`` keep Node's
spelling (``'SSL routines'``, ``'wrong version number'``); ssl's upper-case
reason is the code without its ``ERR_SSL_`` prefix.

Call sites (PEP 678 notes)
--------------------------
An error that arrives later, as an ``'error'`` event or from an awaitable, has
a traceback that starts in the event loop, not in the user's code.
``call_site()`` records, when the user calls ``connect`` / ``listen`` /
``createServer``, the first frame outside the package (a few frame hops, about
a microsecond), and ``add_call_site_note`` turns it into a note on the error
when it is emitted (Python 3.11+, where exceptions have notes).
"""
from __future__ import annotations

import errno as _errno
import functools
import os
import socket as _socket
import sys
from typing import Any, Dict, Optional, Tuple

from .addresses import isIP

__all__ = ["VERIFY_ERROR_CODES", "python_kind", "fill_python_fields", "call_site", "add_call_site_note",
           "CallSite"]

# X509_V_ERR_* numbers (OpenSSL 3.0 x509_vfy.h) -> Node's code names.
VERIFY_ERROR_CODES = {
    2: "UNABLE_TO_GET_ISSUER_CERT", 3: "UNABLE_TO_GET_CRL",
    4: "UNABLE_TO_DECRYPT_CERT_SIGNATURE", 5: "UNABLE_TO_DECRYPT_CRL_SIGNATURE",
    6: "UNABLE_TO_DECODE_ISSUER_PUBLIC_KEY", 7: "CERT_SIGNATURE_FAILURE", 8: "CRL_SIGNATURE_FAILURE",
    9: "CERT_NOT_YET_VALID", 10: "CERT_HAS_EXPIRED", 11: "CRL_NOT_YET_VALID", 12: "CRL_HAS_EXPIRED",
    13: "ERROR_IN_CERT_NOT_BEFORE_FIELD", 14: "ERROR_IN_CERT_NOT_AFTER_FIELD",
    15: "ERROR_IN_CRL_LAST_UPDATE_FIELD", 16: "ERROR_IN_CRL_NEXT_UPDATE_FIELD", 17: "OUT_OF_MEM",
    18: "DEPTH_ZERO_SELF_SIGNED_CERT", 19: "SELF_SIGNED_CERT_IN_CHAIN",
    20: "UNABLE_TO_GET_ISSUER_CERT_LOCALLY", 21: "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
    22: "CERT_CHAIN_TOO_LONG", 23: "CERT_REVOKED", 24: "INVALID_CA", 25: "PATH_LENGTH_EXCEEDED",
    26: "INVALID_PURPOSE", 27: "CERT_UNTRUSTED", 28: "CERT_REJECTED", 29: "SUBJECT_ISSUER_MISMATCH",
    30: "AKID_SKID_MISMATCH", 31: "AKID_ISSUER_SERIAL_MISMATCH", 32: "KEYUSAGE_NO_CERTSIGN",
    33: "UNABLE_TO_GET_CRL_ISSUER", 34: "UNHANDLED_CRITICAL_EXTENSION", 35: "KEYUSAGE_NO_CRL_SIGN",
    36: "UNHANDLED_CRITICAL_CRL_EXTENSION", 37: "INVALID_NON_CA", 38: "PROXY_PATH_LENGTH_EXCEEDED",
    39: "KEYUSAGE_NO_DIGITAL_SIGNATURE", 40: "PROXY_CERTIFICATES_NOT_ALLOWED",
    41: "INVALID_EXTENSION", 42: "INVALID_POLICY_EXTENSION", 43: "NO_EXPLICIT_POLICY",
    44: "DIFFERENT_CRL_SCOPE", 45: "UNSUPPORTED_EXTENSION_FEATURE", 46: "UNNESTED_RESOURCE",
    47: "PERMITTED_VIOLATION", 48: "EXCLUDED_VIOLATION", 49: "SUBTREE_MINMAX",
    50: "APPLICATION_VERIFICATION", 51: "UNSUPPORTED_CONSTRAINT_TYPE",
    52: "UNSUPPORTED_CONSTRAINT_SYNTAX", 53: "UNSUPPORTED_NAME_SYNTAX", 54: "CRL_PATH_VALIDATION_ERROR",
    62: "HOSTNAME_MISMATCH", 63: "EMAIL_MISMATCH", 64: "IP_ADDRESS_MISMATCH",
}
_VERIFY_NUMBERS = {name: number for number, name in VERIFY_ERROR_CODES.items()}
_VERIFY_NUMBERS["UNSPECIFIED"] = 1                      # X509_V_ERR_UNSPECIFIED
_X509_V_ERR_HOSTNAME_MISMATCH, _X509_V_ERR_IP_ADDRESS_MISMATCH = 62, 64
_ALTNAME_INVALID = "ERR_TLS_CERT_ALTNAME_INVALID"

_TIMEOUT_CODES = frozenset(("ERR_TLS_HANDSHAKE_TIMEOUT", "ERR_SOCKET_CONNECTION_TIMEOUT"))

# Node's dns.lookup codes -> Python's getaddrinfo number and glibc's gai_strerror() text.
_GAI = {
    "ENOTFOUND": (getattr(_socket, "EAI_NONAME", -2), "Name or service not known"),
    "EAI_AGAIN": (getattr(_socket, "EAI_AGAIN", -3), "Temporary failure in name resolution"),
    "EAI_FAIL": (getattr(_socket, "EAI_FAIL", -4), "Non-recoverable failure in name resolution"),
}

_ERRNO_NAMES = frozenset(name for name in _errno.errorcode.values() if name.startswith("E"))

# ssl.SSL_ERROR_SSL and ssl.SSL_ERROR_EOF, the .errno _ssl.c gives its errors (kept here so that
# the table is read without importing ssl).
_SSL_ERROR_SSL, _SSL_ERROR_EOF = 1, 8

# (builtin-kind key) -> the Python class; (family, key) -> the made class.
_BUILTINS: Dict[str, type] = {}
_MADE: Dict[Tuple[type, Any], type] = {}
MADE = _MADE   # read by NodeError.__new__ first (one dict lookup for a code seen before)


def _builtin(key: str) -> type:
    """The Python exception class for a table key, imported the first time it is needed.

    ``ssl`` (and with it the interpreter's own OpenSSL) and ``asyncio`` are
    imported only when an error of theirs is made, so that ``import tls.net``
    stays free of both.
    """
    cls = _BUILTINS.get(key)
    if cls is not None:
        return cls
    if key.startswith("errno:"):
        cls = type(OSError(getattr(_errno, key[6:]), ""))   # Python's own errno -> subclass table
    elif key == "gai":
        cls = _socket.gaierror
    elif key == "timeout":
        if sys.version_info >= (3, 11):
            cls = TimeoutError
        else:   # asyncio.TimeoutError is its own class before 3.11: be both
            import asyncio
            cls = type("TimeoutError", (TimeoutError, asyncio.TimeoutError), {"__module__": __name__})
    else:
        import ssl
        cls = {"verify": ssl.SSLCertVerificationError, "ssl": ssl.SSLError, "eof": ssl.SSLEOFError}[key]
    _BUILTINS[key] = cls
    return cls


def _key_for(code: str) -> Optional[str]:
    if code in _ERRNO_NAMES:
        return "errno:" + code
    if code.startswith("ERR_SSL_"):
        return "eof" if code == "ERR_SSL_UNEXPECTED_EOF_WHILE_READING" else "ssl"
    if code.startswith("ERR_OSSL_"):
        return "ssl"
    if code in _VERIFY_NUMBERS or code == _ALTNAME_INVALID:
        return "verify"
    if code in _TIMEOUT_CODES:
        return "timeout"
    if code in _GAI:
        return "gai"
    return None


def python_kind(family: type, code: Any) -> type:
    """The class a ``family(message, code)`` error is made of: ``family`` itself or a made subclass."""
    if not isinstance(code, str):
        if code is None:
            _MADE[(family, None)] = family
        return family
    made = _MADE.get((family, code))
    if made is not None:
        return made
    key = _key_for(code)
    if key is None:
        made = family
    else:
        builtin = _builtin(key)
        if issubclass(family, builtin):
            made = family
        else:
            made = _MADE.get((family, key))
            if made is None:
                # named like the family, so tracebacks and repr() read as before
                made = type(family.__name__, (family, builtin), {
                    "__module__": family.__module__, "__qualname__": family.__qualname__,
                    "_python_kind": True,
                    "__doc__": "%s that is also %s.%s" % (family.__name__, builtin.__module__,
                                                           builtin.__qualname__)})
                _MADE[(family, key)] = made
    _MADE[(family, code)] = made
    return made


@functools.cache
def _strerror(number: int) -> str:
    return os.strerror(number)


def fill_python_fields(error: Any, code: str, attrs: Dict[str, Any]) -> None:
    """Set what the builtin's own constructor would have set (``errno``, ``strerror``, ``verify_*``)."""
    err: Any = error   # a NodeError: attributes of its own beside OSError's
    if "errno" in attrs:
        err.nodeErrno = attrs["errno"]
    if not isinstance(error, OSError):
        return
    if code in _ERRNO_NAMES:
        number = getattr(_errno, code)
        err.errno, err.strerror = number, _strerror(number)
    elif code in _GAI:
        err.errno, err.strerror = _GAI[code]
    elif code in _TIMEOUT_CODES:
        err.errno, err.strerror = None, err.message
    else:   # OpenSSL's
        err.errno = _SSL_ERROR_EOF if code == "ERR_SSL_UNEXPECTED_EOF_WHILE_READING" else _SSL_ERROR_SSL
        err.strerror = err.message
        if code == _ALTNAME_INVALID:
            host = attrs.get("host")
            if isIP(str(host)):
                err.verify_code = _X509_V_ERR_IP_ADDRESS_MISMATCH
                err.verify_message = "IP address mismatch, certificate is not valid for '%s'." % host
            else:
                err.verify_code = _X509_V_ERR_HOSTNAME_MISMATCH
                err.verify_message = "Hostname mismatch, certificate is not valid for '%s'." % host
        elif code in _VERIFY_NUMBERS:
            err.verify_code = _VERIFY_NUMBERS[code]
            err.verify_message = err.message


# -- call sites ---------------------------------------------------------------------------------

# (file, line, function of the user's frame, the package function it called)
CallSite = Tuple[str, int, str, str]

_PACKAGE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep
# A coroutine run as a task of its own (asyncio.wait_for before 3.12, create_task) is called by the
# event loop: no user frame above it says who awaited it, and a note naming asyncio's own file
# would mislead, so there is no note then.
_ASYNCIO_PART = os.sep + "asyncio" + os.sep
_NOTE_PREFIX = "tls: "


def call_site() -> Optional[CallSite]:
    """The user's frame that called into the package (the first one outside it), or None.

    Cheap enough to run on every connect/listen: it reads a few frames' code
    objects and formats nothing (the note is written only when an error needs it).
    """
    frame: Any = sys._getframe(1)
    entry = "?"
    while frame is not None:
        code = frame.f_code
        if not code.co_filename.startswith(_PACKAGE_DIR):
            if _ASYNCIO_PART in code.co_filename:
                return None
            return (code.co_filename, frame.f_lineno, code.co_name, entry)
        entry = code.co_name
        frame = frame.f_back
    return None


def add_call_site_note(err: Any, site: Optional[CallSite]) -> None:
    """Add (once) the PEP 678 note naming where the user started what failed (3.11+)."""
    if site is None or not isinstance(err, BaseException) or not hasattr(err, "add_note"):
        return
    notes = getattr(err, "__notes__", None)
    if notes and any(isinstance(n, str) and n.startswith(_NOTE_PREFIX) for n in notes):
        return
    filename, line, function, entry = site
    err.add_note('%s%s() was called from File "%s", line %d, in %s' % (_NOTE_PREFIX, entry, filename, line,
                                                                      function))
