"""asyncio streams over this package's TLS: ``open_connection`` and ``start_server``.

Code written for asyncio's streams runs unchanged over Node's TLS (with all of
its options: ``ALPNProtocols``, ``SNICallback``, ``session``, ``ticketKeys``,
``requestOCSP``, PSK ...)::

    reader, writer = await tls.open_connection("example.org", 443, servername="example.org",
                                               ALPNProtocols=["http/1.1"])
    writer.write(b"GET / HTTP/1.1\\r\\nHost: example.org\\r\\n\\r\\n")
    await writer.drain()
    print(await reader.readline())
    writer.close()
    await writer.wait_closed()

    server = await tls.start_server(handle, "127.0.0.1", 8443, key=key, cert=cert)
    async with server:
        await server.serve_forever()

The reader and writer are asyncio's own ``StreamReader`` and ``StreamWriter``,
fed by asyncio's own ``StreamReaderProtocol``; only the transport is ours
(:class:`TLSTransport`), an ``asyncio.Transport`` over a ``tls.TLSSocket``:

* ``'data'`` -> ``protocol.data_received``; the reader's ``pause_reading`` /
  ``resume_reading`` are the socket's ``pause()`` / ``resume()`` (so a reader
  nobody reads stops the TCP connection, as with asyncio's transports);
* ``write()`` is the socket's ``write()``; when it returns False the protocol
  is paused (``pause_writing``) until the socket's 'drain', which is what
  ``await writer.drain()`` waits for; ``set_write_buffer_limits(high)`` sets
  the socket's ``writableHighWaterMark``;
* ``write_eof()`` is ``end()`` (close_notify, then FIN); ``close()`` is
  ``end()`` and then 'close' once the peer has ended too (destroyed after
  ``ssl_shutdown_timeout`` seconds, 30 by default, as asyncio's TLS
  transports); ``abort()`` is ``destroy()``;
* the peer's end is ``protocol.eof_received()``: as on asyncio's TLS
  transports the connection is then closed, unless the ``allowHalfOpen``
  option is given (then our side stays open until ``write_eof`` / ``close``);
* 'close' is ``protocol.connection_lost(error)``, which ends the reader
  (or makes it raise the socket's error) and resolves ``writer.wait_closed()``.

``writer.get_extra_info(name)``: ``'tls_socket'`` (the TLSSocket, for every
Node method), ``'peername'``, ``'sockname'``, ``'socket'``, ``'sslcontext'``
(the ``tls.SecureContext``), ``'ssl_object'`` (an :class:`SSLObjectView` with
``ssl.SSLObject``'s read-only methods: ``getpeercert``, ``cipher``,
``version``, ``selected_alpn_protocol``, ``get_channel_binding`` ...),
``'peercert'`` (``ssl.SSLObject.getpeercert()``'s dict) and ``'cipher'``
(``(name, protocol, secret bits)``).

Options are Node's option names (camelCase); besides them ``open_connection``
takes asyncio's ``limit``, ``server_hostname`` (the ``servername``; ``''``
turns the host name check off, as in asyncio), ``ssl_handshake_timeout``
(seconds), ``ssl_shutdown_timeout`` (seconds), ``local_addr`` and
``ssl=True``; ``start_server`` takes ``limit``, ``backlog``,
``start_serving``, ``ssl_handshake_timeout``, ``ssl_shutdown_timeout`` and
``reuse_address`` (always on, as in Node).  Errors are Node's coded
``tls.NodeError`` (``ECONNREFUSED``, ``UNABLE_TO_VERIFY_LEAF_SIGNATURE`` ...).
"""
from __future__ import annotations

import asyncio
import socket as _socket
from typing import TYPE_CHECKING, Any, Awaitable, Callable, Dict, Optional, Set, Tuple

from .._base.errors import NodeError
from .._base.options import TLS_CONNECT, TLS_SERVER, OptionTable, take_options
from .._binding import ffi, lib
from .._node import net
from .._node.aio import shutdown
from .._objects.connect import connect
from .._objects.server import Server as TLSServer
from .._objects.tlssocket import TLSSocket
from .._objects.x509 import _split_escaped_alt_names

if TYPE_CHECKING:
    from .._engine.context import SecureContext

__all__ = ["open_connection", "start_server", "open_unix_connection", "start_unix_server",
           "Server", "TLSTransport", "SSLObjectView"]

_DEFAULT_LIMIT = 2 ** 16   # asyncio.streams._DEFAULT_LIMIT

ClientConnectedCallback = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Optional[Awaitable[None]]]


# -- the transport ---------------------------------------------------------------------------

class TLSTransport(asyncio.Transport):
    """An ``asyncio.Transport`` over a connected ``tls.TLSSocket`` (see the module docstring)."""

    def __init__(self, sock: TLSSocket, protocol: asyncio.BaseProtocol, half_open: bool = False,
                 server: Optional["Server"] = None, shutdown_timeout: float = 30.0) -> None:
        super().__init__()
        self._sock = sock
        # an asyncio.Protocol (data_received, eof_received), typed as the Transport API has it
        self._protocol: Any = protocol
        self._half_open = half_open
        self._server = server
        self._closing = False
        self._lost = False
        self._eof_seen = False
        self._eof_written = False
        self._reading = True
        self._writing_paused = False
        self._error: Optional[BaseException] = None
        self._ssl_object: Optional[SSLObjectView] = None
        self._low_water = 0
        self._shutdown_timeout = shutdown_timeout
        raw = getattr(sock, "_transport", None)
        self._extra: Dict[str, Any] = {}
        for name in ("peername", "sockname", "socket"):
            self._extra[name] = raw.get_extra_info(name) if raw is not None else None
        if self._extra["peername"] is None and sock.remoteAddress is not None:
            self._extra["peername"] = (sock.remoteAddress, sock.remotePort)
        if self._extra["sockname"] is None and sock.localAddress is not None:
            self._extra["sockname"] = (sock.localAddress, sock.localPort)
        sock.on("end", self._on_end)
        sock.on("drain", self._on_drain)
        sock.on("finish", self._on_drain)
        sock.on("error", self._on_error)
        sock.on("close", self._on_close)
        if server is not None:
            server._transports.add(self)

    def _start(self) -> None:
        """Hand the transport to the protocol, then let the data flow."""
        sock = self._sock
        self._protocol.connection_made(self)
        sock.on("data", self._on_data)
        if sock.isPaused():
            sock.resume()
        # what happened before we were listening ('end' / 'close' already emitted)
        if sock.readableEnded and not self._eof_seen and not sock.destroyed:
            self._on_end()
        if sock.closed and not self._lost:
            self._on_close(sock._destroy_error is not None)

    # -- socket events -------------------------------------------------------------------
    def _on_data(self, chunk: Any) -> None:
        if not self._closing:
            self._protocol.data_received(chunk if type(chunk) is bytes else
                                         chunk.encode() if isinstance(chunk, str) else bytes(chunk))

    def _on_end(self, *_: Any) -> None:
        if self._eof_seen:
            return
        self._eof_seen = True
        keep_open = self._protocol.eof_received()
        if not keep_open and not self._half_open:
            self.close()

    def _on_drain(self, *_: Any) -> None:
        if self._writing_paused:
            self._writing_paused = False
            self._protocol.resume_writing()

    def _on_error(self, err: BaseException) -> None:
        if self._error is None:
            self._error = err

    def _on_close(self, *_: Any) -> None:
        if self._lost:
            return
        self._lost = True
        self._closing = True
        if self._server is not None:
            self._server._transports.discard(self)
        if self._error is None and self._sock._destroy_error is not None:
            self._error = self._sock._destroy_error
        self._protocol.connection_lost(self._error)

    # -- asyncio.BaseTransport -----------------------------------------------------------
    def get_extra_info(self, name: str, default: Any = None) -> Any:
        if name == "tls_socket":
            return self._sock
        if name in self._extra:
            value = self._extra[name]
            return default if value is None else value
        if name == "sslcontext":
            return self._sock._secure_context
        if name == "ssl_object":
            return self._ssl_view()
        if name == "peercert":
            return self._ssl_view().getpeercert()
        if name == "cipher":
            return self._ssl_view().cipher()
        if name == "compression":
            return None
        raw = getattr(self._sock, "_transport", None)
        return raw.get_extra_info(name, default) if raw is not None else default

    def _ssl_view(self) -> "SSLObjectView":
        if self._ssl_object is None:
            self._ssl_object = SSLObjectView(self._sock)
        return self._ssl_object

    def is_closing(self) -> bool:
        return self._closing or self._lost

    def close(self) -> None:
        """Flush what is written, send close_notify and FIN, read on (dropping the
        data) until the peer ends too, then close; destroy after
        ``tls._aio.SHUTDOWN_TIMEOUT`` seconds without the peer's end (as
        asyncio's TLS transports do, with their ``ssl_shutdown_timeout``)."""
        if self._closing:
            return
        self._closing = True
        shutdown(self._sock, self._shutdown_timeout)

    def set_protocol(self, protocol: asyncio.BaseProtocol) -> None:
        self._protocol = protocol

    def get_protocol(self) -> asyncio.BaseProtocol:
        protocol: asyncio.BaseProtocol = self._protocol
        return protocol

    # -- asyncio.ReadTransport -----------------------------------------------------------
    def is_reading(self) -> bool:
        return self._reading and not self.is_closing()

    def pause_reading(self) -> None:
        if self._reading and not self.is_closing():
            self._reading = False
            self._sock.pause()

    def resume_reading(self) -> None:
        if not self._reading and not self.is_closing():
            self._reading = True
            self._sock.resume()

    # -- asyncio.WriteTransport ----------------------------------------------------------
    def set_write_buffer_limits(self, high: Optional[int] = None, low: Optional[int] = None) -> None:
        """``high`` becomes the socket's ``writableHighWaterMark`` (Node's default
        16 KiB until set; asyncio's 64 KiB when only ``low`` is given)."""
        if high is None:
            high = 4 * low if low is not None else 64 * 1024
        if low is None:
            low = high // 4
        if not high >= low >= 0:
            raise ValueError("high (%r) must be >= low (%r) must be >= 0" % (high, low))
        self._sock.writableHighWaterMark = high
        self._low_water = low

    def get_write_buffer_limits(self) -> Tuple[int, int]:
        return self._low_water, self._sock.writableHighWaterMark

    def get_write_buffer_size(self) -> int:
        return self._sock.writableLength

    def write(self, data: Any) -> None:
        if not isinstance(data, (bytes, bytearray, memoryview)):
            raise TypeError("data argument must be a bytes-like object, not %r" % type(data).__name__)
        if self._eof_written:
            raise RuntimeError("Cannot call write() after write_eof()")
        if not data:
            return
        sock = self._sock
        if self._lost or sock.destroyed or sock.writableEnded:
            return  # closed: dropped, as asyncio's transports drop writes after the connection is lost
        if sock.write(data if type(data) is bytes else bytes(data)) is False and not self._writing_paused:
            self._writing_paused = True
            self._protocol.pause_writing()

    def write_eof(self) -> None:
        """Node's ``end()``: close_notify, then FIN."""
        if self._eof_written:
            return
        self._eof_written = True
        if not self._sock.destroyed:
            self._sock.end()

    def can_write_eof(self) -> bool:
        return True

    def abort(self) -> None:
        """Close at once (Node's ``destroy()``), dropping what is not sent."""
        self._closing = True
        sock = self._sock
        raw = getattr(sock, "_transport", None)
        if not sock.destroyed:
            sock.destroy()
        if raw is not None:
            try:
                raw.abort()
            except Exception:  # pragma: no cover - already closed
                pass

    def __repr__(self) -> str:
        state = "closed" if self._lost else "closing" if self._closing else "open"
        return "<TLSTransport %s %r>" % (state, self._extra.get("peername"))


# -- ssl_object / peercert / cipher -------------------------------------------------------

def _long_name(short: str) -> str:
    nid = lib.OBJ_sn2nid(short.encode())
    if nid == 0:
        nid = lib.OBJ_txt2nid(short.encode())
    if nid == 0:
        return short
    long_name: bytes = ffi.string(lib.OBJ_nid2ln(nid))
    return long_name.decode()


def _python_name(name: Optional[Dict[str, Any]]) -> Tuple[Any, ...]:
    rdns = []
    for key, value in (name or {}).items():
        for item in (value if isinstance(value, list) else [value]):
            rdns.append(((_long_name(key), item),))
    return tuple(rdns)


def _der_version(der: bytes) -> int:
    """The X.509 version (1, 2, 3) of a DER certificate: TBSCertificate's optional [0] field."""
    def header(offset: int) -> Tuple[int, int]:   # (start of contents, length)
        length = der[offset + 1]
        offset += 2
        if length & 0x80:
            count = length & 0x7F
            length = int.from_bytes(der[offset:offset + count], "big")
            offset += count
        return offset, length

    try:
        tbs, _ = header(0)             # Certificate SEQUENCE
        inner, _ = header(tbs)         # TBSCertificate SEQUENCE
        if der[inner] == 0xA0:         # [0] EXPLICIT Version
            value, _ = header(inner)
            contents, length = header(value)
            return der[contents + length - 1] + 1
    except IndexError:
        pass
    return 1


def python_peercert(cert: Optional[Dict[str, Any]]) -> Optional[Dict[str, Any]]:
    """A Node certificate object as ``ssl.SSLSocket.getpeercert()`` gives it."""
    if not cert:
        return None
    out: Dict[str, Any] = {"subject": _python_name(cert.get("subject")),
                           "issuer": _python_name(cert.get("issuer"))}
    raw = cert.get("raw")
    if raw:
        out["version"] = _der_version(raw)
    if cert.get("serialNumber"):
        out["serialNumber"] = cert["serialNumber"].upper()
    out["notBefore"] = cert.get("valid_from")
    out["notAfter"] = cert.get("valid_to")
    alt = cert.get("subjectaltname")
    if alt:
        names = []
        for entry in _split_escaped_alt_names(alt):
            kind, _, value = entry.partition(":")
            names.append((kind, value))
        out["subjectAltName"] = tuple(names)
    access = cert.get("infoAccess") or {}
    for node_key, python_key in (("OCSP - URI", "OCSP"), ("CA Issuers - URI", "caIssuers")):
        if access.get(node_key):
            out[python_key] = tuple(access[node_key])
    return out


class SSLObjectView:
    """The read-only part of ``ssl.SSLObject`` over a ``tls.TLSSocket``
    (``writer.get_extra_info('ssl_object')``); ``tls_socket`` is the socket."""

    def __init__(self, sock: TLSSocket) -> None:
        self.tls_socket = sock

    @property
    def server_side(self) -> bool:
        return bool(self.tls_socket._is_server)

    @property
    def server_hostname(self) -> Optional[str]:
        sock = self.tls_socket
        if sock._is_server:
            return None
        options = sock._connect_options or {}
        name = options.get("servername")
        if not name:   # Node sends the host as SNI unless it is an IP address
            host = options.get("host")
            name = host if host and not net.isIP(host) else sock.servername
        return name or None

    @property
    def context(self) -> SecureContext:
        return self.tls_socket._secure_context

    @property
    def session_reused(self) -> bool:
        return bool(self.tls_socket.isSessionReused())

    @property
    def session(self) -> Optional[bytes]:
        """The session as Node gives it (DER ``bytes``, for the ``session`` option)."""
        return self.tls_socket.getSession()

    def getpeercert(self, binary_form: bool = False) -> Any:
        cert = self.tls_socket.getPeerCertificate()
        if not cert:
            return None
        if binary_form:
            return cert.get("raw")
        if not self.tls_socket.authorized:
            return {}  # as ssl: a certificate that was not validated gives an empty dict
        return python_peercert(cert)

    def cipher(self) -> Optional[Tuple[str, str, int]]:
        sock = self.tls_socket
        info = sock.getCipher()
        engine = getattr(sock, "_engine", None)
        if not info or engine is None:
            return None
        current = lib.SSL_get_current_cipher(engine.ssl)
        bits = lib.SSL_CIPHER_get_bits(current, ffi.NULL) if current != ffi.NULL else 0
        return info["name"], info["version"], bits

    def shared_ciphers(self) -> None:
        return None

    def compression(self) -> None:
        return None

    def version(self) -> Optional[str]:
        return self.tls_socket.getProtocol()

    def selected_alpn_protocol(self) -> Optional[str]:
        return self.tls_socket.alpnProtocol or None

    def selected_npn_protocol(self) -> Optional[str]:
        return getattr(self.tls_socket, "npnProtocol", None) or None

    def pending(self) -> int:
        return 0

    def get_channel_binding(self, cb_type: str = "tls-unique") -> Optional[bytes]:
        """'tls-unique': the first Finished message of the handshake (as ``ssl``)."""
        if cb_type != "tls-unique":
            raise ValueError("Unsupported channel binding type %r" % (cb_type,))
        sock = self.tls_socket
        own_first = bool(sock.isSessionReused()) != bool(sock._is_server)
        return sock.getFinished() if own_first else sock.getPeerFinished()

    def __repr__(self) -> str:
        return "<SSLObjectView of %r>" % (self.tls_socket,)


# -- options ------------------------------------------------------------------------------

def _split_keywords(kwds: Dict[str, Any], asyncio_names: Tuple[str, ...], table: OptionTable, where: str
                    ) -> Tuple[Dict[str, Any], Dict[str, Any]]:
    """(asyncio's keyword arguments, Node's options in camelCase) from one ``**kwds``.

    Every keyword asyncio's call takes is either honoured by the caller or
    refused here with a TypeError naming it; the rest are Node's options,
    taken by the one option rule (snake_case aliases, unknown names refused).
    """
    asyncio_args = {key: kwds[key] for key in asyncio_names if key in kwds}
    options = take_options(None, {key: value for key, value in kwds.items() if key not in asyncio_args},
                           table, where)
    ssl = asyncio_args.pop("ssl", True)
    if ssl is not True:
        raise TypeError("%s() makes TLS connections from Node's tls options (key=, cert=, ca=, ...); "
                        "ssl=%r is not supported" % (where, ssl))
    for key, harmless in _ASYNCIO_DEFAULTS_ONLY.items():
        if key in asyncio_args and asyncio_args[key] not in harmless:
            raise TypeError("%s() does not support %s=%r (tls has no such setting; leave it out)"
                            % (where, key, asyncio_args[key]))
    return asyncio_args, options


# asyncio keywords accepted only with the values that mean what tls does anyway
_ASYNCIO_DEFAULTS_ONLY: Dict[str, Tuple[Any, ...]] = {
    "proto": (0, _socket.IPPROTO_TCP),
    "happy_eyeballs_delay": (None,),
    "interleave": (None,),
    "all_errors": (False,),
    "reuse_address": (None, True),   # tls servers always set SO_REUSEADDR, as asyncio does on Unix
    "reuse_port": (None, False),
}
_NODE_FAMILY = {_socket.AF_UNSPEC: None, _socket.AF_INET: 4, _socket.AF_INET6: 6}


def _node_family(family: Any, where: str) -> Optional[int]:
    if family not in _NODE_FAMILY:
        raise TypeError("%s() supports family=AF_UNSPEC, AF_INET or AF_INET6, not %r" % (where, family))
    return _NODE_FAMILY[family]


# -- client -----------------------------------------------------------------------------------

async def _connect_transport(asyncio_args: Dict[str, Any], options: Dict[str, Any],
                             protocol: asyncio.BaseProtocol) -> TLSTransport:

    hostname = asyncio_args.get("server_hostname")
    if hostname is not None:
        if hostname:
            options["servername"] = hostname
        else:  # asyncio: server_hostname='' disables the host name check
            options["checkServerIdentity"] = lambda host, cert: None
    local = asyncio_args.get("local_addr")
    if local:
        options["localAddress"], options["localPort"] = local[0], local[1]
    family = _node_family(asyncio_args.get("family", 0), "open_connection")
    if family is not None:
        options["family"] = family
    if asyncio_args.get("flags"):
        options["hints"] = asyncio_args["flags"]   # getaddrinfo flags: Node's hints
    sock = asyncio_args.get("sock")
    if sock is not None:
        if options.get("host") is not None or options.get("port") is not None or options.get("path") is not None:
            raise ValueError("host/port and sock can not be specified at the same time")
        options["socket"] = net.Socket()._adopt_connected(sock)
    timeout = asyncio_args.get("ssl_handshake_timeout")
    shutdown_timeout = asyncio_args.get("ssl_shutdown_timeout") or 30.0
    half_open = bool(options.get("allowHalfOpen"))
    options["allowHalfOpen"] = True   # the transport applies the policy (see _on_end)
    loop = asyncio.get_running_loop()
    future: "asyncio.Future[TLSTransport]" = loop.create_future()
    sock = connect(options)

    def finish() -> None:
        sock.removeListener("secureConnect", on_secure)
        sock.removeListener("error", on_error)
        sock.removeListener("close", on_close)

    def on_secure() -> None:
        finish()
        if future.done():
            return
        transport = TLSTransport(sock, protocol, half_open, shutdown_timeout=shutdown_timeout)
        transport._start()   # synchronously: no event of the socket can be missed
        future.set_result(transport)

    def on_error(err: BaseException) -> None:
        finish()
        if not future.done():
            future.set_exception(err)

    def on_close(*_: Any) -> None:
        finish()
        if not future.done():
            future.set_exception(NodeError("Socket closed before the connection was established",
                                           "ERR_SOCKET_CLOSED_BEFORE_CONNECTION"))

    sock.on("secureConnect", on_secure)
    sock.on("error", on_error)
    sock.on("close", on_close)
    try:
        if timeout is not None:
            return await asyncio.wait_for(future, timeout)
        return await future
    except BaseException:
        if future.done() and not future.cancelled() and future.exception() is None:
            future.result().abort()
        else:
            sock.destroy()
        raise


# loop.create_connection's keywords (asyncio.open_connection passes them on)
_OPEN_CONNECTION_KEYWORDS = ("ssl", "family", "proto", "flags", "sock", "local_addr", "server_hostname",
                             "ssl_handshake_timeout", "ssl_shutdown_timeout", "happy_eyeballs_delay",
                             "interleave", "all_errors")
# loop.create_server's keywords (asyncio.start_server passes them on); "path" is start_unix_server's
_START_SERVER_KEYWORDS = ("ssl", "family", "flags", "sock", "backlog", "reuse_address", "reuse_port",
                          "keep_alive", "ssl_handshake_timeout", "ssl_shutdown_timeout", "start_serving", "path")


async def open_connection(host: Optional[str] = None, port: Optional[int] = None, *,
                          limit: int = _DEFAULT_LIMIT, **kwds: Any
                          ) -> Tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    """``asyncio.open_connection`` over ``tls.connect``: (reader, writer) once the
    handshake is done and the server verified ('secureConnect').

    ``kwds`` are ``tls.connect``'s options (``ca``, ``servername``,
    ``ALPNProtocols``, ``session``, ``requestOCSP``, ``rejectUnauthorized``
    ...) plus asyncio's ``server_hostname``, ``ssl_handshake_timeout``,
    ``local_addr``.  Raises the connection's NodeError (``ECONNREFUSED``, a
    verification code such as ``DEPTH_ZERO_SELF_SIGNED_CERT`` ...).
    """
    asyncio_args, options = _split_keywords(kwds, _OPEN_CONNECTION_KEYWORDS, TLS_CONNECT, "open_connection")
    if host is not None:
        options["host"] = host
    if port is not None:
        options["port"] = port
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader(limit=limit, loop=loop)
    protocol = asyncio.StreamReaderProtocol(reader, loop=loop)
    transport = await _connect_transport(asyncio_args, options, protocol)
    writer = asyncio.StreamWriter(transport, protocol, reader, loop)
    return reader, writer


async def open_unix_connection(path: Optional[str] = None, *, limit: int = _DEFAULT_LIMIT,
                               **kwds: Any) -> Tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    """:func:`open_connection` over a Unix-domain socket (Node's ``path`` option)."""
    if path is not None:
        kwds["path"] = path
    return await open_connection(limit=limit, **kwds)


# -- server -----------------------------------------------------------------------------------

class Server(asyncio.AbstractServer):
    """What :func:`start_server` returns: asyncio's ``Server`` API over a ``tls.Server``
    (``tls_server``, for Node's API: ``addContext``, ``setTicketKeys``,
    'tlsClientError' ...)."""

    def __init__(self, client_connected_cb: ClientConnectedCallback, listen_options: Dict[str, Any],
                 limit: int, options: Dict[str, Any], shutdown_timeout: float = 30.0) -> None:

        self._loop = asyncio.get_running_loop()
        self._client_connected_cb = client_connected_cb
        self._listen_options = listen_options
        self._limit = limit
        self._shutdown_timeout = shutdown_timeout
        self._half_open = bool(options.get("allowHalfOpen"))
        self._given_socket: Optional[_socket.socket] = None   # asyncio's sock=, until listening
        options["allowHalfOpen"] = True   # the transport applies the policy
        self._transports: Set[TLSTransport] = set()
        self._serving_forever_fut: Optional[asyncio.Future[None]] = None
        self._close_called = False
        self._closed: asyncio.Future[None] = self._loop.create_future()
        self.tls_server = TLSServer(options)
        self.tls_server.on("secureConnection", self._on_secure_connection)
        self.tls_server.on("close", self._on_close)

    def _on_secure_connection(self, sock: TLSSocket) -> None:
        reader = asyncio.StreamReader(limit=self._limit, loop=self._loop)
        protocol = asyncio.StreamReaderProtocol(reader, self._client_connected_cb, loop=self._loop)
        TLSTransport(sock, protocol, self._half_open, self, self._shutdown_timeout)._start()

    def _on_close(self) -> None:
        if not self._closed.done():
            self._closed.set_result(None)

    def _on_error(self, err: BaseException) -> None:
        # accept errors (EMFILE ...): reported as asyncio's server reports them
        self._loop.call_exception_handler({"message": "tls server error", "exception": err, "server": self})

    # -- asyncio.AbstractServer ------------------------------------------------------------
    def get_loop(self) -> asyncio.AbstractEventLoop:
        return self._loop

    def is_serving(self) -> bool:
        return bool(self.tls_server.listening)

    @property
    def sockets(self) -> Tuple[Any, ...]:
        sock = getattr(self.tls_server, "_sock", None)
        if sock is None:
            return ()
        try:
            from asyncio.trsock import TransportSocket
        except ImportError:  # pragma: no cover
            return (sock,)
        return (TransportSocket(sock),)

    async def start_serving(self) -> None:
        """Listen (if not yet); raises the listen error (EADDRINUSE ...)."""
        if self.tls_server.listening:
            return
        if self._close_called:
            raise RuntimeError("server %r is closed" % (self,))
        await self.tls_server.listen(dict(self._listen_options))
        if self._given_socket is not None:
            # asyncio's sock=: the server owns it now; ours is a duplicate, so
            # close the caller's, or the address stays bound after close()
            self._given_socket.close()
            self._given_socket = None
        if not self.tls_server.listenerCount("error"):
            self.tls_server.on("error", self._on_error)

    async def serve_forever(self) -> None:
        if self._serving_forever_fut is not None:
            raise RuntimeError("server %r is already being awaited on serve_forever()" % (self,))
        if self._close_called:
            raise RuntimeError("server %r is closed" % (self,))
        await self.start_serving()
        self._serving_forever_fut = self._loop.create_future()
        try:
            await self._serving_forever_fut
        except asyncio.CancelledError:
            try:
                self.close()
                await self.wait_closed()
            finally:
                raise
        finally:
            self._serving_forever_fut = None

    def close(self) -> None:
        """Stop listening; open connections stay (``close_clients()`` closes them)."""
        if self._close_called:
            return
        self._close_called = True
        self.tls_server.close()
        fut = self._serving_forever_fut
        if fut is not None and not fut.done():
            fut.cancel()

    def close_clients(self) -> None:
        for transport in list(self._transports):
            transport.close()

    def abort_clients(self) -> None:
        for transport in list(self._transports):
            transport.abort()

    async def wait_closed(self) -> None:
        """Wait until the server is closed and every connection is gone (Node's 'close')."""
        await asyncio.shield(self._closed)

    async def __aenter__(self) -> "Server":
        return self

    async def __aexit__(self, *exc: Any) -> None:
        self.close()
        await self.wait_closed()

    def __repr__(self) -> str:
        return "<%s.%s sockets=%r>" % (__name__, type(self).__name__, self.sockets)


async def start_server(client_connected_cb: ClientConnectedCallback, host: Optional[str] = None,
                       port: Optional[int] = None, *, limit: int = _DEFAULT_LIMIT, **kwds: Any) -> Server:
    """``asyncio.start_server`` over ``tls.createServer``: ``client_connected_cb(reader,
    writer)`` runs for each connection once its handshake is done ('secureConnection').

    ``kwds`` are ``tls.createServer``'s options (``key``, ``cert``, ``ca``,
    ``requestCert``, ``ALPNProtocols``, ``SNICallback``, ``ticketKeys`` ...)
    plus asyncio's ``backlog``, ``start_serving``, ``ssl_handshake_timeout``.
    """
    if isinstance(host, (list, tuple, set)):
        raise TypeError("start_server() listens on one host (a tls.Server is one listening socket)")
    asyncio_args, options = _split_keywords(kwds, _START_SERVER_KEYWORDS, TLS_SERVER, "start_server")
    timeout = asyncio_args.get("ssl_handshake_timeout")
    if timeout is not None:
        options["handshakeTimeout"] = timeout * 1000.0
    if asyncio_args.get("keep_alive"):
        options["keepAlive"] = True
    flags = asyncio_args.get("flags", _socket.AI_PASSIVE)
    if flags not in (0, _socket.AI_PASSIVE):
        raise TypeError("start_server() supports flags=AI_PASSIVE only, not %r" % (flags,))
    family = _node_family(asyncio_args.get("family", 0), "start_server")
    listen: Dict[str, Any] = {}
    sock = asyncio_args.get("sock")
    if sock is not None:
        if host is not None or port is not None or asyncio_args.get("path") is not None:
            raise ValueError("host/port and sock can not be specified at the same time")
        listen["fd"] = sock.fileno()
    elif asyncio_args.get("path") is not None:
        listen["path"] = asyncio_args["path"]
    else:
        listen["port"] = 0 if port is None else port
        if host is not None:
            if family is not None and net.isIP(host) not in (0, family):
                raise ValueError("start_server(): host %r is not an address of family %r" % (host, family))
            listen["host"] = host
        elif family is not None:
            # asyncio binds the wildcard address of that family only
            listen["host"], listen["ipv6Only"] = ("::", True) if family == 6 else ("0.0.0.0", False)
    if asyncio_args.get("backlog") is not None:
        listen["backlog"] = asyncio_args["backlog"]
    server = Server(client_connected_cb, listen, limit, options,
                    asyncio_args.get("ssl_shutdown_timeout") or 30.0)
    server._given_socket = sock
    if asyncio_args.get("start_serving", True):
        await server.start_serving()
    return server


async def start_unix_server(client_connected_cb: ClientConnectedCallback, path: Optional[str] = None, *,
                            limit: int = _DEFAULT_LIMIT, **kwds: Any) -> Server:
    """:func:`start_server` on a Unix-domain socket."""
    return await start_server(client_connected_cb, limit=limit, path=path, **kwds)

