"""Where the socket driven from C is wired in (issue 14).

A TLSSocket over a plain TCP connection that tls.Server accepted or
tls.connect opened itself gets an ``FdTransport`` (tls._node.fd_transport)
instead of asyncio's transport, and once its handshake starts a
``SocketPump`` (tls._protocol.sockio) drives the descriptor from C.  Wrapped
streams (a user-given socket or stream, SecurePair) keep the memory-BIO path
through their own transports.

On by default; ``TLS_C_SOCKET=0`` in the environment (``fd_transport.ENABLED``)
turns it off, and then nothing here changes anything (the asyncio-transport
path, which wrapped streams always take).
"""
from __future__ import annotations

from typing import Any, Callable, Optional

from .._node import fd_transport as _fd_transport
from .._node.fd_transport import FdTransport
from .._protocol.sockio import SocketPump

__all__ = ["ACCEPTED_TRANSPORT_FACTORY", "ENABLED", "TRANSPORT_FACTORY", "adopt"]

ENABLED = _fd_transport.ENABLED

#: what tls.Server's accept and tls.connect's direct connect build their transports with (None: asyncio's)
TRANSPORT_FACTORY: Optional[Callable[[Any], Any]] = _fd_transport.transport_factory if ENABLED else None
#: tls.Server's: its accepted connections start from the accept event (net_server.py calls _made)
ACCEPTED_TRANSPORT_FACTORY: Optional[Callable[[Any], Any]] = \
    _fd_transport.accepted_transport_factory if ENABLED else None


def adopt(sock: Any) -> None:
    """The handshake starts: a TLSSocket on an FdTransport hands its descriptor to a pump."""
    transport = sock._transport
    conn = sock._conn
    if type(transport) is FdTransport and conn.sockio is None and conn.engine is not None \
            and transport._pump is None and not transport._closing:
        transport.set_pump(SocketPump(conn, transport))
