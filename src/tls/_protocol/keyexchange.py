"""Key exchange and record facts: ``getEphemeralKeyInfo()``, the client's
``minDHSize`` check and ``setMaxSendFragment()`` (Node's GetEphemeralKey in
src/crypto/crypto_common.cc, onConnectSecure and setMaxSendFragment in
lib/internal/tls/wrap.js).

* ``getEphemeralKeyInfo()``: on a client, the server's ephemeral key as
  ``{'type': 'ECDH', 'name': 'X25519', 'size': 253}``,
  ``{'type': 'ECDH', 'name': 'prime256v1', 'size': 256}``,
  ``{'type': 'DH', 'size': 2048}`` or ``{}`` when the key exchange was not
  ephemeral (RSA) or has not happened; None on a server socket and after
  the socket was destroyed.
* ``minDHSize``: checked first when a tls.connect socket becomes secure,
  before the certificate is verified: a DH key smaller than it is the error
  ERR_TLS_DH_PARAM_SIZE (Node's message, "DH parameter size N is less than
  2048", whatever the option says), which tls.connect emits as 'error'
  before it destroys the socket without an error.
* ``setMaxSendFragment(size)``: ``size`` must be a 32-bit integer
  (ERR_INVALID_ARG_TYPE / ERR_OUT_OF_RANGE); True when OpenSSL accepted it
  (512..16384), False otherwise.  Records written afterwards carry at most
  ``size`` bytes of plaintext each.
"""
from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any, Dict, Optional

from .._binding import ffi, lib
from .._base.errors import NodeError, NodeRangeError, NodeTypeError
from .._base.validators import received as _received

if TYPE_CHECKING:
    from .state import ConnectionState

__all__ = ["ephemeral_key_info", "min_dh_size_error", "set_max_send_fragment"]

_KIND_DH = 1
_KIND_ECDH = 2


def ephemeral_key_info(conn: "ConnectionState") -> Optional[Dict[str, Any]]:
    engine = conn.engine
    if engine is None or conn.is_server:
        return None
    bits = ffi.new("int *")
    name = ffi.new("char[]", 64)
    kind = lib.tls_ephemeral_key_info(engine.ssl, bits, name, 64)
    if kind == _KIND_DH:
        return {"type": "DH", "size": bits[0]}
    if kind == _KIND_ECDH:
        return {"type": "ECDH", "name": ffi.string(name).decode("ascii"), "size": bits[0]}
    return {}


def min_dh_size_error(conn: "ConnectionState", options: Dict[str, Any]) -> Optional[NodeError]:
    """Node's first step of onConnectSecure: the error when the server's DH
    key is smaller than ``minDHSize``, else None."""
    info = ephemeral_key_info(conn) or {}
    min_dh = options.get("minDHSize")
    if info.get("type") == "DH" and min_dh is not None and info["size"] < min_dh:
        return NodeError("DH parameter size %d is less than 2048" % info["size"], "ERR_TLS_DH_PARAM_SIZE")
    return None


def _validate_int32(value: Any, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise NodeTypeError('The "%s" argument must be of type number. %s' % (name, _received(value)),
                            "ERR_INVALID_ARG_TYPE")
    if isinstance(value, float) and (math.isnan(value) or math.isinf(value) or not value.is_integer()):
        shown = "NaN" if math.isnan(value) else repr(value)
        raise NodeRangeError('The value of "%s" is out of range. It must be an integer. Received %s'
                             % (name, shown), "ERR_OUT_OF_RANGE")
    if not -2 ** 31 <= value <= 2 ** 31 - 1:
        raise NodeRangeError('The value of "%s" is out of range. It must be >= -2147483648 && <= 2147483647. '
                             'Received %d' % (name, int(value)), "ERR_OUT_OF_RANGE")
    return int(value)


def set_max_send_fragment(conn: "ConnectionState", size: Any) -> bool:
    size = _validate_int32(size, "size")
    engine = conn.engine
    if engine is None:
        return False
    done: bool = lib.SSL_set_max_send_fragment(engine.ssl, size) == 1
    return done
