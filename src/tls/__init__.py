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
import sys as _sys

from ._base.constants import (
    CLIENT_RENEG_LIMIT, CLIENT_RENEG_WINDOW, DEFAULT_CIPHERS, DEFAULT_ECDH_CURVE, DEFAULT_MAX_VERSION,
    DEFAULT_MIN_VERSION,
)

__all__ = [
    "CLIENT_RENEG_LIMIT", "CLIENT_RENEG_WINDOW", "DEFAULT_CIPHERS", "DEFAULT_ECDH_CURVE",
    "DEFAULT_MAX_VERSION", "DEFAULT_MIN_VERSION", "NodeError", "SecureContext", "Server", "TLSSocket",
    "checkServerIdentity", "connect", "createSecureContext", "createServer", "events", "getCiphers",
    "net", "process", "rootCertificates", "run",
]
__all__ += ["CryptoStream", "SecurePair", "createSecurePair"]  # deprecated (DEP0064)
__all__ += ["convertALPNProtocols"]
__all__ += ["X509Certificate", "KeyObject", "createPublicKey", "createPrivateKey"]  # Node's crypto, for certificates
__all__ += ["connectAsync", "open_connection", "start_server",  # tls._aio, tls.streams
            "open_unix_connection", "start_unix_server"]
__all__ += ["AbortController", "AbortSignal"]  # Node's globals, for the 'signal' option

# For type checkers, every public name is imported as it would be eagerly; at run time
# nothing is (TYPE_CHECKING is False, and defining it here spares `import tls` the typing module).
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, List, Tuple

    from . import errors as errors, events as events, net as net, streams as streams
    from ._faces.aio import connectAsync as connectAsync
    from ._objects.legacy import (
        CryptoStream as CryptoStream, SecurePair as SecurePair, createSecurePair as createSecurePair,
    )
    from ._protocol.negotiation import convertALPNProtocols as convertALPNProtocols
    from ._node.runtime import run as run
    from ._node.process import process as process
    from ._node.abort import AbortController as AbortController, AbortSignal as AbortSignal
    from ._engine.context import SecureContext as SecureContext
    from ._objects.configure_context import createSecureContext as createSecureContext, getCiphers as getCiphers
    from ._objects.connect import connect as connect
    from ._objects.server import Server as Server, createServer as createServer
    from ._objects.tlssocket import TLSSocket as TLSSocket
    from ._objects.x509 import checkServerIdentity as checkServerIdentity
    from ._objects.key_object import (
        KeyObject as KeyObject, createPrivateKey as createPrivateKey, createPublicKey as createPublicKey,
    )
    from ._objects.x509_certificate import X509Certificate as X509Certificate
    from ._base.errors import NodeError as NodeError
    from ._faces.streams import open_connection as open_connection, open_unix_connection as open_unix_connection
    from ._faces.streams import start_server as start_server, start_unix_server as start_unix_server

    rootCertificates: Tuple[str, ...]
    # the snake_case aliases __getattr__ resolves (tls._aliases)
    check_server_identity = checkServerIdentity
    create_public_key = createPublicKey
    create_private_key = createPrivateKey
    create_secure_context = createSecureContext
    create_server = createServer
    get_ciphers = getCiphers
    root_certificates: Tuple[str, ...]
    create_secure_pair = createSecurePair
    convert_alpn_protocols = convertALPNProtocols
    connect_async = connectAsync

# public name -> the submodule that defines it (loaded on first access)
_LAZY = {
    "run": "_node.runtime",
    "process": "_node.process",   # Node's process object: signals, kill, exit
    "AbortController": "_node.abort",   # Node's globals: the 'signal' option of sockets and listen()
    "AbortSignal": "_node.abort",
    "SecureContext": "_engine.context",
    "createSecureContext": "_objects.configure_context",
    "getCiphers": "_objects.configure_context",
    "Server": "_objects.server",
    "TLSSocket": "_objects.tlssocket",
    "connect": "_objects.connect",
    "createServer": "_objects.server",
    "checkServerIdentity": "_objects.x509",
    "X509Certificate": "_objects.x509_certificate",
    "KeyObject": "_objects.key_object",
    "createPublicKey": "_objects.key_object",
    "createPrivateKey": "_objects.key_object",
    "CryptoStream": "_objects.legacy",
    "SecurePair": "_objects.legacy",
    "createSecurePair": "_objects.legacy",
    "NodeError": "_base.errors",
    "convertALPNProtocols": "_protocol.negotiation",
    "connectAsync": "_faces.aio",       # awaitable connect (the async face)
    "open_connection": "streams",       # asyncio streams over TLS (tls.streams)
    "start_server": "streams",
    "open_unix_connection": "streams",
    "start_unix_server": "streams",
}


def _getattr(name: str) -> Any:
    module = _LAZY.get(name)
    if module is not None:
        value = getattr(_importlib.import_module("." + module, __name__), name)
        globals()[name] = value   # later lookups are plain module attributes
        return value
    if name == "rootCertificates":
        # The system trust store is read only when someone asks for it (each
        # time: the value is not cached here).
        return _importlib.import_module("._engine.context", __name__).rootCertificates
    if "_" in name and name[:1] != "_":
        # tls.create_server is tls.createServer (snake_case aliases, tls._aliases)
        module_getattr = _importlib.import_module("._base.aliases", __name__).module_getattr
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


# the public submodules (dir(tls) lists them with __all__; they are not in __all__, so that
# ``from tls import *`` does not import them all)
_SUBMODULES = ("cluster", "errors", "events", "lifecycle", "net", "process", "stores", "streams")


def __dir__() -> List[str]:
    """The API only (as _base/public_dir.py does for the submodules, without importing it):
    no typing names, no private modules; the dunders stay."""
    return sorted(set(__all__) | set(_SUBMODULES)
                  | {name for name in globals() if name.startswith("__") and name.endswith("__")})


if not TYPE_CHECKING:
    # Hidden from type checkers: to them a misspelt ``tls.name`` is an error, not ``Any``.
    __getattr__ = _getattr
del TYPE_CHECKING


class _TLSModule(type(_importlib)):  # type: ignore[misc]  # types.ModuleType, without importing types
    """The module's own class, for one rule: ``tls.rootCertificates`` is read-only, as Node's
    getter-only property is (``tls.rootCertificates = x`` / ``del`` raise V8's TypeError texts).

    Only writes go through it: attribute reads stay the plain module lookup (then ``__getattr__``
    for the lazy names), so neither ``import tls`` nor ``tls.name`` gets slower."""

    def __setattr__(self, name: str, value: object) -> None:
        if name == "rootCertificates":
            raise TypeError("Cannot set property rootCertificates of #<Object> which has only a getter")
        super().__setattr__(name, value)

    def __delattr__(self, name: str) -> None:
        if name == "rootCertificates":
            raise TypeError("Cannot delete property 'rootCertificates' of #<Object>")
        super().__delattr__(name)


_sys.modules[__name__].__class__ = _TLSModule
