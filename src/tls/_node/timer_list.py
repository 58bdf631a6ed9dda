"""Many timeouts of one duration on one loop timer: Node's timer lists, for per-connection timeouts.

Node keeps one list per duration (lib/internal/timers.js): every timer of that duration is
appended to the list, so the list is ordered by deadline, and one libuv timer, armed for the
list's head, serves the whole list.  A tls.Server starts a handshake timeout (handshakeTimeout,
120 s by default) for every connection and cancels it when the handshake ends, almost always
long before it fires; with one asyncio ``call_later`` each, that is a TimerHandle (its context,
a heap push) and a cancel per connection, ~15 Python calls (issue 14).  Here:

* ``start(callback)`` appends ``[deadline, callback, list]`` to a deque and arms the loop timer
  only when none is armed (a deadline is never earlier than the armed one: one duration, and the
  loop's clock is monotonic);
* ``cancel(entry)`` clears the entry's callback in place (O(1)); cancelled entries at the head
  are dropped at once, the others when they reach the head, or in one pass when they are over
  half of a long list (so a slow handshake at the head cannot hold a long tail of finished ones);
* the loop timer fires at the head's deadline, runs every due callback in order (as asyncio
  runs due TimerHandles back to back in one iteration), re-arms for the first live entry, and
  reports a callback's exception to the loop's exception handler as a Handle would, going on
  with the others.  An armed timer whose entries were all cancelled fires once for nothing
  (it does not keep ``tls.run`` alive: only referenced handles do).
"""
from __future__ import annotations

import asyncio
from collections import deque
from typing import Any, Callable, Deque, List, Optional

__all__ = ["TimerList", "cancel"]

# entries are lists, mutated in place: [deadline, callback or None once cancelled/run, owner]
_WHEN, _CALLBACK, _OWNER = 0, 1, 2
_COMPACT_AT = 64   # a list this long with half of it cancelled is compacted in one pass


class TimerList:
    """The timeouts of ``delay`` seconds on ``loop`` (see the module docstring)."""

    __slots__ = ("loop", "delay", "_entries", "_handle", "_cancelled")

    def __init__(self, loop: asyncio.AbstractEventLoop, delay: float) -> None:
        self.loop = loop
        self.delay = delay
        self._entries: Deque[List[Any]] = deque()
        self._handle: Optional[asyncio.TimerHandle] = None
        self._cancelled = 0

    def start(self, callback: Callable[[], Any]) -> List[Any]:
        """Call ``callback()`` in ``delay`` seconds unless :func:`cancel` gets its entry first."""
        when = self.loop.time() + self.delay
        entry = [when, callback, self]
        self._entries.append(entry)
        if self._handle is None:
            self._handle = self.loop.call_at(when, self._fire)
        return entry

    def _fire(self) -> None:
        self._handle = None
        loop, entries = self.loop, self._entries
        # asyncio runs a timer due within its clock resolution: so do we (no early re-arm spin)
        limit = loop.time() + getattr(loop, "_clock_resolution", 0.0)
        due = []
        while entries and entries[0][_WHEN] <= limit:
            entry = entries.popleft()
            callback = entry[_CALLBACK]
            if callback is None:
                self._cancelled -= 1
            else:
                entry[_CALLBACK] = None
                due.append(callback)
        self._drop_cancelled_head()
        if entries:
            self._handle = loop.call_at(entries[0][_WHEN], self._fire)
        for callback in due:
            try:
                callback()
            except (SystemExit, KeyboardInterrupt):
                raise
            except BaseException as exc:   # as asyncio's Handle._run reports it, then the next one
                loop.call_exception_handler({"message": "Exception in callback %r" % (callback,),
                                             "exception": exc})

    def _drop_cancelled_head(self) -> None:
        entries = self._entries
        while entries and entries[0][_CALLBACK] is None:
            entries.popleft()
            self._cancelled -= 1

    def _compact(self) -> None:
        self._entries = deque(entry for entry in self._entries if entry[_CALLBACK] is not None)
        self._cancelled = 0


def cancel(entry: List[Any]) -> None:
    """Cancel a timeout :meth:`TimerList.start` returned; idempotent (also after it ran)."""
    if entry[_CALLBACK] is None:
        return
    entry[_CALLBACK] = None
    timers: TimerList = entry[_OWNER]
    timers._cancelled += 1
    entries = timers._entries
    if entries[0] is entry:
        timers._drop_cancelled_head()
    elif timers._cancelled >= _COMPACT_AT and timers._cancelled * 2 > len(entries):
        timers._compact()
