"""TLS sessions across a cluster's workers: ticket keys from the primary, session IDs through it.

* **Tickets** (TLS 1.3, and TLS 1.2 clients that take them) need nothing but
  the same ticket keys in every worker: the primary makes 48 random bytes
  once and gives them to each worker at its start; the worker installs them
  as the process-wide default of tls.Server (``server_hooks``), so every
  server a worker makes takes them unless it is given ``ticketKeys``.
* **Session IDs** (TLS 1.2 without tickets) live in the server that made
  them.  A worker's tls.Server gets 'newSession' / 'resumeSession' listeners
  that forward to the primary, which keeps the sessions in memory
  (:class:`SessionCache`, each for the server's ``sessionTimeout``).  The
  handshake that made a session waits for the primary's acknowledgement
  (Node holds 'secure' until newSession's ``done``), so the next connection
  finds it whichever worker takes it.  TLS 1.3 sessions are not forwarded:
  they resume by ticket, and storing one per handshake would cost a round
  trip for nothing.  A program that listens for 'newSession' or
  'resumeSession' itself keeps its own cache: the forwarding steps aside when
  such a listener is added.
"""
from __future__ import annotations

import time
from collections import OrderedDict
from typing import Any, Callable, Mapping, Optional, Tuple

__all__ = ["SessionCache", "install_forwarding", "session_protocol_version", "DEFAULT_TIMEOUT"]

DEFAULT_TIMEOUT = 300          # seconds: Node's (OpenSSL's) default sessionTimeout
_MAX_SESSIONS = 20480          # OpenSSL's default session cache size (SSL_SESSION_CACHE_MAX_SIZE_DEFAULT)


class SessionCache:
    """The primary's session-ID cache: hex id -> (base64 DER, expiry); oldest first out when full."""

    def __init__(self, max_size: int = _MAX_SESSIONS) -> None:
        self._items: "OrderedDict[str, Tuple[str, float]]" = OrderedDict()
        self.max_size = max_size

    def store(self, session_id: str, data: str, timeout: Any = None) -> None:
        ttl = timeout if isinstance(timeout, (int, float)) and not isinstance(timeout, bool) and timeout > 0 \
            else DEFAULT_TIMEOUT
        self._items[session_id] = (data, time.monotonic() + ttl)
        self._items.move_to_end(session_id)
        while len(self._items) > self.max_size:
            self._items.popitem(last=False)

    def get(self, session_id: str) -> Optional[str]:
        item = self._items.get(session_id)
        if item is None:
            return None
        data, expiry = item
        if time.monotonic() >= expiry:
            del self._items[session_id]
            return None
        return data

    def __len__(self) -> int:
        return len(self._items)


def session_protocol_version(der: bytes) -> Optional[int]:
    """The protocol version in an SSL_SESSION's DER (0x0304 for TLS 1.3), or None if unreadable.

    SSL_SESSION_ASN1 starts ``SEQUENCE { version INTEGER, ssl_version INTEGER, ... }``.
    """
    def length(pos: int) -> Tuple[int, int]:
        first = der[pos]
        if first < 0x80:
            return first, pos + 1
        count = first & 0x7F
        return int.from_bytes(der[pos + 1:pos + 1 + count], "big"), pos + 1 + count

    try:
        if der[0] != 0x30:
            return None
        _total, pos = length(1)
        for index in range(2):
            if der[pos] != 0x02:
                return None
            size, pos = length(pos + 1)
            value = int.from_bytes(der[pos:pos + size], "big")
            pos += size
            if index == 1:
                return value
    except IndexError:
        return None
    return None


Ask = Callable[[Mapping[str, Any], Callable[[Any, Any], None]], None]


def install_forwarding(server: Any, ask: Ask) -> None:
    """Give a worker's tls.Server the primary's session cache (see the module's docstring).

    ``ask(message, reply)`` sends an internal message to the primary and calls
    ``reply(answer, handle)`` with its answer.
    """
    def timeout() -> Any:
        return getattr(server, "sessionTimeout", None)

    def new_session(session_id: bytes, data: bytes, done: Callable[..., Any]) -> None:
        if session_protocol_version(bytes(data)) == 0x0304:
            done()
            return
        ask({"act": "newSession", "id": bytes(session_id).hex(), "data": bytes(data).hex(),
             "timeout": timeout()}, lambda answer, handle: done())

    def resume_session(session_id: bytes, callback: Callable[..., Any]) -> None:
        def answered(answer: Any, handle: Any) -> None:
            data = answer.get("data")
            callback(None, bytes.fromhex(data) if data else None)
        ask({"act": "resumeSession", "id": bytes(session_id).hex()}, answered)

    def step_aside(event: Any, listener: Any) -> None:
        if event in ("newSession", "resumeSession") and listener not in (new_session, resume_session):
            server.removeListener("newSession", new_session)
            server.removeListener("resumeSession", resume_session)
            server.removeListener("newListener", step_aside)

    server.on("newSession", new_session)
    server.on("resumeSession", resume_session)
    server.on("newListener", step_aside)
