"""tls.net (Node's net): addresses, listen forms, close, connection counts and error fields.

Node 20 is the oracle for addresses, listen errors (EADDRINUSE), connect
errors and ECONNRESET fields; the same harness as tests/net/test_net_event_order.py.
"""
from __future__ import annotations

import asyncio
import errno
import os
from typing import Any, Dict, List

import pytest

from tls import events, net
from tls.errors import NodeError

from support.aio import arun, future_event, settle, wait, when
from support.loopback import free_port
from support.loopback import has_ipv6
from support.net_scripts import CLIENT_JS, JS_PRELUDE, SERVER_JS, err_fields, record, wcb

MiB = 1024 * 1024


# -- addresses ----------------------------------------------------------------------------------

ADDR_CLIENT_JS = JS_PRELUDE + r"""
const c = net.connect(A.options, () => {
  out({local: [c.localAddress, c.localPort], remote: [c.remoteAddress, c.remotePort, c.remoteFamily],
       address: c.address()});
  c.end();
});
c.resume();
"""


@pytest.mark.parametrize("host", ["127.0.0.1", "::1"])
def test_addresses_with_node_client_and_server(node, host):
    if host == "::1" and not has_ipv6():
        pytest.skip("no IPv6 loopback")
    family = "IPv6" if ":" in host else "IPv4"

    async def body():
        # our server, Node client
        accepted: "asyncio.Future[Any]" = asyncio.get_running_loop().create_future()
        srv = net.createServer(lambda s: (accepted.set_result(s), s.resume()))
        srv.listen({"port": 0, "host": host})
        await wait(when(srv, "listening"))
        addr = srv.address()
        assert addr["address"] == host and addr["family"] == family and addr["port"] > 0
        view = await node(ADDR_CLIENT_JS, {"options": {"port": addr["port"], "host": host}}).recv()
        s = await wait(accepted)
        assert [s.remoteAddress, s.remotePort] == view["local"]
        assert [s.localAddress, s.localPort, s.remoteFamily] == view["remote"]
        assert s.address() == {"address": host, "family": family, "port": addr["port"]}
        srv.close()
        await wait(when(srv, "close"))

        # Node server, our client
        server = node(SERVER_JS, {"host": host, "recordData": False, "onConnection": r"""
            out({remote: [s.remoteAddress, s.remotePort, s.remoteFamily], local: [s.localAddress, s.localPort]}); s.end();
        """})
        port = (await server.recv())["port"]
        c = net.connect({"port": port, "host": host})
        await wait(when(c, "connect"))
        seen = await server.recv_key("remote")
        assert [c.localAddress, c.localPort, c.remoteFamily] == seen["remote"]
        assert [c.remoteAddress, c.remotePort] == seen["local"]
        assert c.address() == {"address": host, "family": family, "port": c.localPort}
        assert c.localFamily == family
        c.resume()
        await wait(when(c, "close"))

    arun(body)


# -- listen forms, close, connections ----------------------------------------------------------------

def test_listen_forms(tmp_path):
    async def body():
        loop = asyncio.get_running_loop()

        async def check(srv, expect_address, connect_to):
            got: "asyncio.Future[Any]" = loop.create_future()
            srv.on("connection", lambda s: (s.end("hi"), got.done() or got.set_result(s)))
            addr = srv.address()
            if callable(expect_address):
                assert expect_address(addr), addr
            else:
                assert addr == expect_address
            c = net.connect(*connect_to(addr))
            data: List[bytes] = []
            c.on("data", data.append)
            await wait(when(c, "close"))
            assert b"".join(data) == b"hi"
            await wait(got)
            done = loop.create_future()
            srv.close(lambda err=None: done.set_result(err))
            assert await wait(done) is None
            assert not srv.listening
            # Node: a TCP server has no address once closed; a Unix one keeps its path
            assert srv.address() == (expect_address if isinstance(expect_address, str) else None)

        # listen(port, host, cb)
        port = free_port()
        listened = loop.create_future()
        srv = net.createServer().listen(port, "127.0.0.1", lambda: listened.set_result(True))
        assert srv.address() == {"address": "127.0.0.1", "family": "IPv4", "port": port}  # bound at once
        await wait(listened)
        await check(srv, {"address": "127.0.0.1", "family": "IPv4", "port": port},
                    lambda a: (a["port"], "127.0.0.1"))

        # listen(port, cb): all interfaces (dual stack '::' like Node)
        port = free_port()
        listened = loop.create_future()
        srv = net.createServer()
        srv.listen(port, lambda: listened.set_result(True))
        await wait(listened)
        await check(srv, lambda a: a["port"] == port and a["address"] in ("::", "0.0.0.0"),
                    lambda a: (a["port"], "127.0.0.1"))

        # listen({port, host})
        srv = net.createServer()
        srv.listen({"port": 0, "host": "127.0.0.1"})
        await wait(when(srv, "listening"))
        await check(srv, lambda a: a["address"] == "127.0.0.1" and a["port"] > 0,
                    lambda a: ({"port": a["port"], "host": "127.0.0.1"},))

        # listen(): a random port on all interfaces
        srv = net.createServer()
        srv.listen()
        await wait(when(srv, "listening"))
        await check(srv, lambda a: a["port"] > 0, lambda a: (a["port"],))

        # listen(path, cb): a Unix socket, removed on close
        path = str(tmp_path / "s.sock")
        listened = loop.create_future()
        srv = net.createServer()
        srv.listen(path, lambda: listened.set_result(True))
        await wait(listened)
        await check(srv, path, lambda a: (a,))
        assert not os.path.exists(path)

    arun(body)


def test_unix_socket_with_node_client(node, tmp_path):
    path = str(tmp_path / "n.sock")

    async def body():
        srv = net.createServer(lambda s: s.pipe(s))
        srv.listen(path)
        await wait(when(srv, "listening"))
        log = (await node(CLIENT_JS, {"options": {"path": path}, "onConnect": "c.end('over unix')"}).recv())["events"]
        assert log == ["connect", "ready", "finish", "data:over unix", "end", "close:false"]
        srv.close()
        await wait(when(srv, "close"))

    arun(body)


LISTEN_ERRORS_JS = JS_PRELUDE + r"""
const holder = net.createServer();
const target = A.path || 0;
const args = A.path ? [A.path] : [0, '127.0.0.1'];
holder.listen(...args, () => {
  out({holding: A.path || holder.address().port});
  const second = net.createServer();
  second.on('error', (e) => {
    const closeLog = [];
    second.close((err) => closeLog.push('cb:' + (err ? err.code : 'ok')));
    second.on('close', () => { closeLog.push('close'); out({err: errFields(e), listening: second.listening,
                                                            address: second.address(), closeLog}); });
  });
  second.listen(...(A.path ? [A.path] : [holder.address().port, '127.0.0.1']));
});
"""


@pytest.mark.parametrize("kind", ["tcp", "unix"])
def test_eaddrinuse_like_node(node, tmp_path, kind):
    async def body():
        path = str(tmp_path / "busy.sock") if kind == "unix" else None
        peer = node(LISTEN_ERRORS_JS, {"path": path})
        holding = (await peer.recv())["holding"]
        expected = await peer.recv()
        srv = net.createServer()
        errors: "asyncio.Future[Any]" = asyncio.get_running_loop().create_future()
        srv.on("error", errors.set_result)
        if kind == "unix":
            srv.listen(holding)
        else:
            srv.listen(holding, "127.0.0.1")
        err = await wait(errors)
        assert err_fields(err, expected["err"]) == expected["err"]
        assert err.code == "EADDRINUSE" and err.nodeErrno == -errno.EADDRINUSE and err.syscall == "listen"
        assert isinstance(err, OSError) and err.errno == errno.EADDRINUSE   # Python's errno
        assert srv.listening is expected["listening"] is False
        assert srv.address() == expected["address"] == (holding if kind == "unix" else None)
        close_log: List[str] = []
        closed = future_event(srv, "close")
        srv.close(wcb(close_log, "cb"))
        srv.on("close", lambda: close_log.append("close"))
        await wait(closed)
        await settle()
        assert close_log == expected["closeLog"] == ["cb:ERR_SERVER_NOT_RUNNING", "close"]

    arun(body)


def test_close_waits_for_connections_and_counts(node):
    async def body():
        loop = asyncio.get_running_loop()
        sockets: List[net.Socket] = []
        all_in = loop.create_future()

        def on_connection(s):
            sockets.append(s)
            s.resume()
            if len(sockets) == 3:
                all_in.set_result(None)

        srv = net.createServer(on_connection)
        srv.listen(0, "127.0.0.1")
        await wait(when(srv, "listening"))
        port = srv.address()["port"]
        clients = [net.connect(port, "127.0.0.1") for _ in range(3)]
        connected = [when(c, "connect") for c in clients]
        for c in clients:
            c.resume()
        await wait(asyncio.gather(*connected))
        await wait(all_in)
        assert srv.connections == 3
        counted = loop.create_future()
        srv.getConnections(lambda err, n: counted.set_result((err, n)))
        assert await wait(counted) == (None, 3)
        log: List[str] = []
        srv.close(wcb(log, "close-cb"))
        srv.on("close", lambda: log.append("close"))
        assert not srv.listening and srv.address() is None
        refused = net.connect(port, "127.0.0.1")
        refused.on("error", lambda err: log.append("new:" + err.code))
        await wait(when(refused, "close"))
        for i, c in enumerate(clients):
            c.end()
            await wait(when(c, "close"))
            await settle()
            log.append("client%d-closed" % i)
        await settle()
        assert log == ["new:ECONNREFUSED", "client0-closed", "client1-closed",
                       "client2-closed", "close-cb:ok", "close"] or \
            log == ["new:ECONNREFUSED", "client0-closed", "client1-closed", "close-cb:ok", "close",
                    "client2-closed"]
        assert srv.connections == 0
        again: List[str] = []
        srv.close(wcb(again, "cb"))
        await wait(when(srv, "close"))
        await settle()
        assert again == ["cb:ERR_SERVER_NOT_RUNNING"]

    arun(body)


def test_server_close_callback_never_listened_matches_node(node):
    js = JS_PRELUDE + r"""
    const log = [];
    const s = net.createServer();
    s.close((e) => log.push('cb:' + (e ? e.code + '|' + e.message : 'ok')));
    s.on('close', () => { log.push('close'); setImmediate(() => out({events: log})); });
    """

    async def body():
        expected = (await node(js).recv())["events"]
        log: List[str] = []
        s = net.createServer()
        s.close(lambda e: log.append("cb:" + ("%s|%s" % (e.code, e.message) if e else "ok")))
        s.on("close", lambda: log.append("close"))
        await wait(when(s, "close"))
        await settle()
        assert log == expected == ["cb:ERR_SERVER_NOT_RUNNING|Server is not running.", "close"]

    arun(body)


def test_listen_twice_and_bad_port():
    async def body():
        srv = net.createServer()
        srv.listen(0, "127.0.0.1")
        with pytest.raises(NodeError) as info:
            srv.listen(0)
        assert info.value.code == "ERR_SERVER_ALREADY_LISTEN"
        srv.close()
        with pytest.raises(NodeError) as info:
            net.createServer().listen(70000)
        assert info.value.code == "ERR_SOCKET_BAD_PORT"
        with pytest.raises(NodeError) as info:
            net.connect(70000, "127.0.0.1")
        assert info.value.code == "ERR_SOCKET_BAD_PORT"
        assert info.value.message == "Port should be >= 0 and < 65536. Received type number (70000)."
        await wait(when(srv, "close"))

    arun(body)


def test_close_then_listen_again():
    async def body():
        srv = net.createServer(lambda s: s.end("again"))
        srv.listen(0, "127.0.0.1")
        srv.close()                      # before 'listening': Node emits no 'listening'
        seen: List[str] = []
        srv.on("listening", lambda: seen.append("listening"))
        await wait(when(srv, "close"))
        assert seen == []
        srv.listen(0, "127.0.0.1")
        await wait(when(srv, "listening"))
        c = net.connect(srv.address()["port"], "127.0.0.1")
        got: List[bytes] = []
        c.on("data", got.append)
        await wait(when(c, "close"))
        assert got == [b"again"]
        srv.close()
        await wait(when(srv, "close"))

    arun(body)


# -- client errors, with Node's fields ---------------------------------------------------------------

CONNECT_ERROR_JS = JS_PRELUDE + r"""
const c = net.connect(A.options);
c.on('error', (e) => out({err: errFields(e)}));
c.resume();
"""


@pytest.mark.parametrize("case", ["refused", "not_found", "unix_enoent"])
def test_connect_error_fields_like_node(node, tmp_path, case):
    options = {
        "refused": {"port": free_port(), "host": "127.0.0.1"},
        "not_found": {"port": 80, "host": "no-such-host.invalid"},
        "unix_enoent": {"path": str(tmp_path / "missing.sock")},
    }[case]

    async def body():
        expected = (await node(CONNECT_ERROR_JS, {"options": options}).recv())["err"]
        c = net.connect(options)
        log: List[str] = []
        record(c, log)
        errors: List[Any] = []
        c.on("error", errors.append)
        await wait(when(c, "close"))
        assert err_fields(errors[0], expected) == expected
        assert set(err_fields(errors[0], ("errno", "code", "syscall", "address", "port", "hostname"))) \
            == set(k for k in expected if k != "message")
        assert log[-2:] == ["error:" + expected["code"], "close:true"]
        return expected

    expected = arun(body)
    if case == "refused":
        assert expected["code"] == "ECONNREFUSED" and expected["syscall"] == "connect"
        assert expected["errno"] == -errno.ECONNREFUSED and expected["port"] == options["port"]
    if case == "not_found":
        assert expected["code"] == "ENOTFOUND" and expected["errno"] == -3008


def test_econnreset_fields_like_node(node):
    async def body():
        server = node(SERVER_JS, {"onConnection": "s.on('data', () => s.resetAndDestroy())"})
        port = (await server.recv())["port"]
        expected = (await node(CONNECT_ERROR_JS.replace("c.resume();", "c.resume(); c.write('x');"),
                               {"options": {"port": port, "host": "127.0.0.1"}}).recv())["err"]
        c = net.connect(port, "127.0.0.1", lambda: c.write("x"))
        errors: List[Any] = []
        c.on("error", errors.append)
        c.resume()
        had = await wait(when(c, "close"))
        assert had == [True]
        assert err_fields(errors[0], expected) == expected == {
            "message": "read ECONNRESET", "code": "ECONNRESET", "errno": -errno.ECONNRESET, "syscall": "read"}

    arun(body)


def test_our_reset_reaches_node_as_econnreset(node):
    async def body():
        server = node(SERVER_JS, {"onConnection": "s.write('hi')"})
        port = (await server.recv())["port"]
        c = net.connect(port, "127.0.0.1")
        c.once("data", lambda d: c.resetAndDestroy())
        closed = await wait(when(c, "close"))
        assert closed == [False]
        assert (await server.recv())["events"] == ["error:ECONNRESET", "close:true"]

    arun(body)


# -- callbacks without arguments, misc ---------------------------------------------------------------

def test_callbacks_may_take_no_argument(node):
    """JS callbacks ignore extra arguments; ours may be ``lambda: ...`` too."""
    async def body():
        server = node(SERVER_JS, {"onConnection": "s.resume()"})
        port = (await server.recv())["port"]
        log: List[str] = []
        c = net.connect(port, "127.0.0.1", lambda: log.append("connected"))
        c.write("a", lambda: log.append("write"))
        c.end("b", lambda: log.append("end"))
        srv = net.createServer()
        srv.close(lambda: log.append("close-not-running"))
        await wait(when(c, "close"))
        await settle()
        assert log == ["close-not-running", "connected", "write", "end"] or \
            log == ["connected", "close-not-running", "write", "end"]

    arun(body)


def test_max_connections_drops(node):
    async def body():
        srv = net.createServer(lambda s: s.resume())
        srv.maxConnections = 1
        drops: List[Dict[str, Any]] = []
        srv.on("drop", drops.append)
        srv.listen(0, "127.0.0.1")
        await wait(when(srv, "listening"))
        port = srv.address()["port"]
        accepted = when(srv, "connection")
        first = net.connect(port, "127.0.0.1")
        await wait(when(first, "connect"))
        await wait(accepted)
        second = net.connect(port, "127.0.0.1")
        second.resume()
        await wait(when(second, "close"))
        assert len(drops) == 1 and drops[0]["remotePort"] == second.localPort
        first.destroy()
        srv.close()
        await wait(when(srv, "close"))

    arun(body)


def test_capture_rejections_connection_listener_destroys_the_socket(monkeypatch):
    """Node's net.Server[captureRejectionSymbol]: a failed async 'connection' listener
    destroys that socket with its error; another event's failure is the server's 'error'
    (as Node 20 prints under ``events.captureRejections = true``: the class default here)."""
    monkeypatch.setattr(events.EventEmitter, "captureRejections", True)

    async def body():
        boom, later = Exception("kaboom"), Exception("listening failed")
        srv = net.Server()
        socket_errors: List[BaseException] = []

        async def on_connection(sock):
            sock.on("error", socket_errors.append)
            raise boom

        async def on_listening():
            raise later

        srv.on("connection", on_connection)
        srv.on("listening", on_listening)
        server_error = future_event(srv, "error")
        srv.listen(0, "127.0.0.1")
        assert (await wait(server_error)) == (later,)
        client = net.connect(srv.address()["port"], "127.0.0.1")
        client.on("error", lambda err: None)   # the reset may reach it as ECONNRESET
        await wait(when(client, "close"))
        assert socket_errors == [boom]
        srv.close()
        await wait(when(srv, "close"))

    arun(body)


def test_is_ip_helpers():
    assert net.isIP("127.0.0.1") == 4 and net.isIP("::1") == 6 and net.isIP("fe80::1%lo") == 6
    assert net.isIP("localhost") == 0 and net.isIP("") == 0 and net.isIP(None) == 0
    assert net.isIPv4("10.0.0.1") and not net.isIPv4("::1") and net.isIPv6("::ffff:1.2.3.4")
