"""tls.cluster: full handshakes/s and how evenly connections spread, 1 vs 2 workers, SCHED_RR vs SCHED_NONE.

    python bench/cluster_distribution.py [--duration 3] [--runs 3] [--conns 16] [--json FILE]

Also the resumption rate across the 2 workers (loadgen's resume13 / resume12: every connection offers
the latest ticket, whichever worker issued it): the cluster's shared ticket keys should make it 100%.

For each setting a cluster server (this file with ``--serve``: the primary
forks N workers, each a tls.Server that echoes one byte, TLS 1.3, ECDSA
P-256) faces bench/loadgen.c's ``hs`` scenario (connect, full handshake, one
echoed byte, close; ``--conns`` in flight).  When the generator is done the
primary asks every worker how many connections it served (``worker.send``)
and prints the counts.  Reported per setting: handshakes/s (median of the
runs), and the spread as the smallest worker share (50% is perfectly even
with 2 workers).  Nothing is pinned: the workers and the generator share
this machine's 2 cores, as a real deployment would share them with its
clients' kernel work.
"""
from __future__ import annotations

import argparse
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
from typing import Any, Dict, List

BENCH = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, BENCH)
import run as _suite  # noqa: E402  (build_loadgen, make_certs, tls_env)


def serve(args: argparse.Namespace) -> None:
    import tls
    import tls.cluster as cluster

    def primary() -> None:
        counts: Dict[int, Any] = {}
        listening: List[int] = []
        reports = [0]

        def on_listening(worker: Any, address: Dict[str, Any]) -> None:
            listening.append(address["port"])
            if len(listening) == args.workers:
                print(address["port"], flush=True)

        def on_message(worker: Any, message: Any, handle: Any = None) -> None:
            counts[worker.id] = message
            if len(counts) == args.workers:
                print(json.dumps({"served": [counts[k]["served"] for k in sorted(counts)],
                                  "cpu": sum(counts[k]["cpu"] for k in counts)}), flush=True)
                counts.clear()
                reports[0] += 1
                if reports[0] == 2:   # the first report is taken before the load, the second after it
                    cluster.disconnect()

        def report(*_: Any) -> None:
            for worker in cluster.workers.values():
                worker.send("report")

        cluster.on("listening", on_listening)
        cluster.on("message", on_message)
        tls.process.on("SIGUSR1", report)
        for _ in range(args.workers):
            cluster.fork()

    def worker() -> None:
        served = [0]
        options = {"key": open(args.key, "rb").read(), "cert": open(args.cert, "rb").read(), "noDelay": True}

        def on_secure(socket: Any) -> None:
            served[0] += 1
            socket.on("error", lambda err: None)
            socket.on("data", socket.write)

        server = tls.createServer(options, on_secure)
        server.on("tlsClientError", lambda err, socket: None)
        server.listen(0, "127.0.0.1")
        def report(message: Any, handle: Any = None) -> None:
            times = os.times()   # this worker's CPU so far: the server's cost per handshake, whatever the machine
            tls.process.send({"served": served[0], "cpu": times.user + times.system})

        tls.process.on("message", report)

    tls.run(primary if cluster.isPrimary else worker)


def measure(policy: str, workers: int, certs: Dict[str, str], env: Dict[str, str], duration: float,
            conns: int, scenario: str = "hs", key_type: str = "ec") -> Dict[str, Any]:
    server_env = dict(env, NODE_CLUSTER_SCHED_POLICY=policy)
    server = subprocess.Popen([sys.executable, os.path.abspath(__file__), "--serve", "--workers", str(workers),
                               "--cert", certs[key_type + "_cert"], "--key", certs[key_type + "_key"]],
                              env=server_env, stdout=subprocess.PIPE, text=True)
    try:
        port = int(server.stdout.readline())
        server.send_signal(signal.SIGUSR1)
        before = json.loads(server.stdout.readline())
        done = subprocess.run([_suite.LOADGEN, "client", "--scenario", scenario, "--port", str(port),
                               "--duration", str(duration), "--conns", str(conns), "--ca", certs["ca"]],
                              capture_output=True, text=True, timeout=duration + 60)
        result = json.loads(done.stdout.strip().splitlines()[-1])
        server.send_signal(signal.SIGUSR1)
        after = json.loads(server.stdout.readline())
        served = [n - m for n, m in zip(after["served"], before["served"])]
        server_cpu = after["cpu"] - before["cpu"]
        server.wait(30)
    finally:
        if server.poll() is None:
            server.kill()
    total = sum(served) or 1
    return {"policy": policy, "workers": workers, "scenario": scenario, "rate": result.get("rate", 0.0),
            "errors": result.get("errors", 0), "served": served, "min_share": min(served) / total,
            "reused": result.get("reused", 0) / max(1, result.get("ops", 0)),
            "server_cpu_ms": 1000 * server_cpu / max(1, sum(served)),
            "loadgen_cpu_ms": 1000 * result.get("cpu", 0.0) / max(1, result.get("ops", 0))}


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--serve", action="store_true")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--cert")
    parser.add_argument("--key")
    parser.add_argument("--duration", type=float, default=3.0)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--conns", type=int, default=16)
    parser.add_argument("--json")
    parser.add_argument("--key-type", choices=("ec", "rsa"), default="ec",
                        help="the server certificate: ECDSA P-256 (the client's share of the work is large) or "
                             "RSA-2048 (the server's signature dominates, as with most public certificates)")
    args = parser.parse_args()
    if args.serve:
        serve(args)
        return 0
    _suite.build_loadgen()
    env, where = _suite.tls_env()
    if env is None:
        print("cannot import tls:", where, file=sys.stderr)
        return 1
    results: Dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as folder:
        certs = _suite.make_certs(folder)
        # (policy, workers, loadgen scenario): full handshakes, then resumption across 2 workers with the
        # latest ticket (the cluster's shared keys decrypt it whichever worker issued it)
        settings = [("none", 1, "hs"), ("rr", 2, "hs"), ("none", 2, "hs"), ("none", 2, "resume13"),
                    ("none", 2, "resume12")]
        runs: Dict[str, List[Dict[str, Any]]] = {"%s-%d-%s" % s: [] for s in settings}
        for _ in range(args.runs):
            for policy, workers, scenario in settings:   # interleaved: a busy moment hits every setting
                one = measure(policy, workers, certs, env, args.duration, args.conns, scenario, args.key_type)
                runs["%s-%d-%s" % (policy, workers, scenario)].append(one)
                print(json.dumps(one), file=sys.stderr, flush=True)
        for name, items in runs.items():
            results[name] = {"rate": statistics.median(r["rate"] for r in items),
                             "server_cpu_ms": statistics.median(r["server_cpu_ms"] for r in items),
                             "loadgen_cpu_ms": statistics.median(r["loadgen_cpu_ms"] for r in items),
                             "min_share": statistics.median(r["min_share"] for r in items),
                             "reused": min(r["reused"] for r in items),
                             "errors": sum(r["errors"] for r in items), "runs": items}
    one = results["none-1-hs"]["rate"]
    print("%-38s %12s %6s %10s %8s %14s %14s" % ("setting", "handshakes/s", "vs 1", "min share", "resumed",
                                                "server CPU/op", "loadgen CPU/op"))
    for name, label in (("none-1-hs", "1 worker, full"), ("rr-2-hs", "2 workers, SCHED_RR, full"),
                        ("none-2-hs", "2 workers, SCHED_NONE, full"),
                        ("none-2-resume13", "2 workers, SCHED_NONE, TLS 1.3 ticket"),
                        ("none-2-resume12", "2 workers, SCHED_NONE, TLS 1.2 ticket")):
        r = results[name]
        print("%-38s %12.0f %5.2fx %9.1f%% %7.1f%% %11.3f ms %11.3f ms"
              % (label, r["rate"], r["rate"] / one, 100 * r["min_share"], 100 * r["reused"], r["server_cpu_ms"],
                 r["loadgen_cpu_ms"]))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
