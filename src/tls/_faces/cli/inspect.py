"""What ``python -m tls client`` reads from OpenSSL beyond Node's API.

Node's ``getPeerCertificate(true)`` gives one chain, the certificates the peer
sent completed from the trust store, and says nothing of which is which; nor
does Node say how the peer signed the handshake, which CA names a server asks
client certificates from, or a certificate's signature algorithm.  ``openssl
s_client`` shows these, so the inspector reads them here, straight from the
connection's ``SSL*`` (declarations in src/_tls_cffi/inspect.py).

Lifetime: every OpenSSL object read here belongs to the connection and is
copied out (DER bytes, strings) before returning, so nothing outlives the call.
The socket's engine is ``None`` once it is destroyed: the readers then return
empty answers, and the client reads them right after ``'secureConnect'``.
"""
from __future__ import annotations

import base64
import hashlib
import os
from typing import Any, Dict, List, Optional

from ..._binding import ffi, lib
from . import format as fmt

__all__ = [
    "certificate_details", "client_ca_names", "der_to_pem", "fingerprint256", "inspect_connection",
    "peer_sent_chain", "peer_signature", "save_chain", "ssl_of", "verified_chain",
]

# SSL_get_peer_signature_type_nid answers with a key type NID; s_client names them so.
_SIGNATURE_TYPES = {
    lib.EVP_PKEY_RSA: "RSA",
    lib.EVP_PKEY_RSA_PSS: "RSA-PSS",
    lib.EVP_PKEY_EC: "ECDSA",
    lib.EVP_PKEY_ED25519: "Ed25519",
}


def ssl_of(sock: Any) -> Any:
    """The ``SSL*`` of a TLSSocket (its public ``native``, docs/openssl.md), or None once it is
    destroyed."""
    ssl = sock.native
    return None if ssl is None or ssl == ffi.NULL else ssl


def fingerprint256(der: bytes) -> str:
    """Written as Node's ``fingerprint256``."""
    return ":".join("%02X" % byte for byte in hashlib.sha256(der).digest())


def der_to_pem(der: bytes) -> str:
    body = base64.b64encode(der).decode("ascii")
    lines = [body[i:i + 64] for i in range(0, len(body), 64)]
    return "-----BEGIN CERTIFICATE-----\n%s\n-----END CERTIFICATE-----\n" % "\n".join(lines)


def _der(cert: Any) -> bytes:
    out = ffi.new("unsigned char **")
    size = lib.i2d_X509(cert, out)
    if size <= 0:
        return b""
    try:
        return bytes(ffi.buffer(out[0], size))
    finally:
        lib.OPENSSL_free(out[0])


def _stack_ders(stack: Any) -> List[bytes]:
    if stack == ffi.NULL:
        return []
    return [_der(lib.sk_X509_value(stack, index)) for index in range(lib.sk_X509_num(stack))]


def peer_sent_chain(ssl: Any) -> List[bytes]:
    """The certificates the peer sent, in its order (on a client the server's own is first)."""
    return _stack_ders(lib.SSL_get_peer_cert_chain(ssl)) if ssl is not None else []


def verified_chain(ssl: Any) -> List[bytes]:
    """The chain verification built, leaf to trust anchor, when verification succeeded; else empty.

    (OpenSSL keeps the chain it got as far as building even when verification failed, a partial chain
    that proves nothing: it is not reported.)
    """
    if ssl is None or lib.SSL_get_verify_result(ssl) != lib.X509_V_OK:
        return []
    return _stack_ders(lib.SSL_get0_verified_chain(ssl))


def _short_name(nid: int) -> Optional[str]:
    if nid == lib.NID_undef:
        return None
    name = lib.OBJ_nid2sn(nid)
    return ffi.string(name).decode("ascii", "replace") if name != ffi.NULL else None


def peer_signature(ssl: Any) -> Dict[str, Optional[str]]:
    """How the peer signed the handshake: ``{'digest': 'SHA256', 'type': 'ECDSA'}``.

    The digest is None for algorithms with none of their own (Ed25519) and both are None when the
    peer signed nothing (a resumed session, PSK).
    """
    result: Dict[str, Optional[str]] = {"digest": None, "type": None}
    if ssl is None:
        return result
    nid = ffi.new("int *")
    if lib.SSL_get_peer_signature_nid(ssl, nid) == 1:
        result["digest"] = _short_name(nid[0])
    if lib.SSL_get_peer_signature_type_nid(ssl, nid) == 1 and nid[0] != lib.NID_undef:
        result["type"] = _SIGNATURE_TYPES.get(nid[0]) or _short_name(nid[0])
    return result


def _name_text(name: Any) -> str:
    bio = lib.BIO_new(lib.BIO_s_mem())
    if bio == ffi.NULL:
        raise MemoryError("BIO_new failed")
    try:
        lib.X509_NAME_print_ex(bio, name, 0, lib.XN_FLAG_RFC2253)
        data = ffi.new("char **")
        size = lib.BIO_get_mem_data(bio, data)
        return ffi.buffer(data[0], size)[:].decode("utf-8", "replace") if size > 0 else ""
    finally:
        lib.BIO_free(bio)


def client_ca_names(ssl: Any) -> List[str]:
    """On a client: the CA names the server's certificate request listed (RFC 2253 form), in its order."""
    if ssl is None:
        return []
    names = lib.SSL_get_client_CA_list(ssl)
    if names == ffi.NULL:
        return []
    return [_name_text(lib.sk_X509_NAME_value(names, index)) for index in range(lib.sk_X509_NAME_num(names))]


def certificate_details(der: bytes) -> Dict[str, Any]:
    """A certificate's key and signature: ``{'keyType': 'EC', 'keyBits': 256, 'keyCurve': 'prime256v1',
    'signatureAlgorithm': 'ecdsa-with-SHA256'}`` (values None where OpenSSL has no answer)."""
    details: Dict[str, Any] = {"keyType": None, "keyBits": None, "keyCurve": None, "signatureAlgorithm": None}
    source = ffi.new("unsigned char[]", der)
    cursor = ffi.new("const unsigned char **", source)
    cert = lib.d2i_X509(ffi.NULL, cursor, len(der))
    if cert == ffi.NULL:
        lib.ERR_clear_error()
        return details
    try:
        nid = lib.X509_get_signature_nid(cert)
        if nid != lib.NID_undef:
            details["signatureAlgorithm"] = ffi.string(lib.OBJ_nid2ln(nid)).decode("ascii", "replace")
        key = lib.X509_get0_pubkey(cert)
        if key != ffi.NULL:
            type_name = lib.EVP_PKEY_get0_type_name(key)
            if type_name != ffi.NULL:
                details["keyType"] = ffi.string(type_name).decode("ascii", "replace")
            details["keyBits"] = lib.EVP_PKEY_get_bits(key) or None
            group = ffi.new("char[80]")
            length = ffi.new("size_t *")
            if lib.EVP_PKEY_get_group_name(key, group, len(group), length) == 1:
                details["keyCurve"] = ffi.string(group).decode("ascii", "replace")
        lib.ERR_clear_error()        # a key without a group (RSA) leaves an entry on the queue
        return details
    finally:
        lib.X509_free(cert)


def inspect_connection(sock: Any, showcerts: bool) -> Dict[str, Any]:
    """What OpenSSL knows of the connection beyond Node's getters, JSON-ready.

    Each row of ``peerCertificates`` (Node's chain: what the peer sent, completed from the trust store)
    gains its key, its signature algorithm, ``sent`` (the peer sent it) and ``verified`` (it is in the
    chain verification built); certificates the peer sent that the chain leaves out are listed apart.
    """
    ssl = ssl_of(sock)
    sent = peer_sent_chain(ssl)
    sent_prints = [fingerprint256(der) for der in sent]
    verified_prints = {fingerprint256(der) for der in verified_chain(ssl)}
    chain = fmt.certificate_chain(sock.getPeerCertificate(True))
    rows = []
    for cert in chain:
        der = bytes(cert.get("raw") or b"")
        row = fmt.certificate_row(cert)
        row.update(certificate_details(der))
        row["sent"] = row["fingerprint256"] in sent_prints
        row["verified"] = row["fingerprint256"] in verified_prints
        if showcerts:
            row["pem"] = der_to_pem(der)
        rows.append(row)
    shown = {row["fingerprint256"] for row in rows}
    unused = []
    for der, fingerprint in zip(sent, sent_prints):
        if fingerprint not in shown:
            extra = {"fingerprint256": fingerprint, **certificate_details(der)}
            if showcerts:
                extra["pem"] = der_to_pem(der)
            unused.append(extra)
    return {
        "peerCertificates": rows,
        "sentCertificates": len(sent),
        "sentNotInChain": unused,
        "peerSignature": peer_signature(ssl),
        "clientCANames": client_ca_names(ssl),
        "_ders": [bytes(cert.get("raw") or b"") for cert in chain],
    }


def save_chain(folder: str, ders: List[bytes]) -> List[str]:
    """``--save-chain DIR``: DIR/cert-0.pem (the peer's own), cert-1.pem, ... in the chain's order."""
    os.makedirs(folder, exist_ok=True)
    paths = []
    for depth, der in enumerate(ders):
        path = os.path.join(folder, "cert-%d.pem" % depth)
        with open(path, "w") as file:
            file.write(der_to_pem(der))
        paths.append(path)
    return paths
