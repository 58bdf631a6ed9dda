"""Process-wide hooks into every tls.Server's construction (for tls.cluster, layer 6, above this one).

A cluster worker must give each tls.Server it makes the cluster's ticket keys
and route its TLS 1.2 sessions through the primary, without this layer
importing the cluster.  So the constructor calls :func:`server_created`, and
the cluster worker fills in what it does:

* :data:`default_ticket_keys` (through :func:`set_default_ticket_keys`) -- 48
  bytes every new server uses unless its options give ``ticketKeys`` (Node:
  ticket keys are "automatically shared between cluster module workers");
* :func:`add_server_created` -- callbacks ``fn(server, options)`` run at the end
  of each constructor (the cluster installs its session forwarding there).

Nothing is installed outside a cluster worker, so the cost for every other
program is one ``if`` per server constructed.
"""
from __future__ import annotations

from typing import Any, Callable, List, Mapping, Optional

from .._base.errors import NodeError

__all__ = ["set_default_ticket_keys", "default_ticket_keys", "add_server_created", "remove_server_created",
           "server_created"]

ServerCreated = Callable[[Any, Mapping[str, Any]], None]

default_ticket_keys: Optional[bytes] = None
_created: List[ServerCreated] = []


def set_default_ticket_keys(keys: Optional[bytes]) -> None:
    """The ticket keys new servers take unless given ``ticketKeys`` (None: each makes its own)."""
    global default_ticket_keys
    if keys is not None and len(keys) != 48:
        raise NodeError("Session ticket keys must be a 48-byte buffer", "ERR_INVALID_ARG_VALUE")
    default_ticket_keys = None if keys is None else bytes(keys)


def add_server_created(fn: ServerCreated) -> None:
    _created.append(fn)


def remove_server_created(fn: ServerCreated) -> None:
    if fn in _created:
        _created.remove(fn)


def server_created(server: Any, options: Mapping[str, Any]) -> None:
    """Called by tls.Server's constructor once the server is set up."""
    keys = default_ticket_keys
    if keys is not None and not options.get("ticketKeys"):
        # As an option given would be: kept by a later setSecureContext too.
        server.ticketKeys = keys
        server.setTicketKeys(keys)
    for fn in list(_created):
        fn(server, options)
