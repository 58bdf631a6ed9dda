"""tls.cluster: workers share the primary's port, and TLS sessions and tickets resume on any worker.

Each test is a cluster program (tests/support/cluster.py) run as a process:
the primary forks two workers and is their client, over loopback.
"""
from __future__ import annotations

import ssl
from collections import Counter

import pytest

from support.cluster import run_program

# Both workers accept on one port: 20 connections in a row, then the worker that took the last one
# closes its server (told by a message) and the next connection must reach the other one.
SHARE_PY = '''
def main():
    if cluster.isPrimary:
        ports = {}
        seen = []

        def connect(port, then):
            sock = net.connect(port, "127.0.0.1")
            got = []
            sock.on("data", got.append)
            sock.on("close", lambda *args: then(b"".join(got).decode()))

        def answered(port, worker):
            seen.append(worker)
            if len(seen) < 20:
                connect(port, lambda worker: answered(port, worker))
                return
            log("seen", seen)
            stopped = cluster.workers[int(worker[1:])]
            stopped.once("message", lambda m, h=None: connect(port, lambda other: finish(worker, other)))
            stopped.send("close your server")

        def finish(stopped, other):
            log("after-close", stopped, other)
            cluster.disconnect(lambda: log("all-disconnected"))

        def listening(worker, address):
            ports[worker.id] = address["port"]
            if len(ports) == 2:
                log("ports", sorted(ports.values()))
                connect(address["port"], lambda worker: answered(address["port"], worker))

        cluster.on("listening", listening)
        cluster.on("exit", lambda w, code, sig: log("exit", w.id, code, sig, w.exitedAfterDisconnect))
        cluster.fork()
        cluster.fork()
    else:
        server = net.createServer(lambda s: s.end("w%d" % cluster.worker.id)).listen(0)
        tls.process.on("message", lambda m, h=None: server.close() and tls.process.send("closed"))


tls.run(main)
'''


@pytest.mark.parametrize("policy", ["rr", "none"])
def test_two_workers_accept_on_one_port(policy, tmp_path):
    ran = run_program(SHARE_PY, str(tmp_path), env={"NODE_CLUSTER_SCHED_POLICY": policy})
    assert ran.returncode == 0, ran.stderr
    [(_, ports)] = ran.named("ports")
    assert ports[0] == ports[1] != 0                      # listen(0): one port for both workers
    [(_, seen)] = ran.named("seen")
    [(_, stopped, other)] = ran.named("after-close")
    assert {stopped, other} == {"w1", "w2"}               # both accept on it
    if policy == "rr":
        counts = Counter(seen)
        assert counts["w1"] == counts["w2"] == 10, seen   # round-robin: in turn
    assert ran.named("all-disconnected") == [["all-disconnected"]]
    assert sorted(event[1:] for event in ran.named("exit")) == [[1, 0, None, True], [2, 0, None, True]]


RESUME_PY = '''
KEY = open(os.environ["KEY_FILE"], "rb").read()
CERT = open(os.environ["CERT_FILE"], "rb").read()
VERSION = os.environ["TLS_VERSION"]
OPTIONS = {"key": KEY, "cert": CERT, "minVersion": VERSION, "maxVersion": VERSION}
if os.environ.get("NO_TICKET"):
    OPTIONS["secureOptions"] = int(os.environ["NO_TICKET"])   # TLS 1.2 session IDs only


def main():
    if cluster.isPrimary:
        state = {"session": None, "issuer": None}
        ready = []

        def connect(port):
            sock = tls.connect({"port": port, "host": "127.0.0.1", "rejectUnauthorized": False,
                                "session": state["session"], "minVersion": VERSION, "maxVersion": VERSION})
            got = []
            reused = []
            sock.on("data", got.append)
            sock.on("secureConnect", lambda: reused.append(sock.isSessionReused()))
            if state["session"] is None:
                sock.on("session", lambda session: state.update(session=session))

            def closed(*args):
                worker = b"".join(got).decode()
                if state["issuer"] is None:
                    # the issuer stops listening, so the next connection reaches the other worker
                    state["issuer"] = worker
                    log("issued", worker, reused, state["session"] is not None)
                    issuer = cluster.workers[int(worker[1:])]
                    issuer.once("message", lambda m, h=None: connect(port))
                    issuer.send("close your server")
                else:
                    log("resumed-on", worker, reused)

                    def counted(err, counters):
                        log("counters", counters["total"]["handshakes"], sorted(counters["workers"]))
                        cluster.disconnect()
                    cluster.getCounters(counted)
            sock.on("close", closed)

        def listening(worker, address):
            ready.append(address["port"])
            if len(ready) == 2:
                connect(address["port"])

        cluster.on("listening", listening)
        cluster.fork()
        cluster.fork()
    else:
        server = tls.createServer(OPTIONS, lambda s: s.end("w%d" % cluster.worker.id)).listen(0)
        tls.process.on("message", lambda m, h=None: server.close() and tls.process.send("closed"))


tls.run(main)
'''


@pytest.mark.parametrize("version, no_ticket", [("TLSv1.3", None), ("TLSv1.2", int(ssl.OP_NO_TICKET))],
                         ids=["tls13-ticket", "tls12-session-id"])
@pytest.mark.parametrize("policy", ["rr", "none"])
def test_a_session_from_one_worker_resumes_on_the_other(version, no_ticket, policy, pems, tmp_path):
    env = {"KEY_FILE": pems.path("key"), "CERT_FILE": pems.path("cert"),
           "TLS_VERSION": version, "NODE_CLUSTER_SCHED_POLICY": policy}
    if no_ticket:
        env["NO_TICKET"] = str(no_ticket)
    ran = run_program(RESUME_PY, str(tmp_path), env=env)
    assert ran.returncode == 0, ran.stderr
    [(_, issuer, reused_first, got_session)] = ran.named("issued")
    assert reused_first == [False] and got_session, ran.events
    [(_, worker, reused)] = ran.named("resumed-on")
    assert worker != issuer, ran.events          # another worker answered ...
    assert reused == [True], ran.events          # ... and resumed the session the first one made
    # cluster.getCounters(): the workers' server counters, added up by the primary
    assert ran.named("counters") == [["counters", {"full": 1, "resumed": 1}, [1, 2]]]


# A Unix socket path: bound once, by the primary, shared like a port (Node's too); its file goes when the
# last worker has let go of it.
PIPE_PY = """
PATH = os.environ["SOCKET_PATH"]


def main():
    if cluster.isPrimary:
        listening = []

        def connect(then):
            sock = net.connect({"path": PATH})
            got = []
            sock.on("data", got.append)
            sock.on("close", lambda *args: then(b"".join(got).decode()))

        def first(worker):
            stopped = cluster.workers[int(worker[1:])]
            stopped.once("message", lambda m, h=None: connect(lambda other: finish(worker, other)))
            stopped.send("close your server")

        def finish(stopped, other):
            log("answered", stopped, other)
            cluster.disconnect(lambda: log("file-left", os.path.exists(PATH)))

        def on_listening(worker, address):
            log("listening", address)
            listening.append(worker.id)
            if len(listening) == 2:
                connect(first)

        cluster.on("listening", on_listening)
        cluster.fork()
        cluster.fork()
    else:
        server = net.createServer(lambda s: s.end("w%d" % cluster.worker.id)).listen(PATH)
        server.on("listening", lambda: log("address", server.address()))
        tls.process.on("message", lambda m, h=None: server.close() and tls.process.send("closed"))


tls.run(main)
"""


@pytest.mark.parametrize("policy", ["rr", "none"])
def test_two_workers_share_a_unix_socket(policy, tmp_path):
    path = str(tmp_path / "app.sock")
    ran = run_program(PIPE_PY, str(tmp_path), env={"NODE_CLUSTER_SCHED_POLICY": policy, "SOCKET_PATH": path})
    assert ran.returncode == 0, ran.stderr
    assert ran.named("listening") == [["listening", {"addressType": -1, "address": path, "port": -1}]] * 2
    assert ran.named("address") == [["address", path]] * 2
    [(_, stopped, other)] = ran.named("answered")
    assert {stopped, other} == {"w1", "w2"}                # both accept on the one socket
    assert ran.named("file-left") == [["file-left", False]]
