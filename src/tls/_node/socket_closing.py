"""How a ``net.Socket`` fails and closes: ``destroy``, the transport lost, 'error' / 'close', the pending callbacks.

``SocketClosingMixin`` is mixed into ``Socket`` (socket.py, which declares the state it works on);
it is apart only to keep each file about one job.  The rules are Node 20's: ``destroy(err)`` emits
'error' then 'close' (hadError) on later loop iterations, the pending write / end callbacks get the
error first, and nothing reaches user code after an uncaught exception ended the program.
"""
from __future__ import annotations

import socket as _socket
import struct
from typing import TYPE_CHECKING, Any, Optional, TypeVar

from . import runtime as _runtime
from .._base.errors import NodeError, errno_error
from .._base.nodeargs import _call_cb
from .fd_transport import FdTransport
from .loopstate import _invoke
from .stream import _destroyed_error

if TYPE_CHECKING:
    from .stream import StreamMixin

    # for the type checker the mixin is the stream it is mixed into (with Socket's state below)
    _ClosingBase = StreamMixin
else:
    _ClosingBase = object

__all__ = ["SocketClosingMixin"]

_SocketT = TypeVar("_SocketT", bound="SocketClosingMixin")


class SocketClosingMixin(_ClosingBase):
    """Errors and closing of net.Socket (see the module docstring)."""

    if TYPE_CHECKING:
        # the state and hooks net.Socket provides (declared there, with its defaults)
        connecting: bool
        _connect_task: Any
        _connect_sock: Any
        _had_error: bool
        _destroy_error: Optional[BaseException]
        _server: Any
        _detached: bool

        def _clear_timer(self) -> None: ...

    def _on_connection_lost(self, exc: Optional[BaseException]) -> None:
        """Hook: the transport is gone (error, or closed under us)."""
        self._transport = None
        if self.destroyed or _runtime.program_ended(self._loop):
            # (after an uncaught exception -- e.g. a 'data' listener that raised inside asyncio's
            # data_received, which then closes the transport -- nothing reaches user code)
            return
        if exc is not None:
            self.destroy(errno_error(exc, "read"))
            return
        # Closed without an error and without us asking: nothing more can be
        # written; close once 'end' is out.
        if not self._eof:
            self._on_raw_eof()
        if self.destroyed:
            return
        self._write_shut = True
        self._finished = True
        self._maybe_close()

    def destroy(self: _SocketT, error: Optional[BaseException] = None) -> _SocketT:
        """Close now; 'error' (if given) then 'close'(hadError) on later iterations."""
        if self.destroyed:
            return self
        self.destroyed = True
        self.connecting = False
        self._clear_timer()
        task, self._connect_task = self._connect_task, None
        if task is not None and not task.done():
            task.cancel()
        sock, self._connect_sock = self._connect_sock, None
        if sock is not None:   # a direct connect still in progress
            try:
                self._loop.remove_writer(sock.fileno())
            except (ValueError, OSError):
                pass
            sock.close()
        transport = self._transport
        lost: Any = None
        if transport is not None:
            if error is not None:
                transport.abort()
            elif type(transport) is FdTransport and self._on_destroy_queues_nothing():
                lost = transport.close(owe=True)   # its connection_lost rides in our callback (below)
            else:
                transport.close()
        if error is not None:
            self._had_error = True
            self._destroy_error = error
        self._on_destroy()
        rider = self._rider
        if rider is not None:      # the wrapped socket _on_destroy destroyed: one callback for both
            self._loop.call_soon(self._emit_destroyed_pair, rider, error, lost)
        elif not self._riding:
            self._loop.call_soon(self._emit_destroyed, error, lost)
        return self

    # The descriptor transport's connection_lost, which its close() would queue right before our
    # _emit_destroyed with nothing between them when _on_destroy queues nothing, runs first in
    # that one callback instead (as a loop callback of its own: an exception in it goes to the
    # loop's exception handler, then the next step runs).  One loop callback fewer per connection
    # (issue 14), the order unchanged.
    def _on_destroy_queues_nothing(self) -> bool:
        """Whether ``_on_destroy`` queues no loop callback (overridden where it may)."""
        return type(self)._on_destroy is SocketClosingMixin._on_destroy

    # A wrapped socket (a TLSSocket's raw net.Socket) that its wrapper's _on_destroy destroys
    # (``ride_destroy``) queues no callbacks of its own: its destroy() would queue its
    # _emit_destroyed right before the wrapper queues its own, nothing between them, so the
    # wrapper's one callback (_emit_destroyed_pair) runs both steps in that order.  Two loop
    # callbacks fewer per server connection (issue 14), the order unchanged.
    _riding = False                                    # on the wrapped socket
    _rider: Optional["SocketClosingMixin"] = None      # on the wrapper: the socket riding with it

    def ride_destroy(self, wrapped: "SocketClosingMixin") -> None:
        """From ``_on_destroy``: destroy ``wrapped`` now, its events riding in ours (see above),
        when its destroy queues nothing else (no transport, no connect in progress); else plainly."""
        if (wrapped._transport is None and wrapped._connect_task is None and wrapped._connect_sock is None
                and type(wrapped)._on_destroy is SocketClosingMixin._on_destroy and self._rider is None):
            wrapped._riding = True
            self._rider = wrapped
        wrapped.destroy()

    def _emit_destroyed_pair(self, rider: "SocketClosingMixin", error: Optional[BaseException],
                             lost: Any = None) -> None:
        if lost is not None:   # the transport's connection_lost, first (see destroy)
            self._run_reported(lost, None)
        if _runtime.program_ended(self._loop):
            return
        server = self._server
        if server is not None:
            # Node counts the connection gone in destroy() itself and emits the server's 'close' on
            # the next tick, so before the sockets' 'close' (test_server_close_sequence.py)
            server._connection_closed(self)
        if rider._destroys_quietly(None) and self._destroys_quietly(error):
            # Neither step runs user code or queues anything: the two 'close' callbacks they queue
            # would be adjacent, so one callback emits both, in the same order.
            for sock in (rider, self):
                sock._fail_pending_callbacks(None)
                if sock._server is not None:
                    sock._server._connection_closed(sock)
            self._loop.call_soon(self._emit_close_pair, rider, error is not None)
            return
        self._run_reported(rider._emit_destroyed, None)
        self._emit_destroyed(error)

    def _destroys_quietly(self, error: Optional[BaseException]) -> bool:
        """Whether _emit_destroyed(error) would run no user code and queue only its 'close'."""
        if error is not None:
            return False
        if self._close_before_connect is None and (self._queue or self._drain_cbs or self._end_cbs):
            return False
        server = self._server
        return server is None or not server._closes_after(self)

    def _emit_close_pair(self, rider: "SocketClosingMixin", had_error: bool) -> None:
        self._run_reported(rider._emit_close, False)
        self._emit_close(had_error)

    def _run_reported(self, step: Any, arg: Any) -> None:
        # What the loop does with a callback of its own: an exception goes to the loop's exception
        # handler (tls.run ends the program there, so the next step, checking program_ended, is
        # skipped, as the next callback would be), then the next step runs (loopstate._invoke).
        _invoke(self._loop, step, (arg,), "callback")

    def _on_destroy(self) -> None:
        """Hook: release per-connection state (the TLS engine)."""

    def _emit_destroyed(self, error: Optional[BaseException], lost: Any = None) -> None:
        # Node: pending callbacks and 'error' on the next tick, 'close' once
        # the handle is closed (a loop iteration later); the server counts
        # the connection gone before that (its 'close' can come first).
        if lost is not None:   # the transport's connection_lost, first (see destroy)
            self._run_reported(lost, None)
        if _runtime.program_ended(self._loop):
            return  # nothing after an uncaught exception (see _on_connection_lost)
        try:
            self._fail_pending_callbacks(error)
            if error is not None:
                self.emit("error", error)
        finally:
            if self._server is not None:
                self._server._connection_closed(self)
            self._loop.call_soon(self._emit_close, error is not None)

    def _emit_close(self, had_error: bool) -> None:
        if _runtime.program_ended(self._loop):
            return  # nothing after an uncaught exception (see _on_connection_lost)
        rider = self._rider
        if rider is not None and not rider._close_emitted:   # (a riding socket made after our destroy)
            self._run_reported(rider._emit_close, False)
            if _runtime.program_ended(self._loop):
                return
        if not self._detached:  # a detached socket's handle went with its transport
            _runtime.handle_closed(self, self._loop)
        self._close_emitted = True
        self.emit("close", had_error)

    def _on_close_before_connection(self, *_: Any) -> None:
        self._close_before_connect = None
        if self._was_connected:   # e.g. a TLS socket whose handshake never finished
            err: BaseException = self._destroy_error or _destroyed_error("write")
        else:
            err = NodeError("Socket closed before the connection was established",
                            "ERR_SOCKET_CLOSED_BEFORE_CONNECTION")
        queue, self._queue = self._queue, None
        end_cbs, self._end_cbs = self._end_cbs, None
        first = True
        for _chunk, cb in queue or ():
            if cb is not None:
                _call_cb(cb, err if first else (self._destroy_error or err))
            first = False
        for cb in end_cbs or ():
            _call_cb(cb, self._destroy_error or err)

    def _fail_pending_callbacks(self, error: Optional[BaseException]) -> None:
        if self._close_before_connect is not None:
            return  # the 'close' listener does it
        queue, self._queue = self._queue, None
        drain_cbs, self._drain_cbs = self._drain_cbs, None
        end_cbs, self._end_cbs = self._end_cbs, None
        if not (queue or drain_cbs or end_cbs):
            return
        if error is None:
            if not self._was_connected:
                error = NodeError("Socket closed before the connection was established",
                                  "ERR_SOCKET_CLOSED_BEFORE_CONNECTION")
        write_err = error or _destroyed_error("write")
        for _, cb in queue or ():
            if cb is not None:
                _call_cb(cb, write_err)
        for cb in drain_cbs or ():
            _call_cb(cb, write_err)
        for cb in end_cbs or ():
            _call_cb(cb, error or _destroyed_error("end"))

    def resetAndDestroy(self: _SocketT) -> _SocketT:
        """Close with a TCP RST (SO_LINGER 0), discarding what is not sent yet."""
        transport = self._transport
        sock = transport.get_extra_info("socket") if transport is not None else None
        if sock is not None and sock.family in (_socket.AF_INET, _socket.AF_INET6):
            try:
                sock.setsockopt(_socket.SOL_SOCKET, _socket.SO_LINGER, struct.pack("ii", 1, 0))
            except OSError:
                pass
            if not self.destroyed:
                self._transport = None
                transport.abort()
        elif transport is None and self.connecting:
            self.once("connect", lambda *a: self.resetAndDestroy())
            return self
        return self.destroy()
