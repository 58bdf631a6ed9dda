"""Node.js's ``tls`` module for Python, on OpenSSL 3 and asyncio.

    import tls

    def main():
        server = tls.createServer({'key': key, 'cert': cert}, lambda s: s.end('hi\\n'))
        server.listen(8000)

    tls.run(main)          # a Node-style script: returns when nothing is left to do

Inside a running asyncio loop the same objects work as they are
(``asyncio.run(amain())``).  ``tls.net`` is Node's ``net`` and ``tls.events``
Node's ``events``.
"""
from __future__ import annotations

from . import events, net
from ._constants import (
    CLIENT_RENEG_LIMIT,
    CLIENT_RENEG_WINDOW,
    DEFAULT_CIPHERS,
    DEFAULT_ECDH_CURVE,
    DEFAULT_MAX_VERSION,
    DEFAULT_MIN_VERSION,
)
from ._runtime import run
from ._secure_context import SecureContext, createSecureContext, getCiphers
from ._wrap import Server, TLSSocket, connect, createServer
from ._x509 import checkServerIdentity
from ._legacy import CryptoStream, SecurePair, createSecurePair  # deprecated (DEP0064)
from .errors import NodeError

__all__ = [
    "CLIENT_RENEG_LIMIT", "CLIENT_RENEG_WINDOW", "DEFAULT_CIPHERS", "DEFAULT_ECDH_CURVE",
    "DEFAULT_MAX_VERSION", "DEFAULT_MIN_VERSION", "NodeError", "SecureContext", "Server", "TLSSocket",
    "checkServerIdentity", "connect", "createSecureContext", "createServer", "events", "getCiphers",
    "net", "rootCertificates", "run",
]
__all__ += ["CryptoStream", "SecurePair", "createSecurePair"]
from ._negotiation import convertALPNProtocols  # noqa: E402
__all__ += ["convertALPNProtocols"]


def __getattr__(name: str):
    # The system trust store is read only when someone asks for it.
    if name == "rootCertificates":
        from . import _secure_context
        return _secure_context.rootCertificates
    raise AttributeError("module 'tls' has no attribute %r" % name)
