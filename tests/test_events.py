"""EventEmitter: Node 20 semantics, the tricky ones checked against node itself."""
from __future__ import annotations

import asyncio
import json
import math
import shutil
import subprocess
import warnings

import pytest

from tls import events
from tls.errors import NodeError, NodeRangeError, NodeTypeError
from tls.events import EventEmitter, MaxListenersExceededWarning

NODE = shutil.which("node")


def node_log(body: str) -> list:
    """Run ``body`` in node with ``EE`` = EventEmitter and ``log`` = [];
    returns ``log`` (JSON round-tripped)."""
    script = "const EE = require('events'); const log = [];\n%s\nconsole.log(JSON.stringify(log));" % body
    out = subprocess.run([NODE, "-e", script], capture_output=True, text=True, timeout=30)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


node = pytest.mark.skipif(NODE is None, reason="needs node")


def name(listener) -> str:
    """Node's ``fn.name``; a once-wrapper is Node's ``bound onceWrapper``."""
    return "bound onceWrapper" if isinstance(listener, events._OnceWrapper) else listener.__name__


# -- scenarios run in both node and Python ------------------------------------------------

@node
def test_once_and_remove_listener_event_order_matches_node():
    js = """
    const e = new EE();
    e.on('removeListener', (t, l) => log.push(['rm', t, l.name]));
    function a(x) { log.push(['a', x]); }
    function b(x) { log.push(['b', x]); }
    e.once('x', a); e.on('x', b); e.once('x', a);
    log.push(['emit', e.emit('x', 1)]);
    log.push(['count', e.listenerCount('x')]);
    log.push(['emit', e.emit('x', 2)]);
    e.removeListener('x', b);
    log.push(['emit', e.emit('x', 3)]);
    e.once('y', a); e.removeListener('y', a);
    log.push(['names', e.eventNames()]);
    """
    log = []
    e = EventEmitter()
    e.on("removeListener", lambda t, l: log.append(["rm", t, name(l)]))

    def a(x):
        log.append(["a", x])

    def b(x):
        log.append(["b", x])

    e.once("x", a).on("x", b).once("x", a)
    log.append(["emit", e.emit("x", 1)])
    log.append(["count", e.listenerCount("x")])
    log.append(["emit", e.emit("x", 2)])
    e.removeListener("x", b)
    log.append(["emit", e.emit("x", 3)])
    e.once("y", a)
    e.removeListener("y", a)
    log.append(["names", e.eventNames()])
    assert log == node_log(js)


@node
def test_removal_and_addition_during_emit_match_node():
    js = """
    const e = new EE();
    function a() { log.push('a'); e.removeListener('x', b); e.on('x', d); }
    function b() { log.push('b'); }
    function c() { log.push('c'); e.removeListener('x', c); }
    function d() { log.push('d'); }
    e.on('x', a); e.on('x', b); e.on('x', c);
    e.emit('x'); log.push('|'); e.emit('x'); log.push('|');
    log.push(e.listeners('x').map(f => f.name));
    """
    log = []
    e = EventEmitter()

    def a():
        log.append("a")
        e.removeListener("x", b)
        e.on("x", d)

    def b():
        log.append("b")

    def c():
        log.append("c")
        e.removeListener("x", c)

    def d():
        log.append("d")

    e.on("x", a).on("x", b).on("x", c)
    e.emit("x")
    log.append("|")
    e.emit("x")
    log.append("|")
    log.append([f.__name__ for f in e.listeners("x")])
    assert log == node_log(js)


@node
def test_prepend_order_matches_node():
    js = """
    const e = new EE();
    const mk = n => { const f = () => log.push(n); Object.defineProperty(f, 'name', {value: n}); return f; };
    e.on('x', mk('a')); e.prependListener('x', mk('b')); e.prependOnceListener('x', mk('c'));
    e.once('x', mk('d')); e.addListener('x', mk('e')); e.prependListener('x', mk('f'));
    log.push(e.listeners('x').map(f => f.name));
    e.emit('x'); log.push('|'); e.emit('x');
    """
    log = []
    e = EventEmitter()

    def mk(n):
        def f():
            log.append(n)
        f.__name__ = n
        return f

    e.on("x", mk("a")).prependListener("x", mk("b")).prependOnceListener("x", mk("c"))
    e.once("x", mk("d")).addListener("x", mk("e")).prependListener("x", mk("f"))
    log.append([f.__name__ for f in e.listeners("x")])
    e.emit("x")
    log.append("|")
    e.emit("x")
    assert log == node_log(js)


@node
def test_new_listener_event_matches_node():
    js = """
    const e = new EE();
    e.on('newListener', (t, l) => { log.push(['new', t, l.name]);
      if (t === 'x' && l.name === 'a') e.on('x', function fromNew() { log.push('fromNew'); }); });
    function a() { log.push('a'); }
    e.once('x', a);
    e.emit('x'); e.emit('x');
    log.push(e.listenerCount('x'), e.listenerCount('x', a));
    e.on('newListener', function second() {});
    """
    log = []
    e = EventEmitter()

    def on_new(t, l):
        log.append(["new", t, l.__name__])
        if t == "x" and l.__name__ == "a":
            def fromNew():
                log.append("fromNew")
            e.on("x", fromNew)

    def a():
        log.append("a")

    e.on("newListener", on_new)
    e.once("x", a)
    e.emit("x")
    e.emit("x")
    log.extend([e.listenerCount("x"), e.listenerCount("x", a)])

    def second():
        pass

    e.on("newListener", second)
    assert log == node_log(js)


@node
def test_remove_all_listeners_reporting_order_matches_node():
    js = """
    const e = new EE();
    function a() {} function b() {} function c() {}
    e.on('x', a); e.once('x', b); e.on('y', c); e.once('z', a);
    e.on('removeListener', (t, l) => log.push([t, l.name]));
    e.removeAllListeners('x');
    log.push(e.eventNames());
    e.on('x', a); e.once('x', b);
    e.removeAllListeners();
    log.push(e.eventNames());
    """
    log = []
    e = EventEmitter()

    def a():
        pass

    def b():
        pass

    def c():
        pass

    e.on("x", a).once("x", b).on("y", c).once("z", a)

    e.on("removeListener", lambda t, l: log.append([t, name(l)]))
    e.removeAllListeners("x")
    log.append(e.eventNames())
    e.on("x", a).once("x", b)
    e.removeAllListeners()
    log.append(e.eventNames())
    assert log == node_log(js)


@node
def test_unhandled_error_matches_node():
    js = """
    const e = new EE();
    for (const arg of [[], ['boom'], [42]]) {
      try { e.emit('error', ...arg); } catch (er) { log.push([er.code, er.message]); }
    }
    const err = new Error('real');
    try { e.emit('error', err); } catch (er) { log.push([er === err, er.code === undefined]); }
    e.on('error', () => log.push('handled'));
    log.push(e.emit('error', err));
    """
    log = []
    e = EventEmitter()
    for args in ((), ("boom",), (42,)):
        try:
            e.emit("error", *args)
        except NodeError as er:
            log.append([er.code, er.message])
    err = ValueError("real")
    try:
        e.emit("error", err)
    except ValueError as er:
        log.append([er is err, getattr(er, "code", None) is None])
    e.on("error", lambda _err: log.append("handled"))
    log.append(e.emit("error", err))
    assert log == node_log(js)


@node
def test_max_listeners_warning_matches_node():
    js = """
    process.on('warning', w => log.push([w.name, w.message, w.count, w.type]));
    const e = new EE();
    for (let i = 0; i < 12; i++) e.on('foo', () => {});
    e.setMaxListeners(1); e.on('bar', () => {}); const f = () => {}; e.on('bar', f);
    e.off('bar', f); e.on('bar', f);
    e.setMaxListeners(0); for (let i = 0; i < 3; i++) e.on('baz', () => {});
    setImmediate(() => console.log(JSON.stringify(log)));
    """
    out = subprocess.run([NODE, "--no-warnings", "-e", "const EE = require('events'); const log = [];\n" + js],
                         capture_output=True, text=True, timeout=30)
    expected = json.loads(out.stdout)
    e = EventEmitter()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for _ in range(12):
            e.on("foo", lambda: None)
        e.setMaxListeners(1)
        e.on("bar", lambda: None)

        def f():
            pass

        e.on("bar", f).off("bar", f).on("bar", f)
        e.setMaxListeners(0)
        for _ in range(3):
            e.on("baz", lambda: None)
    got = [["MaxListenersExceededWarning", str(w.message), w.message.count, w.message.type]
           for w in caught]
    assert all(issubclass(w.category, MaxListenersExceededWarning) for w in caught)
    assert got == expected
    assert caught[0].message.emitter is e
    assert caught[0].filename == __file__  # points at the user's .on() call


# -- the rest of the API -------------------------------------------------------------------

def test_on_returns_self_and_emit_returns_whether_listened():
    e = EventEmitter()
    seen = []
    assert e.on("x", seen.append) is e
    assert e.addListener("x", seen.append) is e
    assert e.emit("x", 1) is True
    assert seen == [1, 1]
    assert e.emit("nothing") is False
    assert EventEmitter().emit("x") is False


def test_emit_passes_all_arguments():
    e = EventEmitter()
    got = []
    e.on("x", lambda *a: got.append(a))
    e.emit("x")
    e.emit("x", 1, "two", None)
    assert got == [(), (1, "two", None)]


def test_listener_must_be_callable():
    e = EventEmitter()
    for method in (e.on, e.addListener, e.once, e.prependListener, e.prependOnceListener,
                   e.off, e.removeListener):
        with pytest.raises(NodeTypeError) as info:
            method("x", 5)
        assert info.value.code == "ERR_INVALID_ARG_TYPE"
        assert isinstance(info.value, TypeError)
    assert 'The "listener" argument must be of type function. Received type number (5)' \
        == pytest.raises(NodeTypeError, e.on, "x", 5).value.message


def test_off_is_remove_listener_and_removes_last_added_instance():
    e = EventEmitter()
    order = []
    a = lambda: order.append("a")  # noqa: E731
    b = lambda: order.append("b")  # noqa: E731
    e.on("x", a).on("x", b).on("x", a)
    assert e.off("x", a) is e
    e.emit("x")
    assert order == ["a", "b"]
    e.off("x", lambda: None)  # not registered: no-op
    e.off("nothing", a)
    assert e.listenerCount("x") == 2


def test_bound_methods_can_be_removed():
    class Handler:
        def __init__(self):
            self.calls = 0

        def on_x(self):
            self.calls += 1

    h = Handler()
    e = EventEmitter()
    e.on("x", h.on_x)
    e.off("x", h.on_x)  # a different bound-method object, equal to the first
    assert e.emit("x") is False
    e.once("x", h.on_x)
    assert e.listenerCount("x", h.on_x) == 1
    e.removeListener("x", h.on_x)
    assert e.listenerCount("x") == 0


def test_once_fires_once_and_raw_listeners_expose_the_wrapper():
    e = EventEmitter()
    got = []

    def f(*args):
        got.append(args)
        return "ret"

    e.once("x", f)
    assert e.listeners("x") == [f]
    raw = e.rawListeners("x")
    assert len(raw) == 1 and raw[0] is not f and raw[0].listener is f
    assert raw[0](1, 2) == "ret"  # calling the wrapper fires and removes it
    assert e.listenerCount("x") == 0
    assert raw[0](3) is None
    assert got == [(1, 2)]
    e.once("x", f)
    e.emit("x", "a")
    e.emit("x", "b")
    assert got == [(1, 2), ("a",)]


def test_once_listener_reentrant_emit_runs_only_once():
    e = EventEmitter()
    got = []

    def f(n):
        got.append(n)
        e.emit("x", n + 1)

    e.once("x", f)
    e.emit("x", 0)
    assert got == [0]


@node
def test_once_calls_an_overriding_remove_listener_as_node():
    """Node's onceWrapper calls target.removeListener(type, wrapFn): a subclass's override sees it (the
    once wrapper's fast removal is only for the package's own removeListener)."""
    expected = node_log("""
class Sub extends EE { removeListener(t, f) { log.push('remove ' + t + ' ' + (f.listener === g)); return super.removeListener(t, f); } }
const e = new Sub(); function g(v) { log.push('g ' + v); }
e.once('x', g); e.emit('x', 1); e.emit('x', 2); log.push(e.listenerCount('x'));
const plain = new EE(); plain.once('y', g); plain.emit('y', 3); log.push(plain.listenerCount('y'));
""")
    log = []

    class Sub(EventEmitter):
        def removeListener(self, t, f):
            log.append("remove %s %s" % (t, "true" if getattr(f, "listener", None) is g else "false"))
            return super().removeListener(t, f)

    def g(v):
        log.append("g %s" % v)

    e = Sub()
    e.once("x", g)
    e.emit("x", 1)
    e.emit("x", 2)
    log.append(e.listenerCount("x"))
    plain = EventEmitter()
    plain.once("y", g)
    plain.emit("y", 3)
    log.append(plain.listenerCount("y"))
    assert log == expected == ["remove x true", "g 1", 0, "g 3", 0]


def test_listeners_returns_a_copy():
    e = EventEmitter()
    f = lambda: None  # noqa: E731
    e.on("x", f)
    lst = e.listeners("x")
    lst.append(print)
    e.rawListeners("x").clear()
    assert e.listeners("x") == [f]
    assert e.listeners("none") == [] and e.rawListeners("none") == []


def test_listener_count_with_listener_argument():
    e = EventEmitter()
    f = lambda: None  # noqa: E731
    g = lambda: None  # noqa: E731
    e.on("x", f).once("x", f).on("x", g)
    assert e.listenerCount("x") == 3
    assert e.listenerCount("x", f) == 2
    assert e.listenerCount("x", g) == 1
    assert e.listenerCount("y") == 0
    assert events.listenerCount(e, "x") == 3
    assert events.getEventListeners(e, "x") == [f, f, g]


def test_event_names_and_remove_all_listeners():
    e = EventEmitter()
    sym = events._Symbol("s")
    e.on("b", print).on("a", print).on(sym, print).on(3, print)
    assert e.eventNames() == ["b", "a", sym, 3]
    assert e.removeAllListeners("a") is e
    assert e.eventNames() == ["b", sym, 3]
    e.removeAllListeners()
    assert e.eventNames() == []
    assert e.emit("b") is False
    EventEmitter().removeAllListeners()  # never had listeners
    EventEmitter().removeAllListeners("x")


def test_remove_listener_event_reports_each_removal():
    e = EventEmitter()
    seen = []
    f = lambda: None  # noqa: E731
    e.on("x", f).on("x", f)
    e.on("removeListener", lambda t, l: seen.append((t, l)))
    e.removeAllListeners("x")
    assert seen == [("x", f), ("x", f)]


def test_max_listeners_get_set_and_validation():
    e = EventEmitter()
    assert e.getMaxListeners() == EventEmitter.defaultMaxListeners == 10
    assert e.setMaxListeners(3) is e
    assert e.getMaxListeners() == 3
    e.setMaxListeners(math.inf)
    assert e.getMaxListeners() == math.inf
    with pytest.raises(NodeRangeError) as info:
        e.setMaxListeners(-1)
    assert info.value.code == "ERR_OUT_OF_RANGE"
    assert info.value.message == 'The value of "setMaxListeners" is out of range. It must be >= 0. Received -1'
    with pytest.raises(NodeRangeError):
        e.setMaxListeners(math.nan)
    with pytest.raises(NodeTypeError) as info:
        e.setMaxListeners("5")
    assert info.value.code == "ERR_INVALID_ARG_TYPE"
    with pytest.raises(NodeTypeError):
        e.setMaxListeners(True)


def test_warning_only_once_per_event_and_not_when_unlimited():
    e = EventEmitter().setMaxListeners(2)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for _ in range(6):
            e.on("x", print)
        EventEmitter().setMaxListeners(0).on("y", print).on("y", print)
        inf = EventEmitter().setMaxListeners(math.inf)
        for _ in range(20):
            inf.on("z", print)
    assert len(caught) == 1
    assert caught[0].message.count == 3 and caught[0].message.type == "x"


def test_events_set_max_listeners_module_function():
    a, b = EventEmitter(), EventEmitter()
    events.setMaxListeners(4, a, b)
    assert a.getMaxListeners() == b.getMaxListeners() == 4
    assert events.getMaxListeners(a) == 4
    old = EventEmitter.defaultMaxListeners
    try:
        events.setMaxListeners(20)
        assert EventEmitter().getMaxListeners() == 20
    finally:
        EventEmitter.defaultMaxListeners = old


def test_error_with_non_exception_has_context():
    e = EventEmitter()
    payload = {"a": 1}
    with pytest.raises(NodeError) as info:
        e.emit("error", payload)
    assert info.value.code == "ERR_UNHANDLED_ERROR"
    assert info.value.context is payload
    assert info.value.message == "Unhandled error. ({'a': 1})"


def test_error_monitor_sees_errors_first_without_handling_them():
    e = EventEmitter()
    seen = []
    e.on(events.errorMonitor, lambda err: seen.append(("monitor", err)))
    err = RuntimeError("x")
    with pytest.raises(RuntimeError):
        e.emit("error", err)
    e.on("error", lambda err: seen.append(("handler", err)))
    assert e.emit("error", err) is True
    assert seen == [("monitor", err), ("monitor", err), ("handler", err)]
    assert EventEmitter.errorMonitor is events.errorMonitor


def test_exception_in_listener_propagates_and_stops_emit():
    e = EventEmitter()
    seen = []

    def boom():
        raise KeyError("k")

    e.on("x", boom).on("x", lambda: seen.append("after"))
    with pytest.raises(KeyError):
        e.emit("x")
    assert seen == []


def test_subclass_without_init_and_idle_emitters_hold_no_state():
    class Sock(EventEmitter):
        def __init__(self):
            self.fd = 3  # does not call super().__init__

    s = Sock()
    assert "_events" not in vars(s)
    assert s.emit("x") is False and s.listenerCount("x") == 0 and s.eventNames() == []
    f = lambda: None  # noqa: E731
    s.on("x", f)
    assert s.emit("x") is True
    s.off("x", f)
    assert vars(s).get("_events") is None  # the dict is dropped with the last listener
    assert vars(EventEmitter()) == {}


def test_async_listener_runs_as_task_and_capture_rejections():
    async def main():
        done = asyncio.get_running_loop().create_future()
        e = EventEmitter()

        async def listener(v):
            await asyncio.sleep(0)
            done.set_result(v)

        assert e.on("x", listener).emit("x", 7) is True
        assert await asyncio.wait_for(done, 5) == 7

        captured = asyncio.get_running_loop().create_future()
        c = EventEmitter(captureRejections=True)
        c.on("error", captured.set_result)

        async def failing():
            raise ValueError("rejected")

        c.on("x", failing).emit("x")
        err = await asyncio.wait_for(captured, 5)
        assert isinstance(err, ValueError) and str(err) == "rejected"
        assert EventEmitter({"captureRejections": True})._captureRejections is True
        with pytest.raises(NodeTypeError):
            EventEmitter(captureRejections="yes")

    asyncio.run(main())


def test_events_once_helper():
    async def main():
        e = EventEmitter()
        waiter = asyncio.ensure_future(events.once(e, "ready"))
        await asyncio.sleep(0)
        e.emit("ready", 1, 2)
        assert await asyncio.wait_for(waiter, 5) == [1, 2]
        assert e.eventNames() == []

        waiter = asyncio.ensure_future(events.once(e, "ready"))
        await asyncio.sleep(0)
        e.emit("error", OSError("bad"))
        with pytest.raises(OSError):
            await asyncio.wait_for(waiter, 5)
        assert e.eventNames() == []

        waiter = asyncio.ensure_future(events.once(e, "error"))
        await asyncio.sleep(0)
        err = OSError("as value")
        e.emit("error", err)
        assert await asyncio.wait_for(waiter, 5) == [err]
        assert e.eventNames() == []

        waiter = asyncio.ensure_future(events.once(e, "never"))
        await asyncio.sleep(0)
        assert e.listenerCount("never") == 1 and e.listenerCount("error") == 1
        waiter.cancel()
        with pytest.raises(asyncio.CancelledError):
            await waiter
        assert e.eventNames() == []

    asyncio.run(main())


def test_first_listener_hooks_run_when_an_event_gets_its_first_listener():
    """The one rule for "enable it when someone listens" (Node's newListener
    hooks for 'keylog' / 'session', a stream's first 'data' listener)."""
    calls = []

    class Mixin:  # a mixin that is no EventEmitter itself, as tls.TLSSocketExtras
        def _hook_a(self):
            calls.append(("a", self))

        _first_listener_hooks = {"a": _hook_a}

    class Base(EventEmitter):
        def _hook_b(self):
            calls.append(("b", self))

        _first_listener_hooks = {"b": _hook_b}

    class Both(Mixin, Base):
        pass

    e = Both()
    e.on("a", lambda: None)
    assert calls == [("a", e)]
    e.on("a", lambda: None)          # not the first: nothing
    e.once("b", lambda: None)
    assert calls == [("a", e), ("b", e)]
    e.emit("b")                      # the once listener is gone ...
    e.prependListener("b", lambda: None)
    assert calls == [("a", e), ("b", e), ("b", e)]   # ... so this one is the first again
    # hooks are not listeners: nothing to see, no 'newListener' listener
    assert e.eventNames() == ["a", "b"] and e.listenerCount("newListener") == 0
    assert EventEmitter._listen_hooks == {} and Base._listen_hooks.keys() == {"b"}

    # one instance: its own hook, at once when the event has a listener already
    other = Both()
    other.on("c", lambda: None)
    other._on_first_listener("c", lambda em: calls.append(("c", em)))
    other._on_first_listener("d", lambda em: calls.append(("d", em)))
    assert calls[-1] == ("c", other)
    other.on("d", lambda: None)
    assert calls[-1] == ("d", other)
    Both().on("d", lambda: None)     # other instances are not concerned
    assert calls[-1] == ("d", other) and Both._listen_hooks.keys() == {"a", "b"}
