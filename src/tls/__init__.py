"""Node.js's ``tls`` module for Python, on OpenSSL 3 and asyncio.

    import tls

    def main():
        server = tls.createServer({'key': key, 'cert': cert}, lambda s: s.end('hi\\n'))
        server.listen(8000)

    tls.run(main)          # a Node-style script: returns when nothing is left to do

Inside a running asyncio loop the same objects work as they are
(``asyncio.run(amain())``).  ``tls.net`` is Node's ``net`` and ``tls.events``
Node's ``events``.

Importing ``tls`` is cheap: only the defaults below are defined at import.
Every other public name (and ``tls.net`` / ``tls.events``) is loaded the
first time it is used, so ``import tls`` neither loads asyncio nor the OpenSSL
binding; ``tls.createServer(...)``, ``from tls import connect`` and ``dir(tls)``
work as if everything had been imported eagerly.
"""
from __future__ import annotations

import importlib as _importlib

from ._constants import (
    CLIENT_RENEG_LIMIT,
    CLIENT_RENEG_WINDOW,
    DEFAULT_CIPHERS,
    DEFAULT_ECDH_CURVE,
    DEFAULT_MAX_VERSION,
    DEFAULT_MIN_VERSION,
)

__all__ = [
    "CLIENT_RENEG_LIMIT", "CLIENT_RENEG_WINDOW", "DEFAULT_CIPHERS", "DEFAULT_ECDH_CURVE",
    "DEFAULT_MAX_VERSION", "DEFAULT_MIN_VERSION", "NodeError", "SecureContext", "Server", "TLSSocket",
    "checkServerIdentity", "connect", "createSecureContext", "createServer", "events", "getCiphers",
    "net", "rootCertificates", "run",
]
__all__ += ["CryptoStream", "SecurePair", "createSecurePair"]  # deprecated (DEP0064)
__all__ += ["convertALPNProtocols"]
__all__ += ["connectAsync", "open_connection", "start_server",  # tls._aio, tls.streams
            "open_unix_connection", "start_unix_server"]

# public name -> the submodule that defines it (loaded on first access)
_LAZY = {
    "run": "_runtime",
    "SecureContext": "_secure_context",
    "createSecureContext": "_secure_context",
    "getCiphers": "_secure_context",
    "Server": "_wrap",
    "TLSSocket": "_wrap",
    "connect": "_wrap",
    "createServer": "_wrap",
    "checkServerIdentity": "_x509",
    "CryptoStream": "_legacy",
    "SecurePair": "_legacy",
    "createSecurePair": "_legacy",
    "NodeError": "errors",
    "convertALPNProtocols": "_negotiation",
    "connectAsync": "_aio",             # awaitable connect (tls._aio)
    "open_connection": "streams",       # asyncio streams over TLS (tls.streams)
    "start_server": "streams",
    "open_unix_connection": "streams",
    "start_unix_server": "streams",
}


def __getattr__(name: str):
    module = _LAZY.get(name)
    if module is not None:
        value = getattr(_importlib.import_module("." + module, __name__), name)
        globals()[name] = value   # later lookups are plain module attributes
        return value
    if name == "rootCertificates":
        # The system trust store is read only when someone asks for it (each
        # time: the value is not cached here).
        from . import _secure_context
        return _secure_context.rootCertificates
    if "_" in name and name[:1] != "_":
        # tls.create_server is tls.createServer (snake_case aliases, tls._aliases)
        from ._aliases import module_getattr
        return module_getattr(__name__, lambda: [*_LAZY, "rootCertificates"])(name)
    if not name.startswith("__"):
        # Submodules (tls.net, tls.events, tls.errors, tls._runtime, ...)
        # are attributes once imported, as with an eager package.
        try:
            return _importlib.import_module("." + name, __name__)
        except ModuleNotFoundError as exc:
            if exc.name != __name__ + "." + name:
                raise
    raise AttributeError("module 'tls' has no attribute %r" % name)


def __dir__():
    return sorted(set(globals()) | set(_LAZY) | {"events", "net", "rootCertificates"})
