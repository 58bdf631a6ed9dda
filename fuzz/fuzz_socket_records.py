"""Fuzz target (f): a peer's bytes arriving on a real socket, read and answered from C.

What it proves
==============

csrc/sockio.c is the one part of the data path that works on a descriptor:
``tls_sockio_read`` recv()s into the engine's read BIO and decrypts every
complete record into a buffer, ``tls_sockio_flush`` send()s straight from the
write BIO's memory and consumes only what the kernel took, ``tls_sockio_queue``
appends raw bytes behind the records that wait.  The memory targets
(server_records, client_records) never reach that code: here the same record
input travels through a loopback TCP connection and the engine is driven only
through the calls tls._protocol.sockio.SocketPump makes (``receive_socket``
during the handshake, ``read_socket`` after it, ``send_socket`` for every
flush, ``queue_raw`` for a net.Socket's own writes), so the kernel decides the
read boundaries and the short sends, and the peer's end of the connection can
go away in every way a real peer's can.

The input
=========

As the record targets split it (_common.split_records): byte 0 picks the
configuration (``byte0 % 5``), byte 1 the size of the peer's writes, the rest
is what the peer sends.  The rest of byte 0 (``byte0 // 5``) picks what the
memory targets cannot vary:

- bit 0: the engine's side (0: server, reading a client's flights; 1: client,
  whose ClientHello goes out through ``send_socket`` first);
- bits 1-2: how the peer's end goes away, at the write chosen by bits 4-5:
  0 nothing early (a FIN after the last write), 1 ``shutdown(SHUT_WR)`` (a FIN,
  and the peer still reads), 2 ``close()`` (a FIN; our later sends fail with
  EPIPE/ECONNRESET), 3 a reset (``SO_LINGER`` 0 then ``close()``: recv() fails
  with ECONNRESET);
- bit 3: the peer stops reading: the engine's send buffer is small and each
  echo is large, so the kernel refuses part of a flush and the rest must wait
  at the head of the write BIO (checked: what the peer finally drains is every
  byte ``send_socket`` reported as sent);
- bit 4: the write the ending comes before (the first or the third);
- bit 5: a live peer.  Recorded flights cannot finish a handshake (this
  handshake's random values differ), so without this bit the engine never
  gets past it and ``read_socket`` is never reached.  With it, the peer's end
  is driven by a real engine of the other side (over memory) that first
  completes the handshake through the socket; then each write of the input
  is, by its first byte's low bit, either plaintext the peer engine encrypts
  (records the engine decrypts from C) or bytes sent as they are, into the
  established session (a mutated or forged record after the handshake).  When
  the live peer only sent plaintext (and nothing was lost to a reset or a
  full buffer), what the engine decrypted must be exactly that, in order.

Seeds: the server_records and client_records seeds of make_corpus.py (the
client ones with bit 0 set), each also with a stalled reader and every way of
ending, and requests for the live peer (make_corpus.py's ``socket_seeds``).

The rule is _common.guarded's: the engine may fail only with a coded
NodeError.  A failed recv()/send() is not an engine error: it is reported in
the result struct (``sys_errno``) and the transport turns it into Node's
``ECONNRESET``/``EPIPE``; here it ends the conversation, as it ends the
socket.  A crash, a hang, or a byte that reaches the peer twice or never is
a finding.
"""
from __future__ import annotations

import select
import socket
import struct
import time
from typing import List, Optional, Tuple

import _common
from _common import ffi

from tls._engine.engine import READ_MORE, TLSEngine

# One listener for the whole run: each input gets a fresh loopback connection.
_listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
_listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
_listener.bind(("127.0.0.1", 0))
_listener.listen(8)
_LINGER_0 = struct.pack("ii", 1, 0)
_results = (ffi.new("tls_sockio_result *"), ffi.new("tls_sockio_result *"))   # read, send
_ECHO_SMALL = b"reply"
_ECHO_LARGE = b"x" * 65536    # more than a small send buffer takes: the kernel refuses part

END_NONE, END_SHUT_WR, END_CLOSE, END_RESET = range(4)


def _pair(stall: bool, tcp: bool) -> Tuple[socket.socket, socket.socket]:
    """(engine's end, peer's end), both non-blocking: a socketpair, or a loopback TCP connection
    when the peer resets it (SO_LINGER 0 means a reset only on TCP).

    The socketpair is the default because a TCP peer that stops reading and starts again
    waits for the kernel's window probes (hundreds of milliseconds per input); the C calls
    see the same recv()/send() results on both (short reads, EAGAIN, EPIPE, ECONNRESET)."""
    if tcp:
        peer = socket.create_connection(_listener.getsockname())
        ours, _ = _listener.accept()
        for s in (ours, peer):
            s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        # the engine's end is closed with a reset too: no TIME_WAIT, so a long run
        # does not use up the ephemeral ports
        ours.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, _LINGER_0)
    else:
        ours, peer = socket.socketpair()
    for s in (ours, peer):
        s.setblocking(False)
    if stall:
        ours.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4096)
        peer.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    return ours, peer


class _Peer:
    """The peer's end: writes the input, reads (or not) what the engine sends, goes away."""

    def __init__(self, sock: socket.socket, stall: bool, eng: Optional[TLSEngine]) -> None:
        self.sock: Optional[socket.socket] = sock
        self.stall = stall
        self.can_write = True
        self.received: List[bytes] = []
        self.eng = eng   # a live peer's engine (None: the input is sent as it is)
        self.lost = False   # a write the engine's full receive buffer refused in part

    def send_records(self) -> None:
        """What the live peer's engine wants to send."""
        if self.eng is not None:
            self.write(self.eng.outgoing())

    def take(self, data: bytes) -> None:
        """What the live peer read goes into its engine; its failure (a coded error) makes it a dumb peer."""
        eng = self.eng
        if eng is None or not data:
            return
        try:
            eng.feed(data)
            _common.step(eng)
        except Exception as exc:
            _common.guarded(exc)
            self.eng = None
            eng.free()
            return
        self.send_records()

    def write(self, chunk: bytes) -> None:
        if self.sock is None or not self.can_write:
            return
        view = memoryview(chunk)
        while view:
            try:
                n = self.sock.send(view)
            except BlockingIOError:
                self.lost = True
                return   # the engine's receive buffer is full: the rest is lost, as a peer's write that never ends
            except (BrokenPipeError, ConnectionResetError):
                self.can_write = False
                return
            view = view[n:]

    def drain(self, force: bool = False) -> None:
        if self.sock is None or (self.stall and not force):
            return
        while True:
            try:
                data = self.sock.recv(262144)
            except (BlockingIOError, ConnectionResetError):
                return
            if not data:
                return
            self.received.append(data)
            self.take(data)

    def end(self, how: int) -> None:
        sock = self.sock
        if sock is None:
            return
        if how == END_SHUT_WR:
            sock.shutdown(socket.SHUT_WR)
            self.can_write = False
        elif how in (END_CLOSE, END_RESET):
            if how == END_CLOSE:
                self.drain(force=True)   # unread data would turn close() into a reset
            elif sock.family != socket.AF_UNIX:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, _LINGER_0)
            sock.close()
            self.sock = None
            self.can_write = False

    def close(self) -> None:
        if self.eng is not None:
            self.eng.free()
            self.eng = None
        if self.sock is not None:
            self.sock.close()
            self.sock = None


class _Pump:
    """The engine driven as SocketPump drives it, with its send accounting."""

    def __init__(self, eng: TLSEngine, fd: int) -> None:
        self.eng = eng
        self.fd = fd
        self.side = "server" if eng.is_server else "client"
        self.sent = 0          # every byte send_socket reported as taken by the kernel
        self.queued = 0        # what the last flush left in the write BIO
        self.ended = False     # the peer's FIN or a failed recv()/send(): no more reads
        self.failed = False    # a failed recv()/send(): the socket is gone, no more sends
        self.plaintext: List[bytes] = []   # what the engine decrypted, in order

    def flush(self) -> None:
        r = _results[1]
        if not self.eng.ssl:
            return
        sent = self.eng.send_socket(self.fd, r)
        if sent != r.sent or r.queued != r.produced - sent or r.queued > r.produced:
            raise AssertionError("tls_sockio_flush: sent %d, result %d sent, %d produced, %d queued"
                                 % (sent, r.sent, r.produced, r.queued))
        self.sent += sent
        self.queued = r.queued
        _common.note(self.side, "flush", r.sys_errno, r.queued > 0)
        if r.sys_errno:
            self.ended = self.failed = True   # the transport's _send_failed: the socket is destroyed

    def readable(self) -> bytes:
        """One read event: SocketPump.on_readable (a TLSConnection.cycle with the C read first)."""
        eng, r = self.eng, _results[0]
        r.eof = r.sys_errno = 0
        plaintext = []
        if eng.handshake_done:
            data, status = eng.read_socket(self.fd, r)
            plaintext.append(bytes(data))   # read the buffer now: it is reused by the next call
            while status == READ_MORE:
                data, status = eng.read()
                plaintext.append(bytes(data))
        else:
            if eng.receive_socket(self.fd, r):
                plaintext.append(_common.step(eng))
        eof, err = r.eof, r.sys_errno
        _common.note(self.side, "read", eng.handshake_done, eof, err, r.status)
        if err:
            self.ended = self.failed = True   # the transport's _read_failed (ECONNRESET)
        elif eof:
            eng.feed_eof()      # the transport's eof_received
            plaintext.append(_common.step(eng))
            self.ended = True
        self.plaintext.extend(plaintext)
        return b"".join(plaintext)


def _check_delivery(pump: _Pump, peer: _Peer) -> None:
    """Everything send_socket reported as sent reaches a peer that reads: nothing twice, nothing lost.

    Waits on the peer's readiness with a bounded deadline (the kernel moves the
    bytes, a closed receive window reopens when the peer reads)."""
    sock = peer.sock
    assert sock is not None
    peer.stall = False
    deadline = time.monotonic() + 5.0
    while True:
        if not pump.failed:
            pump.flush()   # what the kernel refused so far waits at the head of the write BIO
        peer.drain()
        got = sum(map(len, peer.received))
        if got > pump.sent:
            raise AssertionError("the peer received %d bytes, send_socket reported %d" % (got, pump.sent))
        if got == pump.sent and (pump.failed or not pump.queued):
            return
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise AssertionError("the peer received %d bytes, send_socket reported %d (%d still queued)"
                                 % (got, pump.sent, pump.queued))
        if got < pump.sent:   # in flight: wait for it (else the next flush sends what is queued)
            select.select([sock], [], [], min(remaining, 0.2))


def _live_handshake(pump: _Pump, peer: _Peer) -> None:
    """The handshake between the engine and the live peer, through the socket."""
    eng = pump.eng
    stall, peer.stall = peer.stall, False   # a stalled reader stops reading after the handshake
    if peer.eng is not None and not peer.eng.is_server:
        peer.eng.handshake()
        peer.send_records()
    for _ in range(12):
        if pump.ended or peer.eng is None or (eng.handshake_done and peer.eng.handshake_done):
            break
        pump.readable()
        if not pump.failed:
            pump.flush()
        peer.drain()
    peer.stall = stall
    _common.note(pump.side, "live", eng.handshake_done)


def test_one(data: bytes) -> None:
    config, chunks = _common.split_records(data)
    mode = data[0] // len(_common.CONFIGS) if data else 0
    server = not mode & 1
    ending = (mode >> 1) & 3
    stall = bool(mode & 8)
    point = 2 if mode & 16 else 0
    live = bool(mode & 32)
    eng = _common.engine(config, server)
    ours, peer_sock = _pair(stall, ending == END_RESET)
    peer = _Peer(peer_sock, stall, _common.engine(config, not server) if live else None)
    pump = _Pump(eng, ours.fileno())
    try:
        try:
            if not server:
                eng.handshake()        # the ClientHello
                pump.flush()
            if live:
                _live_handshake(pump, peer)
            peer.drain()
            echoed = 0
            # a live peer that only sends plaintext: the engine must decrypt exactly that
            expected: Optional[List[bytes]] = [] if live and eng.handshake_done else None
            for index, chunk in enumerate(chunks):
                if ending and index == point:
                    peer.end(ending)
                if peer.eng is not None and chunk and not chunk[0] & 1:
                    peer.eng.encrypt(chunk[1:])
                    peer.send_records()
                    if expected is not None and peer.can_write:
                        expected.append(chunk[1:])
                else:
                    peer.write(chunk[1:] if live else chunk)
                    if chunk[1:]:
                        expected = None
                if pump.ended:
                    break
                pump.readable()
                if eng.handshake_done and not pump.ended:
                    # what an echo does: records, then a net.Socket's raw write behind them
                    eng.encrypt(_ECHO_LARGE if stall else _ECHO_SMALL)
                    if echoed & 1:
                        eng.queue_raw(b"raw")
                    echoed += 1
                if not pump.failed:
                    pump.flush()
                peer.drain()
            if peer.can_write:
                peer.end(ending or END_SHUT_WR)   # the chosen ending, if the input was too short for it
            for _ in range(4):   # the rest of the bytes, then the FIN (or the reset)
                if pump.ended:
                    break
                pump.readable()
            if not pump.failed:
                pump.flush()
            if expected is not None and ending != END_RESET and not peer.lost and peer.eng is not None:
                want, got = b"".join(expected), b"".join(pump.plaintext)
                _common.note(pump.side, "plaintext", len(want).bit_length())
                if got != want:
                    raise AssertionError("the engine decrypted %d bytes %r..., the live peer sent %d %r..."
                                         % (len(got), got[:32], len(want), want[:32]))
        except Exception as exc:
            _common.note_error(pump.side, exc)
            if not pump.failed:
                pump.flush()   # the alert that goes with the error, as the socket's destroy sends it
            _common.guarded(exc)
        if peer.sock is not None:
            _check_delivery(pump, peer)
    finally:
        eng.free()
        ours.close()
        peer.close()


if __name__ == "__main__":
    _common.main(test_one)
