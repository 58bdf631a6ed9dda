"""Node's ``net`` module on asyncio: ``Socket``, ``Server``, ``connect``, ``createServer``.

A ``Socket`` is a Node duplex stream over an asyncio transport.  The asyncio
protocol object is a thin forwarder (``_SocketProtocol``) whose ``owner`` is
the Socket; ``tls.TLSSocket`` subclasses Socket and overrides the four raw
hooks (``_on_raw_data``, ``_on_raw_eof``, ``_write_chunk``,
``_shutdown_write``) to put its engine between the transport and the stream.
Taking over a connected Socket (what ``new TLSSocket(socket)`` and the TLS
server do) is just re-pointing the protocol's ``owner``.

Stream rules kept from Node:
  * readable: 'data' flows once a 'data' listener is added or ``resume()`` is
    called, is buffered while paused (with the transport paused, so TCP
    backpressure reaches the peer), and 'end' comes only after the buffer is
    drained.  Without ``allowHalfOpen`` the socket ends its side after 'end'.
  * writable: ``write`` returns False once ``writableLength`` passes
    ``writableHighWaterMark`` (16 KiB) and 'drain' follows when the transport
    buffer has emptied; writes before the connection (or, for TLS, before
    the handshake) are queued.  ``end`` -> 'finish' once everything is handed
    to the kernel.
  * 'close' (hadError) comes last, once, after 'end'/'finish' or 'error'.
"""
from __future__ import annotations

import asyncio
import codecs
import errno as _errno
import ipaddress
import os
import socket as _socket
from collections import deque
from typing import Any, Callable, Deque, Dict, Optional, Tuple

from . import _runtime
from .errors import NodeError, NodeTypeError, NodeRangeError
from .events import EventEmitter

__all__ = ["Socket", "Server", "connect", "createConnection", "createServer", "isIP", "isIPv4", "isIPv6"]

HIGH_WATER_MARK = 16 * 1024
_READ_SIZE = 256 * 1024


def isIP(value: Any) -> int:
    try:
        return ipaddress.ip_address(str(value).split("%", 1)[0]).version
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


def to_bytes(data: Any, encoding: Optional[str] = None) -> bytes:
    """Node's Buffer.from(chunk, encoding) for what write() accepts."""
    if isinstance(data, bytes):
        return data
    if isinstance(data, (bytearray, memoryview)):
        return bytes(data)
    if isinstance(data, str):
        enc = (encoding or "utf8").lower()
        if enc in ("utf8", "utf-8"):
            return data.encode("utf-8", "surrogatepass")
        if enc == "hex":
            return bytes.fromhex(data[: len(data) // 2 * 2])
        if enc in ("base64", "base64url"):
            import base64
            padded = data + "=" * (-len(data) % 4)
            return base64.urlsafe_b64decode(padded.replace("+", "-").replace("/", "_"))
        if enc in ("latin1", "binary"):
            return data.encode("latin-1", "replace")
        if enc == "ascii":
            return data.encode("latin-1", "replace")
        if enc in ("ucs2", "ucs-2", "utf16le", "utf-16le"):
            return data.encode("utf-16-le")
        raise NodeTypeError("Unknown encoding: %s" % encoding, "ERR_UNKNOWN_ENCODING")
    raise NodeTypeError(
        'The "chunk" argument must be of type string or an instance of Buffer or Uint8Array. '
        "Received %s" % type(data).__name__, "ERR_INVALID_ARG_TYPE")


def _decoder(encoding: str) -> Any:
    enc = encoding.lower()
    if enc in ("hex", "base64", "base64url"):
        return _BinaryTextDecoder(enc)
    name = {"utf8": "utf-8", "latin1": "latin-1", "binary": "latin-1", "ucs2": "utf-16-le",
            "utf16le": "utf-16-le", "ascii": "latin-1"}.get(enc, enc)
    return codecs.getincrementaldecoder(name)(errors="replace")


class _BinaryTextDecoder:
    def __init__(self, encoding: str) -> None:
        self.encoding = encoding
        self.pending = b""

    def decode(self, data: bytes, final: bool = False) -> str:
        if self.encoding == "hex":
            return data.hex()
        import base64
        data = self.pending + data
        keep = 0 if final else len(data) % 3
        self.pending = data[len(data) - keep:] if keep else b""
        out = base64.b64encode(data[: len(data) - keep]).decode()
        if self.encoding == "base64url":
            out = out.replace("+", "-").replace("/", "_").rstrip("=")
        return out


def errno_error(exc: BaseException, syscall: str, **attrs: Any) -> NodeError:
    """An OSError as Node reports it: code = errno name, errno negative, syscall."""
    if isinstance(exc, NodeError):
        return exc
    num = getattr(exc, "errno", None)
    if isinstance(exc, ConnectionResetError) or num is None and isinstance(exc, ConnectionError):
        num = _errno.ECONNRESET
    name = _errno.errorcode.get(num, "EIO") if num else "EIO"
    message = "%s %s" % (syscall, name)
    if "address" in attrs and attrs["address"] is not None:
        message += " %s" % attrs["address"]
        if attrs.get("port") is not None:
            message += ":%s" % attrs["port"]
    return NodeError(message, name, errno=-(num or _errno.EIO), syscall=syscall, **attrs)


class _SocketProtocol(asyncio.BufferedProtocol):
    """Forwards transport events to ``owner``; reads land in one shared buffer.

    asyncio calls ``buffer_updated`` right after ``recv_into`` with no other
    code in between, so every connection can share a single read buffer.
    """

    __slots__ = ("owner",)
    _buffer = bytearray(_READ_SIZE)
    _view = memoryview(_buffer)

    def __init__(self, owner: "Socket") -> None:
        self.owner = owner

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


class Socket(EventEmitter):
    """Node's net.Socket: a duplex stream over a TCP or Unix-domain connection."""

    writableHighWaterMark = HIGH_WATER_MARK
    readableHighWaterMark = HIGH_WATER_MARK

    def __init__(self, options: Optional[Dict[str, Any]] = None, **kwargs: Any) -> None:
        super().__init__()
        opts = merge_options(options, kwargs)
        self.allowHalfOpen = bool(opts.get("allowHalfOpen", False))
        self._loop = _runtime.get_loop()
        self._transport: Any = None
        self._protocol: Optional[_SocketProtocol] = None
        self.connecting = False
        self.destroyed = False
        self.bytesRead = 0
        self._bytes_dispatched = 0
        self._ready = False             # transport (or TLS session) ready for writes
        self._queue: Optional[Deque[Tuple[bytes, Any]]] = None   # writes before ready
        self._queued_bytes = 0
        self._write_paused = False
        self._drain_cbs: Optional[list] = None
        self._need_drain = False
        self._ending = False            # end() called
        self._write_shut = False        # our side shut down (FIN / close_notify sent)
        self._finished = False
        self._flowing: Optional[bool] = None
        self._rbuf: Optional[Deque[bytes]] = None
        self._eof = False               # peer ended
        self._ended_emitted = False
        self._decoder: Any = None
        self._timeout_ms = 0
        self._timer: Any = None
        self._last_active = 0.0
        self._had_error = False
        self._refed = True
        self._server: Optional["Server"] = None
        self._peer: Optional[tuple] = None
        self._sockname: Optional[tuple] = None
        self._family: Optional[int] = None

    # -- attaching a transport -------------------------------------------
    def _on_transport(self, transport: Any) -> None:
        self._attach_transport(transport)
        if self._server is not None:
            self._server._accepted(self)

    def _attach_transport(self, transport: Any) -> None:
        self._transport = transport
        sock = transport.get_extra_info("socket")
        if sock is not None:
            self._family = sock.family
            try:
                self._peer = sock.getpeername()
                self._sockname = sock.getsockname()
            except OSError:
                pass
        transport.set_write_buffer_limits(high=self.writableHighWaterMark, low=0)
        if self._flowing is False:
            transport.pause_reading()
        _runtime.ref_handle(self) if self._refed else None

    def _take_transport_from(self, other: "Socket") -> None:
        """Adopt ``other``'s live connection (Node's handle transfer)."""
        transport, protocol = other._transport, other._protocol
        other._transport = other._protocol = None
        other._detached = True
        _runtime.handle_closed(other)
        self._protocol = protocol
        protocol.owner = self
        self._peer, self._sockname, self._family = other._peer, other._sockname, other._family
        self._server = other._server
        if other._server is not None:
            other._server._swap_connection(other, self)
        self._attach_transport(transport)

    # -- readable side ---------------------------------------------------
    def _on_raw_read(self, view: memoryview) -> None:
        """Raw bytes arrived (a view of a shared buffer: copy or consume now)."""
        self.bytesRead += len(view)
        self._touch()
        self._on_raw_data(view)

    def _on_raw_data(self, data: Any) -> None:
        self._push(bytes(data))

    def _on_raw_eof(self) -> None:
        self._push_eof()

    def _push(self, chunk: bytes) -> None:
        if not chunk or self.destroyed:
            return
        if self._flowing and not self._rbuf:
            self._emit_data(chunk)
            return
        if self._rbuf is None:
            self._rbuf = deque()
        self._rbuf.append(chunk)
        if not self._flowing and self._transport is not None:
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
        if self._eof or self.destroyed:
            return
        self._eof = True
        self._maybe_emit_end()

    def _maybe_emit_end(self) -> None:
        if self._eof and not self._ended_emitted and not self._rbuf and self._flowing:
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
        if not self.allowHalfOpen and not self._ending:
            self.end()
        self._maybe_close()

    def _flush_read_buffer(self) -> None:
        while self._rbuf and self._flowing and not self.destroyed:
            self._emit_data(self._rbuf.popleft())
        if self._flowing and not self.destroyed:
            if self._transport is not None and not self._eof:
                self._transport.resume_reading()
            self._maybe_emit_end()

    def pause(self) -> "Socket":
        self._flowing = False
        if self._transport is not None and not self._eof:
            self._transport.pause_reading()
        return self

    def resume(self) -> "Socket":
        if not self._flowing:
            self._flowing = True
            self._loop.call_soon(self._flush_read_buffer)
        return self

    def isPaused(self) -> bool:
        return self._flowing is False

    def setEncoding(self, encoding: Optional[str] = None) -> "Socket":
        self._decoder = _decoder(encoding or "utf8")
        return self

    def _add(self, event: Any, listener: Callable[..., Any], prepend: bool) -> "Socket":
        super()._add(event, listener, prepend)
        # Node: attaching a 'data' listener starts the flow unless paused explicitly.
        if event == "data" and self._flowing is not False:
            self.resume()
        return self

    def pipe(self, destination: Any, options: Optional[Dict[str, Any]] = None) -> Any:
        """Node's readable.pipe: write every chunk, respect 'drain', end at 'end'."""
        end = True if options is None else options.get("end", True)

        def ondata(chunk: Any) -> None:
            if destination.write(chunk) is False:
                self.pause()

        destination.on("drain", lambda *a: self.resume())
        self.on("data", ondata)
        if end:
            self.once("end", lambda *a: destination.end())
        if hasattr(destination, "emit"):
            destination.emit("pipe", self)
        return destination

    # -- writable side ---------------------------------------------------
    @property
    def writableLength(self) -> int:
        size = self._queued_bytes
        if self._transport is not None and not self._transport.is_closing():
            size += self._transport.get_write_buffer_size()
        return size

    @property
    def bytesWritten(self) -> int:
        return self._bytes_written_total()

    def _bytes_written_total(self) -> int:
        return getattr(self, "_bytes_written", 0)

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

    def write(self, data: Any, encoding: Any = None, cb: Optional[Callable[..., Any]] = None) -> bool:
        if callable(encoding):
            cb, encoding = encoding, None
        if self._ending or self.destroyed:
            code, text = (("ERR_STREAM_DESTROYED", "Cannot call write after a stream was destroyed")
                          if self.destroyed else ("ERR_STREAM_WRITE_AFTER_END", "write after end"))
            err = NodeError(text, code)
            if cb is not None:
                self._loop.call_soon(cb, err)
            if not self.destroyed:
                self._loop.call_soon(self._emit_error_then_destroy, err)
            return False
        chunk = to_bytes(data, encoding)
        self._bytes_written = self._bytes_written_total() + len(chunk)
        self._touch()
        if not self._ready:
            if self._queue is None:
                self._queue = deque()
            self._queue.append((chunk, cb))
            self._queued_bytes += len(chunk)
        else:
            self._write_chunk(chunk, cb)
        if self.writableLength >= self.writableHighWaterMark:
            self._need_drain = True
            return False
        return True

    def _write_chunk(self, chunk: bytes, cb: Optional[Callable[..., Any]]) -> None:
        """Hand one chunk to the transport (TLSSocket encrypts first)."""
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
            self._loop.call_soon(cb, None)

    def _set_ready(self) -> None:
        """The connection (or TLS session) can carry data: flush queued writes."""
        self._ready = True
        queue, self._queue = self._queue, None
        self._queued_bytes = 0
        while queue:
            chunk, cb = queue.popleft()
            if self.destroyed:
                return
            self._write_chunk(chunk, cb)
        if self._ending and not self._write_shut:
            self._do_shutdown()
        elif self._need_drain and not self._write_paused:
            self._on_write_drained()

    def _on_write_drained(self) -> None:
        self._write_paused = False
        cbs, self._drain_cbs = self._drain_cbs, None
        for cb in cbs or ():
            cb(None)
        if self._need_drain and self.writableLength < self.writableHighWaterMark:
            self._need_drain = False
            self.emit("drain")
        if self._write_shut and not self._finished:
            self._emit_finish()

    def end(self, data: Any = None, encoding: Any = None, cb: Optional[Callable[..., Any]] = None) -> "Socket":
        if callable(data):
            cb, data = data, None
        elif callable(encoding):
            cb, encoding = encoding, None
        if data is not None and not self._ending:
            self.write(data, encoding)
        if cb is not None:
            self.once("finish", lambda *a: cb())
        if self._ending:
            return self
        self._ending = True
        if self._ready and not self.destroyed:
            self._do_shutdown()
        return self

    def _do_shutdown(self) -> None:
        if self._write_shut:
            return
        self._write_shut = True
        self._shutdown_write()
        transport = self._transport
        if transport is None or not self._write_paused:
            self._loop.call_soon(self._emit_finish)

    def _shutdown_write(self) -> None:
        """Send FIN (TLSSocket sends close_notify first)."""
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
        self.emit("finish")
        self._maybe_close()

    def _maybe_close(self) -> None:
        if self._finished and (self._ended_emitted or self._transport is None) and not self.destroyed:
            self.destroy()

    # -- connection ------------------------------------------------------
    def connect(self, *args: Any, **kwargs: Any) -> "Socket":
        options, cb = _normalize_connect_args(args, kwargs)
        if cb is not None:
            self.once("connect", cb)
        self.connecting = True
        _runtime.ref_handle(self) if self._refed else None
        if options.get("timeout"):
            self.setTimeout(options["timeout"])
        self._loop.create_task(self._connect(options))
        return self

    async def _connect(self, options: Dict[str, Any]) -> None:
        path = options.get("path")
        host = options.get("host") or "localhost"
        port = options.get("port")
        try:
            self._protocol = _SocketProtocol(self)
            if path:
                await self._loop.create_unix_connection(lambda: self._protocol, path)
            else:
                port = _validate_port(port)
                local = None
                if options.get("localAddress") or options.get("localPort"):
                    local = (options.get("localAddress") or "0.0.0.0", int(options.get("localPort") or 0))
                family = {4: _socket.AF_INET, 6: _socket.AF_INET6}.get(options.get("family") or 0, 0)
                await self._loop.create_connection(lambda: self._protocol, host, port,
                                                   local_addr=local, family=family)
        except NodeError as exc:
            self.connecting = False
            self.destroy(exc)
            return
        except OSError as exc:
            self.connecting = False
            address = path or _resolved_host(host)
            attrs = {"address": address} if path else {"address": address, "port": port}
            if isinstance(exc, _socket.gaierror):
                err = NodeError("getaddrinfo ENOTFOUND %s" % host, "ENOTFOUND", errno=-3008,
                                syscall="getaddrinfo", hostname=host)
            else:
                err = errno_error(exc, "connect", **attrs)
            self.destroy(err)
            return
        self.connecting = False
        if self.destroyed:
            if self._transport is not None:
                self._transport.close()
            return
        if options.get("noDelay", True):
            self.setNoDelay(True)
        self._on_connect()

    def _on_connect(self) -> None:
        """TCP is up: emit 'connect'/'ready' and flush (TLSSocket starts its handshake)."""
        self.emit("connect")
        self.emit("ready")
        self._set_ready()

    # -- errors and closing ----------------------------------------------
    def _on_connection_lost(self, exc: Optional[BaseException]) -> None:
        self._transport = None
        if self.destroyed:
            return
        if exc is not None:
            self.destroy(errno_error(exc, "read"))
            return
        # Closed by the peer (or by our own close()) without an error.
        if not self._eof:
            self._on_raw_eof()
        self._finished = True
        self._write_shut = True
        if self._ended_emitted or not self._flowing:
            self.destroy()

    def _emit_error_then_destroy(self, err: BaseException) -> None:
        self.destroy(err)

    def destroy(self, error: Optional[BaseException] = None) -> "Socket":
        if self.destroyed:
            return self
        self.destroyed = True
        self.connecting = False
        self._clear_timer()
        transport = self._transport
        if transport is not None:
            if error is not None:
                transport.abort()
            else:
                transport.close()
        self._on_destroy()
        if error is not None:
            self._had_error = True
        self._loop.call_soon(self._emit_destroyed, error)
        return self

    def _on_destroy(self) -> None:
        """Subclass hook: release per-connection state (the TLS engine)."""

    def _emit_destroyed(self, error: Optional[BaseException]) -> None:
        try:
            if error is not None:
                self.emit("error", error)
        finally:
            _runtime.handle_closed(self)
            if self._server is not None:
                self._server._connection_closed(self)
            self.emit("close", error is not None)

    def destroySoon(self) -> None:
        self.end()

    def resetAndDestroy(self) -> "Socket":
        transport = self._transport
        sock = transport.get_extra_info("socket") if transport is not None else None
        if sock is not None:
            import struct
            try:
                sock.setsockopt(_socket.SOL_SOCKET, _socket.SO_LINGER, struct.pack("ii", 1, 0))
            except OSError:
                pass
        return self.destroy()

    # -- timeouts --------------------------------------------------------
    def setTimeout(self, timeout: float, callback: Optional[Callable[..., Any]] = None) -> "Socket":
        if not isinstance(timeout, (int, float)) or timeout < 0:
            raise NodeRangeError('The value of "msecs" is out of range. Received %r' % (timeout,),
                                 "ERR_OUT_OF_RANGE")
        self._timeout_ms = timeout
        if callback is not None:
            if timeout:
                self.once("timeout", callback)
            else:
                self.removeListener("timeout", callback)
        self._clear_timer()
        if timeout and not self.destroyed:
            self._touch()
            self._timer = self._loop.call_later(timeout / 1000.0, self._on_timer)
        return self

    @property
    def timeout(self) -> Optional[float]:
        return self._timeout_ms or None

    def _touch(self) -> None:
        if self._timeout_ms:
            self._last_active = self._loop.time()

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
        self.emit("timeout")
        if self._timeout_ms and not self.destroyed:
            self._touch()
            self._timer = self._loop.call_later(self._timeout_ms / 1000.0, self._on_timer)

    # -- socket options and refs -------------------------------------------
    def _raw_socket(self) -> Any:
        transport = self._transport
        return transport.get_extra_info("socket") if transport is not None else None

    def setNoDelay(self, noDelay: bool = True) -> "Socket":
        sock = self._raw_socket()
        if sock is not None and sock.family in (_socket.AF_INET, _socket.AF_INET6):
            try:
                sock.setsockopt(_socket.IPPROTO_TCP, _socket.TCP_NODELAY, 1 if noDelay else 0)
            except OSError:
                pass
        return self

    def setKeepAlive(self, enable: bool = False, initialDelay: float = 0) -> "Socket":
        sock = self._raw_socket()
        if sock is not None and sock.family in (_socket.AF_INET, _socket.AF_INET6):
            try:
                sock.setsockopt(_socket.SOL_SOCKET, _socket.SO_KEEPALIVE, 1 if enable else 0)
                if enable and initialDelay and hasattr(_socket, "TCP_KEEPIDLE"):
                    sock.setsockopt(_socket.IPPROTO_TCP, _socket.TCP_KEEPIDLE, max(1, int(initialDelay // 1000)))
            except OSError:
                pass
        return self

    def ref(self) -> "Socket":
        self._refed = True
        if not self.destroyed and (self._transport is not None or self.connecting):
            _runtime.ref_handle(self)
        return self

    def unref(self) -> "Socket":
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
    def readyState(self) -> str:
        if self.connecting:
            return "opening"
        if self.destroyed or self._transport is None:
            return "closed"
        if self._ending:
            return "readOnly" if not self._eof else "closed"
        if self._eof:
            return "writeOnly"
        return "open"

    @property
    def pending(self) -> bool:
        return self._transport is None and not self.destroyed


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


def _resolved_host(host: str) -> str:
    return "127.0.0.1" if host == "localhost" else host


def _validate_port(port: Any) -> int:
    if isinstance(port, str) and port.strip().isdigit():
        port = int(port)
    if isinstance(port, bool) or not isinstance(port, int) or not 0 <= port <= 65535:
        raise NodeRangeError('Port should be >= 0 and < 65536. Received %r.' % (port,), "ERR_SOCKET_BAD_PORT")
    return port


def _normalize_connect_args(args: tuple, kwargs: Dict[str, Any]) -> Tuple[Dict[str, Any], Optional[Callable[..., Any]]]:
    """Node's normalizeArgs: (options[, cb]) | (port[, host][, cb]) | (path[, cb])."""
    args = list(args)
    cb = None
    if args and callable(args[-1]):
        cb = args.pop()
    options: Dict[str, Any] = {}
    if args and isinstance(args[0], dict):
        options = dict(args[0])
    elif args and isinstance(args[0], str) and not args[0].isdigit():
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
    sock.connect(options, cb) if cb is not None else sock.connect(options)
    return sock


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
        self.maxConnections: Optional[int] = None
        self._aio_server: Any = None
        self._sock: Optional[_socket.socket] = None
        self._path: Optional[str] = None
        self._connections: set = set()
        self._closing = False
        self._refed = True
        self.listening = False
        if connectionListener is not None:
            self.on("connection", connectionListener)

    # -- listen ----------------------------------------------------------
    def listen(self, *args: Any, **kwargs: Any) -> "Server":
        """listen(port[, host][, backlog][, cb]) | listen(path[, cb]) | listen(options[, cb])."""
        args = list(args)
        cb = args.pop() if args and callable(args[-1]) else kwargs.pop("callback", None)
        options: Dict[str, Any] = {}
        if args and isinstance(args[0], dict):
            options = dict(args[0])
        elif args and isinstance(args[0], str) and not args[0].isdigit():
            options["path"] = args[0]
        else:
            if args:
                options["port"] = args[0]
            if len(args) > 1 and isinstance(args[1], str):
                options["host"] = args[1]
            if len(args) > 1 and isinstance(args[-1], int) and not isinstance(args[-1], bool) and len(args) > 1 \
                    and (len(args) == 3 or not isinstance(args[1], str)):
                options["backlog"] = args[-1]
        options.update(kwargs)
        if self.listening:
            raise NodeError("Listen method has been called more than once without closing.",
                            "ERR_SERVER_ALREADY_LISTEN")
        if cb is not None:
            self.once("listening", cb)
        backlog = int(options.get("backlog") or 511)
        try:
            if options.get("path"):
                sock = self._bind_unix(options["path"], backlog)
            else:
                port = options.get("port", 0)
                port = 0 if port is None else _validate_port(port)
                sock = self._bind_tcp(options.get("host"), port, backlog, bool(options.get("ipv6Only")))
        except NodeError as err:
            if err.code == "ERR_SOCKET_BAD_PORT":
                raise
            self._loop.call_soon(self.emit, "error", err)
            return self
        self._sock = sock
        self.listening = True
        if self._refed:
            _runtime.ref_handle(self)
        self._loop.create_task(self._serve(sock))
        return self

    def _bind_tcp(self, host: Optional[str], port: int, backlog: int, ipv6_only: bool) -> _socket.socket:
        candidates = []
        if host in (None, "", "::"):
            candidates = [(_socket.AF_INET6, "::"), (_socket.AF_INET, "0.0.0.0")] if host is None or host == "" \
                else [(_socket.AF_INET6, "::")]
        else:
            try:
                infos = _socket.getaddrinfo(host, port, 0, _socket.SOCK_STREAM, 0, _socket.AI_PASSIVE)
            except _socket.gaierror:
                raise NodeError("getaddrinfo ENOTFOUND %s" % host, "ENOTFOUND", syscall="getaddrinfo",
                                hostname=host)
            candidates = [(info[0], info[4][0]) for info in infos[:1]]
        last: Optional[OSError] = None
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
                if exc.errno != _errno.EAFNOSUPPORT and exc.errno != _errno.EADDRNOTAVAIL:
                    break
        assert last is not None
        raise errno_error(last, "listen", address=candidates[-1][1] if candidates else host, port=port)

    def _bind_unix(self, path: str, backlog: int) -> _socket.socket:
        sock = _socket.socket(_socket.AF_UNIX, _socket.SOCK_STREAM)
        try:
            sock.bind(path)
            sock.listen(backlog)
            sock.setblocking(False)
        except OSError as exc:
            sock.close()
            raise errno_error(exc, "listen", address=path)
        self._path = path
        return sock

    async def _serve(self, sock: _socket.socket) -> None:
        try:
            if sock.family == _socket.AF_UNIX:
                self._aio_server = await self._loop.create_unix_server(self._make_protocol, sock=sock)
            else:
                self._aio_server = await self._loop.create_server(self._make_protocol, sock=sock)
        except OSError as exc:
            self.listening = False
            _runtime.handle_closed(self)
            self.emit("error", errno_error(exc, "listen"))
            return
        if self._closing:
            self._aio_server.close()
            return
        self.emit("listening")

    def _make_protocol(self) -> _SocketProtocol:
        sock = self._socket_class({"allowHalfOpen": self.allowHalfOpen})
        sock._server = self
        protocol = _SocketProtocol(sock)
        sock._protocol = protocol
        return protocol

    def _accepted(self, sock: Socket) -> None:
        if self._closing or (self.maxConnections is not None and len(self._connections) >= self.maxConnections):
            sock.destroy()
            return
        self._connections.add(sock)
        if self.noDelay:
            sock.setNoDelay(True)
        if self.pauseOnConnect:
            sock.pause()
        sock._set_ready()
        self.emit("connection", sock)

    def _swap_connection(self, old: Socket, new: Socket) -> None:
        if old in self._connections:
            self._connections.discard(old)
            self._connections.add(new)

    def _connection_closed(self, sock: Socket) -> None:
        self._connections.discard(sock)
        if self._closing and not self._connections:
            self._emit_close()

    # -- close and facts -------------------------------------------------
    def close(self, callback: Optional[Callable[..., Any]] = None) -> "Server":
        if not self.listening:
            if callback is not None:
                err = NodeError("Server is not running.", "ERR_SERVER_NOT_RUNNING")
                self._loop.call_soon(callback, err)
            return self
        if callback is not None:
            self.once("close", lambda *a: callback(None))
        self.listening = False
        self._closing = True
        if self._aio_server is not None:
            self._aio_server.close()
        elif self._sock is not None:
            self._sock.close()
        if self._path:
            try:
                os.unlink(self._path)
            except OSError:
                pass
        _runtime.handle_closed(self)
        if not self._connections:
            self._loop.call_soon(self._emit_close)
        return self

    def _emit_close(self) -> None:
        if getattr(self, "_close_emitted", False):
            return
        self._close_emitted = True
        self.emit("close")

    def address(self) -> Any:
        if self._path:
            return self._path
        if self._sock is None or not self.listening:
            return None
        return _address_dict(self._sock.getsockname(), self._sock.family)

    @property
    def connections(self) -> int:
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
