"""Errors read from OpenSSL, as Node decorates them.

``code`` is ``ERR_SSL_<REASON>`` for the SSL library and
``ERR_OSSL_<LIB>_<REASON>`` otherwise (``ERR_OSSL_<REASON>`` when the library
has no short name, e.g. the 3.0 DECODER), with ``.library``, ``.reason`` and,
when the queue held more than one error, ``.opensslErrorStack`` (the earlier
errors, most recent first).  Certificate verification errors are coded by
their X509_V_ERR name (``DEPTH_ZERO_SELF_SIGNED_CERT`` ...).
"""
from __future__ import annotations

from typing import Optional, Sequence, Type, overload

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


def verify_error(result: int) -> NodeError:
    """The Error Node gives for a non-zero SSL_get_verify_result()."""
    code = VERIFY_ERROR_CODES.get(result, "UNSPECIFIED")
    message = ffi.string(lib.X509_verify_cert_error_string(result)).decode()
    return NodeError(message, code)
