"""The descriptor reactor: the sockets driven from C, watched by one epoll instance per asyncio loop.

Why
===

On asyncio's own selector loop a read event costs the loop's bookkeeping before the socket's callback
runs: the selector maps the descriptor back to its key, the event's handle goes into the ready queue,
comes out again and runs the callback in its context (seven Python calls), and registering or removing a
descriptor goes through the selector's key objects (about fifteen calls each way).  A server with many
connections pays that for every event and every connection.

What
====

:class:`Reactor` holds the descriptors of the sockets driven from C (tls._node.fd_transport registers its
reader and writer with :func:`poller_for`'s answer) in an epoll instance of its own (``select.epoll``), and
the loop's selector watches that one descriptor.  When it is ready the loop calls
:meth:`Reactor._on_ready`, which takes every ready descriptor in one C call and runs their callbacks in
the kernel's order, each in the context it was registered in (as asyncio's handles do); an exception is
reported through the loop's exception handler, as asyncio reports it, and the others still run.
Registering is one ``epoll_ctl()``.  Per event this saves ~5 Python calls when several descriptors are
ready in one loop iteration (many connections) and costs 5 when only one is (asyncio's dispatch of the
reactor's descriptor, then ours): so a lone descriptor stays with the loop itself (``_solo``), a second
one moves it into the epoll instance, and the last one left there goes back.

Order
=====

asyncio's: the callbacks of one loop iteration's ready descriptors run in the order the kernel reports
them, here as one batch at the reactor descriptor's place among the iteration's other handles.  Both
epoll instances are level-triggered, so a descriptor that is still ready is reported again in the next
iteration and nothing is lost when a callback does not read everything.  A callback that removes another
descriptor of the batch (a socket destroyed by a listener) is honoured as asyncio honours a cancelled
handle: what is no longer registered is skipped.

Where
=====

Only on asyncio's selector loop on Linux (its EpollSelector).  uvloop dispatches its events in C already
(a loop of ours in Python would cost more than it saves), and other loops keep their own ``add_reader``:
:func:`poller_for` returns the loop itself there, and ``TLS_REACTOR=0`` in the environment does the same
everywhere.  A forked child makes its own (a reactor belongs to a loop; the descriptor is close-on-exec
and closed with its reactor).
"""
from __future__ import annotations

import asyncio
import contextvars
import functools
import os
import select
import sys
import weakref
from typing import Any, Callable, Dict, Optional, Tuple

__all__ = ["ENABLED", "Reactor", "poller_for"]

ENABLED = sys.platform.startswith("linux") and os.environ.get("TLS_REACTOR", "1").strip().lower() not in (
    "0", "false", "no", "off")

_BATCH = 256   # descriptors taken per poll
_READ, _WRITE = 1, 2
# asyncio's EpollSelector's mapping: any event but EPOLLOUT counts as readable, any but EPOLLIN as
# writable (an error or a hang-up wakes both sides, which then see it in recv() / send())
_NOT_OUT = ~select.EPOLLOUT if hasattr(select, "epoll") else 0
_NOT_IN = ~select.EPOLLIN if hasattr(select, "epoll") else 0

_Entry = Tuple[Callable[[], Any], contextvars.Context]

_REACTOR_ATTR = "_tls_reactor"   # where a loop keeps its reactor


def poller_for(loop: Any) -> Any:
    """What the sockets driven from C on ``loop`` register their descriptors with: the loop's Reactor on
    asyncio's epoll selector loop, else the loop itself (the same four methods).  The reactor is kept on
    the loop (an attribute: the two go together, and a closed loop is collected with its reactor)."""
    poller = getattr(loop, _REACTOR_ATTR, None)
    if poller is not None:
        return poller
    if ENABLED and isinstance(loop, asyncio.BaseEventLoop) \
            and type(getattr(loop, "_selector", None)).__name__ == "EpollSelector":
        poller = Reactor(loop, select.epoll())
        try:
            setattr(loop, _REACTOR_ATTR, poller)
        except (AttributeError, TypeError):   # a loop class that takes no attributes: keeps its own
            return loop
        return poller
    return loop


class Reactor:
    """One epoll instance for one loop's sockets driven from C (see the module docstring)."""

    __slots__ = ("_loop", "_epoll", "_readers", "_writers", "_masks", "_watched", "_solo", "__weakref__")

    def __init__(self, loop: Any, epoll: Any) -> None:
        self._loop = loop
        self._epoll = epoll
        self._readers: Dict[int, _Entry] = {}
        self._writers: Dict[int, _Entry] = {}
        self._masks: Dict[int, int] = {}
        self._watched = False   # the loop's selector holds the reactor's descriptor
        self._solo: Optional[int] = None   # a lone descriptor, registered with the loop itself
        weakref.finalize(self, epoll.close)

    # -- the loop's four methods --------------------------------------------------------------
    # A lone descriptor (the reactor holds no other) stays with the loop itself (_solo): one
    # connection's events go through asyncio's dispatch alone, not through asyncio's and then ours
    # (5 calls more per event); a second descriptor moves it into the epoll instance, and the last
    # one left there goes back to the loop.
    def add_reader(self, fd: int, callback: Callable[[], Any]) -> None:
        self._add(fd, callback, self._readers, _READ)

    def add_writer(self, fd: int, callback: Callable[[], Any]) -> None:
        self._add(fd, callback, self._writers, _WRITE)

    def remove_reader(self, fd: int) -> bool:
        return self._remove(fd, self._readers, _READ)

    def remove_writer(self, fd: int) -> bool:
        return self._remove(fd, self._writers, _WRITE)

    # -- inside -------------------------------------------------------------------------------
    def _add(self, fd: int, callback: Callable[[], Any], entries: Dict[int, _Entry], bit: int) -> None:
        known = fd in entries
        entries[fd] = (callback, contextvars.copy_context())
        solo = self._solo
        if fd == solo or (solo is None and not self._masks):
            self._solo = fd
            if bit == _READ:
                self._loop.add_reader(fd, callback)
            else:
                self._loop.add_writer(fd, callback)
            return
        if solo is not None:
            self._promote(solo)
        if not known:
            self._set(fd, self._masks.get(fd, 0) | bit)

    def _remove(self, fd: int, entries: Dict[int, _Entry], bit: int) -> bool:
        if entries.pop(fd, None) is None:
            return False
        if fd == self._solo:
            if bit == _READ:
                self._loop.remove_reader(fd)
            else:
                self._loop.remove_writer(fd)
            if fd not in self._readers and fd not in self._writers:
                self._solo = None
            return True
        self._set(fd, self._masks.get(fd, 0) & ~bit)
        masks = self._masks
        if len(masks) == 1 and fd not in masks:
            self._demote(next(iter(masks)))
        return True

    def _promote(self, fd: int) -> None:
        """The lone descriptor leaves the loop for the epoll instance (a second one arrived)."""
        self._solo = None
        mask = 0
        if fd in self._readers:
            self._loop.remove_reader(fd)
            mask |= _READ
        if fd in self._writers:
            self._loop.remove_writer(fd)
            mask |= _WRITE
        self._set(fd, mask)

    def _demote(self, fd: int) -> None:
        """The last descriptor of the epoll instance goes back to the loop (see _add)."""
        self._set(fd, 0)
        self._solo = fd
        # each callback in the context it was registered in (not the one current here: another
        # descriptor's callback may be running, in a context that cannot be entered again)
        entry = self._readers.get(fd)
        if entry is not None:
            self._loop.add_reader(fd, functools.partial(entry[1].run, entry[0]))
        entry = self._writers.get(fd)
        if entry is not None:
            self._loop.add_writer(fd, functools.partial(entry[1].run, entry[0]))

    def _set(self, fd: int, mask: int) -> None:
        masks = self._masks
        old = masks.get(fd, 0)
        if mask == old:
            return
        epoll = self._epoll
        events = (select.EPOLLIN if mask & _READ else 0) | (select.EPOLLOUT if mask & _WRITE else 0)
        if not old:
            try:
                epoll.register(fd, events)
            except FileExistsError:   # closed behind our back and its number reused: take it again
                epoll.modify(fd, events)
        elif not mask:
            try:
                epoll.unregister(fd)
            except OSError:           # closed already: epoll dropped it with its last reference
                pass
        else:
            try:
                epoll.modify(fd, events)
            except FileNotFoundError:
                epoll.register(fd, events)
        if mask:
            masks[fd] = mask
            if not self._watched:
                # once, for the loop's life: the loop's selector keeps no count of its readers and an
                # idle reactor's descriptor is never ready
                self._watched = True
                self._loop.add_reader(epoll.fileno(), self._on_ready)
        else:
            del masks[fd]

    def _on_ready(self) -> None:
        """The reactor's descriptor is readable: run the ready descriptors' callbacks."""
        try:
            ready = self._epoll.poll(0, _BATCH)
        except InterruptedError:
            return   # (the loop calls again: the descriptor is still readable)
        readers, writers = self._readers, self._writers
        for fd, events in ready:
            if events & _NOT_OUT:   # readable (asyncio's EpollSelector mapping, above)
                self._run(readers.get(fd))
            if events & _NOT_IN:    # writable
                self._run(writers.get(fd))

    def _run(self, entry: Optional[_Entry]) -> None:
        """One callback of the batch, in its context; None: removed meanwhile (skipped, as asyncio skips a
        cancelled handle)."""
        if entry is None:
            return
        try:
            entry[1].run(entry[0])
        except (SystemExit, KeyboardInterrupt):
            raise
        except BaseException as exc:
            self._report(exc, entry[0])

    def _report(self, exc: BaseException, callback: Any) -> None:
        """As asyncio's Handle._run reports a callback's exception."""
        self._loop.call_exception_handler({"message": "Exception in callback %r" % (callback,), "exception": exc})
