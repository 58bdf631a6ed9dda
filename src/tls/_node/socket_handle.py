"""What a ``net.Socket`` asks of its handle: the idle timeout, TCP options, ref / unref and the
program's lifetime after the peer ended, and the addresses.

``SocketHandleMixin`` is mixed into ``Socket`` (socket.py, which declares the state it works on);
it is apart only to keep each file about one job.  In Node these are the calls that reach the
socket's libuv handle (``setNoDelay``, ``setKeepAlive``, ``ref``, ``unref``, ``getpeername``...);
here the asyncio transport's socket, whose addresses asyncio already asked the kernel for.
"""
from __future__ import annotations

import socket as _socket
from typing import TYPE_CHECKING, Any, Callable, Dict, Optional, Tuple, TypeVar

from . import runtime as _runtime
from .._base.errors import NodeRangeError, NodeTypeError
from .netargs import _address_dict, _family_name

if TYPE_CHECKING:
    from .stream import StreamMixin

    # for the type checker the mixin is the stream it is mixed into (with Socket's state below)
    _HandleBase = StreamMixin
else:
    _HandleBase = object

__all__ = ["SocketHandleMixin"]

_SocketT = TypeVar("_SocketT", bound="SocketHandleMixin")


class SocketHandleMixin(_HandleBase):
    """Timeouts, socket options, refs and addresses of net.Socket (see the module docstring)."""

    if TYPE_CHECKING:
        # the state net.Socket provides (declared there, with its defaults)
        connecting: bool
        _timer: Any
        _last_active: float
        _refed: bool
        _peer: Any
        _sockname: Any
        _family: Optional[int]
        _no_delay: Optional[bool]
        _keep_alive: Optional[Tuple[bool, float]]

    # -- timeouts --------------------------------------------------------
    def setTimeout(self: _SocketT, timeout: float, callback: Optional[Callable[..., Any]] = None) -> _SocketT:
        """Emit 'timeout' after ``timeout`` ms without reads or writes (0 disables)."""
        if isinstance(timeout, bool) or not isinstance(timeout, (int, float)):
            raise NodeTypeError('The "msecs" argument must be of type number. Received %r' % (timeout,),
                                "ERR_INVALID_ARG_TYPE")
        if timeout < 0 or timeout != timeout:
            raise NodeRangeError('The value of "msecs" is out of range. It must be a non-negative finite '
                                 'number. Received %r' % (timeout,), "ERR_OUT_OF_RANGE")
        self._timeout_ms = timeout
        if callback is not None:
            if not callable(callback):
                raise NodeTypeError('The "callback" argument must be of type function. Received %r'
                                    % (callback,), "ERR_INVALID_ARG_TYPE")
            if timeout:
                self.once("timeout", callback)
            else:
                self.removeListener("timeout", callback)
        self._clear_timer()
        if timeout and not self.destroyed:
            self._touch()
        return self

    @property
    def timeout(self) -> Optional[float]:
        return self._timeout_ms

    def _touch(self) -> None:
        """Activity: restart the idle countdown (armed lazily)."""
        if self._timeout_ms:
            self._last_active = self._loop.time()
            if self._timer is None and not self.destroyed:
                self._timer = self._loop.call_later(self._timeout_ms / 1000.0, self._on_timer)

    def _clear_timer(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _on_timer(self) -> None:
        self._timer = None
        if self.destroyed or not self._timeout_ms:
            return
        remaining = self._last_active + self._timeout_ms / 1000.0 - self._loop.time()
        if remaining > 0.001:
            self._timer = self._loop.call_later(remaining, self._on_timer)
            return
        # Once per idle period, as Node: the next activity arms it again.
        self.emit("timeout")

    # -- socket options and refs -------------------------------------------
    def _raw_socket(self) -> Any:
        transport = self._transport
        return transport.get_extra_info("socket") if transport is not None else None

    def setNoDelay(self: _SocketT, noDelay: bool = True) -> _SocketT:
        """TCP_NODELAY on (default) or off; remembered until connected."""
        self._no_delay = bool(noDelay)
        sock = self._raw_socket()
        # (the family we know already: socket.family builds an enum each time)
        if sock is not None and (self._family if self._family is not None else sock.family) \
                in (_socket.AF_INET, _socket.AF_INET6):
            try:
                sock.setsockopt(_socket.IPPROTO_TCP, _socket.TCP_NODELAY, 1 if noDelay else 0)
            except OSError:
                pass
        return self

    def setKeepAlive(self: _SocketT, enable: bool = False, initialDelay: float = 0) -> _SocketT:
        """SO_KEEPALIVE, with TCP_KEEPIDLE = initialDelay (ms, rounded to s) when given."""
        self._keep_alive = (bool(enable), initialDelay or 0)
        sock = self._raw_socket()
        if sock is not None and sock.family in (_socket.AF_INET, _socket.AF_INET6):
            try:
                sock.setsockopt(_socket.SOL_SOCKET, _socket.SO_KEEPALIVE, 1 if enable else 0)
                if enable and initialDelay and hasattr(_socket, "TCP_KEEPIDLE"):
                    sock.setsockopt(_socket.IPPROTO_TCP, _socket.TCP_KEEPIDLE,
                                    max(1, int(initialDelay // 1000)))
            except OSError:
                pass
        return self

    def ref(self: _SocketT) -> _SocketT:
        """Keep ``tls.run`` alive while this socket is open (the default)."""
        self._refed = True
        if not self.destroyed and (self._transport is not None or self.connecting):
            _runtime.ref_handle(self)
            if self._peer_ended:
                _runtime.handle_inactive(self, self._loop)
        return self

    # -- program lifetime after the peer ended ---------------------------
    # Node's TCP handle stops reading at EOF and is then active only while a
    # write is pending: a program whose only socket holds data nobody reads
    # after the peer ended exits (checked on Node 20).  The runtime asks
    # _handle_active once the socket said so (loopstate.handle_inactive).
    _peer_ended = False

    def _on_raw_eof(self) -> None:
        self._transport_ended()
        super()._on_raw_eof()

    def _transport_ended(self) -> None:
        """The transport saw the peer's FIN (TLSSocket calls it too)."""
        if not self._peer_ended:
            self._peer_ended = True
            _runtime.handle_inactive(self, self._loop)

    def _handle_active(self) -> bool:
        transport = self._transport
        return bool(self._queue) or (transport is not None and transport.get_write_buffer_size() > 0)

    def unref(self: _SocketT) -> _SocketT:
        """Let ``tls.run`` end while this socket is still open."""
        self._refed = False
        _runtime.unref_handle(self)
        return self

    # -- addresses -------------------------------------------------------
    def address(self) -> Dict[str, Any]:
        return _address_dict(self._sockname, self._family) or {}

    @property
    def remoteAddress(self) -> Optional[str]:
        return self._peer[0] if isinstance(self._peer, tuple) else None

    @property
    def remotePort(self) -> Optional[int]:
        return self._peer[1] if isinstance(self._peer, tuple) else None

    @property
    def remoteFamily(self) -> Optional[str]:
        return _family_name(self._family) if isinstance(self._peer, tuple) else None

    @property
    def localAddress(self) -> Optional[str]:
        return self._sockname[0] if isinstance(self._sockname, tuple) else None

    @property
    def localPort(self) -> Optional[int]:
        return self._sockname[1] if isinstance(self._sockname, tuple) else None

    @property
    def localFamily(self) -> Optional[str]:
        return _family_name(self._family) if isinstance(self._sockname, tuple) else None

    @property
    def readyState(self) -> str:
        if self.connecting:
            return "opening"
        if self.destroyed or self._transport is None:
            return "closed"
        readable = not self._eof
        writable = not self._ending
        if readable and writable:
            return "open"
        if readable:
            return "readOnly"
        if writable:
            return "writeOnly"
        return "closed"

    @property
    def pending(self) -> bool:
        return self._transport is None or self.connecting
