"""Server under test: Python's asyncio + ssl (or uvloop + ssl with --uvloop), Protocol level.

    python asyncio_server.py --cert C --key K --mode echo|sink [--uvloop]
"""
from __future__ import annotations

import asyncio
import os
import ssl
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402

ACK = common.ACK_UNIT


class Echo(asyncio.Protocol):
    def connection_made(self, transport) -> None:
        self.transport = transport

    def data_received(self, data) -> None:
        self.transport.write(data)


class Sink(asyncio.Protocol):
    def connection_made(self, transport) -> None:
        self.transport = transport
        self.count = 0

    def data_received(self, data) -> None:
        n = self.count + len(data)
        if n >= ACK:
            k = n // ACK
            n -= k * ACK
            self.transport.write(b"k" * k)
        self.count = n


async def main(args) -> None:
    loop = asyncio.get_running_loop()
    loop.set_exception_handler(lambda loop, context: None)   # a client hanging up early is not news
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(args.cert, args.key)
    factory = Echo if args.mode == "echo" else Sink
    server = await loop.create_server(factory, "127.0.0.1", 0, ssl=ctx, backlog=4096)
    print(server.sockets[0].getsockname()[1], flush=True)
    await server.serve_forever()


if __name__ == "__main__":
    a = common.server_args()
    if a.uvloop:
        import uvloop
        uvloop.install()
    asyncio.run(main(a))
