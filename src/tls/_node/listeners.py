"""How an EventEmitter stores its listeners (tls._node.events): the checks of a listener and of a
maximum, ``once()``'s wrapper, and finding the user's callable inside a wrapper (a once wrapper, or
arity.py's adapter for a listener taking fewer arguments), as Node's ``_onceWrap`` and the
``list[i].listener === listener`` test of ``removeListener``; and what emit() makes of what a listener
returns (a coroutine is run, as Node runs an async listener's promise) and of an 'error' nobody listens to.
"""
from __future__ import annotations

import math
from typing import Any, Callable, Hashable, Set, Tuple, cast

from .._base.errors import NodeError, NodeRangeError, NodeTypeError
from .._base.validators import num as _num, received as _received
from .arity import fit as _fit, is_fitted as _is_fitted

__all__ = ["Listener", "_check_listener", "_validate_max", "_matches", "_unwrap", "_OnceWrapper"]

Listener = Callable[..., Any]


def _check_listener(listener: Any) -> None:
    if not callable(listener):
        raise NodeTypeError(
            'The "listener" argument must be of type function. ' + _received(listener),
            "ERR_INVALID_ARG_TYPE")


def _validate_max(n: Any, name: str) -> None:
    """Node 20's ``validateNumber(n, name, 0)``."""
    if isinstance(n, bool) or not isinstance(n, (int, float)):
        raise NodeTypeError(
            'The "%s" argument must be of type number. %s' % (name, _received(n)),
            "ERR_INVALID_ARG_TYPE")
    if n < 0 or (isinstance(n, float) and math.isnan(n)):
        raise NodeRangeError(
            'The value of "%s" is out of range. It must be >= 0. Received %s' % (name, _num(n)),
            "ERR_OUT_OF_RANGE")


def _matches(stored: Any, listener: Listener) -> bool:
    """Node's ``list[i] === listener || list[i].listener === listener``."""
    if stored is listener or stored == listener:
        return True
    inner = stored.listener if type(stored) is _OnceWrapper or _is_fitted(stored) else None
    return inner is not None and (inner is listener or inner == listener)


def _unwrap(stored: Any) -> Listener:
    if type(stored) is _OnceWrapper or _is_fitted(stored):
        return cast(Listener, stored.listener)
    return cast(Listener, stored)


class _OnceWrapper:
    """What ``once`` registers: removes itself, then calls the listener once.

    ``listener`` is the user's function (``listeners()`` unwraps it,
    ``rawListeners()`` returns the wrapper), as in Node's ``_onceWrap``.
    """

    __slots__ = ("target", "type", "listener", "fired", "call")
    _passes_everything = True   # takes any arguments (it fits its listener itself): arity.py stores it as is

    def __init__(self, target: Any, type: Hashable, listener: Listener) -> None:
        self.target = target
        self.type = type
        self.listener = listener
        self.fired = False
        passes = target._event_args.get(type)
        # what runs: arity decided here, once (an event passing nothing takes any listener as it is)
        self.call = listener if passes == 0 else _fit(listener, passes)

    def __call__(self, *args: Any) -> Any:
        if not self.fired:
            target = self.target
            event = self.type
            events = target._events
            if events is not None and target._plain_removal and event in events and events[event] == (self,) \
                    and target._warned is None and "removeListener" not in events \
                    and event not in target._removal_hooked_events:
                # removeListener's work when nothing can tell (EventEmitter._plain_removal): the
                # emitter's only listener of the event goes
                del events[event]
                if not events:
                    target._events = None
            else:
                target.removeListener(event, self)
            self.fired = True
            return self.call(*args)
        return None

    def __repr__(self) -> str:
        return "<once wrapper of %r>" % (self.listener,)


# Types of listener results known not to be coroutines (what a listener
# returns is often ``self`` of a chained call, e.g. ``sock.end()``): they skip
# asyncio.iscoroutine's ABC check on later emits.  Bounded; asyncio itself is
# imported only when a listener returns something else.
_PLAIN_RESULT_TYPES: Set[type] = {int, float, str, bytes, tuple, list, dict}
_PLAIN_RESULT_TYPES_MAX = 256


def _iscoroutine(result: Any) -> bool:
    import asyncio

    if asyncio.iscoroutine(result):
        return True
    if len(_PLAIN_RESULT_TYPES) < _PLAIN_RESULT_TYPES_MAX:
        _PLAIN_RESULT_TYPES.add(type(result))
    return False


def _unhandled(args: Tuple[Any, ...]) -> BaseException:
    if args:
        er = args[0]
        if isinstance(er, BaseException):
            return er
        shown = repr(er)
    else:
        er = None
        shown = "undefined"
    return NodeError("Unhandled error. (%s)" % shown, "ERR_UNHANDLED_ERROR", context=er)
