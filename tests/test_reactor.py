"""The descriptor reactor (tls._node.reactor): the sockets driven from C on one epoll instance per loop.

A lone connection stays with asyncio's own selector; from two on they share the reactor's epoll instance, and
the last one left goes back.  Data must flow across every move, the callbacks of a batch run in order with
a failing one reported and the others still run, and other loops (uvloop) or TLS_REACTOR=0 keep the loop's
own registration.  The peers are real: our own server and clients over loopback, Python's ssl.
"""
from __future__ import annotations

import asyncio
import contextvars
import select
import socket
import ssl
import subprocess
import sys
from typing import Any

import pytest

import tls
from tls._node import reactor as _reactor
from tls._node.reactor import Reactor, poller_for

from support.aio import Collector, async_test, once
from support.loopback import listen
from support.python import SRC

pytestmark = pytest.mark.skipif(not _reactor.ENABLED, reason="the reactor is Linux's (epoll)")


async def _echo_server(pems):
    def on_secure(sock):
        sock.on("data", lambda d: sock.write(b"echo:" + d))
        sock.on("end", lambda: sock.end())
    server = tls.createServer(pems.server_options(), on_secure)
    return server, await listen(server)


async def _round(client: Any, got: Any, text: bytes) -> None:
    client.write(text)
    await got.until(b"echo:" + text)


class _PyClient:
    """A Python ssl client in a thread (so that only the server side is ours): send, wait for the echo."""

    def __init__(self, port: int, ca_pem: bytes) -> None:
        ctx = ssl.create_default_context(cadata=ca_pem.decode())
        self.sock = ctx.wrap_socket(socket.create_connection(("127.0.0.1", port)), server_hostname="localhost")

    def echo(self, text: bytes) -> bytes:
        self.sock.sendall(text)
        want, got = len(b"echo:" + text), b""
        while len(got) < want:
            got += self.sock.recv(want - len(got))
        return got

    def close(self) -> None:
        self.sock.close()


@async_test(20)
async def test_one_connection_stays_with_the_loop_two_share_the_reactor_and_back(pems):
    loop = asyncio.get_running_loop()
    poller = poller_for(loop)
    assert isinstance(poller, Reactor)
    server, port = await _echo_server(pems)
    ca = pems.ca
    a = await asyncio.to_thread(_PyClient, port, ca)
    assert await asyncio.to_thread(a.echo, b"a1") == b"echo:a1"
    solo = poller._solo
    assert solo is not None and not poller._masks          # one descriptor: the loop's own
    b = await asyncio.to_thread(_PyClient, port, ca)
    assert await asyncio.to_thread(b.echo, b"b1") == b"echo:b1"
    assert poller._solo is None and solo in poller._masks and len(poller._masks) == 2   # both in the epoll instance
    assert await asyncio.to_thread(a.echo, b"a2") == b"echo:a2"
    b.close()
    while len(poller._masks) == 2:                           # b's server side closes (its 'end')
        await asyncio.sleep(0.01)
    assert poller._solo == solo and not poller._masks       # the one left goes back to the loop
    assert await asyncio.to_thread(a.echo, b"a3") == b"echo:a3"
    a.close()
    while poller._solo is not None:
        await asyncio.sleep(0.01)
    assert not poller._readers and not poller._writers
    server.close()


@async_test(30)
async def test_many_connections_echo_through_the_reactor(pems):
    """Twenty connections at once, forty messages each, every byte back where it belongs."""
    poller = poller_for(asyncio.get_running_loop())
    server, port = await _echo_server(pems)
    seen = []

    async def client(i: int) -> bytes:
        sock = tls.connect(port, "localhost", {"ca": pems.ca})
        got = Collector(sock)
        await once(sock, "secureConnect")
        for j in range(40):
            await _round(sock, got, b"%d.%d;" % (i, j))
        seen.append(len(poller._masks))
        sock.end()
        await once(sock, "close")
        return got.data

    results = await asyncio.gather(*(client(i) for i in range(20)))
    for i, data in enumerate(results):
        assert data == b"".join(b"echo:%d.%d;" % (i, j) for j in range(40))
    assert max(seen) > 2
    server.close()


@async_test(10)
async def test_a_batch_runs_in_order_reports_a_failure_and_goes_on():
    loop = asyncio.get_running_loop()
    reported = []
    loop.set_exception_handler(lambda lp, context: reported.append(context["exception"]))
    reactor = Reactor(loop, select.epoll())
    pairs = [socket.socketpair() for _ in range(3)]
    ran = []
    var = contextvars.ContextVar("which", default="none")

    def reader(i, sock):
        def on_readable():
            sock.recv(16)
            ran.append((i, var.get()))
            if i == 1:
                raise ValueError("callback %d failed" % i)
        return on_readable

    for i, (mine, _theirs) in enumerate(pairs):
        var.set("ctx%d" % i)   # each callback runs in the context it was registered in
        reactor.add_reader(mine.fileno(), reader(i, mine))
    for _mine, theirs in pairs:
        theirs.send(b"x")
    await asyncio.sleep(0.05)
    while len(ran) < 3:
        await asyncio.sleep(0.01)
    assert sorted(ran) == [(0, "ctx0"), (1, "ctx1"), (2, "ctx2")]
    assert [str(e) for e in reported] == ["callback 1 failed"]
    for mine, theirs in pairs:
        assert reactor.remove_reader(mine.fileno()) is True
        assert reactor.remove_reader(mine.fileno()) is False
        mine.close()
        theirs.close()
    assert not reactor._masks and reactor._solo is None


def test_uvloop_and_tls_reactor_0_keep_the_loops_own_registration():
    uvloop = pytest.importorskip("uvloop")
    loop = uvloop.new_event_loop()
    try:
        assert poller_for(loop) is loop
    finally:
        loop.close()
    out = subprocess.run(
        [sys.executable, "-c", "import asyncio; from tls._node.reactor import poller_for; "
         "loop = asyncio.new_event_loop(); print(poller_for(loop) is loop)"],
        env={"PYTHONPATH": SRC, "TLS_REACTOR": "0", "PATH": "/usr/bin:/bin"}, capture_output=True, text=True,
        timeout=60)
    assert out.stdout.strip() == "True", out.stderr


def test_a_closed_loop_is_collected_with_its_reactor():
    """The reactor lives on its loop: a program that makes and closes loops (asyncio.run in a loop) keeps none
    of them, nor their epoll descriptors."""
    import gc
    import weakref

    refs = []
    for _ in range(3):
        loop = asyncio.new_event_loop()
        reactor = poller_for(loop)
        assert isinstance(reactor, Reactor) and poller_for(loop) is reactor
        epoll = reactor._epoll
        refs.append((weakref.ref(loop), weakref.ref(reactor), epoll))
        loop.close()
        del loop, reactor
    gc.collect()
    assert all(loop_ref() is None and reactor_ref() is None and epoll.closed for loop_ref, reactor_ref, epoll in refs)
