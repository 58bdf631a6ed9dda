"""tls.cluster: a worker's life -- events in Node's order, messages, kill, exit codes, disconnect.

Each test is a cluster program (tests/support/cluster.py) run as a process;
where Node 20 runs the same program, its events are compared with ours.
"""
from __future__ import annotations

import re
import socket
from typing import Any, List

import pytest

from support.cluster import run_node, run_program

ORDER_PY = '''
def main():
    if cluster.isPrimary:
        cluster.on("setup", lambda s: log("setup", sorted(s)))
        cluster.on("fork", lambda w: log("fork", w.id))
        cluster.on("online", lambda w: log("online", w.id))
        cluster.on("listening", lambda w, a: log("listening", w.id, a))
        cluster.on("disconnect", lambda w: log("disconnect", w.id))
        cluster.on("exit", lambda w, c, s: log("exit", w.id, c, s, w.exitedAfterDisconnect, w.state))
        cluster.on("message", lambda w, m, h=None: log("message", w.id, m))
        w = cluster.fork()

        def listening(address):
            log("w-listening", address)
            w.send({"hi": 1})

        def message(m, h=None):
            log("w-message", m)
            w.disconnect()

        w.on("listening", listening)
        w.on("message", message)
        log("policy", cluster.schedulingPolicy, cluster.SCHED_NONE, cluster.SCHED_RR, sorted(cluster.settings))
    else:
        tls.process.on("message", lambda m, h=None: tls.process.send({"got": m, "id": cluster.worker.id}))
        net.createServer(lambda s: None).listen(0)


tls.run(main)
'''

ORDER_JS = '''
const cluster = require('cluster'); const net = require('net');
if (cluster.isPrimary) {
  cluster.on('setup', (s) => log('setup', Object.keys(s).sort()));
  cluster.on('fork', (w) => log('fork', w.id));
  cluster.on('online', (w) => log('online', w.id));
  cluster.on('listening', (w, a) => log('listening', w.id, a));
  cluster.on('disconnect', (w) => log('disconnect', w.id));
  cluster.on('exit', (w, c, s) => log('exit', w.id, c, s, w.exitedAfterDisconnect, w.state));
  cluster.on('message', (w, m) => log('message', w.id, m));
  const w = cluster.fork();
  w.on('listening', (a) => { log('w-listening', a); w.send({hi: 1}); });
  w.on('message', (m) => { log('w-message', m); w.disconnect(); });
  log('policy', cluster.schedulingPolicy, cluster.SCHED_NONE, cluster.SCHED_RR, Object.keys(cluster.settings).sort());
} else {
  process.on('message', (m) => process.send({got: m, id: cluster.worker.id}));
  net.createServer(() => {}).listen(0);
}
'''


def _without_ports(events: List[Any]) -> str:
    return re.sub(r'"port": ?\d+', '"port": 0', repr(events).replace("'", '"').replace("None", "null")
                  .replace("True", "true").replace("False", "false"))


@pytest.mark.parametrize("policy", ["rr", "none"])
def test_events_come_in_nodes_order(policy, tmp_path):
    env = {"NODE_CLUSTER_SCHED_POLICY": policy}
    ours = run_program(ORDER_PY, str(tmp_path), env=env)
    theirs = run_node(ORDER_JS, str(tmp_path), env=env)
    assert ours.returncode == 0 and theirs.returncode == 0, ours.stderr + theirs.stderr
    assert ours.named("exit"), ours.stderr
    assert _without_ports(ours.events) == _without_ports(theirs.events)


MESSAGES_PY = '''
def main():
    if cluster.isPrimary:
        w = cluster.fork()

        def message(m, h=None):
            log("primary-got", m)
            w.disconnect()

        def disconnected():
            log("connected", w.isConnected(), w.isDead())
            log("send-returns", w.send("late"))
            w.send("late", lambda err: log("send-cb", getattr(err, "code", None)))
            w.disconnect()   # again: nothing to do, no 'error' (Node's too)

        w.on("online", lambda: w.send({"ping": [1, "two", None]}))
        w.on("message", message)
        w.on("error", lambda err: log("error-event", err.code))
        w.on("disconnect", disconnected)
        w.on("exit", lambda code, sig: log("exit", code, sig, w.exitedAfterDisconnect))
    else:
        def got(m, h=None):
            log("worker-got", m, tls.process.connected)
            tls.process.send({"pong": m["ping"]})
        tls.process.on("message", got)


tls.run(main)
'''

MESSAGES_JS = '''
const cluster = require('cluster');
if (cluster.isPrimary) {
  const w = cluster.fork();
  w.on('online', () => w.send({ping: [1, 'two', null]}));
  w.on('message', (m) => { log('primary-got', m); w.disconnect(); });
  w.on('error', (err) => log('error-event', err.code));
  w.on('disconnect', () => {
    log('connected', w.isConnected(), w.isDead());
    log('send-returns', w.send('late'));
    w.send('late', (err) => log('send-cb', err && err.code));
    w.disconnect();
  });
  w.on('exit', (code, sig) => log('exit', code, sig, w.exitedAfterDisconnect));
} else {
  process.on('message', (m) => { log('worker-got', m, process.connected); process.send({pong: m.ping}); });
}
'''


def test_messages_both_ways_and_send_after_disconnect_as_node(tmp_path):
    """worker.send / process.send, and ERR_IPC_CHANNEL_CLOSED once the channel is closed; the worker
    runs as ``python -m`` (a package's __main__), which its workers must re-run the same way."""
    package = tmp_path / "app"
    package.mkdir()
    (package / "__init__.py").write_text("")
    ours = run_program(MESSAGES_PY, str(tmp_path), name="app/__main__.py", module="app")
    theirs = run_node(MESSAGES_JS, str(tmp_path))
    assert ours.returncode == 0, ours.stderr
    assert ours.events == theirs.events
    assert ours.events[-1] == ["exit", 0, None, True]


KILL_PY = '''
def main():
    def fork(mode, then):
        w = cluster.fork({"MODE": mode})
        w.on("exit", lambda code, sig: (log("exit", mode, code, sig, w.exitedAfterDisconnect, w.state,
                                            w.isDead()), then()))
        return w

    def term():
        w = fork("idle", sigkill)
        w.on("online", lambda: w.kill())

    def sigkill():
        w = fork("idle", crash)
        w.on("online", lambda: log("kill-returns", w.process.kill("SIGKILL")))

    def crash():
        fork("crash", exit7)

    def exit7():
        fork("exit7", self_kill)

    def self_kill():
        fork("self-kill", bad_signal)

    def bad_signal():
        w = fork("idle", lambda: log("workers-left", len(cluster.workers)))
        def online():
            try:
                w.kill("SIGBOGUS")
            except tls.NodeError as err:
                log("bad-signal", err.code)
            w.kill("SIGKILL")
        w.on("online", online)

    term()


if cluster.isPrimary:
    tls.run(main)
else:
    mode = os.environ["MODE"]
    if mode == "crash":
        tls.run(lambda: 1 / 0)   # uncaught: the worker dies with status 1
    elif mode == "exit7":
        tls.run(lambda: tls.process.exit(7))
    elif mode == "self-kill":
        tls.run(lambda: cluster.worker.kill())   # a worker's own kill(): disconnect, then exit(0)
    else:
        tls.run(lambda: None)   # nothing but the channel keeps it alive, as in Node
'''


def test_kill_and_exit_codes_and_signals(tmp_path):
    ran = run_program(KILL_PY, str(tmp_path))
    assert ran.returncode == 0, ran.stderr
    exits = ran.named("exit")
    assert len(exits) == 6, ran.stdout + ran.stderr
    term, sigkill, crash, exit7, self_kill, bad = exits
    # kill(): disconnect, then SIGTERM -- the worker may see the channel close and exit(0) first (Node too)
    assert term[2:4] in ([None, "SIGTERM"], [0, None]) and term[4:] == [True, "dead", True]
    assert sigkill[1:] == ["idle", None, "SIGKILL", False, "dead", True]
    assert ran.named("kill-returns") == [["kill-returns", True]]
    assert crash[1:] == ["crash", 1, None, False, "dead", True]
    assert "ZeroDivisionError" in ran.stderr
    assert exit7[1:] == ["exit7", 7, None, False, "dead", True]
    assert self_kill[1:] == ["self-kill", 0, None, True, "dead", True]
    assert ran.named("bad-signal") == [["bad-signal", "ERR_UNKNOWN_SIGNAL"]]
    assert bad[2:4] == [None, "SIGKILL"]
    assert ran.named("workers-left") == [["workers-left", 0]]


DISCONNECT_PY = '''
def main():
    if cluster.isPrimary:
        w = cluster.fork()

        def listening(address):
            sock = net.connect(address["port"], "127.0.0.1")
            seen = []

            def data(d):
                seen.append(d)
                log("client-got", d.decode())
                if len(seen) == 1:     # the worker has the connection: tell it to go
                    w.disconnect()
                    sock.write("ping")
                else:                  # it still serves the open connection
                    log("dead-yet", w.isDead(), w.exitedAfterDisconnect)
                    sock.end()

            sock.on("data", data)
            sock.on("close", lambda *a: log("client-closed"))

        w.on("listening", listening)
        w.on("disconnect", lambda: log("disconnect"))
        w.on("exit", lambda code, sig: log("exit", code, sig, w.exitedAfterDisconnect))
    else:
        def connection(s):
            s.write("hello")
            s.on("data", lambda d: s.write("pong"))
            s.on("end", lambda: s.end())
        net.createServer(connection).listen(0)


tls.run(main)
'''


@pytest.mark.parametrize("policy", ["rr", "none"])
def test_disconnect_waits_for_the_open_connection(policy, tmp_path):
    ran = run_program(DISCONNECT_PY, str(tmp_path), env={"NODE_CLUSTER_SCHED_POLICY": policy})
    assert ran.returncode == 0, ran.stderr
    names = [event[0] for event in ran.events]
    assert names[:3] == ["client-got", "client-got", "dead-yet"], ran.events
    assert ran.named("dead-yet") == [["dead-yet", False, True]]
    assert set(names[3:5]) == {"client-closed", "disconnect"} and names[5:] == ["exit"], ran.events
    assert ran.named("exit") == [["exit", 0, None, True]]


BAD_PY = '''
def main():
    if cluster.isPrimary:
        w = cluster.fork()
        w.on("message", lambda m, h=None: log("worker-said", m))
        w.on("exit", lambda code, sig: log("exit", code, sig, w.exitedAfterDisconnect))
    else:
        try:
            cluster.fork()
        except tls.NodeError as err:
            log("fork-in-worker", err.code)
        try:
            tls.process.send(b"bytes are not JSON")
        except tls.NodeError as err:
            log("send-bytes", err.code)
        server = net.createServer()

        def failed(err):
            tls.process.send({"listen-error": err.code, "syscall": err.syscall})
            cluster.worker.disconnect()
        server.on("error", failed)
        server.listen(int(os.environ["BUSY_PORT"]), "127.0.0.1")


tls.run(main)
'''


def test_bad_input_in_a_worker_and_a_busy_port(tmp_path):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        ran = run_program(BAD_PY, str(tmp_path), env={"BUSY_PORT": str(busy.getsockname()[1])})
    assert ran.returncode == 0, ran.stderr
    assert ran.named("fork-in-worker") == [["fork-in-worker", "ERR_CLUSTER_NOT_PRIMARY"]]
    assert ran.named("send-bytes") == [["send-bytes", "ERR_INVALID_ARG_TYPE"]]
    assert ran.named("worker-said") == [["worker-said", {"listen-error": "EADDRINUSE", "syscall": "listen"}]]
    assert ran.named("exit") == [["exit", 0, None, True]]   # the worker's own disconnect() told the primary
