"""Keys and certificates made by the binding itself (the C helpers of csrc/pki.c).

What ``python -m tls server`` / ``demo`` make their throwaway PKI with (see
``tls._cli.certs``), and handy for tests::

    ca_key = make_key()
    ca = make_certificate(ca_key, "My CA", ca=True)
    key = make_key()
    cert = make_certificate(key, "localhost", ["localhost", "127.0.0.1"], issuer=(ca, ca_key))
    options = {"key": to_pem(key), "cert": to_pem(cert), "ca": [to_pem(ca)]}
    pfx = to_pfx(key, cert, [ca], passphrase="secret")

Being part of tls._openssl, this works wherever the binding does, the static
binary wheels included.  Wrong argument types and values raise
``NodeTypeError`` / ``NodeRangeError`` (``ERR_INVALID_ARG_TYPE``,
``ERR_INVALID_ARG_VALUE``, ``ERR_OUT_OF_RANGE``); what OpenSSL refuses (a bad
IP address in the subjectAltName, a key that does not match its certificate)
raises ``NodeError`` coded like Node's OpenSSL errors
(``ERR_OSSL_X509V3_BAD_IP_ADDRESS``), with ``library`` and ``reason``.
"""
from __future__ import annotations

import hashlib
import ipaddress
from typing import Any, Iterable, Optional, Sequence, Tuple, Union

from .._binding import drain_errors, ffi, lib
from .._base.errors import NodeError, NodeRangeError, NodeTypeError
from .._binding.errors import openssl_error

__all__ = [
    "KEY_KINDS", "MAX_DAYS", "Certificate", "PrivateKey", "make_certificate", "make_key", "san_list",
    "to_der", "to_pem", "to_pfx",
]

if not hasattr(lib, "tls_pki_new_cert"):  # pragma: no cover - a module compiled before csrc/pki.c
    raise ImportError("tls._openssl was built without the certificate functions of csrc/pki.c; rebuild it")

KEY_KINDS = {
    "ec": lib.TLS_PKI_KEY_EC_P256,          # EC P-256, ECDSA with SHA-256 (the default)
    "rsa": lib.TLS_PKI_KEY_RSA_2048,        # RSA 2048 bits, RSA PKCS#1 v1.5 with SHA-256
    "ed25519": lib.TLS_PKI_KEY_ED25519,     # Ed25519
}
MAX_DAYS: int = lib.TLS_PKI_MAX_DAYS
_MAX_SERIAL = (1 << 64) - 1


class PrivateKey:
    """A private key (an ``EVP_PKEY``, freed with the object)."""

    __slots__ = ("_ptr", "kind")

    def __init__(self, ptr: Any, kind: str) -> None:
        self._ptr = ffi.gc(ptr, lib.EVP_PKEY_free)
        self.kind = kind

    def to_pem(self, passphrase: Union[str, bytes, None] = None) -> bytes:
        """PKCS#8 PEM; encrypted (AES-256-CBC) when a passphrase is given (Node's ``passphrase`` option)."""
        if passphrase is None:
            return _write_bio(lambda bio: lib.tls_pki_write_key_pem(bio, self._ptr, ffi.NULL, 0), "to_pem")
        secret = _text_arg(passphrase, "passphrase")
        return _write_bio(lambda bio: lib.tls_pki_write_key_pem(bio, self._ptr, secret, len(secret)), "to_pem")

    def __repr__(self) -> str:
        return "<tls._pki.PrivateKey %s>" % self.kind


class Certificate:
    """An X.509 certificate (an ``X509``, freed with the object)."""

    __slots__ = ("_ptr",)

    def __init__(self, ptr: Any) -> None:
        self._ptr = ffi.gc(ptr, lib.X509_free)

    def to_pem(self) -> bytes:
        return _write_bio(lambda bio: lib.PEM_write_bio_X509(bio, self._ptr), "to_pem")

    def to_der(self) -> bytes:
        size = lib.i2d_X509(self._ptr, ffi.NULL)
        if size <= 0:
            raise _failed("to_der")
        buf = ffi.new("unsigned char[]", size)
        out = ffi.new("unsigned char **", buf)
        if lib.i2d_X509(self._ptr, out) != size:
            raise _failed("to_der")
        der: bytes = ffi.buffer(buf, size)[:]
        return der

    @property
    def fingerprint256(self) -> str:
        """The SHA-256 fingerprint as Node writes it (``AB:CD:...``)."""
        return ":".join("%02X" % byte for byte in hashlib.sha256(self.to_der()).digest())

    def __repr__(self) -> str:
        return "<tls._pki.Certificate %s>" % self.fingerprint256[:23]


# -- errors ---------------------------------------------------------------------------------------

def _failed(what: str) -> NodeError:
    """OpenSSL's error queue as one NodeError (its data, e.g. the bad value, in the message)."""
    data_p = ffi.new("const char **")
    flags_p = ffi.new("int *")
    data = ""
    if lib.ERR_peek_last_error_data(data_p, flags_p) and data_p[0] != ffi.NULL \
            and flags_p[0] & lib.ERR_TXT_STRING:
        data = ffi.string(data_p[0]).decode("utf-8", "replace")
    entries = drain_errors()
    if not entries:
        return NodeError("%s failed" % what, "ERR_CRYPTO_OPERATION_FAILED")
    err = openssl_error(entries)
    err.message = "%s failed: %s%s" % (what, err.message, " (%s)" % data if data else "")
    err.args = (err.message,)
    return err


def _describe(value: object) -> str:
    if value is None:
        return "Received None"
    return "Received an instance of %s" % type(value).__name__


def _type_error(name: str, expected: str, value: object) -> NodeTypeError:
    return NodeTypeError('The "%s" argument must be %s. %s' % (name, expected, _describe(value)),
                         "ERR_INVALID_ARG_TYPE")


def _value_error(name: str, value: object, why: str) -> NodeTypeError:
    return NodeTypeError("The argument '%s' %s. Received %r" % (name, why, value), "ERR_INVALID_ARG_VALUE")


def _text_arg(value: object, name: str, *, empty: bool = True) -> bytes:
    """A str (UTF-8) or bytes argument, as C text (no NUL inside)."""
    if isinstance(value, str):
        data = value.encode("utf-8")
    elif isinstance(value, (bytes, bytearray)):
        data = bytes(value)
    else:
        raise _type_error(name, "of type string or bytes", value)
    if b"\0" in data:
        raise _value_error(name, value, "must not contain null bytes")
    if not data and not empty:
        raise _value_error(name, value, "must not be empty")
    return data


def _int_arg(value: object, name: str, low: int, high: int) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise _type_error(name, "of type number", value)
    if not low <= value <= high:
        raise NodeRangeError('The value of "%s" is out of range. It must be >= %d and <= %d. Received %d'
                             % (name, low, high, value), "ERR_OUT_OF_RANGE")
    return value


def _write_bio(write: Any, what: str) -> bytes:
    """What ``write(bio)`` puts in a fresh memory BIO; it returns 1 on success."""
    bio = lib.BIO_new(lib.BIO_s_mem())
    if bio == ffi.NULL:
        raise _failed(what)
    try:
        drain_errors()
        if write(bio) != 1:
            raise _failed(what)
        data_p = ffi.new("char **")
        size = lib.BIO_get_mem_data(bio, data_p)
        if size <= 0 or data_p[0] == ffi.NULL:
            raise _failed(what)
        data: bytes = ffi.buffer(data_p[0], size)[:]
        return data
    finally:
        lib.BIO_free(bio)


# -- the API --------------------------------------------------------------------------------------

def make_key(kind: str = "ec") -> PrivateKey:
    """A new private key: ``"ec"`` (P-256, the default), ``"rsa"`` (2048 bits) or ``"ed25519"``."""
    if not isinstance(kind, str):
        raise _type_error("kind", "of type string", kind)
    if kind not in KEY_KINDS:
        raise _value_error("kind", kind, "must be one of: %s" % ", ".join(KEY_KINDS))
    drain_errors()
    ptr = lib.tls_pki_new_key(KEY_KINDS[kind])
    if ptr == ffi.NULL:
        raise _failed("make_key")
    return PrivateKey(ptr, kind)


def san_list(alt_names: Union[str, Iterable[str]]) -> str:
    """The subjectAltName in OpenSSL's syntax: ``["localhost", "127.0.0.1"]`` -> ``DNS:localhost,IP:127.0.0.1``.

    Each name is an IP address (``IP:``), a name with its type (``DNS:x``, ``IP:x``, ``email:x``,
    ``URI:x``; any other ``TYPE:`` is refused by make_certificate) or else a DNS name.  A str is
    taken as it is (already in that syntax).
    """
    if isinstance(alt_names, str):
        return alt_names
    if isinstance(alt_names, (bytes, bytearray)) or not hasattr(alt_names, "__iter__"):
        raise _type_error("alt_names", "of type string or an iterable of strings", alt_names)
    entries = []
    for name in alt_names:
        if not isinstance(name, str):
            raise _type_error("alt_names", "of type string or an iterable of strings", name)
        if "," in name:
            raise _value_error("alt_names", name, "must not contain a comma")
        try:
            entries.append("IP:" + str(ipaddress.ip_address(name)))
        except ValueError:
            entries.append(name if ":" in name else "DNS:" + name)      # "TYPE:value" (checked in C)
    return ",".join(entries)


def make_certificate(key: PrivateKey, common_name: str, alt_names: Union[str, Iterable[str]] = (), *,
                     organization: Optional[str] = None, ca: bool = False,
                     issuer: Optional[Tuple[Certificate, PrivateKey]] = None, days: int = 7,
                     serial: Optional[int] = None) -> Certificate:
    """A certificate for ``key``, signed with SHA-256 by ``issuer`` (a CA certificate and its key) or self-signed.

    ``common_name`` is the subject's CN, ``organization`` an optional O; ``alt_names`` the
    subjectAltName (see ``san_list``).  ``ca=True`` makes a CA (basicConstraints CA:TRUE, pathlen:0,
    keyUsage keyCertSign, cRLSign), otherwise a leaf for TLS servers and clients (CA:FALSE,
    digitalSignature, extendedKeyUsage serverAuth, clientAuth).  Valid from an hour ago for ``days``
    days (1 to MAX_DAYS); ``serial`` is random (63 bits) unless given (1 to 2**64-1).  Every
    certificate has a subjectKeyIdentifier, an issued one an authorityKeyIdentifier.
    """
    if not isinstance(key, PrivateKey):
        raise _type_error("key", "an instance of PrivateKey", key)
    cn = _text_arg(common_name, "common_name", empty=False)
    org = ffi.NULL if organization is None else _text_arg(organization, "organization")
    sans = _text_arg(san_list(alt_names), "alt_names")
    issuer_cert: Any = ffi.NULL
    issuer_key: Any = ffi.NULL
    if issuer is not None:
        if not (isinstance(issuer, tuple) and len(issuer) == 2 and isinstance(issuer[0], Certificate)
                and isinstance(issuer[1], PrivateKey)):
            raise _type_error("issuer", "a tuple (Certificate, PrivateKey)", issuer)
        issuer_cert, issuer_key = issuer[0]._ptr, issuer[1]._ptr
    days = _int_arg(days, "days", 1, MAX_DAYS)
    number = 0 if serial is None else _int_arg(serial, "serial", 1, _MAX_SERIAL)
    drain_errors()
    ptr = lib.tls_pki_new_cert(key._ptr, cn, org, sans, 1 if ca else 0, issuer_cert, issuer_key, days, number)
    if ptr == ffi.NULL:
        raise _failed("make_certificate")
    return Certificate(ptr)


def to_pem(item: Union[PrivateKey, Certificate], passphrase: Union[str, bytes, None] = None) -> bytes:
    """A key (PKCS#8, encrypted with ``passphrase`` if given) or a certificate as PEM."""
    if isinstance(item, PrivateKey):
        return item.to_pem(passphrase)
    if isinstance(item, Certificate):
        if passphrase is not None:
            raise _value_error("passphrase", passphrase, "is for keys only")
        return item.to_pem()
    raise _type_error("item", "an instance of PrivateKey or Certificate", item)


def to_der(cert: Certificate) -> bytes:
    if not isinstance(cert, Certificate):
        raise _type_error("cert", "an instance of Certificate", cert)
    return cert.to_der()


def to_pfx(key: PrivateKey, cert: Certificate, chain: Sequence[Certificate] = (),
           passphrase: Union[str, bytes, None] = None, friendly_name: Optional[str] = None) -> bytes:
    """A PKCS#12 (DER) of the key, its certificate and ``chain`` (e.g. the CA), for Node's ``pfx`` option.

    Encrypted with AES-256-CBC under ``passphrase``; without one, under the empty passphrase, which
    loads without a ``passphrase`` option.
    """
    if not isinstance(key, PrivateKey):
        raise _type_error("key", "an instance of PrivateKey", key)
    if not isinstance(cert, Certificate):
        raise _type_error("cert", "an instance of Certificate", cert)
    if isinstance(chain, (str, bytes)) or not all(isinstance(c, Certificate) for c in chain):
        raise _type_error("chain", "a sequence of Certificate", chain)
    secret = ffi.NULL if passphrase is None else _text_arg(passphrase, "passphrase")
    name = ffi.NULL if friendly_name is None else _text_arg(friendly_name, "friendly_name")
    certs = list(chain)
    array = ffi.new("X509 *[]", [c._ptr for c in certs]) if certs else ffi.NULL
    return _write_bio(lambda bio: lib.tls_pki_write_pkcs12(bio, key._ptr, cert._ptr, array, len(certs), secret,
                                                           name), "to_pfx")
