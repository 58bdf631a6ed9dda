"""Shared session stores: ``tls.stores.RedisSessionStore`` (sessions and ticket keys through Redis).

The implementation is ``tls._faces.stores`` (its layer: see docs/architecture.md); this public
name is that same module object.  ``pip install 'tls[redis]'`` brings redis-py, which is imported
only when a store is made.
"""
import sys

from ._faces import stores as _implementation
from ._faces.stores import *  # noqa: F403  (the public names, for readers and type checkers)
from ._base.public_dir import module_dir as _module_dir

# dir() shows the API (__all__), not the implementation's imports (_base/public_dir.py)
_implementation.__dir__ = _module_dir(_implementation.__name__)  # type: ignore[method-assign]
sys.modules[__name__] = _implementation
