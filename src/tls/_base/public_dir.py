"""What ``dir()`` shows of the public modules and objects: their API, nothing else.

A module's ``dir()`` is by default its globals: every ``typing`` name it imported (``Any``,
``Dict``), ``TYPE_CHECKING``, ``annotations``, the private modules below it (``_base``).  For
``tls``, ``tls.streams``, ``tls.net`` ... that hides the API in the noise, and tab completion
offers ``Dict`` next to ``connect``.  :func:`module_dir` makes the module ``__dir__`` (PEP 562)
that lists the module's ``__all__`` (plus the public submodules of a package), and
:func:`object_dir` the one of an object that is a module in Node's terms (``tls.cluster``,
``tls.process``): its names without the private ones.  Dunders of a module (``__doc__``,
``__file__``) stay: tools expect them.  Nothing else changes: the hidden names are still
attributes (``tls.streams.asyncio`` still resolves); ``from m import *`` reads ``__all__``.
"""
from __future__ import annotations

import sys
from typing import Callable, Iterable, List

__all__ = ["module_dir", "object_dir"]


def module_dir(module_name: str, extra: Iterable[str] = ()) -> Callable[[], List[str]]:
    """A ``__dir__`` for the module ``module_name``: its ``__all__``, ``extra`` and its dunders."""
    module = sys.modules[module_name]
    extra = tuple(extra)

    def __dir__() -> List[str]:
        names = set(getattr(module, "__all__", ())) | set(extra)
        names.update(name for name in vars(module) if name.startswith("__") and name.endswith("__"))
        return sorted(names)

    return __dir__


def object_dir(names: Iterable[str]) -> List[str]:
    """``dir()`` of an object without its private names (``_events``, ``_add``...)."""
    return sorted(name for name in names if not name.startswith("_"))
