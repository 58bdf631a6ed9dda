"""Certificates as Node 20 describes them, and ``tls.checkServerIdentity``.

``certificate_to_dict`` is Node's ``X509ToObject`` (src/crypto/crypto_common.cc)
followed by ``translatePeerCertificate`` (lib/_tls_common.js), i.e. what
``getPeerCertificate()`` and ``X509Certificate#toLegacyObject()`` return.
The keys come in Node's order; Buffers are ``bytes``; a property Node leaves
``undefined`` is absent and one Node sets to ``null`` is ``None``.

``peer_certificate`` is Node's ``GetPeerCert``: in detailed mode every
certificate gets an ``issuerCertificate`` taken from the peer's chain, then
from the local X509_STORE, and a self-signed root is its own issuer (the
same dict object: a cycle).

``checkServerIdentity`` is Node 20's lib/tls.js function, rule for rule: it
returns (never raises) the ``ERR_TLS_CERT_ALTNAME_INVALID`` error.
"""
from __future__ import annotations

import json
import re
from typing import Any, Callable, Dict, List, Optional

from .._binding import ffi, lib
from .._base.errors import NodeError

__all__ = [
    "certificate_to_dict", "certificate_chain_to_dict", "peer_certificate",
    "local_certificate", "checkServerIdentity", "check_server_identity",
    "translate_info_access", "canonicalize_ip", "is_ip",
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


# ---------------------------------------------------- IP addresses (Node/libuv)

_V4_SEG = "(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9][0-9]|[0-9])"
_V4_STR = r"(?:%s\.){3}%s" % (_V4_SEG, _V4_SEG)
_V6_SEG = "(?:[0-9a-fA-F]{1,4})"
_IPV4_RE = re.compile(r"^%s\Z" % _V4_STR)
_IPV6_RE = re.compile((
    "^(?:"
    + "(?:{s}:){{7}}(?:{s}|:)|"
    + "(?:{s}:){{6}}(?:{v4}|:{s}|:)|"
    + "(?:{s}:){{5}}(?::{v4}|(?::{s}){{1,2}}|:)|"
    + "(?:{s}:){{4}}(?:(?::{s}){{0,1}}:{v4}|(?::{s}){{1,3}}|:)|"
    + "(?:{s}:){{3}}(?:(?::{s}){{0,2}}:{v4}|(?::{s}){{1,4}}|:)|"
    + "(?:{s}:){{2}}(?:(?::{s}){{0,3}}:{v4}|(?::{s}){{1,5}}|:)|"
    + "(?:{s}:){{1}}(?:(?::{s}){{0,4}}:{v4}|(?::{s}){{1,6}}|:)|"
    + "(?::(?:(?::{s}){{0,5}}:{v4}|(?::{s}){{1,7}}|:))"
    + r")(?:%[0-9a-zA-Z\-.:]{{1,}})?\Z"
).format(s=_V6_SEG, v4=_V4_STR))


def is_ip(s: str) -> int:
    """Node's net.isIP: 4, 6 or 0."""
    if _IPV4_RE.match(s):
        return 4
    if _IPV6_RE.match(s):
        return 6
    return 0


def _pton4(src: bytes) -> Optional[bytes]:
    saw_digit = False
    octets = 0
    tmp = [0]
    for ch in src:
        if 0x30 <= ch <= 0x39:
            nw = tmp[-1] * 10 + (ch - 0x30)
            if saw_digit and tmp[-1] == 0:
                return None
            if nw > 255:
                return None
            tmp[-1] = nw
            if not saw_digit:
                octets += 1
                if octets > 4:
                    return None
                saw_digit = True
        elif ch == 0x2E and saw_digit:
            if octets == 4:
                return None
            tmp.append(0)
            saw_digit = False
        else:
            return None
    if octets < 4:
        return None
    return bytes(tmp)


def _hexval(ch: int) -> Optional[int]:
    if 0x30 <= ch <= 0x39:
        return ch - 0x30
    if 0x61 <= ch <= 0x66:
        return ch - 0x61 + 10
    if 0x41 <= ch <= 0x46:
        return ch - 0x41 + 10
    return None


def _pton6(src: bytes) -> Optional[bytes]:
    tmp = bytearray(16)
    tp, endp = 0, 16
    colonp = None
    i, n = 0, len(src)
    if n and src[0] == 0x3A:
        i = 1
        if i >= n or src[i] != 0x3A:
            return None
    curtok = i
    seen = 0
    val = 0
    while i < n:
        ch = src[i]
        i += 1
        digit = _hexval(ch)
        if digit is not None:
            val = ((val << 4) | digit) & 0xFFFFFFFF
            seen += 1
            if seen > 4:
                return None
            continue
        if ch == 0x3A:
            curtok = i
            if not seen:
                if colonp is not None:
                    return None
                colonp = tp
                continue
            elif i >= n:
                return None
            if tp + 2 > endp:
                return None
            tmp[tp] = (val >> 8) & 0xFF
            tmp[tp + 1] = val & 0xFF
            tp += 2
            seen = 0
            val = 0
            continue
        if ch == 0x2E and tp + 4 <= endp:
            v4 = _pton4(src[curtok:])
            if v4 is not None:
                tmp[tp:tp + 4] = v4
                tp += 4
                seen = 0
                break
        return None
    if seen:
        if tp + 2 > endp:
            return None
        tmp[tp] = (val >> 8) & 0xFF
        tmp[tp + 1] = val & 0xFF
        tp += 2
    if colonp is not None:
        count = tp - colonp
        if tp == endp:
            return None
        for k in range(1, count + 1):
            tmp[endp - k] = tmp[colonp + count - k]
            tmp[colonp + count - k] = 0
        tp = endp
    if tp != endp:
        return None
    return bytes(tmp)


def _ntop4(src: bytes) -> str:
    return "%u.%u.%u.%u" % (src[0], src[1], src[2], src[3])


def _ntop6(src: bytes) -> str:
    words = [(src[2 * i] << 8) | src[2 * i + 1] for i in range(8)]
    best_base, best_len = -1, 0
    cur_base, cur_len = -1, 0
    for i in range(8):
        if words[i] == 0:
            if cur_base == -1:
                cur_base, cur_len = i, 1
            else:
                cur_len += 1
        elif cur_base != -1:
            if best_base == -1 or cur_len > best_len:
                best_base, best_len = cur_base, cur_len
            cur_base = -1
    if cur_base != -1 and (best_base == -1 or cur_len > best_len):
        best_base, best_len = cur_base, cur_len
    if best_base != -1 and best_len < 2:
        best_base = -1
    out = []
    for i in range(8):
        if best_base != -1 and best_base <= i < best_base + best_len:
            if i == best_base:
                out.append(":")
            continue
        if i != 0:
            out.append(":")
        if i == 6 and best_base == 0 and (
                best_len == 6 or (best_len == 7 and words[7] != 0x0001)
                or (best_len == 5 and words[5] == 0xFFFF)):
            out.append(_ntop4(src[12:]))
            break
        out.append("%x" % words[i])
    if best_base != -1 and best_base + best_len == 8:
        out.append(":")
    return "".join(out)


def canonicalize_ip(ip: str) -> Optional[str]:
    """Node's cares_wrap canonicalizeIP (uv_inet_pton + uv_inet_ntop)."""
    raw = ip.encode("utf-8", "replace").split(b"\0", 1)[0]
    v4 = _pton4(raw)
    if v4 is not None:
        return _ntop4(v4)
    zone = raw.find(b"%")
    if zone != -1:
        if zone > 45:
            return None
        raw = raw[:zone]
    v6 = _pton6(raw)
    if v6 is not None:
        return _ntop6(v6)
    return None


# --------------------------------------------------------- checkServerIdentity

class _NodeSyntaxError(NodeError, SyntaxError):
    """Node's SyntaxError (ERR_TLS_CERT_ALTNAME_FORMAT)."""


def _js_truthy(value: Any) -> bool:
    if value is None or value is False:
        return False
    if isinstance(value, (str, int, float)):
        return bool(value) and value == value  # NaN is falsy
    return True  # objects and arrays, even empty ones


def _js_string(value: Any) -> str:
    """String(value) for the values a certificate dict can hold."""
    if value is None:
        return "undefined"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, str):
        return value
    if isinstance(value, (list, tuple)):
        return ",".join("" if v is None else _js_string(v) for v in value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dict):
        return "[object Object]"
    return str(value)


def _get(obj: Any, key: str) -> Any:
    if obj is None:
        return None
    if isinstance(obj, dict):
        return obj.get(key)
    return getattr(obj, key, None)


def _utf16_len(s: str) -> int:
    return len(s) + sum(1 for c in s if ord(c) > 0xFFFF)


def _unfqdn(host: str) -> str:
    return host[:-1] if host.endswith(".") else host


_UPPER_ASCII = {c: c + 32 for c in range(0x41, 0x5B)}


def _split_host(host: str) -> List[str]:
    # Only A-Z are lower-cased: String#toLowerCase is locale-sensitive.
    return _unfqdn(host).translate(_UPPER_ASCII).split(".")


def _is_bad_label(label: str) -> bool:
    return any(not (0x21 <= ord(c) <= 0x7F) for c in label)


def _check(host_parts: List[str], pattern: Any, wildcards: bool) -> bool:
    if not _js_truthy(pattern):
        return False
    if not isinstance(pattern, str):
        raise TypeError("host.replace is not a function")
    pattern_parts = _split_host(pattern)
    if len(host_parts) != len(pattern_parts):
        return False
    if "" in pattern_parts:
        return False
    if any(_is_bad_label(p) for p in pattern_parts):
        return False
    for i in range(len(host_parts) - 1, 0, -1):
        if host_parts[i] != pattern_parts[i]:
            return False
    host_subdomain = host_parts[0]
    pattern_subdomain = pattern_parts[0]
    pattern_subdomain_parts = pattern_subdomain.split("*")
    if len(pattern_subdomain_parts) == 1 or "xn--" in pattern_subdomain:
        return host_subdomain == pattern_subdomain
    if not wildcards:
        return False
    if len(pattern_subdomain_parts) > 2:
        return False
    if len(pattern_parts) <= 2:
        return False
    prefix, suffix = pattern_subdomain_parts
    if len(prefix) + len(suffix) > _utf16_len(host_subdomain):
        return False
    if not host_subdomain.startswith(prefix):
        return False
    if not host_subdomain.endswith(suffix):
        return False
    return True


_JSON_STRING = re.compile(r'"(?:[^"\\\x00-\x1f]|\\(?:["\\/bfnrt]|u[0-9a-fA-F]{4}))*"')


def _split_escaped_alt_names(alt_names: str) -> List[str]:
    result: List[str] = []
    current = ""
    offset = 0
    while offset != len(alt_names):
        next_sep = alt_names.find(",", offset)
        next_quote = alt_names.find('"', offset)
        if next_quote != -1 and (next_sep == -1 or next_quote < next_sep):
            current += alt_names[offset:next_quote]
            match = _JSON_STRING.match(alt_names, next_quote)
            if not match:
                raise _NodeSyntaxError("Invalid subject alternative name string",
                                       "ERR_TLS_CERT_ALTNAME_FORMAT")
            current += json.loads(match.group(0))
            offset = next_quote + len(match.group(0))
        elif next_sep != -1:
            current += alt_names[offset:next_sep]
            result.append(current)
            current = ""
            offset = next_sep + 2
            if offset > len(alt_names):
                # JS: indexOf past the end finds nothing and substring()
                # clamps; the loop then appends "" and stops.
                offset = len(alt_names)
        else:
            current += alt_names[offset:]
            offset = len(alt_names)
    result.append(current)
    return result


def checkServerIdentity(hostname: Any, cert: Any) -> Optional[NodeError]:
    """Node 20's ``tls.checkServerIdentity(hostname, cert)``.

    Returns ``None`` when ``cert`` is valid for ``hostname``, else the
    ``ERR_TLS_CERT_ALTNAME_INVALID`` error (with ``.reason``, ``.host``,
    ``.cert``); raises ``ERR_TLS_CERT_ALTNAME_FORMAT`` for a malformed quoted
    subjectaltname.  ``hostname`` is converted like JavaScript's
    ``'' + hostname`` (None -> 'undefined').
    """
    if cert is None:
        raise TypeError("Cannot read properties of undefined (reading 'subject')")
    subject = _get(cert, "subject")
    alt_names = _get(cert, "subjectaltname")
    dns_names: List[str] = []
    ips: List[Optional[str]] = []

    hostname = _js_string(hostname)

    if _js_truthy(alt_names):
        alt_names = _js_string(alt_names)
        split = (_split_escaped_alt_names(alt_names) if '"' in alt_names
                 else alt_names.split(", "))
        for name in split:
            if name.startswith("DNS:"):
                dns_names.append(name[4:])
            elif name.startswith("IP Address:"):
                ips.append(canonicalize_ip(name[11:]))

    valid = False
    reason = "Unknown reason"

    hostname = _unfqdn(hostname)

    cn = _get(subject, "CN")
    if is_ip(hostname):
        valid = canonicalize_ip(hostname) in ips
        if not valid:
            reason = "IP: %s is not in the cert's list: " % hostname + ", ".join(
                "" if ip is None else ip for ip in ips)
    elif dns_names or _js_truthy(cn):
        host_parts = _split_host(hostname)

        def wildcard(pattern: Any) -> bool:
            return _check(host_parts, pattern, True)

        if dns_names:
            valid = any(wildcard(name) for name in dns_names)
            if not valid:
                reason = "Host: %s. is not in the cert's altnames: %s" % (hostname, alt_names)
        else:
            if isinstance(cn, (list, tuple)):
                valid = any(wildcard(name) for name in cn)
            elif _js_truthy(cn):
                valid = wildcard(cn)
            if not valid:
                reason = "Host: %s. is not cert's CN: %s" % (hostname, _js_string(cn))
    else:
        reason = "Cert does not contain a DNS name"

    if not valid:
        return NodeError("Hostname/IP does not match certificate's altnames: " + reason,
                         "ERR_TLS_CERT_ALTNAME_INVALID", reason=reason, host=hostname, cert=cert)
    return None


check_server_identity = checkServerIdentity
