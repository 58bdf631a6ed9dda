"""The bridge between Node's process model and asyncio.

Node keeps a process alive while it has *referenced active handles* (a
listening server, an open socket, a pending timer, each unless ``unref()``-ed)
and runs ``process.nextTick`` callbacks and microtasks before anything else.
Python code normally lives inside ``asyncio.run(main())`` and ends when
``main`` returns; a Node-style script instead sets things up and returns, and
the program ends when the last handle goes away.  This module provides:

* :func:`get_loop` -- the running loop, or a NodeError telling the user where
  Node-style code must run.
* :func:`ref_handle` / :func:`unref_handle` / :func:`handle_closed` -- the
  per-loop set of referenced handles.  A referenced object is held strongly
  (Node keeps an active socket alive even when user code drops it).
* :func:`run` -- runs a Node-style program on a fresh loop until no
  referenced handle and no queued callback is left; an uncaught exception in
  any callback ends it and is re-raised, as it ends a Node process.
* Node's timers (``setTimeout`` ... ``setImmediate``), ``nextTick`` and
  ``queueMicrotask`` on the loop, ref-tracked.
* :func:`spawn` -- run a coroutine (an async listener or timer callback) as a
  task that, like a promise in Node, does not by itself keep ``run`` alive.

Handle tracking works on any running loop; only :func:`run` acts on it.
"""
from __future__ import annotations

import asyncio
import functools
import inspect
import itertools
import math
import threading
import warnings
import weakref
from collections import deque
from typing import Any, Awaitable, Callable, Deque, Dict, List, Optional, Set, Tuple, TypeVar, overload

from .._base.errors import NodeError, NodeTypeError
from .._base.validators import received as _received

__all__ = [
    "get_loop", "ref_handle", "unref_handle", "handle_closed", "has_ref", "active_handles",
    "run", "spawn", "setTimeout", "clearTimeout", "setInterval", "clearInterval",
    "setImmediate", "clearImmediate", "queueMicrotask", "nextTick", "Timeout", "Immediate",
    "TimeoutOverflowWarning", "TIMEOUT_MAX",
]

#: Largest delay Node accepts (ms); larger ones become 1 ms with a warning.
TIMEOUT_MAX = 2 ** 31 - 1

# Loops whose private ``_ready`` deque is not available (uvloop) cannot be
# checked for queued callbacks; ``run`` then lets this many idle loop
# iterations pass before deciding the program is done.
_IDLE_SPINS = 4


class TimeoutOverflowWarning(RuntimeWarning):
    """A timer delay above ``TIMEOUT_MAX`` was set to 1 ms (as Node warns)."""


def get_loop() -> asyncio.AbstractEventLoop:
    """The running event loop.

    Everything that does I/O or sets a timer needs one; outside of it Node's
    API cannot work, so say where to call from instead of letting asyncio's
    terse RuntimeError surface.
    """
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        raise NodeError(
            "No running event loop: Node-style code (sockets, servers, timers) must run "
            "inside an event loop; call it from inside asyncio.run(...) or tls.run(fn)",
            "ERR_NO_EVENT_LOOP") from None


# -- per-loop state ------------------------------------------------------------------------

class _LoopState:
    """What this module keeps per loop.

    Holds no reference to the loop itself, so the weak mapping from loop to
    state does not keep the loop alive.
    """

    __slots__ = ("refs", "ticks", "microtasks", "drain_scheduled", "immediates",
                 "immediates_scheduled", "tasks", "runner", "dead", "__weakref__")

    def __init__(self) -> None:
        # id(obj) -> obj: a strong reference while referenced, and no demand
        # that handles be hashable.
        self.refs: Dict[int, Any] = {}
        self.ticks: Deque[Tuple[Callable[..., Any], Tuple[Any, ...]]] = deque()
        self.microtasks: Deque[Callable[[], Any]] = deque()
        self.drain_scheduled = False
        self.immediates: Deque["Immediate"] = deque()
        self.immediates_scheduled = False
        self.tasks: Set["asyncio.Future[Any]"] = set()
        self.runner: Optional[_Runner] = None
        # Set once the program has ended (uncaught error or normal exit):
        # our callbacks no longer run, as nothing runs after a Node process exits.
        self.dead = False


# The state lives on the loop object itself when the loop allows it: then
# loop -> state -> referenced handle -> loop is an ordinary cycle that the
# garbage collector frees with an abandoned loop (a module-level mapping from
# loop to state would keep such a loop alive forever).  Loops that take no
# attributes use a weak mapping instead.  ``_registry`` finds the states of
# all live loops when a handle is released outside of its loop.
_STATE_ATTR = "_tls_runtime_state"
_fallback: "weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _LoopState]" = weakref.WeakKeyDictionary()
_strong_fallback: Dict[asyncio.AbstractEventLoop, _LoopState] = {}  # loops refusing weak references too
_registry: "weakref.WeakSet[_LoopState]" = weakref.WeakSet()
_states_lock = threading.Lock()


def _lookup(loop: asyncio.AbstractEventLoop) -> Optional[_LoopState]:
    st = getattr(loop, _STATE_ATTR, None)
    if st is not None or not (_fallback or _strong_fallback):
        return st
    try:
        return _fallback.get(loop)
    except TypeError:
        return _strong_fallback.get(loop)


def _state(loop: asyncio.AbstractEventLoop) -> _LoopState:
    st = _lookup(loop)
    if st is None:
        with _states_lock:
            st = _lookup(loop)
            if st is None:
                st = _LoopState()
                try:
                    setattr(loop, _STATE_ATTR, st)
                except (AttributeError, TypeError):
                    try:
                        _fallback[loop] = st
                    except TypeError:
                        _strong_fallback[loop] = st
                _registry.add(st)
    return st


def _forget(loop: asyncio.AbstractEventLoop) -> None:
    with _states_lock:
        st = getattr(loop, _STATE_ATTR, None)
        if st is not None:
            try:
                delattr(loop, _STATE_ATTR)
            except (AttributeError, TypeError):
                pass
        else:
            try:
                st = _fallback.pop(loop, None)
            except TypeError:
                st = _strong_fallback.pop(loop, None)
        if st is not None:
            _registry.discard(st)


def _all_states() -> List[_LoopState]:
    with _states_lock:
        return list(_registry)


# -- handles -------------------------------------------------------------------------------

def ref_handle(obj: Any, loop: Optional[asyncio.AbstractEventLoop] = None) -> None:
    """Mark ``obj`` as a referenced active handle of ``loop`` (default: the
    running loop): :func:`run` will not end while it is.

    Call it when the object becomes active (server listening, socket
    created/connecting) and from its ``ref()``.  Idempotent.  Holds ``obj``
    strongly until :func:`unref_handle` or :func:`handle_closed`.  Raises
    NodeError ERR_NO_EVENT_LOOP when no loop is given or running.
    """
    if loop is None:
        loop = get_loop()
    refs = _state(loop).refs
    if id(obj) not in refs:
        refs[id(obj)] = obj


def _release(obj: Any) -> None:
    key = id(obj)
    try:
        running = asyncio.get_running_loop()
    except RuntimeError:
        running = None
    first = _lookup(running) if running is not None else None
    candidates = [first] if first is not None and first.refs.get(key) is obj else _all_states()
    for st in candidates:
        if st.refs.get(key) is obj:
            del st.refs[key]
            if not st.refs and st.runner is not None:
                st.runner.schedule_check()


def unref_handle(obj: Any) -> None:
    """``obj.unref()``: it stays active but no longer keeps :func:`run` alive.
    Idempotent; never raises."""
    _release(obj)


def handle_closed(obj: Any) -> None:
    """``obj`` is closed/destroyed for good: drop it (and our reference to
    it).  Idempotent; never raises.  Its owner must not call
    :func:`ref_handle` for it again."""
    _release(obj)


def has_ref(obj: Any) -> bool:
    """Whether ``obj`` currently keeps its loop's program alive."""
    key = id(obj)
    return any(st.refs.get(key) is obj for st in _all_states())


def active_handles(loop: Optional[asyncio.AbstractEventLoop] = None) -> List[Any]:
    """The referenced handles of ``loop`` (default: the running loop), like
    Node's ``process._getActiveHandles()`` minus the unref'd ones."""
    if loop is None:
        loop = get_loop()
    st = _lookup(loop)
    return list(st.refs.values()) if st is not None else []


# -- callbacks, ticks and tasks ---------------------------------------------------------------

def _check_callback(callback: Any, name: str = "callback") -> None:
    if not callable(callback):
        raise NodeTypeError(
            'The "%s" argument must be of type function. %s' % (name, _received(callback)),
            "ERR_INVALID_ARG_TYPE")


def _invoke(loop: asyncio.AbstractEventLoop, callback: Callable[..., Any], args: Tuple[Any, ...],
            what: str) -> None:
    """Call a Node callback; an exception is reported to the loop's exception
    handler (which ends :func:`run`) instead of breaking the queue it came from."""
    try:
        result = callback(*args)
    except Exception as exc:
        loop.call_exception_handler({
            "message": "Uncaught exception in %s %r" % (what, callback),
            "exception": exc,
        })
        return
    if result is not None and asyncio.iscoroutine(result):
        spawn(result, loop=loop)


def _run_ticks(loop: asyncio.AbstractEventLoop, st: _LoopState) -> None:
    """Node's ``processTicksAndRejections``: all nextTicks, then all
    microtasks, again until both queues are empty."""
    ticks, micro = st.ticks, st.microtasks
    while ticks or micro:
        while ticks:
            if st.dead:
                ticks.clear()
                micro.clear()
                return
            callback, args = ticks.popleft()
            _invoke(loop, callback, args, "process.nextTick callback")
        while micro:
            if st.dead:
                ticks.clear()
                micro.clear()
                return
            _invoke(loop, micro.popleft(), (), "queueMicrotask callback")


def _drain(loop: asyncio.AbstractEventLoop, st: _LoopState) -> None:
    st.drain_scheduled = False
    _run_ticks(loop, st)


def _schedule_drain(loop: asyncio.AbstractEventLoop, st: _LoopState) -> None:
    if not st.drain_scheduled:
        st.drain_scheduled = True
        loop.call_soon(_drain, loop, st)


def nextTick(callback: Callable[..., Any], *args: Any) -> None:
    """``process.nextTick``: run ``callback(*args)`` soon, before timers and
    immediates that were queued earlier.

    All queued ticks run in one batch (ticks queued by ticks included), and
    our timer and immediate callbacks run pending ticks first and after
    themselves, as Node does; relative to other asyncio callbacks (I/O) they
    are ordinary ``call_soon`` callbacks.
    """
    _check_callback(callback)
    loop = get_loop()
    st = _state(loop)
    st.ticks.append((callback, args))
    _schedule_drain(loop, st)


def queueMicrotask(callback: Callable[[], Any]) -> None:
    """``queueMicrotask``: run after the current batch of nextTicks."""
    _check_callback(callback)
    loop = get_loop()
    st = _state(loop)
    st.microtasks.append(callback)
    _schedule_drain(loop, st)


def spawn(awaitable: Any, on_error: Optional[Callable[[BaseException], Any]] = None,
          loop: Optional[asyncio.AbstractEventLoop] = None) -> "asyncio.Future[Any]":
    """Run ``awaitable`` as a task, the way Node runs an async callback's promise.

    The task does not keep :func:`run` alive (a pending promise does not keep
    Node alive); tasks still pending when the program ends are cancelled.
    Its exception goes to ``on_error`` if given, else to the loop's exception
    handler, i.e. it is an uncaught error that ends :func:`run`.
    """
    if loop is None:
        try:
            loop = get_loop()
        except NodeError:
            if asyncio.iscoroutine(awaitable):
                awaitable.close()
            raise
    task: asyncio.Future[Any] = asyncio.ensure_future(awaitable, loop=loop)
    st = _state(loop)
    st.tasks.add(task)
    task.add_done_callback(functools.partial(_task_done, st, on_error))
    return task


def _task_done(st: _LoopState, on_error: Optional[Callable[[BaseException], Any]],
               task: "asyncio.Future[Any]") -> None:
    st.tasks.discard(task)
    if task.cancelled():
        return
    exc = task.exception()
    if exc is None:
        return
    if on_error is not None:
        on_error(exc)
    else:
        task.get_loop().call_exception_handler({
            "message": "Uncaught exception in coroutine %r" % (task,),
            "exception": exc,
            "task": task,
        })


# -- timers ----------------------------------------------------------------------------------

def _coerce_ms(after: Any) -> float:
    """Node's ``after *= 1; if (!(after >= 1 && after <= TIMEOUT_MAX)) after = 1``."""
    if isinstance(after, (int, float)):
        value = float(after)
    elif isinstance(after, str):
        text = after.strip()
        try:
            value = float(text) if text else 0.0
        except ValueError:
            value = math.nan
    elif after is None:
        value = math.nan
    else:
        try:
            value = float(after)
        except (TypeError, ValueError):
            value = math.nan
    if not (1 <= value <= TIMEOUT_MAX):
        if value > TIMEOUT_MAX:
            warnings.warn(TimeoutOverflowWarning(
                "%s does not fit into a 32-bit signed integer.\nTimeout duration was set to 1."
                % (int(value) if value != math.inf and value.is_integer() else value)),
                stacklevel=3)
        value = 1.0
    return value


_timer_ids = itertools.count(1)
_timers_by_id: "weakref.WeakValueDictionary[int, Timeout]" = weakref.WeakValueDictionary()


class Timeout:
    """What ``setTimeout``/``setInterval`` return (Node's ``Timeout``).

    A pending timer is a referenced handle unless ``unref()``-ed.
    ``int(timeout)`` is Node's ``timeout[Symbol.toPrimitive]()``: an id that
    ``clearTimeout`` also accepts.
    """

    __slots__ = ("_loop", "_callback", "_args", "_idleTimeout", "_repeat", "_timer", "_refed",
                 "_destroyed", "_id", "__weakref__")

    def __init__(self, loop: asyncio.AbstractEventLoop, callback: Callable[..., Any], after: float,
                 args: Tuple[Any, ...], repeat: bool) -> None:
        self._loop = loop
        self._callback = callback
        self._args = args
        self._idleTimeout = after  # ms; -1 once cleared (as in Node)
        self._repeat = after if repeat else None
        self._timer: Optional[asyncio.TimerHandle] = None
        self._refed = True
        self._destroyed = False
        self._id: Optional[int] = None
        self._arm()

    def _arm(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
        self._timer = self._loop.call_later(self._idleTimeout / 1000.0, self._fire)
        self._destroyed = False
        if self._refed:
            ref_handle(self, self._loop)

    def _fire(self) -> None:
        self._timer = None
        loop = self._loop
        st = _state(loop)
        if st.dead:
            return
        _run_ticks(loop, st)
        if self._repeat is None:
            self._destroyed = True
            handle_closed(self)
            self._forget_id()
        try:
            _invoke(loop, self._callback, self._args,
                    "setInterval callback" if self._repeat is not None else "setTimeout callback")
        finally:
            if (self._repeat is not None and self._idleTimeout != -1 and self._timer is None
                    and not st.dead):
                self._arm()
        _run_ticks(loop, st)

    def _clear(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self._idleTimeout = -1
        self._destroyed = True
        handle_closed(self)
        self._forget_id()

    def _forget_id(self) -> None:
        if self._id is not None:
            _timers_by_id.pop(self._id, None)

    def ref(self) -> "Timeout":
        """Make the timer keep the program alive again (the default)."""
        if not self._refed:
            self._refed = True
            if not self._destroyed:
                ref_handle(self, self._loop)
        return self

    def unref(self) -> "Timeout":
        """Let the program end while this timer is pending."""
        self._refed = False
        unref_handle(self)
        return self

    def hasRef(self) -> bool:
        return self._refed

    def refresh(self) -> "Timeout":
        """Restart the countdown from now with the same delay; re-arms a timer
        that already fired (Node does), does nothing once cleared."""
        if self._idleTimeout != -1:
            self._arm()
        return self

    def close(self) -> "Timeout":
        """Cancel the timer (``clearTimeout(self)``)."""
        self._clear()
        return self

    def __int__(self) -> int:
        if self._id is None:
            self._id = next(_timer_ids)
            if not self._destroyed:
                _timers_by_id[self._id] = self
        return self._id

    def __repr__(self) -> str:
        state = "cleared" if self._idleTimeout == -1 else "fired" if self._destroyed else "pending"
        return "<Timeout %s %sms%s%s>" % (state, _fmt_ms(self._idleTimeout if self._idleTimeout != -1 else 0),
                                         " repeat" if self._repeat is not None else "",
                                         "" if self._refed else " unref")


def _fmt_ms(ms: float) -> str:
    return str(int(ms)) if float(ms).is_integer() else str(ms)


def setTimeout(callback: Callable[..., Any], ms: Any = 0, *args: Any) -> Timeout:
    """Call ``callback(*args)`` once after ``ms`` milliseconds (at least 1)."""
    _check_callback(callback)
    return Timeout(get_loop(), callback, _coerce_ms(ms), args, False)


def setInterval(callback: Callable[..., Any], ms: Any = 0, *args: Any) -> Timeout:
    """Call ``callback(*args)`` every ``ms`` milliseconds until cleared."""
    _check_callback(callback)
    return Timeout(get_loop(), callback, _coerce_ms(ms), args, True)


def clearTimeout(timer: Any) -> None:
    """Cancel a timer; accepts the Timeout, its ``int()`` id, or None (no-op)."""
    if isinstance(timer, Timeout):
        timer._clear()
        return
    if isinstance(timer, (int, str)) and not isinstance(timer, bool):
        try:
            key = int(timer)
        except ValueError:
            return
        found = _timers_by_id.get(key)
        if found is not None:
            found._clear()


def clearInterval(timer: Any) -> None:
    """Same as :func:`clearTimeout` (as in Node)."""
    clearTimeout(timer)


class Immediate:
    """What ``setImmediate`` returns (Node's ``Immediate``)."""

    __slots__ = ("_loop", "_callback", "_args", "_refed", "_destroyed", "__weakref__")

    def __init__(self, loop: asyncio.AbstractEventLoop, callback: Callable[..., Any],
                 args: Tuple[Any, ...]) -> None:
        self._loop = loop
        self._callback = callback
        self._args = args
        self._refed = True
        self._destroyed = False

    def ref(self) -> "Immediate":
        if not self._refed:
            self._refed = True
            if not self._destroyed:
                ref_handle(self, self._loop)
        return self

    def unref(self) -> "Immediate":
        self._refed = False
        unref_handle(self)
        return self

    def hasRef(self) -> bool:
        return self._refed

    def __repr__(self) -> str:
        return "<Immediate %s%s>" % ("done" if self._destroyed else "pending",
                                     "" if self._refed else " unref")


def _run_immediates(loop: asyncio.AbstractEventLoop, st: _LoopState) -> None:
    """One check phase: the immediates queued so far (those they queue wait
    for the next one), with the tick queue drained before and after each."""
    st.immediates_scheduled = False
    if st.dead:
        return
    _run_ticks(loop, st)
    batch = st.immediates
    st.immediates = deque()
    try:
        while batch:
            immediate = batch.popleft()
            if immediate._destroyed:
                continue
            immediate._destroyed = True
            handle_closed(immediate)
            if st.dead:
                return
            _invoke(loop, immediate._callback, immediate._args, "setImmediate callback")
            _run_ticks(loop, st)
    finally:
        if batch:  # only on an escaping BaseException: keep the rest for later
            batch.extend(st.immediates)
            st.immediates = batch
            _schedule_immediates(loop, st)


def _schedule_immediates(loop: asyncio.AbstractEventLoop, st: _LoopState) -> None:
    if not st.immediates_scheduled:
        st.immediates_scheduled = True
        loop.call_soon(_run_immediates, loop, st)


def setImmediate(callback: Callable[..., Any], *args: Any) -> Immediate:
    """Call ``callback(*args)`` on the next loop iteration, after pending
    nextTicks."""
    _check_callback(callback)
    loop = get_loop()
    st = _state(loop)
    immediate = Immediate(loop, callback, args)
    ref_handle(immediate, loop)
    st.immediates.append(immediate)
    _schedule_immediates(loop, st)
    return immediate


def clearImmediate(immediate: Any) -> None:
    """Cancel an immediate that has not run yet (anything else: no-op)."""
    if isinstance(immediate, Immediate) and not immediate._destroyed:
        immediate._destroyed = True
        handle_closed(immediate)


# -- run -------------------------------------------------------------------------------------

class _Runner:
    """The program lifetime of one :func:`run` call."""

    def __init__(self, loop: asyncio.AbstractEventLoop, st: _LoopState) -> None:
        self.loop = loop
        self.st = st
        self.error: Optional[BaseException] = None
        self.main_finished = False
        self.check_pending = False
        self.closing = False
        self.spins = 0

    async def main(self, fn: Any, args: Tuple[Any, ...]) -> Any:
        result = fn(*args) if callable(fn) else fn
        if inspect.isawaitable(result):
            result = await result
        return result

    def main_done(self, task: "asyncio.Future[Any]") -> None:
        if task.cancelled() or task.exception() is not None:
            self.loop.stop()  # an exception from the script itself: uncaught
            return
        self.main_finished = True
        self.schedule_check()

    def schedule_check(self) -> None:
        if self.check_pending or self.closing:
            return
        self.check_pending = True
        self.loop.call_soon(self.check)

    def check(self) -> None:
        """End the program if nothing can happen any more.

        Called soon after the last referenced handle went away; re-schedules
        itself while callbacks are queued (a 'close' emitted on the next
        tick must still run), and does nothing while a handle is referenced
        (the next release calls it again), so it never spins idly.
        """
        self.check_pending = False
        st = self.st
        if not self.main_finished or st.refs or st.dead or self.closing:
            self.spins = 0
            return
        # (Referenced immediates are in st.refs; like Node, unref'd ones do
        # not hold the program, though one already queued usually runs.)
        if st.ticks or st.microtasks:
            self.spins = 0
            self.schedule_check()
            return
        ready = getattr(self.loop, "_ready", None)
        if isinstance(ready, deque):
            if ready:
                self.schedule_check()
                return
        else:
            self.spins += 1
            if self.spins < _IDLE_SPINS:
                self.schedule_check()
                return
        self.loop.stop()

    def exception_handler(self, loop: asyncio.AbstractEventLoop, context: Dict[str, Any]) -> None:
        """The first exception that escaped a callback ends the program."""
        exc = context.get("exception")
        if exc is None or self.error is not None or self.closing:
            loop.default_exception_handler(context)
            return
        self.error = exc
        self.st.dead = True
        loop.stop()


_T = TypeVar("_T")


@overload
def run(fn: Awaitable[_T]) -> _T: ...
@overload
def run(fn: Callable[..., Awaitable[_T]], *args: Any) -> _T: ...
@overload
def run(fn: Callable[..., _T], *args: Any) -> _T: ...
def run(fn: Any, *args: Any) -> Any:
    """Run a Node-style program: ``fn(*args)`` on a fresh event loop, then the
    loop until nothing keeps it alive.

    If ``fn`` returns an awaitable (``fn`` is an ``async def``), it is awaited
    too; ``fn`` may also be a coroutine object (``run(main())``).  The loop
    then runs while any referenced handle (server, socket, timer, immediate)
    exists or callbacks are queued.  Returns what ``fn`` (or its coroutine)
    returned.  The first exception that escapes a callback (event listener,
    timer, task ...) stops the loop and is raised here, like an uncaught
    exception ends a Node process.  Tasks still pending at the end are
    cancelled and the loop is closed.
    """
    if not callable(fn) and not inspect.isawaitable(fn):
        _check_callback(fn, "fn")
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        pass
    else:
        if asyncio.iscoroutine(fn):
            fn.close()
        raise NodeError("tls.run() cannot be called from a running event loop; "
                        "await the coroutine instead", "ERR_LOOP_RUNNING")

    loop = asyncio.new_event_loop()
    st = _state(loop)
    runner = _Runner(loop, st)
    st.runner = runner
    loop.set_exception_handler(runner.exception_handler)
    try:
        asyncio.set_event_loop(loop)
        main = loop.create_task(runner.main(fn, args))
        main.add_done_callback(runner.main_done)
        loop.run_forever()
        error: Optional[BaseException]
        if runner.error is not None:
            error, runner.error = runner.error, None
            try:
                raise error
            finally:
                error = None
        if main.done():
            return main.result()
        raise RuntimeError("Event loop stopped before the program finished.")
    finally:
        runner.closing = True
        st.dead = True
        try:
            _cancel_all_tasks(loop)
            loop.run_until_complete(loop.shutdown_asyncgens())
            shutdown_executor = getattr(loop, "shutdown_default_executor", None)
            if shutdown_executor is not None:
                loop.run_until_complete(shutdown_executor())
        finally:
            st.runner = None
            st.refs.clear()
            st.tasks.clear()
            asyncio.set_event_loop(None)
            loop.close()
            _forget(loop)


def _cancel_all_tasks(loop: asyncio.AbstractEventLoop) -> None:
    """asyncio.run's clean-up: cancel what is left and let it unwind."""
    to_cancel = asyncio.all_tasks(loop)
    if not to_cancel:
        return
    for task in to_cancel:
        task.cancel()
    loop.run_until_complete(asyncio.gather(*to_cancel, return_exceptions=True))
    for task in to_cancel:
        if task.cancelled():
            continue
        if task.exception() is not None:
            loop.call_exception_handler({
                "message": "unhandled exception during tls.run() shutdown",
                "exception": task.exception(),
                "task": task,
            })
