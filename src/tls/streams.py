"""asyncio's streams API over tls (open_connection, start_server).

The implementation is ``tls._faces.streams`` (its layer: see docs/architecture.md);
this public name is that same module object, so ``tls.streams.X`` and
``tls._faces.streams.X`` are one attribute.
"""
import sys

from ._faces import streams as _implementation
from ._faces.streams import *  # noqa: F403  (the public names, for readers and type checkers)
from ._base.public_dir import module_dir as _module_dir

# dir() shows the API (__all__), not the implementation's imports (_base/public_dir.py)
_implementation.__dir__ = _module_dir(_implementation.__name__)  # type: ignore[method-assign]
sys.modules[__name__] = _implementation
