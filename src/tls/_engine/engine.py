"""The sans-IO TLS engine: one ``SSL*`` between two memory BIOs.

Theory of operation
===================

The engine knows nothing about sockets or asyncio.  The owner (a
TLSConnection, tls._protocol.connection, which OpenSSL's hooks find through
the engine) hands it the ciphertext that arrived from the network with
:meth:`feed` and pulls out what OpenSSL wants to send with :meth:`outgoing`;
plaintext goes the other way through :meth:`encrypt` and :meth:`read`.  Every call runs OpenSSL to
the point where it needs more input, then returns.

Why memory BIOs instead of letting OpenSSL own the file descriptor: the same
engine then drives a TCP socket, a wrapped Node-style stream or an in-memory
peer in a test, and all waiting is done by the event loop, never by OpenSSL.

The cost model that shapes the API (see csrc/datapath.c): Python makes a
constant number of calls per network read or user write, never one per TLS
record.  :meth:`read` decrypts every complete record into one reusable
per-thread buffer and copies the result out once; :meth:`encrypt` encrypts a
whole user write in C; :meth:`outgoing` collects all pending records in one
call.  Idle engines own no buffers (``SSL_MODE_RELEASE_BUFFERS``) and only a
handful of Python attributes.

Handshake states.  :meth:`handshake` returns ``True`` once the handshake is
done, ``False`` when OpenSSL needs more input (or is paused by an
asynchronous callback, see ``paused``), and raises the Node-decorated
OpenSSL error when it fails.  Errors raised inside Python callbacks that
OpenSSL called are never allowed to cross the C stack: ``tls/_callbacks.py``
stores them in ``callback_error`` and returns the hook's fatal code; the
engine raises the stored error here, after OpenSSL has returned.

Re-entry.  A Python hook runs while OpenSSL is on the C stack (a
pskCallback inside ``SSL_do_handshake``), so nothing it does may free the
``SSL*`` or call OpenSSL on it again.  The callback guard counts the hooks
running on an engine in ``in_callback``.  While it is non-zero :meth:`free`
only detaches the engine (ex_data cleared, so later hooks of the same call
answer "fatal") and the real ``SSL_free`` waits, and socket operations that
would re-enter OpenSSL (renegotiate, end, write) are queued with
:meth:`defer`.  Every engine method that can run hooks ends by checking
``_deferred`` (one attribute test on the data path): once OpenSSL returned it
runs the queue in order, then frees the ``SSL*`` if that was asked.  Node's
TLSWrap behaves the same way (its ``SSL`` lives until the handle closes).

Shutdown.  ``SSL_ERROR_ZERO_RETURN`` from :meth:`read` means the peer sent
close_notify (the reading side is finished); :meth:`feed_eof` tells OpenSSL
that the transport ended, after which a read reports ``EOF`` when the peer
vanished without close_notify (Node treats that as a plain end of stream).
"""
from __future__ import annotations

import threading
from typing import Any, Callable, Dict, List, Optional, Tuple

from .._binding import ffi, lib
from .._binding.callbacks import SSL_OWNER_INDEX as _SSL_INDEX
from .._base.errors import NodeError
from .._binding.errors import error_from_queue

# Results of read(): what stopped the decrypt loop.
READ_MORE = 0        # buffer filled; call read() again
READ_WANT = 1        # all complete records consumed; wait for more ciphertext
READ_CLOSED = 2      # close_notify received
READ_EOF = 3         # transport EOF without close_notify

_BUFFER_SIZE = 256 * 1024
# Stop encrypting when this much ciphertext waits, so one huge write cannot
# sit twice in memory (plaintext + its records).
_OUT_LIMIT = 256 * 1024

_SSL_R_UNEXPECTED_EOF = 294  # SSL_R_UNEXPECTED_EOF_WHILE_READING


class _Scratch(threading.local):
    """Per-thread reusable buffers: C writes into them, Python copies out once."""

    def __init__(self) -> None:
        self.buf = ffi.new("char[]", _BUFFER_SIZE)
        self.view = ffi.buffer(self.buf)
        self.status = ffi.new("int *")
        self.io = ffi.new("size_t[2]")
        self.alpn_data = ffi.new("const unsigned char **")   # alpn_protocol's out-parameters
        self.alpn_length = ffi.new("unsigned int *")


_scratch = _Scratch()


class TLSEngine:
    __slots__ = (
        "_ssl", "ssl", "_handle", "is_server", "handshake_done", "callback_error",
        "paused", "owner", "eof", "_read_error", "in_callback", "_deferred", "_free_requested",
        "__weakref__",
    )

    def __init__(self, ctx: Any, is_server: bool, owner: Any = None) -> None:
        handle = ffi.new_handle(self)
        # SSL_new, the memory BIOs, the mode, the state and the ex_data slot
        # in one C call (csrc/datapath.c).
        ssl = lib.tls_engine_new(ctx, is_server, handle)
        if ssl == ffi.NULL:
            raise error_from_queue("SSL_new failed")
        self._handle = handle
        # ``ssl`` is what other modules read (a slot, not a property: it is
        # read several times per handshake); ``_ssl`` what the engine uses.
        self._ssl = self.ssl = ssl
        self.is_server = is_server
        self.handshake_done = False
        self.callback_error: Optional[BaseException] = None
        # Set by an asynchronous callback (SNI, OCSP, session lookup) that
        # paused the handshake; the owner resumes with handshake().
        self.paused = False
        self.owner = owner
        self.eof = False
        # A fatal read error met after some plaintext: raised by the next read().
        self._read_error: Optional[BaseException] = None
        # Python hooks of this engine now running on OpenSSL's stack (tls._callbacks).
        self.in_callback = 0
        # What those hooks asked for that must wait until OpenSSL returned:
        # None on the fast path (the only thing the data path looks at).
        self._deferred: Optional[List[Tuple[Callable[..., Any], Tuple[Any, ...]]]] = None
        self._free_requested = False

    # -- lifetime --------------------------------------------------------
    def free(self) -> None:
        try:
            ssl = self._ssl
        except AttributeError:   # unset when __init__ failed
            return
        if ssl is None:
            return
        if self.in_callback:
            # OpenSSL is running on this SSL (a hook called us): detach now,
            # free once it returned (_run_deferred).
            if not self._free_requested:
                self._free_requested = True
                lib.SSL_set_ex_data(ssl, _SSL_INDEX, ffi.NULL)
                self.owner = None
                if self._deferred is None:
                    self._deferred = []
            return
        self._ssl = self.ssl = None
        # Clear ex_data first: nothing may find this engine any more.
        lib.SSL_set_ex_data(ssl, _SSL_INDEX, ffi.NULL)
        lib.SSL_free(ssl)
        self._handle = None
        self.owner = None

    def native(self) -> Any:
        """The ``SSL*`` as a plain (borrowed) pointer for tls.openssl users; None once freed."""
        ssl = self._ssl
        return None if ssl is None else ffi.cast("SSL *", ssl)

    def __del__(self) -> None:
        try:
            if self._ssl is None or self.in_callback:
                return  # freed already (the usual case), or a hook is running: never free under OpenSSL
        except AttributeError:   # __init__ failed before setting it
            pass
        self.free()

    def defer(self, fn: Callable[..., Any], *args: Any) -> bool:
        """Queue ``fn(*args)`` until OpenSSL returns, if a hook of this engine is running.

        Returns False (and does nothing) when OpenSSL is not on the stack:
        the caller then goes on at once.  Socket operations that call
        OpenSSL on this connection start with it.
        """
        if not self.in_callback:
            return False
        if self._deferred is None:
            self._deferred = []
        self._deferred.append((fn, args))
        return True

    def _run_deferred(self) -> None:
        """After OpenSSL returned: the queued operations in order, then a requested free."""
        if self.in_callback:
            return  # an engine call made by a hook itself: the outer call runs them
        queue, self._deferred = self._deferred, None
        error: Optional[BaseException] = None
        for fn, args in queue or ():
            # Each runs as if called now; an operation that calls OpenSSL
            # again starts a fresh round (its own hooks may defer again).
            try:
                fn(*args)
            except BaseException as exc:  # the others still run; the first error is raised
                if error is None:
                    error = exc
        if self._free_requested and self._ssl is not None:
            self.free()
        if error is not None:
            raise error

    # -- network side ----------------------------------------------------
    def feed(self, data: Any) -> None:
        """Ciphertext from the network (bytes, bytearray or memoryview)."""
        if not isinstance(data, bytes):
            data = ffi.from_buffer(data)
        if lib.tls_feed(self._ssl, data, len(data)) != 0:
            raise error_from_queue("BIO_write failed")

    def feed_eof(self) -> None:
        self.eof = True
        lib.tls_feed_eof(self._ssl)

    def _unexpected_eof(self) -> bool:
        """OpenSSL 3 reports a transport EOF without close_notify as an SSL error."""
        if self.eof and lib.ERR_GET_REASON(lib.ERR_peek_last_error()) == _SSL_R_UNEXPECTED_EOF:
            lib.ERR_clear_error()
            return True
        return False

    def outgoing(self) -> bytes:
        """All ciphertext OpenSSL produced since the last call."""
        ssl = self._ssl
        if ssl is None:
            return b""
        scratch = _scratch
        n = lib.tls_drain(ssl, scratch.buf, _BUFFER_SIZE)
        if n < _BUFFER_SIZE:
            return scratch.view[:n] if n else b""
        # More than the scratch buffer: drain it in pieces (no zero-filled
        # temporary buffer), one join.
        parts = [scratch.view[:n]]
        while n == _BUFFER_SIZE:
            n = lib.tls_drain(ssl, scratch.buf, _BUFFER_SIZE)
            if n:
                parts.append(scratch.view[:n])
        return b"".join(parts)

    # -- handshake -------------------------------------------------------
    def handshake(self) -> bool:
        try:
            return self._handshake()
        finally:
            if self._deferred is not None:
                self._run_deferred()

    def handshake_socket(self, fd: int, result: Any) -> Optional[bool]:
        """:meth:`handshake`, after taking what the kernel has for ``fd`` into the read BIO, in one C call.

        ``None`` when nothing was received (no step was run; ``result`` says
        whether the peer's FIN or an errno ended the read), else as
        :meth:`handshake`.  ``result`` (a ``tls_sockio_result *``) also
        counts the bytes received (csrc/sockio.c's ``tls_sockio_handshake``).
        """
        try:
            ret = lib.tls_sockio_handshake(self._ssl, fd, _scratch.buf, _BUFFER_SIZE, result)
            if ret == -2:
                return None
            if self.callback_error is None:   # the usual outcomes, inlined (once or twice per connection)
                if ret == 1:
                    self.handshake_done = True
                    return True
                status = result.status
                if status == lib.SSL_ERROR_WANT_READ or status == lib.SSL_ERROR_WANT_WRITE:
                    return False
            return self._handshake_outcome(ret, result.status)
        finally:
            if self._deferred is not None:
                self._run_deferred()

    def _handshake(self) -> bool:
        ret = lib.SSL_do_handshake(self._ssl)
        if ret == 1:
            self.handshake_done = True
            if self.callback_error is not None:
                self._raise_callback_error()
            return True
        return self._handshake_outcome(ret, lib.SSL_get_error(self._ssl, ret))

    def _handshake_outcome(self, ret: int, err: int) -> bool:
        """What one SSL_do_handshake() step returned (``ret``, and ``err``, its SSL_get_error())."""
        if ret == 1:
            self.handshake_done = True
            if self.callback_error is not None:
                self._raise_callback_error()
            return True
        if self.callback_error is not None:
            self._raise_callback_error()
        if err == lib.SSL_ERROR_WANT_READ or err == lib.SSL_ERROR_WANT_WRITE:
            return False
        if err in (lib.SSL_ERROR_WANT_X509_LOOKUP, lib.SSL_ERROR_WANT_CLIENT_HELLO_CB):
            self.paused = True
            return False
        if err == lib.SSL_ERROR_ZERO_RETURN:
            # close_notify before the handshake finished (found by fuzz/): Node's
            # ClearOut reads it as the end of the stream, as a vanished peer.
            lib.ERR_clear_error()
            raise NodeError("Client network socket disconnected before secure TLS "
                            "connection was established", "ECONNRESET")
        if err == lib.SSL_ERROR_SYSCALL or self._unexpected_eof():
            e = error_from_queue()
            if e is None:
                # The transport ended in the middle of the handshake.
                raise NodeError("Client network socket disconnected before secure TLS "
                                "connection was established", "ECONNRESET")
            raise e
        raise error_from_queue("TLS handshake failed")

    def _raise_callback_error(self) -> None:
        error = self.callback_error
        if error is not None:
            self.callback_error = None
            lib.ERR_clear_error()
            raise error

    # -- application data ------------------------------------------------
    def read(self) -> Tuple[bytes, int]:
        """Decrypt what is complete: (plaintext, one of the READ_* codes).

        Records decrypted before a bad one are returned first (as READ_MORE);
        the error is raised by the next call, so the plaintext is delivered
        before the error, as Node does.
        """
        error = self._read_error
        if error is not None:
            self._read_error = None
            raise error
        try:
            scratch = _scratch
            n = lib.tls_read(self._ssl, scratch.buf, _BUFFER_SIZE, scratch.status)
            data = scratch.view[:n] if n else b""
            status = scratch.status[0]
            if status == lib.SSL_ERROR_NONE:
                return data, READ_MORE
            if status == lib.SSL_ERROR_WANT_READ or status == lib.SSL_ERROR_WANT_WRITE:
                return data, READ_WANT
            return self._read_status(data, status)
        finally:
            # the only cost of re-entry safety here (see "Re-entry" above)
            if self._deferred is not None:
                self._run_deferred()

    def _read_status(self, data: bytes, status: int) -> Tuple[bytes, int]:
        """read()'s answer for the rarer statuses (the end, a pause, an error)."""
        if status == lib.SSL_ERROR_ZERO_RETURN:
            return data, READ_CLOSED
        if status == lib.SSL_ERROR_SYSCALL:
            lib.ERR_clear_error()
            return data, READ_EOF
        if status in (lib.SSL_ERROR_WANT_X509_LOOKUP, lib.SSL_ERROR_WANT_CLIENT_HELLO_CB):
            # a renegotiation paused by an asynchronous callback
            self.paused = True
            return data, READ_WANT
        try:
            self._raise_callback_error()
            if self._unexpected_eof():
                return data, READ_EOF
            raise error_from_queue("TLS read failed")
        except BaseException as exc:
            if not data:
                raise
            self._read_error = exc
            return data, READ_MORE

    def read_socket(self, fd: int, result: Any) -> Tuple[bytes, int]:
        """:meth:`read`, after taking what the kernel has for ``fd`` into the read BIO, in one C call.

        ``result`` (a ``tls_sockio_result *``, csrc/sockio.c) receives what
        the call saw of the socket (bytes received, the peer's FIN, an errno);
        the caller acts on it once the plaintext is delivered.
        """
        error = self._read_error
        if error is not None:
            self._read_error = None
            raise error
        try:
            scratch = _scratch
            n = lib.tls_sockio_read(self._ssl, fd, scratch.buf, _BUFFER_SIZE, _BUFFER_SIZE, 1, result)
            data = scratch.view[:n] if n else b""
            status = result.status
            if status == lib.SSL_ERROR_WANT_READ or status == lib.SSL_ERROR_WANT_WRITE:
                return data, READ_WANT
            if status == lib.SSL_ERROR_NONE:
                return data, READ_MORE
            return self._read_status(data, status)
        finally:
            if self._deferred is not None:
                self._run_deferred()

    def peer_leaf_der(self) -> Optional[bytes]:
        """The DER of the first certificate the peer sent (a client's view of its server), or None."""
        ssl = self._ssl
        if ssl is None:
            return None
        chain = lib.SSL_get_peer_cert_chain(ssl)
        if chain == ffi.NULL or lib.sk_X509_num(chain) <= 0:
            return None
        cert = lib.sk_X509_value(chain, 0)
        size = lib.i2d_X509(cert, ffi.NULL)
        if size <= 0:
            return None
        buf = ffi.new("unsigned char[]", size)
        if lib.i2d_X509(cert, ffi.new("unsigned char **", buf)) != size:
            return None
        der: bytes = ffi.buffer(buf, size)[:]
        return der

    def receive_socket(self, fd: int, result: Any) -> int:
        """Take what the kernel has for ``fd`` into the read BIO (no decrypting): the bytes taken."""
        lib.tls_sockio_read(self._ssl, fd, _scratch.buf, _BUFFER_SIZE, _BUFFER_SIZE, 0, result)
        got: int = result.received
        return got

    def send_socket(self, fd: int, result: Any) -> int:
        """send() the write BIO's records to ``fd`` (what the kernel refuses stays queued there)."""
        ssl = self._ssl
        if ssl is None:
            return 0
        sent: int = lib.tls_sockio_flush(ssl, fd, result)
        return sent

    def queue_raw(self, data: bytes) -> None:
        """Bytes to send as they are, after the records that wait (the send queue is the write BIO)."""
        if lib.tls_sockio_queue(self._ssl, data, len(data)) != 0:
            raise error_from_queue("BIO_write failed")

    def encrypt(self, data: Any) -> Tuple[int, int]:
        """Encrypt from ``data``: (plaintext bytes consumed, ciphertext bytes now pending).

        The one write path (in one C call).  The records stay in the write BIO
        for :meth:`outgoing`, so the owner decides when they are sent: at once,
        corked until the end of the loop iteration, or held (Node holds a
        TLS 1.2 server's output for 'newSession').  Stops early when a lot of
        ciphertext is waiting (drain outgoing() and call again with the rest),
        and consumes less than ``data`` without an error while a
        renegotiation is in progress or paused by a callback.
        """
        if type(data) is not bytes:
            data = ffi.from_buffer(data)
        size = len(data)
        scratch = _scratch
        io = scratch.io
        try:
            n = lib.tls_write_out(self._ssl, data, size, _OUT_LIMIT, scratch.status, scratch.buf, 0, io)
            status = scratch.status[0]
            if status != lib.SSL_ERROR_NONE and n < size:
                if status not in (lib.SSL_ERROR_WANT_READ, lib.SSL_ERROR_WANT_WRITE, lib.SSL_ERROR_WANT_X509_LOOKUP,
                                  lib.SSL_ERROR_WANT_CLIENT_HELLO_CB):
                    self._raise_callback_error()
                    raise error_from_queue("TLS write failed")
            return n, io[1]
        finally:
            if self._deferred is not None:
                self._run_deferred()

    def shutdown(self) -> None:
        """Queue close_notify (once); the caller drains outgoing()."""
        ssl = self._ssl
        if ssl is None or lib.SSL_get_shutdown(ssl) & lib.SSL_SENT_SHUTDOWN:
            return
        try:
            lib.SSL_shutdown(ssl)
            lib.ERR_clear_error()
        finally:
            if self._deferred is not None:
                self._run_deferred()

    def renegotiate(self) -> None:
        """Schedule a renegotiation (TLS <= 1.2); the next handshake() sends the request."""
        if lib.SSL_renegotiate(self._ssl) != 1:
            raise error_from_queue("SSL_renegotiate failed")

    def renegotiate_pending(self) -> bool:
        return bool(lib.SSL_renegotiate_pending(self._ssl))

    # -- facts -----------------------------------------------------------
    def verify_result(self) -> int:
        result: int = lib.SSL_get_verify_result(self._ssl)
        return result

    def has_peer_certificate(self) -> bool:
        cert = lib.SSL_get1_peer_certificate(self._ssl)
        if cert == ffi.NULL:
            return False
        lib.X509_free(cert)
        return True

    def protocol(self) -> Optional[str]:
        version: bytes = ffi.string(lib.SSL_get_version(self._ssl))
        return version.decode()

    def cipher(self) -> Optional[Dict[str, str]]:
        cipher = lib.SSL_get_current_cipher(self._ssl)
        if cipher == ffi.NULL:
            return None
        return {
            "name": ffi.string(lib.SSL_CIPHER_get_name(cipher)).decode(),
            "standardName": ffi.string(lib.SSL_CIPHER_standard_name(cipher)).decode(),
            "version": ffi.string(lib.SSL_CIPHER_get_version(cipher)).decode(),
        }

    def session_reused(self) -> bool:
        return bool(lib.SSL_session_reused(self._ssl))

    def reused_and_tls13(self) -> Tuple[bool, bool]:
        """``session_reused()`` and ``protocol() == "TLSv1.3"`` in one call (a server reads both per handshake)."""
        ssl = self._ssl
        return lib.SSL_session_reused(ssl) == 1, lib.SSL_version(ssl) == lib.TLS1_3_VERSION

    def alpn_protocol(self) -> Any:
        """The ALPN protocol selected in the handshake, or False (as Node's getALPNNegotiatedProtocol)."""
        scratch = _scratch   # (two ffi.new per handshake otherwise)
        data = scratch.alpn_data
        length = scratch.alpn_length
        lib.SSL_get0_alpn_selected(self._ssl, data, length)
        if length[0] == 0 or data[0] == ffi.NULL:
            return False
        return ffi.unpack(ffi.cast("char *", data[0]), length[0]).decode("latin-1")

    def set_servername(self, name: str) -> None:
        if not lib.SSL_set_tlsext_host_name(self._ssl, name.encode()):
            raise error_from_queue("could not set the server name")

    def servername(self) -> Optional[str]:
        name = lib.SSL_get_servername(self._ssl, lib.TLSEXT_NAMETYPE_host_name)
        return ffi.string(name).decode() if name != ffi.NULL else None
