"""A socket transport driven by ``loop.add_reader`` / ``add_writer`` whose reads and writes a pump can take over.

Why it exists
=============

asyncio's selector transport costs several Python calls per event before the
bytes reach anyone (the selector's dispatch, ``_read_ready``, the protocol's
``get_buffer`` / ``buffer_updated``, and on the way out ``write`` with its own
buffer).  A TLS connection over a plain TCP socket does not need them: its
engine can ``recv()`` straight into OpenSSL's read BIO and ``send()`` straight
from its write BIO (csrc/sockio.c).  ``FdTransport`` is the asyncio-transport
surface net.Socket uses (``write``, ``write_eof``, ``close``, ``abort``,
``pause_reading``, the write-buffer limits, ``get_extra_info``) over the
descriptor, and a *pump* (``FdPump``) may take the descriptor's events over:

* without a pump it is asyncio's ``_SelectorSocketTransport`` in miniature
  (``recv_into`` the protocol's buffer, ``buffer_updated``, ``eof_received``;
  ``send`` with a bytearray for what the kernel refused), so a socket is
  usable before anyone wires TLS, and after the pump let go;
* with a pump, the loop calls ``pump.on_readable`` itself for each read
  event (no frame of ours in between) and ``write()`` hands the bytes to the
  pump's queue; the pump tells the transport what waits
  (``_queued_changed``), which arms the write-ready event and applies the
  protocol's ``pause_writing`` / ``resume_writing`` as asyncio would.

Starting: asyncio queues ``connection_made`` and the reader's registration as two callbacks back to back;
here they are one (``_made``), and a tls.Server's accepted connection (``accepted_transport_factory``) skips
even that: net_server.py calls ``_made()`` from the accept event, as Node's ``onconnection`` emits
``'connection'`` there.  Then the TLSSocket adopts the descriptor before reading starts, so the loop is given
one reader (the pump's) once, and ``_stop_reading`` removes it once (``_armed``): asyncio's selector answers
an ``add_reader`` replacing the same reader, or a ``remove_reader`` of a descriptor it no longer watches, in
a dozen Python calls each, which a server connection used to pay three times.

Where the events come from: the loop's ``add_reader`` / ``add_writer``, or, on asyncio's epoll selector
loop, the loop's descriptor reactor (reactor.py: ``poller_for``), which holds the descriptors of all such
transports in one epoll instance once there are two or more (a lone one stays with the loop).

Closing keeps asyncio's order exactly: ``close()`` stops reading and calls
``connection_lost`` on a later loop iteration once what waits is sent (the
pump's queue is taken over first, because the pump's memory goes away with its
connection), ``abort()`` and a failed recv/send drop what waits, and
``connection_lost`` then closes the socket.  ``write_eof()`` sends the FIN once
the queue is empty.

This module knows nothing of TLS (the Node runtime layer): the pump is any
object with the ``FdPump`` methods (tls._protocol.sockio's is the TLS one).

The switch: tls.Server and tls.connect create these transports for their
plain TCP connections (tls._objects.csocket wires it) unless ``TLS_C_SOCKET=0``
is in the environment (``ENABLED``), which keeps asyncio's transports.
"""
from __future__ import annotations

import os
import socket as _socket
import sys
from typing import Any, Callable, Dict, Optional, Protocol

from .reactor import poller_for

__all__ = ["ENABLED", "FdPump", "FdTransport", "accepted_transport_factory", "transport_factory"]

# On by default; TLS_C_SOCKET=0 keeps asyncio's transports (never on Windows: asyncio's proactor
# loop there has no add_reader, csrc/sockio.c no sockets)
ENABLED = os.environ.get("TLS_C_SOCKET", "1").strip().lower() not in ("0", "false", "no", "off") \
    and sys.platform != "win32"


class FdPump(Protocol):
    """What drives a descriptor in the transport's place (tls._protocol.sockio.SocketPump)."""

    def on_readable(self) -> None: ...          # the read event (the loop calls it directly)
    def send_queued(self) -> int: ...           # the write-ready event: send, return what still waits
    def queue(self, data: bytes) -> None: ...   # bytes to send after what waits
    def take_queued(self) -> bytes: ...         # let go of the descriptor: what still waits


class FdTransport:
    """asyncio's socket-transport surface over a non-blocking stream socket (see the module docstring)."""

    __slots__ = ("_loop", "_poll", "_sock", "_fd", "_protocol", "_extra", "_pump", "_reader", "_buffer", "_queued",
                 "_writing", "_closing", "_conn_lost", "_eof", "_paused", "_high", "_low", "_protocol_paused",
                 "_armed", "_start_pending")

    def __init__(self, loop: Any, sock: _socket.socket, protocol: Any, extra: Optional[Dict[str, Any]] = None,
                 start_soon: bool = True) -> None:
        self._loop = loop
        self._poll = poller_for(loop)   # the loop, or its reactor (reactor.py) on asyncio's epoll loop
        self._sock = sock
        self._fd = sock.fileno()
        self._protocol = protocol
        info: Dict[str, Any] = dict(extra) if extra else {}
        info["socket"] = sock
        try:
            info["sockname"] = sock.getsockname()
        except OSError:
            info["sockname"] = None
        if "peername" not in info:
            try:
                info["peername"] = sock.getpeername()
            except OSError:
                info["peername"] = None
        self._extra = info
        self._pump: Optional[FdPump] = None
        self._reader: Callable[[], None] = self._read_ready
        # the reader the loop holds for the descriptor (None: none): a server connection's
        # reader is registered once, with the pump's, and removed once (asyncio's remove_reader
        # of a descriptor it no longer watches costs a dozen Python calls to say so)
        self._armed: Optional[Callable[[], None]] = None
        self._buffer = bytearray()      # what the kernel refused (without a pump)
        self._queued = 0                # what the pump says waits
        self._writing = False           # the write-ready event is armed
        self._closing = False
        self._conn_lost = 0
        self._eof = False
        self._paused = False
        self._high = 64 * 1024
        self._low = 16 * 1024
        self._protocol_paused = False
        # An IPv4/IPv6 peer's address is a tuple (a Unix socket's a string): that tells a TCP
        # socket without socket.family's enum conversion (four Python calls per connection).
        peer = info["peername"]
        if type(peer) is tuple or (type(peer) not in (str, bytes) and sock.family in (_socket.AF_INET,
                                                                                    _socket.AF_INET6)):
            # as asyncio does for its TCP transports: records go out at once
            try:
                sock.setsockopt(_socket.IPPROTO_TCP, _socket.TCP_NODELAY, 1)
            except OSError:
                pass
        # asyncio's order: connection_made, then reading starts, both in the next iteration and
        # nothing between them (asyncio queues two callbacks back to back): one callback here.
        # An accepted connection starts at once instead (start_soon False: net_server.py calls
        # _made), as Node emits 'connection' from the accept itself.
        self._start_pending = not start_soon
        if start_soon:
            loop.call_soon(self._made)

    def _made(self) -> None:
        """connection_made, then reading starts (asyncio's two callbacks, in one)."""
        self._start_pending = False
        try:
            self._protocol.connection_made(self)
        finally:
            # asyncio starts reading even when connection_made raised (its handler logs that)
            self._start_reading()

    # -- the pump ----------------------------------------------------------
    def set_pump(self, pump: FdPump) -> None:
        """Let ``pump`` drive the descriptor's events from now on."""
        self._pump = pump
        self._reader = pump.on_readable
        if self._buffer:   # bytes written before: first in its queue
            data = bytes(self._buffer)
            self._buffer.clear()
            pump.queue(data)
        if self._armed is not None:
            self._armed = self._reader
            self._poll.add_reader(self._fd, self._reader)   # replaces the plain reader

    def _queued_changed(self, queued: int) -> None:
        """The pump's send left ``queued`` bytes waiting (or none any more)."""
        self._queued = queued
        if queued:
            if not self._writing:
                self._writing = True
                self._poll.add_writer(self._fd, self._write_ready)
            self._maybe_pause_protocol()
            return
        if self._writing:
            self._writing = False
            self._poll.remove_writer(self._fd)
        self._maybe_resume_protocol()
        if self._eof and not self._closing:
            self._shutdown_write()

    def _send_failed(self, errno: int) -> None:
        """The pump's send() failed: asyncio's fatal write error."""
        self._fatal_error(OSError(errno, os.strerror(errno)))

    def _read_failed(self, errno: int) -> None:
        self._fatal_error(OSError(errno, os.strerror(errno)))

    def _on_eof(self) -> None:
        """The peer's FIN (seen by the pump or by _read_ready)."""
        if self._closing:
            return
        if self._protocol.eof_received():
            self._stop_reading()
        else:
            self.close()

    def _release_pump(self) -> Optional[FdPump]:
        pump, self._pump = self._pump, None
        self._reader = self._read_ready
        return pump

    # -- reading -------------------------------------------------------------
    def _start_reading(self) -> None:
        if self.is_reading() and self._armed is not self._reader:
            self._armed = self._reader
            self._poll.add_reader(self._fd, self._reader)

    def _stop_reading(self) -> None:
        if self._armed is None:
            return
        self._armed = None
        try:
            self._poll.remove_reader(self._fd)
        except (ValueError, OSError):
            pass

    def is_reading(self) -> bool:
        return not self._paused and not self._closing

    def pause_reading(self) -> None:
        if self._closing or self._paused:
            return
        self._paused = True
        self._stop_reading()

    def resume_reading(self) -> None:
        if self._closing or not self._paused:
            return
        self._paused = False
        self._armed = self._reader
        self._poll.add_reader(self._fd, self._reader)

    def _read_ready(self) -> None:
        """A read event without a pump (or the pump's plain read): asyncio's BufferedProtocol path."""
        if self._conn_lost:
            return
        protocol = self._protocol
        try:
            buf = protocol.get_buffer(-1)
            nbytes = self._sock.recv_into(buf)
        except (BlockingIOError, InterruptedError):
            return
        except (SystemExit, KeyboardInterrupt):
            raise
        except BaseException as exc:
            self._fatal_error(exc)
            return
        if not nbytes:
            self._on_eof()
            return
        protocol.buffer_updated(nbytes)

    # -- writing -------------------------------------------------------------
    def write(self, data: Any) -> None:
        if self._eof:
            raise RuntimeError("Cannot call write() after write_eof()")
        if not data:
            return
        if self._conn_lost:
            self._conn_lost += 1
            return
        pump = self._pump
        if pump is not None:
            pump.queue(bytes(data))
            return
        if not self._buffer:
            try:
                n = self._sock.send(data)
            except (BlockingIOError, InterruptedError):
                n = 0
            except (SystemExit, KeyboardInterrupt):
                raise
            except BaseException as exc:
                self._fatal_error(exc)
                return
            data = memoryview(data)[n:]
            if not data:
                return
            self._writing = True
            self._poll.add_writer(self._fd, self._write_ready)
        self._buffer.extend(data)
        self._maybe_pause_protocol()

    def _write_ready(self) -> None:
        if self._conn_lost:
            return
        pump = self._pump
        if pump is not None:
            try:
                queued = pump.send_queued()
            except OSError as exc:
                self._fatal_error(exc)
                return
            self._queued_changed(queued)
            return
        try:
            n = self._sock.send(self._buffer)
        except (BlockingIOError, InterruptedError):
            return
        except (SystemExit, KeyboardInterrupt):
            raise
        except BaseException as exc:
            self._writing = False
            self._poll.remove_writer(self._fd)
            self._buffer.clear()
            self._fatal_error(exc)
            return
        if n:
            del self._buffer[:n]
        self._maybe_resume_protocol()
        if not self._buffer:
            self._writing = False
            self._poll.remove_writer(self._fd)
            if self._closing:
                self._call_connection_lost(None)
            elif self._eof:
                self._shutdown_write()

    def get_write_buffer_size(self) -> int:
        return self._queued if self._pump is not None else len(self._buffer)

    def set_write_buffer_limits(self, high: Optional[int] = None, low: Optional[int] = None) -> None:
        if high is None:
            high = 64 * 1024 if low is None else 4 * low
        if low is None:
            low = high // 4
        if not high >= low >= 0:
            raise ValueError("high (%r) must be >= low (%r) must be >= 0" % (high, low))
        self._high, self._low = high, low
        self._maybe_pause_protocol()

    def get_write_buffer_limits(self) -> Any:
        return (self._low, self._high)

    def _maybe_pause_protocol(self) -> None:
        # get_write_buffer_size(), inlined: twice per connection (each socket's limits) at least
        size = self._queued if self._pump is not None else len(self._buffer)
        if size <= self._high or self._protocol_paused:
            return
        self._protocol_paused = True
        self._protocol.pause_writing()

    def _maybe_resume_protocol(self) -> None:
        if self._protocol_paused and self.get_write_buffer_size() <= self._low:
            self._protocol_paused = False
            self._protocol.resume_writing()

    def can_write_eof(self) -> bool:
        return True

    def write_eof(self) -> None:
        if self._closing or self._eof:
            return
        self._eof = True
        if not self.get_write_buffer_size():
            self._shutdown_write()

    def _shutdown_write(self) -> None:
        try:
            self._sock.shutdown(_socket.SHUT_WR)
        except OSError:
            pass

    # -- closing -------------------------------------------------------------
    def is_closing(self) -> bool:
        return self._closing

    def close(self, owe: bool = False) -> Optional[Callable[[Optional[BaseException]], None]]:
        """Stop reading; connection_lost once what waits is sent.

        With ``owe``, a connection_lost due now is not queued but returned, for the caller to
        run in the loop callback it queues next (net.Socket's destroy: socket_closing.py).
        """
        if self._closing:
            return None
        pump = self._release_pump()
        if pump is not None:
            # the pump's queue lives in its connection, which is freed now: ours from here on
            waiting = pump.take_queued()
            if waiting:
                self._buffer.extend(waiting)
                if not self._writing:
                    self._writing = True
                    self._poll.add_writer(self._fd, self._write_ready)
        self._closing = True
        self._stop_reading()
        if not self._buffer:
            self._conn_lost += 1
            if self._writing:
                self._writing = False
                self._poll.remove_writer(self._fd)
            if owe:
                return self._call_connection_lost
            self._loop.call_soon(self._call_connection_lost, None)
        return None

    def abort(self) -> None:
        self._force_close(None)

    def _fatal_error(self, exc: BaseException) -> None:
        if not isinstance(exc, OSError):
            self._loop.call_exception_handler({
                "message": "Fatal error on transport", "exception": exc, "transport": self,
                "protocol": self._protocol})
        self._force_close(exc)

    def _force_close(self, exc: Optional[BaseException]) -> None:
        if self._conn_lost:
            return
        pump = self._release_pump()
        if pump is not None:
            pump.take_queued()   # dropped, as asyncio drops its buffer
        self._buffer.clear()
        self._queued = 0
        if self._writing:
            self._writing = False
            self._poll.remove_writer(self._fd)
        if not self._closing:
            self._closing = True
            self._stop_reading()
        self._conn_lost += 1
        self._loop.call_soon(self._call_connection_lost, exc)

    def _call_connection_lost(self, exc: Optional[BaseException]) -> None:
        try:
            self._protocol.connection_lost(exc)
        finally:
            self._sock.close()

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return self._extra.get(name, default)

    def get_protocol(self) -> Any:
        return self._protocol

    def set_protocol(self, protocol: Any) -> None:
        self._protocol = protocol


def transport_factory(loop: Any, start_soon: bool = True) -> Callable[..., FdTransport]:
    """A factory with the signature of asyncio's ``loop._make_socket_transport`` (net_server.py, connecting.py).

    ``start_soon`` False: the transport waits for its creator to call ``_made()`` (an accepted
    connection, started from the accept event itself: net_server.py)."""
    def make(sock: _socket.socket, protocol: Any, waiter: Any = None, extra: Optional[Dict[str, Any]] = None,
             server: Any = None) -> FdTransport:
        return FdTransport(loop, sock, protocol, extra, start_soon)
    return make


def accepted_transport_factory(loop: Any) -> Callable[..., FdTransport]:
    """:func:`transport_factory` for a server's accepted connections (started by net_server.py)."""
    return transport_factory(loop, False)
