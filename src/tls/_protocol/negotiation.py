"""Protocol negotiation: ALPN (with Node 20's ``ALPNCallback``), NPN and SNI.

A port of the negotiation parts of Node 20's ``lib/internal/tls/wrap.js``
(``loadSNI``, ``callALPNCallback``, ``SNICallback``, ``Server.addContext``,
``tls.convertALPNProtocols``) and of ``src/crypto/crypto_tls.cc``
(``SetALPNProtocols``, ``SelectALPNCallback``, ``CertCbDone``), over the C
helpers of ``csrc/negotiation.c`` (which reuse the wire-format lists of
``csrc/alpn.c``).

Theory of operation
===================

ALPN and NPN never leave C during a handshake: each connection keeps its
wire-format list in SSL ex_data, and the context-wide OpenSSL callbacks pick
from it (server preference; no overlap is a fatal ``no_application_protocol``
alert, as in Node 20; an empty server list selects nothing).  NPN works in
TLS 1.2 and older only (OpenSSL has no NPN in TLS 1.3), and OpenSSL itself
drops NPN when ALPN was selected, so ALPN wins when a client offers both.

User code never runs on OpenSSL's stack.  An ``SNICallback`` and an
``ALPNCallback`` are both answered from the *client hello callback*
(``SSL_CTX_set_client_hello_cb``), installed only for sockets that have one
of them (Node enables its certificate callback under the same condition).
The Python hook only reads the ClientHello (server name, ALPN list) and
answers ``SSL_CLIENT_HELLO_RETRY``: ``SSL_do_handshake`` returns
``SSL_ERROR_WANT_CLIENT_HELLO_CB`` and the engine is ``paused``.  On the next
tick, outside OpenSSL, the ``ALPNCallback`` is called (its answer is stored
in C, where the ALPN select callback finds it), then the ``SNICallback``;
when its ``cb`` is called, the SNI context is applied and the handshake
resumes with ``TLSConnection.cycle()`` (a new ``SSL_do_handshake``, which calls
the hook again; it now answers ``SSL_CLIENT_HELLO_SUCCESS`` from C).  A
socket destroyed meanwhile simply never resumes: ``cb`` then answers
``ERR_SOCKET_CLOSED`` (a no-op destroy), never a crash.

An ``ALPNCallback`` that throws or answers a protocol the client did not
offer destroys the socket before OpenSSL sends an alert, so the client sees
``ECONNRESET``; answering ``None`` (Node's ``undefined``) refuses every
protocol with the fatal alert.  Both as in Node.

An SNI context replaces the connection's certificates, keys and chains and
its CA store (Node's ``UseSNIContext`` + ``SetCACerts``) without
``SSL_set_SSL_CTX``: the connection keeps its context, so the callbacks the
other features put on it (ALPN, tickets, OCSP, keylog, the per-connection
certificate callback, which ``SSL_set_SSL_CTX`` would drop) keep working for
SNI connections, as in Node.  Every server connection also installs Node's
servername callback (it answers NOACK, as OpenSSL does without one): with it
OpenSSL counts a server without a certificate of its own as TLS 1.3-capable,
so such handshakes fail the way Node's do.

Differences from Node 20, on purpose:

* Every key type of the SNI context is used and none of the default
  context's certificates is left behind (Node copies only the SNI context's
  current certificate, so a default ECDSA certificate can shadow an RSA one
  from the SNI context, or the reverse in TLS 1.2).
* The ``SNICallback`` and ``ALPNCallback`` run on the tick after the
  ClientHello arrived (Node calls them synchronously from OpenSSL's
  callbacks), in this order (Node's TLS 1.3 order), and the ``SNICallback``
  runs for a resumed session too (Node's runs from the certificate callback,
  which OpenSSL skips on resumption).
* A failed handshake is reported with its own error: Node 20 reports the
  stale "passed a null parameter" that its UseSNIContext leaves on OpenSSL's
  queue for an SNI context without a certificate.

NPN is the spec's (Node removed it): ``NPNProtocols`` on a client or server,
``npnProtocol`` the protocol the client selected from the server's list, or
``False`` (also on a client whose list did not overlap: it then sends its
first protocol, which the server sees, as Node did when it had NPN).
"""
from __future__ import annotations

import warnings
from typing import TYPE_CHECKING, Any, Callable, Dict, List, Optional, Tuple

from .._base.addresses import isIP
from .._binding import ffi, lib
from .._binding.callbacks import openssl_callback
from .._engine.context import SecureContext
from .._base.validators import invalid_arg_value as _invalid_arg_value, truthy as _truthy
from .._base.errors import NodeError, NodeRangeError, NodeTypeError
from .._binding.errors import error_from_queue
from .._base.validators import js_string as _js_string, validate_function as _validate_function

if TYPE_CHECKING:
    from .state import ConnectionState

__all__ = ["convertALPNProtocols", "SNICallback"]

_TLSEXT_TYPE_server_name = 0
_TLSEXT_TYPE_alpn = 16
_MAX_HOST_NAME = 255  # TLSEXT_MAXLEN_host_name: OpenSSL rejects longer names


# ---------------------------------------------------------------------------
# Protocol lists (Node's lib/tls.js convertProtocols / convertALPNProtocols)


def _convert_protocols(protocols: Any) -> bytes:
    encoded: List[bytes] = []
    for i, proto in enumerate(protocols):
        data = proto.encode("utf-8") if isinstance(proto, str) else bytes(proto)
        if len(data) > 255:
            raise NodeRangeError("The byte length of the protocol at index %d exceeds the maximum length. "
                                 "It must be <= 255. Received %d" % (i, len(data)), "ERR_OUT_OF_RANGE")
        encoded.append(data)
    out = bytearray()
    for data in encoded:
        out.append(len(data))
        out += data
    return bytes(out)


def _convert(protocols: Any, out: Any, key: str) -> None:
    if isinstance(protocols, (list, tuple)):
        value: Any = _convert_protocols(protocols)
    elif isinstance(protocols, (bytes, bytearray, memoryview)):
        value = bytes(protocols)  # a copy the caller cannot modify
    else:
        return
    if isinstance(out, dict):
        out[key] = value
    else:
        setattr(out, key, value)


def convertALPNProtocols(protocols: Any, out: Any) -> None:
    """Node's ``tls.convertALPNProtocols``: a list of names (str, or bytes
    taken as they are) becomes the wire format in ``out['ALPNProtocols']`` (a
    dict) or ``out.ALPNProtocols`` (an object); wire-format bytes are copied;
    anything else is left alone."""
    _convert(protocols, out, "ALPNProtocols")


def _wire(value: Any, name: str, given: Any) -> bytes:
    """The converted list a TLSSocket hands to OpenSSL (Node's setALPNProtocols check)."""
    if not isinstance(value, bytes):
        raise NodeTypeError("Must give a Buffer as first argument")
    _check_wire(value, name, given)
    return value


def _check_wire(wire: bytes, name: str, given: Any) -> None:
    """Refuse a malformed wire-format list where the option enters.

    A server hands its list to ``SSL_select_next_proto``, which on OpenSSL
    3.0.0-3.0.14, 3.1.0-3.1.6, 3.2.0-3.2.2 and 3.3.0-3.3.1 reads past the
    buffer when a length byte runs past its end (CVE-2024-5535):
    ``b"http/1.1"`` given where a list of names was meant is enough (``h`` is
    a length of 104).  Node 20 stores such a server list unchecked and aborts
    the process on a client one (its CHECK on ``SSL_set_alpn_protos``); we
    raise ERR_INVALID_ARG_VALUE at the call instead.  A zero-length name is
    refused too (RFC 7301 forbids it, OpenSSL refuses it on a client).  An
    empty list stays valid: Node offers / selects nothing with it.
    """
    i = 0
    while i < len(wire):
        size = wire[i]
        if size == 0 or i + 1 + size > len(wire):
            if isinstance(given, memoryview):
                given = bytes(given)  # show the bytes, not <memory at 0x...>
            raise _invalid_arg_value(
                name, given, "must be a wire-format protocol list (each name 1 to 255 bytes, "
                "prefixed with its length) or a list of names")
        i += 1 + size


def _ascii(data: bytes) -> str:
    """Buffer.toString('ascii'): the high bit of every byte is dropped."""
    return bytes(b & 0x7F for b in data).decode("latin-1")


# ---------------------------------------------------------------------------
# the default SNICallback (a tls.Server's addContext contexts: tls/_objects/server.py)


def SNICallback(socket: Any, servername: str, callback: Callable[..., Any]) -> None:
    """Node's default SNICallback over ``server.addContext`` (``this`` is the socket)."""
    server = getattr(socket, "server", None)
    contexts = server._contexts if server is not None else []
    for regex, context in reversed(contexts):
        if regex.search(servername):
            callback(None, context)
            return
    callback(None, None)


# ---------------------------------------------------------------------------
# A connection's negotiation


class _Hello:
    """The ClientHello work of one server connection (``TLSConnection.hello``):
    its SNICallback / ALPNCallback and how far they got."""

    __slots__ = ("sni_callback", "alpn_callback", "running", "done")

    def __init__(self, sni_callback: Optional[Callable[..., Any]],
                 alpn_callback: Optional[Callable[..., Any]]) -> None:
        self.sni_callback = sni_callback
        self.alpn_callback = alpn_callback
        self.running = False
        self.done = False


def configure(conn: "ConnectionState", opts: Dict[str, Any]) -> None:
    """Node's TLSSocket constructor / _init, for ALPN, ALPNCallback, NPN and SNI.

    The connection keeps what the handshake needs: ``hello`` (the callbacks),
    ``npn_wired``; the SNI context an SNICallback chooses goes to
    ``sni_context`` (Node's _handle.sni_context, which OCSPRequest reads).
    """
    engine = conn.engine
    assert engine is not None, "configured before the engine is freed"
    ssl = engine.ssl
    is_server = conn.is_server
    alpn_callback = sni_callback = None
    if is_server:
        lib.tls_neg_server_init(ssl)  # Node's SelectSNIContextCallback (answers NOACK)

    # (``x is not None and`` before _truthy: the options a server leaves unset cost no call)
    alpn = opts.get("ALPNProtocols")
    alpn_wire = None
    if alpn is not None and _truthy(alpn):
        convertALPNProtocols(alpn, opts)
        alpn_wire = _wire(opts["ALPNProtocols"], "options.ALPNProtocols", alpn)

    alpn_cb = opts.get("ALPNCallback")
    if is_server and alpn_cb is not None and _truthy(alpn_cb):
        _validate_function(opts["ALPNCallback"], "options.ALPNCallback")
        alpn_callback = opts["ALPNCallback"]
        if not lib.tls_neg_enable_alpn_callback(ssl):
            raise error_from_queue("could not enable the ALPN callback")

    npn = opts.get("NPNProtocols")
    if npn is not None and _truthy(npn):
        _convert(npn, opts, "NPNProtocols")
        wire = _wire(opts["NPNProtocols"], "options.NPNProtocols", npn)
        if not lib.tls_neg_set_npn_protos(ssl, wire, len(wire), int(is_server)):
            raise error_from_queue("could not set the NPN protocols")
        conn.npn_wired = True

    # Node: a custom SNICallback, or the default one once the server has contexts.
    sni = opts.get("SNICallback")
    server = opts.get("server")
    if is_server and _truthy(sni) and (sni is not SNICallback or getattr(server, "_contexts", None)):
        _validate_function(sni, "options.SNICallback")
        sni_callback = sni
        if not lib.tls_neg_enable_hello(ssl):
            raise error_from_queue("could not enable the SNI callback")

    if alpn_callback is not None or sni_callback is not None:
        conn.hello = _Hello(sni_callback, alpn_callback)

    if alpn_wire is not None:
        if not lib.tls_neg_set_alpn_protos(ssl, alpn_wire, len(alpn_wire), int(is_server)):
            raise error_from_queue("could not set the ALPN protocols")


def negotiated(conn: "ConnectionState") -> Tuple[Any, Any]:
    """At the end of the handshake (Node's _finishInit): what the owner shows
    as ``alpnProtocol`` and ``npnProtocol`` (a name, or False)."""
    engine = conn.engine
    if engine is None:
        return False, False
    return engine.alpn_protocol(), _npn_protocol(engine.ssl) if conn.npn_wired else False


def _npn_protocol(ssl: Any) -> Any:
    data = ffi.new("const unsigned char **")
    length = ffi.new("unsigned int *")
    if not lib.tls_neg_npn_protocol(ssl, data, length):
        return False
    return ffi.unpack(ffi.cast("char *", data[0]), length[0]).decode("latin-1")


_ip_servername_warned = False


def connect_servername(options: Dict[str, Any]) -> Any:
    """tls.connect's ``servername``: the name to send, or None (SNI is sent
    only when it is given); an IP address gets Node's DEP0123 warning once."""
    global _ip_servername_warned
    servername = options.get("servername")
    if not _truthy(servername):
        return None
    if not _ip_servername_warned and isinstance(servername, str) and isIP(servername):
        _ip_servername_warned = True
        warnings.warn("[DEP0123] Setting the TLS ServerName to an IP address is not permitted by RFC 6066. "
                      "This will be ignored in a future version.", DeprecationWarning, stacklevel=3)
    return servername


# ---------------------------------------------------------------------------
# The client hello callback: read the ClientHello, pause, answer on the next tick


def _hello_ext(ssl: Any, ext_type: int) -> Optional[bytes]:
    out = ffi.new("const unsigned char **")
    outlen = ffi.new("size_t *")
    if lib.SSL_client_hello_get0_ext(ssl, ext_type, out, outlen) != 1 or out[0] == ffi.NULL:
        return None
    data: bytes = ffi.unpack(ffi.cast("char *", out[0]), outlen[0])
    return data


def _hello_servername(ssl: Any) -> Optional[str]:
    """The host_name of the server_name extension, as OpenSSL will accept it."""
    data = _hello_ext(ssl, _TLSEXT_TYPE_server_name)
    if data is None or len(data) < 5:
        return None
    if int.from_bytes(data[0:2], "big") != len(data) - 2 or data[2] != 0:
        return None
    size = int.from_bytes(data[3:5], "big")
    name = data[5:]
    if size != len(name) or not name or size > _MAX_HOST_NAME or b"\0" in name:
        return None
    return name.decode("latin-1")


def _hello_alpn(ssl: Any) -> Optional[List[bytes]]:
    """The client's ALPN protocols, or None when it sent no (valid) list."""
    data = _hello_ext(ssl, _TLSEXT_TYPE_alpn)
    if data is None or len(data) < 2 or int.from_bytes(data[0:2], "big") != len(data) - 2:
        return None
    protocols = []
    i = 2
    while i < len(data):
        size = data[i]
        if size == 0 or i + 1 + size > len(data):
            return None
        protocols.append(data[i + 1:i + 1 + size])
        i += 1 + size
    return protocols or None


_HELLO_SUCCESS: int = lib.SSL_CLIENT_HELLO_SUCCESS
_HELLO_RETRY: int = lib.SSL_CLIENT_HELLO_RETRY


@openssl_callback("_tls_client_hello_cb", 0)  # 0: SSL_CLIENT_HELLO_ERROR
def _client_hello_cb(engine: Any, ssl: Any, al: Any, arg: Any) -> int:
    conn = engine.owner
    hello = conn.hello if conn is not None else None
    if hello is None or hello.done:
        lib.tls_neg_hello_done(ssl)
        return _HELLO_SUCCESS
    if hello.running:
        return _HELLO_RETRY
    servername = _hello_servername(ssl)
    protocols = _hello_alpn(ssl) if hello.alpn_callback is not None else None
    if protocols is None and not (servername and hello.sni_callback is not None):
        hello.done = True
        lib.tls_neg_hello_done(ssl)
        return _HELLO_SUCCESS
    hello.running = True
    conn.owner._next_tick(_hello_work, conn, servername, protocols)
    return _HELLO_RETRY


def _hello_work(conn: "ConnectionState", servername: Optional[str], protocols: Optional[List[bytes]]) -> None:
    """Outside OpenSSL: ALPNCallback, then SNICallback (whose cb resumes)."""
    if conn.engine is None or conn.owner.destroyed:
        return
    if protocols is not None and not _call_alpn_callback(conn, servername, protocols):
        return
    if servername and conn.hello.sni_callback is not None:
        _load_sni(conn, servername)
    else:
        _resume(conn)


def _call_alpn_callback(conn: "ConnectionState", servername: Optional[str], protocols: List[bytes]) -> bool:
    """Node's callALPNCallback: True when the handshake may go on."""
    names = [_ascii(p) for p in protocols]
    owner = conn.owner
    try:
        selected = conn.hello.alpn_callback({"servername": servername or False, "protocols": names})
        if selected is None:  # undefined: every protocol refused (fatal alert)
            choice = -1
        else:
            choice = next((i for i, name in enumerate(names)
                           if isinstance(selected, str) and name == selected), -1)
            if choice < 0:
                raise NodeTypeError("ALPN callback returned a value (%s) that did not match any of the "
                                    "client's offered protocols (%s)" % (_js_string(selected), ", ".join(names)),
                                    "ERR_TLS_ALPN_CALLBACK_INVALID_RESULT")
    except Exception as err:
        owner.destroy(err)
        return False
    engine = conn.engine
    if engine is None or owner.destroyed:
        return False
    lib.tls_neg_set_alpn_choice(engine.ssl, choice)
    return True


def _load_sni(conn: "ConnectionState", servername: str) -> None:
    """Node's loadSNI: ``SNICallback(servername, cb)``, cb once-guarded.

    As in Node, a ``cb`` called before ``SNICallback`` returned lets the
    handshake go on only once ``SNICallback`` returned (so a second call
    there still stops it with ERR_MULTIPLE_CALLBACK).
    """
    called = False
    inside = True
    ready = False
    owner = conn.owner

    def callback(err: Any = None, context: Any = None) -> None:
        nonlocal called, ready
        if called:
            owner.destroy(NodeError("Callback called multiple times", "ERR_MULTIPLE_CALLBACK"))
            return
        called = True
        if _truthy(err):
            owner.destroy(err)
            return
        if conn.engine is None:
            owner.destroy(NodeError("Socket is closed", "ERR_SOCKET_CLOSED"))
            return
        if _truthy(context):
            inner = context.get("context") if isinstance(context, dict) else getattr(context, "context", None)
            context = inner if _truthy(inner) else context
        else:
            context = None
        if _cert_cb_done(conn, context):
            if inside:
                ready = True
            else:
                _resume(conn)

    # Node 20 shows the name on the socket from here on: a 'tlsClientError'
    # listener of a failing SNICallback reads socket.servername (the name sent).
    owner.servername = servername
    try:
        sni_callback = conn.hello.sni_callback
        if sni_callback is SNICallback:  # the default one reads the socket's server (Node's `this`)
            SNICallback(owner, servername, callback)
        else:
            sni_callback(servername, callback)
    except Exception as err:
        owner.destroy(err)
        return
    finally:
        inside = False
    if ready:
        _resume(conn)


def _cert_cb_done(conn: "ConnectionState", context: Any) -> bool:
    """Node's CertCbDone: apply the SNI context; True when the handshake may go on."""
    engine = conn.engine
    assert engine is not None, "checked by the SNICallback's cb"
    if context is not None:
        if isinstance(context, SecureContext) and context._ctx is not None:
            conn.sni_context = context
            lib.ERR_clear_error()
            result = lib.tls_neg_use_sni_context(engine.ssl, context._ctx)
            if result < 0:
                conn.owner.destroy(error_from_queue("CertCbDone"))
                return False
            lib.ERR_clear_error()
        elif not isinstance(context, (str, int, float, bool)):
            # a JavaScript object that is no SecureContext (Node: onerror)
            conn.owner._on_ssl_error(NodeTypeError("Invalid SNI context"))
            return False
    return True


def _resume(conn: "ConnectionState") -> None:
    hello = conn.hello
    hello.running = False
    hello.done = True
    engine = conn.engine
    if engine is None or conn.owner.destroyed:
        return
    lib.tls_neg_hello_done(engine.ssl)
    engine.paused = False
    conn.cycle()
