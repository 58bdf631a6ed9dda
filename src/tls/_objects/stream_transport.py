"""The asyncio-transport surface a TLSSocket's net.Socket uses, over any Node-style duplex stream.

``new TLSSocket(stream)`` with a stream that is not a net.Socket (Node's
JSStreamSocket): the ciphertext is written to the stream, the stream's 'data'
and 'end' are the transport's input (wired by TLSSocket._wrap_stream), and its
back-pressure ('drain') pauses the socket's writes.
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

    def write(self, data: bytes) -> None:
        if self._stream.write(data) is False:
            self._owner._write_paused = True
            self._stream.once("drain", lambda *a: self._owner._on_write_drained())

    def is_closing(self) -> bool:
        return self._closing

    def get_write_buffer_size(self) -> int:
        return int(getattr(self._stream, "writableLength", 0) or 0)

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
