"""Ports and plain TCP on the loopback interface."""
from __future__ import annotations

import asyncio
import socket
from typing import Any, Callable, Optional

from support.aio import once


def free_port() -> int:
    """A port nobody listens on (bound, then released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def has_ipv6() -> bool:
    try:
        with socket.socket(socket.AF_INET6) as s:
            s.bind(("::1", 0))
        return True
    except OSError:
        return False


async def listen(server: Any, host: str = "127.0.0.1") -> int:
    """``server.listen(0, host)``; the port once 'listening' came."""
    server.listen(0, host)
    await once(server, "listening")
    return server.address()["port"]


def close_server(server: Any) -> None:
    """Stop listening (open connections are left to the test's teardown)."""
    if server is not None and getattr(server, "listening", False):
        server.close()


class RawServer:
    """A plain TCP server whose handler is a coroutine (reader, writer)."""

    def __init__(self, handler: Callable) -> None:
        self.handler = handler
        self.server: Optional[asyncio.AbstractServer] = None
        self.done = asyncio.get_running_loop().create_future()

    async def start(self) -> int:
        async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            try:
                result = await self.handler(reader, writer)
                if not self.done.done():
                    self.done.set_result(result)
            except Exception as exc:  # pragma: no cover - surfaced through done
                if not self.done.done():
                    self.done.set_exception(exc)
            finally:
                writer.close()
        self.server = await asyncio.start_server(handle, "127.0.0.1", 0)
        return self.server.sockets[0].getsockname()[1]

    async def close(self) -> None:
        if self.server is not None:
            self.server.close()
