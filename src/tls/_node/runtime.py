"""The bridge between Node's process model and asyncio: ``tls.run``, and the runtime as one module.

Python code normally lives inside ``asyncio.run(main())`` and ends when
``main`` returns; a Node-style script instead sets things up and returns, and
the program ends when the last referenced handle goes away.  :func:`run`
runs such a program on a fresh loop until no referenced handle and no queued
callback is left; an uncaught exception in any callback ends it and is
re-raised, as it ends a Node process.

The runtime is three modules, shown here as one (``runtime.X`` for each):

* loopstate.py -- the per-loop state: :func:`get_loop`, the referenced
  handles (:func:`ref_handle`, :func:`unref_handle`, :func:`handle_closed`),
  ``nextTick`` / ``queueMicrotask`` and :func:`spawn`;
* timers.py -- Node's timers (``setTimeout`` ... ``setImmediate``),
  ref-tracked in that state;
* this module -- :func:`run`, which watches that state to end the program.

Signals.  A Python signal handler runs in the main thread when the
interpreter next gets control; a loop asleep in ``select`` only gets it back
when the signal's byte arrives on a descriptor the loop watches.  So ``run``
points ``signal.set_wakeup_fd`` at a socket of its own that the loop reads
(asyncio does that only for ``loop.add_signal_handler``): a plain
``signal.signal(SIGTERM, handler)`` that calls ``server.close()`` then ends
the program as it would in Node, and so do ``tls.process.on('SIGTERM', ...)``
listeners (process.py).  Ctrl-C with no SIGINT listener ends the program as
Node's does: the clean-up of ``run`` runs, then the process dies of SIGINT
(status 130 in a shell) without a traceback.
"""
from __future__ import annotations

import asyncio
import inspect
import signal
import socket
import sys
import threading
from collections import deque
from typing import Any, Awaitable, Callable, Dict, Optional, Tuple, TypeVar, overload

from .._base.errors import NodeError
from .aio import AsyncSocketMixin
from .socket_protocol import _soon_caller
from .loopstate import (
    _check_callback, _forget, _LoopState, _state, active_handles, get_loop, handle_closed, has_ref, nextTick,
    LoopOnFirstUse, handle_inactive, only_inactive_refs, program_ended, running_loop, queueMicrotask, ref_handle,
    spawn, unref_handle,
)
from .timers import (
    TIMEOUT_MAX, Immediate, Timeout, TimeoutOverflowWarning, clearImmediate, clearInterval, clearTimeout,
    setImmediate, setInterval, setTimeout,
)

__all__ = [
    "get_loop", "ref_handle", "unref_handle", "handle_closed", "has_ref", "active_handles",
    "run", "spawn", "setTimeout", "clearTimeout", "setInterval", "clearInterval",
    "setImmediate", "clearImmediate", "queueMicrotask", "nextTick", "Timeout", "Immediate",
    "TimeoutOverflowWarning", "TIMEOUT_MAX", "program_ended", "handle_inactive",
    "LoopOnFirstUse", "running_loop",
]

# Loops whose private ``_ready`` deque is not available (uvloop) cannot be
# checked for queued callbacks; ``run`` then lets this many idle loop
# iterations pass before deciding the program is done.
_IDLE_SPINS = 4
# How soon the end of the program is looked at again while the only referenced handles are
# sockets whose peer ended and which still have bytes to write.
_WRITING_RECHECK = 0.05


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
        # the check is queued again and again while a connection's closing callbacks run (~4
        # times per connection): one reusable handle, not a new Handle each time (socket_protocol)
        self._queue_check = _soon_caller(loop, self.check)

    async def main(self, fn: Any, args: Tuple[Any, ...]) -> Any:
        result = fn(*args) if callable(fn) else fn
        # a socket is awaitable (it resolves once connected), but a main() that returns one
        # (``lambda: tls.connect(...)``) leaves its errors to its 'error' listeners, as in Node
        if inspect.isawaitable(result) and not isinstance(result, AsyncSocketMixin):
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
        self._queue_check()

    def check(self) -> None:
        """End the program if nothing can happen any more.

        Called soon after the last referenced handle went away; re-schedules
        itself while callbacks are queued (a 'close' emitted on the next
        tick must still run), and does nothing while a handle is referenced
        (the next release calls it again), so it never spins idly.
        """
        self.check_pending = False
        st = self.st
        if not self.main_finished or st.dead or self.closing:
            self.spins = 0
            return
        if st.refs:
            # Handles whose peer ended count only while they write (loopstate.handle_inactive).
            inactive = only_inactive_refs(st) if st.inactive else False
            if inactive is None:  # one still writing: look again soon (only in this rare state)
                self.loop.call_later(_WRITING_RECHECK, self.schedule_check)
            if not inactive:
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
        return _run_program(fn, args)
    except KeyboardInterrupt:
        if not _dies_of_sigint():
            raise
        # Node's Ctrl-C: no traceback, the process ends by the signal itself.
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except (OSError, ValueError):
                pass
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        signal.raise_signal(signal.SIGINT)
        raise  # only if SIGINT did not end the process (it is blocked)


def _dies_of_sigint() -> bool:
    """Ctrl-C under run ends the process when nothing else took SIGINT: the main
    thread, with Python's default handler in place (no tls.process listener, no
    handler of the user's)."""
    return (threading.current_thread() is threading.main_thread()
            and signal.getsignal(signal.SIGINT) is signal.default_int_handler)


def _run_program(fn: Any, args: Tuple[Any, ...]) -> Any:
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
    wakeup = _SignalWakeup(loop)
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
            wakeup.close()
            st.runner = None
            st.refs.clear()
            st.tasks.clear()
            asyncio.set_event_loop(None)
            loop.close()
            _forget(loop)


class _SignalWakeup:
    """Wakes the loop when a signal arrives (see "Signals" above).

    Only in the main thread (the only one Python delivers signals to) and only
    when no wakeup descriptor is set already (asyncio's own, for
    ``add_signal_handler``, or an embedding program's): then ``set_wakeup_fd``
    points at one end of a socket pair whose other end the loop reads and
    empties.  The previous setting is restored when ``run`` ends.
    """

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.pair: Optional[Tuple[socket.socket, socket.socket]] = None
        if threading.current_thread() is not threading.main_thread():
            return
        reader, writer = socket.socketpair()
        reader.setblocking(False)
        writer.setblocking(False)
        try:
            previous = signal.set_wakeup_fd(writer.fileno(), warn_on_full_buffer=False)
        except (ValueError, OSError):
            previous = -2
        if previous != -1:  # somebody else's: leave it
            if previous != -2:
                signal.set_wakeup_fd(previous)
            reader.close()
            writer.close()
            return
        self.pair = (reader, writer)
        loop.add_reader(reader.fileno(), self.drain)

    def drain(self) -> None:
        assert self.pair is not None
        try:
            while self.pair[0].recv(4096):
                pass
        except (BlockingIOError, InterruptedError):
            pass

    def close(self) -> None:
        if self.pair is None:
            return
        reader, writer = self.pair
        self.pair = None
        current = signal.set_wakeup_fd(-1)
        if current not in (-1, writer.fileno()):
            signal.set_wakeup_fd(current)  # replaced while we ran (asyncio's add_signal_handler): theirs stays
        try:
            self.loop.remove_reader(reader.fileno())
        except (ValueError, OSError, RuntimeError):
            pass
        reader.close()
        writer.close()


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
