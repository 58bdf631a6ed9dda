"""What Node 20 added to TLSSocket and tls.Server since the spec was written.

* 'keylog' (TLSSocket: ``(line)``; Server: ``(line, tlsSocket)``): NSS key
  log lines (``CLIENT_HANDSHAKE_TRAFFIC_SECRET <random> <secret>\\n``) as
  bytes, usable as Wireshark's (Pre)-Master-Secret log.  As in Node, OpenSSL's
  keylog callback is installed on the socket's SSL_CTX only when the first
  'keylog' listener is added (a server adds one to each new socket only while
  the server has 'keylog' listeners).  OpenSSL produces the lines inside the
  handshake; they are emitted once OpenSSL has returned (a listener may
  destroy the socket), at the latest right before 'secure', so they still
  come before 'secureConnect' / 'secureConnection' as in Node.
* ``exportKeyingMaterial(length, label, context=None)`` (RFC 5705 / 8446
  exporters), ``getFinished()`` / ``getPeerFinished()``,
  ``getSharedSigalgs()``: Node's validation, codes and return values (None
  for JavaScript's undefined and null).
* ``pskCallback`` / ``pskIdentityHint`` (TLS 1.2 PSK cipher suites and TLS
  1.3 external PSKs through OpenSSL's PSK callbacks, as Node 20 does it):
  server ``pskCallback(tlsSocket, identity)`` returns the key (bytes, or a
  dict with ``psk``) or None; client ``pskCallback(hint)`` returns
  ``{'psk': bytes, 'identity': str}`` or None (the hint is None in TLS 1.3).
  A PSK handshake counts as verified (Node's VerifyPeerCertificate: a PSK
  cipher, or a resumed TLS 1.3 session, needs no certificate).
* ``server.setSecureContext(options)``: Node's, field by field (the sticky
  ``sessionTimeout`` / ``ticketKeys``, the default ``sessionIdContext`` derived
  from the command line); new connections use the new context, existing ones
  keep theirs.

A user callback that raises (or returns something invalid) inside OpenSSL
(the PSK callbacks) ends the socket with that error, as Node's
``owner.destroy(err)`` does: the callback guard's ``user_code`` policy
(tls/_binding/callbacks.py) destroys the socket while the hook still runs, so
the engine only detaches, nothing more (no alert) is sent, and OpenSSL's
``SSL*`` is freed once OpenSSL has returned.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, List, Mapping, Optional


from .._binding import ffi, lib
from .._binding.callbacks import openssl_callback
from .._base.validators import truthy as _truthy
from .._base.errors import NodeError, NodeRangeError, NodeTypeError
from .._binding.errors import error_from_queue
from .._base.validators import (
    invalid_arg_type as _arg_type_error, is_number as _is_number, num as _num, validate_buffer as _validate_buffer,
    validate_function as _validate_function, validate_string as _validate_string,
)

__all__ = ["TLSSocketExtras", "configure", "enable_keylog", "verified_without_certificate"]

from .._base.validators import BUFFER_TYPES as _BUFFER_TYPES
_UINT32_MAX = 2 ** 32 - 1
_FINISHED_MAX = 64  # EVP_MAX_MD_SIZE


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


# ---------------------------------------------------------------------------
# TLSSocket methods


if TYPE_CHECKING:
    from .._engine.engine import TLSEngine
    from .._node.events import EventEmitter
    from .state import ConnectionState

    _ExtrasBase = EventEmitter  # for the type checker: mixed into an EventEmitter (tls.TLSSocket)
else:
    _ExtrasBase = object


class TLSSocketExtras(_ExtrasBase):
    """Mixed into ``tls.TLSSocket``: the Node 20 methods and the 'keylog' hook."""

    if TYPE_CHECKING:
        # what tls.TLSSocket provides
        _conn: ConnectionState

        @property
        def _engine(self) -> Optional[TLSEngine]: ...
        @property
        def _secureEstablished(self) -> bool: ...

    def _keylog_listened(self) -> None:
        # Node's keylogNewListener: the first 'keylog' listener installs the callback.
        enable_keylog(self._conn)

    _first_listener_hooks = {"keylog": _keylog_listened}

    def exportKeyingMaterial(self, length: Any, label: Any, context: Any = None) -> bytes:
        """Keying material from the TLS exporter (RFC 5705 / RFC 8446 7.5).

        ``context`` None (JavaScript's undefined) means "no context", which
        TLS 1.2 distinguishes from an empty one.
        """
        if not _is_number(length):
            raise _arg_type_error("length", "of type number", length)
        if isinstance(length, float) and not length.is_integer():
            raise NodeRangeError('The value of "length" is out of range. It must be an integer. Received %r'
                                 % (length,), "ERR_OUT_OF_RANGE")
        if not 1 <= length <= _UINT32_MAX:
            raise NodeRangeError('The value of "length" is out of range. It must be >= 1 && <= %d. '
                                 'Received %s' % (_UINT32_MAX, _num(length)), "ERR_OUT_OF_RANGE")
        _validate_string(label, "label")
        ctx = None if context is None else _validate_buffer(context, "context")
        engine = self._engine
        if not self._secureEstablished or engine is None:
            raise NodeError("TLS socket connection must be securely established", "ERR_TLS_INVALID_STATE")
        n = int(length)
        out = ffi.new("unsigned char[]", n)
        raw_label = label.encode("utf-8")
        ok = lib.SSL_export_keying_material(
            engine.ssl, out, n, raw_label, len(raw_label),
            ctx if ctx is not None else ffi.NULL, len(ctx) if ctx is not None else 0,
            1 if ctx is not None else 0)
        if ok != 1:
            raise error_from_queue("SSL_export_keying_material")
        return bytes(ffi.buffer(out, n))

    def getFinished(self) -> Optional[bytes]:
        """The last Finished message this side sent, or None (none yet / destroyed)."""
        return _finished(self._engine, lib.SSL_get_finished)

    def getPeerFinished(self) -> Optional[bytes]:
        """The last Finished message the peer sent, or None (none yet / destroyed)."""
        return _finished(self._engine, lib.SSL_get_peer_finished)

    def getSharedSigalgs(self) -> Optional[List[str]]:
        """Signature algorithms both sides support, most preferred first
        (``'RSA-PSS+SHA256'``, ``'ECDSA+SHA384'``, ...); None once destroyed."""
        engine = self._engine
        if engine is None:
            return None
        ssl = engine.ssl
        count = lib.SSL_get_shared_sigalgs(ssl, 0, ffi.NULL, ffi.NULL, ffi.NULL, ffi.NULL, ffi.NULL)
        sign, hash_ = ffi.new("int *"), ffi.new("int *")
        out = []
        for i in range(count):
            lib.SSL_get_shared_sigalgs(ssl, i, sign, hash_, ffi.NULL, ffi.NULL, ffi.NULL)
            out.append("%s+%s" % (_sign_name(sign[0]), _sn(hash_[0])))
        return out


def _finished(engine: Optional["TLSEngine"], getter: Any) -> Optional[bytes]:
    if engine is None:
        return None
    buf = ffi.new("unsigned char[]", _FINISHED_MAX)
    n = getter(engine.ssl, buf, _FINISHED_MAX)
    if n == 0:
        return None
    return bytes(ffi.buffer(buf, min(n, _FINISHED_MAX)))


def _sn(nid: int) -> str:
    name = lib.OBJ_nid2sn(nid)
    return ffi.string(name).decode() if name != ffi.NULL else "UNDEF"


def _sign_name(nid: int) -> str:
    special = {lib.EVP_PKEY_RSA: "RSA", lib.EVP_PKEY_RSA_PSS: "RSA-PSS", lib.EVP_PKEY_DSA: "DSA",
               lib.EVP_PKEY_EC: "ECDSA", lib.NID_ED25519: "Ed25519", lib.NID_ED448: "Ed448"}
    name = special.get(nid)
    return name if name is not None else _sn(nid)


# ---------------------------------------------------------------------------
# keylog


def enable_keylog(conn: "ConnectionState") -> None:
    """Install OpenSSL's keylog callback for this connection (Node's enableKeylogCallback)."""
    engine = conn.engine
    if engine is None or conn.keylog_lines is not None:  # freed, or enabled already
        return
    conn.keylog_lines = []
    ctx = lib.SSL_get_SSL_CTX(engine.ssl)
    if lib.SSL_CTX_get_keylog_callback(ctx) == ffi.NULL:
        lib.SSL_CTX_set_keylog_callback(ctx, lib._tls_keylog_cb)
    # Lines made during the handshake are out before 'secure' (so before
    # 'secureConnect' / 'secureConnection'), as Node emits them synchronously.
    conn.owner._before_secure(lambda: _flush_keylog(conn))


@openssl_callback("_tls_keylog_cb", None)
def _keylog_cb(engine: Any, ssl: Any, line: Any) -> None:
    conn = engine.owner
    pending = conn.keylog_lines if conn is not None else None
    if pending is None:  # a connection sharing the context, without a listener
        return
    pending.append(ffi.string(line) + b"\n")
    if len(pending) == 1:
        conn._loop.call_soon(_flush_keylog, conn)


def _flush_keylog(conn: "ConnectionState") -> None:
    lines = conn.keylog_lines
    if not lines:
        return
    conn.keylog_lines = []
    for line in lines:
        conn.owner._emit_tls_event("keylog", line)


# ---------------------------------------------------------------------------
# PSK


def configure(conn: "ConnectionState", options: Mapping[str, Any]) -> None:
    """TLSSocket construction (Node's ``_init``): the PSK callbacks and hint."""
    psk_callback = options.get("pskCallback")
    if not _truthy(psk_callback):
        return
    _validate_function(psk_callback, "pskCallback")
    hint: Any = options.get("pskIdentityHint")
    if _truthy(hint):
        _validate_string(hint, "options.pskIdentityHint", "property")
    engine = conn.engine
    assert engine is not None, "configured before the engine is freed"
    conn.psk_callback = psk_callback
    ssl = engine.ssl
    lib.SSL_set_psk_server_callback(ssl, lib._tls_psk_server_cb)
    lib.SSL_set_psk_client_callback(ssl, lib._tls_psk_client_cb)
    if _truthy(hint) and not lib.SSL_use_psk_identity_hint(ssl, hint.encode("utf-8")):
        lib.ERR_clear_error()
        # Node 20's code, typo included (renamed ..._IDENTITY_... in Node 22).
        err = NodeError("Failed to set PSK identity hint", "ERR_TLS_PSK_SET_IDENTIY_HINT_FAILED")
        conn.owner._next_tick(conn.owner._on_ssl_error, err)


def _psk_length_error(what: str, value: Any, message: str) -> NodeTypeError:
    return NodeTypeError("The argument '%s' %s. Received %s" % (what, message, _short(value)),
                         "ERR_INVALID_ARG_VALUE")


# The PSK hooks run the user's pskCallback inside OpenSSL (it needs the key
# now); what it raises, and the validation errors of its result, destroy the
# socket from there: the guard's ``user_code`` policy (tls._binding.callbacks).


@openssl_callback("_tls_psk_server_cb", 0, user_code=True)
def _psk_server_cb(engine: Any, ssl: Any, identity: Any, psk: Any, max_psk_len: int) -> int:
    conn = engine.owner
    callback = conn.psk_callback if conn is not None else None
    if callback is None or identity == ffi.NULL:
        return 0
    try:
        ident = ffi.string(identity).decode("utf-8")
    except UnicodeDecodeError:  # not an identity Node could pass on: unknown
        return 0
    ret = callback(conn.owner, ident)  # Node's pskCallback(tlsSocket, identity)
    if ret is None:
        return 0
    if isinstance(ret, _BUFFER_TYPES):
        key = bytes(ret)
    else:
        if isinstance(ret, (str, int, float, bool)):
            raise _arg_type_error("ret", "an instance of Buffer, TypedArray, DataView, or Object", ret)
        value = ret.get("psk") if isinstance(ret, Mapping) else getattr(ret, "psk", None)
        key = _validate_buffer(value, "psk")
    if len(key) > max_psk_len:
        raise _psk_length_error("psk", key, "Pre-shared key exceeds %d bytes" % max_psk_len)
    ffi.memmove(psk, key, len(key))
    return len(key)


@openssl_callback("_tls_psk_client_cb", 0, user_code=True)
def _psk_client_cb(engine: Any, ssl: Any, hint: Any, identity: Any, max_identity_len: int,
                   psk: Any, max_psk_len: int) -> int:
    conn = engine.owner
    callback = conn.psk_callback if conn is not None else None
    if callback is None:
        return 0
    hint_str = None
    if hint != ffi.NULL:
        try:
            hint_str = ffi.string(hint).decode("utf-8")
        except UnicodeDecodeError:
            return 0
    ret = callback(hint_str)
    if ret is None:
        return 0
    if not isinstance(ret, Mapping):
        if isinstance(ret, (str, int, float, bool, bytes, bytearray, memoryview)) or callable(ret):
            raise _arg_type_error("ret", "of type object", ret)
        ret = {"psk": getattr(ret, "psk", None), "identity": getattr(ret, "identity", None)}
    key = _validate_buffer(ret.get("psk"), "psk")
    if len(key) > max_psk_len:
        raise _psk_length_error("psk", key, "Pre-shared key exceeds %d bytes" % max_psk_len)
    ident = ret.get("identity")
    _validate_string(ident, "identity")
    raw_ident = ident.encode("utf-8")
    if len(raw_ident) > max_identity_len:
        raise _psk_length_error("identity", ident, "PSK identity exceeds %d bytes" % max_identity_len)
    # OpenSSL's identity buffer holds max_identity_len + 1 bytes (zeroed).
    ffi.memmove(identity, raw_ident + b"\0", len(raw_ident) + 1)
    ffi.memmove(psk, key, len(key))
    return len(key)


def verified_without_certificate(ssl: Any) -> bool:
    """Node's VerifyPeerCertificate without a peer certificate: a PSK cipher
    (TLS <= 1.2), or a resumed TLS 1.3 session (what a TLS 1.3 PSK looks
    like), counts as verified."""
    cipher = lib.SSL_get_current_cipher(ssl)
    if cipher != ffi.NULL and lib.SSL_CIPHER_get_auth_nid(cipher) == lib.NID_auth_psk:
        return True
    session = lib.SSL_get_session(ssl)
    return (session != ffi.NULL and lib.SSL_SESSION_get_protocol_version(session) == lib.TLS1_3_VERSION
            and bool(lib.SSL_session_reused(ssl)))
