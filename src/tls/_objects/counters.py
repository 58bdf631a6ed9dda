"""What an operator counts on a TLS server: handshakes (full / resumed), client errors by code, connections, bytes.

``server.getCounters()`` returns them as a plain dict (JSON-ready), the shape
:func:`sum_counters` adds up -- the cluster primary sums its workers' dicts
that way.  Counting happens where the server socket already reports to its
server (tlssocket.py's 'secure', 'tlsClientError' and 'close' paths): a few
integer additions per connection, no listener of its own (user code sees the
same listeners and listener counts as in Node).

Bytes are what crossed the network, TLS records included (the connection's
``bytes_received`` / ``bytes_sent``; a TLSSocket's ``bytesWritten`` counts
plaintext, as Node's does): those of closed connections are added when they
close, those of open ones are read when the counters are asked for.
"""
from __future__ import annotations

from typing import Any, Dict, Iterable, Set

__all__ = ["ServerCounters", "sum_counters"]


class ServerCounters:
    """The running totals of one tls.Server."""

    __slots__ = ("full", "resumed", "client_errors", "closed_bytes_read", "closed_bytes_written", "live")

    def __init__(self) -> None:
        self.full = 0
        self.resumed = 0
        self.client_errors: Dict[str, int] = {}
        self.closed_bytes_read = 0
        self.closed_bytes_written = 0
        # the server's TLS sockets until their 'close' (Node emits a server's 'close' before its last
        # socket's, so the net server's own connection list lets go of a socket too early for the bytes)
        self.live: Set[Any] = set()

    def opened(self, socket: Any) -> None:
        self.live.add(socket)

    def handshake(self, resumed: bool) -> None:
        if resumed:
            self.resumed += 1
        else:
            self.full += 1

    def client_error(self, err: BaseException) -> None:
        code = getattr(err, "code", None) or type(err).__name__
        self.client_errors[code] = self.client_errors.get(code, 0) + 1

    def closed(self, socket: Any) -> None:
        self.live.discard(socket)
        self.closed_bytes_read += socket._conn.bytes_received
        self.closed_bytes_written += socket._conn.bytes_sent

    def snapshot(self) -> Dict[str, Any]:
        connections = 0
        bytes_read = self.closed_bytes_read
        bytes_written = self.closed_bytes_written
        for socket in self.live:
            if not socket.destroyed:
                connections += 1
            bytes_read += socket._conn.bytes_received
            bytes_written += socket._conn.bytes_sent
        return {
            "handshakes": {"full": self.full, "resumed": self.resumed},
            "tlsClientErrors": dict(self.client_errors),
            "connections": connections,
            "bytesRead": bytes_read,
            "bytesWritten": bytes_written,
        }


def sum_counters(counters: Iterable[Dict[str, Any]]) -> Dict[str, Any]:
    """Several servers' ``getCounters()`` dicts added up (numbers add, nested dicts add key by key)."""
    total: Dict[str, Any] = {"handshakes": {"full": 0, "resumed": 0}, "tlsClientErrors": {}, "connections": 0,
                             "bytesRead": 0, "bytesWritten": 0}
    for one in counters:
        _add_into(total, one)
    return total


def _add_into(total: Dict[str, Any], one: Dict[str, Any]) -> None:
    for key, value in one.items():
        if isinstance(value, dict):
            _add_into(total.setdefault(key, {}), value)
        elif isinstance(value, (int, float)) and not isinstance(value, bool):
            total[key] = total.get(key, 0) + value
