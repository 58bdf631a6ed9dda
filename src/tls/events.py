"""Node's events module (EventEmitter, once, on).

The implementation is ``tls._node.events`` (its layer: see docs/architecture.md);
this public name is that same module object, so ``tls.events.X`` and
``tls._node.events.X`` are one attribute.
"""
import sys

from ._node import events as _implementation
from ._node.events import *  # noqa: F403  (the public names, for readers and type checkers)
from ._base.public_dir import module_dir as _module_dir

# dir() shows the API (__all__), not the implementation's imports (_base/public_dir.py)
_implementation.__dir__ = _module_dir(_implementation.__name__)  # type: ignore[method-assign]
sys.modules[__name__] = _implementation
