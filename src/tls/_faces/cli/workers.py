"""``python -m tls server --workers N``: the server on N worker processes sharing one port (``tls.cluster``).

The primary runs no server itself.  It makes the identity once (so every worker serves the same throwaway
certificate: passed in the workers' environment), forks the workers -- each runs this same command line and
serves as ``python -m tls server`` does -- and prints one 'listening' line when they all listen.  It prints the
counters of all workers added up (``cluster.getCounters``) every ``--stats`` seconds and once at the end.

Signals, to the primary: SIGINT (Ctrl-C) and SIGTERM print the counters, then disconnect the workers (each
stops accepting, finishes its open connections and exits) and the primary exits when they are gone; SIGHUP
replaces the workers one at a time (``cluster.rollingRestart``), so new workers read ``--cert`` / ``--key``
again: a certificate renewal without a dropped connection.  A worker that dies on its own is replaced.  Workers
ignore SIGINT: a terminal's Ctrl-C reaches the whole process group, and the primary ends them in order.
"""
from __future__ import annotations

import argparse
import asyncio
import os
import signal
from typing import Any, Callable, Dict, List, Optional

from ..._base.errors import error_message
from . import format as fmt

ENV_KEY = "TLS_CLI_WORKER_KEY"
ENV_CERT = "TLS_CLI_WORKER_CERT"


def inherited_identity() -> Optional[Dict[str, Any]]:
    """The throwaway key and certificate the primary made, in a worker (None elsewhere)."""
    key, cert = os.environ.get(ENV_KEY), os.environ.get(ENV_CERT)
    if key is None or cert is None:
        return None
    return {"key": key.encode("ascii"), "cert": cert.encode("ascii")}


def counters_lines(counters: Dict[str, Any], title: str) -> List[str]:
    handshakes = counters["handshakes"]
    errors = ", ".join("%s %d" % item for item in sorted(counters["tlsClientErrors"].items())) or "none"
    return [title] + fmt.render_fields([
        ("handshakes", "%d full, %d resumed" % (handshakes["full"], handshakes["resumed"])),
        ("client errors", errors),
        ("connections", "%d open" % counters["connections"]),
        ("bytes", "%d in, %d out" % (counters["bytesRead"], counters["bytesWritten"])),
    ], indent="  ")


def run_worker(serve: Callable[[argparse.Namespace], Any], args: argparse.Namespace) -> int:
    """A worker: the plain server (its listen() goes through the primary), Ctrl-C left to the primary."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    result: int = asyncio.run(serve(args))
    return result


def run_primary(args: argparse.Namespace, reporter: Any, identity: Optional[Dict[str, Any]]) -> int:
    """The primary: fork, report, relay the signals (see the module's docstring)."""
    from ..._node.process import process
    from ..._node.runtime import run
    from ..._node.timers import setInterval
    from ..cluster import cluster

    env: Dict[str, str] = {}
    if identity is not None:
        env = {ENV_KEY: identity["key"].decode("ascii"), ENV_CERT: identity["cert"].decode("ascii")}
    state = {"stopping": False, "listening": set(), "announced": False}

    def report_counters(title: str, then: Optional[Callable[[], None]] = None) -> None:
        def done(err: Any, result: Any) -> None:
            if err is None:
                total = result["total"]
                reporter.event({"event": "counters", "workers": len(result["workers"]), **total},
                               counters_lines(total, "counters (%s, %d workers)" % (title, len(result["workers"]))))
            if then is not None:
                then()
        cluster.getCounters(done)

    def on_listening(worker: Any, address: Dict[str, Any]) -> None:
        listening = state["listening"]
        assert isinstance(listening, set)
        listening.add(worker.id)
        if len(listening) >= args.workers and not state["announced"]:
            state["announced"] = True
            reporter.event({"event": "listening", "host": address["address"], "port": address["port"],
                            "workers": args.workers},
                           ["listening on %s (%d workers)" % (fmt.address_text(address["address"], address["port"]),
                                                              args.workers)])

    def on_exit(worker: Any, code: Any, signal_name: Any) -> None:
        listening = state["listening"]
        assert isinstance(listening, set)
        listening.discard(worker.id)
        if state["stopping"] or worker.exitedAfterDisconnect:
            return
        reporter.event({"event": "workerExit", "worker": worker.id, "code": code, "signal": signal_name},
                       ["worker %d exited (%s): starting another" % (worker.id, signal_name or "code %s" % code)])
        cluster.fork()

    def stop(name: str, number: int) -> None:
        if state["stopping"]:
            return
        state["stopping"] = True
        report_counters("at exit", lambda: cluster.disconnect())

    def restart(name: str, number: int) -> None:
        def done(err: Any, replacements: Any = None) -> None:
            if err is not None:
                code, message = getattr(err, "code", None), error_message(err)
                reporter.event({"event": "restartError", "code": code, "message": message},
                               ["rolling restart failed: %s" % fmt.error_line(code, message)])
            else:
                reporter.event({"event": "restarted", "workers": len(replacements or [])},
                               ["restarted %d workers, one at a time" % len(replacements or [])])
        if not state["stopping"]:
            cluster.rollingRestart(done)

    def main() -> None:
        # in the primary's own environment, so the workers rollingRestart forks get it too
        os.environ.update(env)
        cluster.on("listening", on_listening)
        cluster.on("exit", on_exit)
        for _ in range(args.workers):
            cluster.fork()
        process.on("SIGINT", stop)
        process.on("SIGTERM", stop)
        process.on("SIGHUP", restart)
        if args.stats:
            setInterval(lambda: report_counters("every %gs" % args.stats), int(args.stats * 1000)).unref()

    try:
        run(main)
    finally:
        if identity is not None and identity.get("_remove"):
            try:
                os.unlink(identity["_remove"])
            except OSError:
                pass
    return 0
