"""Client under test: Python's asyncio + ssl (or uvloop + ssl with --uvloop), against the fixed C server.

    python asyncio_client.py --scenario bulk|hs|resume13|echo --port P --duration S [--conns N] --ca F [--uvloop]

asyncio's create_connection() takes no TLS session, so resumption goes through an SSLContext whose
wrap_bio() passes the latest session (asyncio's and uvloop's SSL protocols both call wrap_bio).
"""
from __future__ import annotations

import asyncio
import os
import ssl
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402
from common import ACK_UNIT, BULK_CHUNK, ECHO_SIZE, now  # noqa: E402


class ResumingContext(ssl.SSLContext):
    session = None

    def wrap_bio(self, incoming, outgoing, server_side=False, server_hostname=None, session=None):
        return super().wrap_bio(incoming, outgoing, server_side, server_hostname, session=self.session)


def make_context(ca: str, resume: bool) -> ssl.SSLContext:
    cls = ResumingContext if resume else ssl.SSLContext
    ctx = cls(ssl.PROTOCOL_TLS_CLIENT)
    ctx.load_verify_locations(ca)
    ctx.minimum_version = ctx.maximum_version = ssl.TLSVersion.TLSv1_3
    return ctx


class Bulk(asyncio.Protocol):
    def __init__(self, st: common.Stats, duration: float, done: asyncio.Future) -> None:
        self.st, self.duration, self.done = st, duration, done
        self.chunk = b"b" * BULK_CHUNK
        self.sent = self.acks = 0
        self.paused = self.stop = False

    def connection_made(self, transport) -> None:   # asyncio calls it once the handshake is done
        self.transport = transport
        self.st.start()
        self.deadline = self.st.t0 + self.duration
        self.pump()

    def pause_writing(self) -> None:
        self.paused = True

    def resume_writing(self) -> None:
        self.paused = False
        self.pump()

    def pump(self) -> None:
        write, chunk = self.transport.write, self.chunk
        while not self.paused and not self.stop:
            if self.sent % ACK_UNIT == 0 and now() >= self.deadline:
                self.stop = True
                self.check()
                return
            self.sent += len(chunk)
            write(chunk)

    def data_received(self, data) -> None:
        self.acks += len(data)
        self.st.progress()
        self.check()

    def check(self) -> None:
        if self.stop and self.acks * ACK_UNIT >= self.sent and not self.done.done():
            self.st.bytes = self.sent
            self.st.ops = self.sent // ACK_UNIT
            self.done.set_result(None)

    def connection_lost(self, exc) -> None:
        if not self.done.done():
            self.done.set_exception(ConnectionError("bulk connection lost: %r" % (exc,)))


class Ping(asyncio.Protocol):
    def __init__(self, fut: asyncio.Future) -> None:
        self.fut = fut

    def connection_made(self, transport) -> None:
        transport.write(b"h")

    def data_received(self, data) -> None:
        if not self.fut.done():
            self.fut.set_result(None)

    def connection_lost(self, exc) -> None:
        if not self.fut.done():
            self.fut.set_exception(ConnectionError("closed before the echo: %r" % (exc,)))


class Echo(asyncio.Protocol):
    def __init__(self, st: common.Stats) -> None:
        self.st = st
        self.got = 0
        self.msg = b"e" * ECHO_SIZE
        self.done = asyncio.get_running_loop().create_future()

    def connection_made(self, transport) -> None:
        self.transport = transport

    def go(self, deadline: float) -> None:
        self.deadline = deadline
        self.transport.write(self.msg)

    def data_received(self, data) -> None:
        self.got += len(data)
        st = self.st
        while self.got >= ECHO_SIZE:
            self.got -= ECHO_SIZE
            st.ops += 1
            if now() >= self.deadline:
                self.transport.close()
                if not self.done.done():
                    self.done.set_result(None)
                return
            self.transport.write(self.msg)
        st.progress()

    def connection_lost(self, exc) -> None:
        if not self.done.done():
            self.done.set_exception(ConnectionError("echo connection lost: %r" % (exc,)))


async def watchdog(st: common.Stats) -> None:
    while True:
        await asyncio.sleep(0.25)
        if now() - st.last_progress > common.STALL_SECS:
            raise TimeoutError("stalled: no progress")


async def scenario_main(a) -> common.Stats:
    loop = asyncio.get_running_loop()
    loop.set_exception_handler(lambda loop, context: None)
    st = common.Stats(a.scenario, a.conns)
    ctx = make_context(a.ca, a.scenario == "resume13")
    connect = lambda factory: loop.create_connection(factory, a.host, a.port, ssl=ctx,  # noqa: E731
                                                     server_hostname="localhost")

    async def run() -> None:
        if a.scenario == "bulk":
            done = loop.create_future()
            await connect(lambda: Bulk(st, a.duration, done))
            await done
        elif a.scenario in ("hs", "resume13"):
            resume = a.scenario == "resume13"
            if resume:
                # one priming connection brings the first ticket: every measured handshake can resume
                fut = loop.create_future()
                transport, _ = await connect(lambda: Ping(fut))
                await fut
                ctx.session = transport.get_extra_info("ssl_object").session
                transport.close()
            st.start()
            deadline = st.t0 + a.duration

            async def slot() -> None:
                while now() < deadline:
                    fut = loop.create_future()
                    try:
                        transport, _ = await connect(lambda: Ping(fut))
                        await fut
                    except (OSError, ssl.SSLError, ConnectionError) as exc:
                        st.errors += 1
                        if st.errors <= 3:
                            print("connection error:", exc, file=sys.stderr)
                        if st.errors > 200:
                            raise RuntimeError("too many connection errors")
                        continue
                    sslobj = transport.get_extra_info("ssl_object")
                    if sslobj.session_reused:
                        st.reused += 1
                    if resume:
                        ctx.session = sslobj.session
                    transport.close()
                    st.ops += 1
                    st.progress()

            await asyncio.gather(*(slot() for _ in range(a.conns)))
        else:
            protos = []
            for _ in range(a.conns):
                _, proto = await connect(lambda: Echo(st))
                protos.append(proto)
            st.start()
            for p in protos:
                p.go(st.t0 + a.duration)
            await asyncio.gather(*(p.done for p in protos))
            st.bytes = st.ops * ECHO_SIZE
        st.stop()

    dog = asyncio.ensure_future(watchdog(st))
    work = asyncio.ensure_future(run())
    try:
        await asyncio.wait({dog, work}, return_when=asyncio.FIRST_COMPLETED)
        if work.done():
            work.result()
        else:
            dog.result()
    except BaseException as exc:  # noqa: BLE001 - any failure becomes the result line
        st.error_text = "%s: %s" % (type(exc).__name__, exc)
    finally:
        dog.cancel()
        work.cancel()
    return st


if __name__ == "__main__":
    args = common.client_args()
    if args.uvloop:
        import uvloop
        uvloop.install()
    stats = asyncio.run(scenario_main(args))
    stats.emit()
    os._exit(0)
