"""Node's ``net`` module on asyncio: ``Socket``, ``Server``, ``connect``, ``createServer``.

A ``Socket`` is a Node duplex stream over an asyncio transport.  The asyncio
protocol object is a thin forwarder (``_SocketProtocol``) whose ``owner`` is
the Socket; ``tls.TLSSocket`` subclasses Socket and overrides the raw hooks
(``_on_raw_data``, ``_on_raw_eof``, ``_write_chunk``, ``_shutdown_write``,
``_on_connect``, ``_on_connection_lost``, ``_on_destroy``) to put its engine
between the transport and the stream.  Taking over a connected Socket (what
``new TLSSocket(socket)`` and the TLS server do) is just re-pointing the
protocol's ``owner`` (``_take_transport_from``).

Stream rules kept from Node 20:
  * readable: 'data' flows once a 'data' listener is added or ``resume()`` is
    called.  Otherwise chunks are buffered, and once the buffer holds
    ``readableHighWaterMark`` (16 KiB) the transport stops reading, so TCP
    backpressure reaches the peer.  'end' comes when the peer's FIN has been
    seen and the buffer is empty (even with nobody reading, as in Node).
    Without ``allowHalfOpen`` the socket ends its own side after 'end'.
  * writable: ``write`` returns False once ``writableLength`` (bytes queued
    before the connection is ready plus bytes the kernel has not taken yet)
    reaches ``writableHighWaterMark`` (16 KiB); 'drain' follows when it is
    back to 0.  Writes made before the connection (or, for TLS, before the
    handshake) are queued and flushed in order by ``_set_ready``.  A write
    callback runs once its bytes are handed to the kernel.  ``end`` ->
    'finish' once everything, FIN included, is handed to the kernel.
  * 'close' (hadError) comes last, once, after 'end' and 'finish' or after
    'error'.  ``destroy(err)`` emits 'error' then 'close' (True) on later
    loop iterations; pending write/end callbacks get the error first.
  * callbacks (write, end, Server.close) follow Node's error-first shape: a
    callback that accepts an argument gets the error or None, one that takes
    no argument is called without (``lambda: ...`` works as in JavaScript).

Connecting: a host name is resolved first ('lookup' event, Node's
ENOTFOUND/EAI_AGAIN errors), then the addresses are tried in order.  'connect'
and 'ready' are emitted from the transport's ``connection_made``, so no
'data' can come before them.  A server accepts on its own non-blocking
listening socket (``loop.add_reader``), so ``listen`` and ``close`` take
effect at once, like Node's synchronous bind/close.
"""
from __future__ import annotations

import asyncio
import base64
import binascii
import codecs
import errno as _errno
import inspect
import ipaddress
import os
import socket as _socket
import stat as _stat
import struct
import threading
from collections import deque
from typing import Any, Callable, Deque, Dict, List, Optional, Tuple

from . import _runtime
from .errors import NodeError, NodeRangeError, NodeTypeError
from .events import EventEmitter, _received

__all__ = ["Socket", "Server", "Stream", "connect", "createConnection", "createServer",
           "isIP", "isIPv4", "isIPv6"]

HIGH_WATER_MARK = 16 * 1024
_READ_SIZE = 256 * 1024


def isIP(value: Any) -> int:
    if not isinstance(value, str) or not value or value != value.strip():
        return 0
    try:
        return ipaddress.ip_address(value.split("%", 1)[0] if ":" in value else value).version
    except ValueError:
        return 0


def isIPv4(value: Any) -> bool:
    return isIP(value) == 4


def isIPv6(value: Any) -> bool:
    return isIP(value) == 6


def merge_options(options: Any, kwargs: Dict[str, Any]) -> Dict[str, Any]:
    """Node takes an options object; we take a dict, keyword arguments, or both."""
    if options is None:
        merged: Dict[str, Any] = {}
    elif isinstance(options, dict):
        merged = dict(options)
    else:
        raise NodeTypeError('The "options" argument must be of type object. Received %r' % (options,),
                            "ERR_INVALID_ARG_TYPE")
    merged.update(kwargs)
    return merged


# -- Buffer <-> string, as Node does it ------------------------------------------------------

_ENCODINGS = {
    "utf8": "utf8", "utf-8": "utf8", "hex": "hex", "base64": "base64", "base64url": "base64url",
    "latin1": "latin1", "binary": "latin1", "ascii": "ascii", "ucs2": "utf16le", "ucs-2": "utf16le",
    "utf16le": "utf16le", "utf-16le": "utf16le",
}


def _normalize_encoding(encoding: Any) -> str:
    enc = _ENCODINGS.get(str(encoding).lower()) if isinstance(encoding, str) else None
    if enc is None:
        raise NodeTypeError("Unknown encoding: %s" % (encoding,), "ERR_UNKNOWN_ENCODING")
    return enc


def _hex_to_bytes(data: str) -> bytes:
    data = data[: len(data) // 2 * 2]
    try:
        return bytes.fromhex(data)
    except ValueError:
        # Node stops at the first pair that is not hex.
        out = bytearray()
        for i in range(0, len(data), 2):
            try:
                out.append(int(data[i:i + 2], 16))
            except ValueError:
                break
            if not all(c in "0123456789abcdefABCDEF" for c in data[i:i + 2]):
                out.pop()
                break
        return bytes(out)


def _base64_to_bytes(data: str) -> bytes:
    # Node accepts both alphabets, ignores what is not base64 and missing padding.
    cleaned = "".join(c for c in data.replace("-", "+").replace("_", "/")
                      if c.isalnum() or c in "+/")
    cleaned = cleaned[: len(cleaned) - (1 if len(cleaned) % 4 == 1 else 0)]
    try:
        return base64.b64decode(cleaned + "=" * (-len(cleaned) % 4))
    except (binascii.Error, ValueError):
        return b""


def to_bytes(data: Any, encoding: Optional[str] = None) -> bytes:
    """Node's Buffer.from(chunk, encoding) for what write() accepts."""
    if isinstance(data, bytes):
        return data
    if isinstance(data, (bytearray, memoryview)):
        return bytes(data)
    if isinstance(data, str):
        enc = "utf8" if encoding is None else _normalize_encoding(encoding)
        if enc == "utf8":
            try:
                return data.encode("utf-8")
            except UnicodeEncodeError:
                # lone surrogates: pairs are joined, the rest become U+FFFD (as V8 does)
                return data.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace").encode("utf-8")
        if enc == "hex":
            return _hex_to_bytes(data)
        if enc in ("base64", "base64url"):
            return _base64_to_bytes(data)
        if enc in ("latin1", "ascii"):
            try:
                return data.encode("latin-1")
            except UnicodeEncodeError:
                return bytes(ord(c) & 0xFF for c in data)
        return data.encode("utf-16-le", "surrogatepass")
    raise NodeTypeError(
        'The "chunk" argument must be of type string or an instance of Buffer or Uint8Array. '
        "Received %s" % type(data).__name__, "ERR_INVALID_ARG_TYPE")


def _decoder(encoding: Any) -> Any:
    enc = _normalize_encoding(encoding)
    if enc in ("hex", "base64", "base64url"):
        return _BinaryTextDecoder(enc)
    if enc == "ascii":
        return _AsciiDecoder()
    name = {"utf8": "utf-8", "latin1": "latin-1", "utf16le": "utf-16-le"}[enc]
    return codecs.getincrementaldecoder(name)(errors="replace")


class _AsciiDecoder:
    """Node's 'ascii' decoding: the high bit of every byte is dropped."""

    _table = bytes(range(128)) * 2

    def decode(self, data: bytes, final: bool = False) -> str:
        return bytes(data).translate(self._table).decode("ascii")


class _BinaryTextDecoder:
    """Node's StringDecoder for hex and base64 (base64 keeps partial groups for later)."""

    def __init__(self, encoding: str) -> None:
        self.encoding = encoding
        self.pending = b""

    def decode(self, data: bytes, final: bool = False) -> str:
        if self.encoding == "hex":
            return bytes(data).hex()
        data = self.pending + bytes(data)
        keep = 0 if final else len(data) % 3
        self.pending = data[len(data) - keep:] if keep else b""
        out = base64.b64encode(data[: len(data) - keep]).decode()
        if self.encoding == "base64url":
            out = out.replace("+", "-").replace("/", "_").rstrip("=")
        return out


# -- errors ------------------------------------------------------------------------------------

# libuv's uv_strerror() texts, which Node puts in the messages of listen errors.
_UV_DESCRIPTIONS = {
    "EADDRINUSE": "address already in use", "EADDRNOTAVAIL": "address not available",
    "EACCES": "permission denied", "EAFNOSUPPORT": "address family not supported",
    "EINVAL": "invalid argument", "ENOENT": "no such file or directory", "EPERM": "operation not permitted",
    "EMFILE": "too many open files", "ENOTSUP": "operation not supported on socket",
}


def errno_error(exc: BaseException, syscall: str, *, describe: bool = False, **attrs: Any) -> BaseException:
    """An OSError as Node reports it: code = errno name, errno negative, syscall.

    ``describe`` adds libuv's description the way Node's listen errors have
    it (``listen EADDRINUSE: address already in use 127.0.0.1:80``); connect
    errors have none (``connect ECONNREFUSED 127.0.0.1:80``).  Anything that
    is not an OSError (an exception from a listener) is returned as it is.
    """
    if isinstance(exc, NodeError):
        return exc
    if not isinstance(exc, OSError):
        return exc
    num = exc.errno
    if num is None:
        num = _errno.ECONNRESET if isinstance(exc, ConnectionError) else _errno.EIO
    name = _errno.errorcode.get(num, "EIO")
    if num == _errno.EPIPE and syscall == "read":
        syscall = "write"
    message = "%s %s" % (syscall, name)
    if describe:
        message += ": " + _UV_DESCRIPTIONS.get(name, os.strerror(num).lower())
    address = attrs.get("address")
    if address is not None:
        message += " %s" % address
        port = attrs.get("port")
        if port is not None and port != -1:
            message += ":%s" % port
    return NodeError(message, name, errno=-num, syscall=syscall, **attrs)


def _lookup_error(exc: BaseException, hostname: str) -> NodeError:
    """A getaddrinfo failure as Node's dns.lookup reports it."""
    num = getattr(exc, "errno", None)
    if num in (getattr(_socket, "EAI_AGAIN", -3),):
        code, uv = "EAI_AGAIN", -3001
    elif num in (getattr(_socket, "EAI_NONAME", -2), getattr(_socket, "EAI_NODATA", -5),
                 getattr(_socket, "EAI_ADDRFAMILY", -9)):
        code, uv = "ENOTFOUND", -3008
    elif num == getattr(_socket, "EAI_FAIL", -4):
        code, uv = "EAI_FAIL", -3002
    else:
        code, uv = "ENOTFOUND", -3008
    return NodeError("getaddrinfo %s %s" % (code, hostname), code, errno=uv, syscall="getaddrinfo",
                     hostname=hostname)


# -- callbacks -------------------------------------------------------------------------------

_takes_arg_cache: Dict[Any, bool] = {}


def _takes_arg(fn: Callable[..., Any]) -> bool:
    """Whether ``fn`` can be called with one positional argument."""
    target = getattr(fn, "__func__", fn)
    code = getattr(target, "__code__", None)
    if code is not None:
        bound = target is not fn
        known = _takes_arg_cache.get((code, bound))
        if known is None:
            if code.co_flags & inspect.CO_VARARGS:
                known = True
            else:
                known = code.co_argcount - (1 if bound else 0) >= 1
            if len(_takes_arg_cache) > 4096:
                _takes_arg_cache.clear()
            _takes_arg_cache[(code, bound)] = known
        return known
    try:
        inspect.signature(fn).bind(None)
    except TypeError:
        return False
    except ValueError:
        return True
    return True


def _call_cb(cb: Callable[..., Any], err: Optional[BaseException] = None) -> Any:
    """Call a Node-style callback: ``cb(err)``, or ``cb()`` if it takes no argument."""
    if _takes_arg(cb):
        return cb(err)
    return cb()


_thread_buffers = threading.local()


def _read_buffer() -> memoryview:
    view = getattr(_thread_buffers, "view", None)
    if view is None:
        view = _thread_buffers.view = memoryview(bytearray(_READ_SIZE))
    return view


class _SocketProtocol(asyncio.BufferedProtocol):
    """Forwards transport events to ``owner``; reads land in a shared buffer.

    asyncio calls ``buffer_updated`` right after ``recv_into`` with no other
    code in between, so every connection of a thread (of its event loop) can
    share a single read buffer.
    """

    __slots__ = ("owner", "_view")

    def __init__(self, owner: "Socket") -> None:
        self.owner = owner
        self._view = _read_buffer()

    def connection_made(self, transport: Any) -> None:
        self.owner._on_transport(transport)

    def get_buffer(self, sizehint: int) -> memoryview:
        return self._view

    def buffer_updated(self, nbytes: int) -> None:
        self.owner._on_raw_read(self._view[:nbytes])

    def eof_received(self) -> bool:
        self.owner._on_raw_eof()
        return True  # keep the transport for half-open; the Socket closes it

    def connection_lost(self, exc: Optional[BaseException]) -> None:
        self.owner._on_connection_lost(exc)

    def pause_writing(self) -> None:
        self.owner._write_paused = True

    def resume_writing(self) -> None:
        self.owner._on_write_drained()


def _destroyed_error(what: str) -> NodeError:
    return NodeError("Cannot call %s after a stream was destroyed" % what, "ERR_STREAM_DESTROYED")


class Socket(EventEmitter):
    """Node's net.Socket: a duplex stream over a TCP or Unix-domain connection."""

    writableHighWaterMark = HIGH_WATER_MARK
    readableHighWaterMark = HIGH_WATER_MARK

    def __init__(self, options: Optional[Dict[str, Any]] = None, **kwargs: Any) -> None:
        super().__init__()
        opts = merge_options(options, kwargs)
        self.allowHalfOpen = bool(opts.get("allowHalfOpen", False))
        hwm = opts.get("highWaterMark")
        for name in ("writableHighWaterMark", "readableHighWaterMark"):
            value = opts.get(name, hwm)
            if value is not None:
                if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
                    raise NodeTypeError('The value "%r" is invalid for option "%s"' % (value, name),
                                        "ERR_INVALID_ARG_VALUE")
                setattr(self, name, int(value))
        self._loop = _runtime.get_loop()
        self._transport: Any = None
        self._protocol: Optional[_SocketProtocol] = None
        self._connect_task: Any = None
        self._was_connected = False     # a transport was ever attached
        self.connecting = False
        self.destroyed = False
        self.bytesRead = 0
        self._bytes_written = 0
        self._bytes_dispatched = 0
        # writable side
        self._ready = False             # transport (or TLS session) ready for writes
        self._queue: Optional[Deque[Tuple[bytes, Any]]] = None   # writes before ready
        self._queued_bytes = 0
        self._write_paused = False      # the transport holds >= writableHighWaterMark
        self._drain_cbs: Optional[List[Any]] = None
        self._end_cbs: Optional[List[Any]] = None
        self._need_drain = False
        self._ending = False            # end() called
        self._write_shut = False        # our side shut down (FIN / close_notify sent)
        self._finished = False
        # readable side
        self._flowing: Optional[bool] = None
        self._rbuf: Optional[Deque[bytes]] = None
        self._rbuf_size = 0
        self._reading_paused = False    # we paused the transport's reading
        self._eof = False               # peer ended
        self._ended_emitted = False
        self._decoder: Any = None
        # misc
        self._timeout_ms: Optional[float] = None
        self._timer: Any = None
        self._last_active = 0.0
        self._had_error = False
        self._close_emitted = False
        self._close_before_connect: Any = None
        self._tcp_ready = False
        self._destroy_error: Optional[BaseException] = None
        self._refed = True
        self._server: Optional["Server"] = None
        self._peer: Any = None
        self._sockname: Any = None
        self._family: Optional[int] = None
        self._no_delay: Optional[bool] = None
        self._keep_alive: Optional[Tuple[bool, float]] = None

    # -- attaching a transport -------------------------------------------
    def _on_transport(self, transport: Any) -> None:
        """``connection_made``: an accepted or a freshly connected transport."""
        if self.destroyed:
            transport.abort()
            return
        self._attach_transport(transport)
        if self._server is not None:
            self._server._accepted(self)
            return
        self.connecting = False
        self._on_connect()

    def _attach_transport(self, transport: Any) -> None:
        self._transport = transport
        self._was_connected = True
        sock = transport.get_extra_info("socket")
        if sock is not None:
            self._family = sock.family
            try:
                self._peer = sock.getpeername()
                self._sockname = sock.getsockname()
            except OSError:
                pass
        transport.set_write_buffer_limits(high=max(self.writableHighWaterMark - 1, 0), low=0)
        if self._reading_paused:
            transport.pause_reading()
        if self._no_delay is not None:
            self.setNoDelay(self._no_delay)
        if self._keep_alive is not None:
            self.setKeepAlive(*self._keep_alive)
        if self._refed:
            _runtime.ref_handle(self)

    def _take_transport_from(self, other: "Socket") -> None:
        """Adopt ``other``'s live connection (Node's handle transfer)."""
        transport, protocol = other._transport, other._protocol
        other._transport = other._protocol = None
        other._detached = True
        other._clear_timer()
        _runtime.handle_closed(other)
        self._protocol = protocol
        protocol.owner = self
        self._peer, self._sockname, self._family = other._peer, other._sockname, other._family
        self._write_paused = other._write_paused
        self._server = other._server
        if other._server is not None:
            other._server._swap_connection(other, self)
        if other._reading_paused:
            # other stopped reading for its own buffer; we start with none
            transport.resume_reading()
        self._attach_transport(transport)

    # -- readable side ---------------------------------------------------
    def _on_raw_read(self, view: memoryview) -> None:
        """Raw bytes arrived (a view of a shared buffer: copy or consume now)."""
        self.bytesRead += len(view)
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
            self._emit_data(chunk)
            return
        if self._rbuf is None:
            self._rbuf = deque()
        self._rbuf.append(chunk)
        self._rbuf_size += len(chunk)
        if self._rbuf_size >= self.readableHighWaterMark and not self._reading_paused:
            self._reading_paused = True
            if self._transport is not None:
                self._transport.pause_reading()

    def _emit_data(self, chunk: bytes) -> None:
        self._bytes_dispatched += len(chunk)
        if self._decoder is not None:
            text = self._decoder.decode(chunk)
            if text:
                self.emit("data", text)
        else:
            self.emit("data", chunk)

    def _push_eof(self) -> None:
        """Readable side input: the peer ended (FIN or close_notify)."""
        if self._eof or self.destroyed:
            return
        self._eof = True
        self._maybe_emit_end()

    def _maybe_emit_end(self) -> None:
        # Node: 'end' comes once the buffer is empty, consumed or not.
        if self._eof and not self._ended_emitted and not self._rbuf:
            self._ended_emitted = True
            self._loop.call_soon(self._emit_end)

    def _emit_end(self) -> None:
        if self.destroyed:
            return
        if self._decoder is not None:
            tail = self._decoder.decode(b"", True)
            if tail:
                self.emit("data", tail)
        self.emit("end")
        if self.destroyed:
            return
        if not self.allowHalfOpen and not self._ending:
            self.end()
        self._maybe_close()

    def _flush_read_buffer(self) -> None:
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

    def pause(self) -> "Socket":
        """Stop 'data' events; reading stops once the buffer is full (TCP backpressure)."""
        self._flowing = False
        return self

    def resume(self) -> "Socket":
        if not self._flowing:
            self._flowing = True
            self._loop.call_soon(self._flush_read_buffer)
        return self

    def isPaused(self) -> bool:
        return self._flowing is False

    def setEncoding(self, encoding: Optional[str] = None) -> "Socket":
        self._decoder = _decoder("utf8" if encoding is None else encoding)
        return self

    def _add(self, event: Any, listener: Callable[..., Any], prepend: bool) -> "Socket":
        super()._add(event, listener, prepend)
        # Node: attaching a 'data' listener starts the flow unless paused explicitly.
        if event == "data" and self._flowing is None:
            self.resume()
        return self

    def pipe(self, destination: Any, options: Optional[Dict[str, Any]] = None) -> Any:
        """Node's readable.pipe: write every chunk, respect 'drain', end at 'end'."""
        end = True if options is None else options.get("end", True)

        def ondata(chunk: Any) -> None:
            if destination.write(chunk) is False:
                self.pause()

        def ondrain(*_: Any) -> None:
            if self._flowing is False:
                self.resume()

        destination.on("drain", ondrain)
        self.on("data", ondata)
        if end:
            self.once("end", lambda *a: destination.end())
        if hasattr(destination, "emit"):
            destination.emit("pipe", self)
        if not self._flowing:
            self.resume()
        return destination

    # -- writable side ---------------------------------------------------
    @property
    def writableLength(self) -> int:
        size = self._queued_bytes
        transport = self._transport
        if transport is not None and self._ready and not transport.is_closing():
            size += transport.get_write_buffer_size()
        return size

    @property
    def writableNeedDrain(self) -> bool:
        return self._need_drain

    @property
    def readableLength(self) -> int:
        return self._rbuf_size

    @property
    def readableFlowing(self) -> Optional[bool]:
        return self._flowing

    @property
    def bytesWritten(self) -> int:
        return self._bytes_written

    @property
    def writable(self) -> bool:
        return not (self.destroyed or self._ending)

    @property
    def readable(self) -> bool:
        return not (self.destroyed or self._ended_emitted)

    @property
    def writableEnded(self) -> bool:
        return self._ending

    @property
    def writableFinished(self) -> bool:
        return self._finished

    @property
    def readableEnded(self) -> bool:
        return self._ended_emitted

    @property
    def closed(self) -> bool:
        return self._close_emitted

    def write(self, data: Any, encoding: Any = None, cb: Optional[Callable[..., Any]] = None) -> bool:
        """Queue ``data``; False once ``writableLength`` reaches the high-water mark."""
        if callable(encoding):
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
        chunk = to_bytes(data, encoding)
        self._bytes_written += len(chunk)
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
            self._queued_bytes += len(chunk)
        else:
            self._write_chunk(chunk, cb)
        if self.writableLength >= self.writableHighWaterMark:
            self._need_drain = True
            return False
        return True

    def cork(self) -> None:
        """Accepted for compatibility; writes are not held back."""

    def uncork(self) -> None:
        """Accepted for compatibility; writes are not held back."""

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

    def _set_ready(self) -> None:
        """The connection (or TLS session) can carry data: flush queued writes."""
        self._ready = True
        listener = self._close_before_connect
        if listener is not None:
            self._close_before_connect = None
            self.removeListener("close", listener)
            self.removeListener("connect", self._flush_on_connect)
        queue, self._queue = self._queue, None
        self._queued_bytes = 0
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
        cbs, self._drain_cbs = self._drain_cbs, None
        # Node's afterWrite: 'drain' (not once ending) first, then the
        # callbacks of what was written.
        if self._need_drain and not self._ending and not self.destroyed \
                and self.writableLength < self.writableHighWaterMark:
            self._need_drain = False
            self.emit("drain")
        for cb in cbs or ():
            _call_cb(cb, None)
        if self._write_shut and not self._finished and not self.destroyed:
            self._emit_finish()

    def end(self, data: Any = None, encoding: Any = None, cb: Optional[Callable[..., Any]] = None) -> "Socket":
        """Write ``data`` (if any), then send FIN; 'finish' once it is all handed to the kernel."""
        if callable(data):
            cb, data = data, None
        elif callable(encoding):
            cb, encoding = encoding, None
        if data is not None and not self._ending:
            self.write(data, encoding)
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
        if self._finished and (self._ended_emitted or self._transport is None) and not self.destroyed:
            self.destroy()

    # -- connection ------------------------------------------------------
    def connect(self, *args: Any, **kwargs: Any) -> "Socket":
        """connect(options[, cb]) | connect(port[, host][, cb]) | connect(path[, cb])."""
        options, cb = _normalize_connect_args(args, kwargs)
        path = options.get("path")
        if path is None:
            if options.get("port") is None:
                raise NodeTypeError('The "options" or "port" or "path" argument must be specified',
                                    "ERR_MISSING_ARGS")
            options["port"] = _validate_port(options["port"])
            host = options.get("host")
            if host is not None and not isinstance(host, str):
                raise NodeTypeError('The "options.host" property must be of type string. Received %r'
                                    % (host,), "ERR_INVALID_ARG_TYPE")
        elif not isinstance(path, str):
            raise NodeTypeError('The "options.path" property must be of type string. Received %r' % (path,),
                                "ERR_INVALID_ARG_TYPE")
        if self.destroyed:
            raise NodeError("Cannot connect a destroyed socket", "ERR_SOCKET_CLOSED")
        if cb is not None:
            self.once("connect", cb)
        if options.get("noDelay"):
            self._no_delay = True
        if options.get("keepAlive"):
            self._keep_alive = (True, options.get("keepAliveInitialDelay") or 0)
        self.connecting = True
        if self._refed:
            _runtime.ref_handle(self)
        if options.get("timeout"):
            self.setTimeout(options["timeout"])
        self._connect_task = self._loop.create_task(self._connect(options))
        return self

    async def _connect(self, options: Dict[str, Any]) -> None:
        path = options.get("path")
        self._protocol = _SocketProtocol(self)
        factory = lambda: self._protocol  # noqa: E731
        if path is not None:
            try:
                await self._loop.create_unix_connection(factory, path)
            except (OSError, ValueError) as exc:
                self.connecting = False
                self.destroy(errno_error(exc, "connect", address=path))
            return
        host = options.get("host") or "localhost"
        port = options["port"]
        family = {4: _socket.AF_INET, 6: _socket.AF_INET6}.get(options.get("family") or 0, 0)
        kind = isIP(host)
        if kind:
            addresses = [(_socket.AF_INET6 if kind == 6 else _socket.AF_INET, host)]
        else:
            try:
                infos = await self._loop.getaddrinfo(host, port, family=family, type=_socket.SOCK_STREAM)
            except (_socket.gaierror, UnicodeError) as exc:
                err = _lookup_error(exc, host)
                if not self.destroyed:
                    self.emit("lookup", err, None, None, host)
                    self.connecting = False
                    self.destroy(err)
                return
            addresses = []
            for info in infos:
                if (info[0], info[4][0]) not in addresses:
                    addresses.append((info[0], info[4][0]))
            if self.destroyed:
                return
            for af, address in addresses[:1]:
                self.emit("lookup", None, address, 6 if af == _socket.AF_INET6 else 4, host)
                if self.destroyed:
                    return
        local = None
        if options.get("localAddress") or options.get("localPort"):
            local = (options.get("localAddress") or ("::" if addresses[0][0] == _socket.AF_INET6 else "0.0.0.0"),
                     int(options.get("localPort") or 0))
        first_error: Optional[BaseException] = None
        for af, address in addresses:
            try:
                await self._loop.create_connection(factory, address, port, family=af, local_addr=local)
                return
            except OSError as exc:
                if first_error is None:
                    first_error = errno_error(exc, "connect", address=address, port=port)
            except (ValueError, TypeError) as exc:
                if first_error is None:
                    first_error = exc
            if self.destroyed:
                return
        self.connecting = False
        if first_error is not None:
            self.destroy(first_error)

    def _on_connect(self) -> None:
        """Hook: TCP is up: 'connect' (queued writes are flushed by the listener
        the first of them added), 'ready'.  TLSSocket starts its handshake instead."""
        self._tcp_ready = True
        self.emit("connect")
        self.emit("ready")
        if not self._ready and not self.destroyed:
            self._set_ready()

    def _flush_on_connect(self, *_: Any) -> None:
        if self._tcp_ready and not self._ready and not self.destroyed:
            self._set_ready()

    # -- errors and closing ----------------------------------------------
    def _on_connection_lost(self, exc: Optional[BaseException]) -> None:
        """Hook: the transport is gone (error, or closed under us)."""
        self._transport = None
        if self.destroyed:
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

    def destroy(self, error: Optional[BaseException] = None) -> "Socket":
        """Close now; 'error' (if given) then 'close'(hadError) on later iterations."""
        if self.destroyed:
            return self
        self.destroyed = True
        self.connecting = False
        self._clear_timer()
        task, self._connect_task = self._connect_task, None
        if task is not None and not task.done():
            task.cancel()
        transport = self._transport
        if transport is not None:
            if error is not None:
                transport.abort()
            else:
                transport.close()
        if error is not None:
            self._had_error = True
            self._destroy_error = error
        self._on_destroy()
        self._loop.call_soon(self._emit_destroyed, error)
        return self

    def _on_destroy(self) -> None:
        """Hook: release per-connection state (the TLS engine)."""

    def _emit_destroyed(self, error: Optional[BaseException]) -> None:
        # Node: pending callbacks and 'error' on the next tick, 'close' once
        # the handle is closed (a loop iteration later); the server counts
        # the connection gone before that (its 'close' can come first).
        try:
            self._fail_pending_callbacks(error)
            if error is not None:
                self.emit("error", error)
        finally:
            if self._server is not None:
                self._server._connection_closed(self)
            self._loop.call_soon(self._emit_close, error is not None)

    def _emit_close(self, had_error: bool) -> None:
        _runtime.handle_closed(self)
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
        for _, cb in queue or ():
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

    def destroySoon(self) -> None:
        if self.writable:
            self.end()
        if self._finished:
            self.destroy()
        else:
            self.once("finish", lambda *a: self.destroy())

    def resetAndDestroy(self) -> "Socket":
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

    # -- timeouts --------------------------------------------------------
    def setTimeout(self, timeout: float, callback: Optional[Callable[..., Any]] = None) -> "Socket":
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

    def setNoDelay(self, noDelay: bool = True) -> "Socket":
        """TCP_NODELAY on (default) or off; remembered until connected."""
        self._no_delay = bool(noDelay)
        sock = self._raw_socket()
        if sock is not None and sock.family in (_socket.AF_INET, _socket.AF_INET6):
            try:
                sock.setsockopt(_socket.IPPROTO_TCP, _socket.TCP_NODELAY, 1 if noDelay else 0)
            except OSError:
                pass
        return self

    def setKeepAlive(self, enable: bool = False, initialDelay: float = 0) -> "Socket":
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

    def ref(self) -> "Socket":
        """Keep ``tls.run`` alive while this socket is open (the default)."""
        self._refed = True
        if not self.destroyed and (self._transport is not None or self.connecting):
            _runtime.ref_handle(self)
        return self

    def unref(self) -> "Socket":
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


Stream = Socket


def _family_name(family: Optional[int]) -> Optional[str]:
    if family == _socket.AF_INET6:
        return "IPv6"
    if family == _socket.AF_INET:
        return "IPv4"
    return None


def _address_dict(sockname: Any, family: Optional[int]) -> Optional[Dict[str, Any]]:
    if isinstance(sockname, tuple):
        return {"address": sockname[0], "family": _family_name(family), "port": sockname[1]}
    return None


def _validate_port(port: Any, allow_zero: bool = True) -> int:
    if isinstance(port, str) and port.strip().isdigit():
        port = int(port)
    elif isinstance(port, float) and port.is_integer():
        port = int(port)
    if isinstance(port, bool) or not isinstance(port, int) or not 0 <= port <= 65535 \
            or (port == 0 and not allow_zero):
        raise NodeRangeError("Port should be %s 0 and < 65536. %s."
                             % (">=" if allow_zero else ">", _received(port)), "ERR_SOCKET_BAD_PORT")
    return port


def _is_pipe_name(value: Any) -> bool:
    """Node's isPipeName: a string that is not a number."""
    if not isinstance(value, str):
        return False
    try:
        float(value)
    except ValueError:
        return True
    return False


def _normalize_connect_args(args: tuple, kwargs: Dict[str, Any]) -> Tuple[Dict[str, Any], Optional[Callable[..., Any]]]:
    """Node's normalizeArgs: (options[, cb]) | (port[, host][, cb]) | (path[, cb])."""
    args = list(args)
    cb = None
    if args and callable(args[-1]):
        cb = args.pop()
    options: Dict[str, Any] = {}
    if args and isinstance(args[0], dict):
        options = dict(args[0])
    elif args and _is_pipe_name(args[0]):
        options["path"] = args[0]
    elif args:
        options["port"] = args[0]
        if len(args) > 1 and isinstance(args[1], str):
            options["host"] = args[1]
    options.update(kwargs)
    if cb is None and callable(options.get("callback")):
        cb = options.pop("callback")
    return options, cb


def connect(*args: Any, **kwargs: Any) -> Socket:
    """net.connect(options[, cb]) / (port[, host][, cb]) / (path[, cb])."""
    options, cb = _normalize_connect_args(args, kwargs)
    sock = Socket(options)
    return sock.connect(options, cb) if cb is not None else sock.connect(options)


createConnection = connect


class Server(EventEmitter):
    """Node's net.Server on asyncio."""

    _socket_class = Socket

    def __init__(self, options: Any = None, connectionListener: Optional[Callable[..., Any]] = None,
                 **kwargs: Any) -> None:
        super().__init__()
        if callable(options):
            connectionListener, options = options, None
        opts = merge_options(options, kwargs)
        self._loop = _runtime.get_loop()
        self.allowHalfOpen = bool(opts.get("allowHalfOpen", False))
        self.pauseOnConnect = bool(opts.get("pauseOnConnect", False))
        self.noDelay = bool(opts.get("noDelay", False))
        self.keepAlive = bool(opts.get("keepAlive", False))
        self.keepAliveInitialDelay = opts.get("keepAliveInitialDelay") or 0
        self.maxConnections: Optional[int] = None
        self._sock: Optional[_socket.socket] = None
        self._path: Optional[str] = None
        self._connections: set = set()
        self._closing = False
        self._refed = True
        self._backlog = 511
        self.listening = False
        if connectionListener is not None:
            self.on("connection", connectionListener)

    # -- listen ----------------------------------------------------------
    def listen(self, *args: Any, **kwargs: Any) -> "Server":
        """listen([port[, host[, backlog]]][, cb]) | listen(path[, backlog][, cb]) | listen(options[, cb])."""
        args = list(args)
        cb = args.pop() if args and callable(args[-1]) else kwargs.pop("callback", None)
        options: Dict[str, Any] = {}
        rest: List[Any] = []
        if args and isinstance(args[0], dict):
            options = dict(args[0])
        elif args and _is_pipe_name(args[0]):
            options["path"] = args[0]
            rest = args[1:]
        elif args:
            options["port"] = args[0]
            rest = args[1:]
            if rest and (isinstance(rest[0], str) or rest[0] is None):
                options["host"] = rest.pop(0)
        for value in rest:
            if isinstance(value, int) and not isinstance(value, bool):
                options["backlog"] = value
                break
        options.update(kwargs)
        if self.listening:
            raise NodeError("Listen method has been called more than once without closing.",
                            "ERR_SERVER_ALREADY_LISTEN")
        path = options.get("path")
        port = options.get("port")
        if path is None:
            port = 0 if port is None else _validate_port(port)
        elif not isinstance(path, str):
            raise NodeTypeError('The "options.path" property must be of type string', "ERR_INVALID_ARG_TYPE")
        if cb is not None:
            self.once("listening", cb)
        backlog = options.get("backlog")
        self._backlog = int(backlog) if isinstance(backlog, int) and backlog > 0 else 511
        self._path = path   # Node's _pipeName: address() gives it even if listening fails
        try:
            if path is not None:
                sock = self._bind_unix(path, self._backlog)
            else:
                sock = self._bind_tcp(options.get("host"), port, self._backlog, bool(options.get("ipv6Only")))
        except NodeError as err:
            self._loop.call_soon(self.emit, "error", err)
            return self
        self._sock = sock
        self.listening = True
        self._closing = False
        self._loop.add_reader(sock.fileno(), self._on_acceptable)
        if self._refed:
            _runtime.ref_handle(self)
        self._loop.call_soon(self._emit_listening, sock)
        return self

    def _emit_listening(self, sock: _socket.socket) -> None:
        if self._sock is sock and self.listening:  # not closed in between (Node checks too)
            self.emit("listening")

    def _bind_tcp(self, host: Optional[str], port: int, backlog: int, ipv6_only: bool) -> _socket.socket:
        if host in (None, ""):
            candidates = [(_socket.AF_INET6, "::"), (_socket.AF_INET, "0.0.0.0")]
        else:
            kind = isIP(host)
            if kind:
                candidates = [(_socket.AF_INET6 if kind == 6 else _socket.AF_INET, host)]
            else:
                try:
                    infos = _socket.getaddrinfo(host, port, 0, _socket.SOCK_STREAM, 0, _socket.AI_PASSIVE)
                except (_socket.gaierror, UnicodeError) as exc:
                    raise _lookup_error(exc, host)
                candidates = [(info[0], info[4][0]) for info in infos[:1]]
        last: Optional[OSError] = None
        address = host
        for family, address in candidates:
            sock = _socket.socket(family, _socket.SOCK_STREAM)
            try:
                sock.setsockopt(_socket.SOL_SOCKET, _socket.SO_REUSEADDR, 1)
                if family == _socket.AF_INET6:
                    sock.setsockopt(_socket.IPPROTO_IPV6, _socket.IPV6_V6ONLY, 1 if ipv6_only else 0)
                sock.bind((address, port))
                sock.listen(backlog)
                sock.setblocking(False)
                return sock
            except OSError as exc:
                sock.close()
                last = exc
                if exc.errno not in (_errno.EAFNOSUPPORT, _errno.EADDRNOTAVAIL) or address != "::":
                    break
        assert last is not None
        raise errno_error(last, "listen", describe=True, address=address, port=port)

    def _bind_unix(self, path: str, backlog: int) -> _socket.socket:
        sock = _socket.socket(_socket.AF_UNIX, _socket.SOCK_STREAM)
        try:
            sock.bind(path)
            sock.listen(backlog)
            sock.setblocking(False)
        except OSError as exc:
            sock.close()
            raise errno_error(exc, "listen", describe=True, address=path, port=-1)
        return sock

    def _on_acceptable(self) -> None:
        sock = self._sock
        for _ in range(self._backlog):
            if sock is None or not self.listening:
                return
            try:
                conn, _addr = sock.accept()
            except (BlockingIOError, InterruptedError):
                return
            except ConnectionAbortedError:
                continue
            except OSError as exc:
                if exc.errno in (_errno.EMFILE, _errno.ENFILE, _errno.ENOBUFS, _errno.ENOMEM):
                    # Out of descriptors: stop accepting for a moment (asyncio does the same).
                    self._loop.remove_reader(sock.fileno())
                    self._loop.call_later(1.0, self._resume_accepting, sock)
                    self.emit("error", errno_error(exc, "accept"))
                    return
                self.emit("error", errno_error(exc, "accept"))
                return
            conn.setblocking(False)
            self._loop.create_task(self._adopt(conn))

    def _resume_accepting(self, sock: _socket.socket) -> None:
        if self._sock is sock and self.listening:
            self._loop.add_reader(sock.fileno(), self._on_acceptable)

    async def _adopt(self, conn: _socket.socket) -> None:
        try:
            await self._loop.connect_accepted_socket(self._make_protocol, conn)
        except OSError:
            conn.close()

    def _make_protocol(self) -> _SocketProtocol:
        sock = self._socket_class({"allowHalfOpen": self.allowHalfOpen})
        sock._server = self
        protocol = _SocketProtocol(sock)
        sock._protocol = protocol
        return protocol

    def _accepted(self, sock: Socket) -> None:
        if self._closing or not self.listening:
            sock._server = None
            sock.destroy()
            return
        if self.maxConnections is not None and len(self._connections) >= self.maxConnections:
            data = {"localAddress": sock.localAddress, "localPort": sock.localPort,
                    "localFamily": sock.localFamily, "remoteAddress": sock.remoteAddress,
                    "remotePort": sock.remotePort, "remoteFamily": sock.remoteFamily}
            sock._server = None
            sock.destroy()
            self.emit("drop", data)
            return
        self._connections.add(sock)
        if self.noDelay:
            sock.setNoDelay(True)
        if self.keepAlive:
            sock.setKeepAlive(True, self.keepAliveInitialDelay)
        if self.pauseOnConnect:
            sock.pause()
        sock._set_ready()
        self.emit("connection", sock)

    def _swap_connection(self, old: Socket, new: Socket) -> None:
        if old in self._connections:
            self._connections.discard(old)
            self._connections.add(new)

    def _connection_closed(self, sock: Socket) -> None:
        if sock in self._connections:
            self._connections.discard(sock)
            if self._sock is None and not self._connections:
                self._loop.call_soon(self._emit_close)

    # -- close and facts -------------------------------------------------
    def close(self, callback: Optional[Callable[..., Any]] = None) -> "Server":
        """Stop accepting; 'close' once every connection has closed.

        ``callback(err)`` runs on 'close', with ERR_SERVER_NOT_RUNNING when the
        server was not listening (Node emits 'close' in that case too).
        """
        if callback is not None:
            if self._sock is None:
                err = NodeError("Server is not running.", "ERR_SERVER_NOT_RUNNING")
                self.once("close", lambda *a: _call_cb(callback, err))
            else:
                self.once("close", lambda *a: _call_cb(callback, None))
        sock, self._sock = self._sock, None
        if sock is not None:
            self.listening = False
            self._closing = True
            try:
                self._loop.remove_reader(sock.fileno())
            except (ValueError, OSError):
                pass
            sock.close()
            if self._path:
                try:
                    if _stat.S_ISSOCK(os.stat(self._path).st_mode):
                        os.unlink(self._path)
                except OSError:
                    pass
            _runtime.handle_closed(self)
        if not self._connections:
            self._loop.call_soon(self._emit_close)
        return self

    def _emit_close(self) -> None:
        if self._sock is None and not self._connections:
            self.emit("close")

    def address(self) -> Any:
        """{address, family, port} while listening on TCP; the path of a Unix
        socket server (even once closed, as Node); else None."""
        if self._path is not None:
            return self._path
        if self._sock is None:
            return None
        return _address_dict(self._sock.getsockname(), self._sock.family)

    @property
    def connections(self) -> int:
        """How many connections are open (Node's old ``server.connections``)."""
        return len(self._connections)

    def getConnections(self, cb: Callable[..., Any]) -> "Server":
        self._loop.call_soon(cb, None, len(self._connections))
        return self

    def ref(self) -> "Server":
        self._refed = True
        if self.listening:
            _runtime.ref_handle(self)
        return self

    def unref(self) -> "Server":
        self._refed = False
        _runtime.unref_handle(self)
        return self


def createServer(options: Any = None, connectionListener: Optional[Callable[..., Any]] = None,
                 **kwargs: Any) -> Server:
    return Server(options, connectionListener, **kwargs)
