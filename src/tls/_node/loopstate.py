"""The per-loop state of the Node runtime: referenced handles, nextTick and microtask queues, tasks.

Node keeps a process alive while it has *referenced active handles* (a
listening server, an open socket, a pending timer, each unless
``unref()``-ed) and runs ``process.nextTick`` callbacks and microtasks
before anything else.  This module keeps, per event loop, what that needs:

* :func:`get_loop` -- the running loop, or a NodeError telling the user where
  Node-style code must run.
* :func:`ref_handle` / :func:`unref_handle` / :func:`handle_closed` -- the
  per-loop set of referenced handles.  A referenced object is held strongly
  (Node keeps an active socket alive even when user code drops it).
* ``nextTick`` and ``queueMicrotask``, drained in Node's order
  (``_run_ticks``), and ``_invoke``, which calls a Node callback and reports
  what escapes it to the loop's exception handler.
* :func:`spawn` -- run a coroutine (an async listener or timer callback) as a
  task that, like a promise in Node, does not by itself keep ``run`` alive.

Apart from the timers (timers.py) and ``tls.run`` (runtime.py) because both
build on it: the timers put their handles and ticks here, and ``run`` reads
the state to know when the program is over.  It imports neither (their
types only for the type checker); runtime.py shows all three as one module.
Handle tracking works on any running loop; only ``run`` acts on it.
"""
from __future__ import annotations

import asyncio
import functools
import threading
import weakref
from collections import deque
from typing import Any, Protocol, Callable, Deque, Dict, List, Optional, Set, Tuple

from .._base.errors import NodeError, NodeTypeError
from .._base.validators import received as _received


class _QueuedImmediate(Protocol):
    """A setImmediate handle as the loop state queues it (timers.Immediate; a Protocol, so that
    this module need not import the modules built on it)."""

    _destroyed: bool
    _callback: Callable[..., Any]
    _args: Tuple[Any, ...]


class _ProgramRunner(Protocol):
    """The tls.run() program lifetime the state tells when the last ref goes (runtime._Runner)."""

    def schedule_check(self) -> None: ...

__all__ = [
    "get_loop", "ref_handle", "unref_handle", "handle_closed", "has_ref", "active_handles",
    "spawn", "queueMicrotask", "nextTick", "program_ended", "handle_inactive", "only_inactive_refs",
    "LoopOnFirstUse",
]


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


class LoopOnFirstUse:
    """A class attribute ``_loop`` that binds the running loop on first use.

    Node builds servers and sockets anywhere (options are validated at once);
    only I/O needs the loop.  An object constructed outside of a loop gets its
    loop when it first needs one (``listen()``, ``connect()`` ...), the loop
    running then: the first read stores it in the instance ``__dict__``, and
    since this is a non-data descriptor every later read is a plain instance
    attribute read (nothing added to the data path).  Outside of a loop that
    first use raises ERR_NO_EVENT_LOOP, as before.
    """

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    def __get__(self, obj: Any, owner: Optional[type] = None) -> Any:
        if obj is None:
            return self
        loop = get_loop()
        obj.__dict__[self.name] = loop
        return loop


def running_loop() -> Optional[asyncio.AbstractEventLoop]:
    """The running loop, or None (no exception): for constructors that bind it when they can."""
    return asyncio._get_running_loop()


# -- per-loop state ------------------------------------------------------------------------

class _LoopState:
    """What this module keeps per loop.

    Holds no reference to the loop itself, so the weak mapping from loop to
    state does not keep the loop alive.
    """

    __slots__ = ("refs", "inactive", "ticks", "microtasks", "drain_scheduled", "immediates",
                 "immediates_scheduled", "tasks", "runner", "dead", "__weakref__")

    def __init__(self) -> None:
        # id(obj) -> obj: a strong reference while referenced, and no demand
        # that handles be hashable.
        self.refs: Dict[int, Any] = {}
        # id(obj) -> obj: referenced handles that said they may be inactive (handle_inactive)
        self.inactive: Dict[int, Any] = {}
        self.ticks: Deque[Tuple[Callable[..., Any], Tuple[Any, ...]]] = deque()
        self.microtasks: Deque[Callable[[], Any]] = deque()
        self.drain_scheduled = False
        self.immediates: Deque[_QueuedImmediate] = deque()
        self.immediates_scheduled = False
        self.tasks: Set["asyncio.Future[Any]"] = set()
        self.runner: Optional[_ProgramRunner] = None
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


# The last loop looked up and its state, both held weakly (a strong reference to the state would
# keep an abandoned loop alive through its referenced handles): the per-connection paths
# (ref_handle, handle_closed, handle_inactive, program_ended) compare one identity instead of a
# getattr, or, on a loop that takes no attributes (uvloop), the weak mapping's lookup (issue 14).
_last: Optional[Tuple[Any, Any]] = None


def _remember(loop: asyncio.AbstractEventLoop, st: _LoopState) -> None:
    global _last
    try:
        _last = (weakref.ref(loop), weakref.ref(st))
    except TypeError:   # a loop refusing weak references: the slow path every time
        _last = None


def _lookup(loop: asyncio.AbstractEventLoop) -> Optional[_LoopState]:
    last = _last
    if last is not None and last[0]() is loop:
        st: Optional[_LoopState] = last[1]()
        return st
    st = getattr(loop, _STATE_ATTR, None)
    if st is None and (_fallback or _strong_fallback):
        try:
            st = _fallback.get(loop)
        except TypeError:
            st = _strong_fallback.get(loop)
    if st is not None:
        _remember(loop, st)
    return st


def _state(loop: asyncio.AbstractEventLoop) -> _LoopState:
    st = _lookup(loop)
    if st is None:
        created = False
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
                _remember(loop, st)
                created = True
        if created:
            for hook in list(_new_loop_hooks):
                hook(loop)
    return st


# Run for each loop that gets a runtime state (tls.run's loop, or the first one
# Node-style code runs on): how a cluster worker's IPC channel (layer 6) joins
# the program's loop before the program's own code uses it, as Node's does.
_new_loop_hooks: List[Callable[[asyncio.AbstractEventLoop], None]] = []


def on_new_loop(hook: Callable[[asyncio.AbstractEventLoop], None]) -> None:
    """Call ``hook(loop)`` whenever a loop gets its runtime state (outside the state lock)."""
    _new_loop_hooks.append(hook)


def _forget(loop: asyncio.AbstractEventLoop) -> None:
    global _last
    with _states_lock:
        _last = None
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


def program_ended(loop: asyncio.AbstractEventLoop) -> bool:
    """Whether the ``tls.run`` program on ``loop`` has ended (an uncaught exception, or done).

    ``run`` still runs the loop a little to clean up (cancel tasks, close
    transports): callbacks asyncio queued before the end, such as a
    transport's ``connection_lost`` after a protocol callback raised, must
    not reach user code then, as nothing runs after an uncaught exception
    ends a Node process.
    """
    st = _lookup(loop)   # (the last loop's state first, see _last)
    return st is not None and st.dead


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
    # (the last loop's state first, see _last: _state's lookups and lock only for another loop)
    last = _last
    st = last[1]() if last is not None and last[0]() is loop else None
    refs = (st or _state(loop)).refs
    key = id(obj)
    if key not in refs:
        refs[key] = obj


def _release(obj: Any, loop: Optional[asyncio.AbstractEventLoop] = None) -> None:
    key = id(obj)
    if loop is None:
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            loop = None
    last = _last
    if loop is not None and last is not None and last[0]() is loop:
        first = last[1]()
    else:
        first = _lookup(loop) if loop is not None else None
    candidates = [first] if first is not None and first.refs.get(key) is obj else _all_states()
    for st in candidates:
        if st.refs.get(key) is obj:
            del st.refs[key]
            st.inactive.pop(key, None)
            # The runner's check can only end the program when no handle is left or all that
            # are left are inactive (inactive is a subset of refs): otherwise it would find a
            # live ref and return, so the loop callback is not scheduled (two per connection).
            if st.runner is not None and len(st.inactive) >= len(st.refs):
                st.runner.schedule_check()


def unref_handle(obj: Any) -> None:
    """``obj.unref()``: it stays active but no longer keeps :func:`run` alive.
    Idempotent; never raises."""
    _release(obj)


def handle_closed(obj: Any, loop: Optional[asyncio.AbstractEventLoop] = None) -> None:
    """``obj`` is closed/destroyed for good: drop it (and our reference to
    it).  Idempotent; never raises.  Its owner must not call
    :func:`ref_handle` for it again.  ``loop``: the loop it was referenced on, when the
    caller knows it (else the running loop's state is tried first, then every loop's)."""
    _release(obj, loop)


def handle_inactive(obj: Any, loop: asyncio.AbstractEventLoop) -> None:
    """A referenced ``obj`` may no longer keep :func:`run` alive: Node's handle
    of a socket whose peer ended stops reading and is inactive unless it is
    writing.  From now on ``obj._handle_active()`` decides (True while it
    writes); the program may end with ``obj`` still referenced and open.
    Idempotent; for an unreferenced ``obj`` it does nothing."""
    st = _lookup(loop)
    key = id(obj)
    if st is None or st.refs.get(key) is not obj:
        return
    st.inactive[key] = obj
    if st.runner is not None and len(st.inactive) >= len(st.refs):   # as in _release
        st.runner.schedule_check()


def only_inactive_refs(st: _LoopState) -> Optional[bool]:
    """Whether every referenced handle is inactive: True / False, or None when
    all are marked inactive but one is still writing (ask again later)."""
    refs, inactive = st.refs, st.inactive
    if len(inactive) < len(refs):
        return False  # the usual case, in O(1)
    busy = False
    for key, obj in refs.items():
        if key not in inactive:
            return False
        if obj._handle_active():
            busy = True
    return None if busy else True


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
