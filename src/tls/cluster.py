"""Node's cluster module (isPrimary, fork, workers, worker, setupPrimary, schedulingPolicy, disconnect).

The implementation is ``tls._faces.cluster`` (docs/cluster.md); this public
name is the ``cluster`` object itself, an EventEmitter as in Node, so
``tls.cluster.on('exit', ...)`` and ``tls.cluster.fork()`` work as they read.
"""
import sys

from ._faces.cluster import cluster as _cluster

sys.modules[__name__] = _cluster  # type: ignore[assignment]
