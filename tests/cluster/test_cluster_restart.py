"""tls.cluster.rollingRestart(): every worker replaced while clients keep connecting, none refused."""
from __future__ import annotations

import pytest

from support.cluster import run_program

RESTART_PY = '''
KEY = open(os.environ["KEY_FILE"], "rb").read()
CERT = open(os.environ["CERT_FILE"], "rb").read()
WORKERS = int(os.environ["WORKERS"])


def main():
    if cluster.isPrimary:
        counts = {"ok": 0, "failed": 0, "after": 0}
        state = {"running": True, "restarted": False}
        answered_by = set()
        ready = []

        def client(port):
            # one TLS connection after the other, for as long as the test runs
            if not state["running"]:
                return
            sock = tls.connect({"port": port, "host": "127.0.0.1", "rejectUnauthorized": False})
            got = []
            failed = []
            sock.on("data", got.append)
            sock.on("error", failed.append)

            def closed(*args):
                if not state["running"]:
                    return   # in flight when the test ended: cluster.disconnect() may cut it (Node's too)
                if failed or not got:
                    counts["failed"] += 1
                    log("failure", repr(failed[:1]))
                else:
                    counts["ok"] += 1
                    answered_by.add(b"".join(got).decode())
                    if state["restarted"]:
                        counts["after"] += 1
                if counts["ok"] == 20 and not state.get("started"):
                    state["started"] = True
                    cluster.rollingRestart(restarted)
                if counts["after"] >= 20 and state["running"]:
                    state["running"] = False
                    log("counts", counts, sorted(answered_by), sorted(cluster.workers))
                    cluster.disconnect()
                client(port)
            sock.on("close", closed)

        def restarted(err, replacements):
            log("restarted", err and err.code, [w.id for w in replacements])
            state["restarted"] = True

        def listening(worker, address):
            ready.append(worker.id)
            if len(ready) == WORKERS:
                for _ in range(3):
                    client(address["port"])

        cluster.on("listening", listening)
        cluster.on("exit", lambda w, code, sig: log("exit", w.id, code, sig, w.exitedAfterDisconnect))
        for _ in range(WORKERS):
            cluster.fork()
    else:
        tls.createServer({"key": KEY, "cert": CERT}, lambda s: s.end("w%d" % cluster.worker.id)).listen(0)


tls.run(main)
'''


@pytest.mark.parametrize("workers", [1, 2])
@pytest.mark.parametrize("policy", ["none", "rr"])
def test_rolling_restart_under_a_client_loop_fails_no_connection(policy, workers, pems, tmp_path):
    """With one worker too: the replacement listens before the old one lets go, so even round-robin
    (whose listening socket closes with its last worker) never refuses a connection."""
    ran = run_program(RESTART_PY, str(tmp_path), timeout=40,
                      env={"KEY_FILE": pems.path("key"), "CERT_FILE": pems.path("cert"),
                           "NODE_CLUSTER_SCHED_POLICY": policy, "WORKERS": str(workers)})
    assert ran.returncode == 0, ran.stderr
    new_ids = list(range(workers + 1, 2 * workers + 1))
    assert ran.named("restarted") == [["restarted", None, new_ids]]
    [(_, counts, answered_by, workers_at_end)] = ran.named("counts")
    assert counts["failed"] == 0 and not ran.named("failure"), ran.events
    assert workers_at_end == new_ids
    assert {"w%d" % i for i in new_ids} <= set(answered_by)    # the replacements served
    exits = {event[1]: event[2:] for event in ran.named("exit")}
    for old_id in range(1, workers + 1):
        assert exits[old_id] == [0, None, True]                 # the old workers left gracefully
