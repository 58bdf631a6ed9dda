"""The deprecated APIs: ``tls.createSecurePair()``, ``SecurePair`` and ``CryptoStream``.

Node 20 (lib/internal/tls/secure-pair.js) builds a SecurePair from a pair of
connected in-memory duplex streams: ``pair.encrypted`` is one end (the
ciphertext, to be piped to and from a real socket), the other end is wrapped
by a ``TLSSocket``, which is ``pair.cleartext``.  This module does the same:
:class:`CryptoStream` is one end of such a pair and ``TLSSocket`` already
wraps any Node-style duplex stream (``_wrap.TLSSocket._wrap_stream``).

Stream rules of a :class:`CryptoStream` (Node's ``DuplexSocket``): those of
``net.Socket`` (the shared StreamMixin of tls/_node/stream.py: flowing and
paused modes, pipe, setEncoding, write/end errors, 'close' last), with the
other end of the pair as the transport, so that:

* what one end writes is read on the other end; a write returns False once
  the other end holds ``writableHighWaterMark`` (16 KiB) that nobody has
  read yet, and 'drain' follows when it was read; a write callback runs once
  the other end has emitted the chunk;
* ``end()`` ends the other end's readable side ('end' there once its buffer
  is read) and 'finish' follows that 'end' (Node's ``_final``);
* ``allowHalfOpen`` is True (Node's Duplex default, so the cleartext
  TLSSocket does not end its side by itself either);
* chunks are delivered on a later loop iteration, never from inside the
  writer's call, so a TLS engine is never re-entered by its own output.

What this keeps from the documented (pre-Node-12) SecurePair where Node 20
lost it, on purpose:

* ``CryptoStream.bytesWritten``: the number of bytes ``pair.encrypted`` has
  emitted, i.e. everything written to the socket it is piped to, TLS records
  included (Node 20's stream has no such property).
* 'secure' with ``pair.cleartext.authorized`` / ``authorizationError`` set
  from the peer's certificate verification (Node 20 leaves ``authorized``
  False), so the documented check works.
* A client pair starts its handshake on the next tick, as the original
  SecurePair did (Node 20 waits for the first cleartext write).
* Destroying an end ends the other end's readable side, so a socket piped
  from ``pair.encrypted`` is ended when the TLS side fails (Node 20 leaves it
  open).
* The TLS side holds no reference on ``tls.run`` (like Node's JS streams): the
  socket it is piped to keeps the program alive.

``createSecurePair`` warns once per process with a ``DeprecationWarning``
whose ``code`` attribute is ``'DEP0064'`` (Node's text).
"""
from __future__ import annotations

import warnings
from typing import Any, Callable, Deque, Dict, List, Optional, Tuple

from .._node import runtime as _runtime
from .._base.nodeargs import _call_cb
from .._base.errors import NodeError
from .._node.events import EventEmitter
from .._node.stream import StreamMixin
from .._base.options import TLS_SOCKET, take_options
from .configure_context import createSecureContext
from .tlssocket import TLSSocket

__all__ = ["CryptoStream", "SecurePair", "createSecurePair", "DEP0064_MESSAGE"]

DEP0064_MESSAGE = "tls.createSecurePair() is deprecated. Please use tls.TLSSocket instead."
HIGH_WATER_MARK = 16 * 1024

_warned = False


def _deprecation_warning() -> None:
    """Node's ``deprecate(fn, msg, 'DEP0064')``: the first call warns."""
    global _warned
    if _warned:
        return
    _warned = True
    warning = DeprecationWarning(DEP0064_MESSAGE)
    warning.code = "DEP0064"  # type: ignore[attr-defined]
    warnings.warn(warning, stacklevel=3)


class _OtherEnd:
    """What the shared stream rules (tls/_node/stream.py) see as a
    CryptoStream's transport: the other end of the pair.

    Node's DuplexSocket ``_write`` pushes the chunk to the other end and calls
    back once that end reads (``_read``); ``_final`` waits for its 'end'.  In
    transport terms: writing is "paused" while the other end holds unread
    bytes, so StreamMixin keeps the write callbacks until the other end
    emitted them (CryptoStream._flush_read_buffer resumes the writer), and
    the bytes it holds are the writer's ``writableLength``.
    """

    __slots__ = ("_writer",)

    def __init__(self, writer: "CryptoStream") -> None:
        self._writer = writer

    def write(self, data: bytes) -> None:
        writer = self._writer
        other = writer._other
        if other is None or other.destroyed:
            return  # nobody reads any more: dropped, as Node's destroyed stream does
        other._push(data)
        if other._rbuf_size:
            writer._write_paused = True

    def get_write_buffer_size(self) -> int:
        other = self._writer._other
        return other._rbuf_size if other is not None else 0

    def is_closing(self) -> bool:
        return False

    def set_write_buffer_limits(self, high: int = 0, low: int = 0) -> None:
        pass


class CryptoStream(StreamMixin, EventEmitter):
    """One end of a connected pair of in-memory duplex streams.

    ``pair.encrypted`` is a CryptoStream: write the ciphertext that arrives
    from the network into it, and send what it emits ('data') to the network
    (``encrypted.pipe(socket); socket.pipe(encrypted)``).

    The stream rules are net.Socket's (StreamMixin); what differs is where
    bytes go (the other end, see :class:`_OtherEnd`), when they arrive (on a
    later loop iteration), when 'finish' comes (after the other end's 'end')
    and what ``bytesWritten`` counts.
    """

    writableHighWaterMark = HIGH_WATER_MARK
    readableHighWaterMark = HIGH_WATER_MARK
    allowHalfOpen = True
    # the state StreamMixin works on, net.Socket's defaults for a connected socket
    connecting = False
    destroyed = False
    _bytes_read = 0
    _bytes_written = 0
    _bytes_dispatched = 0
    _was_connected = True
    _ready = True
    _queue: Optional[Deque[Tuple[bytes, Any]]] = None
    _queued_bytes = 0
    _write_paused = False
    _drain_cbs: Optional[List[Any]] = None
    _end_cbs: Optional[List[Any]] = None
    _need_drain = False
    _ending = False
    _write_shut = False
    _finished = False
    _flowing: Optional[bool] = None
    _rbuf: Optional[Deque[bytes]] = None
    _rbuf_size = 0
    _reading_paused = False
    _eof = False
    _ended_emitted = False
    _decoder: Any = None
    _timeout_ms: Optional[float] = None
    _close_emitted = False
    _close_before_connect: Any = None
    _flush_scheduled = False

    def __init__(self) -> None:
        super().__init__()
        self._loop = _runtime.get_loop()
        self._other: Optional["CryptoStream"] = None
        self._transport = _OtherEnd(self)

    @property
    def bytesWritten(self) -> int:
        """Bytes this end has emitted: all that went to the socket it is piped to,
        TLS records included (the documented ``cryptoStream.bytesWritten``)."""
        return self._bytes_dispatched

    # -- readable side: what the other end wrote -------------------------------------------
    def _push(self, chunk: bytes) -> None:
        # Always buffered and emitted on a later loop iteration, never from
        # inside the writer's call: a TLS engine is never re-entered by its
        # own output.
        if not chunk or self.destroyed or self._eof:
            return
        self._append(chunk if self._decoder is None else self._decoder.decode(chunk), False)
        if self._flowing and not self._flush_scheduled:
            self._flush_scheduled = True
            self._loop.call_soon(self._flush_read_buffer)

    def _flush_read_buffer(self) -> None:
        self._flush_scheduled = False
        super()._flush_read_buffer()
        writer = self._other
        if writer is not None and not self.destroyed and self._rbuf_size < self.readableHighWaterMark:
            writer._on_write_drained()  # read: 'drain', then the write callbacks

    def _emit_end(self) -> None:
        if self.destroyed:
            return
        super()._emit_end()
        writer = self._other
        if writer is not None and writer._ending:
            # Node's _final: the writer's 'finish' follows this 'end' (a later
            # iteration, so the writer's own pending 'end' still comes first).
            self._loop.call_soon(writer._emit_finish)

    # -- writable side -------------------------------------------------------------------
    def _do_shutdown(self) -> None:
        # end(): the other end's readable side ends; 'finish' waits for its
        # 'end' (see _emit_end), not for a kernel to take the bytes (so
        # _write_shut stays False: StreamMixin's "finish once the transport
        # drained" never applies).
        other = self._other
        if other is not None and not other.destroyed:
            other._push_eof()
        else:
            self._loop.call_soon(self._emit_finish)

    # -- lifetime ------------------------------------------------------------
    def destroy(self, error: Optional[BaseException] = None) -> "CryptoStream":
        """Close this end: 'error' (if given) then 'close'; the other end's
        readable side ends (nothing more can come from here)."""
        if self.destroyed:
            return self
        self.destroyed = True
        self._rbuf = None
        self._rbuf_size = 0
        other = self._other
        if other is not None:
            other._push_eof()
        cbs = (self._drain_cbs or []) + (self._end_cbs or [])
        self._drain_cbs = self._end_cbs = None
        self._loop.call_soon(self._emit_destroyed, error, cbs)
        return self

    def _emit_destroyed(self, error: Optional[BaseException], cbs: List[Callable[..., Any]]) -> None:
        if cbs:
            err = error or NodeError("Cannot call write after a stream was destroyed", "ERR_STREAM_DESTROYED")
            for cb in cbs:
                _call_cb(cb, err)
        try:
            if error is not None:
                self.emit("error", error)
        finally:
            self._close_emitted = True
            self.emit("close")

    def setTimeout(self, timeout: float, callback: Optional[Callable[..., Any]] = None) -> "CryptoStream":
        """Accepted for compatibility (an in-memory stream never idles out)."""
        return self

    def setNoDelay(self, noDelay: bool = True) -> "CryptoStream":
        return self

    def setKeepAlive(self, enable: bool = False, initialDelay: float = 0) -> "CryptoStream":
        return self


def _duplex_pair() -> Tuple[CryptoStream, CryptoStream]:
    """Node's DuplexPair: two CryptoStreams, each reading what the other writes."""
    socket1, socket2 = CryptoStream(), CryptoStream()
    socket1._other = socket2
    socket2._other = socket1
    return socket1, socket2


class SecurePair(EventEmitter):
    """``tls.createSecurePair()``'s result: ``cleartext`` (a TLSSocket) and
    ``encrypted`` (a :class:`CryptoStream` carrying the ciphertext); 'secure'
    once the handshake is done."""

    def __init__(self, context: Any = None, isServer: Any = False, requestCert: Any = None,
                 rejectUnauthorized: Any = False, options: Optional[Dict[str, Any]] = None) -> None:
        super().__init__()

        options = take_options(options, None, TLS_SOCKET, "createSecurePair")
        if context is None:
            # Node makes a default context and ignores secure-context options
            # here; made from them instead, they are honoured, not dropped
            context = createSecureContext(options)
        if isServer is None:
            isServer = False
        if requestCert is None:
            requestCert = not isServer
        if rejectUnauthorized is None:
            rejectUnauthorized = False
        socket1, socket2 = _duplex_pair()
        self.server = options.get("server")
        self.credentials = context
        self.encrypted = socket1
        tls_options = {"secureContext": context, "isServer": isServer, "requestCert": requestCert,
                       "rejectUnauthorized": rejectUnauthorized}
        tls_options.update(options)
        self.cleartext = TLSSocket(socket2, tls_options)
        # Like Node's JS-stream TLS sockets, the pair keeps nothing alive by itself.
        self.cleartext.unref()
        self.cleartext.once("secure", self._on_secure)
        if not self.cleartext._is_server:
            # The original SecurePair started a client handshake on the next tick.
            _runtime.nextTick(self._start)

    def _start(self) -> None:
        cleartext = self.cleartext
        if not cleartext.destroyed:
            cleartext._start()

    def _on_secure(self, *_: Any) -> None:
        cleartext = self.cleartext
        # The verdict a tls.Server / tls.connect would give (chain only): a
        # server that did not ask for a certificate leaves it alone.
        if not cleartext._is_server or cleartext._requestCert:
            err = cleartext._verify_error()
            if err is None:
                cleartext.authorized = True
            else:
                cleartext.authorized = False
                cleartext.authorizationError = getattr(err, "code", None) or str(err)
        self.emit("secure")

    def destroy(self) -> None:
        self.cleartext.destroy()
        self.encrypted.destroy()


def createSecurePair(context: Any = None, isServer: Any = False, requestCert: Any = None,
                     rejectUnauthorized: Any = False, options: Optional[Dict[str, Any]] = None) -> SecurePair:
    """Deprecated (DEP0064): ``tls.createSecurePair([context][, isServer][, requestCert]
    [, rejectUnauthorized][, options])``; use ``tls.TLSSocket`` instead."""
    _deprecation_warning()
    return SecurePair(context, isServer, requestCert, rejectUnauthorized, options)
