"""Node's argument conventions in Python: error-first callbacks (options: tls._options)."""
from __future__ import annotations

import inspect
from typing import Any, Callable, Dict, Optional


__all__ = ["call_cb"]


_takes_arg_cache: Dict[Any, bool] = {}


def _takes_arg(fn: Callable[..., Any]) -> bool:
    """Whether ``fn`` can be called with one positional argument."""
    target = getattr(fn, "__func__", fn)
    code = getattr(target, "__code__", None)
    if code is not None:
        bound = target is not fn
        known = _takes_arg_cache.get((code, bound))
        if known is None:
            if code.co_flags & inspect.CO_VARARGS:
                known = True
            else:
                known = code.co_argcount - (1 if bound else 0) >= 1
            if len(_takes_arg_cache) > 4096:
                _takes_arg_cache.clear()
            _takes_arg_cache[(code, bound)] = known
        return known
    try:
        inspect.signature(fn).bind(None)
    except TypeError:
        return False
    except ValueError:
        return True
    return True


def _call_cb(cb: Callable[..., Any], err: Optional[BaseException] = None) -> Any:
    """Call a Node-style callback: ``cb(err)``, or ``cb()`` if it takes no argument."""
    if _takes_arg(cb):
        return cb(err)
    return cb()


call_cb = _call_cb
