"""How a ``net.Socket`` gets connected: Node's ``socket.connect()`` and its lookup, as a mixin of Socket.

``connect(options | port[, host] | path[, cb])`` validates its arguments as
Node's ``Socket.prototype.connect`` does, then takes one of three roads:

* a numeric IP address on asyncio's own selector loop: a non-blocking
  ``connect()`` and a writer callback, no task (``_connect_direct``, what
  libuv does; most connections of a server's tests and benchmarks);
* anything else: a task (``_connect``) that resolves the name ('lookup'
  event, ENOTFOUND/EAI_AGAIN as Node words them), then tries the addresses
  in order (only the first with ``autoSelectFamily: false``), binding
  ``localAddress``/``localPort`` when given; a Unix path goes to
  ``create_unix_connection``;
* a stream socket the caller connected itself (asyncio's ``sock=``,
  ``_adopt_connected``).

A ``lookup`` option replaces the resolver as in Node's lookupAndConnect: it
is called synchronously from ``connect()`` for a host that is not an IP
address, as ``lookup(host, {'hints', 'family'?, 'all'?}, callback)`` --
``all`` is True unless ``autoSelectFamily`` is False, and then the callback
takes ``(err, [{'address', 'family'}, ...])``, else ``(err, address,
family)``; ``hints`` is ADDRCONFIG when neither family nor hints is given.
Its answer feeds the same ``_connect`` task (which then skips
``getaddrinfo``); an error, an answer that is not an IP address
(ERR_INVALID_IP_ADDRESS) or a family other than 4/6
(ERR_INVALID_ADDRESS_FAMILY) destroys the socket, after the 'lookup' event.

All three end in the protocol's ``connection_made`` (socket.py), which emits
'connect' and 'ready'; a failure destroys the socket with Node's errno error.

Apart from socket.py because it is one job with its own failure paths (a
destroy() can come at any await), while socket.py keeps the connected
socket's life: the transport, closing, timeouts and addresses.  The mixin
never imports socket.py: it works on the state Socket declares (listed
below for the type checker) and is mixed into Socket alone.
"""
from __future__ import annotations

import socket as _socket
from typing import TYPE_CHECKING, Any, Callable, Dict, List, Optional, Tuple, TypeVar, cast

from . import fd_transport as _fd_transport
from . import runtime as _runtime
from .._base.addresses import isIP
from .._base.error_kinds import call_site
from .._base.errors import NodeError, NodeRangeError, NodeTypeError, _lookup_error, errno_error
from .._base.options import SOCKET_CONNECT
from .._base.validators import received as _received, validate_function as _validate_function
from .netargs import _hints, _normalize_connect_args, _validate_port
from .socket_protocol import _SocketProtocol, _TransportOwner, _transport_maker

if TYPE_CHECKING:
    import asyncio

    from .events import EventEmitter

    # for the type checker the mixin is an EventEmitter (as the Socket it is mixed into)
    _ConnectingBase = EventEmitter
else:
    _ConnectingBase = object

__all__ = ["ConnectingMixin"]

_C = TypeVar("_C", bound="ConnectingMixin")


class ConnectingMixin(_ConnectingBase):
    """``connect()`` and the three ways it reaches ``connection_made`` (see the module docstring)."""

    _signal_aborted = False   # made with an AbortSignal aborted already (abort.add_abort_signal)
    #: a transport factory of one loop (``fd_transport.transport_factory``) for the direct connect,
    #: instead of asyncio's (a TLSSocket sets it when C drives its socket: tls._objects.csocket)
    _fd_transport_factory: Any = None

    if TYPE_CHECKING:
        # the state and hooks net.Socket provides (declared there, with its defaults)
        _loop: asyncio.AbstractEventLoop
        _protocol: Optional[_SocketProtocol]
        _connect_task: Any
        _connect_sock: Any
        _refed: bool
        _no_delay: Optional[bool]
        _keep_alive: Optional[Tuple[bool, float]]
        connecting: bool
        destroyed: bool

        def destroy(self: _C, error: Optional[BaseException] = None) -> _C: ...
        def _set_onread(self, value: Any) -> None: ...
        def setTimeout(self: _C, timeout: float, callback: Optional[Callable[..., Any]] = None) -> _C: ...

    def connect(self: _C, *args: Any, **kwargs: Any) -> _C:
        """connect(options[, cb]) | connect(port[, host][, cb]) | connect(path[, cb])."""
        options, cb = _normalize_connect_args(args, kwargs, SOCKET_CONNECT, "connect")
        path = options.get("path")
        if path is None:
            if options.get("port") is None:
                raise NodeTypeError('The "options" or "port" or "path" argument must be specified',
                                    "ERR_MISSING_ARGS")
            options["port"] = _validate_port(options["port"])
            host = options.get("host")
            if host is not None and not isinstance(host, str):
                raise NodeTypeError('The "options.host" property must be of type string. Received %r'
                                    % (host,), "ERR_INVALID_ARG_TYPE")
        elif not isinstance(path, str):
            raise NodeTypeError('The "options.path" property must be of type string. Received %r' % (path,),
                                "ERR_INVALID_ARG_TYPE")
        if self.destroyed:
            raise NodeError("Cannot connect a destroyed socket", "ERR_SOCKET_CLOSED")
        if options.get("onread") is not None:
            # (Node reads it in the constructor only; net.connect / tls.connect pass the same one again)
            self._set_onread(options["onread"])
        if self._signal_aborted:
            # its 'signal' was aborted already: destroyed with an AbortError on the next tick
            # (abort.py), so no connection is started
            return self
        _hints(options.get("hints"))
        lookup = options.get("lookup")
        if lookup is not None:
            _validate_function(lookup, "options.lookup")
        auto_select = options.get("autoSelectFamily")
        if auto_select is not None and not isinstance(auto_select, bool):
            raise NodeTypeError('The "options.autoSelectFamily" property must be of type boolean. %s'
                                % _received(auto_select), "ERR_INVALID_ARG_TYPE")
        if cb is not None:
            self.once("connect", cb)
        self._call_site = call_site()   # named by a note on the errors this connection emits later
        if options.get("noDelay"):
            self._no_delay = True
        if options.get("keepAlive"):
            self._keep_alive = (True, options.get("keepAliveInitialDelay") or 0)
        self.connecting = True
        if self._refed:
            _runtime.ref_handle(self)
        if options.get("timeout"):
            self.setTimeout(options["timeout"])
        if lookup is not None and path is None and not isIP(options.get("host") or "localhost"):
            self._call_lookup(options, lookup)
        elif not self._connect_direct(options):
            self._connect_task = self._loop.create_task(self._connect(options))
        return self

    def _call_lookup(self, options: Dict[str, Any], lookup: Callable[..., Any]) -> None:
        """Node's lookupAndConnect with a user ``lookup`` (see the module docstring)."""
        host = options.get("host") or "localhost"
        family = options.get("family")
        # Node's dnsopts: `family` is always a key (undefined -> None when not given); `all` only
        # when it autoselects: no family 4/6 and no localAddress (lookupAndConnect)
        dns_options: Dict[str, Any] = {"family": family, "hints": options.get("hints") or 0}
        if family not in (4, 6) and not dns_options["hints"]:
            dns_options["hints"] = _socket.AI_ADDRCONFIG
        want_all = (options.get("autoSelectFamily") is not False and family not in (4, 6)
                    and not options.get("localAddress"))
        if want_all:
            dns_options["all"] = True
        answered = False

        def callback(err: Any = None, address: Any = None, address_family: Any = None) -> None:
            nonlocal answered
            if answered or not self.connecting or self.destroyed:
                return
            answered = True
            if self._refed:
                _runtime.ref_handle(self)   # connecting again (see below)
            if err:
                self.emit("lookup", err, None, None, host)
                self.connecting = False
                self.destroy(err)
                return
            if want_all:
                answers = [(entry.get("address"), entry.get("family")) for entry in (address or ())
                           if isinstance(entry, dict)]
            else:
                answers = [(address, address_family)]
            resolved: List[Tuple[int, str]] = []
            for ip, kind in answers:
                error: Optional[BaseException] = None
                if not isinstance(ip, str) or not isIP(ip):
                    error = NodeTypeError("Invalid IP address: %s" % (ip,), "ERR_INVALID_IP_ADDRESS")
                elif kind not in (4, 6):
                    error = NodeRangeError('Invalid address family: %s %s:%s' % (kind, host, options["port"]),
                                           "ERR_INVALID_ADDRESS_FAMILY")
                if error is not None:
                    self.emit("lookup", None, ip, kind, host)
                    self.connecting = False
                    self.destroy(error)
                    return
                resolved.append((int(_socket.AF_INET6 if kind == 6 else _socket.AF_INET), str(ip)))
            if not resolved:
                self.connecting = False
                self.destroy(NodeTypeError("Invalid IP address: undefined", "ERR_INVALID_IP_ADDRESS"))
                return
            self.emit("lookup", None, resolved[0][1], 6 if resolved[0][0] == _socket.AF_INET6 else 4, host)
            if self.destroyed:
                return
            self._connect_task = self._loop.create_task(self._connect(options, resolved))

        # Node: while a user lookup has not called back, the socket has no handle yet and keeps
        # nothing alive (a lookup that never answers lets the program end)
        _runtime.unref_handle(self)
        lookup(host, dns_options, callback)

    def _connect_direct(self, options: Dict[str, Any]) -> bool:
        """Connect to a numeric address without a task (as libuv does).

        Only on asyncio's selector loop, and only for an IP address with no
        local address to bind: a non-blocking connect(), a writer callback
        for its completion, then the same transport create_connection makes.
        Everything else (names to resolve, Unix paths, uvloop) goes through
        ``_connect``.  Returns whether it took the connection.
        """
        if options.get("path") is not None or options.get("localAddress") or options.get("localPort"):
            return False
        host = options.get("host") or "localhost"
        kind = isIP(host)
        if not kind or "%" in host:
            return False
        loop = self._loop
        factory = self._fd_transport_factory
        make: Any   # a transport factory, or False when the loop has none (_transport_maker)
        if factory is _fd_transport.transport_factory:
            # our descriptor transport, started from the connect event itself (_on_connect_writable)
            make = _fd_transport.accepted_transport_factory(loop)
        else:
            make = factory(loop) if factory is not None else _transport_maker(loop)
        if make is False:
            return False
        port = options["port"]
        self._protocol = _SocketProtocol(cast(_TransportOwner, self))  # mixed into Socket alone
        try:
            sock = _socket.socket(_socket.AF_INET6 if kind == 6 else _socket.AF_INET, _socket.SOCK_STREAM)
        except OSError as exc:
            loop.call_soon(self._connect_failed, errno_error(exc, "connect", address=host, port=port))
            return True
        try:
            sock.setblocking(False)
            sock.connect((host, port))
        except (BlockingIOError, InterruptedError):
            self._connect_sock = sock
            loop.add_writer(sock.fileno(), self._on_connect_writable, sock, make, host, port)
            return True
        except OSError as exc:
            sock.close()
            loop.call_soon(self._connect_failed, errno_error(exc, "connect", address=host, port=port))
            return True
        # connected at once: finish on the next iteration, as asyncio would
        self._connect_sock = sock
        loop.call_soon(self._on_connect_writable, sock, make, host, port, False)
        return True

    def _on_connect_writable(self, sock: Any, make: Any, host: str, port: int, registered: bool = True) -> None:
        if registered:
            try:
                self._loop.remove_writer(sock.fileno())
            except (ValueError, OSError):
                pass
        if self._connect_sock is not sock:
            return  # destroyed meanwhile (destroy() closed it)
        self._connect_sock = None
        if self.destroyed:
            sock.close()
            return
        err = sock.getsockopt(_socket.SOL_SOCKET, _socket.SO_ERROR)
        try:
            if err:
                raise OSError(err, "Connect call failed %r" % ((host, port),))
            transport = make(sock, self._protocol)   # asyncio's: connection_made on the next iteration
        except OSError as exc:
            sock.close()
            self._connect_failed(errno_error(exc, "connect", address=host, port=port))
            return
        if type(transport) is _fd_transport.FdTransport and transport._start_pending:
            # Ours: connection_made ('connect') now, from the connect event, as Node's afterConnect
            # emits it (a loop callback and iteration fewer per connection; the ClientHello goes
            # out an iteration sooner).  Outside the try: a listener's OSError is not the connect's.
            transport._made()

    def _connect_failed(self, error: BaseException) -> None:
        if self.destroyed:
            return
        self.connecting = False
        self.destroy(error)

    async def _connect(self, options: Dict[str, Any],
                       resolved: Optional[List[Tuple[int, str]]] = None) -> None:
        path = options.get("path")
        self._protocol = _SocketProtocol(cast(_TransportOwner, self))  # mixed into Socket alone
        factory = lambda: self._protocol  # noqa: E731
        if path is not None:
            try:
                await self._loop.create_unix_connection(factory, path)
            except (OSError, ValueError) as exc:
                self.connecting = False
                self.destroy(errno_error(exc, "connect", address=path))
            return
        host = options.get("host") or "localhost"
        port = options["port"]
        family = {4: _socket.AF_INET, 6: _socket.AF_INET6}.get(options.get("family") or 0, 0)
        kind = isIP(host)
        if resolved is not None:  # a user lookup answered (_call_lookup emitted 'lookup')
            addresses = resolved
        elif kind:
            addresses = [(_socket.AF_INET6 if kind == 6 else _socket.AF_INET, host)]
        else:
            try:
                infos = await self._loop.getaddrinfo(host, port, family=family, type=_socket.SOCK_STREAM,
                                                     flags=_hints(options.get("hints")))
            except (_socket.gaierror, UnicodeError) as exc:
                err = _lookup_error(exc, host)
                if not self.destroyed:
                    self.emit("lookup", err, None, None, host)
                    self.connecting = False
                    self.destroy(err)
                return
            addresses = []
            for info in infos:
                if (info[0], info[4][0]) not in addresses:
                    addresses.append((info[0], info[4][0]))
            if self.destroyed:
                return
            for af, address in addresses[:1]:
                self.emit("lookup", None, address, 6 if af == _socket.AF_INET6 else 4, host)
                if self.destroyed:
                    return
        local = None
        if options.get("localAddress") or options.get("localPort"):
            local = (options.get("localAddress") or ("::" if addresses[0][0] == _socket.AF_INET6 else "0.0.0.0"),
                     int(options.get("localPort") or 0))
        first_error: Optional[BaseException] = None
        if options.get("autoSelectFamily") is False:
            addresses = addresses[:1]   # Node: only the first address the lookup gave
        for af, address in addresses:
            try:
                if self._fd_transport_factory is not None:
                    await self._connect_fd(af, address, port, local)
                else:
                    await self._loop.create_connection(factory, address, port, family=af, local_addr=local)
                return
            except OSError as exc:
                if first_error is None:
                    first_error = errno_error(exc, "connect", address=address, port=port)
            except (ValueError, TypeError) as exc:
                if first_error is None:
                    first_error = exc
            if self.destroyed:
                return
        self.connecting = False
        if first_error is not None:
            self.destroy(first_error)

    async def _connect_fd(self, af: int, address: str, port: int, local: Optional[Tuple[str, int]]) -> None:
        """create_connection's work for one address, ending in a ``_fd_transport_factory`` transport."""
        loop = self._loop
        sock = _socket.socket(af, _socket.SOCK_STREAM)
        try:
            sock.setblocking(False)
            if local is not None:
                sock.setsockopt(_socket.SOL_SOCKET, _socket.SO_REUSEADDR, 1)
                sock.bind(local)
            await loop.sock_connect(sock, (address, port))
        except BaseException:
            sock.close()
            raise
        self._fd_transport_factory(loop)(sock, self._protocol)   # connection_made follows

    def _adopt_connected(self: _C, sock: _socket.socket) -> _C:
        """Use a stream socket the caller connected (asyncio's ``sock=``); it is ours from now on."""
        if sock.type != _socket.SOCK_STREAM:
            raise NodeTypeError("The socket must be a connected stream socket. Received %r" % (sock,),
                                "ERR_INVALID_ARG_TYPE")
        self.connecting = True
        if self._refed:
            _runtime.ref_handle(self)
        protocol = self._protocol = _SocketProtocol(cast(_TransportOwner, self))  # mixed into Socket alone
        self._connect_task = self._loop.create_task(self._connect_adopted(sock, protocol))
        return self

    async def _connect_adopted(self, sock: _socket.socket, protocol: "_SocketProtocol") -> None:
        try:
            await self._loop.create_connection(lambda: protocol, sock=sock)
        except (OSError, ValueError) as exc:
            self.connecting = False
            self.destroy(errno_error(exc, "connect"))
