"""Errors read from OpenSSL, as Node decorates them.

``code`` is ``ERR_SSL_<REASON>`` for the SSL library and
``ERR_OSSL_<LIB>_<REASON>`` otherwise (``ERR_OSSL_<REASON>`` when the library
has no short name, e.g. the 3.0 DECODER), with ``.library``, ``.reason`` and,
when the queue held more than one error, ``.opensslErrorStack`` (the earlier
errors, most recent first).  Certificate verification errors are coded by
their X509_V_ERR name (``DEPTH_ZERO_SELF_SIGNED_CERT`` ...; the table is
``tls._base.error_kinds``, which also makes them ``ssl.SSLCertVerificationError``
and the others ``ssl.SSLError``).
"""
from __future__ import annotations

from typing import Optional, Sequence, Type, overload

from .._base.error_kinds import VERIFY_ERROR_CODES
from .._base.errors import NodeError
from . import OpenSSLErrorEntry, drain_errors, ffi, lib

__all__ = ["openssl_error", "error_from_queue", "verify_error", "VERIFY_ERROR_CODES"]


_LIB_NAMES = {}
for _name, _num in (
    ("SYS", 2), ("BN", 3), ("RSA", 4), ("DH", 5), ("EVP", 6), ("BUF", 7), ("OBJ", 8), ("PEM", 9),
    ("DSA", 10), ("X509", 11), ("ASN1", 13), ("CONF", 14), ("CRYPTO", 15), ("EC", 16), ("SSL", 20),
    ("BIO", 32), ("PKCS7", 33), ("X509V3", 34), ("PKCS12", 35), ("RAND", 36), ("DSO", 37),
    ("ENGINE", 38), ("OCSP", 39), ("UI", 40), ("COMP", 41), ("ECDSA", 42), ("ECDH", 43),
    ("OSSL_STORE", 44), ("FIPS", 45), ("CMS", 46), ("TS", 47), ("HMAC", 48), ("CT", 50),
    ("ASYNC", 51), ("KDF", 52), ("SM2", 53), ("USER", 128),
):
    _LIB_NAMES[_num] = _name


_SSL_AD_REASON_OFFSET = 1000   # ssl.h: an alert's reason is this plus its description


def _code_for(packed: int, reason: str) -> str:
    lib_num = lib.ERR_GET_LIB(packed)
    reason_part = reason.upper().replace(" ", "_")
    if lib_num == lib.ERR_LIB_SSL:
        return "ERR_SSL_" + reason_part
    name = _LIB_NAMES.get(lib_num)
    return "ERR_OSSL_" + (name + "_" if name else "") + reason_part


def openssl_error(entries: Sequence[OpenSSLErrorEntry], cls: Type[NodeError] = NodeError) -> NodeError:
    """An error for the newest queue entry, the others in ``opensslErrorStack``."""
    packed, library, reason, text = entries[-1]
    if not reason and lib.ERR_GET_LIB(packed) == lib.ERR_LIB_SSL \
            and 0 <= lib.ERR_GET_REASON(packed) - _SSL_AD_REASON_OFFSET < 256:
        # A peer's alert OpenSSL has no name for (found by fuzz/): named after
        # OpenSSL's own "SSL alert number N", so that it still has a code.
        # Node drops such an error (its TLSWrap cannot set a null reason) and
        # leaves the connection hanging until the peer closes it.
        reason = "ssl alert number %d" % (lib.ERR_GET_REASON(packed) - _SSL_AD_REASON_OFFSET)
    err = cls(text, _code_for(packed, reason) if reason else None)
    if library:
        err.library = library
    if reason:
        err.reason = reason
    if len(entries) > 1:
        err.opensslErrorStack = [e[3] for e in reversed(entries[:-1])]
    return err


@overload
def error_from_queue(fallback: str, cls: Type[NodeError] = ...) -> NodeError: ...
@overload
def error_from_queue(fallback: None = None, cls: Type[NodeError] = ...) -> Optional[NodeError]: ...
def error_from_queue(fallback: Optional[str] = None, cls: Type[NodeError] = NodeError) -> Optional[NodeError]:
    """Drain OpenSSL's queue into one Node error; ``fallback`` message when empty."""
    entries = drain_errors()
    if entries:
        return openssl_error(entries, cls)
    if fallback is not None:
        return cls(fallback)
    return None


def verify_error(result: int) -> NodeError:
    """The Error Node gives for a non-zero SSL_get_verify_result()."""
    code = VERIFY_ERROR_CODES.get(result, "UNSPECIFIED")
    message = ffi.string(lib.X509_verify_cert_error_string(result)).decode()
    err = NodeError(message, code)
    err.verify_code = result   # ssl.SSLCertVerificationError's: the number OpenSSL gave, even unnamed
    return err
