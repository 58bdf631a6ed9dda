"""Node's net.Server on asyncio (``tls.net.Server``), accepting on its own socket.

The listening socket is bound and closed synchronously, like Node's, so
``address()`` works right after ``listen()`` and ``close()`` takes effect at
once; accepted connections are handed to asyncio with
``connect_accepted_socket`` and become ``net.Socket`` objects.
"""
from __future__ import annotations

import errno as _errno
import os
import socket as _socket
import stat as _stat
from typing import Any, Callable, Dict, List, Optional, Protocol, Set, Tuple, TypeVar

from . import runtime as _runtime
from .abort import add_server_abort_signal as _add_server_abort_signal
from .._base.nodeargs import _call_cb
from .._base.options import LISTEN, NET_SERVER, take_options
from .._base.error_kinds import call_site
from .._base.errors import NodeError, NodeTypeError, _lookup_error, errno_error
from .events import EventEmitter
from .._base.validators import received as _received
from .aio import AsyncServerMixin  # await server.listen(...) / closeAsync / async with (tls._aio)
from .._base.addresses import isIP
from .netargs import _address_dict, _high_water_mark, _is_pipe_name, _validate_port
from .fd_transport import FdTransport
from .socket import Socket, TakenOptions
from .socket_protocol import _SocketProtocol, _transport_maker

__all__ = ["Server", "createServer", "set_listen_provider"]

_ServerT = TypeVar("_ServerT", bound="Server")


class ListenProvider(Protocol):
    """Who else may serve a ``listen()``: a cluster worker asks its primary (tls.cluster, layer 6).

    Called with the server, the validated options (port, host, backlog, ...)
    and the address type Node's cluster keys on (4, 6, or -1 for a path);
    returns True when it took the listen over.  It then calls, later,
    ``server._start_listening(sock)`` with a listening socket to accept on
    (the kernel shares it), ``server._start_remote(handle)`` when another
    process accepts and hands connections over (``server._accept_socket``),
    or ``server._listen_failed(err)``.
    """

    def __call__(self, server: "Server", options: Dict[str, Any], address_type: int) -> bool: ...


class RemoteHandle(Protocol):
    """A listening handle that lives in another process (cluster round-robin)."""

    def address(self) -> Any: ...
    def close(self) -> None: ...


_listen_provider: Optional[ListenProvider] = None


def set_listen_provider(provider: Optional[ListenProvider]) -> None:
    """Install (or remove, with None) the process-wide :class:`ListenProvider`.

    A hook rather than an import: the cluster module sits above this layer.
    ``listen(handle)`` (this process's own socket), a path and ``exclusive: True``
    never use it; ``listen({fd})`` does, the descriptor being the primary's, as in Node.
    """
    global _listen_provider
    _listen_provider = provider


class Server(EventEmitter, AsyncServerMixin):
    """Node's net.Server on asyncio."""

    _socket_class = Socket
    # The loop is bound when first needed (listen(), close() ...), not at construction: Node
    # validates createServer's options synchronously anywhere, so a server can be made before
    # any loop runs (at module level, in a test's setup) and listen on the loop running then.
    _loop: Any = _runtime.LoopOnFirstUse()
    # what each event passes (events.py: a listener taking that many is stored unwrapped)
    _declared_event_args = {"close": 0, "connection": 1, "listening": 0, "error": 1, "drop": 1}

    def __init__(self, options: Any = None, connectionListener: Optional[Callable[..., Any]] = None,
                 **kwargs: Any) -> None:
        super().__init__()
        if callable(options):
            connectionListener, options = options, None
        opts = take_options(options, kwargs, NET_SERVER, "createServer")
        self.allowHalfOpen = bool(opts.get("allowHalfOpen", False))
        self.pauseOnConnect = bool(opts.get("pauseOnConnect", False))
        self.noDelay = bool(opts.get("noDelay", False))
        self.keepAlive = bool(opts.get("keepAlive", False))
        self.keepAliveInitialDelay = opts.get("keepAliveInitialDelay") or 0
        # the accepted sockets' buffer size (validated by net.Socket, here at once)
        self._socket_options: Dict[str, Any] = TakenOptions({"allowHalfOpen": self.allowHalfOpen})
        hwm = opts.get("highWaterMark")
        if hwm is not None:  # Node's net.Server: a number, a negative one meaning the default
            if isinstance(hwm, bool) or not isinstance(hwm, (int, float)):
                raise NodeTypeError('The "options.highWaterMark" property must be of type number. %s'
                                    % _received(hwm), "ERR_INVALID_ARG_TYPE")
            if hwm >= 0:
                self._socket_options["highWaterMark"] = _high_water_mark(hwm, "readableHighWaterMark")
        self.maxConnections: Optional[int] = None
        self._sock: Optional[_socket.socket] = None
        self._path: Optional[str] = None
        self._connections: Set[Socket] = set()
        self._closing = False
        self._refed = True
        self._backlog = 511
        self.listening = False
        self._call_site = call_site()   # createServer(): named by a note on the server's errors
        if connectionListener is not None:
            self.on("connection", connectionListener)

    # -- listen ----------------------------------------------------------
    def listen(self: _ServerT, *args: Any, **kwargs: Any) -> _ServerT:
        """listen([port[, host[, backlog]]][, cb]) | listen(path[, backlog][, cb]) | listen(options[, cb])."""
        arglist = list(args)
        own_handle = False
        cb = arglist.pop() if arglist and callable(arglist[-1]) else None
        given: Any = None
        positional: Dict[str, Any] = {}
        rest: List[Any] = []
        if arglist and isinstance(arglist[0], dict):
            given = arglist[0]
        elif arglist and isinstance(arglist[0], _socket.socket):
            positional["fd"] = arglist[0].fileno()   # Node's listen(handle): a listening socket
            own_handle = True                        # this process's descriptor, never the cluster's
            rest = arglist[1:]
        elif arglist and _is_pipe_name(arglist[0]):
            positional["path"] = arglist[0]
            rest = arglist[1:]
        elif arglist:
            positional["port"] = arglist[0]
            rest = arglist[1:]
            if rest and (isinstance(rest[0], str) or rest[0] is None):
                positional["host"] = rest.pop(0)
        for value in rest:
            if isinstance(value, int) and not isinstance(value, bool):
                positional["backlog"] = value
                break
        options = {**positional, **take_options(given, kwargs, LISTEN, "listen")}
        if cb is None:
            cb = options.pop("callback", None)
        if self.listening:
            raise NodeError("Listen method has been called more than once without closing.",
                            "ERR_SERVER_ALREADY_LISTEN")
        _add_server_abort_signal(self, options.get("signal"))  # closes on abort (abort.py)
        path = options.get("path")
        port: Any = options.get("port")
        fd = options.get("fd")
        if fd is not None:
            if isinstance(fd, bool) or not isinstance(fd, int) or fd < 0:
                raise NodeTypeError('The "options.fd" property must be a file descriptor (an integer >= 0). %s'
                                    % _received(fd), "ERR_INVALID_ARG_VALUE")
        elif path is None:
            port = 0 if port is None else _validate_port(port)
            host = options.get("host")
            if host is not None and not isinstance(host, str):
                raise NodeTypeError('The "hostname" argument must be of type string. %s' % _received(host),
                                    "ERR_INVALID_ARG_TYPE")
        elif not isinstance(path, str):
            raise NodeTypeError('The "options.path" property must be of type string', "ERR_INVALID_ARG_TYPE")
        self._call_site = call_site()   # listen(): named by a note on the errors the server emits later
        if cb is not None:
            self.once("listening", cb)
        backlog = options.get("backlog")
        self._backlog = int(backlog) if isinstance(backlog, int) and backlog > 0 else 511
        self._path = path   # Node's _pipeName: address() gives it even if listening fails
        provider = _listen_provider
        if provider is not None and not own_handle and not options.get("exclusive"):
            # Node's listenInCluster: a port, or a path / an {fd} of the primary (addressType -1 then)
            host = options.get("host")
            kind = -1 if fd is not None or path is not None else (isIP(host) if host else 4) or 4
            if provider(self, {**options, "port": port if kind != -1 else -1, "backlog": self._backlog}, kind):
                return self
        try:
            if fd is not None:
                sock = self._adopt_listening(fd, self._backlog)
            elif path is not None:
                sock = self._bind_unix(path, self._backlog, bool(options.get("readableAll")),
                                       bool(options.get("writableAll")))
            else:
                sock = self._bind_tcp(options.get("host"), port, self._backlog, bool(options.get("ipv6Only")))
        except NodeError as err:
            self._listen_failed(err)
            return self
        self._start_listening(sock)
        return self

    def _start_listening(self, sock: _socket.socket, bound_here: bool = True) -> None:
        """Accept on ``sock`` (bound here, adopted, or a cluster's shared one): 'listening' soon.

        ``bound_here`` False: a Unix socket another process bound (the cluster primary), whose
        file this server must not unlink when it closes (libuv unlinks only what it bound)."""
        self._unlink_path = bound_here
        self._sock = sock
        self._accept_params = (int(sock.family), int(sock.type), sock.proto)
        self.listening = True
        self._closing = self._close_emitted = False
        self._loop.add_reader(sock.fileno(), self._on_acceptable)
        if self._refed:
            _runtime.ref_handle(self)
        self._loop.call_soon(self._emit_listening, sock)

    def _start_remote(self, handle: RemoteHandle) -> None:
        """Listen through a handle of another process, which hands each
        connection over to :meth:`_accept_socket` (cluster round-robin)."""
        self._remote = handle
        self.listening = True
        self._closing = self._close_emitted = False
        if self._refed:
            _runtime.ref_handle(self)
        self._loop.call_soon(self._emit_listening, handle)

    def _listen_failed(self, err: BaseException) -> None:
        self._loop.call_soon(self.emit, "error", err)

    def _emit_listening(self, sock: Any) -> None:
        if (self._sock is sock or self._remote is sock) and self.listening:  # not closed in between (Node too)
            self.emit("listening")

    _remote: Optional[RemoteHandle] = None   # set while listening through another process
    _unlink_path = True                      # close() removes the Unix socket file it bound

    def _bind_tcp(self, host: Optional[str], port: int, backlog: int, ipv6_only: bool) -> _socket.socket:
        candidates: List[Tuple[int, Any]]
        if host is None or host == "":
            candidates = [(_socket.AF_INET6, "::"), (_socket.AF_INET, "0.0.0.0")]
        else:
            kind = isIP(host)
            if kind:
                candidates = [(_socket.AF_INET6 if kind == 6 else _socket.AF_INET, host)]
            else:
                try:
                    infos = _socket.getaddrinfo(host, port, 0, _socket.SOCK_STREAM, 0, _socket.AI_PASSIVE)
                except (_socket.gaierror, UnicodeError) as exc:
                    raise _lookup_error(exc, host) from exc
                candidates = [(info[0], info[4][0]) for info in infos[:1]]
        last: Optional[OSError] = None
        address = host
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
                if exc.errno not in (_errno.EAFNOSUPPORT, _errno.EADDRNOTAVAIL) or address != "::":
                    break
        assert last is not None
        raise errno_error(last, "listen", describe=True, address=address, port=port)

    def _bind_unix(self, path: str, backlog: int, readable_all: bool = False,
                   writable_all: bool = False) -> _socket.socket:
        sock = _socket.socket(_socket.AF_UNIX, _socket.SOCK_STREAM)
        try:
            sock.bind(path)
            if readable_all or writable_all:   # Node's readableAll / writableAll: the pipe for all users
                mode = os.stat(path).st_mode
                os.chmod(path, mode | (0o444 if readable_all else 0) | (0o222 if writable_all else 0))
            sock.listen(backlog)
            sock.setblocking(False)
        except OSError as exc:
            sock.close()
            raise errno_error(exc, "listen", describe=True, address=path, port=-1) from exc
        return sock

    def _adopt_listening(self, fd: int, backlog: int) -> _socket.socket:
        """Node's listen({fd}) / listen(handle): serve on a socket someone else bound.

        The descriptor is duplicated, so the caller's own socket object can be
        closed or collected without closing ours.  It must be a stream socket;
        one that is not listening yet is put to listen (as libuv does).
        """
        try:
            sock = _socket.socket(fileno=os.dup(fd))
        except OSError as exc:
            raise errno_error(exc, "listen", describe=True, address=None, port=-1) from exc
        try:
            if sock.type != _socket.SOCK_STREAM:
                raise OSError(_errno.ENOTSOCK, "not a stream socket")
            sock.listen(backlog)
            sock.setblocking(False)
        except OSError as exc:
            sock.close()
            raise errno_error(exc, "listen", describe=True, address=None, port=-1) from exc
        return sock

    def _on_acceptable(self) -> None:
        sock = self._sock
        if sock is None:
            return
        # socket.accept() without its per-call family/type enum conversions
        accept = getattr(sock, "_accept", None)
        params = self._accept_params
        for _ in range(self._backlog):
            if self._sock is not sock or not self.listening:
                return
            try:
                if accept is not None:
                    fd, addr = accept()
                    conn = _socket.socket(*params, fileno=fd)
                else:
                    conn, addr = sock.accept()
            except (BlockingIOError, InterruptedError):
                return
            except ConnectionAbortedError:
                continue
            except OSError as exc:
                if exc.errno in (_errno.EMFILE, _errno.ENFILE, _errno.ENOBUFS, _errno.ENOMEM):
                    # Out of descriptors: stop accepting for a moment (asyncio does the same).
                    self._loop.remove_reader(sock.fileno())
                    self._loop.call_later(1.0, self._resume_accepting, sock)
                    self.emit("error", errno_error(exc, "accept"))
                    return
                self.emit("error", errno_error(exc, "accept"))
                return
            self._accept_socket(conn, addr)

    def _accept_socket(self, conn: _socket.socket, addr: Any) -> None:
        """A connection accepted here (or by a cluster primary): make it a Socket."""
        conn.setblocking(False)
        make_transport = self._make_transport
        if make_transport is None:
            factory = self._fd_transport_factory   # tls.Server's when C drives its sockets
            make_transport = self._make_transport = \
                factory(self._loop) if factory is not None else _transport_maker(self._loop)
        if make_transport is False:
            self._loop.create_task(self._adopt(conn))
            return
        try:
            # What connect_accepted_socket does, without its task and
            # future: asyncio's transport calls connection_made on the next
            # loop iteration (ours waits for _made(), below).
            transport = make_transport(conn, self._make_protocol(), extra={"peername": addr})
        except OSError:
            conn.close()
            return
        if type(transport) is FdTransport and transport._start_pending:
            # A descriptor transport of ours: connection_made ('connection') now, from the accept,
            # as Node's onconnection does (and a loop callback and iteration fewer per connection).
            # Outside the try: an OSError of a listener is the listener's, not the accept's.
            transport._made()

    def _resume_accepting(self, sock: _socket.socket) -> None:
        if self._sock is sock and self.listening:
            self._loop.add_reader(sock.fileno(), self._on_acceptable)

    async def _adopt(self, conn: _socket.socket) -> None:
        loop: Any = self._loop  # connect_accepted_socket: every loop has it, typeshed's 3.9 ABC not
        try:
            await loop.connect_accepted_socket(self._make_protocol, conn)
        except OSError:
            conn.close()

    _accept_params: Tuple[int, int, int] = (0, 0, 0)    # (family, type, proto) of the listening socket
    _make_transport: Any = None   # the loop's socket-transport factory, or False (see _transport_maker)
    _fd_transport_factory: Any = None   # fd_transport.transport_factory (tls._objects.csocket), or None

    def _make_protocol(self) -> _SocketProtocol:
        sock = self._socket_class(self._socket_options)
        sock._call_site = self._call_site   # its errors name where the user started this server
        sock._server = sock.server = self
        protocol = _SocketProtocol(sock)
        sock._protocol = protocol
        return protocol

    def _accepted(self, sock: Socket) -> None:
        # A connection accepted before close() is served even when its transport comes up after
        # it (asyncio starts it on the next loop iteration): Node emits 'connection' at accept time,
        # so close() never drops one, and 'close' waits for it.  A cluster worker's graceful
        # disconnect (close, finish what was accepted, exit) depends on it.
        if self._close_emitted:   # too late: 'close' has been emitted
            sock._server = None
            sock.destroy()
            return
        if self.maxConnections is not None and len(self._connections) >= self.maxConnections:
            data = {"localAddress": sock.localAddress, "localPort": sock.localPort,
                    "localFamily": sock.localFamily, "remoteAddress": sock.remoteAddress,
                    "remotePort": sock.remotePort, "remoteFamily": sock.remoteFamily}
            sock._server = None
            sock.destroy()
            self.emit("drop", data)
            return
        self._connections.add(sock)
        if self.noDelay:
            sock.setNoDelay(True)
        if self.keepAlive:
            sock.setKeepAlive(True, self.keepAliveInitialDelay)
        if self.pauseOnConnect:
            sock.pause()
        sock._set_ready()
        self.emit("connection", sock)

    def _swap_connection(self, old: Socket, new: Socket) -> None:
        if old in self._connections:
            self._connections.discard(old)
            self._connections.add(new)

    def _closes_after(self, sock: Socket) -> bool:
        """Whether _connection_closed(sock) queues the server's 'close' (its last connection)."""
        return (self._sock is None and self._remote is None and len(self._connections) == 1
                and sock in self._connections)

    def _connection_closed(self, sock: Socket) -> None:
        if sock in self._connections:
            self._connections.discard(sock)
            if self._sock is None and self._remote is None and not self._connections:
                self._loop.call_soon(self._emit_close)

    # -- close and facts -------------------------------------------------
    def close(self: _ServerT, callback: Optional[Callable[..., Any]] = None) -> _ServerT:
        """Stop accepting; 'close' once every connection has closed.

        ``callback(err)`` runs on 'close', with ERR_SERVER_NOT_RUNNING when the
        server was not listening (Node emits 'close' in that case too).
        """
        if callback is not None:
            if self._sock is None and self._remote is None:
                err = NodeError("Server is not running.", "ERR_SERVER_NOT_RUNNING")
                self.once("close", lambda *a: _call_cb(callback, err))
            else:
                self.once("close", lambda *a: _call_cb(callback, None))
        remote, self._remote = self._remote, None
        if remote is not None:
            self.listening = False
            self._closing = True
            remote.close()
            _runtime.handle_closed(self)
        sock, self._sock = self._sock, None
        if sock is not None:
            self.listening = False
            self._closing = True
            try:
                self._loop.remove_reader(sock.fileno())
            except (ValueError, OSError):
                pass
            sock.close()
            if self._path and self._unlink_path:
                try:
                    if _stat.S_ISSOCK(os.stat(self._path).st_mode):
                        os.unlink(self._path)
                except OSError:
                    pass
            _runtime.handle_closed(self)
        if not self._connections:
            self._loop.call_soon(self._emit_close)
        return self

    def _emit_close(self) -> None:
        if self._sock is None and self._remote is None and not self._connections:
            self._close_emitted = True
            self.emit("close")

    _close_emitted = False

    def address(self) -> Any:
        """{address, family, port} while listening on TCP; the path of a Unix
        socket server (even once closed, as Node); else None."""
        if self._path is not None:
            return self._path
        if self._remote is not None:
            return self._remote.address()
        if self._sock is None:
            return None
        return _address_dict(self._sock.getsockname(), self._sock.family)

    @property
    def connections(self) -> int:
        """How many connections are open (Node's old ``server.connections``)."""
        return len(self._connections)

    def getConnections(self: _ServerT, cb: Callable[..., Any]) -> _ServerT:
        self._loop.call_soon(cb, None, len(self._connections))
        return self

    def ref(self: _ServerT) -> _ServerT:
        self._refed = True
        if self.listening:
            _runtime.ref_handle(self)
        return self

    def unref(self: _ServerT) -> _ServerT:
        self._refed = False
        _runtime.unref_handle(self)
        return self

    # events.captureRejectionSymbol (a method name here): where a captured rejection of an async
    # listener goes.  Node's net.Server: a failed 'connection' listener destroys that socket
    # with the error; any other event's failure is the server's 'error'.
    def _nodejs_rejection(self, err: BaseException, event: Any, *args: Any) -> None:
        if event == "connection" and args:
            args[0].destroy(err)
        else:
            self.emit("error", err)


def createServer(options: Any = None, connectionListener: Optional[Callable[..., Any]] = None,
                 **kwargs: Any) -> Server:
    return Server(options, connectionListener, **kwargs)
