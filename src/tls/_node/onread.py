"""Node's ``onread`` option: a socket that reads into the caller's buffer instead of emitting 'data'.

``net.Socket({onread: {buffer, callback}})``, ``net.connect`` and ``tls.connect`` (and here
``tls.TLSSocket`` and ``socket.connect`` too) take it.  ``buffer`` is a writable bytes-like object
(Node: a Buffer / Uint8Array; here a ``bytearray``, a writable ``memoryview``, anything whose memory
is writable bytes) or a function returning one.  Every chunk of incoming data is put in that buffer
and ``callback(nread, buffer)`` is called with the number of bytes put there and the buffer object
itself; the stream's 'data' / ``read()`` never see the data, while 'end', 'error' and 'close' come as
usual.  How Node does it, and so how this module does:

* **Plain TCP reads straight into the buffer.**  Node hands the buffer to libuv
  (``useUserBuffer``), so each kernel read is at most ``len(buffer)`` bytes and lands in it.  Here
  the asyncio protocol is a ``BufferedProtocol`` (socket_protocol.py) whose ``get_buffer`` returns
  the protocol's ``_view``: pointing ``_view`` at the caller's buffer makes asyncio's ``recv_into``
  fill it, with no copy, and ``buffer_updated`` then calls the socket's ``_on_raw_data``, which for
  such a socket is :meth:`OnReadMixin._onread_in_place` (the callback).  Other sockets keep the
  shared per-thread buffer: the option costs them nothing per read.
* **TLS copies the plaintext in.**  A TLSSocket reads ciphertext into the shared buffer as always;
  the plaintext its engine produces goes to the owner's ``_push``, which for such a socket is
  :meth:`OnReadMixin._onread_push`: it copies the plaintext into the buffer ``len(buffer)`` bytes at
  a time and calls the callback for each piece, as Node's TLSWrap (``ClearOut``: ``EmitAlloc`` hands
  out the user's buffer, ``EmitRead`` calls back) does.
* **A function as ``buffer``** is called once when the option is taken (Node: when the handle is
  set up) and again after every callback, and the next read uses what it returned.
* **Pausing.**  A callback that returns ``False`` (exactly: Node tests ``!== false``) stops reading
  from the transport, as Node's ``readStop``; ``pause()`` does the same at once, and ``resume()`` or
  ``read()`` start reading again (Node's net.Socket overrides those three for ``onread``).  A TLS
  socket still delivers the rest of the plaintext it already decrypted (Node's ClearOut loop does
  not look at the pause either); nothing is lost, nothing is buffered for later.

Where Node is silent, this package says so (docs/spec-status.md): a malformed ``onread`` (Node ignores
it and emits 'data') and a ``buffer`` function returning something else than a buffer (Node keeps
the previous buffer, or at the start passes ``true`` as the buffer) raise ``ERR_INVALID_ARG_TYPE`` /
``ERR_INVALID_RETURN_VALUE``.  An empty buffer fails the first read with Node's ``read ENOBUFS``.
"""
from __future__ import annotations

import errno as _errno
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Callable, Optional, TypeVar

from .._base.errors import NodeTypeError, errno_error
from .._base.validators import received as _received

if TYPE_CHECKING:
    from .readable import ReadableMixin

    _OnReadBase = ReadableMixin
else:
    _OnReadBase = object

__all__ = ["OnRead", "OnReadMixin", "parse_onread"]

_O = TypeVar("_O", bound="OnReadMixin")


def _writable_view(value: Any) -> Optional[memoryview]:
    """``value``'s memory as a writable 1-D byte view, or None when it is not a writable buffer."""
    if isinstance(value, (str, int, float)) or value is None:
        return None   # (memoryview(5) would fail anyway; a str is no buffer)
    try:
        view = memoryview(value)
    except TypeError:
        return None
    if view.readonly or not view.c_contiguous:
        return None
    return view.cast("B") if view.format != "B" or view.ndim != 1 else view


def _returned_type(value: Any) -> str:
    tail = _received(value)   # "Received type number (5)" / "Received an instance of X"
    return tail[len("Received "):] if tail.startswith("Received ") else tail


class OnRead:
    """The option once taken: the buffer reads land in now, the function handing out the next one
    (None for a fixed buffer), and the callback."""

    __slots__ = ("source", "buffer", "view", "next_buffer", "callback")

    def __init__(self, source: Any, buffer: Any, next_buffer: Optional[Callable[[], Any]],
                 callback: Callable[..., Any]) -> None:
        self.source = source
        self.next_buffer = next_buffer
        self.callback = callback
        self.buffer: Any = None
        self.view = memoryview(b"")
        if next_buffer is None:
            self.use(buffer)
        else:
            self.advance()

    def use(self, buffer: Any) -> None:
        view = _writable_view(buffer)
        assert view is not None, "checked by parse_onread"
        self.buffer, self.view = buffer, view

    def advance(self) -> None:
        """Ask the ``buffer`` function for the next buffer (Node's kBufferGen)."""
        assert self.next_buffer is not None
        buffer = self.next_buffer()
        view = _writable_view(buffer)
        if view is None:
            raise NodeTypeError('Expected a writable bytes-like object (bytearray, memoryview) to be returned '
                                'from the "onread.buffer" function but got %s.' % _returned_type(buffer),
                                "ERR_INVALID_RETURN_VALUE")
        self.buffer, self.view = buffer, view


def parse_onread(value: Any) -> Optional[OnRead]:
    """The ``onread`` option checked (None: not given); a ``buffer`` function is called once."""
    if value is None:
        return None
    if not isinstance(value, Mapping):
        raise NodeTypeError('The "options.onread" property must be of type object. ' + _received(value),
                            "ERR_INVALID_ARG_TYPE")
    buffer, callback = value.get("buffer"), value.get("callback")
    if not callable(buffer) and _writable_view(buffer) is None:
        raise NodeTypeError('The "options.onread.buffer" property must be a writable bytes-like object '
                            '(bytearray, memoryview) or a function. ' + _received(buffer), "ERR_INVALID_ARG_TYPE")
    if not callable(callback):
        raise NodeTypeError('The "options.onread.callback" property must be of type function. '
                            + _received(callback), "ERR_INVALID_ARG_TYPE")
    if callable(buffer):
        return OnRead(value, None, buffer, callback)
    return OnRead(value, buffer, None, callback)


def _no_buffer_space() -> BaseException:
    # libuv's answer to a read into an empty buffer, as Node reports it: "read ENOBUFS"
    return errno_error(OSError(_errno.ENOBUFS, "No buffer space available"), "read")


class OnReadMixin(_OnReadBase):
    """The ``onread`` side of net.Socket (see the module docstring); a socket without the option
    never runs any of it but the three checks in pause / resume / read."""

    _onread: Optional[OnRead] = None
    #: False on a TLSSocket: its transport carries ciphertext, the plaintext is copied (_onread_push)
    _onread_in_place = True

    if TYPE_CHECKING:
        _protocol: Any
        connecting: bool

    def _set_onread(self, value: Any) -> None:
        """Take the option (the constructor; ``connect()`` given another one): reads go to it."""
        if self._onread is not None and self._onread.source is value:
            return   # net.connect / tls.connect pass connect() the options the socket was made with
        onread = parse_onread(value)
        if onread is None:
            return
        self._onread = onread
        self._push = self._onread_push   # type: ignore[method-assign]  # (per instance: no test per read)
        if self._transport is not None:
            self._onread_attach()

    def _onread_attach(self) -> None:
        """The transport is there: a plain socket's reads land in the caller's buffer from now on."""
        protocol = self._protocol
        onread = self._onread
        if not self._onread_in_place or protocol is None or onread is None:
            return
        if onread.view:
            protocol.use_buffer(onread.view)
            self._on_raw_data = self._onread_in_place_read  # type: ignore[method-assign]
        else:
            self._on_raw_data = self._onread_no_buffer  # type: ignore[method-assign]
        if self._explicitly_paused:
            # Node's afterConnect starts reading only when the socket is not paused (a 'readable'
            # listener's read(0) would start it again, as it does here)
            self._onread_stop()

    def _onread_in_place_read(self, data: Any) -> None:
        """``buffer_updated`` (socket_protocol.py): the kernel read ``len(data)`` bytes into the buffer
        (``data`` is a view of the start of it)."""
        onread = self._onread
        assert onread is not None
        keep_reading = onread.callback(len(data), onread.buffer) is not False
        if onread.next_buffer is not None:
            onread.advance()   # (even when the callback destroyed the socket: Node's onStreamRead)
            protocol = self._protocol
            if onread.view:
                if protocol is not None:
                    protocol.use_buffer(onread.view)
            else:   # the next read fails (Node: ENOBUFS); it lands in the shared buffer meanwhile
                if protocol is not None:
                    protocol.use_buffer(None)
                self._on_raw_data = self._onread_no_buffer  # type: ignore[method-assign]
        if not keep_reading and not self.destroyed:
            self._onread_stop()

    def _onread_no_buffer(self, data: Any) -> None:
        self.destroy(_no_buffer_space())

    def _onread_push(self, chunk: bytes) -> None:
        """Stands for ``_push`` (the plaintext of a TLSSocket): copy it into the buffer piece by piece."""
        if not chunk or self.destroyed:
            return
        onread = self._onread
        assert onread is not None
        source = memoryview(chunk)
        keep_reading = True
        while source:
            view = onread.view
            size = len(view)
            if not size:
                self.destroy(_no_buffer_space())
                return
            if size > len(source):
                size = len(source)
            view[:size] = source[:size]
            if onread.callback(size, onread.buffer) is False:
                keep_reading = False
            if onread.next_buffer is not None:
                onread.advance()   # (even when the callback destroyed the socket, as Node)
            if self.destroyed:
                return
            source = source[size:]
        if not keep_reading:
            self._onread_stop()

    def _onread_stop(self) -> None:
        """Node's readStop (the callback returned False, or pause())."""
        if not self._reading_paused and not self.destroyed:
            self._reading_paused = True
            transport = self._transport
            if transport is not None:
                transport.pause_reading()

    def _onread_start(self) -> None:
        """Node's tryReadStart (resume(), read())."""
        if self._reading_paused and not self.destroyed and not self.connecting:
            self._reading_paused = False
            transport = self._transport
            if transport is not None:
                transport.resume_reading()

    # Node's net.Socket overrides these three for onread: the handle stops / starts at once
    def pause(self: _O) -> _O:
        if self._onread is not None and not self.connecting and self._transport is not None:
            self._onread_stop()
        return super().pause()

    def resume(self: _O) -> _O:
        if self._onread is not None:
            self._onread_start()
        return super().resume()

    def read(self, size: Any = None) -> Any:
        if self._onread is not None:
            self._onread_start()
        return super().read(size)
