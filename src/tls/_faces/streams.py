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
(:class:`TLSTransport`, with :class:`SSLObjectView`, in transport.py and shown
here), an ``asyncio.Transport`` over a ``tls.TLSSocket``:

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
``tls.NodeError`` (``ECONNREFUSED``, ``UNABLE_TO_VERIFY_LEAF_SIGNATURE`` ...),
each also the exception asyncio code catches (``ConnectionRefusedError``,
``ssl.SSLCertVerificationError``, ``TimeoutError`` for ``ssl_handshake_timeout``;
``ConnectionResetError`` from a read or ``wait_closed()`` after the peer's
reset), as the stdlib's streams raise them.
"""
from __future__ import annotations

import asyncio
import socket as _socket
from typing import Any, Awaitable, Callable, Dict, Optional, Set, Tuple

from .._base.error_kinds import add_call_site_note
from .._base.errors import NodeError
from .._base.options import TLS_CONNECT, TLS_SERVER, OptionTable, take_options
from .._node import net
from .._objects.connect import connect
from .._objects.server import Server as TLSServer
from .._objects.tlssocket import TLSSocket
from .transport import SSLObjectView, TLSTransport

__all__ = ["open_connection", "start_server", "open_unix_connection", "start_unix_server",
           "Server", "TLSTransport", "SSLObjectView"]

_DEFAULT_LIMIT = 2 ** 16   # asyncio.streams._DEFAULT_LIMIT

ClientConnectedCallback = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Optional[Awaitable[None]]]


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
            err = NodeError("Socket closed before the connection was established",
                            "ERR_SOCKET_CLOSED_BEFORE_CONNECTION")
            add_call_site_note(err, sock._call_site)
            future.set_exception(err)

    sock.on("secureConnect", on_secure)
    sock.on("error", on_error)
    sock.on("close", on_close)
    try:
        if timeout is not None:
            try:
                return await asyncio.wait_for(future, timeout)
            except asyncio.TimeoutError:
                if future.cancelled():   # wait_for's own timeout, not an error of the connection
                    raise _handshake_timeout(sock, timeout) from None
                raise
        return await future
    except BaseException:
        if future.done() and not future.cancelled() and future.exception() is None:
            future.result().abort()
        else:
            sock.destroy()
        raise


def _handshake_timeout(sock: TLSSocket, timeout: float) -> NodeError:
    """``ssl_handshake_timeout`` ran out: Node's handshake timeout error, which is a TimeoutError.

    asyncio raises a bare ``TimeoutError()`` here; this one has Node's code and message (the
    server's ``handshakeTimeout`` error), the peer and the timeout, and names the user's call."""
    options = getattr(sock, "_connect_options", None) or {}
    err = NodeError("TLS handshake timeout", "ERR_TLS_HANDSHAKE_TIMEOUT", host=options.get("host"),
                    port=options.get("port"), timeout=timeout)
    add_call_site_note(err, sock._call_site)
    return err


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

