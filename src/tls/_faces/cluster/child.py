"""A worker's side of the cluster: its boot, its listen(), its disconnect (Node's lib/internal/cluster/child.js).

**Boot.**  When ``tls.cluster`` is imported in a process started by
``cluster.fork()`` (``NODE_UNIQUE_ID`` and ``NODE_CHANNEL_FD`` are set), the
channel to the primary is opened on the inherited descriptor, the setup the
primary left in it is read (the cluster's ticket keys), ``online`` is sent
back, and three hooks go in: the ticket keys as tls.Server's default and the
session forwarding (``_objects/server_hooks``), the listen provider of
net.Server (``_node/net_server``), and the channel's joining of the first
loop the program runs (``loopstate.on_new_loop``), where it is a referenced
handle as in Node: a worker lives until its primary lets it go.

**listen().**  A net.Server or tls.Server that listens on a TCP port asks
the primary (``queryServer``) and gets either the shared listening socket
(SCHED_NONE: it accepts on it itself) or a remote handle (SCHED_RR: the
primary hands each connection over with ``newconn``, acknowledged so the
primary knows this worker is free again).  ``listen(0)`` is one port for all
workers: the primary keys its handles on the address as asked, not as bound.
``listen({fd})`` names a descriptor of the primary (one systemd passed it)
and a Unix socket path is bound once, by the primary, as in Node;
``listen(socket)`` and ``exclusive: True`` stay local.

**disconnect.**  Told by the primary (``worker.disconnect()`` there) or by
itself, the worker closes every server it listens with; when each has
closed -- i.e. its last connection ended -- the channel is closed, the loop
has nothing left, and the process exits.  A channel closed under it (the
primary died) ends the worker at once, as in Node.
"""
from __future__ import annotations

import asyncio
import os
import socket
import weakref
from typing import Any, Callable, Dict, Mapping, Optional

from ..._base.errors import NodeError
from ..._node import loopstate as _loopstate
from ..._node import net_server as _net_server
from ..._node.process import process as _process
from ..._objects import server_hooks as _server_hooks
from ..._objects.counters import sum_counters
from ..._objects.server import Server as _TLSServer
from .channel import Channel, Internal
from .sessions import install_forwarding
from .worker import Worker, split_send_args

__all__ = ["WorkerSide", "boot"]

_BOOT_TIMEOUT = 30.0   # seconds to read the primary's setup (it is written before this process starts)


def attach_process(channel: Channel) -> Any:
    """Give ``tls.process`` a worker's IPC: ``send``, ``connected``, ``disconnect()``, 'message' and
    'disconnect' (Node's process object in a child with an IPC channel)."""
    proc: Any = _process

    def send(message: Any, *args: Any) -> bool:
        """``process.send(message[, sendHandle[, options]][, callback])``: to the primary's worker 'message'."""
        handle, _options, callback = split_send_args(args)
        return channel.send(message, handle, callback)

    def disconnect() -> None:
        """Close the channel to the primary (the worker then exits once nothing else keeps it)."""
        channel.disconnect()

    def on_disconnect() -> None:
        proc.connected = False
        proc.emit("disconnect")

    proc.send = send
    proc.disconnect = disconnect
    proc.connected = True
    proc.channel = channel
    channel.on("message", lambda message, handle: proc.emit("message", message, handle))
    channel.on("disconnect", on_disconnect)
    channel.on("error", lambda err: proc.emit("error", err))
    return proc


class _SharedSocket(socket.socket):
    """The primary's listening socket in this worker: closing it tells the primary (Node's SharedHandle)."""

    _on_close: Optional[Callable[[], None]] = None

    def close(self) -> None:
        on_close, self._on_close = self._on_close, None
        super().close()
        if on_close is not None:
            on_close()


class _RemoteHandle:
    """A round-robin listen: the socket is the primary's; connections come as 'newconn'."""

    def __init__(self, side: "WorkerSide", key: str, sockname: Any) -> None:
        self._side, self.key, self._sockname = side, key, sockname

    def address(self) -> Any:
        return self._sockname

    def close(self) -> None:
        self._side.closed(self.key)


class WorkerSide:
    """The worker's cluster state and the Worker methods of its side."""

    def __init__(self, cluster: Any, channel: Channel, setup: Mapping[str, Any]) -> None:
        self.cluster = cluster
        self.channel = channel
        self.internal = Internal(channel, self._on_internal)
        self.process = attach_process(channel)
        self.worker = Worker(int(os.environ.get("NODE_UNIQUE_ID", "0") or 0), self.process, self, state="online")
        self.servers: Dict[str, Any] = {}       # key -> the server listening with it
        self._indexes: Dict[str, int] = {}
        self._tls_servers: "weakref.WeakSet[Any]" = weakref.WeakSet()   # for the primary's getCounters()
        self.process.once("disconnect", self._on_channel_disconnect)
        keys = setup.get("ticketKeys")
        if keys:
            _server_hooks.set_default_ticket_keys(bytes.fromhex(keys))
        _server_hooks.add_server_created(self._server_created)
        _net_server.set_listen_provider(self._provide_listen)
        _loopstate.on_new_loop(self.channel.attach)
        try:   # a loop already running (the program imported tls.cluster late)
            self.channel.attach(asyncio.get_running_loop())
        except RuntimeError:
            pass

    # -- hooks ---------------------------------------------------------------------------------
    def _server_created(self, server: Any, options: Mapping[str, Any]) -> None:
        if isinstance(server, _TLSServer):
            self._tls_servers.add(server)
            install_forwarding(server, self._ask)

    def _ask(self, message: Mapping[str, Any], reply: Callable[[Any, Any], None]) -> None:
        if not self.internal.send(dict(message), None, reply):
            reply({}, None)   # the primary is gone: no cached session, handshakes go on

    def _provide_listen(self, server: Any, options: Dict[str, Any], address_type: int) -> bool:
        if not self.channel.connected:
            return False   # disconnected: listen locally, as a process of its own
        self.channel.attach(server._loop)
        address = options.get("path") or options.get("host") or None   # Node: a pipe's address is its path
        port = options.get("port") or 0
        fd = options.get("fd")
        indexes_key = "%s:%s:%s:%s" % (address, port, address_type, fd)
        index = self._indexes.get(indexes_key, 0)
        self._indexes[indexes_key] = index + 1
        message = {"act": "queryServer", "index": index, "data": None, "address": address, "port": port,
                   "addressType": address_type, "fd": fd, "backlog": options.get("backlog"),
                   "ipv6Only": bool(options.get("ipv6Only")), "path": options.get("path"),
                   "readableAll": bool(options.get("readableAll")),
                   "writableAll": bool(options.get("writableAll"))}

        def answered(reply: Any, handle: Optional[socket.socket]) -> None:
            key = reply.get("key", "")
            error = reply.get("error")
            if error:
                server._listen_failed(NodeError(error.get("message", "listen failed"), error.get("code"),
                                                errno=error.get("errno"), syscall=error.get("syscall"),
                                                address=address, port=port))
                return
            if handle is not None:
                shared = _SharedSocket(handle.family, handle.type, handle.proto, fileno=handle.detach())
                shared._on_close = lambda: self.closed(key)
                shared.setblocking(False)
                self.servers[key] = server
                server._start_listening(shared, bound_here=False)
            else:
                self.servers[key] = server
                server._start_remote(_RemoteHandle(self, key, reply.get("sockname")))

        def on_listening() -> None:
            bound = server.address()
            self.worker.state = "listening"
            listening = {"act": "listening", "address": address, "addressType": address_type, "fd": fd,
                         "port": bound.get("port") if isinstance(bound, dict) else port}
            self.internal.send(listening)

        server.once("listening", on_listening)
        self.internal.send(message, None, answered)
        return True

    def closed(self, key: str) -> None:
        """A server stopped listening with ``key``: the primary drops this worker from the handle."""
        if self.servers.pop(key, None) is not None and self.channel.connected:
            self.internal.send({"act": "close", "key": key})

    # -- the primary's messages ------------------------------------------------------------
    def _on_internal(self, message: Any, handle: Optional[socket.socket]) -> None:
        act = message.get("act")
        if act == "newconn":
            server = self.servers.get(message.get("key", ""))
            accepted = server is not None and server.listening and handle is not None
            self.internal.reply(message, {"accepted": accepted})
            if server is not None and handle is not None and accepted:
                try:
                    peer = handle.getpeername()
                except OSError:
                    peer = None
                server._accept_socket(handle, peer)
            elif handle is not None:
                handle.close()
        elif act == "disconnect":
            self._disconnect(primary_initiated=True)
        elif act == "counters":
            totals = sum_counters(server.getCounters() for server in list(self._tls_servers))
            self.internal.reply(message, {"counters": totals})

    def _disconnect(self, primary_initiated: bool) -> None:
        """Close every server; once all have closed (their connections ended), close the channel."""
        self.worker.exitedAfterDisconnect = True
        waiting = [1]

        def check(*_: Any) -> None:
            waiting[0] -= 1
            if waiting[0] == 0:
                if primary_initiated:
                    self.process.disconnect()
                else:
                    self.internal.send({"act": "exitedAfterDisconnect"}, None,
                                       lambda *_: self.process.disconnect())

        servers = list(dict.fromkeys(self.servers.values()))
        self.servers.clear()
        for server in servers:
            waiting[0] += 1
            if server.listening:
                server.close(check)
            else:
                server.once("close", check)
        check()

    def _on_channel_disconnect(self) -> None:
        self.worker.emit("disconnect")
        if not self.worker.exitedAfterDisconnect:
            # the primary went away under us: end now, as Node's worker does
            self.process.exit(0)

    # -- the Worker methods of this side ------------------------------------------------------
    def disconnect(self, worker: Worker) -> None:
        if worker.state not in ("disconnecting", "destroying"):
            worker.state = "disconnecting"
            self._disconnect(primary_initiated=False)

    def destroy(self, worker: Worker, signal: str) -> None:
        if worker.isDead():
            return
        worker.exitedAfterDisconnect = True
        if not worker.isConnected():
            self.process.exit(0)
        self.process.once("disconnect", lambda: self.process.exit(0))
        self.internal.send({"act": "exitedAfterDisconnect"}, None, lambda *_: self.process.disconnect())


def boot(cluster: Any) -> Optional[WorkerSide]:
    """Set this process up as a worker if it is one (the primary's variables are in its environment)."""
    fd_text = os.environ.pop("NODE_CHANNEL_FD", None)
    if fd_text is None or "NODE_UNIQUE_ID" not in os.environ:
        return None
    sock = socket.socket(fileno=int(fd_text))
    channel = Channel(sock)
    setup = channel.recv_sync(_BOOT_TIMEOUT)
    side = WorkerSide(cluster, channel, setup if isinstance(setup, dict) else {})
    channel.send_sync({"cmd": "NODE_CLUSTER", "act": "online"})
    return side
