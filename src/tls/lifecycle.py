"""Certificate reload and systemd socket activation for long-running servers (not Node API).

The implementation is ``tls._faces.lifecycle`` (its layer: see docs/architecture.md);
this public name is that same module object.
"""
import sys

from ._faces import lifecycle as _implementation
from ._faces.lifecycle import *  # noqa: F403  (the public names, for readers and type checkers)

sys.modules[__name__] = _implementation
