"""Fuzz target (e): certificate DER into getPeerCertificate's translation.

d2i_X509 decodes the input (OpenSSL's job: what it refuses is skipped), then
tls._objects.x509.certificate_to_dict (Node's X509ToObject + translatePeerCertificate)
and the detailed chain form build Node's dict, and checkServerIdentity reads
it back, as a client does after every handshake.  The same certificate then goes
through tls.X509Certificate (getPeerX509Certificate's object): every property
(the multi-line subject / issuer of csrc/x509_certificate.c included), the
public key's details and export, the host / e-mail / IP checks, checkIssued and
verify against itself, and the PEM round trip.
"""
from __future__ import annotations

import _common
from _common import ffi, lib, tls


def test_one(data: bytes) -> None:
    buf = ffi.from_buffer("unsigned char[]", data)
    cert = lib.d2i_X509(ffi.NULL, ffi.new("const unsigned char **", buf), len(data))
    lib.ERR_clear_error()
    if cert == ffi.NULL:
        return
    try:
        info = tls._objects.x509.certificate_to_dict(cert)
        chain = tls._objects.x509.certificate_chain_to_dict([cert])
        assert chain["raw"] == info["raw"]
        tls.checkServerIdentity("localhost", info)
        tls.checkServerIdentity("127.0.0.1", info)
    except Exception as exc:
        _common.guarded(exc)
    try:
        x509_certificate(cert)
    except Exception as exc:
        _common.guarded(exc)
    finally:
        lib.X509_free(cert)


def x509_certificate(cert: object) -> None:
    x = tls.X509Certificate._from_x509(cert)
    for name in ("subject", "issuer", "subjectAltName", "infoAccess", "validFrom", "validTo", "fingerprint",
                 "fingerprint256", "fingerprint512", "serialNumber", "keyUsage", "ca"):
        getattr(x, name)
    x.checkHost("localhost")
    x.checkHost("a.example.com", {"subject": "always", "partialWildcards": False})
    x.checkEmail("someone@example.com")
    x.checkIP("127.0.0.1")
    x.checkIssued(x)
    assert tls.X509Certificate(x.toString()).raw == x.raw
    key = x.publicKey
    assert key.type == "public" and isinstance(key.asymmetricKeyDetails, dict)
    x.verify(key)
    key.export({"type": "spki", "format": "der"})


if __name__ == "__main__":
    _common.main(test_one)
