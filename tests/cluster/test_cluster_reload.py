"""Certificate reload in a cluster: SIGHUP to the primary reaches every worker, each applies the new files with
setSecureContext, and new connections to either worker get the new certificate."""
from __future__ import annotations

import os

from support.cluster import run_program

PROGRAM = r'''
from tls.lifecycle import reload_on_signal

folder, new_key, new_cert = sys.argv[1:4]
files = {"key": os.path.join(folder, "key.pem"), "cert": os.path.join(folder, "cert.pem")}


def primary():
    ports, reloaded, served = [], set(), {}

    def on_listening(worker, address):
        ports.append(address["port"])
        if len(ports) == 2:
            # a deploy replaces the files, then `systemctl reload` sends SIGHUP to the primary
            for name, source in (("key.pem", new_key), ("cert.pem", new_cert)):
                with open(os.path.join(folder, name + ".new"), "wb") as f:
                    f.write(open(source, "rb").read())
                os.replace(os.path.join(folder, name + ".new"), os.path.join(folder, name))
            tls.process.kill(tls.process.pid, "SIGHUP")

    def forward(name, number):
        log("primary got", name)
        for worker in cluster.workers.values():
            worker.process.kill(name)

    def on_message(worker, message, *handle):
        if message == "reloaded":
            reloaded.add(worker.id)
            if len(reloaded) == 2:
                connect(0)

    def connect(attempt):
        if len(served) == 2 or attempt == 200:
            log("served", sorted(served.items()))
            cluster.disconnect()
            return
        client = tls.connect(ports[0], "127.0.0.1", {"rejectUnauthorized": False})
        got = []
        client.on("data", got.append)

        def on_end():
            served[b"".join(got).decode()] = client.getPeerCertificate()["subjectaltname"]
            client.end()
            connect(attempt + 1)

        client.on("end", on_end)

    cluster.on("listening", on_listening)
    cluster.on("message", on_message)
    tls.process.on("SIGHUP", forward)
    cluster.fork()
    cluster.fork()


def worker():
    server = tls.createServer({name: open(path, "rb").read() for name, path in files.items()},
                              lambda socket: socket.end(str(cluster.worker.id)))
    reloader = reload_on_signal(server, files)
    reloader.on("reload", lambda: tls.process.send("reloaded"))
    reloader.on("reloadError", lambda err: log("reloadError", err.code))
    server.listen(0, "127.0.0.1")


tls.run(primary if cluster.isPrimary else worker)
'''


def test_sighup_to_the_primary_reloads_every_worker(pems, tmp_path):
    for name, source in (("key.pem", "key"), ("cert.pem", "cert")):
        with open(os.path.join(tmp_path, name), "wb") as f:
            f.write(open(pems.path(source), "rb").read())
    ran = run_program(PROGRAM, str(tmp_path), argv=[str(tmp_path), pems.path("other_key"), pems.path("other_cert")])
    assert ran.returncode == 0, ran.stderr
    assert ran.named("primary got") == [["primary got", "SIGHUP"]]
    [[_, served]] = ran.named("served")
    # both workers answered, each with the new certificate (the old one is for localhost)
    assert [worker for worker, _ in served] == ["1", "2"]
    assert {names for _, names in served} == {"DNS:other.example"}
