"""cluster.rollingRestart(): replace every worker, one at a time, without refusing a connection.

Not in Node (whose users write it by hand from the same events); the recipe
is the usual one, and its order is what makes it lossless:

1. fork the replacement (with the environment the old worker was forked with);
2. wait until it listens (its 'listening'; 'online' for a worker that never
   listened) -- from then on two workers take connections on the port;
3. ``old.disconnect()``: the old worker stops accepting, finishes the
   connections it has and exits; the shared listening socket stays open in
   the primary and the other workers, so a connection waiting in the kernel's
   accept queue is taken by someone else, never refused;
4. wait for the old worker's 'exit', then the next one.

A replacement that exits before it listens stops the restart: the old worker
is left running and ``callback`` gets ``ERR_CLUSTER_RESTART_FAILED``.
"""
from __future__ import annotations

from typing import Any, Callable, List, Optional

from ..._base.errors import NodeError
from ..._node.runtime import nextTick
from .worker import Worker

__all__ = ["rolling_restart"]


def rolling_restart(cluster: Any, callback: Optional[Callable[..., Any]] = None) -> None:
    """Replace the workers that exist now, one by one; ``callback(err, replacements)`` at the end."""
    old: List[Worker] = list(cluster.workers.values())
    replacements: List[Worker] = []

    def finish(err: Optional[BaseException]) -> None:
        if callback is not None:
            callback(err, replacements)
        elif err is not None:
            cluster.emit("error", err)

    def step(index: int) -> None:
        if index == len(old):
            finish(None)
            return
        worker = old[index]
        if worker.isDead() or not worker.isConnected():
            step(index + 1)   # it went by itself meanwhile
            return
        new = cluster.fork(getattr(worker, "_fork_env", None))
        ready_event = "listening" if worker.state == "listening" else "online"

        def ready(*_: Any) -> None:
            new.removeListener("exit", failed)
            replacements.append(new)
            worker.once("exit", lambda *_: step(index + 1))
            worker.disconnect()

        def failed(code: Any, signal: Any) -> None:
            new.removeListener(ready_event, ready)
            finish(NodeError("The replacement of worker %d exited before it was ready (code %s, signal %s)"
                             % (worker.id, code, signal), "ERR_CLUSTER_RESTART_FAILED",
                             worker=worker, replacement=new))

        new.once(ready_event, ready)
        new.once("exit", failed)

    nextTick(step, 0)
