"""The async face of tls: ``tls.connectAsync`` (the sockets' and servers' own awaitable
methods are Node-runtime mixins: ``tls._node.aio``)."""
from __future__ import annotations

from typing import Any

from .._node.aio import established
from .._objects.connect import connect
from .._objects.tlssocket import TLSSocket

__all__ = ["connectAsync"]


async def connectAsync(*args: Any, **kwargs: Any) -> TLSSocket:
    """``tls.connect(...)`` (same arguments), resolving to the TLSSocket at
    'secureConnect'; raises the coded error of 'error' (the socket is then
    destroyed).  Cancelling it destroys the socket.  The same as
    ``await tls.connect(...)`` (the socket is awaitable), as a coroutine function."""
    return await established(connect(*args, **kwargs), "secureConnect")
