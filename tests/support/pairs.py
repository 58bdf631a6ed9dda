"""In-memory pairs for the protocol tests (tests/test_protocol_pairs*.py): no sockets.

Level 1: two TLSConnections whose owner is a bare ConnectionOwner (Owner), the
test moving the bytes itself (ConnPair), with no event loop.  Level 2: Node's
objects over an in-memory transport (MemoryTransport, raw_pair, tls_pair): the
server gets ``server.emit('connection', raw)`` as Node's own tests do.
"""
from __future__ import annotations

import asyncio
import collections
from typing import Any, Callable, Deque, List, Optional, Tuple
import tls
from tls._node.socket import _SocketProtocol
from tls._protocol.connection import TLSConnection

HOST = "localhost"


# -- level 1: two TLSConnections, no loop -------------------------------------------------------

class _Loop:
    """The one loop method a TLSConnection uses (the cork's call_soon), run by hand."""

    def __init__(self) -> None:
        self.ready: Deque[Tuple[Callable[..., Any], Tuple[Any, ...]]] = collections.deque()

    def call_soon(self, fn: Callable[..., Any], *args: Any) -> None:
        self.ready.append((fn, args))

    def run(self) -> int:
        n = 0
        while self.ready:
            fn, args = self.ready.popleft()
            fn(*args)
            n += 1
        return n


class Owner:
    """A ConnectionOwner and nothing more: records what the connection tells it.

    No server, no Node events: what the features emit is recorded in
    ``events`` as ``(name, *args)``; ``listen(event)`` stands for a first
    listener being added (the hooks features wait for, e.g. 'session').
    """

    def __init__(self, loop: _Loop) -> None:
        self._loop = loop
        self.destroyed = False
        self.secureConnecting = False   # a client that is verified (emits 'session')
        self._write_shut = False
        self.servername: object = None  # set when a server's SNICallback is asked
        self.conn: Optional[TLSConnection] = None   # set by ConnPair (the pump's entry point)
        self.wire: List[bytes] = []     # ciphertext to send
        self.plain: List[bytes] = []    # plaintext received
        self.events: List[Any] = []
        self.first_listener_hooks: dict = {}
        self.before_secure: List[Callable[[], Any]] = []

    def _transport_write(self, data: bytes) -> None:
        self.wire.append(bytes(data))

    def _push(self, chunk: bytes) -> None:
        self.plain.append(bytes(chunk))

    def _push_eof(self) -> None:
        self.events.append("eof")

    def _finishInit(self) -> None:
        for listener in self.before_secure:
            listener()
        self.events.append("secure")

    def _on_ssl_error(self, err: BaseException) -> None:
        self.events.append(("error", getattr(err, "code", None)))
        self.destroyed = True

    def destroy(self, error: Optional[BaseException] = None) -> None:
        if not self.destroyed:
            self.events.append(("destroy", getattr(error, "code", error)))
            self.destroyed = True
            if self.conn is not None:
                self.conn.free()

    def _emitTLSError(self, err: BaseException) -> None:
        self.events.append(("tls-error", getattr(err, "code", None)))

    def _on_raw_data(self, data: Any) -> None:
        if self.conn is not None:
            self.conn.on_raw_data(data)

    def _emit_tls_event(self, event: str, *args: Any) -> bool:
        self.events.append((event,) + args)
        return True

    def _before_secure(self, listener: Callable[[], Any]) -> None:
        self.before_secure.append(listener)

    def _on_first_tls_listener(self, event: str, hook: Callable[[], Any]) -> None:
        self.first_listener_hooks[event] = hook

    def listen(self, event: str) -> None:
        """A first listener for ``event`` (runs the hook a feature registered)."""
        self.first_listener_hooks.pop(event)()

    def _server_listens(self, event: str) -> bool:
        return False

    def _emit_server_event(self, event: str, *args: Any) -> bool:
        return False

    def _server_context(self) -> Any:
        return None

    def _hang_up(self) -> None:
        self.events.append("hang-up")

    def _after_write(self, cb: Optional[Callable[..., Any]]) -> None:
        self.events.append("written")

    def _send_fin(self) -> None:
        self.events.append("fin")

    def _next_tick(self, callback: Callable[..., Any], *args: Any) -> None:
        self._loop.call_soon(callback, *args)

    def take_wire(self) -> bytes:
        out, self.wire = b"".join(self.wire), []
        return out


class ConnPair:
    """A client and a server TLSConnection with bare Owners; ``server_context``
    shares one server context between pairs (its ticket keys: resumption)."""

    def __init__(self, server_options: dict, client_options: Optional[dict] = None,
                 server_context: Any = None) -> None:
        self.loop = _Loop()
        self.client_owner, self.server_owner = Owner(self.loop), Owner(self.loop)
        client_ctx = tls.createSecureContext(client_options or {})
        server_ctx = self.server_context = server_context or tls.createSecureContext(server_options)
        self.client = self.client_owner.conn = TLSConnection(client_ctx, False, self.client_owner)
        self.server = self.server_owner.conn = TLSConnection(server_ctx, True, self.server_owner)
        for conn in (self.client, self.server):
            conn.set_verify_mode(not conn.is_server, False)

    def pump(self) -> int:
        """Move bytes both ways (and run queued callbacks) until nothing moves; the rounds it took."""
        rounds = 0
        while True:
            moved = False
            for src, dst in ((self.client_owner, self.server), (self.server_owner, self.client)):
                data = src.take_wire()
                if data:
                    dst.on_raw_data(data)
                    moved = True
            if self.loop.run():
                moved = True
            if not moved:
                return rounds
            rounds += 1


# -- level 2: Node's objects over MemoryTransport ----------------------------------------------

class MemoryTransport:
    """One end of an in-memory connection, with the asyncio transport surface net.Socket uses.

    Bytes written reach the peer's protocol on a later loop iteration (as over
    TCP); write_eof is a FIN, close a FIN and the end of this side.
    """

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.protocol: Any = None
        self.peer: "MemoryTransport" = self
        self.closing = False
        self.eof_sent = False
        self.paused = False
        self.held: List[Any] = []
        self.sent: List[bytes] = []

    # writing side
    def write(self, data: Any) -> None:
        if self.closing or self.eof_sent:
            return
        data = bytes(data)
        self.sent.append(data)
        self.loop.call_soon(self.peer._deliver, data)

    def write_eof(self) -> None:
        if not self.closing and not self.eof_sent:
            self.eof_sent = True
            self.loop.call_soon(self.peer._deliver, None)

    def can_write_eof(self) -> bool:
        return True

    def is_closing(self) -> bool:
        return self.closing

    def get_write_buffer_size(self) -> int:
        return 0

    def set_write_buffer_limits(self, high: int = 0, low: int = 0) -> None:
        pass

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return default

    def close(self) -> None:
        if self.closing:
            return
        self.write_eof()
        self.closing = True
        self.loop.call_soon(self._lost)

    abort = close

    # reading side
    def pause_reading(self) -> None:
        self.paused = True

    def resume_reading(self) -> None:
        self.paused = False
        held, self.held = self.held, []
        for item in held:
            self.loop.call_soon(self._deliver, item)

    def _deliver(self, data: Optional[bytes]) -> None:
        protocol = self.protocol
        if protocol is None:
            return
        if self.paused:
            self.held.append(data)
            return
        if data is None:
            if not protocol.eof_received():
                self.close()
            return
        view = memoryview(data)
        while view and self.protocol is not None:
            buf = protocol.get_buffer(len(view))
            n = min(len(buf), len(view))
            buf[:n] = view[:n]
            view = view[n:]
            protocol.buffer_updated(n)

    def _lost(self) -> None:
        protocol, self.protocol = self.protocol, None
        if protocol is not None:
            protocol.connection_lost(None)


def raw_pair() -> Tuple[tls.net.Socket, tls.net.Socket, Any]:
    """Two connected net.Sockets over MemoryTransport, and the server side's protocol."""
    loop = asyncio.get_running_loop()
    a, b = MemoryTransport(loop), MemoryTransport(loop)
    a.peer, b.peer = b, a
    sockets, protocols = [], []
    for transport in (a, b):
        raw = tls.net.Socket()
        protocol = _SocketProtocol(raw)
        raw._protocol = protocol
        transport.protocol = protocol
        protocol.connection_made(transport)
        sockets.append(raw)
        protocols.append(protocol)
    return sockets[0], sockets[1], protocols[1]


class Pair:
    """A tls.connect client and a tls.Server's socket, connected in memory."""

    def __init__(self, server: Any, client: Any, server_socket: Any) -> None:
        self.server = server
        self.client = client
        self.conn = server_socket
        self.client_errors: List[BaseException] = []
        self.server_errors: List[BaseException] = []   # 'tlsClientError' (before 'secureConnection')
        self.conn_errors: List[BaseException] = []     # the server socket's own 'error' (after it)
        client.on("error", self.client_errors.append)
        server.on("tlsClientError", lambda err, sock: self.server_errors.append(err))
        server.on("secureConnection", lambda sock: sock.on("error", self.conn_errors.append))

    async def secure(self) -> None:
        """Both sides secure (or raise the first error)."""
        loop = asyncio.get_running_loop()
        done = loop.create_future()
        state = {"client": False, "server": False}

        def mark(side: str) -> None:
            state[side] = True
            if all(state.values()) and not done.done():
                done.set_result(None)

        self.client.once("secureConnect", lambda: mark("client"))
        self.server.once("secureConnection", lambda sock: mark("server"))
        await done

    async def failed(self) -> None:
        """Both sides closed (a handshake that fails)."""
        await asyncio.gather(once_close(self.client), once_close(self.conn))

    async def close(self) -> None:
        for sock in (self.client, self.conn):
            if not sock.destroyed:
                sock.destroy()
        await asyncio.sleep(0)


async def once_close(sock: Any) -> None:
    if sock.destroyed and getattr(sock, "_close_emitted", False):
        return
    fut = asyncio.get_running_loop().create_future()
    sock.once("close", lambda *a: fut.done() or fut.set_result(None))
    await fut


def tls_pair(server: Any, **client_options: Any) -> Pair:
    """Connect a tls.connect client to ``server`` (a tls.Server that never listens) in memory."""
    raw_client, raw_server, server_protocol = raw_pair()
    server.emit("connection", raw_server)      # Node's tlsConnectionListener wraps it
    server_socket = server_protocol.owner      # the TLSSocket that took the transport
    assert isinstance(server_socket, tls.TLSSocket) and server_socket._is_server
    client = tls.connect(dict({"socket": raw_client, "servername": HOST}, **client_options))
    return Pair(server, client, server_socket)


