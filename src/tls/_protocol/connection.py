"""TLSConnection: one TLS connection's engine and the pump that drives it.

Theory of operation
===================

A connection sits between two byte streams.  Ciphertext comes in from the
transport (:meth:`TLSConnection.on_raw_data`, :meth:`on_raw_eof`) and goes
out through the owner (``owner._transport_write``); plaintext comes out to the
owner (``owner._push``, ``owner._push_eof``) and goes in from user writes
(:meth:`write_chunk`).  In between, :meth:`cycle` runs the
:class:`~tls._engine.engine.TLSEngine` as far as the input allows: the
handshake first, then every complete record, then it sends what OpenSSL
produced.  The connection knows nothing about sockets, events or the loop's
clock; what it needs from its owner is :class:`ConnectionOwner`, a narrow
interface that TLSSocket implements (and an in-memory test owner can too).

The per-connection feature state lives here, next to the engine, in
attributes that are ``None`` while the feature is not wired, so the data path
pays one attribute test per feature and nothing more:

* ``sessions``: tls._protocol.sessions' state ('session' / 'newSession' /
  'resumeSession'); its ``hold`` keeps output back until 'newSession' is done.
* ``hello_parser``: Node's ClientHello parser while a 'resumeSession' lookup
  may pause the handshake (the bytes wait here, OpenSSL is not run).
* ``reneg_events``: renegotiation starts and ends recorded by OpenSSL's info
  callback, acted upon between two reads (limits, a second 'secure').
* ``held_writes``: writes SSL_write refused during a renegotiation, retried in
  order after each read.
* ``ocsp``: set when OCSP is wired.

and, off the data path: ``reneg`` (renegotiation's counting and
``disableRenegotiation()``), ``hello`` (the SNICallback / ALPNCallback work
of a server's ClientHello), ``sni_context``, ``npn_wired``,
``psk_callback`` and ``keylog_lines``.

The feature functions (tls._protocol.sessions, renegotiation, ocsp,
negotiation, keyexchange, extras) take the connection and keep their state on
it; their OpenSSL hooks find it from the ``SSL*`` (the engine's ``owner`` is
the connection).  What they need of the socket -- Node's events, destroy(),
its server, the public attributes Node defines on a TLSSocket -- goes through
:class:`ConnectionOwner`, so every feature also runs with an owner that is no
socket at all (tests/support/pairs.py's ``Owner``).

Why the loops look the way they do (the hot path)
=================================================

``on_raw_data`` runs once per network read and ``write_chunk`` once per user
write: TLSSocket binds them as its own ``_on_raw_data`` / ``_write_chunk``
instance attributes, so the socket layer calls them directly (no forwarding
call).  Each makes a constant number of Python calls whatever the number of
TLS records (tests/test_perf_invariants.py counts them): one ``feed``, one
``read`` per 256 KiB of plaintext, one ``outgoing`` per cycle.

Corking: a write encrypts at once, but its records stay in the write BIO
until the end of the current cycle (writes made by 'data' listeners: an
echo's reply goes out with the cycle's own output) or, for writes made
anywhere else, until the end of this loop iteration.  A loop that writes many
chunks in a row costs one send() per ``_CORK_LIMIT`` bytes instead of one per
chunk.  Nothing waits longer than the current iteration, and the owner's
destroy() flushes what is corked first, as Node's synchronous try_write would
have.

'secure' runs before the last handshake flight is sent (Node's order): a
connection whose owner is destroyed by its 'secure' listeners (a rejected
certificate) never sends it, and the peer sees a hang-up.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable, Optional, Tuple

from .._base.errors import NodeError
from .._binding import ffi, lib
from .._binding.errors import verify_error
from .._engine.engine import READ_CLOSED, READ_EOF, READ_MORE, READ_WANT
from . import extras as _extras
from . import ocsp as _ocsp
from . import renegotiation as _renegotiation
from . import sessions as _sessions
from .state import ConnectionOwner, ConnectionState

if TYPE_CHECKING:
    pass

__all__ = ["ConnectionOwner", "TLSConnection", "CORK_LIMIT"]

CORK_LIMIT = 64 * 1024


class TLSConnection(ConnectionState):
    """One TLS connection: the engine, its feature state (ConnectionState, state.py) and the pump."""

    __slots__ = ()

    def set_verify_mode(self, request_cert: bool, reject_unauthorized: bool) -> None:
        """Node's setVerifyMode.

        A server asks for a certificate only with requestCert (and then
        insists on one with rejectUnauthorized); the verify callback accepts
        everything, the decision is made after the handshake.
        """
        engine = self.engine
        assert engine is not None, "configured before the engine is freed"
        ssl = engine.ssl
        if self.is_server:
            if request_cert:
                mode = lib.SSL_VERIFY_PEER
                if reject_unauthorized:
                    mode |= lib.SSL_VERIFY_FAIL_IF_NO_PEER_CERT
                lib.SSL_set_verify(ssl, mode, lib.tls_verify_accept_all)
            else:
                lib.SSL_set_verify(ssl, lib.SSL_VERIFY_NONE, ffi.NULL)
        else:
            lib.SSL_set_verify(ssl, lib.SSL_VERIFY_PEER, lib.tls_verify_accept_all)

    def verify_error(self) -> Optional[NodeError]:
        """Node's ssl.verifyError(): the peer's verify result as an Error, or None."""
        engine = self.engine
        if engine is None:
            return None
        if engine.has_peer_certificate():
            result = engine.verify_result()
        elif _extras.verified_without_certificate(engine.ssl):  # PSK
            result = lib.X509_V_OK
        else:
            result = lib.X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT
        return None if result == lib.X509_V_OK else verify_error(result)

    # -- input -----------------------------------------------------------
    def on_raw_data(self, data: Any) -> None:
        """Ciphertext from the transport (once per network read)."""
        engine = self.engine
        if engine is None:
            return
        self.bytes_received += len(data)
        if self.hello_parser is not None:
            self.hello_parser.feed(data)  # Node's ClientHello parser: 'resumeSession' first
            return
        engine.feed(data)
        self.cycle()

    def on_raw_eof(self) -> bool:
        """The transport ended; False when that was before the handshake finished."""
        engine = self.engine
        if engine is None:
            return True
        engine.feed_eof()
        if not self.secure:
            return False
        self.cycle()
        return True

    def cycle(self, source: Optional[Callable[[], Tuple[bytes, int]]] = None, pump: Any = None) -> None:
        """Run the engine as far as the input allows, then send its output.

        ``source``, when given, makes the first read (after the handshake):
        the socket pump's recv-and-decrypt in one C call (sockio.py).
        ``pump``, when given during the handshake, is the socket pump whose
        read event this is: the recv and the handshake step are one C call
        (``engine.handshake_socket``), and a cycle that received nothing ends
        there (the pump acts on the FIN or the errno).
        """
        engine = self.engine
        if engine is None:
            return
        owner = self.owner
        self.in_cycle = True  # writes by listeners wait for the flush at the end (see the cork)
        try:
            status: Optional[int] = READ_WANT
            try:
                if not self.secure:
                    if pump is None:
                        done = engine.handshake()
                    else:
                        r = pump._rr
                        try:
                            step = engine.handshake_socket(pump.fd, r)
                        finally:
                            got = r.received
                            if got:   # the pump's _account, inlined
                                self.bytes_received += got
                                sock: Any = owner   # the socket's read counters and idle timer (net.Socket's)
                                sock._bytes_read += got
                                if sock._timeout_ms:
                                    sock._touch()
                        if step is None:
                            return   # nothing received: no step was run
                        done = step
                    if self.ocsp is not None and _ocsp.after_handshake_step(self):
                        return  # an OCSP listener destroyed the socket
                    if not done:
                        self.flush()
                        return
                    if self.sessions is not None and _sessions.hold_secure(self):
                        return  # TLS 1.2: 'newSession' first, 'secure' waits for its done()
                    # Like Node, 'secure' runs before the last flight is sent: a
                    # socket destroyed by its listeners never sends it.
                    self.secure = True
                    owner._finishInit()
                    engine = self.engine
                    if engine is None or owner.destroyed:
                        return
                if self.sessions is not None and _sessions.dispatch(self):
                    return  # 'newSession' / 'session' (TLS 1.3 tickets come after 'secure')
                while True:
                    if source is None:
                        data, status = engine.read()
                    else:
                        data, status = source()
                        source = None
                    if self.reneg_events is not None and _renegotiation.before_data(self):
                        return  # a renegotiation finished before this data ('secure' again)
                    if data:
                        self.plaintext_received += len(data)
                        owner._push(data)
                    if self.reneg_events is not None:
                        # a renegotiation started after this data: the limits, then resume
                        status = _renegotiation.after_data(self, status)
                        if status is None:
                            return
                    if self.sessions is not None and _sessions.dispatch(self):
                        return  # sessions (tickets) read in this batch, after its data
                    if status != READ_MORE or self.engine is None:
                        break
                if self.held_writes is not None:
                    _renegotiation.release_writes(self)  # the handshake moved on: retry them
                sockio = self.sockio
                if sockio is not None and self.sessions is None:
                    # flush(), inlined for the socket driven from C (once per read event)
                    self.corked = False
                    sockio.flush()
                else:
                    self.flush()
            except NodeError as err:
                self.flush()
                if err.code == "ECONNRESET" and not self.secure and not getattr(err, "syscall", None):
                    owner._hang_up()
                else:
                    owner._on_ssl_error(err)
                return
            if status == READ_CLOSED or status == READ_EOF:
                owner._push_eof()
        finally:
            self.in_cycle = False
            if self.corked:
                self.flush()

    # -- output ----------------------------------------------------------
    def flush(self) -> None:
        """Send what OpenSSL produced (unless 'newSession' holds it)."""
        engine = self.engine
        if engine is None:
            return
        if self.sessions is not None and self.sessions.hold:
            return  # Node: output waits for 'newSession' done()
        self.corked = False
        sockio = self.sockio
        if sockio is not None:
            sockio.flush()   # C sends from the write BIO (sockio.py)
            return
        out = engine.outgoing()
        if out:
            self.bytes_sent += len(out)
            self.owner._transport_write(out)

    def flush_cork(self) -> None:
        self.cork_scheduled = False
        if self.corked:
            self.flush()

    def write_chunk(self, chunk: bytes, cb: Optional[Callable[..., Any]]) -> None:
        """Encrypt one user write (once per write)."""
        engine = self.engine
        if engine is None:
            return
        if engine.in_callback and engine.defer(self.write_chunk, chunk, cb):
            return  # a write from a hook (OpenSSL on the stack): once it returned
        if self.held_writes is not None:
            self.held_writes.append((chunk, cb))  # behind what a renegotiation holds
            return
        view: Any = chunk
        try:
            while view:
                n, pending = engine.encrypt(view)
                if self.sessions is None:
                    # nothing held for 'newSession': the records wait in the
                    # write BIO for the next flush (the cork: at once past CORK_LIMIT, else at the
                    # end of this cycle or of this loop iteration)
                    self.corked = True
                    if pending >= CORK_LIMIT:
                        self.flush()
                    elif not self.in_cycle and not self.cork_scheduled:
                        self.cork_scheduled = True
                        self._loop.call_soon(self.flush_cork)
                else:
                    # sessions wired: flush now, which sends nothing while
                    # 'newSession' holds the output (done() sends it)
                    self.flush()
                if n == 0:
                    break
                view = memoryview(view)[n:] if n < len(view) else b""
        except NodeError as err:
            self.flush()
            self.owner._on_ssl_error(err)
            return
        if view:
            _renegotiation.hold_write(self, view, cb)  # SSL_write waits for the handshake
            return
        if cb is not None:
            self.owner._after_write(cb)

    def shutdown_write(self) -> None:
        """close_notify, then the transport's FIN (end())."""
        if self.held_writes is not None:
            return  # close_notify after the held writes (renegotiation.release_writes)
        engine = self.engine
        if engine is not None:
            if engine.defer(self.shutdown_write):
                return  # end() from a hook (OpenSSL on the stack): once it returned
            engine.shutdown()
            self.flush()
        if self.sessions is not None and _sessions.defer_shutdown(self):
            return  # output held for 'newSession': FIN after done()
        self.owner._send_fin()

    # -- renegotiation -----------------------------------------------------
    def start_renegotiation(self) -> None:
        """Send the HelloRequest (server) or the new ClientHello (client)."""
        engine = self.engine
        if engine is None or self.owner.destroyed:
            return
        try:
            engine.handshake()
        except NodeError as err:
            self.flush()
            self.owner._on_ssl_error(err)
            return
        if self.reneg_events is not None:
            _renegotiation.process_events(self)  # a server counts its HelloRequest as a start
        self.flush()
