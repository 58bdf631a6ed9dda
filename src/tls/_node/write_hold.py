"""The hold: a TLS write counts in ``writableLength`` until a later tick, as Node's does; and the release pass.

Mixed into ``net.Socket`` through ``StreamMixin`` (stream.py, whose ``write()`` has the hold's first steps
inlined: the per-write path); only a TLSSocket holds (``_hold_flushed_length``).  The rules and the costs are
the essay in the class below.
"""
from __future__ import annotations

from collections import deque
from typing import TYPE_CHECKING, Any, Callable, Optional

from .readable import ReadableMixin, _dispatch
from .socket_protocol import _soon_caller

if TYPE_CHECKING:
    import asyncio

__all__ = ["RELEASE_PASS_LIMIT", "WriteHoldMixin"]

# Releases one release pass makes at most before the rest wait for the next loop iteration
# ("The release pass"): 256 x 16 KiB writes, 4 MiB, about what the kernel takes on loopback.
RELEASE_PASS_LIMIT = 256


class WriteHoldMixin(ReadableMixin):
    """The hold's state and its releases (see the essay below)."""

    if TYPE_CHECKING:
        _loop: asyncio.AbstractEventLoop
        _need_drain: bool
        _write_paused: bool
        destroyed: bool

        def _on_write_drained(self) -> None: ...

    # The hold (TLSSocket).  Node's TLS write completes a tick after write() (TLSWrap encrypts it
    # at once, but reports the write done from a setImmediate), so writableLength / bufferSize
    # still count it right after write() -- 1..9 after nine one-byte writes -- and a burst of
    # writes in one tick returns False at writableHighWaterMark, 'drain' following.  Here the
    # records are handed to the transport at once, so the written bytes are *held*: they count in
    # writableLength until they are released on the next tick, in Node's order: Node's Writable has
    # one write in flight at a time, and the writes made meanwhile go out together (one writev) when
    # it completes, so after nine one-byte writes with callbacks the first callback sees 8 and the
    # other eight see 0.  Two ways to release:
    #   * scheduled: the first write of a tick schedules its own release (_release_first, through
    #     one reusable handle: _soon_caller), the writes behind it share a second one (_hold_behind),
    #     and both releases are scheduled before the callbacks of the writes they release, which so
    #     see the length released.  Writes queued before the handshake (or corked) are held the same
    #     way when _set_ready flushes them, as one write.
    #   * scoped (the echo's path): when the tick's first write has no callback and is made while
    #     a 'data' is being dispatched (readable._push: _dispatch.owner), its bytes and those of
    #     the writes behind it are held in _held_scoped, and the dispatch releases them when its
    #     listeners have returned, for nothing: no handle, and no loop iteration of its own.  A
    #     scheduled release costs one handle (4 calls) and, whenever the peer has not answered yet
    #     when the loop polls again, a whole extra iteration of the loop (select(0) before the
    #     real wait: ~15 calls; 45 -> 60 calls per echo round trip).  Scoped, what the listener
    #     reads after its writes sees them held, and every later tick (the next event, a timer,
    #     an immediate, a write callback, a foreign asyncio callback) sees them released, as in
    #     Node; what differs is only earlier: another callback of the same loop iteration (another
    #     socket's event), or a nextTick queued by the listener (Node: still held; the scheduled
    #     release showed 0 there too) sees 0.  A write that returns False in the dispatch moves
    #     the hold to the scheduled release (_hold_past_dispatch), whose 'drain' so comes on the
    #     next tick; so does a later write with a callback (or a flush of queued writes), which is
    #     held behind it, so that the callback sees all released, as it would have without the
    #     scope.  A write to another socket in the dispatch joins it (_dispatch.others).
    # The release pass.  Node reports a write that the kernel took at once done from a *native*
    # immediate, and it runs the native immediates queued while it runs them in the same pass: a
    # 'drain' listener's write, done at once, has its own completion and 'drain' in that pass, and
    # so on until the kernel pushes back (a bulk writer in Node emits ~260 'drain's between two
    # setImmediate callbacks on loopback).  So here: a release that emits 'drain' opens a pass
    # (_dispatch.releases), the first held write of any socket made during it joins the pass
    # instead of scheduling a handle, and the pass releases them in order until none is left.
    # The transport pausing (the kernel's buffer full) ends the chain as EAGAIN ends Node's; a
    # pass also stops after RELEASE_PASS_LIMIT releases (a peer that reads as fast as we write
    # would otherwise hold the loop), the rest keeping their own handles.  One loop iteration
    # per 'drain' cost a bulk writer ~half its speed (2026-12-07 full run: 0.54x Node).
    # The cost per write is constant: a test and an add, at most two callbacks per tick.
    _hold_flushed_length = False
    _held_bytes = 0     # written, not yet released: counts in writableLength
    _held_first = 0     # the first held write (_release_first)
    _held_open = 0      # the bytes behind it, released together (_release_open)
    # (_held_scoped, the bytes released when the 'data' dispatch returns, is ReadableMixin's: _push)
    _release_soon: Optional[Callable[[], Any]] = None   # schedules _release_first (made on first use)

    def _hold(self, size: int) -> None:
        """Hold ``size`` written bytes until the next tick (write() has this inlined)."""
        if not self._held_bytes:
            self._held_first = size
            self._schedule_release_first()
        else:
            if self._held_scoped:   # (the flushed writes' callbacks must run after the release)
                self._hold_past_dispatch()
            self._hold_behind(size)
        self._held_bytes += size

    def _release_scoped(self) -> None:
        """The 'data' dispatch its writes were made in returned (readable._push): release them."""
        self._held_bytes -= self._held_scoped
        self._held_scoped = 0

    def _hold_past_dispatch(self) -> None:
        """What a 'data' dispatch holds goes to the scheduled release, as the first write of a
        tick: write() returned False (_release_first emits the 'drain' a tick later), or a write
        with a callback follows (scheduled behind it, so the callback sees both released)."""
        self._held_first = self._held_scoped
        self._held_scoped = 0
        self._schedule_release_first()

    def _schedule_release_first(self) -> None:
        """Schedule _release_first through the socket's one reusable handle, or join the release
        pass under way (write() has this inlined)."""
        releases = _dispatch.releases
        if releases is not None:
            releases.append(self)
            return
        soon = self._release_soon
        if soon is None:
            soon = self._release_soon = _soon_caller(self._loop, self._release_first)
        soon()

    def _hold_behind(self, size: int) -> None:
        """Hold ``size`` bytes written behind the held first write: they are released together."""
        if self._held_open:
            self._held_open += size
        else:
            self._held_open = size
            self._loop.call_soon(self._release_open)

    def _release_first(self) -> None:
        """The first held write of a tick completes (Node's onwrite; its handle calls this), and
        opens a release pass when that emits 'drain' (see "The release pass" above)."""
        if not self._complete_first():
            return
        dispatch = _dispatch
        if dispatch.releases is not None:   # (a pass under way already: it goes on after us)
            self._on_write_drained()
            return
        releases = dispatch.releases = deque()
        try:
            self._on_write_drained()
            budget = RELEASE_PASS_LIMIT - 1   # (this one emitted the first)
            while releases and budget:
                budget -= 1
                other = releases.popleft()
                if other._complete_first():
                    other._on_write_drained()
        finally:
            dispatch.releases = None
            while releases:   # past the budget, or a listener raised: their own handles
                releases.popleft()._schedule_release_first()

    def _complete_first(self) -> bool:
        """Release the first held write; whether its completion emits 'drain' (as _release_open)."""
        self._held_bytes -= self._held_first
        self._held_first = 0
        return self._need_drain and not self._held_bytes and not self._write_paused and not self.destroyed

    def _release_open(self) -> None:
        """The writes behind the first complete together (Node's writev of the buffered writes)."""
        self._held_bytes -= self._held_open
        self._held_open = 0
        if self._need_drain and not self._held_bytes and not self._write_paused and not self.destroyed:
            # what held writableLength up is gone: the 'drain' that write() / _set_ready could not emit
            self._on_write_drained()
