"""Node's ``process`` object, the part a server needs: signals as events, ``kill``, ``exit``, pid, argv, env.

Signals
-------
``process.on('SIGTERM', fn)`` works as in Node 20:

* the first listener of a signal replaces its default action (Node: a
  process with a SIGTERM listener no longer dies of SIGTERM); the listeners
  are called with ``(name, number)`` (``'SIGTERM', 15``) and ``this`` is the
  process, i.e. ``fn`` gets exactly Node's arguments;
* a listener does not keep ``tls.run`` alive (Node's signal handles are
  unreferenced);
* ``SIGKILL`` and ``SIGSTOP`` cannot be listened to: Node throws
  ``EINVAL`` (``uv_signal_start EINVAL``) from ``process.on``; so do we, and
  the listener is not added.

How a signal becomes an event.  Python runs a ``signal.signal`` handler in
the main thread between two bytecodes, which can be in the middle of any code
(a listener, the engine, the loop's own bookkeeping), so the handler only
*queues* the emit on the running loop with ``call_soon_threadsafe`` (which
also writes to the loop's self-pipe, so a loop sleeping in ``select`` wakes
up) and the listeners run as ordinary loop callbacks: an exception from one
ends ``tls.run`` like any uncaught exception.  Without a running loop (a
signal while synchronous code runs before the loop starts) the emit happens
at once, there being nothing to interleave with.

When the last listener of a signal is gone, the handler stays installed
(installing and removing OS handlers as listeners come and go would race with
a signal in flight) but acts as if it were not there: it restores the handler
it replaced and hands the signal to it -- for ``SIG_DFL`` that re-raises the
signal, so the process dies of it as Node's would.

Plain ``signal.signal`` handlers wake ``tls.run`` as well: see runtime.py.
"""
from __future__ import annotations

import asyncio
import os
import signal
import sys
import threading
from typing import Any, Dict, List, NoReturn, Optional, Union

from .._base.errors import NodeError, NodeTypeError, errno_error
from .._base.public_dir import object_dir
from .._base.validators import received as _received
from .events import EventEmitter

__all__ = ["Process", "process", "signal_number"]

# The signals Python knows on this platform, by Node's names ('SIGTERM' ...).
_SIGNALS: Dict[str, int] = {s.name: int(s.value) for s in signal.Signals if not s.name.startswith("SIG_")}
# Node refuses these in process.on (uv_signal_start EINVAL): the OS never delivers them to a handler.
_UNCATCHABLE = frozenset(name for name in ("SIGKILL", "SIGSTOP") if name in _SIGNALS)
_PLATFORMS = {"linux": "linux", "darwin": "darwin", "win32": "win32", "cygwin": "cygwin"}


def signal_number(sig: Union[str, int]) -> int:
    """A signal given as Node accepts it (a name such as ``'SIGTERM'``, or a number) as its number."""
    if isinstance(sig, bool):
        raise NodeTypeError('The "signal" argument must be of type string or number. %s' % _received(sig),
                            "ERR_INVALID_ARG_TYPE")
    if isinstance(sig, int):
        return sig
    if isinstance(sig, str):
        number = _SIGNALS.get(sig)
        if number is None:
            raise NodeTypeError("Unknown signal: %s" % sig, "ERR_UNKNOWN_SIGNAL")
        return number
    raise NodeTypeError('The "signal" argument must be of type string or number. %s' % _received(sig),
                        "ERR_INVALID_ARG_TYPE")


class Process(EventEmitter):
    """Node's ``process``, as ``tls.process``: one per interpreter (:data:`process`)."""

    def __dir__(self) -> List[str]:
        return object_dir(super().__dir__())   # its API only (_base/public_dir.py)

    def __init__(self) -> None:
        super().__init__()
        #: signal number -> the handler our own replaced (restored when nobody listens)
        self._replaced: Dict[int, Any] = {}
        for name in _SIGNALS:
            self._on_first_listener(name, _listen_to_signal)

    # -- what Node has on process ----------------------------------------------------------

    @property
    def pid(self) -> int:
        """This process's id (read each time: a worker is a fresh process)."""
        return os.getpid()

    @property
    def ppid(self) -> int:
        return os.getppid()

    @property
    def argv(self) -> List[str]:
        """Node's shape: ``[execPath, script, ...args]``."""
        return [sys.executable] + list(sys.argv)

    @property
    def execPath(self) -> str:
        return sys.executable

    @property
    def env(self) -> "os._Environ[str]":
        """The environment (``os.environ`` itself, so changes reach child processes)."""
        return os.environ

    @property
    def platform(self) -> str:
        return _PLATFORMS.get(sys.platform, sys.platform)

    def cwd(self) -> str:
        return os.getcwd()

    def kill(self, pid: int, signal: Union[str, int] = "SIGTERM") -> bool:
        """Send ``signal`` to ``pid`` (Node's ``process.kill``): True, or a NodeError such as ``ESRCH``."""
        if isinstance(pid, bool) or not isinstance(pid, int):
            raise NodeTypeError('The "pid" argument must be of type number. %s' % _received(pid),
                                "ERR_INVALID_ARG_TYPE")
        number = signal_number(signal)
        try:
            os.kill(pid, number)
        except OSError as exc:
            raise errno_error(exc, "kill") from None
        return True

    def exit(self, code: Optional[int] = None) -> NoReturn:
        """End the program now with ``code`` (0 by default): raises SystemExit, which ends
        ``tls.run`` (after its clean-up) and then the interpreter."""
        if code is None:
            code = 0
        if isinstance(code, bool) or not isinstance(code, int):
            raise NodeTypeError('The "code" argument must be of type number. %s' % _received(code),
                                "ERR_INVALID_ARG_TYPE")
        raise SystemExit(code)

    # -- signals ----------------------------------------------------------------------------

    def _on_signal(self, number: int, frame: Any) -> None:
        """The OS handler (main thread, between two bytecodes): queue the emit on the loop."""
        loop = asyncio._get_running_loop()
        if loop is not None and not loop.is_closed():
            loop.call_soon_threadsafe(self._deliver, number, frame)
        else:
            self._deliver(number, frame)

    def _deliver(self, number: int, frame: Any) -> None:
        name = signal.Signals(number).name
        if self.listenerCount(name) > 0:
            self.emit(name, name, number)
            return
        # Nobody listens any more: the signal does what it did before the first listener.
        previous = self._replaced.pop(number, signal.SIG_DFL)
        signal.signal(number, previous)
        if previous == signal.SIG_DFL:
            signal.raise_signal(number)
        elif callable(previous):
            previous(number, frame)


def _listen_to_signal(emitter: EventEmitter) -> None:
    """The first listener of a signal event: install the OS handler (see the module's essay)."""
    assert isinstance(emitter, Process)
    process = emitter
    for name in _SIGNALS:
        if process.listenerCount(name) and signal.getsignal(_SIGNALS[name]) != process._on_signal:
            _install(process, name)


def _install(process: Process, name: str) -> None:
    number = _SIGNALS[name]
    problem = None
    if name in _UNCATCHABLE:
        problem = NodeError("uv_signal_start EINVAL", "EINVAL", errno=-22, syscall="uv_signal_start")
    elif threading.current_thread() is not threading.main_thread():
        problem = NodeError("process.on(%r) must be called from the main thread: Python runs signal "
                            "handlers only there" % name, "ERR_INVALID_THREAD")
    if problem is None:
        try:
            previous = signal.signal(number, process._on_signal)
        except (OSError, ValueError) as exc:
            problem = NodeError("uv_signal_start %s" % exc, "EINVAL", errno=-22, syscall="uv_signal_start")
        else:
            process._replaced.setdefault(number, previous)
            return
    # As in Node, the listener that asked for it is not kept.
    process.removeAllListeners(name)
    raise problem


#: The process object (``tls.process``).
process = Process()
