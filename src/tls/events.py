"""Node's events module (EventEmitter, once, on).

The implementation is ``tls._node.events`` (its layer: see docs/architecture.md);
this public name is that same module object, so ``tls.events.X`` and
``tls._node.events.X`` are one attribute.
"""
import sys

from ._node import events as _implementation
from ._node.events import *  # noqa: F403  (the public names, for readers and type checkers)

sys.modules[__name__] = _implementation
