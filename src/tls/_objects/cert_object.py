"""Certificates as Node 20 describes them: ``getPeerCertificate()``'s objects, from an ``X509 *``.

``certificate_to_dict`` is Node's ``X509ToObject`` (src/crypto/crypto_common.cc)
followed by ``translatePeerCertificate`` (lib/_tls_common.js), i.e. what
``getPeerCertificate()`` and ``X509Certificate#toLegacyObject()`` return.
The keys come in Node's order; Buffers are ``bytes``; a property Node leaves
``undefined`` is absent and one Node sets to ``null`` is ``None``.

``peer_certificate`` is Node's ``GetPeerCert``: in detailed mode every
certificate gets an ``issuerCertificate`` taken from the peer's chain, then
from the local X509_STORE, and a self-signed root is its own issuer (the
same dict object: a cycle).  ``peer_identity`` is the small part of it that
the default ``checkServerIdentity`` reads, ``local_certificate`` is
``getCertificate()``.

Apart from x509.py because this half reads OpenSSL objects (the binding,
memory BIOs, the store) and builds dicts, while ``checkServerIdentity`` and
its name and IP address parsing are pure functions of those dicts and
strings; x509.py shows both under its name.
"""
from __future__ import annotations

import json
import re
from typing import Any, Callable, Dict, List, Optional

from .._binding import ffi, lib

__all__ = [
    "Cert", "certificate_to_dict", "certificate_chain_to_dict", "peer_certificate", "peer_identity",
    "local_certificate", "translate_info_access",
]

Cert = Dict[str, Any]

_EVP_MAX_MD_SIZE = 64


# --------------------------------------------------------------- small helpers

def _new_bio() -> Any:
    bio = lib.BIO_new(lib.BIO_s_mem())
    if bio == ffi.NULL:
        raise MemoryError("BIO_new failed")
    return bio


def _bio_bytes(bio: Any) -> bytes:
    ptr = ffi.new("char **")
    n = lib.BIO_get_mem_data(bio, ptr)
    if n <= 0 or ptr[0] == ffi.NULL:
        return b""
    data: bytes = ffi.buffer(ptr[0], n)[:]
    return data


def _utf8(data: bytes) -> str:
    # V8's String::NewFromUtf8 replaces each maximal invalid subpart by U+FFFD,
    # as Python's "replace" handler does.
    return data.decode("utf-8", "replace")


def _bio_text(fill: Callable[[Any], Any]) -> str:
    bio = _new_bio()
    try:
        fill(bio)
        return _utf8(_bio_bytes(bio))
    finally:
        lib.BIO_free(bio)


def _name_to_dict(name: Any) -> Optional[Dict[str, Any]]:
    """Node's GetX509NameObject; None stands for undefined (key left out)."""
    result: Dict[str, Any] = {}
    count = lib.X509_NAME_entry_count(name)
    oid = ffi.new("char[80]")
    out = ffi.new("unsigned char **")
    for i in range(count):
        entry = lib.X509_NAME_get_entry(name, i)
        obj = lib.X509_NAME_ENTRY_get_object(entry)
        data = lib.X509_NAME_ENTRY_get_data(entry)
        nid = lib.OBJ_obj2nid(obj)
        if nid != lib.NID_undef:
            key = _utf8(ffi.string(lib.OBJ_nid2sn(nid)))
        else:
            lib.OBJ_obj2txt(oid, 80, obj, 1)
            key = _utf8(ffi.string(oid))
        size = lib.ASN1_STRING_to_UTF8(out, data)
        if size < 0:
            return None
        try:
            value = _utf8(ffi.buffer(out[0], size)[:])
        finally:
            lib.OPENSSL_free(out[0])
        if key in result:
            previous = result[key]
            if not isinstance(previous, list):
                previous = result[key] = [previous]
            previous.append(value)
        else:
            result[key] = value
    return result


def _fingerprint(cert: Any, md: Any) -> Optional[str]:
    buf = ffi.new("unsigned char[]", _EVP_MAX_MD_SIZE)
    size = ffi.new("unsigned int *")
    if not lib.X509_digest(cert, md, buf, size):
        return None
    digest: bytes = ffi.buffer(buf, size[0])[:]
    return digest.hex(":").upper()


def _der(cert: Any) -> bytes:
    size = lib.i2d_X509(cert, ffi.NULL)
    if size < 0:
        raise ValueError("i2d_X509 failed")
    buf = ffi.new("unsigned char[]", size)
    lib.i2d_X509(cert, ffi.new("unsigned char **", buf))
    der: bytes = ffi.buffer(buf, size)[:]
    return der


_INFO_ACCESS_LINE = re.compile(r"([^\n:]*):([^\n]*)(?:\n|\Z)")


def translate_info_access(info: str) -> Dict[str, List[str]]:
    """lib/_tls_common.js translatePeerCertificate's infoAccess parsing."""
    result: Dict[str, List[str]] = {}
    for match in _INFO_ACCESS_LINE.finditer(info):
        key, val = match.group(1), match.group(2)
        if val[:1] == '"':
            val = json.loads(val)
        result.setdefault(key, []).append(val)
    return result


# ------------------------------------------------------------ X509ToObject

def certificate_to_dict(cert: Any) -> Cert:
    """Node 20's legacy certificate object for one ``X509 *``."""
    try:
        return _x509_to_object(cert)
    finally:
        lib.ERR_clear_error()


def _x509_to_object(cert: Any) -> Cert:
    info: Cert = {}

    subject = _name_to_dict(lib.X509_get_subject_name(cert))
    if subject is not None:
        info["subject"] = subject
    issuer = _name_to_dict(lib.X509_get_issuer_name(cert))
    if issuer is not None:
        info["issuer"] = issuer

    _add_subjectaltname(cert, info)

    bio = _new_bio()
    try:
        rc = lib.tls_x509_infoaccess(cert, bio)
        if rc >= 0:
            info["infoAccess"] = translate_info_access(_utf8(_bio_bytes(bio))) if rc == 1 else None
    finally:
        lib.BIO_free(bio)

    info["ca"] = lib.X509_check_ca(cert) == 1

    kind = lib.tls_x509_key_kind(cert)
    if kind == 1:
        _rsa_fields(cert, info)
    elif kind == 2:
        _ec_fields(cert, info)

    info["valid_from"] = _bio_text(lambda b: lib.ASN1_TIME_print(b, lib.X509_get0_notBefore(cert)))
    info["valid_to"] = _bio_text(lambda b: lib.ASN1_TIME_print(b, lib.X509_get0_notAfter(cert)))

    for key, md in (("fingerprint", lib.EVP_sha1()), ("fingerprint256", lib.EVP_sha256()),
                    ("fingerprint512", lib.EVP_sha512())):
        value = _fingerprint(cert, md)
        if value is not None:
            info[key] = value

    bio = _new_bio()
    try:
        count = lib.tls_x509_ext_key_usage(cert, bio)
        if count >= 0:
            info["ext_key_usage"] = _utf8(_bio_bytes(bio)).split("\n")[:-1] if count else []
    finally:
        lib.BIO_free(bio)

    serial = lib.tls_x509_serial(cert)
    if serial != ffi.NULL:
        try:
            info["serialNumber"] = _utf8(ffi.string(serial))
        finally:
            lib.OPENSSL_free(serial)

    info["raw"] = _der(cert)
    return info


def _rsa_fields(cert: Any, info: Cert) -> None:
    modulus, exponent, pubkey = _new_bio(), _new_bio(), _new_bio()
    bits = ffi.new("int *")
    try:
        if lib.tls_x509_rsa_info(cert, modulus, exponent, bits, pubkey) != 1:
            raise ValueError("cannot read the certificate's RSA key")
        info["modulus"] = _utf8(_bio_bytes(modulus))
        info["bits"] = bits[0]
        info["exponent"] = _utf8(_bio_bytes(exponent))
        info["pubkey"] = _bio_bytes(pubkey)
    finally:
        lib.BIO_free(modulus)
        lib.BIO_free(exponent)
        lib.BIO_free(pubkey)


def _ec_fields(cert: Any, info: Cert) -> None:
    pub = _new_bio()
    bits, has_pub, nid = ffi.new("int *"), ffi.new("int *"), ffi.new("int *")
    try:
        if lib.tls_x509_ec_info(cert, bits, pub, has_pub, nid) != 1:
            raise ValueError("cannot read the certificate's EC key")
        if bits[0] > 0:
            info["bits"] = bits[0]
        if has_pub[0]:
            info["pubkey"] = _bio_bytes(pub)
    finally:
        lib.BIO_free(pub)
    if nid[0] != 0:
        sn = lib.OBJ_nid2sn(nid[0])
        if sn != ffi.NULL:
            info["asn1Curve"] = _utf8(ffi.string(sn))
        nist = lib.EC_curve_nid2nist(nid[0])
        if nist != ffi.NULL:
            info["nistCurve"] = _utf8(ffi.string(nist))


# ----------------------------------------------------------------- GetPeerCert

def _dup(cert: Any) -> Any:
    # A new reference, not a copy: certificates are immutable here, and
    # X509_dup re-encodes the whole certificate (~200 us on every handshake).
    if lib.X509_up_ref(cert) != 1:
        raise MemoryError("X509_up_ref failed")
    return ffi.gc(cert, lib.X509_free)


def _store_issuer(store: Any, cert: Any) -> Any:
    """Node's SSL_CTX_get_issuer: X509_STORE_CTX_get1_issuer on the store."""
    if store is None or store == ffi.NULL:
        return None
    ctx = lib.X509_STORE_CTX_new()
    if ctx == ffi.NULL:
        return None
    try:
        if lib.X509_STORE_CTX_init(ctx, store, ffi.NULL, ffi.NULL) != 1:
            return None
        out = ffi.new("X509 **")
        if lib.X509_STORE_CTX_get1_issuer(out, ctx, cert) != 1:
            return None
        return ffi.gc(out[0], lib.X509_free)
    finally:
        lib.X509_STORE_CTX_free(ctx)


def _self_issued(cert: Any) -> bool:
    issued: bool = lib.X509_check_issued(cert, cert) == lib.X509_V_OK
    return issued


def certificate_chain_to_dict(certs: List[Any], store: Any = None) -> Cert:
    """The detailed object for ``certs[0]`` (peer chain order as Node builds
    it: leaf first), linked through ``issuerCertificate``.

    ``certs`` is a list of ``X509 *``; they are only read.  ``store`` is the
    ``X509_STORE *`` that completes the chain (Node: the SSL_CTX's store).
    """
    try:
        return _chain_to_object([_dup(c) for c in certs], store)
    finally:
        lib.ERR_clear_error()


def _chain_to_object(peer_certs: List[Any], store: Any) -> Cert:
    result = _x509_to_object(peer_certs[0])
    # AddIssuerChainToObject: follow issuers found in the peer's chain.
    cert = peer_certs.pop(0)
    obj = result
    while True:
        for i, ca in enumerate(peer_certs):
            if lib.X509_check_issued(ca, cert) != lib.X509_V_OK:
                continue
            ca_info = _x509_to_object(ca)
            obj["issuerCertificate"] = ca_info
            obj = ca_info
            cert = peer_certs.pop(i)
            break
        else:
            break
    # GetLastIssuedCert: complete the chain from the local store.
    while not _self_issued(cert):
        ca = _store_issuer(store, cert)
        if ca is None:
            break
        ca_info = _x509_to_object(ca)
        obj["issuerCertificate"] = ca_info
        obj = ca_info
        # A self-signed root without keyCertSign is not "self-issued" for
        # X509_check_issued; the store hands back the same object.
        if cert == ca:
            break
        cert = ca
    # The last certificate, when self-signed, is its own issuer.
    if _self_issued(cert):
        obj["issuerCertificate"] = obj
    return result


def _add_subjectaltname(cert: Any, info: Cert) -> None:
    bio = _new_bio()
    try:
        rc = lib.tls_x509_subjectaltname(cert, bio)
        if rc >= 0:
            info["subjectaltname"] = _utf8(_bio_bytes(bio)) if rc == 1 else None
    finally:
        lib.BIO_free(bio)


def peer_identity(ssl: Any) -> Optional[Cert]:
    """The server certificate's ``subject`` and ``subjectaltname`` only (client side).

    All that the default checkServerIdentity reads: a client that verifies
    with it need not build the whole detailed chain (fingerprints, public
    keys, issuers) on every handshake.  None when the server sent no
    certificate.
    """
    chain = lib.SSL_get_peer_cert_chain(ssl)
    if chain == ffi.NULL or lib.sk_X509_num(chain) <= 0:
        return None
    cert = lib.sk_X509_value(chain, 0)
    info: Cert = {}
    subject = _name_to_dict(lib.X509_get_subject_name(cert))
    if subject is not None:
        info["subject"] = subject
    _add_subjectaltname(cert, info)
    return info


def peer_certificate(ssl: Any, detailed: bool, is_server: bool, store: Any = None) -> Optional[Cert]:
    """``tlsSocket.getPeerCertificate(detailed)`` for a live ``SSL *``.

    ``{}`` when the peer sent no certificate.  The server's
    SSL_get_peer_cert_chain() lacks the leaf, the client's has it.  ``store``
    defaults to the X509_STORE of the SSL's current SSL_CTX.
    """
    try:
        cert = None
        if is_server:
            peer = lib.SSL_get1_peer_certificate(ssl)
            if peer != ffi.NULL:
                cert = ffi.gc(peer, lib.X509_free)
        chain = lib.SSL_get_peer_cert_chain(ssl)
        count = lib.sk_X509_num(chain) if chain != ffi.NULL else 0
        if cert is None and count <= 0:
            return {}
        if not detailed:
            return _x509_to_object(cert if cert is not None else lib.sk_X509_value(chain, 0))
        peer_certs = [cert] if cert is not None else []
        peer_certs.extend(_dup(lib.sk_X509_value(chain, i)) for i in range(max(count, 0)))
        if store is None:
            store = lib.SSL_CTX_get_cert_store(lib.SSL_get_SSL_CTX(ssl))
        return _chain_to_object(peer_certs, store)
    finally:
        lib.ERR_clear_error()


def local_certificate(ssl: Any) -> Optional[Cert]:
    """``tlsSocket.getCertificate()``: the local certificate, ``{}`` when none."""
    try:
        cert = lib.SSL_get_certificate(ssl)
        if cert == ffi.NULL:
            return {}
        return _x509_to_object(cert)
    finally:
        lib.ERR_clear_error()
