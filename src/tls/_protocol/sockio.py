"""SocketPump: a TLS connection that reads and writes its plain TCP descriptor from C.

How one read event goes
=======================

The loop calls :meth:`SocketPump.on_readable` directly (the transport,
tls._node.fd_transport, registered it as the descriptor's reader).  Once the
handshake is done that is one ``TLSConnection.cycle`` whose first read is
:meth:`_read_first`: one C call (``tls_sockio_read``, csrc/sockio.c) that
``recv()``s what the kernel has into the read BIO and decrypts every complete
record, so the cycle's usual rules (renegotiation, session events, the
deferral queue, errors after the plaintext) apply unchanged to what it
returns.  The cycle's flush is :meth:`flush`: one C call that ``send()``s the
write BIO's records from OpenSSL's own memory.  A 64-byte echo is thus two C
calls and the listener's own work; no asyncio transport, protocol, bytes
object for the ciphertext or buffer copy in Python.

During the handshake the C call receives and runs one handshake step
(``tls_sockio_handshake``; its callbacks run as on the memory path, and the
cycle acts on the outcome as on the memory path), and while Node's
ClientHello parser holds the bytes for 'resumeSession' the transport's plain
read hands them to Python as before.

The send queue is the write BIO itself: what the kernel refused stays at its
head, before any record encrypted later, and the write-ready event sends it
(:meth:`send_queued`); the transport turns the queued size into the
protocol's pause_writing / resume_writing.  Output held for 'newSession'
stays held (``flush`` is not called while the hold lasts, and the write-ready
event sends nothing then).  When the transport closes, the queue moves to the
transport (:meth:`take_queued`), because the connection's memory goes away
with its socket.

The peer's FIN and a failed recv() are reported by the C call and acted on
after this event's plaintext was delivered: the FIN as the transport's
``eof_received``, an errno as its fatal error, both as asyncio orders them.
"""
from __future__ import annotations

import os
import threading
from typing import TYPE_CHECKING, Any, Tuple

from .._binding import ffi, lib

if TYPE_CHECKING:
    from .connection import TLSConnection

__all__ = ["SocketPump"]


class _Results(threading.local):
    """Per-thread result structs: read and send, each read right after its C call."""

    def __init__(self) -> None:
        self.read = ffi.new("tls_sockio_result *")
        self.send = ffi.new("tls_sockio_result *")


_results = _Results()


class SocketPump:
    """Drives one TLS connection's descriptor from C (see the module docstring)."""

    __slots__ = ("conn", "transport", "fd", "queued", "_rr", "_sr", "_first")

    def __init__(self, conn: "TLSConnection", transport: Any) -> None:
        self.conn = conn
        self.transport = transport
        self.fd: int = transport._fd
        self.queued = 0          # ciphertext left in the write BIO by the last send
        results = _results       # this thread's (a connection lives on one loop's thread)
        self._rr = results.read
        self._sr = results.send
        self._first = self._read_first   # bound once: cycle() calls it per read event
        conn.sockio = self

    # -- reading -------------------------------------------------------------
    def on_readable(self) -> None:
        """The descriptor's read event (the loop calls it)."""
        conn = self.conn
        try:
            if conn.hello_parser is not None or conn.engine is None:
                self.transport._read_ready()   # the bytes go to Python (ClientHello parser)
                return
            r = self._rr
            if conn.secure:
                r.eof = r.sys_errno = 0   # the struct is shared: a cycle may return before reading
                conn.cycle(self._first)
            else:
                # the handshake: the kernel's bytes into the read BIO and the step, one C call in the cycle
                conn.cycle(None, self)
            if r.eof or r.sys_errno:
                self._ended(r.eof, r.sys_errno)
        except (SystemExit, KeyboardInterrupt):
            raise
        except BaseException as exc:   # what asyncio does when its protocol raises
            self.transport._fatal_error(exc)

    def _read_first(self) -> Tuple[bytes, int]:
        """The cycle's first read: recv() and decrypt in one C call."""
        conn = self.conn
        r = self._rr
        engine = conn.engine
        assert engine is not None, "cycle() checked it"
        result = engine.read_socket(self.fd, r)
        got = r.received
        if got:   # _account, inlined: once per read event
            conn.bytes_received += got
            owner: Any = conn.owner   # the socket's read counters and idle timer (net.Socket's)
            owner._bytes_read += got
            if owner._timeout_ms:
                owner._touch()
        return result

    def _account(self, got: int) -> None:
        conn = self.conn
        conn.bytes_received += got
        owner: Any = conn.owner   # the socket's read counters and idle timer (net.Socket's)
        owner._bytes_read += got
        if owner._timeout_ms:
            owner._touch()

    def _ended(self, eof: int, errno: int) -> None:
        transport = self.transport
        if transport._closing or self.conn.sockio is not self:
            return   # closed by this event's listeners: asyncio would not have read any further
        if errno:
            transport._read_failed(errno)
        else:
            transport._on_eof()

    # -- writing -------------------------------------------------------------
    def flush(self) -> None:
        """TLSConnection.flush: send the write BIO's records (what the kernel refuses waits there)."""
        conn = self.conn
        engine = conn.engine
        if engine is None:
            return
        r = self._sr
        lib.tls_sockio_flush(engine._ssl, self.fd, r)
        new = r.produced - self.queued
        if new > 0:
            conn.bytes_sent += new
        if r.sys_errno:
            self.transport._send_failed(r.sys_errno)
            return
        queued = r.queued
        if queued or self.queued:
            self.queued = queued
            self.transport._queued_changed(queued)

    def send_queued(self) -> int:
        """The write-ready event: send what waits; returns what still does (OSError on failure)."""
        conn = self.conn
        engine = conn.engine
        if engine is None or (conn.sessions is not None and conn.sessions.hold):
            self.queued = 0
            return 0   # nothing to send now (a later flush arms the event again)
        r = self._sr
        lib.tls_sockio_flush(engine._ssl, self.fd, r)
        new = r.produced - self.queued
        if new > 0:
            conn.bytes_sent += new
        if r.sys_errno:
            raise OSError(r.sys_errno, os.strerror(r.sys_errno))
        self.queued = r.queued
        return self.queued

    def queue(self, data: bytes) -> None:
        """Raw bytes to send after what waits (a net.Socket's own write beside the TLS)."""
        engine = self.conn.engine
        if engine is None:
            return
        engine.queue_raw(data)
        self.queued += len(data)   # not TLS output: not counted as sent records
        self.flush()

    def take_queued(self) -> bytes:
        """Let go of the descriptor; what waits (what the kernel refused), for the transport to send.

        Only that: records encrypted since the last flush were never handed to the transport
        (Node's order: a socket destroyed by its 'secure' listeners never sends its last flight).
        """
        conn = self.conn
        if conn.sockio is self:
            conn.sockio = None
        engine = conn.engine
        waiting, self.queued = self.queued, 0
        if not waiting or engine is None or engine.ssl is None:
            return b""
        buf = ffi.new("char[]", waiting)
        n = lib.tls_drain(engine.ssl, buf, waiting)   # the head of the write BIO
        data: bytes = ffi.buffer(buf, n)[:]
        return data
