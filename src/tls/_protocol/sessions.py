"""TLS sessions: Node's session plumbing of lib/internal/tls/wrap.js and TLSWrap.

Client
------
* ``session`` option / :func:`set_session`: d2i + ``SSL_set_session``; bytes
  that are not a session are ignored (a full handshake follows).
* :func:`get_session` (``i2d_SSL_SESSION``), :func:`get_tls_ticket`.
* The 'session' event: new sessions reach Python only once a 'session'
  listener was added (Node's ``newListener`` hook), and are emitted only after
  'secureConnect' (Node's kIsVerified): in TLS 1.2 the session made by the
  handshake comes right after 'secureConnect'; in TLS 1.3 each ticket the
  server sends after the handshake gives one 'session'.

Server
------
Wired only for sockets whose server had a 'newSession' or 'resumeSession'
listener when the connection arrived (Node's enableSessionCallbacks):

* 'resumeSession' (id, cb): like Node, the ClientHello is parsed before
  OpenSSL sees it (:class:`_HelloParser`, Node's ClientHelloParser); when it
  carries a session id and no ticket, the handshake waits (ciphertext is
  buffered, OpenSSL is not run) until ``cb(err, data)``.  ``data`` is loaded
  in C and handed to OpenSSL by the get-session callback (csrc/sessions.c),
  so session-id resumption works through an external store.  OpenSSL 3.0 has
  no asynchronous session lookup of its own (``SSL_magic_pending_session_ptr``
  is BoringSSL's), hence the parser.
* 'newSession' (id, data, done): output is held, and in TLS 1.2 'secure'
  (so 'secureConnection') waits, until ``done()``.  TLS 1.3 sessions are
  tickets made after the handshake: 'secureConnection' first, then one
  'newSession' per ticket.

OpenSSL calls the new-session hook while it runs; the hook only records the
session (``_State.events``) and the socket emits the events after OpenSSL has
returned (:func:`dispatch`), so a listener that destroys the socket never
frees the ``SSL*`` under OpenSSL's feet.

Once-guards as in Node: a second ``resumeSession`` callback destroys the
socket with ERR_MULTIPLE_CALLBACK, a callback after the socket closed with
ERR_SOCKET_CLOSED (a no-op on a destroyed socket); a second ``done()`` is
ignored.

Differences from Node kept on purpose (Node's behaviour there is a by-product
of running listeners inside OpenSSL's info callback):

* a TLS 1.3 server writes its tickets when the handshake completes, so they
  precede data written in 'secureConnection' (Node: data first); our client
  emits 'data' before the 'session' events of the same read either way, a
  Node client emits 'session' first when the tickets come first;
* a TLS 1.3 server that end()s in 'secureConnection' still sends its tickets
  (Node sends close_notify first, so its client gets no 'session'), and an
  end() while 'newSession' holds the output sends close_notify and FIN after
  that output (Node sends the FIN first and the held output is lost).

And one for safety: while a 'resumeSession' lookup is pending, at most
``_PENDING_LIMIT`` bytes (33038: the ClientHello record plus one full TLS 1.3
record) are held; a client that sends more is destroyed with
ERR_TLS_RESUME_SESSION_OVERFLOW ('tlsClientError').  Node holds everything
until the lookup answers, so a client could grow its memory without bound.

Ticket keys: ``Server.getTicketKeys()`` / ``setTicketKeys(keys)`` over the
context's 48-byte keys (csrc/tickets.c).  (Node's Server defaults for
``sessionIdContext`` / ``sessionTimeout`` / ``ticketKeys`` live in
``_extras.set_secure_context``.)
"""
from __future__ import annotations

from collections import OrderedDict
from typing import TYPE_CHECKING, Any, Callable, List, Optional, Tuple

from .._binding import ffi, lib
from .._binding.callbacks import openssl_callback
from .._base.validators import truthy as _truthy
from .._base.errors import NodeError, NodeTypeError
from .._base.validators import received as _received

if TYPE_CHECKING:
    from .state import ConnectionState

__all__ = [
    "configure", "dispatch", "hold_secure", "defer_shutdown",
    "get_session", "get_tls_ticket", "set_session",
    "get_ticket_keys", "set_ticket_keys",
]

_MAX_SESSION_SIZE = 10 * 1024          # Node's SecureContext::kMaxSessionSize
_BUFFERS = (bytes, bytearray, memoryview)


class _State:
    """Per-connection session state (``TLSConnection.sessions``), only when wired."""

    __slots__ = ("events", "current", "hold", "dispatching", "new_session_pending", "secure_pending",
                 "shutdown_pending")

    def __init__(self) -> None:
        # (id, DER, ticket) recorded inside OpenSSL, emitted after it returned
        self.events: List[Tuple[bytes, bytes, Optional[bytes]]] = []
        # The session being emitted: what getSession() / getTLSTicket() show
        # meanwhile, as in Node, whose listeners run inside OpenSSL's callback.
        self.current: Optional[Tuple[bytes, Optional[bytes]]] = None
        self.hold = False                 # Node's awaiting_new_session: output waits
        self.dispatching = False
        self.new_session_pending = False  # Node's _newSessionPending
        self.secure_pending = False       # Node's _securePending
        self.shutdown_pending = False     # FIN asked while output was held


def _enable(conn: "ConnectionState") -> Optional[_State]:
    engine = conn.engine
    if engine is None:
        return None
    if not lib.tls_sessions_enable(engine.ssl, 1):
        raise MemoryError("could not enable the session callbacks")
    state: Optional[_State] = conn.sessions
    if state is None:
        state = conn.sessions = _State()
    return state


# -- OpenSSL -> Python -------------------------------------------------------------

@openssl_callback("_tls_new_session_cb", 0)
def _on_new_session(engine: Any, ssl: Any, sess: Any) -> int:
    """A new session (TLS 1.2 handshake, TLS 1.3 ticket): record it."""
    conn = engine.owner
    state = conn.sessions if conn is not None else None
    if state is None:
        return 0
    der = _session_der(sess)
    if der is None or len(der) > _MAX_SESSION_SIZE:
        return 0
    length = ffi.new("unsigned int *")
    sid = lib.SSL_SESSION_get_id(sess, length)
    state.events.append((ffi.unpack(ffi.cast("char *", sid), length[0]), der, _ticket(sess)))
    if engine.is_server:
        state.hold = True
    else:
        _remember_session(der, sess)
    return 0


def _session_der(sess: Any) -> Optional[bytes]:
    size = lib.tls_session_der(sess, ffi.NULL)
    if size <= 0:
        return None
    buf = ffi.new("unsigned char[]", size)
    if lib.tls_session_der(sess, buf) != size:
        return None
    der: bytes = ffi.buffer(buf, size)[:]
    return der


# -- connection hooks (TLSSocket construction, TLSConnection's pump) ---------------

def configure(conn: "ConnectionState", opts: Any) -> None:
    """Node's TLSSocket._init, the session part."""
    owner = conn.owner
    if conn.is_server:
        if owner._server_listens("resumeSession") or owner._server_listens("newSession"):
            if _enable(conn) is not None:
                conn.hello_parser = _HelloParser(conn)
        return
    session = opts.get("session")
    if _truthy(session):
        _set_session(conn, session)
    # Only call into Python for new sessions once there is a 'session'
    # listener (Node's newListener hook; _enable is idempotent and does
    # nothing on a freed connection).
    owner._on_first_tls_listener("session", lambda: _enable(conn))


def dispatch(conn: "ConnectionState") -> bool:
    """Emit the session events of OpenSSL's last calls; True when the connection is gone."""
    state = conn.sessions
    events = state.events
    if not events:
        return False
    state.events = []
    state.dispatching = True
    try:
        for sid, der, ticket in events:
            if conn.engine is None:
                return True
            state.current = (der, ticket)
            if conn.is_server:
                _server_new_session(conn, state, sid, der)
            else:
                _client_new_session(conn, der)
    finally:
        state.dispatching = False
        state.current = None
    if conn.engine is None:
        return True
    if state.shutdown_pending and not state.hold:
        _send_pending_shutdown(conn, state)  # done() was called by a listener
    return conn.engine is None


def hold_secure(conn: "ConnectionState") -> bool:
    """The handshake is done: True when 'secure' must wait for 'newSession' done().

    Node's onhandshakedone: in TLS 1.2 the session is made before the
    handshake is done, so 'newSession' comes first and 'secure' waits for
    ``done()``; TLS 1.3 tickets come after 'secure' (see dispatch()).
    """
    state = conn.sessions
    if state.secure_pending:
        return True
    if not conn.is_server or not state.events:
        return False
    engine = conn.engine
    if engine is None or engine.protocol() == "TLSv1.3":
        return False
    if dispatch(conn):
        return True
    if state.new_session_pending:
        state.secure_pending = True
        return True
    return False


def defer_shutdown(conn: "ConnectionState") -> bool:
    """end() while output is held for 'newSession': send FIN after done()."""
    state = conn.sessions
    if state is not None and state.hold:
        state.shutdown_pending = True
        return True
    return False


def _client_new_session(conn: "ConnectionState", der: bytes) -> None:
    # Node's onnewsessionclient: only once verified ('secureConnect' emitted);
    # a session made before that (never the case here: events are dispatched
    # after 'secure') or on a bare TLSSocket client is not emitted.
    owner = conn.owner
    if not owner.secureConnecting:
        owner._emit_tls_event("session", der)


def _server_new_session(conn: "ConnectionState", state: _State, sid: bytes, der: bytes) -> None:
    """Node's onnewsession."""
    once = False

    def done(*_: Any) -> None:
        nonlocal once
        if once:
            return
        once = True
        if conn.engine is None:
            conn.owner.destroy(NodeError("Socket is closed", "ERR_SOCKET_CLOSED"))
            return
        _new_session_done(conn, state)

    state.new_session_pending = True
    if not conn.owner._emit_server_event("newSession", sid, der, done):
        done()


def _new_session_done(conn: "ConnectionState", state: _State) -> None:
    state.hold = False
    state.new_session_pending = False
    if state.dispatching:
        return  # called from a listener: the running cycle goes on
    conn.flush()
    if state.shutdown_pending:
        _send_pending_shutdown(conn, state)
    if state.secure_pending and conn.engine is not None:
        state.secure_pending = False
        conn.cycle()


def _send_pending_shutdown(conn: "ConnectionState", state: _State) -> None:
    """The FIN end() asked for while the output was held (after that output)."""
    state.shutdown_pending = False
    if conn.engine is not None:
        conn.shutdown_write()


# -- Node's ClientHelloParser --------------------------------------------------------

_PARSING, _PAUSED, _CUT_OFF = 0, 1, 2
_MAX_FRAME = 16 * 1024 + 5            # kMaxTLSFrameLen
# What a client may have sent while its 'resumeSession' lookup is pending
# (held here, OpenSSL not run; Node holds it without a limit).  An honest
# client sends the ClientHello record the parser paused for (it pauses only
# for a record body below _MAX_FRAME: at most 5 + _MAX_FRAME - 1 bytes) and
# then at most one more record before it must wait for the server: TLS 1.3's
# change_cipher_spec, or early data, whose records are at most
# 5 + 2**14 + 256 bytes (RFC 8446 5.2).  33038 bytes in all; more is a flood.
_PENDING_LIMIT = (5 + _MAX_FRAME - 1) + (5 + 2 ** 14 + 256)
_CONTENT_TYPES = (20, 21, 22, 23)     # change_cipher_spec, alert, handshake, application_data
_CLIENT_HELLO = 1
_EXT_SESSION_TICKET = 35


class _HelloParser:
    """Holds the first bytes a server receives until 'resumeSession' is answered.

    While it is attached (``conn.hello_parser``) the ciphertext is buffered
    here and OpenSSL is not run; detaching hands the buffer to the engine.
    """

    __slots__ = ("conn", "buf", "frame_len", "state")

    def __init__(self, conn: "ConnectionState") -> None:
        self.conn = conn
        self.buf = bytearray()
        self.frame_len = -1
        self.state = _PARSING

    def feed(self, data: Any) -> None:
        if self.state == _CUT_OFF:
            return
        if self.state == _PAUSED and len(self.buf) + len(data) > _PENDING_LIMIT:
            return self._cut_off()  # before appending: never more than the limit is held
        self.buf += data
        if self.state == _PARSING:
            self._parse()
            # the read that completed the ClientHello may carry a flood too
            if self.state == _PAUSED and self.conn.hello_parser is self and len(self.buf) > _PENDING_LIMIT:
                self._cut_off()

    def _cut_off(self) -> None:
        """Too much while 'resumeSession' is pending: drop it all, destroy the socket."""
        self.state = _CUT_OFF
        self.buf = bytearray()
        self.conn.owner.destroy(NodeError("The client sent more than %d bytes while 'resumeSession' was pending"
                                    % _PENDING_LIMIT, "ERR_TLS_RESUME_SESSION_OVERFLOW"))

    def _parse(self) -> None:
        buf = self.buf
        if self.frame_len < 0:
            if len(buf) < 5:
                return
            if buf[0] not in _CONTENT_TYPES:
                return self.end()
            self.frame_len = (buf[3] << 8) | buf[4]
            if self.frame_len >= _MAX_FRAME:
                return self.end()  # let OpenSSL handle it
        end = 5 + self.frame_len
        if len(buf) < end:
            return
        # Handshake message type, then client_version (3, 1..3) of the hello.
        if end < 11 or buf[9] != 3 or not 1 <= buf[10] <= 3 or buf[5] != _CLIENT_HELLO:
            return self.end()
        hello = _parse_client_hello(buf, end)
        if hello is None:
            return self.end()
        self.state = _PAUSED
        _load_session(self.conn, self, hello[0], hello[1])

    def end(self) -> None:
        """Node's endParser: OpenSSL gets the buffered bytes and runs."""
        conn = self.conn
        if self.state == _CUT_OFF:
            return  # the socket was destroyed: nothing may reach OpenSSL
        if conn.hello_parser is self:
            conn.hello_parser = None
        data, self.buf = bytes(self.buf), bytearray()
        self.state = _PAUSED
        if data and conn.engine is not None:
            # through the owner: a TLSSocket's first bytes start its handshake (bytes the
            # network gave once, counted when they arrived)
            conn.bytes_received -= len(data)
            conn.owner._on_raw_data(data)


def _parse_client_hello(buf: bytearray, end: int) -> Optional[Tuple[bytes, bool]]:
    """(session id, has a non-empty ticket extension) of a ClientHello record, or None."""
    session_offset = 5 + 4 + 2 + 32    # record header, handshake header, version, random
    if session_offset + 1 >= end:
        return None
    session_size = buf[session_offset]
    if session_size > 32:
        return None
    session_id = bytes(buf[session_offset + 1:session_offset + 1 + session_size])
    cipher_offset = session_offset + 1 + session_size
    if cipher_offset + 1 >= end:
        return None
    comp_offset = cipher_offset + 2 + ((buf[cipher_offset] << 8) | buf[cipher_offset + 1])
    if comp_offset >= end:
        return None
    ext_offset = comp_offset + 1 + buf[comp_offset]
    if ext_offset > end:
        return None
    has_ticket = False
    offset = ext_offset + 2
    while offset < end:
        if offset + 4 > end:
            return None
        ext_type = (buf[offset] << 8) | buf[offset + 1]
        ext_len = (buf[offset + 2] << 8) | buf[offset + 3]
        offset += 4
        if offset + ext_len > end:
            return None
        if ext_type == _EXT_SESSION_TICKET:
            has_ticket = ext_len != 0
        offset += ext_len
    return session_id, has_ticket


def _load_session(conn: "ConnectionState", parser: _HelloParser, session_id: bytes, has_ticket: bool) -> None:
    """Node's loadSession (the socket's onclienthello)."""
    once = False
    owner = conn.owner

    def on_session(err: Any = None, session: Any = None) -> None:
        nonlocal once
        if once:
            owner.destroy(NodeError("Callback called multiple times", "ERR_MULTIPLE_CALLBACK"))
            return
        once = True
        if _truthy(err):
            owner.destroy(err)
            return
        engine = conn.engine
        if engine is None:
            owner.destroy(NodeError("Socket is closed", "ERR_SOCKET_CLOSED"))
            return
        if isinstance(session, _BUFFERS):
            data = bytes(session)
            lib.tls_sessions_load(engine.ssl, data, len(data))
        parser.end()

    # Sessions without an id cannot be resumed; with a ticket OpenSSL resumes
    # from the ticket itself; without a listener nothing is loaded.
    if not session_id or has_ticket \
            or not owner._emit_server_event("resumeSession", session_id, on_session):
        parser.end()


# -- getters / setters ---------------------------------------------------------------

def _current(conn: "ConnectionState", index: int, read: Callable[[Any], Optional[bytes]]) -> Optional[bytes]:
    """The session being reported by a 'session' event, else the live one."""
    engine = conn.engine
    if engine is None:
        return None
    state: Optional[_State] = conn.sessions
    if state is not None and state.current is not None:
        return state.current[index]
    sess = lib.SSL_get_session(engine.ssl)
    if sess == ffi.NULL:
        return None
    return read(sess)


def get_session(conn: "ConnectionState") -> Optional[bytes]:
    return _current(conn, 0, _session_der)


def get_tls_ticket(conn: "ConnectionState") -> Optional[bytes]:
    return _current(conn, 1, _ticket)


def _ticket(sess: Any) -> Optional[bytes]:
    ticket = ffi.new("const unsigned char **")
    length = ffi.new("size_t *")
    lib.SSL_SESSION_get0_ticket(sess, ticket, length)
    if ticket[0] == ffi.NULL:
        return None
    data: bytes = ffi.unpack(ffi.cast("char *", ticket[0]), length[0])
    return data


def set_session(conn: "ConnectionState", session: Any) -> None:
    """TLSSocket.setSession: a str is taken as latin-1 bytes."""
    if isinstance(session, str):
        session = bytes(ord(c) & 0xFF for c in session)
    _set_session(conn, session)


def _set_session(conn: "ConnectionState", session: Any) -> None:
    if not isinstance(session, _BUFFERS):
        raise NodeTypeError("Session must be a buffer", "ERR_INVALID_ARG_TYPE")
    engine = conn.engine
    if engine is None:
        return
    decoded = _decoded_session(bytes(session))
    if decoded is None:
        return  # not a session: ignored, as by Node's d2i_SSL_SESSION failure
    if lib.tls_set_session_copy(engine.ssl, decoded) < 0:
        lib.ERR_clear_error()
        raise NodeError("SSL_set_session error")


# DER -> decoded SSL_SESSION*, most recently used last: a client resuming one
# session over and over (the 'session' option) decodes it once.
_decoded_sessions: "OrderedDict[bytes, Any]" = OrderedDict()
_DECODED_SESSIONS_MAX = 64


def _remember_session(der: bytes, sess: Any) -> None:
    """A client's new session, kept decoded under the DER its 'session' event
    hands out: passing those bytes back as ``session`` needs no decoding at
    all.  A copy, so that what happens to this connection later (a fatal
    alert marks its session not resumable) does not follow the bytes."""
    copy = lib.SSL_SESSION_dup(sess)
    if copy == ffi.NULL:
        lib.ERR_clear_error()
        return
    _decoded_sessions[der] = ffi.gc(copy, lib.SSL_SESSION_free)
    if len(_decoded_sessions) > _DECODED_SESSIONS_MAX:
        _decoded_sessions.popitem(last=False)


def _decoded_session(der: bytes) -> Any:
    decoded = _decoded_sessions.get(der)
    if decoded is not None:
        _decoded_sessions.move_to_end(der)
        return decoded
    buf = ffi.from_buffer("unsigned char[]", der)
    raw = lib.d2i_SSL_SESSION(ffi.NULL, ffi.new("const unsigned char **", buf), len(der))
    if raw == ffi.NULL:
        lib.ERR_clear_error()
        return None
    decoded = _decoded_sessions[der] = ffi.gc(raw, lib.SSL_SESSION_free)
    if len(_decoded_sessions) > _DECODED_SESSIONS_MAX:
        _decoded_sessions.popitem(last=False)
    return decoded


# -- tls.Server ----------------------------------------------------------------------

def get_ticket_keys(server: Any) -> bytes:
    keys: bytes = server._shared_creds.context.getTicketKeys()
    return keys


def set_ticket_keys(server: Any, keys: Any) -> None:
    if not isinstance(keys, _BUFFERS):
        raise NodeTypeError('The "buffer" argument must be an instance of Buffer, TypedArray, or DataView. '
                            + _received(keys), "ERR_INVALID_ARG_TYPE")
    size = keys.nbytes if isinstance(keys, memoryview) else len(keys)
    if size != 48:
        raise NodeError("Session ticket keys must be a 48-byte buffer\n"
                        "This is caused by either a bug in Node.js or incorrect usage of Node.js internals.\n"
                        "Please open an issue with this stack trace at https://github.com/nodejs/node/issues\n",
                        "ERR_INTERNAL_ASSERTION")
    server._shared_creds.context.setTicketKeys(keys)
