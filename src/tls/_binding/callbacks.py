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

Two policies for an exception from a hook body:

* stored (the default): the hook answers ``fatal``, OpenSSL fails the call
  its own way (an alert), and the engine raises the exception once OpenSSL
  returned, to the socket's usual error path;
* ``user_code=True``, for hooks that run a user callback synchronously
  because OpenSSL needs its answer now (pskCallback: the key): the exception
  is the user's error for that socket, and the guard hands it to Node's
  ``owner.destroy(err)`` right there, while the hook still counts as running.
  The engine therefore only detaches (no alert is ever sent, the ``SSL*`` is
  freed once OpenSSL returned), as in Node, where the error destroys the
  socket from inside the callback; storing it instead would let OpenSSL go on
  (a TLS 1.3 server falls back to a certificate handshake) and send what it
  made before the error surfaced.  On a socket already destroyed the error
  has nowhere to go, as with Node's ``destroy`` on a destroyed socket.

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


def openssl_callback(name: str, fatal: Any, *,
                     user_code: bool = False) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Register ``fn(engine, ssl, *args)`` as the extern "Python" function ``name``.

    ``user_code``: the body's exceptions are a user callback's errors and
    destroy the engine's owner at once (see the module docstring).
    """

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
            except BaseException as exc:
                if user_code:
                    _destroy_owner(engine, exc)
                elif engine.callback_error is None:  # stored, raised after OpenSSL returns
                    engine.callback_error = exc
                return fatal
            finally:
                engine.in_callback -= 1

        ffi.def_extern(name=name, error=fatal)(hook)
        return fn

    return decorate


def _destroy_owner(engine: Any, exc: BaseException) -> None:
    """Node's ``owner.destroy(err)`` from inside a hook (``in_callback`` still counts).

    The engine's owner is a TLSConnection, whose ``destroy`` / ``destroyed``
    are its socket's."""
    owner = engine.owner
    if owner is None or owner.destroyed:
        return
    try:
        owner.destroy(exc)
    except BaseException as error:  # never through OpenSSL: raised once it returned
        if engine.callback_error is None:
            engine.callback_error = error
