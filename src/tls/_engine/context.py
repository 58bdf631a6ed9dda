"""``tls.SecureContext``: the native ``SSL_CTX`` of Node's ``src/crypto/crypto_context.cc``.

Its JavaScript half (``createSecureContext``, ``configSecureContext``,
``getCiphers``: ``lib/_tls_common.js`` and ``lib/internal/tls/secure-context.js``)
is ``tls._objects.configure_context``, one layer up; both keep Node's order,
validation and error codes.  Options are the dict keys Node takes; wherever
Node takes ``string|Buffer``, ``str`` (UTF-8), ``bytes``, ``bytearray`` and
``memoryview`` are accepted.  "Truthy" below means JavaScript truthiness
(``''``, ``0``, ``None``, ``False`` are falsy; ``[]`` and ``b''`` are not).

Differences from Node, on purpose:

* Security level 1.  Node's bundled OpenSSL runs at security level 1, while
  distribution builds of OpenSSL 3 (Debian, Ubuntu, ...) default to level 2,
  which rejects 1024-bit RSA/DH inside OpenSSL ("ee key too small", "dh key too
  small") before Node's own checks (``minDHSize`` -> ``ERR_TLS_DH_PARAM_SIZE``)
  can answer.  Every new context is set to level 1 right after ``SSL_CTX_new``;
  the cipher string is applied afterwards, so an ``@SECLEVEL=n`` in ``ciphers``
  (or in ``DEFAULT_CIPHERS``) still wins, as in Node.
* Default roots: the system trust store (see ``_root_certificates``), where
  Node uses its bundled copy of Mozilla's list.
* ``dhparam`` below 2048 bits warns with :class:`SecurityWarning` through
  ``warnings.warn`` (Node: ``process.emitWarning(..., 'SecurityWarning')``).

What the context is given to prove and to trust (``setCert``, ``setKey``,
``loadPKCS12``, ``addCACert``, ``addCRL``, ``addRootCerts``, engine keys) is
read by the mixin ``CredentialsMixin`` of credentials.py; this module keeps
the ``SSL_CTX`` itself: method and protocol versions, ciphers, groups, DH,
options, session ids and ticket keys.

The native methods of Node's ``secureContext.context`` exist on
:class:`SecureContext` itself (``context.context is context``):
``setTicketKeys``, ``getTicketKeys``, ``getCertificate``, ``getIssuer``,
``setOptions``, ``addCACert``, ... for the layers above (``Server.setTicketKeys``
calls ``ctx.context.setTicketKeys(keys)`` as in Node).
"""
from __future__ import annotations

import math
import os
import sys
from typing import Any, Dict, List, Mapping, Optional, Sequence

from .._base import constants as _constants
from . import root_certificates as _root_certificates
from .._binding import drain_errors, ffi, lib
from .._base.errors import NodeError, NodeTypeError
from .._binding.errors import openssl_error
from .._base.aliases import SnakeCaseAliases
from .credentials import _NO_PASSWORD_CB_VOID, CredentialsMixin, _Bio, _crypto_error, _to_bytes
from .._base.validators import (
    BUFFER_TYPES as _BUFFER_TYPES, invalid_arg_type as _invalid_arg_type,
    invalid_arg_value as _invalid_arg_value, truthy as _truthy, validate_integer as _validate_integer,
)

__all__ = ["SecureContext", "SecurityWarning", "TICKET_RING_MAX", "ticket_ring"]


class SecurityWarning(UserWarning):
    """Node's 'SecurityWarning' process warnings (weak DH parameters)."""


_ARRAY_TYPES = (list, tuple)  # JavaScript arrays
_KEY_OR_CERT_TYPES = ["string", "Buffer", "TypedArray", "DataView"]
_UINT64 = 0xFFFFFFFFFFFFFFFF
_EMPTY: Mapping[str, Any] = {}

# Node's kMaxSupportedVersion
_MAX_SUPPORTED_VERSION = lib.TLS1_3_VERSION

# TLSv1.3 suites are not in SSL_get_ciphers' legacy names; Node adds them by hand.
_TLS13_CIPHERS = (
    "tls_aes_256_gcm_sha384",
    "tls_chacha20_poly1305_sha256",
    "tls_aes_128_gcm_sha256",
    "tls_aes_128_ccm_8_sha256",
    "tls_aes_128_ccm_sha256",
)


# ---------------------------------------------------------------------------
# JavaScript-ish helpers


def _validate_key_or_cert(name: str, value: Any) -> None:
    if not isinstance(value, str) and not isinstance(value, _BUFFER_TYPES):
        raise _invalid_arg_type(
            name, "of type string or an instance of Buffer, TypedArray, or DataView", value)


def _to_int32(value: Any) -> int:
    """JavaScript ToInt32 (for ``secureOptions |= ...``)."""
    if isinstance(value, str):
        try:
            value = float(value.strip() or 0)
        except ValueError:
            return 0
    if not isinstance(value, (int, float)) or (isinstance(value, float) and not math.isfinite(value)):
        return 0
    n = int(value) & 0xFFFFFFFF
    return n - 0x100000000 if n & 0x80000000 else n


def _live_default(name: str) -> Any:
    """``require('tls').NAME``: read the public module's value at call time."""
    module = sys.modules.get("tls")
    if module is not None:
        value = getattr(module, name, None)
        if value is not None:
            return value
    return getattr(_constants, name)


_PROTOCOL_VERSIONS: Dict[str, int] = {
    "TLSv1": lib.TLS1_VERSION,
    "TLSv1.1": lib.TLS1_1_VERSION,
    "TLSv1.2": lib.TLS1_2_VERSION,
    "TLSv1.3": lib.TLS1_3_VERSION,
}


def _to_version(which: str, value: Any, default: Any) -> int:
    """_tls_common.js toV()."""
    if value is None:
        value = default
    if isinstance(value, str) and value in _PROTOCOL_VERSIONS:
        return _PROTOCOL_VERSIONS[value]
    shown = '"%s"' % value if isinstance(value, str) else repr(value)
    raise NodeTypeError("%s is not a valid %s TLS protocol version" % (shown, which),
                        "ERR_TLS_INVALID_PROTOCOL_VERSION")


# secureProtocol -> (method factory, min, max); None keeps the requested value.
_SERVER, _CLIENT, _ANY = "server", "client", "any"
_METHODS = {
    "SSLv23_method": (_ANY, None, lib.TLS1_2_VERSION),
    "SSLv23_server_method": (_SERVER, None, lib.TLS1_2_VERSION),
    "SSLv23_client_method": (_CLIENT, None, lib.TLS1_2_VERSION),
    "TLS_method": (_ANY, 0, _MAX_SUPPORTED_VERSION),
    "TLS_server_method": (_SERVER, 0, _MAX_SUPPORTED_VERSION),
    "TLS_client_method": (_CLIENT, 0, _MAX_SUPPORTED_VERSION),
    "TLSv1_method": (_ANY, lib.TLS1_VERSION, lib.TLS1_VERSION),
    "TLSv1_server_method": (_SERVER, lib.TLS1_VERSION, lib.TLS1_VERSION),
    "TLSv1_client_method": (_CLIENT, lib.TLS1_VERSION, lib.TLS1_VERSION),
    "TLSv1_1_method": (_ANY, lib.TLS1_1_VERSION, lib.TLS1_1_VERSION),
    "TLSv1_1_server_method": (_SERVER, lib.TLS1_1_VERSION, lib.TLS1_1_VERSION),
    "TLSv1_1_client_method": (_CLIENT, lib.TLS1_1_VERSION, lib.TLS1_1_VERSION),
    "TLSv1_2_method": (_ANY, lib.TLS1_2_VERSION, lib.TLS1_2_VERSION),
    "TLSv1_2_server_method": (_SERVER, lib.TLS1_2_VERSION, lib.TLS1_2_VERSION),
    "TLSv1_2_client_method": (_CLIENT, lib.TLS1_2_VERSION, lib.TLS1_2_VERSION),
}


def _method(kind: str) -> Any:
    if kind == _SERVER:
        return lib.TLS_server_method()
    if kind == _CLIENT:
        return lib.TLS_client_method()
    return lib.TLS_method()


# ---------------------------------------------------------------------------
# SecureContext


class SecureContext(CredentialsMixin, SnakeCaseAliases):  # snake_case aliases (tls._aliases)
    """Node's ``tls.SecureContext`` (``_tls_common.js``) and its native handle.

    Attributes and methods for the other layers:

    * ``_ctx``: the ``SSL_CTX*`` (freed by ``ffi.gc``; ``None`` after
      :meth:`close`).
    * ``context``: ``self`` (Node's ``secureContext.context``).
    * ``_ca_given``: ``True`` when ``ca`` was given (truthy), i.e. the default
      roots were replaced.
    * ``_ticket_ring``: the ticket keys, a list of 1 to ``TICKET_RING_MAX``
      keys of 48 bytes, name(16) | HMAC key(16) | AES key(16), the current
      (encrypting) one first; one random key per context, replaced by
      ``ticketKeys`` / :meth:`setTicketKeys` (a ring of one, Node's) or
      :meth:`setTicketKeyRing`.  ``_ticket_keys`` is its current key.
    * :meth:`_cert_store`: the ``X509_STORE*`` of the context (borrowed), for
      issuer lookup of peer certificates.
    * :meth:`getCertificate` / :meth:`getIssuer`: DER of the last loaded leaf
      certificate and of its issuer (from the ``cert`` chain or the store), or
      ``None`` (Node's, used for OCSP).
    """

    def __init__(self, secureProtocol: Any = None, secureOptions: Any = None,
                 minVersion: Any = None, maxVersion: Any = None) -> None:
        self._ctx = None
        self.context = self
        self._ca_given = False
        self._cert = None      # X509* (owned) of the last leaf set, like Node's cert_
        self._issuer = None    # X509* (owned), Node's issuer_
        self._engines: List[Any] = []  # ENGINE* kept initialised for engine keys
        self._ticket_ring: List[bytes] = [os.urandom(48)]
        self._client_cert_engine = False

        if _truthy(secureProtocol):
            if minVersion is not None:
                raise NodeTypeError(
                    'TLS protocol version "%s" conflicts with secureProtocol "%s"' % (minVersion, secureProtocol),
                    "ERR_TLS_PROTOCOL_VERSION_CONFLICT")
            if maxVersion is not None:
                raise NodeTypeError(
                    'TLS protocol version "%s" conflicts with secureProtocol "%s"' % (maxVersion, secureProtocol),
                    "ERR_TLS_PROTOCOL_VERSION_CONFLICT")

        self.init(secureProtocol,
                  _to_version("minimum", minVersion, _live_default("DEFAULT_MIN_VERSION")),
                  _to_version("maximum", maxVersion, _live_default("DEFAULT_MAX_VERSION")))

        if _truthy(secureOptions):
            self.setOptions(_validate_integer(secureOptions, "secureOptions"))

    # -- lifetime ----------------------------------------------------------

    def init(self, secureProtocol: Any, min_version: int, max_version: int) -> None:
        """Node's native SecureContext::Init."""
        kind = _ANY
        if max_version == 0:
            max_version = _MAX_SUPPORTED_VERSION
        if isinstance(secureProtocol, str):
            if secureProtocol in ("SSLv2_method", "SSLv2_server_method", "SSLv2_client_method"):
                raise NodeTypeError("SSLv2 methods disabled", "ERR_TLS_INVALID_PROTOCOL_METHOD")
            if secureProtocol in ("SSLv3_method", "SSLv3_server_method", "SSLv3_client_method"):
                raise NodeTypeError("SSLv3 methods disabled", "ERR_TLS_INVALID_PROTOCOL_METHOD")
            spec = _METHODS.get(secureProtocol)
            if spec is None:
                raise NodeTypeError("Unknown method: %s" % secureProtocol, "ERR_TLS_INVALID_PROTOCOL_METHOD")
            kind, lo, hi = spec
            if lo is not None:
                min_version = lo
            max_version = hi

        # The error queue is emptied around each OpenSSL setter, so that an error read after a
        # failure is that call's: ERR_clear_error, one C call (drain_errors, which builds the
        # entries, only where they are read: built per connection by tls.connect, issue 14).
        lib.ERR_clear_error()
        ctx = lib.SSL_CTX_new(_method(kind))
        if ctx == ffi.NULL:
            raise _crypto_error("SSL_CTX_new")
        self._ctx = ffi.gc(ctx, lib.SSL_CTX_free)

        # Node's OpenSSL runs at security level 1 (see the module docstring).
        lib.SSL_CTX_set_security_level(ctx, 1)
        lib.SSL_CTX_set_options(ctx, lib.SSL_OP_NO_SSLv2 | lib.SSL_OP_NO_SSLv3
                                | lib.SSL_OP_ALLOW_CLIENT_RENEGOTIATION)
        lib.SSL_CTX_set_session_cache_mode(
            ctx, lib.SSL_SESS_CACHE_CLIENT | lib.SSL_SESS_CACHE_SERVER
            | lib.SSL_SESS_CACHE_NO_INTERNAL | lib.SSL_SESS_CACHE_NO_AUTO_CLEAR)
        lib.SSL_CTX_set_min_proto_version(ctx, min_version)
        lib.SSL_CTX_set_max_proto_version(ctx, max_version)
        # Node's native verify callback accepts every chain; the verdict is
        # read after the handshake.  SSL_VERIFY_NONE until requestCert.
        lib.SSL_CTX_set_verify(ctx, lib.SSL_VERIFY_NONE, lib.tls_verify_accept_all)
        # Tickets are encrypted in C with Node's 48-byte key format (csrc/tickets.c).
        lib.tls_ctx_set_ticket_keys(ctx, self._ticket_ring[0], 48)
        lib.ERR_clear_error()

    def close(self) -> None:
        """Node's ``context.close()``: free the SSL_CTX now."""
        ctx, self._ctx = self._ctx, None
        if ctx is not None:
            ffi.release(ctx)
        self._cert = self._issuer = None
        engines, self._engines = self._engines, []
        for engine in engines:
            ffi.release(engine)

    @property
    def native(self) -> Any:
        """The ``SSL_CTX*`` (a cffi pointer of ``tls.openssl.ffi``), borrowed: valid while this
        context is open; ``None`` once closed, never a dangling pointer (docs/openssl.md)."""
        ctx = self._ctx
        # a plain pointer: the user's reference must not be the one that frees the SSL_CTX
        return None if ctx is None else ffi.cast("SSL_CTX *", ctx)

    def _c(self) -> Any:
        if self._ctx is None:
            raise NodeError("SecureContext is closed", "ERR_INVALID_STATE")
        return self._ctx

    # -- ciphers, groups, DH, sigalgs -------------------------------------

    def setCipherSuites(self, suites: str) -> None:
        lib.ERR_clear_error()
        if not lib.SSL_CTX_set_ciphersuites(self._c(), suites.encode("utf-8")):
            raise _crypto_error("Failed to set ciphers")
        lib.ERR_clear_error()

    def setCiphers(self, ciphers: str) -> None:
        lib.ERR_clear_error()
        if not lib.SSL_CTX_set_cipher_list(self._c(), ciphers.encode("utf-8")):
            entries = drain_errors()
            if ciphers == "" and entries and lib.ERR_GET_REASON(entries[0][0]) == lib.SSL_R_NO_CIPHER_MATCH:
                # TLS 1.2 ciphers deliberately cleared (only TLS_ suites given)
                return
            if entries:
                raise openssl_error(list(entries[1:]) + [entries[0]])
            raise NodeError("Failed to set ciphers")
        lib.ERR_clear_error()

    def setSigalgs(self, sigalgs: str) -> None:
        lib.ERR_clear_error()
        if not lib.SSL_CTX_set1_sigalgs_list(self._c(), sigalgs.encode("utf-8")):
            raise _crypto_error()
        lib.ERR_clear_error()

    def setECDHCurve(self, curve: str) -> None:
        lib.ERR_clear_error()
        if curve != "auto" and not lib.SSL_CTX_set1_curves_list(self._c(), curve.encode("utf-8")):
            lib.ERR_clear_error()
            raise NodeError("Failed to set ECDH curve", "ERR_CRYPTO_OPERATION_FAILED")
        lib.ERR_clear_error()

    def setDHParam(self, dhparam: Any) -> Optional[str]:
        """PEM DH parameters, or True for OpenSSL's automatic parameters.

        Returns Node's warning text for 1024..2047-bit parameters; invalid
        parameters are silently ignored (no DHE), as in Node.
        """
        ctx = self._c()
        if dhparam is True:
            lib.SSL_CTX_set_dh_auto(ctx, 1)
            return None
        if not isinstance(dhparam, (str,) + _BUFFER_TYPES):
            return None
        bio = _Bio(_to_bytes(dhparam))
        try:
            dh = lib.PEM_read_bio_DHparams(bio.ptr, ffi.NULL, _NO_PASSWORD_CB_VOID, ffi.NULL)
            if dh == ffi.NULL:
                return None
            try:
                size = lib.DH_bits(dh)
                warning = None
                if size < 1024:
                    raise NodeTypeError("DH parameter is less than 1024 bits", "ERR_INVALID_ARG_VALUE")
                if size < 2048:
                    warning = "DH parameter is less than 2048 bits"
                lib.SSL_CTX_set_options(ctx, lib.SSL_OP_SINGLE_DH_USE)
                if not lib.SSL_CTX_set_tmp_dh(ctx, dh):
                    raise NodeError("Error setting temp DH parameter", "ERR_CRYPTO_OPERATION_FAILED")
                return warning
            finally:
                lib.DH_free(dh)
        finally:
            lib.ERR_clear_error()

    # -- protocol versions and options ------------------------------------

    def setMinProto(self, version: int) -> None:
        lib.SSL_CTX_set_min_proto_version(self._c(), version)

    def setMaxProto(self, version: int) -> None:
        lib.SSL_CTX_set_max_proto_version(self._c(), version)

    def getMinProto(self) -> int:
        version: int = lib.SSL_CTX_get_min_proto_version(self._c())
        return version

    def getMaxProto(self) -> int:
        version: int = lib.SSL_CTX_get_max_proto_version(self._c())
        return version

    def setOptions(self, options: int) -> None:
        """SSL_CTX_set_options (ORs; a negative value sets the high bits, as in Node)."""
        lib.SSL_CTX_set_options(self._c(), int(options) & _UINT64)

    def setSessionIdContext(self, session_id_context: str) -> None:
        data = session_id_context.encode("utf-8")
        lib.ERR_clear_error()
        if lib.SSL_CTX_set_session_id_context(self._c(), data, len(data)) == 1:
            return
        entries = drain_errors()
        # Node throws a TypeError with ERR_print_errors' text and no code.
        message = "".join("error:%s\n" % e[3].split("error:", 1)[-1] for e in entries) \
            or "SSL_CTX_set_session_id_context error"
        raise NodeTypeError(message)

    def setSessionTimeout(self, timeout: int) -> None:
        lib.SSL_CTX_set_timeout(self._c(), timeout)

    # -- session tickets ---------------------------------------------------

    def setTicketKeys(self, keys: Any) -> bool:
        """48 bytes: name(16) | HMAC key(16) | AES key(16); replaces the whole ring."""
        data = _to_bytes(keys)
        if len(data) != 48:
            raise _invalid_arg_value("keys", len(data), "must be exactly 48 bytes")
        lib.tls_ctx_set_ticket_keys(self._c(), data, 48)
        self._ticket_ring = [data]
        return True

    def getTicketKeys(self) -> bytes:
        """The current key: the one that encrypts new tickets."""
        return self._ticket_ring[0]

    @property
    def _ticket_keys(self) -> bytes:
        return self._ticket_ring[0]

    def setTicketKeyRing(self, keys: Sequence[Any]) -> List[bytes]:
        """A ring of ticket keys (beyond Node): ``keys[0]`` encrypts new
        tickets, the others (older keys, newest first) still decrypt, and a
        ticket under one of them is renewed under ``keys[0]`` (csrc/tickets.c).
        Returns the ring as stored (a list of ``bytes``)."""
        ring = ticket_ring(keys)
        joined = b"".join(ring)
        if lib.tls_ctx_set_ticket_ring(self._c(), joined, len(joined)) != 1:
            raise _crypto_error("setTicketKeyRing")
        self._ticket_ring = ring
        return list(ring)

    def getTicketKeyRing(self) -> List[bytes]:
        """The ring, current key first (a copy)."""
        return list(self._ticket_ring)

    def __repr__(self) -> str:
        return "<SecureContext%s>" % ("" if self._ctx is not None else " closed")



TICKET_RING_MAX: int = lib.TLS_TICKET_RING_MAX


def ticket_ring(keys: Any, name: str = "keys") -> List[bytes]:
    """A ticket key ring checked and copied: a list or tuple of 1 to
    ``TICKET_RING_MAX`` keys of 48 bytes with distinct names (the first 16
    bytes: a repeated name would make the older key unreachable)."""
    if isinstance(keys, (str, bytes, bytearray, memoryview)) or not isinstance(keys, (list, tuple)):
        raise _invalid_arg_type(name, "an instance of Array", keys, "argument")
    if not keys:
        raise _invalid_arg_value(name, [], "must hold at least one key")
    if len(keys) > TICKET_RING_MAX:
        raise _invalid_arg_value(name, "%d keys" % len(keys), "must hold at most %d keys" % TICKET_RING_MAX)
    ring: List[bytes] = []
    seen: Dict[bytes, int] = {}
    for i, key in enumerate(keys):
        item = "%s[%d]" % (name, i)
        if not isinstance(key, _BUFFER_TYPES):
            raise _invalid_arg_type(item, "an instance of Buffer, TypedArray, or DataView", key, "argument")
        data = _to_bytes(key)
        if len(data) != 48:
            raise _invalid_arg_value(item, len(data), "must be exactly 48 bytes")
        if data[:16] in seen:
            raise _invalid_arg_value(item, data[:16].hex(), "repeats the key name of %s[%d]"
                                     % (name, seen[data[:16]]))
        seen[data[:16]] = i
        ring.append(data)
    return ring


def __getattr__(name: str) -> Any:
    # ``rootCertificates`` is computed on first access: reading the system
    # store costs ~0.1 s, which `import tls` must not pay.
    if name == "rootCertificates":
        return _root_certificates.root_certificates()
    raise AttributeError("module %r has no attribute %r" % (__name__, name))
