"""Listener arity (issue 12): a listener may take fewer parameters than its event passes, as in JavaScript.

Node's expected output comes from running the same program on Node 20 (support.oracle); the rules for
each kind of Python callable (decided once, when the listener is added) are checked directly.
"""
from __future__ import annotations

import functools

from tls import events
from tls._node import arity as _arity

from support.oracle import node_and_ours

NODE = """
const tls = require('tls'), fs = require('fs');
const s = tls.createServer({key: fs.readFileSync(process.argv[1]), cert: fs.readFileSync(process.argv[2])}, (c) => {
  c.on('data', () => console.log('server data'));
  c.on('end', () => c.end());
  c.on('close', () => console.log('server socket close'));
});
s.on('connection', () => console.log('connection'));
s.on('secureConnection', () => console.log('secureConnection'));
s.on('close', () => console.log('server close'));
s.listen(0, () => {
  const c = tls.connect(s.address().port, {rejectUnauthorized: false});
  c.once('secureConnect', () => { console.log('secureConnect'); c.end('hi'); });
  c.on('close', () => { console.log('client close'); s.close(); });
});
"""

OURS = """
import functools, sys, tls
key, cert = open(sys.argv[1], 'rb').read(), open(sys.argv[2], 'rb').read()

class Client:
    def __init__(self, server):
        self.server = server
    def closed(self):  # a bound method taking nothing, on 'close' (which passes hadError)
        print('client close'); self.server.close()

def main():
    def on_conn(c):
        c.on('data', lambda: print('server data'))
        c.on('end', lambda: c.end())
        c.on('close', functools.partial(lambda tag: print(tag), 'server socket close'))
    s = tls.createServer({'key': key, 'cert': cert}, on_conn)
    s.on('connection', lambda: print('connection'))
    s.on('secureConnection', lambda: print('secureConnection'))
    s.on('close', lambda: print('server close'))
    def go():
        c = tls.connect(s.address()['port'], {'rejectUnauthorized': False})
        c.once('secureConnect', lambda: (print('secureConnect'), c.end(b'hi')))
        c.on('close', Client(s).closed)
    s.listen(0, go)
tls.run(main)
"""


def test_listeners_taking_fewer_arguments_run_as_in_node(pems):
    node, ours = node_and_ours(NODE, OURS, pems.path("key"), pems.path("cert"))
    assert ours.status == 0, ours.stderr
    assert sorted(ours.lines) == sorted(node.lines)
    assert len(node.lines) == 7


def test_each_kind_of_callable_gets_the_arguments_it_accepts():
    e = events.EventEmitter()
    seen = []

    class Obj:
        def one(self, a):
            seen.append(("method", a))

        def __call__(self, a, b):
            seen.append(("object", a, b))

    def defaults(a, b=7):
        seen.append(("defaults", a, b))

    def star(*args):
        seen.append(("star", args))

    e.on("x", lambda: seen.append(("lambda",)))
    e.on("x", Obj().one)
    e.on("x", Obj())
    e.on("x", defaults)
    e.on("x", star)
    e.on("x", functools.partial(lambda tag, a: seen.append((tag, a)), "partial"))
    e.on("x", functools.partial(lambda a, tag: seen.append((tag, a)), tag="kw-partial"))
    e.once("x", lambda a: seen.append(("once", a)))
    e.emit("x", 1, 2, 3)
    assert seen == [("lambda",), ("method", 1), ("object", 1, 2), ("defaults", 1, 2), ("star", (1, 2, 3)),
                    ("partial", 1), ("kw-partial", 1), ("once", 1)]
    seen.clear()
    e.emit("x", 1, 2)  # the once listener is gone; an exact fit is passed as is
    assert seen == [("lambda",), ("method", 1), ("object", 1, 2), ("defaults", 1, 2), ("star", (1, 2)),
                    ("partial", 1), ("kw-partial", 1)]


def test_a_builtin_without_a_signature_gets_everything(capsys):
    e = events.EventEmitter()
    e.on("x", print)
    e.emit("x", "a", "b")
    assert capsys.readouterr().out == "a b\n"


def test_adapted_listeners_are_found_and_shown_as_given():
    e = events.EventEmitter()
    removed = []
    e.on("removeListener", lambda name, listener: removed.append(listener))

    def f():
        pass

    e.on("x", f).on("x", f)
    assert e.listeners("x") == [f, f]
    assert e.listenerCount("x", f) == 2
    assert e.rawListeners("x")[0] is not f  # stored in an adapter ('x' is not declared by EventEmitter)
    e.off("x", f)
    assert e.listeners("x") == [f] and removed == [f]
    e.removeAllListeners("x")
    assert removed == [f, f] and e.listenerCount("x") == 0


def test_listeners_taking_everything_are_stored_as_given():
    """No adapter (nothing extra per emit) for a *args listener, or one taking at least what a
    declared event passes; the declarations merge along the class hierarchy."""
    from tls import TLSSocket, Server, net

    class Sock(net.Socket):  # its events as net.Socket declares them, without needing a loop
        def __init__(self):
            pass

    sock = Sock()
    on_data = lambda data: None  # noqa: E731
    on_close = lambda had_error: None  # noqa: E731
    star = lambda *a: None  # noqa: E731
    sock.on("data", on_data).on("close", on_close).on("end", star)
    assert sock.rawListeners("data") == [on_data]
    assert sock.rawListeners("close") == [on_close]
    assert sock.rawListeners("end") == [star]
    sock.on("close", lambda: None)
    assert _arity.is_fitted(sock.rawListeners("close")[1])
    assert TLSSocket._event_args["close"] == 1 and TLSSocket._event_args["secureConnect"] == 0
    assert Server._event_args["tlsClientError"] == 2 and Server._event_args["connection"] == 1


async def _async_listener(a):
    return a


def test_async_listener_arity_is_read_from_its_code():
    assert _arity._positional_capacity(_async_listener) == 1
    assert _arity._positional_capacity(len) == 1
    assert _arity._positional_capacity(functools.partial(_async_listener, 1)) == 0


def test_must_call_of_the_ports_follows_the_same_rule():
    from support.node_style import CallTracker

    calls = CallTracker()
    seen = []
    calls.must_call(lambda: seen.append("none"))(True)  # e.g. on 'close', which passes hadError
    calls.must_call(lambda err: seen.append(err))("e", "socket")  # 'tlsClientError' passes two
    assert seen == ["none", "e"]
    calls.verify()
