"""Node 20's ``AbortController`` / ``AbortSignal``, and the ``signal`` option of sockets.

A program cancels something by aborting a controller: ``controller.abort(reason)``
marks ``controller.signal`` aborted (``signal.aborted``, ``signal.reason``) and
dispatches one ``'abort'`` event on it.  Whatever was given the signal listens for
that event: a ``net.Socket`` / ``tls.TLSSocket`` made (or ``net.connect`` /
``tls.connect`` called) with ``{'signal': signal}`` is destroyed with an
``AbortError`` (``code`` ``'ABORT_ERR'``, ``name`` ``'AbortError'``, message "The
operation was aborted", ``cause`` the signal's reason) -- Node's
``stream.addAbortSignal``:

* a signal already aborted: the socket emits that error on the next tick, then
  ``'close'``, and a ``connect()`` before that starts no connection (checked on
  Node 20.20: its ``connect()`` undoes the destroy and connects anyway, after
  'close', a quirk this port leaves out);
* aborted later: ``destroy(AbortError)`` at once ('error', then 'close');
* the socket closed first: its listener leaves the signal.

``server.listen({'signal': signal})`` closes the server when the signal aborts
(on the next tick for one already aborted: before 'listening').

The signal is Node's ``EventTarget`` in miniature: ``addEventListener(type,
listener, {'once': True, 'signal': other})`` (a listener added twice is one
listener), ``removeEventListener``, ``onabort``, and ``events.getEventListeners(signal,
'abort')`` counts them (``onabort`` included), as in Node.  Listeners get an
:class:`Event` (``type``, ``target``); like every listener in this package one may
take fewer parameters (``lambda: ...``).  The default reason is a
:class:`DOMException` named ``'AbortError'`` ("This operation was aborted", legacy
``code`` 20); ``AbortSignal.timeout(ms)`` aborts with one named ``'TimeoutError'``
("The operation was aborted due to timeout", 23) from an unref'd timer, so it
never keeps ``tls.run`` alive; ``AbortSignal.abort(reason)`` is born aborted and
``AbortSignal.any(signals)`` aborts with the first of them.

``signal.throwIfAborted()`` raises the reason; a reason that is not an exception
(JavaScript throws any value) is raised as an ``AbortError`` whose ``cause`` it is.
"""
from __future__ import annotations

from typing import Any, Callable, Dict, Iterable, List, Optional

from .._base.aliases import SnakeCaseAliases
from .._base.errors import NodeError, NodeRangeError, NodeTypeError
from .._base.validators import invalid_arg_type
from . import runtime as _runtime
from .arity import fit as _fit

__all__ = ["AbortController", "AbortSignal", "AbortError", "DOMException", "Event", "validate_abort_signal",
           "add_abort_signal", "add_server_abort_signal"]

_MAX_DELAY = 4294967295


class DOMException(Exception):
    """The web platform's DOMException, as Node makes the default abort reasons."""

    _CODES = {"AbortError": 20, "TimeoutError": 23}

    def __init__(self, message: str = "", name: str = "Error") -> None:
        super().__init__(message)
        self.message = message
        self.name = name
        self.code = self._CODES.get(name, 0)

    def __str__(self) -> str:
        return self.message

    def __repr__(self) -> str:
        return "DOMException [%s]: %s" % (self.name, self.message)


class AbortError(NodeError):
    """Node's AbortError: what an aborted operation fails with (``cause``: the signal's reason)."""

    def __init__(self, message: str = "The operation was aborted", cause: Any = None) -> None:
        super().__init__(message, "ABORT_ERR")
        self.name = "AbortError"
        self.cause = cause
        if isinstance(cause, BaseException):
            self.__cause__ = cause


class Event(SnakeCaseAliases):
    """The event an ``AbortSignal`` dispatches (``type`` ``'abort'``)."""

    def __init__(self, type: str, target: Any = None) -> None:
        self.type = type
        self.target = target
        self.currentTarget = target
        self.isTrusted = True
        self.defaultPrevented = False

    def __repr__(self) -> str:
        return "Event { type: %r }" % self.type


class _Listener:
    __slots__ = ("listener", "call", "once", "removed")

    def __init__(self, listener: Callable[..., Any], once: bool) -> None:
        self.listener = listener
        self.call = _fit(listener, 1)
        self.once = once
        self.removed = False


_CONSTRUCTING = object()


class AbortSignal(SnakeCaseAliases):
    """``controller.signal``: whether and why an operation was aborted, and the ``'abort'`` event."""

    def __init__(self, _key: Any = None) -> None:
        if _key is not _CONSTRUCTING:
            raise NodeTypeError("Illegal constructor", "ERR_ILLEGAL_CONSTRUCTOR")
        self.aborted = False
        self.reason: Any = None
        self._listeners: Dict[str, List[_Listener]] = {}
        self._onabort: Optional[_Listener] = None
        self._timer: Any = None

    def __repr__(self) -> str:
        return "AbortSignal { aborted: %s }" % ("true" if self.aborted else "false")

    # -- EventTarget ---------------------------------------------------------
    def addEventListener(self, type: str, listener: Optional[Callable[..., Any]],
                         options: Any = None) -> None:
        """``{'once': True}`` removes it after one call; ``{'signal': s}`` removes it when ``s`` aborts."""
        if listener is None:
            return
        if not callable(listener):
            raise invalid_arg_type("listener", "an instance of EventListener", listener)
        once = bool(options.get("once")) if isinstance(options, dict) else False
        remover = options.get("signal") if isinstance(options, dict) else None
        if remover is not None:
            validate_abort_signal(remover, "options.signal")
            if remover.aborted:
                return
        entries = self._listeners.setdefault(type, [])
        if any(entry.listener is listener or entry.listener == listener for entry in entries):
            return   # the DOM's rule: the same listener once
        entries.append(_Listener(listener, once))
        if remover is not None:
            remover.addEventListener("abort", lambda: self.removeEventListener(type, listener), {"once": True})

    def removeEventListener(self, type: str, listener: Optional[Callable[..., Any]],
                            options: Any = None) -> None:
        entries = self._listeners.get(type)
        if not entries:
            return
        for i, entry in enumerate(entries):
            if entry is not self._onabort and (entry.listener is listener or entry.listener == listener):
                entry.removed = True
                del entries[i]
                return

    def dispatchEvent(self, event: Event) -> bool:
        entries = list(self._listeners.get(event.type, ()))
        event.target = event.currentTarget = self
        for entry in entries:
            if entry.removed:
                continue
            if entry.once:
                self.removeEventListener(event.type, entry.listener)
            entry.call(event)
        return not event.defaultPrevented

    @property
    def onabort(self) -> Optional[Callable[..., Any]]:
        return self._onabort.listener if self._onabort is not None else None

    @onabort.setter
    def onabort(self, handler: Optional[Callable[..., Any]]) -> None:
        # an event handler keeps the place it was first given among the listeners
        entries = self._listeners.setdefault("abort", [])
        if handler is None or not callable(handler):
            if self._onabort is not None:
                self._onabort.removed = True
                entries.remove(self._onabort)
                self._onabort = None
            return
        if self._onabort is not None:
            self._onabort.listener, self._onabort.call = handler, _fit(handler, 1)
            return
        self._onabort = _Listener(handler, False)
        entries.append(self._onabort)

    def _event_target_listeners(self, type: str) -> List[Callable[..., Any]]:
        """events.getEventListeners(signal, type)."""
        return [entry.listener for entry in self._listeners.get(type, ())]

    # -- the signal ----------------------------------------------------------
    def throwIfAborted(self) -> None:
        """Raise the reason if aborted (a reason that is not an exception: as an AbortError's cause)."""
        if self.aborted:
            reason = self.reason
            if isinstance(reason, BaseException):
                raise reason
            raise AbortError(cause=reason)

    def _abort(self, reason: Any) -> None:
        if self.aborted:
            return
        self.aborted = True
        self.reason = DOMException("This operation was aborted", "AbortError") if reason is None else reason
        if self._timer is not None:
            self._timer = None
        self.dispatchEvent(Event("abort", self))

    @classmethod
    def _new(cls) -> "AbortSignal":
        return cls(_CONSTRUCTING)

    @staticmethod
    def abort(reason: Any = None) -> "AbortSignal":
        """A signal already aborted (with ``reason``, default an AbortError DOMException)."""
        signal = AbortSignal._new()
        signal._abort(reason)
        return signal

    @staticmethod
    def timeout(delay: Any) -> "AbortSignal":
        """A signal that aborts after ``delay`` ms with a TimeoutError (its timer is unref'd)."""
        if isinstance(delay, bool) or not isinstance(delay, (int, float)):
            raise invalid_arg_type("delay", "of type number", delay)
        if not 0 <= delay <= _MAX_DELAY or delay != delay:
            raise NodeRangeError('The value of "delay" is out of range. It must be >= 0 && <= %d. Received %s'
                                 % (_MAX_DELAY, _js_number(delay)), "ERR_OUT_OF_RANGE")
        signal = AbortSignal._new()
        timer = _runtime.setTimeout(
            lambda: signal._abort(DOMException("The operation was aborted due to timeout", "TimeoutError")),
            delay)
        timer.unref()
        signal._timer = timer
        return signal

    @staticmethod
    def any(signals: Iterable["AbortSignal"]) -> "AbortSignal":
        """A signal that aborts when the first of ``signals`` does, with its reason."""
        signals = list(signals)
        for i, each in enumerate(signals):
            validate_abort_signal(each, "signals[%d]" % i)
        combined = AbortSignal._new()
        for each in signals:
            if each.aborted:
                combined._abort(each.reason)
                return combined
        for each in signals:
            each.addEventListener("abort", lambda _event, each=each: combined._abort(each.reason),
                                  {"once": True})
        return combined


class AbortController(SnakeCaseAliases):
    """``new AbortController()``: ``signal``, and ``abort([reason])`` to abort it (once)."""

    def __init__(self) -> None:
        self.signal = AbortSignal._new()

    def abort(self, reason: Any = None) -> None:
        """Abort the signal: ``aborted`` True, ``reason`` set, one 'abort' event (later calls do nothing).
        No reason (None, JavaScript's undefined) gives the default AbortError DOMException."""
        self.signal._abort(reason)

    def __repr__(self) -> str:
        return "AbortController { signal: %r }" % self.signal


def _js_number(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def validate_abort_signal(signal: Any, name: str = "signal") -> None:
    """Node's validateAbortSignal: an AbortSignal, else ERR_INVALID_ARG_TYPE."""
    if not isinstance(signal, AbortSignal):
        raise invalid_arg_type(name, "an instance of AbortSignal", signal)


def _ignored(signal: Any) -> bool:
    # Node reads `if (options.signal)`: undefined, null, false, 0 and '' mean no signal
    return signal is None or signal is False or (type(signal) in (int, float, str) and not signal)


def add_abort_signal(stream: Any, signal: Any) -> None:
    """The ``signal`` option of a socket (Node's ``stream.addAbortSignal``, see the module docstring):
    validated, then ``stream.destroy(AbortError)`` when it aborts.  Nothing for a false value."""
    if _ignored(signal):
        return
    validate_abort_signal(signal, "signal")

    def on_abort(*_: Any) -> None:
        stream.destroy(AbortError(cause=signal.reason))

    if signal.aborted:
        stream._signal_aborted = True   # connect() starts nothing (connecting.py)
        _runtime.nextTick(on_abort)
        return
    signal.addEventListener("abort", on_abort, {"once": True})
    # Node's eos(stream, ...): the listener leaves the signal once the stream closed
    stream.once("close", lambda *_: signal.removeEventListener("abort", on_abort))


def add_server_abort_signal(server: Any, signal: Any) -> None:
    """``server.listen({'signal': s})`` (Node's addServerAbortSignalOption): the server closes when
    ``s`` aborts (on the next tick if it already has, before its 'listening')."""
    if signal is None:
        return
    validate_abort_signal(signal, "options.signal")

    def on_abort(*_: Any) -> None:
        server.close()

    if signal.aborted:
        _runtime.nextTick(on_abort)
        return
    signal.addEventListener("abort", on_abort, {"once": True})
    server.once("close", lambda *_: signal.removeEventListener("abort", on_abort))
