"""Certificate reload and systemd socket activation for long-running servers (not Node API).

The implementation is ``tls._faces.lifecycle`` (its layer: see docs/architecture.md);
this public name is that same module object.
"""
import sys

from ._faces import lifecycle as _implementation
from ._faces.lifecycle import *  # noqa: F403  (the public names, for readers and type checkers)
from ._base.public_dir import module_dir as _module_dir

# dir() shows the API (__all__), not the implementation's imports (_base/public_dir.py)
_implementation.__dir__ = _module_dir(_implementation.__name__)  # type: ignore[method-assign]
sys.modules[__name__] = _implementation
