"""The asyncio-transport surface a TLSSocket's net.Socket uses, over any Node-style duplex stream.

``new TLSSocket(stream)`` with a stream that is not a net.Socket (Node's
JSStreamSocket): the ciphertext is written to the stream, the stream's 'data'
and 'end' are the transport's input (wired by TLSSocket._wrap_stream).

A write completes when the stream calls its write callback, as JSStreamSocket's
doWrite finishes the TLS write from the stream's callback: until then the
socket's writes are held (its ``_write_paused``, so their callbacks wait, and
'drain' follows).  Over a duplex pair that is when the other side has read the
records (Node's test-tls-generic-stream.js: in the write's callback the peer's
``read()`` already gives the data).  What the stream buffers is the stream's:
like Node's ``writableLength``, the socket's counts only its own plaintext.
"""
from __future__ import annotations

from typing import Any, Protocol

__all__ = ["StreamTransport"]


class _Owner(Protocol):
    """What the transport asks of the TLSSocket it serves (tlssocket.py implements it)."""

    _write_paused: bool

    def _on_write_drained(self) -> None: ...


class StreamTransport:
    """The asyncio-transport surface net.Socket uses, over a Node-style stream."""

    def __init__(self, owner: _Owner, stream: Any) -> None:
        self._owner = owner
        self._stream = stream
        self._closing = False
        self._pending = 0          # writes the stream has not called back yet
        self._writing = False      # inside stream.write(): a callback from there is synchronous

    def write(self, data: bytes) -> None:
        self._pending += 1
        self._owner._write_paused = True
        self._writing = True
        try:
            self._stream.write(data, self._written)
        finally:
            self._writing = False
        if not self._pending:
            # called back from inside write(): nothing is in flight
            self._owner._write_paused = False

    def _written(self, *_: Any) -> None:
        # (an error reaches the socket through the stream's 'error' / 'close')
        self._pending -= 1
        if not self._pending and not self._writing:
            self._owner._on_write_drained()

    def in_flight(self) -> bool:
        """Whether a write is still waiting for the stream's callback."""
        return self._pending > 0

    def is_closing(self) -> bool:
        return self._closing

    def get_write_buffer_size(self) -> int:
        return 0

    def can_write_eof(self) -> bool:
        return True

    def write_eof(self) -> None:
        self._stream.end()

    def pause_reading(self) -> None:
        if hasattr(self._stream, "pause"):
            self._stream.pause()

    def resume_reading(self) -> None:
        if hasattr(self._stream, "resume"):
            self._stream.resume()

    def set_write_buffer_limits(self, high: int = 0, low: int = 0) -> None:
        pass

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return default

    def close(self) -> None:
        if not self._closing:
            self._closing = True
            self._stream.end()

    def abort(self) -> None:
        if not self._closing:
            self._closing = True
            if hasattr(self._stream, "destroy"):
                self._stream.destroy()
