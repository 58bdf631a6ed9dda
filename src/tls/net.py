"""Node's net module (Socket, Server, connect, createServer, isIP).

The implementation is ``tls._node.net`` (its layer: see docs/architecture.md);
this public name is that same module object, so ``tls.net.X`` and
``tls._node.net.X`` are one attribute.
"""
import sys

from ._node import net as _implementation
from ._node.net import *  # noqa: F403  (the public names, for readers and type checkers)

sys.modules[__name__] = _implementation
