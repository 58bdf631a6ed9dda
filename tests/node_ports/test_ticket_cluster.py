"""Port of test/parallel/test-tls-ticket-cluster.js: four cluster workers share one port;
the primary connects 16 times with the first connection's session, and every later
connection, whichever worker takes it, resumes it.

A cluster program is a whole program: it is written to a file and run as a process
(support.cluster), reporting with log() (the primary logs each request and each
reuse a worker reported; the test counts them after the program ended, as Node's
process.on('exit') does); the certificate goes in by file.  Node starts connecting when the
first worker listens; the port waits for all four, so that no worker can get 'die' before
its 'message' listener exists (a race Node's test has too, that a loaded machine can lose)."""
from support.cluster import run_program

PROGRAM = '''
WORKER_COUNT = 4
EXPECTED_REQ_COUNT = 16


def main():
    if cluster.isPrimary:
        state = {"reused": 0, "reqs": 0, "lastSession": None, "shootOnce": False, "port": None, "listening": 0}

        def shoot():
            c = None

            def on_close(*args):
                state["reqs"] += 1
                log("request")
                if state["reqs"] == EXPECTED_REQ_COUNT:
                    for worker in list(cluster.workers.values()):
                        worker.send("die")
                else:
                    shoot()

            def on_session(session):
                assert not state["lastSession"]
                state["lastSession"] = session

            c = tls.connect(state["port"], {"session": state["lastSession"], "rejectUnauthorized": False},
                            lambda: c.end())
            c.on("close", on_close)
            c.once("session", on_session)
            c.resume()

        def fork():
            worker = cluster.fork()

            def on_message(message, handle=None):
                if message["msg"] == "reused":
                    state["reused"] += 1
                    log("reused")
                elif message["msg"] == "listening":
                    state["listening"] += 1
                if state["listening"] == WORKER_COUNT and not state["shootOnce"]:
                    state["port"] = message.get("port") or state["port"]
                    state["shootOnce"] = True
                    shoot()

            worker.on("message", on_message)

        for _ in range(WORKER_COUNT):
            fork()
        return
    options = {"key": open(os.environ["KEY"], "rb").read(), "cert": open(os.environ["CERT"], "rb").read()}

    def on_secure_connection(c):
        tls.process.send({"msg": "reused" if c.isSessionReused() else "not-reused"})
        c.end("x")

    server = tls.createServer(options, on_secure_connection)
    server.listen(0, lambda: tls.process.send({"msg": "listening", "port": server.address()["port"]}))

    def on_message(message, handle=None):
        if message == "die":
            server.close(lambda *a: tls.process.exit())

    tls.process.on("message", on_message)


tls.run(main)
'''


def test_ticket_cluster(self_signed, tmp_path):
    (tmp_path / "key.pem").write_bytes(self_signed["key"])
    (tmp_path / "cert.pem").write_bytes(self_signed["cert"])
    ran = run_program(PROGRAM, str(tmp_path), timeout=30,
                      env={"KEY": str(tmp_path / "key.pem"), "CERT": str(tmp_path / "cert.pem")})
    assert ran.returncode == 0, ran.stderr
    # Node's process.on('exit') checks: 16 requests, all but the first reused
    assert len(ran.named("request")) == 16, (ran.events, ran.stderr[-2000:])
    assert len(ran.named("reused")) + 1 == 16, (ran.events, ran.stderr[-2000:])
