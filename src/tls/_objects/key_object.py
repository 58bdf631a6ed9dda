"""Node's asymmetric ``KeyObject`` (``X509Certificate.publicKey``), ``createPublicKey`` and
``createPrivateKey``: what ``X509Certificate.verify()`` / ``checkPrivateKey()`` take.

Only what certificates need: a key's ``type``, ``asymmetricKeyType`` and
``asymmetricKeyDetails`` as lib/internal/crypto/keys.js reports them, public keys
exported as SPKI (or PKCS#1 for RSA) in PEM or DER, ``equals``.  Keys are read from
unencrypted PEM or DER (a public key also from a certificate, as Node's
createPublicKey does).  Also the parsing shared with x509_certificate.py: PEM
first, then DER, and the PEM attempt's error when neither decodes (Node's
X509Certificate::Parse).
"""
from __future__ import annotations

import base64
import functools
from typing import Any, Dict, Optional, Union

from .._base.aliases import SnakeCaseAliases
from .._base.errors import NodeError, NodeTypeError
from .._base.validators import invalid_arg_type, invalid_arg_value
from .._binding import drain_errors, ffi, lib
from .._binding.errors import error_from_queue, openssl_error

__all__ = ["KeyObject", "createPublicKey", "createPrivateKey", "parse_certificate", "to_bytes"]

# EVP_PKEY base ids -> Node's asymmetricKeyType (lib/internal/crypto/keys.js)
_KEY_TYPES = {
    lib.EVP_PKEY_RSA: "rsa", lib.EVP_PKEY_RSA_PSS: "rsa-pss", lib.EVP_PKEY_DSA: "dsa", lib.EVP_PKEY_DH: "dh",
    lib.EVP_PKEY_EC: "ec", lib.EVP_PKEY_ED25519: "ed25519", lib.EVP_PKEY_ED448: "ed448",
    lib.EVP_PKEY_X25519: "x25519", lib.EVP_PKEY_X448: "x448",
}


def _mem_bio(data: bytes) -> Any:
    bio = lib.BIO_new_mem_buf(data, len(data))
    if bio == ffi.NULL:
        raise MemoryError("BIO_new_mem_buf failed")
    return bio


def to_bytes(value: Any, name: str) -> bytes:
    """Node's ``buffer`` argument: a string (UTF-8) or a Buffer-like."""
    if isinstance(value, str):
        return value.encode("utf-8")
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value)
    raise invalid_arg_type(name, "of type string or an instance of Buffer, TypedArray, or DataView", value)


def _pem(label: str, der: bytes) -> str:
    body = base64.b64encode(der).decode("ascii")
    lines = [body[i:i + 64] for i in range(0, len(body), 64)]
    return "-----BEGIN %s-----\n%s\n-----END %s-----\n" % (label, "\n".join(lines), label)


# ------------------------------------------------------------------ KeyObject

class KeyObject(SnakeCaseAliases):
    """Node's ``KeyObject`` for an asymmetric key: ``type``, ``asymmetricKeyType``,
    ``asymmetricKeyDetails``, ``export()``, ``equals()``.  Made by
    ``X509Certificate.publicKey``, ``createPublicKey`` and ``createPrivateKey``."""

    def __init__(self, pkey: Any, key_type: str) -> None:
        # an owned EVP_PKEY * (ffi.gc); not for user code: use createPublicKey / createPrivateKey
        self._pkey = pkey
        self.type: str = key_type

    @property
    def asymmetricKeyType(self) -> Optional[str]:
        return _KEY_TYPES.get(lib.EVP_PKEY_get_base_id(self._pkey))

    @property
    def symmetricKeySize(self) -> None:
        return None

    @functools.cached_property
    def asymmetricKeyDetails(self) -> Dict[str, Any]:
        kind = self.asymmetricKeyType
        if kind in ("rsa", "rsa-pss"):
            return {"modulusLength": lib.EVP_PKEY_get_bits(self._pkey), "publicExponent": self._bn_param(b"e")}
        if kind == "dsa":
            q = self._bn_param(b"q")
            return {"modulusLength": lib.EVP_PKEY_get_bits(self._pkey),
                    "divisorLength": q.bit_length() if q is not None else None}
        if kind == "ec":
            buf, size = ffi.new("char[]", 80), ffi.new("size_t *")
            if lib.EVP_PKEY_get_utf8_string_param(self._pkey, b"group", buf, 80, size) != 1:
                lib.ERR_clear_error()
                return {}
            return {"namedCurve": ffi.string(buf, size[0]).decode("ascii")}
        return {}

    def _bn_param(self, name: bytes) -> Optional[int]:
        bn = ffi.new("BIGNUM **")
        if lib.EVP_PKEY_get_bn_param(self._pkey, name, bn) != 1:
            lib.ERR_clear_error()
            return None
        try:
            text = lib.BN_bn2hex(bn[0])
            try:
                return int(ffi.string(text), 16)
            finally:
                lib.OPENSSL_free(text)
        finally:
            lib.BN_free(bn[0])

    def export(self, options: Any = None) -> Union[str, bytes]:
        """``keyObject.export({'type': 'spki' | 'pkcs1', 'format': 'pem' | 'der'})`` of a public key.

        PEM is a ``str``, DER ``bytes``, as Node's string and Buffer.  Private keys and
        JWK are not exported (ERR_FEATURE_UNAVAILABLE_ON_PLATFORM is not Node's answer
        there; this package refuses them with ERR_OPTION_NOT_IMPLEMENTED)."""
        if not isinstance(options, dict):
            raise invalid_arg_type("options", "of type object", options)
        fmt, kind = options.get("format"), options.get("type")
        if fmt == "jwk" or self.type != "public":
            raise NodeError("KeyObject.export(): only public keys as 'spki' / 'pkcs1' in 'pem' / 'der' are "
                            "implemented", "ERR_OPTION_NOT_IMPLEMENTED")
        if fmt not in ("pem", "der"):
            raise _invalid_option(options, "format")
        if kind == "spki":
            der, label = _i2d(lib.i2d_PUBKEY, self._pkey), "PUBLIC KEY"
        elif kind == "pkcs1" and self.asymmetricKeyType == "rsa":
            der, label = _i2d(lib.i2d_PublicKey, self._pkey), "RSA PUBLIC KEY"
        else:
            raise _invalid_option(options, "type")
        return _pem(label, der) if fmt == "pem" else der

    def equals(self, otherKeyObject: Any) -> bool:
        if not isinstance(otherKeyObject, KeyObject):
            raise invalid_arg_type("otherKeyObject", "an instance of KeyObject", otherKeyObject)
        return self.type == otherKeyObject.type and lib.EVP_PKEY_eq(self._pkey, otherKeyObject._pkey) == 1

    def __repr__(self) -> str:
        return "<KeyObject type=%s asymmetricKeyType=%s>" % (self.type, self.asymmetricKeyType)


def _invalid_option(options: Dict[str, Any], key: str) -> NodeError:
    if key in options:
        return invalid_arg_value("options." + key, options[key])
    # a missing property is JavaScript's undefined
    return NodeTypeError("The property 'options.%s' is invalid. Received undefined" % key, "ERR_INVALID_ARG_VALUE")


def _i2d(fn: Any, pkey: Any) -> bytes:
    size = fn(pkey, ffi.NULL)
    if size <= 0:
        raise error_from_queue("cannot encode the key")
    buf = ffi.new("unsigned char[]", size)
    fn(pkey, ffi.new("unsigned char **", buf))
    der: bytes = ffi.buffer(buf, size)[:]
    return der


def _read_key(data: bytes, private: bool) -> Any:
    """A PEM or DER key (a public key may also come as a certificate, as in Node)."""
    lib.ERR_clear_error()
    bio = _mem_bio(data)
    try:
        if private:
            pkey = lib.PEM_read_bio_PrivateKey(bio, ffi.NULL, ffi.NULL, ffi.NULL)
        else:
            pkey = lib.PEM_read_bio_PUBKEY(bio, ffi.NULL, ffi.NULL, ffi.NULL)
    finally:
        lib.BIO_free(bio)
    if pkey == ffi.NULL:
        pem_errors = drain_errors()
        ptr = ffi.new("const unsigned char **", ffi.from_buffer(data))
        pkey = (lib.d2i_AutoPrivateKey if private else lib.d2i_PUBKEY)(ffi.NULL, ptr, len(data))
        if pkey == ffi.NULL and not private:
            lib.ERR_clear_error()
            try:
                cert = parse_certificate(data)
            except NodeError:
                pass
            else:
                pkey = lib.X509_get_pubkey(cert)
        lib.ERR_clear_error()
        if pkey == ffi.NULL:
            raise openssl_error(pem_errors[::-1]) if pem_errors else NodeError("unsupported key",
                                                                               "ERR_OSSL_UNSUPPORTED")
    return ffi.gc(pkey, lib.EVP_PKEY_free)


def createPublicKey(key: Any) -> KeyObject:
    """``crypto.createPublicKey(key)``: an SPKI public key or a certificate, PEM or DER."""
    if isinstance(key, KeyObject):
        if key.type != "private":
            raise invalid_arg_type("key", "of type string or an instance of ArrayBuffer, Buffer, TypedArray, "
                                   "DataView, KeyObject, or CryptoKey", key)
        return KeyObject(key._pkey, "public")
    return KeyObject(_read_key(to_bytes(key, "key"), False), "public")


def createPrivateKey(key: Any) -> KeyObject:
    """``crypto.createPrivateKey(key)``: an unencrypted private key, PEM or DER."""
    return KeyObject(_read_key(to_bytes(key, "key"), True), "private")


def parse_certificate(data: bytes) -> Any:
    """Node's X509Certificate::Parse: PEM first, then DER; the PEM error when neither."""
    lib.ERR_clear_error()
    bio = _mem_bio(data)
    try:
        cert = lib.PEM_read_bio_X509_AUX(bio, ffi.NULL, ffi.NULL, ffi.NULL)
    finally:
        lib.BIO_free(bio)
    if cert == ffi.NULL:
        pem_errors = drain_errors()
        ptr = ffi.new("const unsigned char **", ffi.from_buffer(data))
        cert = lib.d2i_X509(ffi.NULL, ptr, len(data))
        lib.ERR_clear_error()
        if cert == ffi.NULL:
            # Node throws ERR_get_error(): the oldest entry of the queue
            raise openssl_error(pem_errors[::-1]) if pem_errors else NodeError("unsupported certificate",
                                                                               "ERR_OSSL_UNSUPPORTED")
    return ffi.gc(cert, lib.X509_free)
