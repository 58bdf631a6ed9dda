"""What a shared session store does to a tls.Server, whatever holds the data.

A fleet of servers resumes each other's sessions when they share two things:

* **Session IDs** (TLS 1.2 without tickets, or clients that send no ticket): the server's
  ``'newSession'`` hands the DER session to the store, ``'resumeSession'`` asks for it back.
* **Ticket keys** (TLS 1.2 tickets, every TLS 1.3 resumption): a ticket is the session encrypted
  under the server's key, so every server needs the keys -- a ring of them
  (``Server.setTicketKeyRing``, csrc/tickets.c).

The rules this module keeps, for any backend:

1. **The store never costs a handshake.**  A lookup answers within ``timeout`` seconds (a timer
   on the loop answers "no session", i.e. a full handshake, and cancels the request); a failure,
   a miss and a timeout all answer ``callback(None, None)``; ``'newSession'`` is acknowledged at
   once and written behind.  While the backend is known to be down, lookups are not even tried
   for ``retry_after`` seconds (``skipped``): a dead Redis costs nothing per handshake.
2. **Nothing is raised into the server.**  Every failure is counted (:meth:`counters`) and
   emitted as ``'failure'`` (a ``NodeError`` with ``.code`` ``ERR_SESSION_STORE_<KIND>``,
   ``.kind``, ``.op``); availability changes are ``'down'`` (err) and ``'up'``.  None of them is
   ``'error'``, so an unlistened failure never throws.
3. **The ticket ring schedule.**  The ring held by the backend is, in order:
   ``[current, next, previous_1, ..., previous_keep]``.  ``current`` encrypts; ``next`` and the
   previous keys only decrypt.  A rotation makes ``next`` current, draws a new ``next``, and
   pushes the old current into the previous keys (the oldest falls off).  Because ``next`` was
   handed to every process one rotation earlier, a ticket made under a freshly rotated key
   decrypts everywhere at once, even on a process that has not polled since (nginx and HAProxy
   operators pre-load the next key for the same reason).  A ticket made before a rotation still
   resumes after ``keep`` rotations, not after ``keep + 1``.  The backend does the rotation
   atomically (one process rotates; the others read the result), on the backend's clock.
4. **Pick-up by polling.**  Every ``poll_every`` seconds each process asks the backend for the
   ring (the same call rotates it when due), applies it if its generation changed, and learns
   whether the backend is up.  Polling rather than pub/sub: with the next key pre-loaded a
   process that learns of a rotation a few seconds late loses nothing, a poll cannot be missed
   across a reconnect the way a message can, and the poll is also the health check that brings a
   store back after an outage with no extra connection.
5. **No process waits for the store.**  Its timers are unref'd (they never keep ``tls.run``
   alive), its requests run as tasks that do not hold ``tls.run`` either, and :meth:`close` /
   :meth:`detach` undo everything.  Until the first ring arrives (or while the backend is down)
   a server keeps the ring it has -- its own random key at start.

A backend implements the four coroutines at the bottom of :class:`SessionStore`.
"""
from __future__ import annotations

import asyncio
import difflib
import math
import os
import time
from typing import Any, Awaitable, Callable, Dict, List, Mapping, Optional, Tuple, TypeVar

from ..._base.errors import NodeError, NodeRangeError, NodeTypeError
from ..._base.validators import received as _received
from ..._engine.context import TICKET_RING_MAX
from ..._node import runtime as _runtime
from ..._node.events import EventEmitter

__all__ = ["SessionStore", "StoreFailure", "DEFAULTS"]

#: The options every store takes (seconds for times).  ``rotate_every`` and ``keep``: nginx's
#: and HAProxy's practice of rotating ticket keys about daily with an overlap.
DEFAULTS: Dict[str, Any] = {
    "timeout": 0.15,        # a lookup's budget: the longest a handshake waits for the store
    "write_timeout": 1.0,   # a background write's and a ring poll's budget
    "rotate_every": 12 * 3600.0,
    "keep": 2,              # previous ticket keys that still decrypt
    "poll_every": 5.0,      # ring pick-up and health check
    "retry_after": 1.0,     # after a failure, lookups are skipped this long
    "session_timeout": None,  # TTL of a session ID entry; None: the server's sessionTimeout
    "tickets": True,        # share the ticket key ring (False: session IDs only)
    "sessions": True,       # share TLS 1.2 session IDs (False: the ticket ring only, no per-handshake I/O)
}

_T = TypeVar("_T")
_DEFAULT_SESSION_TIMEOUT = 300  # Node's documented default for sessionTimeout (seconds)


class StoreFailure(NodeError):
    """One failure of the store's backend, as emitted with ``'failure'`` (never raised)."""

    def __init__(self, kind: str, op: str, cause: Optional[BaseException]) -> None:
        detail = "" if cause is None else ": %s" % (str(cause) or type(cause).__name__)
        super().__init__("session store %s failed (%s)%s" % (op, kind, detail),
                         "ERR_SESSION_STORE_" + kind.upper())
        self.kind = kind
        self.op = op
        self.__cause__ = cause


def _number(name: str, value: Any, minimum: float) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise NodeTypeError('The "%s" option must be of type number. %s' % (name, _received(value)),
                            "ERR_INVALID_ARG_TYPE")
    if not math.isfinite(value) or value < minimum:
        raise NodeRangeError('The value of "%s" is out of range. It must be a finite number >= %s. Received %r'
                             % (name, minimum, value), "ERR_OUT_OF_RANGE")
    return float(value)


def take_store_options(where: str, given: Mapping[str, Any], extra: Mapping[str, Any]) -> Dict[str, Any]:
    """The keyword options of a store: unknown names refused (with the near miss), values checked."""
    known = {**DEFAULTS, **extra}
    for name in given:
        if name not in known:
            hint = difflib.get_close_matches(name, list(known), 1)
            raise NodeTypeError("%s() got an unknown option %r%s" % (
                where, name, ". Did you mean %r?" % hint[0] if hint else ""), "ERR_INVALID_ARG_VALUE")
    opts = {**known, **given}
    for name in ("timeout", "write_timeout", "poll_every", "rotate_every"):
        opts[name] = _number(name, opts[name], 0.001)
    opts["retry_after"] = _number("retry_after", opts["retry_after"], 0.0)
    if opts["session_timeout"] is not None:
        opts["session_timeout"] = _number("session_timeout", opts["session_timeout"], 1.0)
    keep = opts["keep"]
    if isinstance(keep, bool) or not isinstance(keep, int):
        raise NodeTypeError('The "keep" option must be of type number. %s' % _received(keep), "ERR_INVALID_ARG_TYPE")
    if not 0 <= keep <= TICKET_RING_MAX - 2:   # the ring also holds the current and the next key
        raise NodeRangeError('The value of "keep" is out of range. It must be >= 0 && <= %d. Received %r'
                             % (TICKET_RING_MAX - 2, keep), "ERR_OUT_OF_RANGE")
    for name in ("tickets", "sessions"):
        if not isinstance(opts[name], bool):
            raise NodeTypeError('The "%s" option must be of type boolean. %s' % (name, _received(opts[name])),
                                "ERR_INVALID_ARG_TYPE")
    return opts


def _is_tls13(der: Any) -> bool:
    """Whether a DER ``SSL_SESSION`` (OpenSSL's SSL_SESSION_ASN1: SEQUENCE { version INTEGER (1),
    ssl_version INTEGER, ... }) is a TLS 1.3 session (ssl_version 0x0304)."""
    data = bytes(der[:12])
    if len(data) < 2 or data[0] != 0x30:
        return False
    i = 2 + (data[1] & 0x7F if data[1] & 0x80 else 0)   # the SEQUENCE's length, short or long form
    return data[i:i + 3] == b"\x02\x01\x01" and data[i + 3:i + 7] == b"\x02\x02\x03\x04"


def _retrieve(task: "asyncio.Future[Any]") -> None:
    if not task.cancelled():
        task.exception()   # retrieved: a request abandoned at its deadline is not an unhandled error


async def _bounded(coro: Awaitable[_T], timeout: float) -> _T:
    """``await coro`` for at most ``timeout`` seconds, then TimeoutError.  Unlike ``wait_for``, the
    abandoned request is cancelled without waiting for it and whatever it ends with is dropped."""
    task: "asyncio.Future[_T]" = asyncio.ensure_future(coro)
    try:
        done, _ = await asyncio.wait({task}, timeout=timeout)
    except asyncio.CancelledError:
        task.cancel()
        task.add_done_callback(_retrieve)
        raise
    if not done:
        task.cancel()
        task.add_done_callback(_retrieve)
        raise asyncio.TimeoutError("no answer within %g s" % timeout)
    return task.result()


class _Attached:
    """One server's wiring: the listeners to remove on detach."""

    __slots__ = ("server", "listeners")

    def __init__(self, server: Any) -> None:
        self.server = server
        self.listeners: List[Tuple[str, Callable[..., Any]]] = []


class SessionStore(EventEmitter):
    """A session store shared by servers (see the module docstring); subclasses bring the backend."""

    def __init__(self, options: Dict[str, Any]) -> None:
        super().__init__()
        self._timeout: float = options["timeout"]
        self._write_timeout: float = options["write_timeout"]
        self._rotate_every: float = options["rotate_every"]
        self._keep: int = options["keep"]
        self._poll_every: float = options["poll_every"]
        self._retry_after: float = options["retry_after"]
        self._session_timeout: Optional[float] = options["session_timeout"]
        self._tickets: bool = options["tickets"]
        self._sessions: bool = options["sessions"]
        self._servers: List[_Attached] = []
        self._ring: Optional[List[bytes]] = None   # [current, next, previous...] as the backend holds it
        self._generation = 0
        self._up: Optional[bool] = None             # unknown until the first answer
        self._retry_at = 0.0                        # lookups skipped until then (monotonic)
        self._poll_timer: Any = None
        self._poll_task: Optional["asyncio.Future[Any]"] = None
        self._tasks: "set[asyncio.Future[Any]]" = set()
        self._closed = False
        self._counts: Dict[str, int] = dict.fromkeys(
            ("lookups", "hits", "misses", "timeouts", "skipped", "late", "stores", "store_failures",
             "tls13_not_stored", "rotations", "ring_updates", "ring_failures", "failures"), 0)
        self._errors: Dict[str, int] = {}

    # -- public ------------------------------------------------------------------------------

    def attach(self, server: Any) -> "SessionStore":
        """Serve ``server``'s ``'newSession'`` / ``'resumeSession'`` and share its ticket keys.
        Needs a running event loop (``tls.run`` or asyncio); returns the store."""
        if self._closed:
            raise NodeError("The session store is closed", "ERR_INVALID_STATE")
        if any(a.server is server for a in self._servers):
            raise NodeError("The server is already attached to this store", "ERR_INVALID_STATE")
        if not callable(getattr(server, "setTicketKeyRing", None)):
            raise NodeTypeError('The "server" argument must be an instance of tls.Server. %s' % _received(server),
                                "ERR_INVALID_ARG_TYPE")
        attached = _Attached(server)

        def on_new_session(session_id: bytes, data: bytes, callback: Callable[..., Any]) -> None:
            self._on_new_session(server, session_id, data, callback)

        if self._sessions:
            for event, listener in (("newSession", on_new_session), ("resumeSession", self._on_resume_session)):
                server.on(event, listener)
                attached.listeners.append((event, listener))
        if self._tickets:
            # a context the server takes later (setSecureContext, addContext) gets the ring before
            # its first handshake: checked when a connection arrives, ahead of the TLS listener
            def check_ring(_socket: Any) -> None:
                self._apply_ring(server)

            server.prependListener("connection", check_ring)
            attached.listeners.append(("connection", check_ring))
        self._servers.append(attached)
        self._apply_ring(server)
        if self._tickets and self._poll_timer is None:
            self._poll_timer = _runtime.setInterval(self._poll, self._poll_every * 1000).unref()
            self._poll()
        return self

    def detach(self, server: Any) -> None:
        """Undo :meth:`attach` for ``server`` (its ring stays as it is)."""
        for attached in list(self._servers):
            if attached.server is server:
                self._servers.remove(attached)
                for event, listener in attached.listeners:
                    server.removeListener(event, listener)
        if not self._servers:
            self._stop_polling()

    async def close(self) -> None:
        """Detach every server, stop the timers, cancel what is in flight, close the backend."""
        if self._closed:
            return
        for attached in list(self._servers):
            self.detach(attached.server)
        self._closed = True
        self._stop_polling()
        for task in list(self._tasks):
            task.cancel()
        await self._close_backend()

    async def rotate(self) -> int:
        """Rotate the ticket ring now (each call is one rotation, e.g. after a suspected key leak);
        returns the new generation.  Raises the backend's error (asked for, not a handshake's)."""
        generation, ring, _ = await _bounded(self._sync_ring(os.urandom(48), force=True), self._write_timeout)
        self._counts["rotations"] += 1
        self._mark_up()
        self._set_ring(generation, ring, rotated=True)
        return generation

    async def sync(self) -> int:
        """Fetch the ring now (rotating it if due) and apply it; returns the generation."""
        await self._poll_once()
        return self._generation

    @property
    def generation(self) -> int:
        """The generation of the ring in use (0 before the first one arrived)."""
        return self._generation

    def counters(self) -> Dict[str, Any]:
        """A plain dict: lookups, hits, misses, timeouts, skipped (not tried: backend down), late
        (answers that came after the timeout), stores, store_failures, tls13_not_stored (TLS 1.3
        sessions: resumed from tickets only), rotations (done here), ring_updates, ring_failures,
        failures, errors (by kind), generation, up."""
        return {**self._counts, "errors": dict(self._errors), "generation": self._generation, "up": self._up}

    # -- the server's events -----------------------------------------------------------------

    def _ttl(self, server: Any) -> float:
        if self._session_timeout is not None:
            return self._session_timeout
        given = getattr(server, "sessionTimeout", None)
        return float(given) if isinstance(given, (int, float)) and given > 0 else _DEFAULT_SESSION_TIMEOUT

    def _on_new_session(self, server: Any, session_id: bytes, data: bytes, callback: Callable[..., Any]) -> None:
        # acknowledged at once: the handshake never waits for a write (a client that resumes on
        # another process within the write's round trip gets a full handshake)
        callback()
        if _is_tls13(data):
            # Node emits 'newSession' for each TLS 1.3 ticket too, but a TLS 1.3 session is only
            # ever resumed from its ticket (the shared ring), never looked up by its ID
            self._counts["tls13_not_stored"] += 1
            return
        self._spawn(self._store(bytes(session_id), bytes(data), self._ttl(server)))

    async def _store(self, session_id: bytes, data: bytes, ttl: float) -> None:
        try:
            await _bounded(self._set(session_id, data, int(ttl * 1000)), self._write_timeout)
        except asyncio.CancelledError:
            raise
        except BaseException as exc:  # every failure is counted, none escapes
            self._counts["store_failures"] += 1
            self._failed(exc, "set")
        else:
            self._counts["stores"] += 1
            self._mark_up()

    def _on_resume_session(self, session_id: bytes, callback: Callable[..., Any]) -> None:
        self._counts["lookups"] += 1
        if self._up is False and time.monotonic() < self._retry_at:
            self._counts["skipped"] += 1
            callback(None, None)
            return
        loop = _runtime.get_loop()
        answered = False

        def answer(data: Optional[bytes]) -> None:
            nonlocal answered
            if not answered:
                answered = True
                callback(None, data)

        task = self._spawn(self._get(bytes(session_id)), handled=True)

        def on_timeout() -> None:
            if not task.done():
                self._counts["timeouts"] += 1
                self._failed(asyncio.TimeoutError("no answer within %g s" % self._timeout), "get", "timeout")
                answer(None)
                task.cancel()

        timer = loop.call_later(self._timeout, on_timeout)

        def on_done(done: "asyncio.Future[Any]") -> None:
            timer.cancel()
            if done.cancelled():   # the timeout's cancel (already answered), or close() mid-lookup
                answer(None)
                return
            exc = done.exception()
            if exc is not None:
                if not answered:   # (after the timeout, the failure was counted as the timeout)
                    self._failed(exc, "get")
                    answer(None)
                return
            self._mark_up()
            if answered:
                self._counts["late"] += 1
                return
            value = done.result()
            self._counts["hits" if value is not None else "misses"] += 1
            answer(value)

        task.add_done_callback(on_done)

    # -- the ring ----------------------------------------------------------------------------

    def _poll(self) -> None:
        if self._poll_task is None or self._poll_task.done():
            self._poll_task = self._spawn(self._poll_once(quiet=True))

    async def _poll_once(self, quiet: bool = False) -> None:
        try:
            generation, ring, rotated = await _bounded(self._sync_ring(os.urandom(48), force=False),
                                                       self._write_timeout)
        except asyncio.CancelledError:
            raise
        except BaseException as exc:
            self._counts["ring_failures"] += 1
            self._failed(exc, "ring")
            if not quiet:
                raise
            return
        self._mark_up()
        if rotated:
            self._counts["rotations"] += 1   # made or rotated by this process, on schedule
        self._set_ring(generation, ring, rotated)

    def _set_ring(self, generation: int, ring: List[bytes], rotated: bool) -> None:
        """The backend's answer: [current, next, previous...] of ``generation``."""
        current = self._ring
        if current is not None and (ring == current or (generation < self._generation and ring[0] in current)):
            return  # nothing new, or an older answer that arrived after a newer one
        # (a lower generation with unknown keys is a backend that lost its data: taken as it is)
        self._generation, self._ring = generation, ring
        self._counts["ring_updates"] += 1
        for attached in self._servers:
            self._apply_ring(attached.server)
        self.emit("ring", generation, rotated)

    def _apply_ring(self, server: Any) -> None:
        ring = self._ring
        if ring is None or not self._tickets:
            return
        if server.getTicketKeys() == ring[0] and self._sni_contexts_agree(server, ring[0]):
            return
        server.setTicketKeyRing(ring)

    @staticmethod
    def _sni_contexts_agree(server: Any, current: bytes) -> bool:
        return all(context.getTicketKeys() == current for _regex, context in getattr(server, "_contexts", ()))

    # -- failures and availability -----------------------------------------------------------

    def _failed(self, exc: BaseException, op: str, kind: Optional[str] = None) -> None:
        kind = kind or self._error_kind(exc)
        self._counts["failures"] += 1
        self._errors[kind] = self._errors.get(kind, 0) + 1
        failure = StoreFailure(kind, op, exc)
        if kind in ("timeout", "connection"):
            self._retry_at = time.monotonic() + self._retry_after
            if self._up is not False:
                self._up = False
                self.emit("down", failure)
        self.emit("failure", failure)

    def _mark_up(self) -> None:
        if self._up is not True:
            was_down = self._up is False
            self._up = True
            if was_down:
                self.emit("up")

    def _spawn(self, coro: Any, handled: bool = False) -> "asyncio.Future[Any]":
        """A task that does not hold ``tls.run``; what it raises is counted, unless its own done
        callback handles it (``handled``: the lookups)."""
        on_error = (lambda exc: None) if handled else (lambda exc: self._failed(exc, "task"))
        task = _runtime.spawn(coro, on_error=on_error)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    def _stop_polling(self) -> None:
        if self._poll_timer is not None:
            _runtime.clearInterval(self._poll_timer)
            self._poll_timer = None
        if self._poll_task is not None and not self._poll_task.done():
            self._poll_task.cancel()
        self._poll_task = None

    # -- the backend -------------------------------------------------------------------------

    def _error_kind(self, exc: BaseException) -> str:
        """'timeout', 'connection' (both mean: down for a while), 'response' or 'other'."""
        if isinstance(exc, (asyncio.TimeoutError, TimeoutError)):
            return "timeout"
        if isinstance(exc, (ConnectionError, OSError)):
            return "connection"
        return "other"

    async def _get(self, session_id: bytes) -> Optional[bytes]:
        raise NotImplementedError

    async def _set(self, session_id: bytes, data: bytes, ttl_ms: int) -> None:
        raise NotImplementedError

    async def _sync_ring(self, candidate: bytes, force: bool) -> Tuple[int, List[bytes], bool]:
        """The ring [current, next, previous...], its generation and whether this call made or
        rotated it: rotated first when due (or ``force``) with ``candidate`` as the new next key,
        atomically across processes."""
        raise NotImplementedError

    async def _close_backend(self) -> None:
        raise NotImplementedError
