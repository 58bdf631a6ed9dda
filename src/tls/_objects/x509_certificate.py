"""Node 20's ``crypto.X509Certificate`` and the small ``KeyObject`` its ``publicKey`` is.

``tlsSocket.getPeerX509Certificate()`` / ``getX509Certificate()`` return these, and
``tls.X509Certificate(buffer)`` parses PEM or DER as ``new crypto.X509Certificate(buf)``.
Every value is Node's (lib/internal/crypto/x509.js over src/crypto/crypto_x509.cc):

* ``subject`` / ``issuer`` are X509_NAME_print_ex's multi-line text (csrc/x509_certificate.c),
  ``subjectAltName`` / ``infoAccess`` the raw strings of csrc/x509_info.c (the ones
  getPeerCertificate parses), ``keyUsage`` the extended key usage OIDs, ``serialNumber``
  upper-case hex, ``validFrom`` / ``validTo`` ASN1_TIME_print's text, the fingerprints
  colon-separated upper-case hex;
* an absent property (Node: ``undefined``) is ``None``; values are read once, then cached,
  as Node's kInternalState map does;
* ``issuerCertificate`` follows the peer's chain *in the order the peer sent it* (Node's
  X509Certificate::New with the issuer chain), not by issuer matching: the certificate
  after a peer certificate is its ``issuerCertificate``.  Node 20 builds that chain by
  deleting entries from the SSL's own peer chain, so a second ``getPeerX509Certificate()``
  on a client returns ``undefined`` there (and ``getPeerCertificate`` loses the leaf);
  here every call returns the same chain.

The certificate is held by reference (X509_up_ref): certificates are immutable here, and
the object outlives the connection it came from.
"""
from __future__ import annotations

import base64
import functools
from typing import Any, Dict, List, Optional, Sequence, Union

from .._base.aliases import SnakeCaseAliases
from .._base.errors import NodeError, NodeTypeError
from .._base.validators import invalid_arg_type, invalid_arg_value, validate_string
from .._binding import drain_errors, ffi, lib
from .._binding.errors import error_from_queue, openssl_error
from .cert_object import _bio_bytes, _der, _fingerprint, _new_bio, _utf8, certificate_to_dict

__all__ = ["X509Certificate", "KeyObject", "createPublicKey", "createPrivateKey", "peer_x509", "local_x509"]

_Buffer = Union[bytes, bytearray, memoryview]

# EVP_PKEY base ids -> Node's asymmetricKeyType (lib/internal/crypto/keys.js)
_KEY_TYPES = {
    lib.EVP_PKEY_RSA: "rsa", lib.EVP_PKEY_RSA_PSS: "rsa-pss", lib.EVP_PKEY_DSA: "dsa", lib.EVP_PKEY_DH: "dh",
    lib.EVP_PKEY_EC: "ec", lib.EVP_PKEY_ED25519: "ed25519", lib.EVP_PKEY_ED448: "ed448",
    lib.EVP_PKEY_X25519: "x25519", lib.EVP_PKEY_X448: "x448",
}


def _bio_text(bio: Any) -> str:
    return _utf8(_bio_bytes(bio))


def _mem_bio(data: bytes) -> Any:
    bio = lib.BIO_new_mem_buf(data, len(data))
    if bio == ffi.NULL:
        raise MemoryError("BIO_new_mem_buf failed")
    return bio


def _to_bytes(value: Any, name: str) -> bytes:
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
                return X509Certificate(data).publicKey._pkey
            except NodeError:
                pass
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
    return KeyObject(_read_key(_to_bytes(key, "key"), False), "public")


def createPrivateKey(key: Any) -> KeyObject:
    """``crypto.createPrivateKey(key)``: an unencrypted private key, PEM or DER."""
    return KeyObject(_read_key(_to_bytes(key, "key"), True), "private")


# ------------------------------------------------------------ X509Certificate

def _check_flags(options: Any) -> int:
    """Node's getFlags (lib/internal/crypto/x509.js): the X509_CHECK_FLAG_* bits."""
    if options is None:
        options = {}
    if not isinstance(options, dict):
        raise invalid_arg_type("options", "of type object", options)
    subject = options.get("subject", "default")
    checks = [(name, options.get(name, default)) for name, default in (
        ("wildcards", True), ("partialWildcards", True), ("multiLabelWildcards", False),
        ("singleLabelSubdomains", False))]
    validate_string(subject, "options.subject")
    for name, value in checks:
        if not isinstance(value, bool):
            raise invalid_arg_type("options." + name, "of type boolean", value)
    flags = {"default": 0, "always": lib.X509_CHECK_FLAG_ALWAYS_CHECK_SUBJECT,
             "never": lib.X509_CHECK_FLAG_NEVER_CHECK_SUBJECT}.get(subject)
    if flags is None:
        raise invalid_arg_value("options.subject", subject)
    values = dict(checks)
    if not values["wildcards"]:
        flags |= lib.X509_CHECK_FLAG_NO_WILDCARDS
    if not values["partialWildcards"]:
        flags |= lib.X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS
    if values["multiLabelWildcards"]:
        flags |= lib.X509_CHECK_FLAG_MULTI_LABEL_WILDCARDS
    if values["singleLabelSubdomains"]:
        flags |= lib.X509_CHECK_FLAG_SINGLE_LABEL_SUBDOMAINS
    return int(flags)


def _check_result(rc: int, match: Optional[str], invalid: str) -> Optional[str]:
    if rc == 1:
        return match
    if rc == 0:
        return None
    lib.ERR_clear_error()
    if rc == -2:
        raise NodeTypeError(invalid, "ERR_INVALID_ARG_VALUE")
    raise NodeError("Operation failed", "ERR_CRYPTO_OPERATION_FAILED")


def _parse(data: bytes) -> Any:
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


def _adopt(cert: Any) -> Any:
    """A new reference to a borrowed ``X509 *``, freed with the Python object."""
    if lib.X509_up_ref(cert) != 1:
        raise MemoryError("X509_up_ref failed")
    return ffi.gc(cert, lib.X509_free)


class X509Certificate(SnakeCaseAliases):
    """Node 20's ``crypto.X509Certificate``: ``X509Certificate(buffer)`` from PEM or DER
    (``str``, ``bytes``, ``bytearray``, ``memoryview``)."""

    def __init__(self, buffer: Any) -> None:
        self._x509 = _parse(_to_bytes(buffer, "buffer"))
        self._issuer: Optional[X509Certificate] = None

    @classmethod
    def _from_x509(cls, cert: Any, issuer: Optional["X509Certificate"] = None) -> "X509Certificate":
        self = cls.__new__(cls)
        self._x509 = _adopt(cert)
        self._issuer = issuer
        return self

    # -- text fields ------------------------------------------------------
    def _read(self, fill: Any) -> Optional[str]:
        bio = _new_bio()
        try:
            ok = fill(bio)
            return _bio_text(bio) if ok else None
        finally:
            lib.BIO_free(bio)
            lib.ERR_clear_error()

    @functools.cached_property
    def subject(self) -> Optional[str]:
        return self._read(lambda bio: lib.tls_x509_name_text(self._x509, 0, bio) == 1)

    @functools.cached_property
    def issuer(self) -> Optional[str]:
        return self._read(lambda bio: lib.tls_x509_name_text(self._x509, 1, bio) == 1)

    @functools.cached_property
    def subjectAltName(self) -> Optional[str]:
        # Node: undefined without the extension, null when it does not decode
        return self._read(lambda bio: lib.tls_x509_subjectaltname(self._x509, bio) == 1)

    @functools.cached_property
    def infoAccess(self) -> Optional[str]:
        return self._read(lambda bio: lib.tls_x509_infoaccess(self._x509, bio) == 1)

    @functools.cached_property
    def validFrom(self) -> str:
        return self._read(lambda bio: lib.ASN1_TIME_print(bio, lib.X509_get0_notBefore(self._x509)) or True) or ""

    @functools.cached_property
    def validTo(self) -> str:
        return self._read(lambda bio: lib.ASN1_TIME_print(bio, lib.X509_get0_notAfter(self._x509)) or True) or ""

    @functools.cached_property
    def fingerprint(self) -> Optional[str]:
        return _fingerprint(self._x509, lib.EVP_sha1())

    @functools.cached_property
    def fingerprint256(self) -> Optional[str]:
        return _fingerprint(self._x509, lib.EVP_sha256())

    @functools.cached_property
    def fingerprint512(self) -> Optional[str]:
        return _fingerprint(self._x509, lib.EVP_sha512())

    @functools.cached_property
    def keyUsage(self) -> Optional[List[str]]:
        bio = _new_bio()
        try:
            count = lib.tls_x509_ext_key_usage(self._x509, bio)
            return _bio_text(bio).split("\n")[:-1] if count >= 0 else None
        finally:
            lib.BIO_free(bio)
            lib.ERR_clear_error()

    @functools.cached_property
    def serialNumber(self) -> Optional[str]:
        serial = lib.tls_x509_serial(self._x509)
        if serial == ffi.NULL:
            lib.ERR_clear_error()
            return None
        try:
            text: bytes = ffi.string(serial)
            return text.decode("ascii")
        finally:
            lib.OPENSSL_free(serial)

    @functools.cached_property
    def ca(self) -> bool:
        try:
            return bool(lib.X509_check_ca(self._x509) == 1)
        finally:
            lib.ERR_clear_error()

    @functools.cached_property
    def raw(self) -> bytes:
        return _der(self._x509)

    @functools.cached_property
    def publicKey(self) -> KeyObject:
        pkey = lib.X509_get_pubkey(self._x509)
        if pkey == ffi.NULL:
            raise error_from_queue("cannot read the certificate's public key")
        return KeyObject(ffi.gc(pkey, lib.EVP_PKEY_free), "public")

    @property
    def issuerCertificate(self) -> Optional["X509Certificate"]:
        return self._issuer

    # -- PEM ----------------------------------------------------------------
    def toString(self) -> str:
        cached: Optional[str] = self.__dict__.get("_pem_text")
        if cached is None:
            bio = _new_bio()
            try:
                if lib.PEM_write_bio_X509(bio, self._x509) != 1:
                    raise error_from_queue("cannot write the certificate")
                cached = self.__dict__["_pem_text"] = _bio_text(bio)
            finally:
                lib.BIO_free(bio)
        return cached

    def toJSON(self) -> str:
        return self.toString()

    def __str__(self) -> str:
        return self.toString()

    def toLegacyObject(self) -> Dict[str, Any]:
        """getPeerCertificate()'s dict for this certificate (no issuerCertificate)."""
        return certificate_to_dict(self._x509)

    # -- checks -----------------------------------------------------------
    def checkHost(self, name: str, options: Optional[Dict[str, Any]] = None) -> Optional[str]:
        """The subject name that matched ``name`` (a wildcard pattern for a wildcard match), else None."""
        validate_string(name, "name")
        flags = _check_flags(options)
        encoded = name.encode("utf-8")
        peername = ffi.new("char **")
        rc = lib.X509_check_host(self._x509, encoded, len(encoded), flags, peername)
        match: Optional[str] = name
        if rc == 1 and peername[0] != ffi.NULL:
            # Node's OneByteString: the bytes as Latin-1
            match = ffi.string(peername[0]).decode("latin-1")
            lib.OPENSSL_free(peername[0])
        return _check_result(rc, match, "Invalid name")

    def checkEmail(self, email: str, options: Optional[Dict[str, Any]] = None) -> Optional[str]:
        validate_string(email, "email")
        flags = _check_flags(options)
        encoded = email.encode("utf-8")
        return _check_result(lib.X509_check_email(self._x509, encoded, len(encoded), flags), email,
                             "Invalid name")

    def checkIP(self, ip: str, options: Optional[Dict[str, Any]] = None) -> Optional[str]:
        validate_string(ip, "ip")
        flags = _check_flags(options)
        # a C string, as Node's Utf8Value: an embedded NUL ends it
        encoded = ip.encode("utf-8").split(b"\0", 1)[0]
        return _check_result(lib.X509_check_ip_asc(self._x509, encoded, flags), ip, "Invalid IP")

    def checkIssued(self, otherCert: "X509Certificate") -> bool:
        """True when ``otherCert`` issued this certificate."""
        if not isinstance(otherCert, X509Certificate):
            raise invalid_arg_type("otherCert", "an instance of X509Certificate", otherCert)
        try:
            return bool(lib.X509_check_issued(otherCert._x509, self._x509) == lib.X509_V_OK)
        finally:
            lib.ERR_clear_error()

    def checkPrivateKey(self, pkey: KeyObject) -> bool:
        """True when the private KeyObject ``pkey`` (createPrivateKey) belongs to this certificate."""
        if not isinstance(pkey, KeyObject):
            raise invalid_arg_type("pkey", "an instance of KeyObject", pkey)
        if pkey.type != "private":
            raise invalid_arg_value("pkey", pkey)
        try:
            return bool(lib.X509_check_private_key(self._x509, pkey._pkey) == 1)
        finally:
            lib.ERR_clear_error()

    def verify(self, publicKey: KeyObject) -> bool:
        """True when this certificate's signature verifies with the public KeyObject ``publicKey``."""
        if not isinstance(publicKey, KeyObject):
            raise invalid_arg_type("pkey", "an instance of KeyObject", publicKey)
        if publicKey.type != "public":
            raise invalid_arg_value("pkey", publicKey)
        try:
            return bool(lib.X509_verify(self._x509, publicKey._pkey) > 0)
        finally:
            lib.ERR_clear_error()

    def __eq__(self, other: object) -> bool:
        return isinstance(other, X509Certificate) and self.raw == other.raw

    def __hash__(self) -> int:
        return hash(self.raw)

    def __repr__(self) -> str:
        return "X509Certificate(subject=%r, issuer=%r, validTo=%r)" % (self.subject, self.issuer, self.validTo)


# ------------------------------------------------------------ from a live SSL *

def _chain(certs: Sequence[Any]) -> Optional[X509Certificate]:
    """X509Certificate objects for ``certs`` (borrowed ``X509 *``), each the next one's issuer."""
    issuer: Optional[X509Certificate] = None
    for cert in reversed(certs):
        issuer = X509Certificate._from_x509(cert, issuer)
    return issuer


def peer_x509(ssl: Any, is_server: bool) -> Optional[X509Certificate]:
    """``getPeerX509Certificate()``: Node's X509Certificate::GetPeerCert.

    A server's SSL_get_peer_cert_chain() lacks the leaf, a client's starts with it."""
    try:
        chain = lib.SSL_get_peer_cert_chain(ssl)
        count = lib.sk_X509_num(chain) if chain != ffi.NULL else 0
        certs = [lib.sk_X509_value(chain, i) for i in range(max(count, 0))]
        if is_server:
            peer = lib.SSL_get1_peer_certificate(ssl)
            if peer != ffi.NULL:
                peer = ffi.gc(peer, lib.X509_free)
                certs.insert(0, peer)
        return _chain(certs) if certs else None
    finally:
        lib.ERR_clear_error()


def local_x509(ssl: Any) -> Optional[X509Certificate]:
    """``getX509Certificate()``: the local certificate, without an issuer (Node's GetCert)."""
    cert = lib.SSL_get_certificate(ssl)
    return X509Certificate._from_x509(cert) if cert != ffi.NULL else None


def enable_trace(ssl: Any) -> None:
    """``tlsSocket.enableTrace()``: SSL_trace on stderr (csrc/x509_certificate.c)."""
    rc = lib.tls_enable_trace(ssl)
    if rc == -1:
        raise NodeError("tlsSocket.enableTrace(): this OpenSSL is built without SSL_trace (no-ssl-trace)",
                        "ERR_OPTION_NOT_IMPLEMENTED")
    if rc != 1:
        raise MemoryError("cannot open the trace BIO on stderr")


def trace_option(value: Any) -> bool:
    """The ``enableTrace`` option of tls.TLSSocket / tls.connect / tls.createServer (a boolean)."""
    if value is None:
        return False
    if not isinstance(value, bool):
        raise invalid_arg_type("options.enableTrace", "of type boolean", value)
    return value
