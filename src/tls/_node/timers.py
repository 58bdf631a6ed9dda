"""Node's timers on the loop: ``setTimeout`` / ``setInterval`` / ``setImmediate``, their ``clear*``.

A pending ``Timeout`` (``call_later``) and a queued ``Immediate`` are
referenced handles of the loop (loopstate.py) unless ``unref()``-ed, so
``tls.run`` waits for them.  Node's order is kept: a timer or immediate
callback runs the pending nextTicks first and after itself, and one check
phase runs the immediates queued before it (those they queue wait for the
next).  A delay Node would not take (not a number, below 1, above
``TIMEOUT_MAX``) becomes 1 ms, with Node's ``TimeoutOverflowWarning`` for
the too large ones.

Apart from the loop state because they are the one part of the runtime a
user calls with arbitrary values and holds on to (``Timeout`` objects, their
``int()`` ids); they only add handles and callbacks to the state, which never
needs them.  runtime.py re-exports them (``tls._node.runtime.setTimeout``).
"""
from __future__ import annotations

import asyncio
import itertools
import math
import warnings
import weakref
from collections import deque
from typing import Any, Callable, Optional, Tuple, TypeVar

from .loopstate import (
    _check_callback, _invoke, _LoopState, _run_ticks, _state, get_loop, handle_closed, ref_handle, unref_handle,
)

__all__ = [
    "setTimeout", "clearTimeout", "setInterval", "clearInterval", "setImmediate", "clearImmediate",
    "Timeout", "Immediate", "TimeoutOverflowWarning", "TIMEOUT_MAX",
]

#: Largest delay Node accepts (ms); larger ones become 1 ms with a warning.
TIMEOUT_MAX = 2 ** 31 - 1


class TimeoutOverflowWarning(RuntimeWarning):
    """A timer delay above ``TIMEOUT_MAX`` was set to 1 ms (as Node warns)."""


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


_H = TypeVar("_H", bound="_Handle")


class _Handle:
    """What a Timeout and an Immediate share: a callback with its arguments,
    and Node's ``ref()`` / ``unref()`` / ``hasRef()`` on the loop's referenced
    handles (a handle that is done no longer counts, even when ref'ed)."""

    __slots__ = ("_loop", "_callback", "_args", "_refed", "_destroyed", "__weakref__")

    _loop: asyncio.AbstractEventLoop
    _callback: Callable[..., Any]
    _args: Tuple[Any, ...]
    _refed: bool
    _destroyed: bool

    def ref(self: _H) -> _H:
        """Make the handle keep the program alive again (the default)."""
        if not self._refed:
            self._refed = True
            if not self._destroyed:
                ref_handle(self, self._loop)
        return self

    def unref(self: _H) -> _H:
        """Let the program end while this handle is pending."""
        self._refed = False
        unref_handle(self)
        return self

    def hasRef(self) -> bool:
        return self._refed


class Timeout(_Handle):
    """What ``setTimeout``/``setInterval`` return (Node's ``Timeout``).

    A pending timer is a referenced handle unless ``unref()``-ed.
    ``int(timeout)`` is Node's ``timeout[Symbol.toPrimitive]()``: an id that
    ``clearTimeout`` also accepts.
    """

    __slots__ = ("_idleTimeout", "_repeat", "_timer", "_id")

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


class Immediate(_Handle):
    """What ``setImmediate`` returns (Node's ``Immediate``)."""

    __slots__ = ()

    def __init__(self, loop: asyncio.AbstractEventLoop, callback: Callable[..., Any],
                 args: Tuple[Any, ...]) -> None:
        self._loop = loop
        self._callback = callback
        self._args = args
        self._refed = True
        self._destroyed = False

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
