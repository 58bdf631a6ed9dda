"""Server under test: this project's `tls` package (Node's API).  Prints its port, then serves.

    python tls_server.py --cert C --key K --mode echo|sink
"""
from __future__ import annotations

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402

import tls  # noqa: E402


def main(args) -> None:
    options = {"key": open(args.key, "rb").read(), "cert": open(args.cert, "rb").read(), "noDelay": True}
    ack = common.ACK_UNIT

    def on_secure_connection(socket) -> None:
        socket.on("error", lambda err: None)
        if args.mode == "echo":
            socket.on("data", lambda data: socket.write(data))
        else:
            state = [0]

            def on_data(data) -> None:
                n = state[0] + len(data)
                if n >= ack:
                    k = n // ack
                    n -= k * ack
                    socket.write(b"k" * k)
                state[0] = n

            socket.on("data", on_data)

    server = tls.createServer(options, on_secure_connection)
    server.on("tlsClientError", lambda err, socket: None)
    server.on("error", lambda err: print("server error:", err, file=sys.stderr))
    server.listen(0, "127.0.0.1", lambda: print(server.address()["port"], flush=True))


if __name__ == "__main__":
    server_args = common.server_args()
    if server_args.uvloop:
        import asyncio

        import uvloop
        asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())  # tls.run makes its loop from the policy
    tls.run(main, server_args)
