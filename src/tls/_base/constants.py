"""Node 20's ``tls`` module defaults.

``DEFAULT_CIPHERS`` is Node 20's default cipher string (``node -p
tls.DEFAULT_CIPHERS``): the three TLS 1.3 suites, then the TLS 1.2 list.

Node lets the ``--tls-cipher-list`` command-line switch replace that default.
The Python equivalent is the environment variable ``PYTHON_TLS_CIPHER_LIST``:
when it is set (to a non-empty value) at the time ``tls`` is first imported,
its value replaces ``DEFAULT_CIPHERS``.  It is read once, at import; change
``tls.DEFAULT_CIPHERS`` afterwards to affect contexts created later (like Node,
``createSecureContext`` reads ``tls.DEFAULT_CIPHERS`` / ``DEFAULT_ECDH_CURVE`` /
``DEFAULT_MIN_VERSION`` / ``DEFAULT_MAX_VERSION`` each time it runs).

Node's ``--tls-min-v1.x`` / ``--tls-max-v1.x`` / ``--tls-cipher-list`` switches
are flags of ``python -m tls run`` (docs/cli.md), which assigns
``tls.DEFAULT_MIN_VERSION`` / ``DEFAULT_MAX_VERSION`` / ``DEFAULT_CIPHERS`` before
the program runs; a program can assign them itself.
"""
from __future__ import annotations

import os

__all__ = [
    "NODE_DEFAULT_CIPHERS", "DEFAULT_CIPHERS", "DEFAULT_ECDH_CURVE", "DEFAULT_MIN_VERSION",
    "DEFAULT_MAX_VERSION", "CLIENT_RENEG_LIMIT", "CLIENT_RENEG_WINDOW", "CIPHER_LIST_ENV",
]

#: Node 20's built-in default cipher string (what ``--tls-cipher-list`` replaces).
NODE_DEFAULT_CIPHERS = (
    "TLS_AES_256_GCM_SHA384:"
    "TLS_CHACHA20_POLY1305_SHA256:"
    "TLS_AES_128_GCM_SHA256:"
    "ECDHE-RSA-AES128-GCM-SHA256:"
    "ECDHE-ECDSA-AES128-GCM-SHA256:"
    "ECDHE-RSA-AES256-GCM-SHA384:"
    "ECDHE-ECDSA-AES256-GCM-SHA384:"
    "DHE-RSA-AES128-GCM-SHA256:"
    "ECDHE-RSA-AES128-SHA256:"
    "DHE-RSA-AES128-SHA256:"
    "ECDHE-RSA-AES256-SHA384:"
    "DHE-RSA-AES256-SHA384:"
    "ECDHE-RSA-AES256-SHA256:"
    "DHE-RSA-AES256-SHA256:"
    "HIGH:"
    "!aNULL:"
    "!eNULL:"
    "!EXPORT:"
    "!DES:"
    "!RC4:"
    "!MD5:"
    "!PSK:"
    "!SRP:"
    "!CAMELLIA"
)

#: The environment variable standing in for Node's ``--tls-cipher-list`` switch.
CIPHER_LIST_ENV = "PYTHON_TLS_CIPHER_LIST"

DEFAULT_CIPHERS: str = os.environ.get(CIPHER_LIST_ENV) or NODE_DEFAULT_CIPHERS
DEFAULT_ECDH_CURVE: str = "auto"
DEFAULT_MIN_VERSION: str = "TLSv1.2"
DEFAULT_MAX_VERSION: str = "TLSv1.3"
CLIENT_RENEG_LIMIT: int = 3
CLIENT_RENEG_WINDOW: int = 600
