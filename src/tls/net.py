"""Node's net module (Socket, Server, connect, createServer, isIP).

The implementation is ``tls._node.net`` (its layer: see docs/architecture.md);
this public name is that same module object, so ``tls.net.X`` and
``tls._node.net.X`` are one attribute.
"""
import sys

from ._node import net as _implementation
from ._node.net import *  # noqa: F403  (the public names, for readers and type checkers)
from ._base.public_dir import module_dir as _module_dir

# dir() shows the API (__all__), not the implementation's imports (_base/public_dir.py)
_implementation.__dir__ = _module_dir(_implementation.__name__)  # type: ignore[method-assign]
sys.modules[__name__] = _implementation
