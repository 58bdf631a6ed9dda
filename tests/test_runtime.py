"""_runtime: run() lifetime, handle refs, timers, nextTick order, errors."""
from __future__ import annotations

import asyncio
import json
import shutil
import subprocess
import time

import pytest

from tls._node import loopstate as _loopstate, runtime as _runtime, timers as _timers
from tls._node.runtime import (
    clearImmediate, clearInterval, clearTimeout, nextTick, queueMicrotask, setImmediate,
    setInterval, setTimeout,
)
from tls.errors import NodeError, NodeTypeError
from tls.events import EventEmitter

from support.aio import run_guarded

NODE = shutil.which("node")
LIMIT = 10.0


def run(fn, *args, limit: float = LIMIT):
    """``_runtime.run`` (tls.run) guarded so that no test can hang (support.aio.run_guarded)."""
    return run_guarded(fn, *args, limit=limit)


class FakeHandle:
    """Stands in for a net.Socket / net.Server."""


# -- get_loop --------------------------------------------------------------------------------

def test_get_loop_outside_a_loop_raises_node_error():
    with pytest.raises(NodeError) as info:
        _runtime.get_loop()
    assert info.value.code == "ERR_NO_EVENT_LOOP"
    assert "asyncio.run" in str(info.value) and "tls.run" in str(info.value)
    for call in (lambda: setTimeout(print, 1), lambda: setImmediate(print),
                 lambda: nextTick(print), lambda: queueMicrotask(print),
                 lambda: _runtime.ref_handle(FakeHandle())):
        with pytest.raises(NodeError) as info:
            call()
        assert info.value.code == "ERR_NO_EVENT_LOOP"


def test_get_loop_inside_a_loop():
    async def main():
        return _runtime.get_loop() is asyncio.get_running_loop()

    assert asyncio.run(main())
    assert run(lambda: _runtime.get_loop() is asyncio.get_running_loop())


# -- run() lifetime -------------------------------------------------------------------------------

def test_run_returns_fn_result_at_once_when_nothing_is_pending():
    start = time.monotonic()
    assert run(lambda a, b: a + b, 2, 3) == 5
    assert time.monotonic() - start < 2


def test_run_returns_after_the_last_timer():
    log = []

    def main():
        setTimeout(log.append, 50, "late")
        setTimeout(log.append, 10, "early")
        return "result"

    start = time.monotonic()
    assert run(main) == "result"
    assert log == ["early", "late"]
    assert time.monotonic() - start >= 0.045


def test_unrefd_timer_does_not_hold_run():
    fired = []

    def main():
        t = setTimeout(fired.append, 60_000, "never")
        assert t.unref() is t and not t.hasRef()

    start = time.monotonic()
    run(main)
    assert fired == [] and time.monotonic() - start < 5


def test_unrefd_timer_fires_while_something_else_holds_run():
    log = []

    def main():
        setTimeout(log.append, 5, "unref'd").unref()
        setTimeout(log.append, 200, "ref'd")

    run(main)
    assert log == ["unref'd", "ref'd"]


def test_refd_handle_holds_run_until_handle_closed_and_next_tick_close_still_runs():
    log = []
    handle = FakeHandle()

    def close():
        log.append("closing")
        _runtime.handle_closed(handle)
        _runtime.handle_closed(handle)  # idempotent
        nextTick(log.append, "close event")  # Node emits 'close' on the next tick
        loop = asyncio.get_running_loop()
        loop.call_soon(lambda: loop.call_soon(lambda: loop.call_soon(log.append, "queued later")))

    def main():
        _runtime.ref_handle(handle)
        _runtime.ref_handle(handle)  # idempotent
        assert _runtime.has_ref(handle)
        assert _runtime.active_handles() == [handle]
        setTimeout(close, 100).unref()  # only the handle holds the program

    start = time.monotonic()
    run(main)
    assert time.monotonic() - start >= 0.09
    assert log == ["closing", "close event", "queued later"]
    assert not _runtime.has_ref(handle)


def test_unref_handle_lets_run_end_and_ref_again_holds():
    log = []
    handle = FakeHandle()

    def main():
        _runtime.ref_handle(handle)
        _runtime.unref_handle(handle)
        _runtime.unref_handle(handle)
        assert not _runtime.has_ref(handle)
        _runtime.ref_handle(handle)  # .ref() again
        setTimeout(lambda: (log.append("unref"), _runtime.unref_handle(handle)), 30)

    run(main)
    assert log == ["unref"]


def test_referenced_handle_is_kept_alive_by_the_runtime():
    import gc
    import weakref

    refs = []

    def main():
        handle = FakeHandle()
        refs.append(weakref.ref(handle))
        _runtime.ref_handle(handle)

        def check():
            gc.collect()
            alive = refs[0]()
            assert alive is not None
            _runtime.handle_closed(alive)

        setTimeout(check, 10)

    run(main)
    gc.collect()
    assert refs[0]() is None  # released once closed


def test_coroutine_fn_is_awaited_and_its_result_returned():
    async def main(x):
        await asyncio.sleep(0.01)
        return x * 2

    assert run(main, 21) == 42
    assert _runtime.run(main(4)) == 8  # a coroutine object works too


def test_coroutine_fn_then_handles_hold_run():
    log = []

    async def main():
        await asyncio.sleep(0)
        setTimeout(log.append, 30, "timer after await")
        return "done"

    assert run(main) == "done"
    assert log == ["timer after await"]


def test_pending_tasks_do_not_hold_run_and_are_cancelled():
    state = []

    async def forever():
        try:
            await asyncio.sleep(3600)
        except asyncio.CancelledError:
            state.append("cancelled")
            raise

    def main():
        _runtime.spawn(forever())

    start = time.monotonic()
    run(main)
    assert state == ["cancelled"] and time.monotonic() - start < 5


def test_exception_in_timer_callback_propagates_out_of_run():
    def main():
        setInterval(lambda: None, 5)  # would hold the program forever

        def boom():
            raise ValueError("uncaught")

        setTimeout(boom, 20)

    with pytest.raises(ValueError, match="uncaught"):
        run(main)


def test_exception_in_next_tick_and_listeners_propagates():
    def tick_main():
        _runtime.ref_handle(FakeHandle())
        nextTick(lambda: 1 / 0)

    with pytest.raises(ZeroDivisionError):
        run(tick_main)

    def emit_main():
        e = EventEmitter()
        _runtime.ref_handle(e)
        asyncio.get_running_loop().call_soon(e.emit, "error", OSError("unhandled 'error' event"))

    with pytest.raises(OSError, match="unhandled"):
        run(emit_main)

    def async_listener_main():
        e = EventEmitter()
        _runtime.ref_handle(e)

        async def listener():
            await asyncio.sleep(0)
            raise KeyError("from async listener")

        e.on("x", listener)
        setImmediate(e.emit, "x")

    with pytest.raises(KeyError, match="from async listener"):
        run(async_listener_main)


def test_only_the_first_uncaught_exception_is_raised_and_later_callbacks_do_not_run():
    log = []

    def main():
        def first():
            raise RuntimeError("first")

        def second():
            log.append("second ran")
            raise RuntimeError("second")

        setImmediate(first)
        setImmediate(second)

    with pytest.raises(RuntimeError, match="first"):
        run(main)
    assert log == []


def test_exception_raised_by_fn_itself_propagates():
    def main():
        setInterval(lambda: None, 5)
        raise LookupError("in main")

    with pytest.raises(LookupError):
        run(main)

    async def amain():
        setInterval(lambda: None, 5)
        await asyncio.sleep(0)
        raise LookupError("in async main")

    with pytest.raises(LookupError, match="async"):
        run(amain)


def test_run_closes_its_loop_and_leaves_no_current_loop():
    loops = []
    run(lambda: loops.append(asyncio.get_running_loop()))
    assert loops[0].is_closed()
    with pytest.raises(NodeError):
        _runtime.get_loop()


def test_run_refuses_to_nest_and_checks_fn():
    async def main():
        with pytest.raises(NodeError) as info:
            _runtime.run(lambda: None)
        return info.value.code

    assert asyncio.run(main()) == "ERR_LOOP_RUNNING"
    with pytest.raises(NodeTypeError) as info:
        _runtime.run(5)
    assert info.value.code == "ERR_INVALID_ARG_TYPE"


def test_sequential_runs_are_independent():
    for i in range(3):
        log = []
        assert run(lambda: setTimeout(log.append, 1, i) and i) == i
        assert log == [i]


# -- timers -----------------------------------------------------------------------------------------

def test_set_timeout_args_and_clear_timeout():
    log = []

    def main():
        setTimeout(log.append, 1, "a")
        t = setTimeout(log.append, 1, "cleared")
        clearTimeout(t)
        clearTimeout(t)  # idempotent
        clearTimeout(None)
        assert t.close() is t
        setTimeout(lambda *a: log.append(a), 5, 1, 2, 3)

    run(main)
    assert log == ["a", (1, 2, 3)]


def test_set_interval_repeats_until_cleared():
    log = []

    def main():
        def tick():
            log.append(len(log))
            if len(log) == 3:
                clearInterval(iv)

        iv = setInterval(tick, 2)

    run(main)
    assert log == [0, 1, 2]


def test_interval_closed_from_another_timer():
    log = []

    def main():
        def tick():
            log.append("iv")
            if len(log) == 3:
                setTimeout(iv.close, 0)  # the interval may fire again before this runs

        iv = setInterval(tick, 1)

    run(main)
    assert 3 <= len(log) <= 5


def test_refresh_rearms_a_fired_timer_but_not_a_cleared_one():
    log = []

    def main():
        def fire():
            log.append("fire")
            if len(log) < 3:
                setImmediate(t.refresh)

        t = setTimeout(fire, 5)
        c = setTimeout(log.append, 1, "cleared")
        clearTimeout(c)
        assert c.refresh() is c

    run(main)
    assert log == ["fire", "fire", "fire"]


def test_refresh_postpones_a_pending_timer():
    times = []

    def main():
        start = time.monotonic()
        t = setTimeout(lambda: times.append(time.monotonic() - start), 60)
        setTimeout(t.refresh, 40)

    run(main)
    assert times and times[0] >= 0.095


def test_timeout_ref_unref_has_ref():
    log = []

    def main():
        t = setTimeout(log.append, 30, "held again")
        assert t.hasRef()
        t.unref()
        assert not t.hasRef() and not _runtime.has_ref(t)
        assert t.ref() is t and t.hasRef() and _runtime.has_ref(t)

    run(main)
    assert log == ["held again"]


def test_clear_timeout_by_numeric_id():
    log = []

    def main():
        t = setTimeout(log.append, 5, "x")
        clearTimeout(int(t))
        u = setTimeout(log.append, 5, "y")
        clearTimeout(str(int(u)))
        clearTimeout(999_999)

    run(main)
    assert log == []


def test_ms_coercion_like_node():
    assert _timers._coerce_ms(0) == 1
    assert _timers._coerce_ms(-5) == 1
    assert _timers._coerce_ms(None) == 1
    assert _timers._coerce_ms("abc") == 1
    assert _timers._coerce_ms("100") == 100
    assert _timers._coerce_ms(float("nan")) == 1
    assert _timers._coerce_ms(2.5) == 2.5
    assert _timers._coerce_ms(_runtime.TIMEOUT_MAX) == _runtime.TIMEOUT_MAX
    with pytest.warns(_runtime.TimeoutOverflowWarning, match="does not fit into a 32-bit"):
        assert _timers._coerce_ms(2 ** 31) == 1


def test_timer_callbacks_must_be_callable():
    async def main():
        for fn in (setTimeout, setInterval, setImmediate, nextTick, queueMicrotask):
            with pytest.raises(NodeTypeError) as info:
                fn("not a function")
            assert info.value.code == "ERR_INVALID_ARG_TYPE"
            assert 'The "callback" argument must be of type function' in str(info.value)

    asyncio.run(main())


def test_timers_work_under_plain_asyncio_run():
    async def main():
        loop = asyncio.get_running_loop()
        done = loop.create_future()
        setTimeout(done.set_result, 5, "ok")
        return await asyncio.wait_for(done, 5)

    assert asyncio.run(main()) == "ok"


def test_set_immediate_and_clear_immediate():
    log = []

    def main():
        i = setImmediate(log.append, "ran")
        assert i.hasRef()
        c = setImmediate(log.append, "cleared")
        clearImmediate(c)
        clearImmediate(c)
        clearImmediate(None)
        assert i.unref() is i and not i.hasRef()
        assert i.ref() is i and i.hasRef()
        setImmediate(lambda: setImmediate(log.append, "next iteration"))

    run(main)
    assert log == ["ran", "next iteration"]


# -- ordering --------------------------------------------------------------------------------------

ORDER_JS = """
const log = [];
setImmediate(() => { log.push('imm1'); process.nextTick(() => log.push('tick-in-imm1'));
                     queueMicrotask(() => log.push('mt-in-imm1')); });
setImmediate(() => { log.push('imm2'); setImmediate(() => log.push('imm-nested')); });
process.nextTick(() => { log.push('tick1'); process.nextTick(() => log.push('tick-nested'));
  queueMicrotask(() => { log.push('mt2'); process.nextTick(() => log.push('tick-from-mt')); }); });
queueMicrotask(() => log.push('mt1'));
process.nextTick(() => log.push('tick2'));
process.on('exit', () => console.log(JSON.stringify(log)));
"""


def order_scenario(log):
    def imm1():
        log.append("imm1")
        nextTick(log.append, "tick-in-imm1")
        queueMicrotask(lambda: log.append("mt-in-imm1"))

    def imm2():
        log.append("imm2")
        setImmediate(log.append, "imm-nested")

    def tick1():
        log.append("tick1")
        nextTick(log.append, "tick-nested")

        def mt2():
            log.append("mt2")
            nextTick(log.append, "tick-from-mt")

        queueMicrotask(mt2)

    setImmediate(imm1)
    setImmediate(imm2)
    nextTick(tick1)
    queueMicrotask(lambda: log.append("mt1"))
    nextTick(log.append, "tick2")


@pytest.mark.skipif(NODE is None, reason="needs node")
def test_next_tick_microtask_immediate_order_matches_node():
    out = subprocess.run([NODE, "-e", ORDER_JS], capture_output=True, text=True, timeout=30)
    expected = json.loads(out.stdout)
    log = []
    run(order_scenario, log)
    assert log == expected
    assert log.index("tick1") < log.index("imm1")


def test_next_tick_runs_before_an_earlier_set_immediate():
    log = []

    def main():
        setImmediate(log.append, "immediate")
        nextTick(log.append, "tick")

    run(main)
    assert log == ["tick", "immediate"]


def test_next_tick_runs_before_a_due_timer():
    log = []

    def main():
        setTimeout(log.append, 1, "timer")
        nextTick(log.append, "tick")
        time.sleep(0.01)  # the timer is due before the loop gets control

    run(main)
    assert log == ["tick", "timer"]


def test_async_callbacks_run_as_tasks():
    log = []

    async def later(x):
        await asyncio.sleep(0)
        log.append(x)

    def main():
        setTimeout(later, 1, "timer coroutine")
        nextTick(later, "tick coroutine")
        setImmediate(later, "immediate coroutine")
        _runtime.ref_handle(FakeHandle())  # hold until the coroutines ran

        def check():
            if len(log) == 3:
                for h in _runtime.active_handles():
                    if isinstance(h, FakeHandle):
                        _runtime.handle_closed(h)
            else:
                setTimeout(check, 5)

        setTimeout(check, 5)

    run(main)
    assert sorted(log) == ["immediate coroutine", "tick coroutine", "timer coroutine"]


# -- per-loop state --------------------------------------------------------------------------

def test_abandoned_loop_with_a_pending_timer_is_garbage_collected():
    import gc
    import weakref

    loops = []

    async def main():
        loops.append(weakref.ref(asyncio.get_running_loop()))
        setTimeout(print, 60_000)  # referenced, never fires: asyncio.run just closes the loop
        _runtime.ref_handle(FakeHandle())

    asyncio.run(main())
    gc.collect()
    assert loops[0]() is None


def test_loops_that_refuse_attributes_are_tracked_too():
    class NoAttrLoop(asyncio.SelectorEventLoop):
        def __setattr__(self, name, value):
            if name == _loopstate._STATE_ATTR:
                raise AttributeError(name)
            super().__setattr__(name, value)

    loop = NoAttrLoop()
    handle = FakeHandle()
    log = []

    async def main():
        _runtime.ref_handle(handle)
        assert _runtime.active_handles() == [handle]
        done = loop.create_future()
        setTimeout(lambda: (log.append("t"), done.set_result(None)), 1)
        await asyncio.wait_for(done, 5)

    try:
        loop.run_until_complete(main())
        assert _runtime.has_ref(handle)
        _runtime.handle_closed(handle)  # outside of the loop: found all the same
        assert not _runtime.has_ref(handle)
    finally:
        loop.close()
        _loopstate._forget(loop)
    assert log == ["t"]
