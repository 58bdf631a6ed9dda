"""A cluster under a supervisor: systemd socket activation hands the primary its listening socket (fd 3,
LISTEN_FDS), and the workers' ``listen({"fd": 3})`` share it, as Node's workers share a primary's fd."""
from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys

import pytest

from support.cluster import PRELUDE, parse_events
from support.loopback import free_port
from support.python import SRC

ACTIVATE = shutil.which("systemd-socket-activate")

ACTIVATED_PY = PRELUDE + '''
def main():
    if cluster.isPrimary:
        log("activated", os.environ.get("LISTEN_FDS"), os.environ.get("LISTEN_PID") == str(os.getpid()))
        port = int(os.environ["PORT"])
        listening = []

        def connect(then):
            sock = net.connect(port, "127.0.0.1")
            got = []
            sock.on("data", got.append)
            sock.on("close", lambda *args: then(b"".join(got).decode()))

        def first(worker):
            # the worker that answered stops listening: the next connection must reach the other one
            stopped = cluster.workers[int(worker[1:])]
            stopped.once("message", lambda m, h=None: connect(lambda other: finish(worker, other)))
            stopped.send("close your server")

        def finish(stopped, other):
            log("answered", stopped, other)
            cluster.disconnect()

        def on_listening(worker, address):
            log("listening", worker.id, address)
            listening.append(worker.id)
            if len(listening) == 2:
                connect(first)

        cluster.on("listening", on_listening)
        cluster.fork()
        cluster.fork()
    else:
        server = net.createServer(lambda s: s.end("w%d" % cluster.worker.id)).listen({"fd": 3})
        tls.process.on("message", lambda m, h=None: server.close() and tls.process.send("closed"))


tls.run(main)
'''


@pytest.mark.skipif(ACTIVATE is None, reason="needs systemd-socket-activate (the systemd package)")
@pytest.mark.parametrize("policy", ["none", "rr"])
def test_workers_share_a_socket_systemd_passed_to_the_primary(policy, tmp_path):
    port = free_port()
    program = tmp_path / "activated.py"
    program.write_text(ACTIVATED_PY)
    env = dict(os.environ, PYTHONPATH=SRC, PORT=str(port), NODE_CLUSTER_SCHED_POLICY=policy)
    env.pop("NODE_UNIQUE_ID", None)
    passed = [arg for name in ("PYTHONPATH", "PORT", "NODE_CLUSTER_SCHED_POLICY") for arg in ("-E", name)]
    proc = subprocess.Popen([ACTIVATE, "-l", "127.0.0.1:%d" % port, *passed, sys.executable, str(program)],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert "Listening on" in proc.stderr.readline()     # the socket is bound: it starts us on a connection
        with socket.create_connection(("127.0.0.1", port), timeout=15) as first:
            first.settimeout(15)
            answer = first.recv(16).decode()
        stdout, stderr = proc.communicate(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0, stderr
    events = parse_events(stdout)
    assert ["activated", "1", True] in events
    listening = [event for event in events if event[0] == "listening"]
    assert [event[2] for event in listening] == [{"addressType": -1, "address": None, "port": port, "fd": 3}] * 2
    assert answer in ("w1", "w2")                          # the connection that started it all was served
    [(_, stopped, other)] = [event for event in events if event[0] == "answered"]
    assert {stopped, other} == {"w1", "w2"}                # both workers accept on systemd's socket
