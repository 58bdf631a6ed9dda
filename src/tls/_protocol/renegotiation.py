"""Renegotiation (TLS <= 1.2): a second 'secure', the client-initiated
renegotiation attack limit and ``disableRenegotiation()`` (Node's
onhandshakestart / onhandshakedone in lib/internal/tls/wrap.js).

How the events reach Python: csrc/renegotiation.c installs a C info callback
on every connection.  It records the first handshake itself and calls
:func:`_on_reneg_event` (extern "Python+C") only for what follows it: a
handshake start on a server, a handshake done that is not waiting for a
requested renegotiation.  Ordinary connections therefore never run Python
from the info callback.  That Python body runs on OpenSSL's stack, so it
only appends the event to the connection's ``reneg_events``; TLSConnection.cycle acts
on them once OpenSSL returned: :func:`before_data` runs the 'done' events
that came before a decrypt batch's plaintext, :func:`after_data` the rest
after it.  A server's renegotiation start also holds the handshake (see
csrc/renegotiation.c) until Python has applied the limits, so a batch ends
at the new ClientHello, the plaintext before it is delivered first, and the
server's answer is written only if the socket survived -- the order Node
has, where all this happens inside the info callback.

Node's counting, on the server: the first handshake start only records the
time (here: when the connection was created, which is when its ClientHello is
about to arrive); each later start resets the count to 1 when
``tls.CLIENT_RENEG_WINDOW`` seconds passed since the previous start, else
adds one; a count above ``tls.CLIENT_RENEG_LIMIT`` is an
``ERR_TLS_SESSION_ATTACK`` error, otherwise a socket that called
``disableRenegotiation()`` gets ``ERR_TLS_RENEGOTIATION_DISABLED``.  Both
limits are read from the ``tls`` module at each start, so assigning
``tls.CLIENT_RENEG_LIMIT`` takes effect at once.  Like Node, a server's own
``renegotiate()`` counts too (OpenSSL reports a start when it sends the
HelloRequest and another for the client's new ClientHello).  The errors go
through ``_emitTLSError`` after OpenSSL returned but before the server's
answer to the new ClientHello is sent, so a listener that destroys the
socket (the usual reaction) leaves the attacker without it, as in Node,
where the error is emitted from the info callback itself.
"""
from __future__ import annotations

import sys
import time
from collections import deque
from typing import TYPE_CHECKING, Any, Optional

from .._base import constants as _constants
from .._binding import lib
from .._binding.callbacks import openssl_callback
from .._engine.engine import READ_MORE
from .._base.errors import NodeError

if TYPE_CHECKING:
    from .state import ConnectionState

__all__ = ["configure", "before_data", "after_data", "process_events", "disable", "hold_write",
           "release_writes"]

_EVENT_START = 1
_EVENT_DONE = 2


class Limits:
    """A connection's renegotiation counting (``TLSConnection.reneg``)."""

    __slots__ = ("disabled", "handshakes", "last_handshake_time")

    def __init__(self) -> None:
        self.disabled = False                        # disableRenegotiation()
        self.handshakes = 0                          # Node's ssl.handshakes
        self.last_handshake_time = time.monotonic()  # Node's ssl.lastHandshakeTime


def configure(conn: "ConnectionState") -> None:
    """The counting state and the C info callback (every connection)."""
    engine = conn.engine
    assert engine is not None, "configured before the engine is freed"
    conn.reneg = Limits()
    lib.tls_reneg_enable(engine.ssl)


def disable(conn: "ConnectionState") -> None:
    conn.reneg.disabled = True


def _live(name: str) -> Any:
    """``require('tls').NAME`` at the moment of use."""
    module = sys.modules.get("tls")
    value = getattr(module, name, None) if module is not None else None
    return getattr(_constants, name) if value is None else value


@openssl_callback("_tls_reneg_event", None)
def _on_reneg_event(engine: Any, ssl: Any, event: int) -> None:
    # On OpenSSL's stack: record only.
    conn = engine.owner
    if conn is None:
        return
    entry = (event, time.monotonic())
    if conn.reneg_events is None:
        conn.reneg_events = [entry]
    else:
        conn.reneg_events.append(entry)


def before_data(conn: "ConnectionState") -> bool:
    """The 'done' events that precede a decrypt batch's plaintext (a
    renegotiation finished, then data came).  True when the connection was
    freed (its owner destroyed)."""
    events = conn.reneg_events
    while events and events[0][0] == _EVENT_DONE:
        del events[0]
        _on_handshake_done(conn)
        if conn.engine is None:
            return True
    if not events:
        conn.reneg_events = None
    return False


def after_data(conn: "ConnectionState", status: int) -> Optional[int]:
    """The remaining events, once the batch's plaintext was delivered.

    Returns the read status to go on with: READ_MORE when a handshake held
    at a renegotiation start was released (read again), None when the
    connection was freed.
    """
    started = process_events(conn)
    engine = conn.engine
    if engine is None:
        return None
    if started and engine.paused:
        engine.paused = False
        return READ_MORE
    return status


def process_events(conn: "ConnectionState") -> bool:
    """Act on every recorded event; release a held handshake.  True when a
    renegotiation start was among them."""
    events, conn.reneg_events = conn.reneg_events, None
    started = False
    for event, now in events or ():
        if conn.engine is None:
            return started
        if event == _EVENT_START:
            started = True
            _on_handshake_start(conn, now)
        else:
            _on_handshake_done(conn)
    engine = conn.engine
    if started and engine is not None:
        lib.tls_reneg_release(engine.ssl)
    return started


def _on_handshake_done(conn: "ConnectionState") -> None:
    # Node's onhandshakedone: the renegotiated session is secure ('secure'
    # again; a tls.connect socket re-verifies and emits 'secureConnect', a
    # server socket re-checks its client).
    conn.owner._finishInit()


def _on_handshake_start(conn: "ConnectionState", now: float) -> None:
    limits = conn.reneg
    last = limits.last_handshake_time
    limits.last_handshake_time = now
    if now - last >= _live("CLIENT_RENEG_WINDOW"):
        limits.handshakes = 1
    else:
        limits.handshakes += 1
    if limits.handshakes > _live("CLIENT_RENEG_LIMIT"):
        conn.owner._emitTLSError(NodeError("TLS session renegotiation attack detected", "ERR_TLS_SESSION_ATTACK"))
        return
    if limits.disabled:
        conn.owner._emitTLSError(NodeError("TLS session renegotiation disabled for this socket",
                                           "ERR_TLS_RENEGOTIATION_DISABLED"))


# -- application data during a renegotiation -----------------------------------------

def hold_write(conn: "ConnectionState", rest: Any, cb: Any) -> None:
    """SSL_write refuses application data while a renegotiation is in
    progress; keep the rest of the write, and everything written after it,
    in order (Node keeps it as pending cleartext and retries each cycle)."""
    conn.held_writes = deque([(bytes(rest), cb)])


def release_writes(conn: "ConnectionState") -> None:
    """Retry the held writes (TLSConnection.cycle, after each read); a
    shutdown requested meanwhile follows them."""
    held, conn.held_writes = conn.held_writes, None
    while held:
        if conn.engine is None:
            return
        chunk, cb = held.popleft()
        conn.write_chunk(chunk, cb)
        if conn.held_writes is not None:
            # still refused: keep the order
            conn.held_writes.extend(held)
            return
    if conn.owner._write_shut and conn.engine is not None:
        conn.shutdown_write()
