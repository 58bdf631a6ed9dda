"""tls.net (Node's net): event order and half-close, compared with Node 20 over loopback.

Wherever Node defines an event order, the same scenario is run with Node on
both ends first and the recorded event lists are compared with ours (the
peer's view included).  Node peers are ``node -e`` scripts
(tests/support/net_scripts.py) started by the ``node`` fixture; every test
runs its coroutine under ``asyncio.wait_for`` (support.aio.arun) and an
exception escaping any callback fails the test at once.
"""
from __future__ import annotations

import asyncio
from typing import Any, Callable, Dict, List

import pytest

from tls import net
from tls.errors import NodeError

from support.aio import arun, future_event, settle, wait, when
from support.loopback import free_port
from support.net_scripts import CLIENT_JS, JS_PRELUDE, SERVER_JS, record, wcb
from support.node import NodePeer

MiB = 1024 * 1024


# -- event order: our client vs Node's client, against the same Node server -----------------

# name: server (its A.* settings), client (options for connect, host/port set by
# the harness), js (pre/onConnect/onEnd sources), py (the same as callables).
CLIENT_SCENARIOS: Dict[str, Dict[str, Any]] = {
    "server_ends": dict(
        server={"onConnection": "s.end('hello')"},
    ),
    "client_ends_after_connect": dict(
        server={"onConnection": "s.on('data', (d) => s.write(d))"},
        js={"onConnect": "c.end('bye')"},
        py={"onConnect": lambda c, log: c.end("bye")},
    ),
    "writes_queued_before_connect": dict(
        server={"onConnection": "s.on('data', (d) => s.write(d))"},
        js={"pre": "log.push('w:' + c.write('a')); log.push('w:' + c.write(Buffer.from('b'))); c.end('c')"},
        py={"pre": lambda c, log: (log.append("w:%s" % str(c.write("a")).lower()),
                                   log.append("w:%s" % str(c.write(b"b")).lower()), c.end("c"))},
    ),
    "write_and_end_callbacks": dict(
        server={"onConnection": "s.on('data', (d) => s.write(d))"},
        js={"onConnect": "c.write('a', wcb(log, 'wa')); c.write('b', 'latin1', wcb(log, 'wb')); "
                         "c.end('c', wcb(log, 'endcb'))"},
        py={"onConnect": lambda c, log: (c.write("a", wcb(log, "wa")), c.write("b", "latin1", wcb(log, "wb")),
                                         c.end("c", wcb(log, "endcb")))},
    ),
    "half_open_client_writes_after_end": dict(
        server={"serverOptions": {"allowHalfOpen": True}, "onConnection": "s.end('a')"},
        client={"allowHalfOpen": True},
        js={"onEnd": "log.push('writable:' + c.writable); c.end('late')"},
        py={"onEnd": lambda c, log: (log.append("writable:%s" % str(c.writable).lower()), c.end("late"))},
    ),
    "no_half_open_client_ends_after_end": dict(
        server={"serverOptions": {"allowHalfOpen": True}, "onConnection": "s.end('a')"},
    ),
    # Without allowHalfOpen: writing in the 'end' listener still works (our
    # FIN follows it); after our automatic end() it is EPIPE.
    "no_half_open_writes_in_end_and_finish": dict(
        server={"serverOptions": {"allowHalfOpen": True}, "onConnection": "s.end('a')"},
        js={"onEnd": "log.push('w:' + c.write('in-end', wcb(log, 'we')))",
            "pre": "c.on('finish', () => log.push('w:' + c.write('in-finish', wcb(log, 'wf'))))"},
        py={"onEnd": lambda c, log: log.append("w:%s" % str(c.write("in-end", wcb(log, "we"))).lower()),
            "pre": lambda c, log: c.on("finish", lambda: log.append(
                "w:%s" % str(c.write("in-finish", wcb(log, "wf"))).lower()))},
    ),
    "destroy_with_error": dict(
        server={},
        js={"onConnect": "c.destroy(Object.assign(new Error('boom'), {code: 'EBOOM'}))"},
        py={"onConnect": lambda c, log: c.destroy(NodeError("boom", "EBOOM"))},
    ),
    "destroy_without_error": dict(
        server={},
        js={"onConnect": "c.destroy()"},
        py={"onConnect": lambda c, log: c.destroy()},
    ),
    "destroy_while_connecting": dict(
        server={},
        server_sees=False,
        js={"pre": "c.write('a', wcb(log, 'wa')); c.end(wcb(log, 'endcb')); c.destroy()"},
        py={"pre": lambda c, log: (c.write("a", wcb(log, "wa")), c.end(wcb(log, "endcb")), c.destroy())},
    ),
    "write_after_destroy": dict(
        server={},
        js={"onConnect": "c.destroy(); log.push('w:' + c.write('x', wcb(log, 'wx')))"},
        py={"onConnect": lambda c, log: (c.destroy(),
                                         log.append("w:%s" % str(c.write("x", wcb(log, "wx"))).lower()))},
    ),
    "write_after_end": dict(
        server={},
        js={"onConnect": "c.end(wcb(log, 'endcb')); log.push('w:' + c.write('x', wcb(log, 'wx')))"},
        py={"onConnect": lambda c, log: (c.end(wcb(log, "endcb")),
                                         log.append("w:%s" % str(c.write("x", wcb(log, "wx"))).lower()))},
    ),
    "reset_by_peer": dict(
        server={"onConnection": "s.on('data', () => s.resetAndDestroy())"},
        js={"onConnect": "c.write('x')"},
        py={"onConnect": lambda c, log: c.write("x")},
    ),
    "client_resets": dict(
        server={"onConnection": "s.write('hi')"},
        js={"onConnect": "c.once('data', () => c.resetAndDestroy())"},
        py={"onConnect": lambda c, log: c.once("data", lambda d: c.resetAndDestroy())},
    ),
    "idle_timeout": dict(
        server={},
        js={"onConnect": "c.setTimeout(50, () => { log.push('timeout-cb'); c.destroy(); })"},
        py={"onConnect": lambda c, log: c.setTimeout(50, lambda: (log.append("timeout-cb"), c.destroy()))},
    ),
    "connection_refused": dict(
        server=None, port="closed",
    ),
    "host_not_found": dict(
        server=None, host="no-such-host.invalid", port=80,
    ),
    "localhost_is_looked_up": dict(
        server={"onConnection": "s.end('hello')"}, host="localhost",
    ),
}


async def _py_client(options: Dict[str, Any], py: Dict[str, Callable[..., Any]]) -> List[str]:
    log: List[str] = []
    c = net.connect(options)
    record(c, log)
    closed = future_event(c, "close")
    if py.get("pre"):
        py["pre"](c, log)
    if py.get("onConnect"):
        c.on("connect", lambda: py["onConnect"](c, log))
    if py.get("onEnd"):
        c.on("end", lambda: py["onEnd"](c, log))
    await wait(closed)
    await settle()
    return log


@pytest.mark.parametrize("name", sorted(CLIENT_SCENARIOS))
def test_client_event_order_matches_node(node, name):
    sc = CLIENT_SCENARIOS[name]

    async def body():
        server = None
        host = sc.get("host", "127.0.0.1")
        if sc.get("server") is not None:
            server = node(SERVER_JS, sc["server"])
            port = (await server.recv())["port"]
        else:
            port = free_port() if sc.get("port") == "closed" else sc["port"]
        options = dict(sc.get("client", {}), port=port, host=host)
        ref = node(CLIENT_JS, dict(options=options, **sc.get("js", {})))
        expected = (await ref.recv())["events"]
        expected_peer = (await server.recv())["events"] if server and sc.get("server_sees", True) else None
        got = await _py_client(options, sc.get("py", {}))
        assert got == expected
        if expected_peer is not None:
            assert (await server.recv())["events"] == expected_peer
        return expected

    expected = arun(body)
    # What Node showed, spelled out for the main cases.
    sanity = {
        "server_ends": ["connect", "ready", "data:hello", "end", "finish", "close:false"],
        "destroy_with_error": ["connect", "ready", "error:EBOOM", "close:true"],
        "connection_refused": ["error:ECONNREFUSED", "close:true"],
        "host_not_found": ["lookup", "error:ENOTFOUND", "close:true"],
        "reset_by_peer": ["connect", "ready", "error:ECONNRESET", "close:true"],
    }
    if name in sanity:
        assert expected == sanity[name]


# -- event order: our server vs Node's server, with the same Node client ---------------------

SERVER_SCENARIOS: Dict[str, Dict[str, Any]] = {
    "client_sends_and_ends": dict(
        client={"pre": "c.end('hi')"},
    ),
    "server_ends_first": dict(
        server_js={"onConnection": "s.end('bye')"},
        server_py={"onConnection": lambda s, log, srv: s.end("bye")},
    ),
    "server_half_open_writes_after_end": dict(
        options={"allowHalfOpen": True},
        client={"pre": "c.end('hi')"},
        server_js={"onEnd": "log.push('writable:' + s.writable); s.end('late')"},
        server_py={"onEnd": lambda s, log, srv: (log.append("writable:%s" % str(s.writable).lower()),
                                                 s.end("late"))},
    ),
    "client_resets": dict(
        client={"onConnect": "c.once('data', () => c.resetAndDestroy())"},
        server_js={"onConnection": "s.write('hi')"},
        server_py={"onConnection": lambda s, log, srv: s.write("hi")},
    ),
    "server_destroys_with_error": dict(
        server_js={"onConnection": "s.destroy(Object.assign(new Error('x'), {code: 'EX'}))"},
        server_py={"onConnection": lambda s, log, srv: s.destroy(NodeError("x", "EX"))},
    ),
    # Node emits 'end' at EOF when nothing is buffered, whether anyone reads or not.
    "end_without_reader": dict(
        record_data=False,
        client={"onConnect": "c.end()"},
    ),
    "end_while_paused_nothing_buffered": dict(
        pause_first=True,
        client={"onConnect": "c.end()"},
    ),
    # ... but with data buffered in a paused socket, 'end' waits for resume().
    "end_while_paused_with_data": dict(
        pause_first=True,
        client={"onConnect": "c.end('abc')"},
        server_js={"onConnection": "setTimeout(() => { log.push('resume'); s.resume(); }, 150)"},
        server_py={"onConnection": lambda s, log, srv: asyncio.get_running_loop().call_later(
            0.15, lambda: (log.append("resume"), s.resume()))},
    ),
    "pause_on_connect": dict(
        options={"pauseOnConnect": True},
        client={"onConnect": "c.end('abc')"},
        server_js={"onConnection": "log.push('paused:' + s.isPaused()); "
                                   "setTimeout(() => { log.push('resume'); s.resume(); }, 150)"},
        server_py={"onConnection": lambda s, log, srv: (
            log.append("paused:%s" % str(s.isPaused()).lower()),
            asyncio.get_running_loop().call_later(0.15, lambda: (log.append("resume"), s.resume())))},
    ),
}


async def _py_server(sc: Dict[str, Any], node: Callable[..., NodePeer]) -> tuple:
    logs: List[List[str]] = []
    closed: "asyncio.Future[Any]" = asyncio.get_running_loop().create_future()
    py = sc.get("server_py", {})

    def on_connection(s: net.Socket) -> None:
        log: List[str] = []
        logs.append(log)
        if sc.get("pause_first"):
            s.pause()
        record(s, log, sc.get("record_data", True))
        if py.get("onConnection"):
            py["onConnection"](s, log, srv)
        if py.get("onEnd"):
            s.on("end", lambda: py["onEnd"](s, log, srv))
        s.on("close", lambda *a: closed.done() or closed.set_result(None))

    srv = net.createServer(sc.get("options", {}), on_connection)
    srv.listen(0, "127.0.0.1")
    await wait(when(srv, "listening"))
    client = node(CLIENT_JS, dict(options={"port": srv.address()["port"], "host": "127.0.0.1"},
                                  **sc.get("client", {})))
    client_events = (await client.recv())["events"]
    await wait(closed)
    await settle()
    srv.close()
    await wait(when(srv, "close"))
    return logs[0], client_events


@pytest.mark.parametrize("name", sorted(SERVER_SCENARIOS))
def test_server_event_order_matches_node(node, name):
    sc = SERVER_SCENARIOS[name]

    async def body():
        server = node(SERVER_JS, dict(serverOptions=sc.get("options", {}), recordData=sc.get("record_data", True),
                                      pauseFirst=sc.get("pause_first", False), **sc.get("server_js", {})))
        port = (await server.recv())["port"]
        client = node(CLIENT_JS, dict(options={"port": port, "host": "127.0.0.1"}, **sc.get("client", {})))
        expected_client = (await client.recv())["events"]
        expected_server = (await server.recv())["events"]
        got_server, got_client = await _py_server(sc, node)
        assert got_server == expected_server
        assert got_client == expected_client
        return expected_server

    expected = arun(body)
    sanity = {
        "client_sends_and_ends": ["data:hi", "end", "finish", "close:false"],
        "end_without_reader": ["end", "finish", "close:false"],
        "end_while_paused_with_data": ["resume", "data:abc", "end", "finish", "close:false"],
        "client_resets": ["error:ECONNRESET", "close:true"],
    }
    if name in sanity:
        assert expected == sanity[name]


def test_server_lifecycle_order_matches_node(node):
    """Node: the server's 'close' comes before the last socket's (its count drops first)."""
    js = JS_PRELUDE + r"""
    const log = []; let closes = 0;
    const done = () => { if (++closes === 2) setImmediate(() => out({events: log})); };
    const srv = net.createServer((s) => { log.push('connection'); s.on('close', () => { log.push('socket-close'); done(); });
                                          srv.close((e) => log.push('close-cb:' + (e ? e.code : 'ok'))); });
    srv.on('listening', () => { log.push('listening'); const c = net.connect(srv.address().port, '127.0.0.1', () => c.end()); });
    srv.on('close', () => { log.push('close'); done(); });
    srv.listen(0, '127.0.0.1');
    """

    async def body():
        expected = (await node(js).recv())["events"]
        log: List[str] = []
        done = asyncio.get_running_loop().create_future()
        closes = []

        def closed(what):
            log.append(what)
            closes.append(what)
            if len(closes) == 2:
                done.set_result(None)

        def on_connection(s):
            log.append("connection")
            s.on("close", lambda *a: closed("socket-close"))
            srv.close(wcb(log, "close-cb"))

        def on_listening():
            log.append("listening")
            c = net.connect(srv.address()["port"], "127.0.0.1", lambda: c.end())

        srv = net.createServer(on_connection)
        srv.on("listening", on_listening)
        srv.on("close", lambda: closed("close"))
        srv.listen(0, "127.0.0.1")
        await wait(done)
        await settle()
        assert expected == ["listening", "connection", "close", "close-cb:ok", "socket-close"]
        assert log == expected

    arun(body)


# -- half-close: what the peer receives ------------------------------------------------------

def test_half_open_peer_gets_data_written_after_end(node):
    """allowHalfOpen: after 'end' we stay writable and the Node peer gets it."""
    async def body():
        server = node(SERVER_JS, {"serverOptions": {"allowHalfOpen": True},
                                  "onConnection": "s.end('ping')"})
        port = (await server.recv())["port"]
        c = net.connect({"port": port, "host": "127.0.0.1", "allowHalfOpen": True})
        got: List[bytes] = []
        c.on("data", got.append)
        await wait(when(c, "end"))
        assert b"".join(got) == b"ping"
        assert c.writable and not c.destroyed and c.readyState == "writeOnly"
        await settle(10)
        assert not c.destroyed  # nothing closes it by itself
        assert c.write("pong, ") is True
        closed = future_event(c, "close")
        c.end("late")
        await wait(closed)
        peer = (await server.recv())["events"]
        assert peer == ["finish", "data:pong, late", "end", "close:false"]

    arun(body)
