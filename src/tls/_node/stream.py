"""The Node stream rules of ``net.Socket``: its readable and writable halves.

``StreamMixin`` is mixed into ``net.Socket`` (and so into ``tls.TLSSocket``)
and works over the transport hooks and the state that ``net.Socket``
initialises (``_transport``, ``_loop``, ``destroyed``, ``_touch``,
``destroy``); it is split out only to keep each file about one job.

Stream rules kept from Node 20:
  * readable: Node's Readable in flowing and paused mode ('readable',
    synchronous ``read([size])``, ``unshift``...) lives in readable.py
    (``ReadableMixin``, this class's base).  'end' comes when the peer's FIN
    has been seen and the buffer is empty (even with nobody reading, as in
    Node).  Without ``allowHalfOpen`` the socket ends its own side after 'end'.
  * writable: ``write`` returns False once ``writableLength`` (bytes queued
    before the connection is ready plus bytes the kernel has not taken yet,
    and on a TLSSocket the bytes written this tick: the hold, write_hold.py)
    reaches ``writableHighWaterMark`` (16 KiB); 'drain' follows when it is
    back to 0.  Writes made before the connection (or, for TLS, before the
    handshake) are queued and flushed in order by ``_set_ready``; ``cork()``
    holds writes in the same queue, ``uncork()`` sends them as one write.  A write
    callback runs once its bytes are handed to the kernel.  ``end`` ->
    'finish' once everything, FIN included, is handed to the kernel.
  * 'close' (hadError) comes last, once, after 'end' and 'finish' or after
    'error'.  ``destroy(err)`` emits 'error' then 'close' (True) on later
    loop iterations; pending write/end callbacks get the error first.
  * callbacks (write, end, Server.close) follow Node's error-first shape: a
    callback that accepts an argument gets the error or None, one that takes
    no argument is called without (``lambda: ...`` works as in JavaScript).
"""
from __future__ import annotations

from collections import deque
from typing import TYPE_CHECKING, Any, Callable, Deque, Dict, List, Optional, Tuple, TypeVar

from .._base.encoding import to_bytes
from .._base.nodeargs import _call_cb
from .._base.errors import NodeError
from .readable import _dispatch
from .socket_protocol import _soon_caller
from .write_hold import WriteHoldMixin

if TYPE_CHECKING:
    import asyncio

    from .._base.encoding import TextDecoder

__all__ = ["StreamMixin"]

_S = TypeVar("_S", bound="StreamMixin")
_D = TypeVar("_D")


def _destroyed_error(what: str) -> NodeError:
    return NodeError("Cannot call %s after a stream was destroyed" % what, "ERR_STREAM_DESTROYED")


class StreamMixin(WriteHoldMixin):
    """Readable + writable halves of a Node duplex stream (see the module docstring)."""

    if TYPE_CHECKING:
        # the state and hooks net.Socket provides (declared there, with its defaults)
        _loop: asyncio.AbstractEventLoop
        _transport: Any
        allowHalfOpen: bool
        connecting: bool
        destroyed: bool
        _bytes_read: int
        writableHighWaterMark: int
        readableHighWaterMark: int
        _bytes_written: int
        _bytes_dispatched: int
        _was_connected: bool
        _ready: bool
        _queue: Optional[Deque[Tuple[bytes, Optional[Callable[..., Any]]]]]
        _queued_bytes: int
        _write_paused: bool
        _drain_cbs: Optional[List[Callable[..., Any]]]
        _end_cbs: Optional[List[Callable[..., Any]]]
        _need_drain: bool
        _ending: bool
        _write_shut: bool
        _finished: bool
        _flowing: Optional[bool]
        _rbuf: Optional[Deque[bytes]]
        _rbuf_size: int
        _reading_paused: bool
        _eof: bool
        _ended_emitted: bool
        _decoder: Optional[TextDecoder]
        _timeout_ms: Optional[float]
        _close_emitted: bool
        _close_before_connect: Optional[Callable[..., Any]]

        def _touch(self) -> None: ...
        def destroy(self: _S, error: Optional[BaseException] = None) -> _S: ...
        def _on_close_before_connection(self, *_: Any) -> None: ...
        def _flush_on_connect(self, *_: Any) -> None: ...

    # (destination, ondata, ondrain, onend) of each pipe(), for unpipe()
    _pipes: Optional[List[Tuple[Any, Callable[..., Any], Callable[..., Any], Callable[..., Any]]]] = None

    def pipe(self, destination: _D, options: Optional[Dict[str, Any]] = None) -> _D:
        """Node's readable.pipe: write every chunk, respect 'drain', end at 'end'."""
        dest: Any = destination  # any writable with write / on / end (emit optional)
        end = True if options is None else options.get("end", True)

        def ondata(chunk: Any) -> None:
            if dest.write(chunk) is False:
                self.pause()

        def ondrain(*_: Any) -> None:
            if self._flowing is False:
                self.resume()

        def onend(*_: Any) -> None:
            dest.end()

        dest.on("drain", ondrain)
        self.on("data", ondata)
        if end:
            self.once("end", onend)
        if self._pipes is None:
            self._pipes = []
        self._pipes.append((dest, ondata, ondrain, onend))
        if hasattr(dest, "emit"):
            dest.emit("pipe", self)
        if not self._flowing:
            self.resume()
        return destination

    def unpipe(self: _S, destination: Any = None) -> _S:
        """Node's readable.unpipe: undo pipe() to ``destination`` (all when None);
        'unpipe' on each; the flow stops when nothing reads any more."""
        keep = []
        for entry in self._pipes or ():
            dest, ondata, ondrain, onend = entry
            if destination is None or dest is destination:
                self.removeListener("data", ondata)
                self.removeListener("end", onend)
                dest.removeListener("drain", ondrain)
                if hasattr(dest, "emit"):
                    dest.emit("unpipe", self)
            else:
                keep.append(entry)
        self._pipes = keep or None
        if not keep and not self.listenerCount("data"):
            self._flowing = False
        return self

    # -- writable side ---------------------------------------------------
    # (the hold and the release pass: write_hold.py; write() has their first steps inlined)

    @property
    def writableLength(self) -> int:
        """Bytes written and not yet handed to the kernel: queued (before the connection, or
        corked), in the transport's buffer, and (TLS) just flushed from the queue."""
        size = self._queued_bytes + self._held_bytes
        transport = self._transport
        if transport is not None and (self._ready or self._ready_when_uncorked) and not transport.is_closing():
            size += transport.get_write_buffer_size()
        return size

    @property
    def writableNeedDrain(self) -> bool:
        # Node: false once ending or destroyed, whatever write() last returned
        return self._need_drain and not self._ending and not self.destroyed

    @property
    def bytesRead(self) -> int:
        """What the stream received (a TLSSocket: plaintext, as Node's, see tlssocket.py)."""
        return self._bytes_read

    @property
    def bytesWritten(self) -> int:
        return self._bytes_written

    @property
    def writable(self) -> bool:
        return not (self.destroyed or self._ending)

    @property
    def writableEnded(self) -> bool:
        return self._ending

    @property
    def writableFinished(self) -> bool:
        return self._finished

    @property
    def closed(self) -> bool:
        return self._close_emitted

    def destroySoon(self) -> None:
        """Node's destroySoon: end the writable side, destroy once it finished."""
        if self.writable:
            self.end()
        if self._finished:
            self.destroy()
        else:
            self.once("finish", lambda *a: self.destroy())

    def write(self, data: Any, encoding: Any = None, cb: Optional[Callable[..., Any]] = None) -> bool:
        """Queue ``data``; False once ``writableLength`` reaches the high-water mark."""
        if encoding is not None and callable(encoding):
            cb, encoding = encoding, None
        if self._ending or self.destroyed:
            if self.destroyed:
                err = _destroyed_error("write")
            elif self._ended_emitted and not self.allowHalfOpen:
                err = NodeError("This socket has been ended by the other party", "EPIPE")
            else:
                err = NodeError("write after end", "ERR_STREAM_WRITE_AFTER_END")
            if cb is not None:
                self._loop.call_soon(_call_cb, cb, err)
            if not self.destroyed:
                self.destroy(err)
            return False
        chunk = data if type(data) is bytes else to_bytes(data, encoding)
        size = len(chunk)
        self._bytes_written += size
        if self._timeout_ms:
            self._touch()
        if not self._ready:
            if self._queue is None:
                self._queue = deque()
                if self.connecting and not self._was_connected:
                    # Node: the first write waits with a 'connect' listener
                    # that flushes the queue and a 'close' listener that fails
                    # it (and, through it, the rest); their place among the
                    # user's listeners decides the order of events.
                    self._close_before_connect = self._on_close_before_connection
                    self.once("close", self._close_before_connect)
                    self.once("connect", self._flush_on_connect)
            self._queue.append((chunk, cb))
            self._queued_bytes += size
            self._on_queued_write()
        elif self._hold_flushed_length:
            # TLS: Node's write completes on a later tick (see _hold), so the bytes count in
            # writableLength until then; held first, so their callbacks see them released.
            held = self._held_bytes
            if not held:   # _hold, inlined: the first write of the tick
                dispatch = _dispatch
                owner = dispatch.owner
                if owner is not None and cb is None:
                    # in a 'data' listener: held until the dispatch returns (readable._push)
                    if owner is not self:
                        others = dispatch.others
                        if others is None:
                            dispatch.others = [self]
                        else:
                            others.append(self)
                    self._held_scoped = size
                else:
                    self._held_first = size
                    releases = dispatch.releases
                    if releases is not None:   # in a release pass: released by it (_release_first)
                        releases.append(self)
                    else:
                        soon = self._release_soon
                        if soon is None:
                            soon = self._release_soon = _soon_caller(self._loop, self._release_first)
                        soon()
            elif self._held_scoped and cb is None:
                self._held_scoped += size
            else:
                if self._held_scoped:   # a callback: it must run after the release
                    self._hold_past_dispatch()
                self._hold_behind(size)
            self._held_bytes = held = held + size
            self._write_chunk(chunk, cb)
            if held < self.writableHighWaterMark and not self._write_paused and not self._queued_bytes:
                return True
        else:
            self._write_chunk(chunk, cb)
            if not self._write_paused and not self._queued_bytes:
                # the transport holds less than its high-water mark (it would
                # have paused us), nothing is queued: the per-write fast path
                return True
        # writableLength, inlined (and the transport asked about closing only
        # when it holds bytes)
        size = self._queued_bytes + self._held_bytes
        transport = self._transport
        if transport is not None and self._ready:
            pending = transport.get_write_buffer_size()
            if pending and not transport.is_closing():
                size += pending
        if size >= self.writableHighWaterMark:
            self._need_drain = True
            if self._held_scoped:
                self._hold_past_dispatch()
            return False
        return True

    # cork(): writes are held in the queue that holds writes made before the
    # connection is ready (so the per-write path gains no test): a corked
    # socket is simply not ready, and uncork() makes it ready again, flushing
    # the held chunks as one write (Node's writev: one TCP send, one TLS record).
    _corked = 0
    _ready_when_uncorked = False

    def cork(self) -> None:
        """Hold writes until as many ``uncork()`` calls (or ``end()``) as ``cork()`` calls."""
        self._corked += 1
        if self._ready:
            self._ready = False
            self._ready_when_uncorked = True

    def uncork(self) -> None:
        """Undo one ``cork()``; the last one sends what was held, in one write."""
        if not self._corked:
            return
        self._corked -= 1
        if not self._corked and self._ready_when_uncorked and not self.destroyed:
            self._ready_when_uncorked = False
            self._set_ready(coalesce=True)

    @property
    def writableCorked(self) -> int:
        return self._corked

    @property
    def bufferSize(self) -> Optional[int]:
        """Node's (deprecated) ``socket.bufferSize``: ``writableLength`` while the socket has a handle
        (connecting or connected), None (undefined) before ``connect()`` and once destroyed."""
        if self.destroyed or (self._transport is None and not self.connecting):
            return None
        return self.writableLength

    def _on_queued_write(self) -> None:
        """Hook: a write was queued before the connection (or TLS session) was ready."""

    def _write_chunk(self, chunk: bytes, cb: Optional[Callable[..., Any]]) -> None:
        """Hook: hand one chunk to the transport (TLSSocket encrypts first)."""
        self._transport_write(chunk)
        self._after_write(cb)

    def _transport_write(self, data: bytes) -> None:
        transport = self._transport
        if transport is not None and not transport.is_closing():
            transport.write(data)

    def _after_write(self, cb: Optional[Callable[..., Any]]) -> None:
        """Call ``cb`` once the transport has taken the data off our hands."""
        if cb is None:
            return
        if self._write_paused:
            if self._drain_cbs is None:
                self._drain_cbs = []
            self._drain_cbs.append(cb)
        else:
            self._loop.call_soon(self._run_write_cb, cb)

    def _run_write_cb(self, cb: Callable[..., Any]) -> None:
        _call_cb(cb, None)

    def _set_ready(self, coalesce: bool = False) -> None:
        """The connection (or TLS session) can carry data: flush queued writes (as one
        write when ``coalesce``: what cork() held), unless corked."""
        if self._corked:
            self._ready_when_uncorked = True
            return
        self._ready = True
        listener = self._close_before_connect
        if listener is not None:
            self._close_before_connect = None
            self.removeListener("close", listener)
            self.removeListener("connect", self._flush_on_connect)
        queue, self._queue = self._queue, None
        if self._hold_flushed_length and self._queued_bytes:
            # the flushed queue is held until the next tick, as one write (see _hold_flushed_length)
            self._hold(self._queued_bytes)
        self._queued_bytes = 0
        if coalesce and queue and len(queue) > 1:
            chunks = [chunk for chunk, _ in queue]
            held_cbs = [callback for _, callback in queue if callback is not None]
            queue = None
            self._write_chunk(b"".join(chunks), None)
            for callback in held_cbs:
                if self.destroyed:
                    break
                self._after_write(callback)
        while queue:
            if self.destroyed:
                self._queue = queue
                return
            chunk, cb = queue.popleft()
            self._write_chunk(chunk, cb)
        if self.destroyed:
            return
        if self._ending and not self._write_shut:
            self._do_shutdown()
        elif self._need_drain and not self._write_paused:
            self._on_write_drained()

    def _on_write_drained(self) -> None:
        """The transport's buffer is empty (asyncio ``resume_writing``)."""
        self._write_paused = False
        # (an end() in a 'drain' listener below schedules its own 'finish', after its writes)
        shut = self._write_shut
        cbs, self._drain_cbs = self._drain_cbs, None
        # Node's afterWrite: 'drain' (not once ending) first, then the
        # callbacks of what was written.
        if self._need_drain and not self._ending and not self.destroyed:
            size = self._queued_bytes + self._held_bytes   # writableLength, inlined (once per 'drain')
            transport = self._transport
            if transport is not None and (self._ready or self._ready_when_uncorked):
                pending = transport.get_write_buffer_size()
                if pending and not transport.is_closing():
                    size += pending
            if size < self.writableHighWaterMark:
                self._need_drain = False
                self.emit("drain")
        for cb in cbs or ():
            _call_cb(cb, None)
        if shut and not self._finished and not self.destroyed:
            self._emit_finish()

    def end(self: _S, data: Any = None, encoding: Any = None, cb: Optional[Callable[..., Any]] = None) -> _S:
        """Write ``data`` (if any), then send FIN; 'finish' once it is all handed to the kernel."""
        if callable(data):
            cb, data = data, None
        elif callable(encoding):
            cb, encoding = encoding, None
        if data is not None and not self._ending:
            self.write(data, encoding)
        if self._corked:
            # Node: end() uncorks entirely
            self._corked = 1
            self.uncork()
        if cb is not None:
            if self.destroyed:
                self._loop.call_soon(_call_cb, cb, _destroyed_error("end"))
            elif self._finished:
                self._loop.call_soon(_call_cb, cb, None)
            else:
                if self._end_cbs is None:
                    self._end_cbs = []
                self._end_cbs.append(cb)
        if self._ending or self.destroyed:
            return self
        self._ending = True
        if self._ready:
            self._do_shutdown()
        return self

    def _do_shutdown(self) -> None:
        if self._write_shut:
            return
        self._write_shut = True
        self._shutdown_write()
        transport = self._transport
        if transport is not None and not self._write_paused and not transport.is_closing() \
                and transport.get_write_buffer_size() > 0:
            # Be told when the kernel has taken the rest: pause at any size.
            transport.set_write_buffer_limits(high=0, low=0)
        if not self._write_paused:
            self._loop.call_soon(self._emit_finish)

    def _shutdown_write(self) -> None:
        """Hook: send FIN (TLSSocket sends close_notify first)."""
        transport = self._transport
        if transport is not None and not transport.is_closing() and transport.can_write_eof():
            try:
                transport.write_eof()
            except OSError:
                pass

    def _emit_finish(self) -> None:
        if self._finished or self.destroyed:
            return
        self._finished = True
        cbs, self._end_cbs = self._end_cbs, None
        for cb in cbs or ():
            _call_cb(cb, None)
        if self.destroyed:
            return
        self.emit("finish")
        self._maybe_close()

    def _maybe_close(self) -> None:
        # Not while 'end' is queued (_end_pending: _ended_emitted is set when it is queued): both
        # sides ending at once -- our writable side finishing, or the transport closing, in the
        # iteration between the peer's EOF and its 'end' -- would otherwise destroy first and lose
        # the 'end' Node emits (onReadableStreamEnd destroys after it); _emit_end comes back here.
        if self._finished and not self._end_pending and (self._ended_emitted or self._transport is None) \
                and not self.destroyed:
            self.destroy()
