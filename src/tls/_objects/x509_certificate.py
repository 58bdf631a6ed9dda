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

import functools
from typing import Any, Dict, List, Optional, Sequence

from .._base.aliases import SnakeCaseAliases
from .._base.errors import NodeError, NodeTypeError
from .._base.validators import invalid_arg_type, invalid_arg_value, validate_string
from .._binding import ffi, lib
from .._binding.errors import error_from_queue
from .cert_object import _bio_bytes, _der, _fingerprint, _new_bio, _utf8, certificate_to_dict
from .key_object import KeyObject, createPrivateKey, createPublicKey, parse_certificate, to_bytes

__all__ = ["X509Certificate", "KeyObject", "createPublicKey", "createPrivateKey", "peer_x509", "local_x509",
           "enable_trace", "trace_option"]


def _bio_text(bio: Any) -> str:
    return _utf8(_bio_bytes(bio))


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


def _adopt(cert: Any) -> Any:
    """A new reference to a borrowed ``X509 *``, freed with the Python object."""
    if lib.X509_up_ref(cert) != 1:
        raise MemoryError("X509_up_ref failed")
    return ffi.gc(cert, lib.X509_free)


class X509Certificate(SnakeCaseAliases):
    """Node 20's ``crypto.X509Certificate``: ``X509Certificate(buffer)`` from PEM or DER
    (``str``, ``bytes``, ``bytearray``, ``memoryview``)."""

    def __init__(self, buffer: Any) -> None:
        self._x509 = parse_certificate(to_bytes(buffer, "buffer"))
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
