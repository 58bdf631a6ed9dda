"""Node's ``net`` module: ``Socket`` and ``connect`` (socket.py), ``Server`` and
``createServer`` (net_server.py), ``connectAsync``, and ``isIP`` / ``isIPv4`` /
``isIPv6`` (tls._base.addresses), with their snake_case aliases; and Node's globals
``AbortController`` / ``AbortSignal`` (abort.py) for the ``signal`` option.

This module only assembles them (``tls.net`` is this module); net_server.py
builds on socket.py, and neither imports this one.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .._base.addresses import isIP, isIPv4, isIPv6
from .._base.aliases import module_getattr as _module_getattr
from .abort import AbortController, AbortSignal  # Node's globals, for the 'signal' option
from .aio import established
from .net_server import Server, createServer
from .socket import Socket, Stream, connect, createConnection

__all__ = ["Socket", "Server", "Stream", "connect", "connectAsync", "createConnection", "createServer",
           "isIP", "isIPv4", "isIPv6", "AbortController", "AbortSignal"]


async def connectAsync(*args: Any, **kwargs: Any) -> Socket:
    """``net.connect(...)`` (same arguments), resolving to the Socket at 'connect'."""
    return await established(connect(*args, **kwargs), "connect")


if TYPE_CHECKING:
    # the snake_case aliases __getattr__ resolves, for type checkers (to which a misspelt name is an error)
    connect_async = connectAsync
    create_connection = createConnection
    create_server = createServer
    is_ip = isIP
    is_ipv4 = isIPv4
    is_ipv6 = isIPv6
    # so that tls.net (this very module) shows them to type checkers too
    __all__ += [
        "connect_async", "create_connection", "create_server", "is_ip", "is_ipv4", "is_ipv6",
    ]
else:
    __getattr__ = _module_getattr(__name__)  # net.create_server is net.createServer (tls._aliases)
