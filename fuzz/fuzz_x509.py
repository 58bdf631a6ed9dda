"""Fuzz target (e): certificate DER into getPeerCertificate's translation.

d2i_X509 decodes the input (OpenSSL's job: what it refuses is skipped), then
tls._objects.x509.certificate_to_dict (Node's X509ToObject + translatePeerCertificate)
and the detailed chain form build Node's dict, and checkServerIdentity reads
it back, as a client does after every handshake.
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
    finally:
        lib.X509_free(cert)


if __name__ == "__main__":
    _common.main(test_one)
