"""The tls.net tests (Node's net against Node 20 over loopback): the ``node`` fixture."""
from __future__ import annotations

from typing import Any, Callable, Iterator, List

import pytest

from support.node import NodePeer


# -- Node peers started from plain code ---------------------------------------------------------

@pytest.fixture
def node() -> Iterator[Callable[..., NodePeer]]:
    """Start Node scripts that bring their own prelude (tests/support/net_scripts.py):
    ``node(script, args) -> NodePeer``, started at once; all killed at teardown."""
    peers: List[NodePeer] = []

    def start(script: str, args: Any = None) -> NodePeer:
        peer = NodePeer(script, args if args is not None else {}, prelude=False).start()
        peers.append(peer)
        return peer

    yield start
    for peer in peers:
        peer.kill()
