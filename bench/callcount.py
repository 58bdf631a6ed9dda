"""Python calls per 64-byte round trip and per connection, one side at a time (no timing).

``python bench/callcount.py`` prints one JSON object: for the server side (a tls.Server, its peer a
Python ``ssl`` client in a thread) and the client side (tls.connect, its peer a Python ``ssl``
server in a thread), the calls per 64-byte echo round trip over one connection and per
connection (connect, TLS 1.3 full handshake, one 64-byte echo, close).  A call is a profile
'call' or 'c_call' event (a Python function or a builtin, as cProfile counts them) of the main
thread only, so the peer thread costs nothing; the window opens and closes inside our own
listener, after a warm-up, so it holds exactly N round trips or connections.  Deterministic:
it does not depend on the machine's load.  TLS_C_SOCKET=0 counts the asyncio-transport path
instead of the socket driven from C (the default);
``--uvloop`` runs both sides' programs on uvloop.
tests/test_perf_invariants.py runs it and bounds the figures.
"""
from __future__ import annotations

import json
import socket
import ssl
import sys
import threading
from typing import Any, Callable, Dict, List

import trustme

import tls

WARMUP = 20
ROUNDS = 200
CONNECTIONS = 20
MESSAGE = b"x" * 64
BULK_CHUNK = 16384
BULK_CHUNKS = 2000


class Window:
    """Counts the main thread's calls between open() and close()."""

    def __init__(self) -> None:
        self.calls = 0

    def _profile(self, frame: Any, event: str, arg: Any) -> None:
        if event == "call" or event == "c_call":
            self.calls += 1

    def open(self) -> None:
        sys.setprofile(self._profile)

    def close(self) -> None:
        sys.setprofile(None)


def _pki() -> Dict[str, Any]:
    ca = trustme.CA()
    cert = ca.issue_cert("localhost")
    return {"ca": ca, "cert": cert, "key_pem": cert.private_key_pem.bytes(),
            "cert_pem": b"".join(b.bytes() for b in cert.cert_chain_pems), "ca_pem": ca.cert_pem.bytes()}


def _deadline(seconds: float = 30.0) -> None:
    def fail() -> None:
        raise TimeoutError("callcount stalled")
    tls._node.runtime.setTimeout(fail, seconds * 1000).unref()


def server_side(pki: Dict[str, Any], rounds: int, connections: int) -> Dict[str, float]:
    """A tls.Server echoing; a Python ssl client thread drives it."""
    result: Dict[str, float] = {}
    client_ctx = ssl.create_default_context(cadata=pki["ca_pem"].decode())

    def echo_client(port: int) -> None:
        with socket.create_connection(("127.0.0.1", port)) as raw:
            with client_ctx.wrap_socket(raw, server_hostname="localhost") as s:
                for _ in range(WARMUP + rounds + 1):
                    s.sendall(MESSAGE)
                    got = 0
                    while got < len(MESSAGE):
                        got += len(s.recv(len(MESSAGE) - got))
        for _ in range(WARMUP + connections + 1):
            with socket.create_connection(("127.0.0.1", port)) as raw:
                with client_ctx.wrap_socket(raw, server_hostname="localhost") as s:
                    s.sendall(MESSAGE)
                    got = 0
                    while got < len(MESSAGE):
                        got += len(s.recv(len(MESSAGE) - got))

    def main() -> None:
        window = Window()
        state = {"echoes": 0, "connections": 0}

        def on_secure(sock: Any) -> None:
            state["connections"] += 1
            n = state["connections"]
            if n == 2 + WARMUP:
                window.open()
            elif n == 2 + WARMUP + connections:
                window.close()
                result["calls_per_connection"] = window.calls / connections
                server.close()
            if n == 1:
                def on_data(data: Any) -> None:
                    state["echoes"] += 1
                    e = state["echoes"]
                    if e == WARMUP:
                        window.open()
                    elif e == WARMUP + rounds:
                        window.close()
                        result["calls_per_round_trip"] = window.calls / rounds
                        window.calls = 0
                    sock.write(data)
                sock.on("data", on_data)
            else:
                sock.on("data", sock.write)
            sock.on("end", sock.end)
            sock.on("error", lambda err: None)   # the peer may close without close_notify

        server = tls.createServer({"key": pki["key_pem"], "cert": pki["cert_pem"]}, on_secure)

        def on_listening() -> None:
            threading.Thread(target=echo_client, args=(server.address()["port"],), daemon=True).start()

        server.listen(0, "127.0.0.1", on_listening)
        _deadline()

    tls.run(main)
    return result


def client_side(pki: Dict[str, Any], rounds: int, connections: int) -> Dict[str, float]:
    """tls.connect against a Python ssl echo server in a thread."""
    result: Dict[str, float] = {}
    server_ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    pki["cert"].configure_cert(server_ctx)
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]

    def echo_server() -> None:
        while True:
            try:
                raw, _ = listener.accept()
            except OSError:
                return
            try:
                with server_ctx.wrap_socket(raw, server_side=True) as s:
                    while True:
                        data = s.recv(65536)
                        if not data:
                            break
                        s.sendall(data)
            except (OSError, ssl.SSLError):
                pass

    threading.Thread(target=echo_server, daemon=True).start()

    def main() -> None:
        window = Window()
        state = {"echoes": 0, "connections": 0}

        def connect(on_secure: Callable[[Any], None]) -> Any:
            client = tls.connect({"host": "127.0.0.1", "port": port, "servername": "localhost",
                                  "ca": [pki["ca_pem"]]})
            client.on("secureConnect", lambda: on_secure(client))
            client.on("error", lambda err: None)
            return client

        def next_connection() -> None:
            state["connections"] += 1
            n = state["connections"]
            if n == 1 + WARMUP:
                window.open()
            elif n == 1 + WARMUP + connections:
                window.close()
                result["calls_per_connection"] = window.calls / connections
                listener.close()
                return

            def on_secure(client: Any) -> None:
                client.once("data", lambda data: client.end())
                client.write(MESSAGE)

            connect(on_secure).on("close", lambda *a: next_connection())

        def on_echo_secure(client: Any) -> None:
            def on_data(data: Any) -> None:
                state["echoes"] += 1
                e = state["echoes"]
                if e == WARMUP:
                    window.open()
                elif e == WARMUP + rounds:
                    window.close()
                    result["calls_per_round_trip"] = window.calls / rounds
                    window.calls = 0
                    client.end()
                    return
                client.write(data)
            client.on("data", on_data)
            client.write(MESSAGE)

        connect(on_echo_secure).on("close", lambda *a: next_connection())
        _deadline()

    tls.run(main)
    return result


def bulk_send(pki: Dict[str, Any], chunks: int = BULK_CHUNKS) -> float:
    """Calls per 16 KiB chunk of a bulk writer (the benchmark's: write() until it returns False, then
    once('drain') and again) on tls.connect, against a Python ssl reader in a thread.  Not exact: the
    kernel decides how many writes go out before it pushes back (and a 'drain' waits for the
    write-ready event instead of the release pass, stream.py), so a run varies by a call or two."""
    result = {"per_chunk": 0.0}
    server_ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    pki["cert"].configure_cert(server_ctx)
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]

    def sink() -> None:
        raw, _ = listener.accept()
        with server_ctx.wrap_socket(raw, server_side=True) as s:
            while s.recv(1 << 20):
                pass
        listener.close()

    threading.Thread(target=sink, daemon=True).start()

    def main() -> None:
        window = Window()
        chunk = b"b" * BULK_CHUNK
        state = {"sent": 0}
        client = tls.connect({"host": "127.0.0.1", "port": port, "servername": "localhost", "ca": [pki["ca_pem"]]})
        client.on("error", lambda err: None)

        def pump() -> None:
            while True:
                n = state["sent"]
                if n == WARMUP:
                    window.open()
                elif n == WARMUP + chunks:
                    window.close()
                    result["per_chunk"] = window.calls / chunks
                    client.end()
                    return
                state["sent"] = n + 1
                if not client.write(chunk):
                    client.once("drain", pump)
                    return

        client.on("secureConnect", pump)
        _deadline()

    tls.run(main)
    return result["per_chunk"]


def measure(rounds: int = ROUNDS, connections: int = CONNECTIONS) -> Dict[str, Dict[str, float]]:
    pki = _pki()
    return {"server": server_side(pki, rounds, connections), "client": client_side(pki, rounds, connections),
            "bulk_send": {"calls_per_16k_chunk": round(bulk_send(pki), 2)}}


if __name__ == "__main__":
    args: List[str] = sys.argv[1:]
    if "--uvloop" in args:   # tls.run on uvloop's loop (its dispatch is C: fewer calls per event)
        args.remove("--uvloop")
        import asyncio
        import uvloop
        asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())
    print(json.dumps(measure(*(int(a) for a in args))))
