"""Node 20's ``EventEmitter`` for Python.

Every socket, server and secure context in this package is an
``EventEmitter``, so the class is written to be cheap when idle: an instance
carries no state of its own until the first listener is added (the listener
dict is created lazily, the max-listeners value and the warned flags only
when they are set).  A server holding many idle connections pays nothing
here beyond the object itself.

Listeners of one event are stored as a tuple that is replaced, never mutated:
``emit`` iterates the tuple it read, which gives Node's "the listener array
is copied before emitting" semantics (removing or adding a listener during
an emit does not change who that emit calls) without copying on every emit.

Listeners are looked up with ``is`` first and ``==`` second, so that a bound
method (``sock.on('data', self.on_data)`` then ``sock.off('data',
self.on_data)``) is found although each attribute access makes a new
bound-method object; for plain functions ``==`` is identity, as in Node.

A listener may take fewer parameters than its event passes, as in
JavaScript (``sock.on('close', lambda: ...)`` although ``'close'`` passes
``hadError``): it is called with the leading arguments it accepts.  The
decision is made once, when the listener is added (:func:`_fit`): a listener
that accepts any number of positional arguments, or at least as many as the
emitter's class declares for that event (``_event_args``), is stored as it
is and costs nothing more per emit; any other is stored inside a small
adapter that passes the first N arguments.  ``listeners()`` returns the
user's callables, and ``off()`` finds them, through the adapter.

A listener that returns a coroutine (an ``async def`` listener) has it run as
a task on the running loop: Node runs an async listener's promise to the end
too.  Its exception is an uncaught error (``tls.run`` ends with it) unless the
emitter was made with ``captureRejections=True``, in which case it is emitted
as ``'error'`` on the emitter, as Node does.
"""
from __future__ import annotations

import functools
import warnings
from types import MappingProxyType
from typing import (
    TYPE_CHECKING, Any, Callable, ClassVar, Dict, FrozenSet, Hashable, List, Mapping, Optional, Set, Tuple,
    TypeVar,
)

from .._base.error_kinds import CallSite, add_call_site_note
from .._base.errors import NodeTypeError
from .._base.aliases import SnakeCaseAliases, module_getattr as _module_getattr
from .._base.validators import num as _num, received as _received
from .arity import fit as _fit, is_fitted as _is_fitted
from .listeners import (
    _PLAIN_RESULT_TYPES, Listener, _check_listener, _iscoroutine, _matches, _OnceWrapper, _unhandled, _unwrap,
    _validate_max,
)

__all__ = [
    "EventEmitter", "MaxListenersExceededWarning", "errorMonitor", "captureRejectionSymbol",
    "once", "getEventListeners", "getMaxListeners", "setMaxListeners", "listenerCount",
]

#: What runs when an event gets its first listener: ``hook(emitter)`` (see EventEmitter).
Hook = Callable[[Any], object]
_E = TypeVar("_E", bound="EventEmitter")
_NO_HOOKS: Mapping[Hashable, Hook] = MappingProxyType({})


class _Symbol:
    """A unique event name, like a JS ``Symbol`` (only equal to itself)."""

    __slots__ = ("description",)

    def __init__(self, description: str) -> None:
        self.description = description

    def __repr__(self) -> str:
        return "Symbol(%s)" % self.description


#: Listeners on this event see every ``'error'`` before the ``'error'``
#: listeners do, and do not count as handling it (Node's ``events.errorMonitor``).
errorMonitor = _Symbol("events.errorMonitor")

#: Name of the method an emitter may define to receive captured rejections
#: instead of having them emitted as ``'error'`` (Node's
#: ``Symbol.for('nodejs.rejection')``); in Python it is a plain method name.
captureRejectionSymbol = "_nodejs_rejection"


class MaxListenersExceededWarning(RuntimeWarning):
    """Issued once per event when an emitter has more listeners than its maximum.

    Carries ``emitter``, ``type`` and ``count`` like Node's warning object.
    """

    def __init__(self, message: str, emitter: Any = None, type: Any = None, count: int = 0) -> None:
        super().__init__(message)
        self.emitter = emitter
        self.type = type
        self.count = count


# removeListener methods of the package's own (EventEmitter's, ReadableMixin's: known_remover): see _plain_removal
_KNOWN_REMOVERS: Set[Callable[..., Any]] = set()


def known_remover(method: Callable[..., Any]) -> Callable[..., Any]:
    """Mark a removeListener override of the package's own (it must list the events it does more for
    in its class's ``_removal_hooked_events``): its classes keep the once() wrappers' fast removal."""
    _KNOWN_REMOVERS.add(method)
    return method


class EventEmitter(SnakeCaseAliases):  # snake_case aliases (tls._aliases)
    """Node's ``EventEmitter``: named events, synchronous listeners.

    Event names are any hashable value (usually ``str``).  All the adding and
    removing methods return the emitter, for chaining.  Subclasses need not
    call ``__init__`` (nothing is allocated until the first listener), but
    may, to pass Node's ``captureRejections`` option.
    """

    #: Maximum listeners per event before the leak warning; 0 = unlimited.
    defaultMaxListeners: Any = 10
    #: Default for the ``captureRejections`` option of new emitters.
    captureRejections: bool = False
    #: Node's ``EventEmitter.errorMonitor``.
    errorMonitor = errorMonitor
    #: Node's ``EventEmitter.captureRejectionSymbol`` (a method name here).
    captureRejectionSymbol = captureRejectionSymbol

    # Lazily set per-instance state; the class-level None keeps idle
    # emitters free of it.
    _events: Optional[Dict[Hashable, Tuple[Listener, ...]]] = None
    _maxListeners: Any = None
    _warned: Optional[Set[Hashable]] = None
    _captureRejections: Optional[bool] = None
    # where the user called connect()/listen()/createServer() for this emitter (error_kinds.call_site):
    # its 'error' events get a PEP 678 note naming that line
    _call_site: Optional[CallSite] = None

    # -- the one rule for "enable it when someone listens" --------------------------------
    # Node switches costly machinery on only once somebody listens: a TLS
    # socket asks OpenSSL for key log lines or new sessions after a 'keylog'
    # or 'session' listener is added (lib/internal/tls/wrap.js does it with a
    # 'newListener' listener that removes itself), a readable stream starts
    # flowing with its first 'data' listener.  Here that is one mechanism:
    # when an event that had no listener gets one, its hook ``hook(emitter)``
    # runs, right after the listener is in place.  A hook may run again if
    # the event loses all its listeners and gets a new one, so hooks are
    # idempotent.  A class declares hooks for all its instances in
    # ``_first_listener_hooks`` (merged along the class hierarchy, mixins
    # included, by __init_subclass__); :meth:`_on_first_listener` adds one to
    # a single instance.  Unlike Node's 'newListener' listeners, hooks are not
    # listeners: no 'newListener' emit on every add, and ``listeners()`` /
    # ``eventNames()`` do not show them.  The cost is one lookup when an event
    # gets its first listener, nothing on emit.

    #: event -> hook, declared by one class (not inherited: see _listen_hooks)
    _first_listener_hooks: ClassVar[Mapping[Hashable, Hook]] = {}
    #: the hooks in effect: the class's merged table, or an instance's own copy
    _listen_hooks: Mapping[Hashable, Hook] = _NO_HOOKS
    # A once() wrapper that fires removes itself from the tuple when nothing could observe the
    # difference (listeners._OnceWrapper): the class's removeListener is the package's own
    # (_KNOWN_REMOVERS; a user's override is called, as Node's onceWrapper calls it) and the event
    # is not one that removeListener does more for (_removal_hooked_events: 'readable').
    _plain_removal: ClassVar[bool] = True
    _removal_hooked_events: ClassVar[FrozenSet[Hashable]] = frozenset()

    # -- listener arity (see the module docstring) --
    #: event -> the most arguments this class's emits of it pass, declared by
    #: one class and merged along the hierarchy like the hooks; a listener
    #: taking at least that many is stored unwrapped (no cost per emit).
    #: An event not listed is "unknown": only ``*args`` listeners go unwrapped.
    _declared_event_args: ClassVar[Mapping[Hashable, int]] = {"newListener": 2, "removeListener": 2}
    _event_args: ClassVar[Mapping[Hashable, int]] = MappingProxyType(_declared_event_args)

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        hooks: Dict[Hashable, Hook] = {}
        counts: Dict[Hashable, int] = {}
        for klass in reversed(cls.__mro__):  # the most derived class wins
            hooks.update(klass.__dict__.get("_first_listener_hooks", {}))
            counts.update(klass.__dict__.get("_declared_event_args", {}))
        cls._listen_hooks = MappingProxyType(hooks) if hooks else _NO_HOOKS
        cls._event_args = MappingProxyType(counts)
        cls._plain_removal = cls.removeListener in _KNOWN_REMOVERS

    def _on_first_listener(self, event: Hashable, hook: Hook) -> None:
        """Run ``hook(self)`` when ``event`` gets a listener, on this emitter only
        (at once when it has one already); see "the one rule" above."""
        hooks = dict(self._listen_hooks)
        hooks[event] = hook
        self._listen_hooks = hooks
        events = self._events
        if events is not None and event in events:
            hook(self)

    def __init__(self, options: Optional[Mapping[str, Any]] = None, *,
                 captureRejections: Optional[bool] = None) -> None:
        if options is not None and captureRejections is None:
            captureRejections = options.get("captureRejections")
        if captureRejections is not None:
            if not isinstance(captureRejections, bool):
                raise NodeTypeError(
                    'The "options.captureRejections" property must be of type boolean. '
                    + _received(captureRejections), "ERR_INVALID_ARG_TYPE")
            self._captureRejections = captureRejections

    # -- adding ---------------------------------------------------------------------------

    def _add(self: _E, event: Hashable, listener: Listener, prepend: bool) -> _E:
        # a listener that takes fewer arguments than the event passes (decided once, here; a
        # once() wrapper was made by once(), which checked and fitted its listener itself)
        if type(listener) is not _OnceWrapper:
            if not callable(listener):
                _check_listener(listener)
            listener = _fit(listener, self._event_args.get(event))
        events = self._events
        if events is None:
            events = self._events = {}
        elif "newListener" in events:
            # Before adding, so a 'newListener' handler that adds a listener
            # to the same event puts it first (Node's order).
            self.emit("newListener", event, _unwrap(listener))
            events = self._events
            if events is None:  # removeAllListeners() inside the handler
                events = self._events = {}
        existing = events.get(event)
        if existing is None:
            events[event] = (listener,)
            hooks = self._listen_hooks
            if event in hooks:  # the first listener: "enable it when someone listens"
                hooks[event](self)
            return self
        existing = (listener,) + existing if prepend else existing + (listener,)
        events[event] = existing
        m = self._maxListeners
        if m is None:
            m = type(self).defaultMaxListeners
        if m > 0 and len(existing) > m:
            warned = self._warned
            if warned is None:
                warned = self._warned = set()
            if event not in warned:
                warned.add(event)
                warnings.warn(MaxListenersExceededWarning(
                    "Possible EventEmitter memory leak detected. %d %s listeners added to [%s]. "
                    "MaxListeners is %s. Use emitter.setMaxListeners() to increase limit"
                    % (len(existing), event, type(self).__name__, _num(m)),
                    self, event, len(existing)), stacklevel=3)
        return self

    def _add_own(self, event: Hashable, listener: Listener) -> None:
        """``on(event, listener)`` for the package's own listeners of an object being set up
        (a server adds six per connection: through ``on`` each costs ~9 calls, the arity fit,
        hooks and warnings).  ``listener`` must take every argument the event passes (``on``
        would store it as it is): then, when ``event`` has no listener yet and there is no
        'newListener' listener and no first-listener hook, storing the tuple is all ``on`` does;
        anything else goes through ``on``."""
        events = self._events
        if events is None:
            if event not in self._listen_hooks:
                self._events = {event: (listener,)}
                return
        elif event not in events and "newListener" not in events and event not in self._listen_hooks:
            events[event] = (listener,)
            return
        self.on(event, listener)

    def on(self: _E, event: Hashable, listener: Listener) -> _E:
        """Call ``listener(*args)`` on every ``emit(event, *args)``."""
        return self._add(event, listener, False)

    def addListener(self: _E, event: Hashable, listener: Listener) -> _E:
        """Alias of :meth:`on`."""
        return self._add(event, listener, False)

    def prependListener(self: _E, event: Hashable, listener: Listener) -> _E:
        """Like :meth:`on`, but the listener runs before those already added."""
        return self._add(event, listener, True)

    def once(self: _E, event: Hashable, listener: Listener) -> _E:
        """Call ``listener`` on the next ``emit(event)`` only."""
        if not callable(listener):
            _check_listener(listener)
        return self._add(event, _OnceWrapper(self, event, listener), False)

    def prependOnceListener(self: _E, event: Hashable, listener: Listener) -> _E:
        """:meth:`once`, placed before the listeners already added."""
        if not callable(listener):
            _check_listener(listener)
        return self._add(event, _OnceWrapper(self, event, listener), True)

    # -- removing -------------------------------------------------------------------------

    def removeListener(self: _E, event: Hashable, listener: Listener) -> _E:
        """Remove the most recently added instance of ``listener`` (or of a
        ``once`` wrapper around it); emits ``'removeListener'`` afterwards."""
        if not callable(listener):
            _check_listener(listener)
        events = self._events
        if events is None:
            return self
        existing = events.get(event)
        if existing is None:
            return self
        if len(existing) == 1:
            stored = existing[0]
            if stored is not listener and not _matches(stored, listener):
                return self
            del events[event]
            if not events:
                self._events = None  # an emitter with no listeners left holds no dict
            if self._warned is not None:
                self._unwarn(event)
            if "removeListener" in events:
                # Node emits the unwrapped function here ...
                self.emit("removeListener", event, _unwrap(stored))
            return self
        for position in range(len(existing) - 1, -1, -1):
            if _matches(existing[position], listener):
                break
        else:
            return self
        remaining = existing[:position] + existing[position + 1:]
        events[event] = remaining
        if len(remaining) == 1:
            self._unwarn(event)
        if "removeListener" in events:
            # ... but the argument as given when more than one was registered
            # (an arity adapter is this module's business, never shown).
            self.emit("removeListener", event, _unwrap(listener) if _is_fitted(listener) else listener)
        return self

    def off(self: _E, event: Hashable, listener: Listener) -> _E:
        """Alias of :meth:`removeListener`."""
        return self.removeListener(event, listener)

    def _unwarn(self, event: Hashable) -> None:
        # Node keeps the warned flag on the listener array, which disappears
        # when the event is down to one listener: the warning can come again.
        warned = self._warned
        if warned is not None:
            warned.discard(event)

    def removeAllListeners(self: _E, event: Optional[Hashable] = None) -> _E:
        """Remove all listeners of ``event``, or of every event when None.

        With ``'removeListener'`` listeners present, each removal is reported,
        last-added first, and the ``'removeListener'`` listeners go last.
        """
        events = self._events
        if events is None:
            return self
        if "removeListener" not in events:
            if event is None:
                self._events = None
                self._warned = None
            elif event in events:
                del events[event]
                if not events:
                    self._events = None
                self._unwarn(event)
            return self
        if event is None:
            for key in list(events):
                if key != "removeListener":
                    self.removeAllListeners(key)
            self.removeAllListeners("removeListener")
            self._events = None
            self._warned = None
            return self
        existing = events.get(event)
        if existing is not None:
            for stored in reversed(existing):
                self.removeListener(event, stored)
        return self

    # -- emitting -------------------------------------------------------------------------

    def emit(self, event: Hashable, *args: Any) -> bool:
        """Call the listeners of ``event`` synchronously, in order.

        Returns whether there were listeners.  ``'error'`` with no listener
        raises the error (wrapped in ERR_UNHANDLED_ERROR when it is not an
        exception), which is how Node turns an unhandled error event into an
        uncaught exception.
        """
        events = self._events
        if event == "error" and isinstance(event, str):
            if self._call_site is not None and args:
                add_call_site_note(args[0], self._call_site)
            if events is not None and errorMonitor in events:
                self.emit(errorMonitor, *args)
                events = self._events
            if events is None or "error" not in events:
                raise _unhandled(args)
        if events is None:
            return False
        handlers = events.get(event)
        if handlers is None:
            return False
        if len(handlers) == 1:
            result = handlers[0](*args)
            # Fast path: a listener returning nothing, or a bool (the usual
            # ``lambda d: sock.write(d)``), cannot have started a coroutine.
            if result is not None and result is not True and result is not False:
                self._handle_result(result, event, args)
            return True
        for handler in handlers:
            result = handler(*args)
            if result is not None and result is not True and result is not False:
                self._handle_result(result, event, args)
        return True

    def _handle_result(self, result: Any, event: Hashable, args: Tuple[Any, ...]) -> None:
        """Run an async listener's coroutine, as Node runs its promise."""
        if type(result) in _PLAIN_RESULT_TYPES or not _iscoroutine(result):
            return
        from . import runtime as _runtime

        capture = self._captureRejections
        if capture is None:
            capture = type(self).captureRejections
        on_error: Optional[Callable[[BaseException], None]] = None
        if capture:
            on_error = functools.partial(self._capture_rejection, event=event, args=args)
        _runtime.spawn(result, on_error)

    def _capture_rejection(self, exc: BaseException, event: Hashable, args: Tuple[Any, ...]) -> None:
        handler = getattr(self, captureRejectionSymbol, None)
        if handler is not None:
            handler(exc, event, *args)
            return
        previous = self._captureRejections
        self._captureRejections = False  # an async 'error' listener's failure is not re-captured
        try:
            self.emit("error", exc)
        finally:
            if previous is None:
                del self._captureRejections
            else:
                self._captureRejections = previous

    # -- introspection ------------------------------------------------------------------

    def listenerCount(self, event: Hashable, listener: Optional[Listener] = None) -> int:
        """Number of listeners of ``event`` (only those that are ``listener``,
        or ``once`` wrappers of it, when given)."""
        events = self._events
        existing = events.get(event) if events is not None else None
        if existing is None:
            return 0
        if listener is None:
            return len(existing)
        return sum(1 for stored in existing if _matches(stored, listener))

    def listeners(self, event: Hashable) -> List[Listener]:
        """A copy of the listeners of ``event``, ``once`` wrappers unwrapped."""
        events = self._events
        existing = events.get(event) if events is not None else None
        return [_unwrap(stored) for stored in existing] if existing else []

    def rawListeners(self, event: Hashable) -> List[Listener]:
        """A copy of the listeners of ``event`` as stored (``once`` wrappers
        included: calling one fires it and removes it)."""
        events = self._events
        existing = events.get(event) if events is not None else None
        return list(existing) if existing else []

    def eventNames(self) -> List[Hashable]:
        """The events that have listeners, in the order they first got one."""
        events = self._events
        return list(events) if events else []

    def setMaxListeners(self: _E, n: Any) -> _E:
        """Set the per-event listener count above which a leak warning is
        issued (0 or ``math.inf``: never)."""
        _validate_max(n, "setMaxListeners")
        self._maxListeners = n
        return self

    def getMaxListeners(self) -> Any:
        """The value from :meth:`setMaxListeners`, else ``defaultMaxListeners``."""
        m = self._maxListeners
        return type(self).defaultMaxListeners if m is None else m


# -- module-level helpers (Node's `events` module functions) -----------------------------

async def once(emitter: EventEmitter, name: Hashable) -> List[Any]:
    """Wait for ``name`` to be emitted; returns its arguments as a list.

    Raises the error if ``'error'`` is emitted first (unless waiting for
    ``'error'`` itself), as Node's ``events.once`` rejects.  Cancelling the
    wait removes the listeners.
    """
    import asyncio

    loop = asyncio.get_running_loop()
    future: "asyncio.Future[List[Any]]" = loop.create_future()

    def on_error(err: Any) -> None:
        emitter.removeListener(name, resolver)
        if not future.done():
            future.set_exception(err if isinstance(err, BaseException) else _unhandled((err,)))

    def resolver(*args: Any) -> None:
        if name != "error":
            emitter.removeListener("error", on_error)
        if not future.done():
            future.set_result(list(args))

    emitter.once(name, resolver)
    if name != "error":
        emitter.once("error", on_error)
    try:
        return await future
    finally:
        if not future.done() or future.cancelled():
            emitter.removeListener(name, resolver)
            emitter.removeListener("error", on_error)


def getEventListeners(emitter: EventEmitter, name: Hashable) -> List[Listener]:
    """Node's ``events.getEventListeners``: ``emitter.listeners(name)``, or an EventTarget's
    (an AbortSignal, tls._node.abort) listeners of that type."""
    target_listeners = getattr(emitter, "_event_target_listeners", None)
    if target_listeners is not None:
        found: List[Listener] = target_listeners(name)
        return found
    return emitter.listeners(name)


def listenerCount(emitter: EventEmitter, name: Hashable) -> int:
    """Node's deprecated ``EventEmitter.listenerCount(emitter, name)``."""
    return emitter.listenerCount(name)


known_remover(EventEmitter.removeListener)


def getMaxListeners(emitter: EventEmitter) -> Any:
    """Node's ``events.getMaxListeners``."""
    return emitter.getMaxListeners()


def setMaxListeners(n: Any = 10, *emitters: EventEmitter) -> None:
    """Node's ``events.setMaxListeners``: for the given emitters, or the
    default for all emitters when none is given."""
    _validate_max(n, "n")
    if not emitters:
        EventEmitter.defaultMaxListeners = n
    for emitter in emitters:
        emitter.setMaxListeners(n)


if TYPE_CHECKING:
    # the snake_case aliases __getattr__ resolves, for type checkers (to which a misspelt name is an error)
    capture_rejection_symbol = captureRejectionSymbol
    error_monitor = errorMonitor
    get_event_listeners = getEventListeners
    get_max_listeners = getMaxListeners
    listener_count = listenerCount
    set_max_listeners = setMaxListeners
    # so that tls.events (this very module) shows them to type checkers too
    __all__ += [
        "capture_rejection_symbol", "error_monitor", "get_event_listeners", "get_max_listeners", "listener_count",
        "set_max_listeners",
    ]
else:
    __getattr__ = _module_getattr(__name__)  # events.get_event_listeners is events.getEventListeners
