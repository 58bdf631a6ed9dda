"""The awaitable face of the Node objects: no second implementation, only waiting.

Everything here waits for the events the Node objects already emit; nothing
reads, writes or decides on its own.

* ``net.Server`` / ``tls.Server`` (:class:`AsyncServerMixin`): a server is
  awaitable.  ``listen()`` returns the server as in Node, so
  ``await server.listen(0)`` resolves (to the server) once it is listening
  and raises the listen error ('error', e.g. EADDRINUSE); after ``close()``,
  ``await server`` resolves once the server has closed (Node's 'close': every
  connection gone).  ``await server.closeAsync()`` is ``close(cb)`` as a
  coroutine (raises ERR_SERVER_NOT_RUNNING like Node's callback gets it).
  Awaiting a server with nothing pending (never listened) returns at once.
  ``async with server:`` closes it on exit and waits for 'close'.
* ``net.Socket`` / ``tls.TLSSocket`` (:class:`AsyncSocketMixin`):
  ``await sock.readAsync()`` is the next chunk (``bytes``, ``str`` after
  ``setEncoding``), ``b''`` / ``''`` at the end; ``async for chunk in sock``;
  ``await sock.drain()`` waits for 'drain' when ``write()`` returned False;
  ``await sock.endAsync(data)`` is ``end(data, cb)``; ``async with sock:``
  closes it on exit (:func:`shutdown`: ``end()``, then 'close' once the peer
  ended too; destroyed at once when the block raised).
* ``await sock``: a socket is awaitable too, so ``sock = await tls.connect(...)``
  (``await net.connect(...)``) resolves to the socket once its connection is
  established -- 'secureConnect' for a TLS client, 'secure' for a TLS server
  socket, 'connect' for a net.Socket -- and raises the coded error of 'error'
  (a failed verification, ECONNREFUSED...; the socket is then destroyed).
  ``connect`` still returns the socket itself, as in Node: ``__await__`` is a
  method of the socket, so no coroutine exists until someone awaits, and a
  socket nobody awaits neither warns ("coroutine ... was never awaited") nor
  keeps anything alive.  Awaiting a socket that is established already returns
  it at once (even after it closed); one destroyed before it was established
  raises the error it was destroyed with (ERR_SOCKET_CLOSED_BEFORE_CONNECTION
  when there was none).
* ``tls.connectAsync(...)`` / ``tls.net.connectAsync(...)``: the same, as a
  coroutine function (``await tls.connectAsync(...)`` is ``await tls.connect(...)``).

Reading.  (``read([size])`` is Node's synchronous paused-mode read, see
readable.py; the awaitable one is ``readAsync``.)  The first ``readAsync()``
attaches a reader (:class:`_Reader`) that listens to 'data' like any other
listener, so 'data' listeners keep seeing every chunk and ``readAsync()``
returns each chunk exactly once.  The reader keeps at most
``readableHighWaterMark`` bytes: beyond that it pauses the socket, whose own
buffer then fills and stops the transport (TCP backpressure); the next
``readAsync()`` resumes it.  A ``readAsync()`` that must wait resumes a
paused socket, as Node's async iterator reads a paused stream.  Once a reader
is attached, the socket's 'error' is raised by ``readAsync()`` (the next one,
and every one after) instead of being an uncaught 'error'; a socket destroyed
before its end raises ERR_STREAM_PREMATURE_CLOSE, as Node's async iterator.
"""
from __future__ import annotations

import asyncio
from collections import deque
from typing import TYPE_CHECKING, Any, Callable, Deque, Generator, Hashable, Optional, Sequence, Tuple, TypeVar

from .._base.errors import NodeError


_A = TypeVar("_A", bound="AsyncSocketMixin")
_AS = TypeVar("_AS", bound="AsyncServerMixin")

__all__ = ["AsyncSocketMixin", "AsyncServerMixin", "shutdown", "established"]


def _as_exception(value: Any) -> BaseException:
    if isinstance(value, BaseException):
        return value
    return NodeError("Unhandled error. (%r)" % (value,), "ERR_UNHANDLED_ERROR", context=value)


async def _first_event(emitter: Any, names: Sequence[Hashable], poll: bool = False
                       ) -> Tuple[Optional[Hashable], Tuple[Any, ...]]:
    """Wait for the first of ``names``: (name, args).  An 'error' among them is raised.

    With ``poll``, wait only for what is already queued on the loop (one
    iteration): (None, ()) when none of ``names`` came by then.
    """
    future = asyncio.get_running_loop().create_future()
    handlers = []
    for name in names:
        def handler(*args: Any, _name: Hashable = name) -> None:
            if not future.done():
                future.set_result((_name, args))
        handlers.append((name, handler))
        emitter.on(name, handler)
    try:
        if poll:
            await asyncio.sleep(0)
            if not future.done():
                return None, ()
        fired, args = await future
    finally:
        for name, handler in handlers:
            emitter.removeListener(name, handler)
    if fired == "error":
        raise _as_exception(args[0] if args else None)
    return fired, args


def _callback_future() -> "Tuple[asyncio.Future[None], Any]":
    """A future and the Node error-first callback that settles it."""
    future = asyncio.get_running_loop().create_future()

    def callback(err: Any = None) -> None:
        if not future.done():
            if err is None:
                future.set_result(None)
            else:
                future.set_exception(_as_exception(err))

    return future, callback


def _premature_close() -> NodeError:
    return NodeError("Premature close", "ERR_STREAM_PREMATURE_CLOSE")


# -- sockets ------------------------------------------------------------------------------

class _Reader:
    """What ``readAsync()`` takes chunks from: a 'data' listener with a bounded queue."""

    __slots__ = ("sock", "chunks", "size", "waiter", "ended", "closed", "error", "paused")

    def __init__(self, sock: Any) -> None:
        self.sock = sock
        self.chunks: Deque[Any] = deque()
        self.size = 0
        self.waiter: Optional[asyncio.Future[None]] = None
        self.paused = False                 # we paused the socket (our queue is full)
        # what happened before the first readAsync(): 'end' emitted (or queued),
        # destroyed (its 'error' and 'close' are then still to come, or came)
        self.ended = bool(sock.readableEnded)
        self.closed = bool(sock.closed)
        self.error: Optional[BaseException] = getattr(sock, "_destroy_error", None) if sock.destroyed else None
        sock.on("data", self._on_data)
        sock.on("end", self._on_end)
        sock.on("error", self._on_error)
        sock.on("close", self._on_close)

    def _wake(self) -> None:
        waiter = self.waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    def _on_data(self, chunk: Any) -> None:
        self.chunks.append(chunk)
        self.size += len(chunk)
        if self.waiter is not None:
            self._wake()
        sock = self.sock
        if self.size >= sock.readableHighWaterMark and not self.paused:
            self.paused = True
            sock.pause()

    def _on_end(self, *_: Any) -> None:
        self.ended = True
        self._wake()

    def _on_error(self, err: Any) -> None:
        if self.error is None:
            self.error = _as_exception(err)
        self._wake()

    def _on_close(self, *_: Any) -> None:
        self.closed = True
        self._wake()

    def take(self, n: int) -> Any:
        chunk = self.chunks.popleft()
        if 0 <= n < len(chunk):
            self.chunks.appendleft(chunk[n:])
            chunk = chunk[:n]
        self.size -= len(chunk)
        if self.paused and self.size < self.sock.readableHighWaterMark:
            self.paused = False
            if not self.sock.destroyed:
                self.sock.resume()
        return chunk

    def detach(self) -> None:
        """Stop taking 'data' (the socket is being closed; what comes is dropped)."""
        self.sock.removeListener("data", self._on_data)

    async def wait(self) -> None:
        sock = self.sock
        if sock.isPaused() and not sock.destroyed:
            self.paused = False
            sock.resume()   # readAsync() reads a paused socket, as Node's async iterator does
        waiter = self.waiter = sock._loop.create_future()
        try:
            await waiter
        finally:
            self.waiter = None


class AsyncSocketMixin:
    """``readAsync``, ``async for``, ``drain``, ``endAsync`` and ``async with`` for net.Socket / TLSSocket."""

    _aio_reader: Optional[_Reader] = None

    if TYPE_CHECKING:
        # what net.Socket provides
        destroyed: bool

        @property
        def writableNeedDrain(self) -> bool: ...
        @property
        def writableFinished(self) -> bool: ...
        @property
        def closed(self) -> bool: ...
        def end(self, data: Any = None, encoding: Any = None, cb: Optional[Callable[..., Any]] = None) -> Any: ...
        def destroy(self, error: Optional[BaseException] = None) -> Any: ...

    # -- await sock: the connection established --------------------------------------------
    # A socket's own answer to "which event establishes me, and has it come?"; TLSSocket
    # overrides both (its 'secureConnect' / 'secure').
    _established_event = "connect"

    def _is_established(self) -> bool:
        # connected by connect() ('connect' came), or accepted by a server (connected from the
        # start: Node emits no 'connect' for it), or handed a live transport otherwise
        return bool(getattr(self, "_tcp_ready", False) or getattr(self, "_server", None) is not None
                    or (getattr(self, "_transport", None) is not None and not getattr(self, "connecting", False)))

    def __await__(self: _A) -> Generator[Any, None, _A]:
        return _await_established(self).__await__()

    async def readAsync(self, n: int = -1) -> Any:
        """The next chunk the socket receives (at most ``n`` bytes when ``n >= 0``).

        ``bytes`` (``str`` after ``setEncoding``); ``b''`` (``''``) once the
        peer has ended and everything was read.  Raises the socket's error, or
        ERR_STREAM_PREMATURE_CLOSE when it was destroyed before its end.
        """
        reader = self._aio_reader
        if reader is None:
            reader = self._aio_reader = _Reader(self)
        while True:
            if reader.error is not None:
                raise reader.error
            if reader.chunks:
                if n == 0:
                    break
                return reader.take(n)
            if reader.ended or n == 0:
                break
            if reader.closed:
                raise _premature_close()
            await reader.wait()
        return "" if getattr(self, "_decoder", None) is not None else b""

    def __aiter__(self: _A) -> _A:
        return self

    async def __anext__(self) -> Any:
        chunk = await self.readAsync()
        if not chunk:
            raise StopAsyncIteration
        return chunk

    async def drain(self) -> None:
        """Wait until the write buffer is below ``writableHighWaterMark`` again.

        Returns at once unless the last ``write()`` returned False; then at
        'drain' (or 'finish').  Raises the socket's error, or
        ERR_STREAM_DESTROYED when it closed first.
        """
        if self.destroyed:
            raise getattr(self, "_destroy_error", None) or \
                NodeError("Cannot call write after a stream was destroyed", "ERR_STREAM_DESTROYED")
        if not self.writableNeedDrain:
            return
        name, _ = await _first_event(self, ("drain", "finish", "error", "close"))
        if name == "close":
            raise NodeError("Cannot call write after a stream was destroyed", "ERR_STREAM_DESTROYED")

    async def endAsync(self, data: Any = None, encoding: Any = None) -> None:
        """``end(data, encoding, cb)``: resolves once everything (and the FIN) is
        handed to the kernel ('finish'); raises the error the callback gets.
        Without ``data``, a socket whose side has finished already (say, ended by
        itself after the peer's end) returns at once."""
        if data is None and self.writableFinished:
            return
        future, callback = _callback_future()
        self.end(data, encoding, callback)
        await future

    async def __aenter__(self: _A) -> _A:
        return self

    async def __aexit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        """Close gracefully when the block succeeded (:func:`shutdown`), destroy
        when it raised; either way wait for 'close'."""
        if not self.destroyed:
            if exc_type is None:
                shutdown(self)
            else:
                self.destroy()
        if not self.closed:
            # an 'error' still on its way is consumed here: the socket is done
            try:
                await _first_event(self, ("close", "error"))
            except Exception:
                if not self.closed:
                    await _first_event(self, ("close",))


#: How long a graceful close waits for the peer's end before destroying the
#: socket (asyncio's ``ssl_shutdown_timeout`` default).
SHUTDOWN_TIMEOUT = 30.0


def shutdown(sock: Any, timeout: float = SHUTDOWN_TIMEOUT) -> None:
    """Close ``sock`` gracefully: ``end()`` (close_notify and FIN after what is
    written), keep reading, dropping the data, until the peer ends too (the
    socket then closes, as Node's do), and destroy it if that takes longer than
    ``timeout`` seconds (as asyncio's TLS transports do)."""
    if sock.destroyed:
        return
    sock.end()
    reader = sock._aio_reader
    if reader is not None:
        reader.detach()
    sock.resume()
    timer = sock._loop.call_later(timeout, _destroy_if_open, sock)
    sock.once("close", lambda *_: timer.cancel())


def _destroy_if_open(sock: Any) -> None:
    if not sock.destroyed:
        sock.destroy()


# -- servers ------------------------------------------------------------------------------

class AsyncServerMixin:
    """``await server`` (after ``listen`` / ``close``), ``closeAsync`` and ``async with`` for servers."""

    if TYPE_CHECKING:
        # what net.Server provides
        listening: bool
        _closing: bool
        _sock: Any
        _connections: Any

        def close(self, callback: Optional[Callable[..., Any]] = None) -> Any: ...

    def __await__(self: _AS) -> Generator[Any, None, _AS]:
        return self._settled().__await__()

    async def _settled(self: _AS) -> _AS:
        if self.listening or (self._closing and self._sock is None and not self._connections):
            # listen() succeeded, or close() left nothing open: 'listening' /
            # 'close' is emitted or queued; let what is queued run first.
            await asyncio.sleep(0)
        elif self._closing or self._connections:
            # close() waiting for its connections
            await _first_event(self, ("close", "listening", "error"))
        else:
            # a failed listen() ('error' is queued), a close() of a server that
            # never listened ('close' is queued), or nothing to wait for
            await _first_event(self, ("listening", "close", "error"), poll=True)
        return self

    async def closeAsync(self) -> None:
        """``close(cb)``: resolves at 'close' (every connection gone); raises
        ERR_SERVER_NOT_RUNNING when the server was not listening, as Node's
        callback gets it."""
        future, callback = _callback_future()
        self.close(callback)
        await future

    async def __aenter__(self: _AS) -> _AS:
        return self

    async def __aexit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        """Close if listening, then wait for 'close' (open connections included)."""
        if self.listening:
            await self.closeAsync()
        elif self._connections:
            await _first_event(self, ("close",))


# -- connect ------------------------------------------------------------------------------

async def _await_established(sock: _A) -> _A:
    """``await sock``: the socket once established (at once if it is already)."""
    if sock._is_established():
        return sock
    if sock.destroyed and sock.closed:
        # destroyed before it got there, and its 'error' / 'close' came already: waiting
        # for them would wait forever (while they are still queued, established() takes them)
        raise getattr(sock, "_destroy_error", None) or _closed_before_connection()
    return await established(sock, sock._established_event)


def _closed_before_connection() -> NodeError:
    return NodeError("Socket closed before the connection was established", "ERR_SOCKET_CLOSED_BEFORE_CONNECTION")


async def established(sock: _A, event: str) -> _A:
    try:
        name, _ = await _first_event(sock, (event, "error", "close"))
    except BaseException:
        sock.destroy()
        raise
    if name == "close":
        raise _closed_before_connection()
    return sock
