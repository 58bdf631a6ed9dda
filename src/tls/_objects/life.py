"""A TLSSocket's life: two small state machines and the one table of their moves.

Node's TLSSocket tracks its life in loose fields (``_controlReleased``,
``_secureEstablished``, ``_hadError``, ``kErrorEmitted``, whether the
handshake started, a start pending on a connecting socket); here they are two
enums, because they move independently: a tls.connect socket releases
control before its handshake starts, a server socket only at
'secureConnection', a standalone socket never (asyncio's sslproto writes its
states down the same way).

``Life``, the handshake as the socket sees it::

    NEW ─────────┬──> HANDSHAKING ──> SECURE ──> ERRORED
      │          │        │             ↺ (a renegotiation: 'secure' again)
      └> WAITING ┘        └─────────> FAILED      (and NEW / WAITING ──> FAILED)

* NEW: created, the handshake not started.
* WAITING: started while the wrapped socket still connects (it starts on that
  socket's 'connect').
* HANDSHAKING: the ClientHello went out, or the first bytes came in.
* SECURE: 'secure' was emitted (the handshake is done).
* FAILED: a TLS error, or the transport's end, before 'secure' (Node's
  ``_hadError``): later errors are not reported again.
* ERRORED: a TLS error after 'secure'; the socket is still "secure
  established" for the code that asks while it is being destroyed.

``Route``, where the socket's TLS errors go (Node's error routing)::

    HELD ──> REPORTED ──> RELEASED
      └──────────────────────^

* HELD: an internal 'error' listener turns every error into '_tlsError', so
  an unreleased socket never throws for want of an 'error' listener.
* REPORTED: a server socket whose first error (or hang-up) became the
  server's 'tlsClientError' (Node's ``kErrorEmitted``); it is said once.
* RELEASED: ``_releaseControl()`` (tls.connect at once, a server at
  'secureConnection'): errors reach the socket's own 'error' listeners.

A move not in ``TRANSITIONS`` is a bug in this package: ``check`` asserts it
(``python -O`` skips the check).
"""
from __future__ import annotations

import enum
from typing import Dict, FrozenSet, TypeVar, Union

__all__ = ["Life", "Route", "TRANSITIONS", "check"]


class Life(enum.Enum):
    # identity hashing in C (members compare by identity): Enum's own __hash__ is a Python call, and the
    # transition table is looked up on every move of every connection
    __hash__ = object.__hash__
    NEW = "new"
    WAITING = "waiting"
    HANDSHAKING = "handshaking"
    SECURE = "secure"
    FAILED = "failed"
    ERRORED = "errored"


class Route(enum.Enum):
    __hash__ = object.__hash__   # as Life's
    HELD = "held"
    REPORTED = "reported"
    RELEASED = "released"


State = Union[Life, Route]

# from -> the states it may move to (both machines, one table)
TRANSITIONS: Dict[State, FrozenSet[State]] = {
    Life.NEW: frozenset({Life.WAITING, Life.HANDSHAKING, Life.FAILED}),
    Life.WAITING: frozenset({Life.HANDSHAKING, Life.FAILED}),
    Life.HANDSHAKING: frozenset({Life.SECURE, Life.FAILED}),
    Life.SECURE: frozenset({Life.SECURE, Life.ERRORED}),
    Life.FAILED: frozenset(),
    Life.ERRORED: frozenset(),
    Route.HELD: frozenset({Route.REPORTED, Route.RELEASED}),
    Route.REPORTED: frozenset({Route.RELEASED}),
    Route.RELEASED: frozenset(),
}

# a socket in these states has finished its (first) handshake
SECURED = frozenset({Life.SECURE, Life.ERRORED})
# and in these it has not started one
UNSTARTED = frozenset({Life.NEW, Life.WAITING})


_S = TypeVar("_S", Life, Route)


def check(old: _S, new: _S) -> _S:
    """``new``, after asserting that ``old -> new`` is in the table."""
    assert new in TRANSITIONS[old], "illegal TLSSocket transition %s -> %s" % (old, new)
    return new
