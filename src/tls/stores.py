"""Shared session stores: ``tls.stores.RedisSessionStore`` (sessions and ticket keys through Redis).

The implementation is ``tls._faces.stores`` (its layer: see docs/architecture.md); this public
name is that same module object.  ``pip install 'tls[redis]'`` brings redis-py, which is imported
only when a store is made.
"""
import sys

from ._faces import stores as _implementation
from ._faces.stores import *  # noqa: F403  (the public names, for readers and type checkers)

sys.modules[__name__] = _implementation
