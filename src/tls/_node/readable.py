"""The readable half of ``net.Socket`` (and so of ``tls.TLSSocket``): Node 20's Readable, both modes.

``ReadableMixin`` is the base of :class:`~tls._node.stream.StreamMixin`; it
works over the state ``net.Socket`` initialises (``_transport``, ``_loop``,
``_flowing``, ``_rbuf``...).  The reference is Node's
lib/internal/streams/readable.js; the names in the comments (``needReadable``,
``emittedReadable``, ``readableListening``, ``kPaused``, ``endReadable``...)
are the fields and functions there.

How it maps on a socket.  Node's socket reads from the kernel from the
moment it connects, whatever the mode, and stops (``readStop``) when a push
finds ``readableHighWaterMark`` bytes buffered; ``read()`` starts it again
(``_read``) when what it takes leaves less than that.  Here the transport
plays the handle: ``pause_reading`` / ``resume_reading`` at the same points,
so TCP backpressure reaches the peer in paused mode as in Node.

Three modes, as Node's ``readableFlowing``:
  * ``None``: nobody reads.  Chunks are buffered (and 'end' still comes when
    the peer ended and the buffer is empty: net's ``read(0)`` after EOF).
  * ``True`` (a 'data' listener or ``resume()``): chunks are emitted as
    'data' as they arrive.  This is the hot path: ``_push`` emits at once
    when flowing with nothing buffered, without touching the paused-mode
    state; buffered chunks (from before the flow) go out through
    ``_flush_read_buffer`` on a later loop iteration (Node's ``resume_`` /
    ``flow``).
  * ``False`` (``pause()``, or a 'readable' listener, which stops the flow
    even with 'data' listeners): chunks are buffered; with 'readable'
    listeners each new buffered chunk announces 'readable' (once per
    iteration: ``emittedReadable``), and the program pulls with the
    synchronous ``read([size])``, which returns a chunk or None (Node's null)
    and emits 'data' for what it returns.  'end' comes from a ``read()`` that
    finds the buffer empty after the peer ended.

Chunks are buffered as they will be delivered: ``bytes``, or ``str`` once
``setEncoding`` is set (decoded when buffered, so ``readableLength`` and
``read(n)`` count characters, as Node's do).  In the flowing fast path the
decoder runs at emit, as before.
"""
from __future__ import annotations

import threading
from collections import deque
from typing import TYPE_CHECKING, Any, Deque, Hashable, List, Optional, TypeVar, Union

from .._base.encoding import _decoder, _normalize_encoding, to_bytes
from .._base.errors import NodeError, NodeRangeError
from .events import known_remover

if TYPE_CHECKING:
    import asyncio

    from .._base.encoding import TextDecoder
    from .events import EventEmitter

    _ReadableBase = EventEmitter
else:
    _ReadableBase = object

__all__ = ["ReadableMixin"]

_R = TypeVar("_R", bound="ReadableMixin")

#: Node's MAX_HWM: read(n) raises the high-water mark to n's next power of two, up to 1 GiB
_MAX_HWM = 1 << 30


def _compute_new_high_water_mark(n: int) -> int:
    if n > _MAX_HWM:
        # Node writes digit groups only past 2 ** 32
        received = f"{n:_}" if n > 1 << 32 else str(n)
        raise NodeRangeError('The value of "size" is out of range. It must be <= 1GiB. Received ' + received,
                             "ERR_OUT_OF_RANGE")
    return 1 << (n - 1).bit_length()


def _size_arg(size: Any) -> Optional[int]:
    """read()'s size as Node reads it: an integer, or None (NaN: "whatever is there")."""
    if size is None or type(size) is int:
        return size
    if isinstance(size, bool):
        return int(size)
    if isinstance(size, float):
        if size != size or size in (float("inf"), float("-inf")):
            return None
        return int(size)
    try:  # parseInt(n, 10)
        return int(str(size).strip())
    except ValueError:
        return None


class _Dispatch(threading.local):
    """The 'data' dispatch under way on this thread (the hold's scope, write_hold.py).

    ``owner`` is the socket whose chunk the outermost ``_push`` is emitting (None when no 'data'
    is being dispatched), ``others`` the other sockets its listeners wrote to with a scoped hold.
    Per thread, as each thread runs its own loop: a write on one thread never joins a dispatch
    of another."""

    owner: Any = None
    others: Optional[List[Any]] = None
    # the release pass under way (write_hold.py, "The release pass"): the sockets whose first held write of
    # the tick was made during it, released by the same pass as Node's native immediates are
    releases: Optional[Deque[Any]] = None


_dispatch = _Dispatch()


class ReadableMixin(_ReadableBase):
    """Node's Readable on a socket (see the module docstring)."""

    if TYPE_CHECKING:
        _loop: asyncio.AbstractEventLoop
        _transport: Any
        allowHalfOpen: bool
        destroyed: bool
        readableHighWaterMark: int
        _bytes_dispatched: int
        _bytes_read: int
        _timeout_ms: Optional[float]
        _ending: bool
        _flowing: Optional[bool]
        _rbuf: Optional[Deque[Any]]
        _rbuf_size: int
        _reading_paused: bool
        _eof: bool
        _ended_emitted: bool
        _decoder: Optional[TextDecoder]
        _close_emitted: bool
        _held_bytes: int

        def _release_scoped(self) -> None: ...
        def destroy(self: _R, error: Optional[BaseException] = None) -> _R: ...
        def end(self: _R, data: Any = None, encoding: Any = None, cb: Any = None) -> _R: ...
        def _maybe_close(self) -> None: ...
        def _touch(self) -> None: ...

    # Paused-mode state: class-level defaults, instance attributes once used
    # (a socket that only ever flows never stores them).
    _need_readable = True        # Node's needReadable (a socket's constructor read(0) sets it)
    _emitted_readable = False    # a 'readable' is queued
    _readable_listening = False  # 'readable' listeners present
    _resume_scheduled = False
    _explicitly_paused: Optional[bool] = None   # Node's kPaused
    _end_pending = False         # 'end' queued, not emitted yet
    _encoding: Optional[str] = None
    _held_scoped = 0             # bytes written during a 'data' dispatch, held until it returns (write_hold.py)

    # -- input ---------------------------------------------------------------------------
    def _on_raw_read(self, view: memoryview) -> None:
        """Raw bytes arrived (a view of a shared buffer: copy or consume now)."""
        self._bytes_read += len(view)
        if self._timeout_ms:
            self._touch()
        self._on_raw_data(view)

    def _on_raw_data(self, data: Any) -> None:
        """Hook: bytes from the transport (TLSSocket decrypts them)."""
        self._push(bytes(data))

    def _on_raw_eof(self) -> None:
        """Hook: the transport saw the peer's FIN."""
        self._push_eof()

    def _push(self, chunk: bytes) -> None:
        """Readable side input: emit at once when flowing, else buffer."""
        if not chunk or self.destroyed:
            return
        if self._flowing and not self._rbuf:
            # _emit_data, inlined: this is the per-read path
            self._bytes_dispatched += len(chunk)
            # The hold's scope (write_hold.py, "The hold"): what the listeners write without a
            # callback stays held until they all returned, then is released here, at no cost.
            # Only the outermost dispatch releases (a 'data' emitted from a listener of another
            # one, a pair of streams, joins it).
            dispatch = _dispatch
            outer = dispatch.owner is None
            if outer:
                dispatch.owner = self
            try:
                if self._decoder is None:
                    # emit("data", chunk), inlined for the one listener a socket usually has
                    events = self._events
                    handlers = events["data"] if events is not None and "data" in events else None
                    if handlers is not None and len(handlers) == 1:
                        result = handlers[0](chunk)
                        if result is not None and result is not True and result is not False:
                            self._handle_result(result, "data", (chunk,))   # an async listener
                    elif handlers is not None:
                        self.emit("data", chunk)
                else:
                    text = self._decoder.decode(chunk)
                    if text:
                        self.emit("data", text)
            finally:
                if outer:
                    dispatch.owner = None
                    if self._held_scoped:   # _release_scoped, inlined
                        self._held_bytes -= self._held_scoped
                        self._held_scoped = 0
                    others = dispatch.others
                    if others is not None:
                        dispatch.others = None
                        for other in others:
                            other._release_scoped()
            return
        self._buffer_chunk(chunk)

    def _buffer_chunk(self, chunk: bytes) -> None:
        """Node's addChunk (not flowing, or behind buffered chunks)."""
        decoder = self._decoder
        if decoder is not None:
            self._bytes_dispatched += len(chunk)
            text = decoder.decode(chunk)
            if not text:
                return
            self._append(text, False)
        else:
            self._append(chunk, False)
        if self._rbuf_size >= self.readableHighWaterMark and not self._reading_paused:
            # Node: push() returned false, the handle stops reading
            self._reading_paused = True
            if self._transport is not None:
                self._transport.pause_reading()

    def _append(self, chunk: Union[bytes, str], front: bool) -> None:
        rbuf = self._rbuf
        if rbuf is None:
            rbuf = self._rbuf = deque()
        if front:
            rbuf.appendleft(chunk)
        else:
            rbuf.append(chunk)
        self._rbuf_size += len(chunk)
        if self._need_readable and self._readable_listening:
            # (Node queues 'readable' for nobody too; only its flow() part
            # would matter, and a flowing socket has its own flush queued)
            self._emit_readable()

    def _push_eof(self) -> None:
        """Readable side input: the peer ended (FIN or close_notify).  Node's onEofChunk + read(0)."""
        if self._eof or self.destroyed:
            return
        self._eof = True
        decoder = self._decoder
        if decoder is not None:
            tail = decoder.decode(b"", True)
            if tail:
                rbuf = self._rbuf
                if rbuf is None:
                    rbuf = self._rbuf = deque()
                rbuf.append(tail)
                self._rbuf_size += len(tail)
        if self._readable_listening:
            # onEofChunk outside a read(): 'readable' at once
            self._need_readable = False
            self._emitted_readable = True
            self._emit_readable_now()
            if self.destroyed:
                return
        elif self._flowing and self._rbuf:
            self._loop.call_soon(self._flush_read_buffer)
        self._maybe_emit_end()

    # -- 'readable' ----------------------------------------------------------------------
    def _emit_readable(self) -> None:
        """Node's emitReadable: one 'readable' per loop iteration."""
        self._need_readable = False
        if not self._emitted_readable:
            self._emitted_readable = True
            self._loop.call_soon(self._emit_readable_now)

    def _emit_readable_now(self) -> None:
        """Node's emitReadable_."""
        if not self.destroyed and (self._rbuf_size or self._eof):
            self.emit("readable")
            self._emitted_readable = False
        self._need_readable = not self._flowing and not self._eof \
            and self._rbuf_size <= self.readableHighWaterMark
        if self._flowing and self._rbuf:
            self._flush_read_buffer()

    def _on_readable_listener(self) -> None:
        """The first 'readable' listener (Node's Readable.on('readable')): paused mode."""
        if self._ended_emitted and not self._end_pending or self._readable_listening:
            return
        self._readable_listening = self._need_readable = True
        self._flowing = False
        self._emitted_readable = False
        if self._rbuf_size:
            self._emit_readable()
        elif self._eof or self._reading_paused:
            # Node's nReadingNextTick (the handle is not reading)
            self._loop.call_soon(self.read, 0)

    def _update_readable_listening(self) -> None:
        """Node's updateReadableListening: the last 'readable' listener went."""
        self._readable_listening = self.listenerCount("readable") > 0
        if self._resume_scheduled and self._explicitly_paused is False:
            self._flowing = True
        elif self.listenerCount("data") > 0:
            self.resume()
        elif not self._readable_listening:
            self._flowing = None

    _removal_hooked_events = frozenset(("readable",))   # (events.known_remover)

    @known_remover
    def removeListener(self: _R, event: Hashable, listener: Any) -> _R:
        super().removeListener(event, listener)
        if event == "readable":
            self._loop.call_soon(self._update_readable_listening)
        return self

    def removeAllListeners(self: _R, event: Optional[Hashable] = None) -> _R:
        super().removeAllListeners(event)
        if event == "readable" or event is None:
            self._loop.call_soon(self._update_readable_listening)
        return self

    # -- read([size]) --------------------------------------------------------------------
    def read(self, size: Any = None) -> Any:
        """Node's ``readable.read([size])``: take ``size`` bytes (characters after
        ``setEncoding``) from the buffer, or everything when ``size`` is None;
        None when fewer are buffered (unless the stream ended: then the rest).
        Emits 'data' for what it returns; ``read(0)`` only refills."""
        n = _size_arg(size)
        n_orig = n
        hwm = self.readableHighWaterMark
        if n is not None and n > hwm:
            self.readableHighWaterMark = hwm = _compute_new_high_water_mark(n)
        if n != 0:
            self._emitted_readable = False
        length = self._rbuf_size
        eof = self._eof
        if n == 0 and self._need_readable and ((length >= hwm if hwm else length > 0) or eof):
            if length == 0 and eof:
                self._end_readable()
            else:
                self._emit_readable()
            return None
        n = self._how_much_to_read(n)
        if n == 0 and eof:
            if length == 0:
                self._end_readable()
            return None
        # Node's doRead: below the mark after this read, the handle reads again
        if not eof and not self.destroyed and (self._need_readable or length == 0 or length - n < hwm):
            if length == 0:
                self._need_readable = True
            if self._reading_paused:
                self._reading_paused = False
                if self._transport is not None:
                    self._transport.resume_reading()
        ret = self._from_list(n) if n > 0 else None
        if ret is None:
            self._need_readable = self._rbuf_size <= hwm
            n = 0
        if self._rbuf_size == 0:
            if not eof:
                self._need_readable = True
            if n_orig != n and eof:
                self._end_readable()
        if ret is not None and not self._close_emitted:
            if type(ret) is bytes:
                self._bytes_dispatched += len(ret)
            self.emit("data", ret)
        return ret

    def _how_much_to_read(self, n: Optional[int]) -> int:
        length = self._rbuf_size
        if n is not None and n <= 0 or length == 0 and self._eof:
            return 0
        if n is None:
            rbuf = self._rbuf
            if self._flowing and length and rbuf:
                return len(rbuf[0])
            return length
        if n <= length:
            return n
        return length if self._eof else 0

    def _from_list(self, n: int) -> Any:
        """Node's fromList: ``n`` units off the front of the buffer (all of it when n >= length)."""
        rbuf = self._rbuf
        if not rbuf:
            return None
        if n >= self._rbuf_size:
            if len(rbuf) == 1:
                ret = rbuf.popleft()
            else:
                ret = ("" if type(rbuf[0]) is str else b"").join(rbuf)
                rbuf.clear()
            self._rbuf_size = 0
            return ret
        parts = []
        need = n
        while need:
            chunk = rbuf[0]
            if len(chunk) <= need:
                rbuf.popleft()
                parts.append(chunk)
                need -= len(chunk)
            else:
                parts.append(chunk[:need])
                rbuf[0] = chunk[need:]
                need = 0
        self._rbuf_size -= n
        return parts[0] if len(parts) == 1 else ("" if type(parts[0]) is str else b"").join(parts)

    # -- 'end' -----------------------------------------------------------------------------
    def _maybe_emit_end(self) -> None:
        # Node: 'end' comes once the buffer is empty, consumed or not (net's read(0) after EOF).
        if self._eof and not self._ended_emitted and not self._rbuf:
            self._end_readable()

    def _end_readable(self) -> None:
        """Node's endReadable: 'end' on the next iteration, if the buffer is still empty then."""
        if not self._ended_emitted:
            self._ended_emitted = True
            self._end_pending = True
            self._loop.call_soon(self._emit_end)

    def _emit_end(self) -> None:
        if self.destroyed:
            return
        if self._rbuf_size:
            # unshift() put data back meanwhile: a later read() ends it
            self._ended_emitted = self._end_pending = False
            self._maybe_close()   # (what _maybe_close held back while 'end' was queued)
            return
        self._end_pending = False
        self.emit("end")
        if self.destroyed:
            return
        if not self.allowHalfOpen and not self._ending:
            self.end()
        self._maybe_close()

    # -- flowing ---------------------------------------------------------------------------
    def _emit_data(self, chunk: Any) -> None:
        if type(chunk) is bytes:
            self._bytes_dispatched += len(chunk)
            if self._decoder is not None:
                chunk = self._decoder.decode(chunk)
                if not chunk:
                    return
        self.emit("data", chunk)

    def _flush_read_buffer(self) -> None:
        """Node's resume_ + flow: emit what is buffered while flowing, refill, end."""
        self._resume_scheduled = False
        rbuf = self._rbuf
        while rbuf and self._flowing and not self.destroyed:
            chunk = rbuf.popleft()
            self._rbuf_size -= len(chunk)
            self._emit_data(chunk)
        if self.destroyed:
            return
        if self._rbuf_size < self.readableHighWaterMark and self._reading_paused:
            self._reading_paused = False
            if self._transport is not None and not self._eof:
                self._transport.resume_reading()
        self._maybe_emit_end()

    def pause(self: _R) -> _R:
        """Stop 'data' events ('pause' when flowing); reading stops once the buffer is full."""
        if self._flowing is not False:
            self._flowing = False
            self.emit("pause")
        self._explicitly_paused = True
        return self

    def resume(self: _R) -> _R:
        """Flow: buffered chunks then new ones as 'data' ('resume' on the next iteration);
        with 'readable' listeners the stream stays paused (Node)."""
        if not self._flowing:
            self._flowing = not self._readable_listening
            # Nothing buffered, reading not paused, no end pending, nobody
            # listening to 'resume': the flush would do nothing (new chunks
            # are emitted directly while flowing), so the usual first
            # on('data') costs no loop callback.
            if not self._resume_scheduled and (self._rbuf or self._reading_paused or self._eof
                                               or self.listenerCount("resume")):
                self._resume_scheduled = True
                self._loop.call_soon(self._resume_now)
        self._explicitly_paused = False
        return self

    def _resume_now(self) -> None:
        self._resume_scheduled = False
        if self.destroyed:
            return
        self.emit("resume")
        self._flush_read_buffer()

    def isPaused(self) -> bool:
        return self._explicitly_paused is True or self._flowing is False

    def unshift(self, chunk: Any, encoding: Optional[str] = None) -> bool:
        """Node's ``readable.unshift``: put ``chunk`` back at the front of the buffer."""
        if chunk is None:
            self._push_eof()
            return False
        if self._ended_emitted and not self._end_pending:
            self.destroy(NodeError("stream.unshift() after end event", "ERR_STREAM_UNSHIFT_AFTER_END_EVENT"))
            return False
        if self.destroyed:
            return False
        if self._decoder is not None:
            if not isinstance(chunk, str):
                chunk = _decoder(self._encoding).decode(to_bytes(chunk), True)
            elif encoding is not None and _normalize_encoding(encoding) != self._encoding:
                chunk = _decoder(self._encoding).decode(to_bytes(chunk, encoding), True)
        else:
            chunk = to_bytes(chunk, encoding)
        if chunk:
            if self._flowing and not self._rbuf and self.listenerCount("data"):
                self._emit_data(chunk)
            else:
                self._append(chunk, True)
        return not self._eof and (self._rbuf_size < self.readableHighWaterMark or self._rbuf_size == 0)

    def setEncoding(self: _R, encoding: Optional[str] = None) -> _R:
        """Deliver ``str`` from now on; what is buffered is decoded now, as Node does."""
        enc = "utf8" if encoding is None else encoding
        decoder = _decoder(enc)
        self._decoder = decoder
        self._encoding = _normalize_encoding(enc)
        rbuf = self._rbuf
        if rbuf:
            content = "".join(c if type(c) is str else decoder.decode(c) for c in rbuf)
            rbuf.clear()
            if content:
                rbuf.append(content)
            self._rbuf_size = len(content)
        return self

    def _start_flowing(self) -> None:
        # Node's on('data'): flow unless paused explicitly (a 'readable'
        # listener keeps it paused: resume() leaves flowing False then).
        listening = self.listenerCount("readable") > 0
        if listening is not self._readable_listening:   # (a flowing-only socket stores nothing here)
            self._readable_listening = listening
        if self._flowing is not False:
            self.resume()

    _first_listener_hooks = {"data": _start_flowing, "readable": _on_readable_listener}

    # -- state -------------------------------------------------------------------------------
    @property
    def readableLength(self) -> int:
        return self._rbuf_size

    @property
    def readableFlowing(self) -> Optional[bool]:
        return self._flowing

    @readableFlowing.setter
    def readableFlowing(self, value: Optional[bool]) -> None:
        self._flowing = value

    @property
    def readableEncoding(self) -> Optional[str]:
        return self._encoding

    @property
    def readableObjectMode(self) -> bool:
        return False

    @property
    def readable(self) -> bool:
        return not (self.destroyed or self.readableEnded)

    @property
    def readableEnded(self) -> bool:
        return self._ended_emitted and not self._end_pending
