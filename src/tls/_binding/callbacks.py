"""How OpenSSL calls into Python: ``extern "Python"`` functions, never ffi.callback.

Every hook body is registered with :func:`openssl_callback`, which finds the
engine that owns the ``SSL*`` (through SSL ex_data), runs the body, and turns
any exception into the hook's documented fatal return value after storing it
on ``engine.callback_error``.  The engine raises the stored exception once
OpenSSL has returned (see ``TLSEngine._raise_callback_error``), so no Python
exception ever unwinds through OpenSSL's C stack, and a hook that runs after
its connection was freed (ex_data cleared) just answers ``fatal``.

The guard also counts the hooks running on each engine (``in_callback``):
user code reached from a hook (a pskCallback that destroys or ends its
socket) then cannot free the ``SSL*`` or call OpenSSL on it again while
OpenSSL is still running; the engine does both once OpenSSL has returned
(see "Re-entry" in tls/_engine.py).

The feature modules (_negotiation, _sessions, _ocsp, ...) declare their hooks
with this decorator; the names are declared in src/_tls_cffi/callbacks.py.
"""
from __future__ import annotations

from typing import Any, Callable

from . import ffi, lib

__all__ = ["openssl_callback", "owner_of", "SSL_OWNER_INDEX"]

# The ex_data slot of an SSL* that holds the handle of the Python object owning
# it (the engine, tls/_engine/engine.py: set by tls_engine_new, cleared before
# SSL_free).
SSL_OWNER_INDEX = lib.tls_ssl_ex_index()


def owner_of(ssl: Any) -> Any:
    """The Python object owning an ``SSL*`` (for callbacks), or None once it let go."""
    handle = lib.SSL_get_ex_data(ssl, SSL_OWNER_INDEX)
    if handle == ffi.NULL:
        return None
    return ffi.from_handle(handle)


def openssl_callback(name: str, fatal: Any) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Register ``fn(engine, ssl, *args)`` as the extern "Python" function ``name``."""

    def decorate(fn: Callable[..., Any]) -> Callable[..., Any]:
        def hook(ssl: Any, *args: Any) -> Any:
            engine = owner_of(ssl)
            if engine is None:
                return fatal
            # While the body runs, OpenSSL is on the stack: the engine defers
            # a free and the socket operations that would call OpenSSL again
            # until the engine call that got us here returns (TLSEngine.defer).
            engine.in_callback += 1
            try:
                return fn(engine, ssl, *args)
            except BaseException as exc:  # stored, raised after OpenSSL returns
                if engine.callback_error is None:
                    engine.callback_error = exc
                return fatal
            finally:
                engine.in_callback -= 1

        ffi.def_extern(name=name, error=fatal)(hook)
        return fn

    return decorate


