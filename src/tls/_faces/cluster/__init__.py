"""tls.cluster: Node 20's cluster module -- a primary forks workers that share its listening ports.

The module object ``tls.cluster`` is :data:`cluster`, an EventEmitter like
Node's ``require('cluster')``; its parts, by purpose:

* primary.py -- ``fork()``, ``setupPrimary()``, the workers' processes and
  what they ask the primary for;
* child.py -- a worker's boot, its ``listen()`` through the primary, its
  disconnect;
* channel.py -- the IPC channel (JSON lines and descriptors over a socketpair);
* handles.py -- the primary's listening handles: shared (SCHED_NONE) and
  round-robin (SCHED_RR);
* sessions.py -- ticket keys and TLS 1.2 session IDs across workers;
* worker.py -- the Worker class both sides use;
* restart.py -- ``rollingRestart()``, which is not Node's.
"""
from __future__ import annotations

import os
from typing import Any, Callable, Dict, List, Optional

from ..._base.errors import NodeError, NodeTypeError
from ..._base.public_dir import object_dir
from ..._base.validators import received as _received
from ..._node.events import EventEmitter
from . import child as _child
from .primary import SCHED_NONE, SCHED_RR, Primary
from .restart import rolling_restart
from .worker import Worker
from .worker import Worker as _Worker

__all__ = ["Cluster", "cluster", "Worker", "SCHED_NONE", "SCHED_RR"]

# The default distribution differs from Node's (SCHED_RR off Windows), on measurement
# (bench/cluster_distribution.py, bench/results/2026-12-07-cluster.md, docs/cluster.md): with 2 workers on
# this 2-core machine round-robin cost 0.90 ms of server CPU per full handshake against 0.67 ms with the
# shared socket (ECDSA; 1.20 against 0.96 ms with RSA-2048), for as even a spread (46-50% for the less busy
# worker).  Round-robin puts a third Python process (the primary: accept, pass the descriptor, wait for
# the acknowledgement) on the path of every connection; the kernel's spread is even enough here that its
# cost buys nothing.  NODE_CLUSTER_SCHED_POLICY=rr (or cluster.schedulingPolicy = cluster.SCHED_RR before
# the first fork) gives Node's round-robin.
DEFAULT_POLICY = SCHED_NONE


def _policy_from_env() -> int:
    """NODE_CLUSTER_SCHED_POLICY as Node reads it: 'rr' or 'none', anything else the default."""
    value = os.environ.get("NODE_CLUSTER_SCHED_POLICY")
    if value == "rr":
        return SCHED_RR
    if value == "none":
        return SCHED_NONE
    return DEFAULT_POLICY


class Cluster(EventEmitter):
    """Node's ``cluster``: ``isPrimary`` / ``isWorker``, ``fork()``, ``workers``, ``worker``, ``settings``,
    ``schedulingPolicy``, ``setupPrimary()``, ``disconnect()``; events 'fork', 'online', 'listening',
    'message', 'disconnect', 'exit', 'setup'."""

    SCHED_NONE = SCHED_NONE
    SCHED_RR = SCHED_RR
    Worker = Worker

    def __dir__(self) -> List[str]:
        return object_dir(super().__dir__())   # tls.cluster is a module in Node: its API only

    def __init__(self) -> None:
        super().__init__()
        self.settings: Dict[str, Any] = {}
        self.schedulingPolicy: int = _policy_from_env()
        self._primary: Optional[Primary] = None
        self._side = _child.boot(self)
        self.isWorker: bool = self._side is not None
        self.isPrimary: bool = not self.isWorker
        self.isMaster: bool = self.isPrimary
        #: id -> Worker, in the primary (None in a worker, where Node leaves it undefined)
        self.workers: Optional[Dict[int, _Worker]] = None if self.isWorker else {}
        #: this worker, in a worker (None in the primary)
        self.worker: Optional[_Worker] = self._side.worker if self._side is not None else None
        if self.isPrimary:
            self._primary = Primary(self)

    def _need_primary(self, what: str) -> Primary:
        if self._primary is None:
            raise NodeError("cluster.%s() is only available in the primary (cluster.isPrimary)" % what,
                            "ERR_CLUSTER_NOT_PRIMARY")
        return self._primary

    def setupPrimary(self, settings: Any = None, **kwargs: Any) -> None:
        """Change the settings of the workers forked from now on (exec, args, execArgv, silent, cwd, ...)."""
        self._need_primary("setupPrimary").setup(settings, kwargs)

    setupMaster = setupPrimary

    def fork(self, env: Any = None) -> _Worker:
        """Start a worker: this program again, in a fresh interpreter, with ``env`` added to its environment."""
        return self._need_primary("fork").fork(env)

    def disconnect(self, callback: Optional[Callable[[], Any]] = None) -> None:
        """``worker.disconnect()`` for every worker; ``callback()`` once all are gone."""
        self._need_primary("disconnect").disconnect_all(callback)

    def getCounters(self, callback: Callable[..., Any]) -> None:
        """Every worker's tls.Server counters (``server.getCounters()``) added up:
        ``callback(None, {"total": {...}, "workers": {id: {...}}})``.  Not in Node; also ``get_counters``."""
        if not callable(callback):
            raise NodeTypeError('The "callback" argument must be of type function. %s' % _received(callback),
                                "ERR_INVALID_ARG_TYPE")
        self._need_primary("getCounters").get_counters(callback)

    def rollingRestart(self, callback: Optional[Callable[..., Any]] = None) -> None:
        """Replace every worker, one at a time: fork the new one, wait until it listens, disconnect the
        old one, wait for its exit (restart.py).  ``callback(err, replacements)`` at the end.  Not in
        Node; also ``rolling_restart``."""
        self._need_primary("rollingRestart")
        rolling_restart(self, callback)


cluster = Cluster()
