"""Fuzz target (c): PEM/DER/PFX/CRL/dhparam bytes into createSecureContext.

Input: byte 0 picks the option (OPTIONS), byte 1 holds flags (bit 0: pass a
str instead of bytes, bit 1: wrap it in a list), the rest is the value.  The
other options a working context needs (the key for a fuzzed cert ...) are
the valid throwaway ones.

``ticketKeyRing`` is fed to ``SecureContext.setTicketKeyRing`` of a fresh context instead
(csrc/tickets.c): the value cut into keys of ``40 + (byte 1 >> 2) % 16`` bytes (48 when that is
8), as str when bit 0 is set, so rings of wrong sizes, lengths, types and repeated names reach it;
a ring it accepts must read back as given.

Code-less errors: Node throws a few plain Errors here, and the project keeps
them code-less to stay faithful, so the target accepts exactly those:
- the PKCS#12 loader's (``pfx``): OpenSSL's reason as the message
  (``Error: mac verify failure``, ``not enough data``), never a code;
- ``SSL_CTX_use_certificate_chain`` from setCert when OpenSSL refused the
  certificate but queued no error (Node's ThrowCryptoError with error 0;
  checked with node 20 on the reproducer, e.g. a PEM whose base64 decodes to a
  certificate with a damaged public key).
"""
from __future__ import annotations

from typing import Any, Callable, Dict, List, Tuple

import _common
from _common import PASSPHRASE, pki, tls


NODE_CODELESS = {"SSL_CTX_use_certificate_chain"}


def _pair(value: Any) -> Dict[str, Any]:
    return {"key": pki("ec.key"), "cert": value}


OPTIONS: List[Tuple[str, Callable[[Any], Dict[str, Any]]]] = [
    ("key", lambda v: {"key": v, "cert": pki("ec.crt")}),
    ("cert", _pair),
    ("ca", lambda v: {"ca": v}),
    ("pfx", lambda v: {"pfx": v}),
    ("pfx+passphrase", lambda v: {"pfx": v, "passphrase": PASSPHRASE.decode()}),
    ("crl", lambda v: {"ca": pki("ca.crt"), "crl": v}),
    ("dhparam", lambda v: {"key": pki("rsa.key"), "cert": pki("rsa.crt"), "dhparam": v}),
    ("key+passphrase", lambda v: {"key": v, "cert": pki("ec.crt"), "passphrase": PASSPHRASE.decode()}),
    ("ticketKeyRing", lambda v: {}),   # see _ring below
]


def _ring(data: bytes) -> None:
    size = 40 + (data[1] >> 2) % 16
    raw = data[2:]
    keys: List[Any] = [raw[i:i + size] for i in range(0, len(raw), size)]
    if data[1] & 1:
        keys = [k.decode("latin-1") for k in keys]
    context = tls.createSecureContext()
    stored = context.setTicketKeyRing(keys)
    assert stored == keys and context.getTicketKeyRing() == keys and context.getTicketKeys() == keys[0]


def test_one(data: bytes) -> None:
    if len(data) < 2:
        return
    name, build = OPTIONS[data[0] % len(OPTIONS)]
    if name == "ticketKeyRing":
        try:
            _ring(data)
        except Exception as exc:
            _common.guarded(exc)
        return
    value: Any = data[2:]
    if data[1] & 1:
        value = value.decode("latin-1")
    if data[1] & 2:
        value = [value]
    try:
        tls.createSecureContext(build(value))
    except Exception as exc:
        _common.guarded(exc, codeless_ok=name.startswith("pfx") or str(exc) in NODE_CODELESS)


if __name__ == "__main__":
    _common.main(test_one)
