"""Running a test body on asyncio, and waiting on our own emitters.

Every async test body runs on a fresh event loop under a deadline
(``asyncio.wait_for``), with a faulthandler watchdog behind it that dumps the
stacks and ends the process if the loop itself is wedged (then ``wait_for``
cannot fire).  No helper here sleeps to synchronise: each waits for an event.
"""
from __future__ import annotations

import asyncio
import faulthandler
import functools
import hashlib
import random
import threading
import time
from typing import Any, Awaitable, Callable, Dict, List, Optional

import tls
from tls import events

# Hard limit for one test body if the loop is blocked and wait_for cannot fire.
_HARD_LIMIT = 90

DEFAULT_TIMEOUT = 20.0


def _uvloop_loop() -> asyncio.AbstractEventLoop:
    # imported only when a test asks for uvloop: it is in the test extras, and a missing
    # uvloop then fails those runs (ImportError) instead of every test module
    import uvloop
    return uvloop.new_event_loop()


LOOP_FACTORIES: Dict[str, Callable[[], asyncio.AbstractEventLoop]] = {
    "asyncio": asyncio.new_event_loop, "uvloop": _uvloop_loop}


def run_async(coro: Awaitable[Any], timeout: float = DEFAULT_TIMEOUT) -> Any:
    """``asyncio.run(coro)`` under a deadline of ``timeout`` seconds (and the hard watchdog)."""
    async def main() -> Any:
        return await asyncio.wait_for(coro, timeout)
    faulthandler.dump_traceback_later(_HARD_LIMIT, exit=True)
    try:
        return asyncio.run(main())
    finally:
        faulthandler.cancel_dump_traceback_later()


def run_on(loop_name: str, make_coro: Callable[[], Any], timeout: float) -> Any:
    """Run ``make_coro()`` on a fresh loop from ``loop_name``'s factory, with a deadline
    (``asyncio.Runner(loop_factory=...)``, written out so it works before 3.11 too)."""
    loop = LOOP_FACTORIES[loop_name]()
    faulthandler.dump_traceback_later(_HARD_LIMIT, exit=True)
    try:
        asyncio.set_event_loop(loop)
        return loop.run_until_complete(asyncio.wait_for(make_coro(), timeout))
    finally:
        faulthandler.cancel_dump_traceback_later()
        try:
            pending = [t for t in asyncio.all_tasks(loop) if not t.done()]
            for task in pending:
                task.cancel()
            if pending:
                loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
            loop.run_until_complete(loop.shutdown_asyncgens())
        finally:
            asyncio.set_event_loop(None)
            loop.close()


# async_test(loop=FROM_FIXTURE): the loop the test's ``loop_name`` fixture names (tests/conftest.py
# parametrizes it over LOOP_FACTORIES, so such a test runs once per loop)
FROM_FIXTURE = "loop_name"


def async_test(timeout: float = DEFAULT_TIMEOUT, loop: Optional[str] = None) -> Callable:
    """Run ``async def test_x(...)`` on a fresh loop with a deadline.

    ``loop``: None for ``asyncio.run`` (:func:`run_async`), a name of LOOP_FACTORIES for that
    loop, or FROM_FIXTURE for the one the test's ``loop_name`` fixture names.
    """
    def decorate(fn: Callable) -> Callable:
        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if loop is None:
                return run_async(fn(*args, **kwargs), timeout)
            name = kwargs["loop_name"] if loop == FROM_FIXTURE else loop
            return run_on(name, lambda: fn(*args, **kwargs), timeout)
        return wrapper
    return decorate


class CallbackFailed(AssertionError):
    pass


def arun(fn: Callable[..., Any], *args: Any, limit: float = 30.0) -> Any:
    """asyncio.run(fn(*args)) with a deadline; an exception raised in any
    callback (event listener, protocol) fails the test instead of being logged."""
    async def main() -> Any:
        loop = asyncio.get_running_loop()
        task = asyncio.current_task()
        errors: List[Dict[str, Any]] = []

        def handler(loop: Any, context: Dict[str, Any]) -> None:
            if context.get("exception") is None:
                loop.default_exception_handler(context)
                return
            errors.append(context)
            task.cancel()

        loop.set_exception_handler(handler)
        try:
            return await asyncio.wait_for(fn(*args), limit)
        except asyncio.CancelledError:
            if errors:
                raise CallbackFailed(errors[0].get("message")) from errors[0]["exception"]
            raise

    return asyncio.run(main())


class Hung(AssertionError):
    """A program under ``tls.run`` did not finish in time."""


def run_guarded(fn: Callable[..., Any], *args: Any, limit: float = 10.0) -> Any:
    """tls.run(fn, *args) with two guards so that no test can hang: an in-loop
    timer raising ``Hung`` (a plain asyncio timer, holding nothing) and a
    watchdog thread stopping the loop should even that not end it (which
    fails the test: the run ignored its guard).  Returns what tls.run does."""
    loops: List[Any] = []
    hung: List[bool] = []

    def main(*a: Any) -> Any:
        loop = asyncio.get_running_loop()
        loops.append(loop)

        def hang() -> None:
            raise Hung("tls.run() did not finish within %s s" % limit)

        loop.call_later(limit, hang)
        return fn(*a)

    def watchdog() -> None:
        if loops and not loops[0].is_closed():
            hung.append(True)
            try:
                loops[0].call_soon_threadsafe(loops[0].stop)
            except RuntimeError:
                pass

    timer = threading.Timer(limit + 5, watchdog)
    timer.daemon = True
    timer.start()
    try:
        return tls.run(main, *args)
    finally:
        timer.cancel()
        assert not hung, "tls.run() ignored the failing guard"


def guarded_run(fn: Callable[..., Any], limit: float = 10.0) -> float:
    """:func:`run_guarded` of ``fn``; returns how long it ran."""
    start = time.monotonic()
    run_guarded(fn, limit=limit)
    return time.monotonic() - start


# -- waiting on our own emitters ------------------------------------------------------

async def once(emitter: Any, name: str) -> List[Any]:
    """events.once: the event's arguments; raises if 'error' comes first."""
    return await events.once(emitter, name)


def future_event(emitter: Any, name: str) -> "asyncio.Future[Any]":
    """A future with the arguments of the next ``name`` event, listening from
    now on (no 'error' handling: for events that must come, and for 'close')."""
    fut = asyncio.get_running_loop().create_future()
    emitter.once(name, lambda *a: fut.done() or fut.set_result(a))
    return fut


def when(emitter: Any, name: str) -> "asyncio.Future[Any]":
    """A future for the next ``name``, listening from now on (``events.once``
    only starts listening once its coroutine runs); an 'error' first fails
    it, except when waiting for 'close' (which follows every 'error')."""
    fut = asyncio.get_running_loop().create_future()

    def on_event(*args: Any) -> None:
        emitter.removeListener("error", on_error)
        if not fut.done():
            fut.set_result(list(args))

    def on_error(err: Any) -> None:
        emitter.removeListener(name, on_event)
        if not fut.done():
            fut.set_exception(err)

    emitter.once(name, on_event)
    if name != "close":
        emitter.once("error", on_error)
    return fut


async def wait(aw: Any, limit: float = 10.0) -> Any:
    return await asyncio.wait_for(aw, limit)


async def settle(iterations: int = 5) -> None:
    """Let a few loop iterations pass (to see that nothing else is emitted)."""
    for _ in range(iterations):
        await asyncio.sleep(0)


class Recorder:
    """Records every event of interest from an emitter, in order, with futures."""

    def __init__(self, emitter: Any, *names: str) -> None:
        self.emitter = emitter
        self.log: List[tuple] = []
        self._loop = asyncio.get_running_loop()
        self._futures: Dict[str, asyncio.Future] = {}
        self._next: List[tuple] = []
        for name in names:
            emitter.on(name, functools.partial(self._on, name))

    def _on(self, name: str, *args: Any) -> None:
        self.log.append((name,) + args)
        fut = self._futures.get(name)
        if fut is not None and not fut.done():
            fut.set_result(args)
        for waiter in list(self._next):
            wname, start, wfut = waiter
            if wname == name and len(self.log) > start and not wfut.done():
                wfut.set_result(args)
                self._next.remove(waiter)

    def names(self) -> List[str]:
        return [entry[0] for entry in self.log]

    def args(self, name: str) -> List[tuple]:
        return [entry[1:] for entry in self.log if entry[0] == name]

    async def wait(self, name: str) -> tuple:
        for entry in self.log:
            if entry[0] == name:
                return entry[1:]
        fut = self._futures.get(name)
        if fut is None:
            fut = self._futures[name] = self._loop.create_future()
        return await fut

    async def wait_next(self, name: str, start: int) -> tuple:
        """The first ``name`` event at log index ``start`` or later."""
        for entry in self.log[start:]:
            if entry[0] == name:
                return entry[1:]
        fut = self._loop.create_future()
        self._next.append((name, start, fut))
        return await fut


class Collector:
    """Gathers a socket's data; ``ended`` resolves at 'end', ``closed`` at 'close'."""

    def __init__(self, sock: Any) -> None:
        loop = asyncio.get_running_loop()
        self.chunks: List[bytes] = []
        self.ended = loop.create_future()
        self.closed = loop.create_future()
        self.errors: List[BaseException] = []
        self._waiters: List[tuple] = []
        sock.on("data", self._on_data)
        sock.on("end", lambda *a: self.ended.done() or self.ended.set_result(True))
        sock.on("error", self.errors.append)
        sock.on("close", lambda *a: self.closed.done() or self.closed.set_result(a[0] if a else None))

    def _on_data(self, chunk: Any) -> None:
        self.chunks.append(chunk.encode() if isinstance(chunk, str) else bytes(chunk))
        data = self.data
        for waiter in list(self._waiters):
            needle, fut = waiter
            if needle in data and not fut.done():
                fut.set_result(data)
                self._waiters.remove(waiter)

    @property
    def data(self) -> bytes:
        return b"".join(self.chunks)

    async def until(self, needle: bytes) -> bytes:
        if needle in self.data:
            return self.data
        fut = asyncio.get_running_loop().create_future()
        self._waiters.append((needle, fut))
        return await fut


# -- bulk transfer -----------------------------------------------------------------------

class Hasher:
    """sha256 and byte count of a socket's incoming data."""

    def __init__(self, sock: Any) -> None:
        self.sha = hashlib.sha256()
        self.count = 0
        self.done = asyncio.get_running_loop().create_future()
        sock.on("data", self._on_data)
        sock.on("end", lambda *a: self.done.done() or self.done.set_result(
            (self.count, self.sha.hexdigest())))

    def _on_data(self, chunk: bytes) -> None:
        self.count += len(chunk)
        self.sha.update(chunk)


async def send_random(sock: Any, total: int, seed: int = 1, max_chunk: int = 1 << 17,
                      end: bool = True) -> tuple:
    """Write ``total`` random bytes in random-size writes, honouring 'drain'."""
    rnd = random.Random(seed)
    payload = rnd.randbytes(total)
    view = memoryview(payload)
    sha = hashlib.sha256(payload).hexdigest()
    offset = 0
    while offset < total:
        # mostly mid-size writes, some tiny, some large
        pick = rnd.random()
        if pick < 0.1:
            n = rnd.randint(1, 64)
        elif pick < 0.9:
            n = rnd.randint(1, 32768)
        else:
            n = rnd.randint(32768, max_chunk)
        chunk = bytes(view[offset:offset + n])
        offset += len(chunk)
        if sock.write(chunk) is False:
            await once(sock, "drain")
    if end:
        sock.end()
    return total, sha
