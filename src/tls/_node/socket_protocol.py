"""The asyncio side of a ``net.Socket``: its protocol object and the direct transport factory.

asyncio talks to a protocol; Node's Socket is a stream with its own state, so
between them stands ``_SocketProtocol``, a forwarder whose ``owner`` is the
Socket (re-pointing ``owner`` is how a TLSSocket takes over a connection).
``_transport_maker`` gives the loop's own socket-transport factory when the
loop is asyncio's selector loop, which the direct connect (socket.py) and the
server's accept (net_server.py) use to skip a task per connection.

Apart from socket.py because none of it is Node's API: it is the glue one
asyncio event loop needs, shared by the client and the server side, and it
never imports the Socket class (the owner is duck-typed).
"""
from __future__ import annotations

import asyncio
import functools
import threading
from collections import deque
from typing import Any, Callable, Dict, Optional, Protocol

__all__ = ["_SocketProtocol", "_transport_maker", "_soon_caller"]

# one read buffer per thread (see _SocketProtocol): asyncio reads at most this much at a time
_READ_SIZE = 256 * 1024

_thread_buffers = threading.local()


def _read_buffer() -> memoryview:
    view = getattr(_thread_buffers, "view", None)
    if view is None:
        view = _thread_buffers.view = memoryview(bytearray(_READ_SIZE))
    return view


class _TransportOwner(Protocol):
    """What the forwarder calls on its owner (net.Socket, socket.py: duck-typed, declared here)."""

    _bytes_read: int
    _timeout_ms: Optional[float]
    _write_paused: bool
    _loop: asyncio.AbstractEventLoop

    def _on_transport(self, transport: Any) -> None: ...
    def _touch(self) -> None: ...
    def _on_raw_eof(self) -> Any: ...
    def _on_connection_lost(self, exc: Optional[BaseException]) -> None: ...
    def _on_write_drained(self) -> None: ...

    @property
    def _on_raw_data(self) -> Callable[[Any], Any]: ...   # a method, or the TLS connection's, bound per socket


class _SocketProtocol(asyncio.BufferedProtocol):
    """Forwards transport events to ``owner``; reads land in a shared buffer.

    asyncio calls ``buffer_updated`` right after ``recv_into`` with no other
    code in between, so every connection of a thread (of its event loop) can
    share a single read buffer.
    """

    __slots__ = ("owner", "_view")

    def __init__(self, owner: _TransportOwner) -> None:
        self.owner = owner
        self._view = _read_buffer()

    def connection_made(self, transport: Any) -> None:
        self.owner._on_transport(transport)

    def get_buffer(self, sizehint: int) -> memoryview:
        return self._view

    def use_buffer(self, view: Optional[memoryview]) -> None:
        """Read into ``view`` from now on (a socket's ``onread`` buffer, onread.py); None: the shared one."""
        self._view = view if view is not None else _read_buffer()

    def buffer_updated(self, nbytes: int) -> None:
        # Socket._on_raw_read, inlined: this runs once per network read.
        owner = self.owner
        owner._bytes_read += nbytes
        if owner._timeout_ms:
            owner._touch()
        owner._on_raw_data(self._view[:nbytes])

    def eof_received(self) -> bool:
        self.owner._on_raw_eof()
        return True  # keep the transport for half-open; the Socket closes it

    def connection_lost(self, exc: Optional[BaseException]) -> None:
        self.owner._on_connection_lost(exc)

    def pause_writing(self) -> None:
        self.owner._write_paused = True

    def resume_writing(self) -> None:
        # asyncio calls this from inside its _write_ready and goes on using
        # the transport afterwards: a 'drain' listener that closed the socket
        # right here would have asyncio finish the connection twice (a crash
        # in its callback).  Node's afterWrite also runs on a later tick.
        owner = self.owner
        owner._write_paused = False
        owner._loop.call_soon(self._drained)

    def _drained(self) -> None:
        owner = self.owner
        if not owner._write_paused:  # not paused again in the meantime
            owner._on_write_drained()


_direct_loop_types: Dict[type, bool] = {}


def _transport_maker(loop: Any) -> Any:
    """The loop's private socket-transport factory when the loop is asyncio's
    own selector loop (what ``connect_accepted_socket`` and
    ``create_connection`` end up calling), else False: other loops (uvloop)
    go through the public coroutines."""
    kind = type(loop)
    ok = _direct_loop_types.get(kind)
    if ok is None:
        try:
            from asyncio import selector_events
        except ImportError:  # pragma: no cover
            ok = False
        else:
            ok = issubclass(kind, selector_events.BaseSelectorEventLoop) and \
                kind.connect_accepted_socket is selector_events.BaseSelectorEventLoop.connect_accepted_socket and \
                kind.create_connection is selector_events.BaseSelectorEventLoop.create_connection and \
                getattr(kind, "_make_socket_transport", None) is not None
        _direct_loop_types[kind] = ok
    return loop._make_socket_transport if ok else False


def _soon_caller(loop: Any, callback: Callable[[], Any]) -> Callable[[], Any]:
    """A function scheduling ``callback`` for the loop's next iteration, to be called many times.

    On asyncio's own selector loop it appends one reusable Handle to the loop's ready queue (what
    ``call_soon`` does, without a new Handle and its context copy each time: a dozen Python calls
    less); other loops get ``call_soon``.  For a callback a socket schedules once per tick on its
    data path (the release of held TLS writes, write_hold.py)."""
    ready = getattr(loop, "_ready", None)
    if _transport_maker(loop) is not False and isinstance(ready, deque):
        return functools.partial(ready.append, asyncio.Handle(callback, (), loop))
    return functools.partial(loop.call_soon, callback)
