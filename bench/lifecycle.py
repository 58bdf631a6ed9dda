"""Lifecycle under load: failed connections while certificates are reloaded (and, with tls.cluster, while workers
are replaced one by one).  The goal for every row is 0 failed connections.

    python bench/lifecycle.py [--duration 5] [--json FILE]

The fixed C load generator (bench/loadgen.c, `loadgen client --scenario hs`) keeps 8 full TLS 1.3 handshakes in
flight against a `tls` server for the duration; each connection writes one byte and reads its echo, so a
connection that fails anywhere (refused, reset, a handshake error, a missing echo) counts as an error.

* reload: a `tls.lifecycle.reload_on_signal` server; every 50 ms the key and certificate files are replaced
  (alternately the ECDSA and the RSA pair, by rename as deploy tools do) and the server gets SIGHUP.
* rolling restart: a `tls.cluster` of 2 workers whose primary replaces them one at a time
  (`cluster.rollingRestart()`), again and again for the whole duration.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from typing import Any, Dict

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from run import LOADGEN, build_loadgen, make_certs, tls_env  # noqa: E402

RELOAD_SERVER = """
import sys, tls
from tls.lifecycle import reload_on_signal
folder = sys.argv[1]
def main():
    files = {'key': folder + '/key.pem', 'cert': folder + '/cert.pem'}
    server = tls.createServer({name: open(path, 'rb').read() for name, path in files.items()})
    def on_secure(socket):
        socket.on('error', lambda err: None)
        socket.on('data', socket.write)
    server.on('secureConnection', on_secure)
    reloader = reload_on_signal(server, files)
    def stop(*_):
        reloader.close()
        server.close()
        print('reloads', reloader.reloads, 'failures', reloader.failures, flush=True)
    tls.process.on('SIGTERM', stop)
    server.listen(0, '127.0.0.1', lambda: print(server.address()['port'], flush=True))
tls.run(main)
"""


ROLLING_SERVER = """
import sys, tls
import tls.cluster as cluster
key, cert = open(sys.argv[1], 'rb').read(), open(sys.argv[2], 'rb').read()
def primary():
    state = {'restarts': 0, 'replaced': 0, 'stopping': False, 'listening': 0}
    def on_listening(worker, address):
        state['listening'] += 1
        if state['listening'] == 2:
            print(address['port'], flush=True)
    def again(err=None, replacements=None):
        if err is not None:
            print('restart error', err, file=sys.stderr, flush=True)
        if replacements:
            state['restarts'] += 1
            state['replaced'] += len(replacements)
        if not state['stopping']:
            cluster.rollingRestart(again)
        else:
            print('restarts', state['restarts'], 'replaced', state['replaced'], flush=True)
            cluster.disconnect()
    def start(*_):
        again()
    def stop(*_):
        state['stopping'] = True
    cluster.on('listening', on_listening)
    tls.process.on('SIGUSR1', start)
    tls.process.on('SIGTERM', stop)
    cluster.fork()
    cluster.fork()
def worker():
    def on_secure(socket):
        socket.on('error', lambda err: None)
        socket.on('data', socket.write)
    server = tls.createServer({'key': key, 'cert': cert}, on_secure)
    server.listen(0, '127.0.0.1')
tls.run(primary if cluster.isPrimary else worker)
"""


def rolling_scenario(duration: float, certs: Dict[str, str], env: Dict[str, str]) -> Dict[str, Any]:
    server = subprocess.Popen([sys.executable, "-c", ROLLING_SERVER, certs["ec_key"], certs["ec_cert"]], env=env,
                              stdout=subprocess.PIPE, text=True)
    assert server.stdout is not None
    port = int(server.stdout.readline())
    client = subprocess.Popen([LOADGEN, "client", "--scenario", "hs", "--port", str(port), "--conns", "8",
                               "--duration", str(duration), "--ca", certs["ca"]], stdout=subprocess.PIPE, text=True)
    server.send_signal(signal.SIGUSR1)      # restart after restart until told to stop
    result = json.loads(client.communicate()[0])
    server.send_signal(signal.SIGTERM)
    words = server.communicate(timeout=60)[0].split()
    return {"scenario": "rolling restart, 2 workers", "handshakes": result.get("ops"),
            "failed": result.get("errors"), "ok": result.get("ok"), "rolling_restarts": int(words[1]),
            "workers_replaced": int(words[3])}


def swap_in(folder: str, key: str, cert: str) -> None:
    for source, name in ((key, "key.pem"), (cert, "cert.pem")):
        shutil.copyfile(source, os.path.join(folder, name + ".new"))
        os.replace(os.path.join(folder, name + ".new"), os.path.join(folder, name))


def reload_scenario(duration: float, certs: Dict[str, str], env: Dict[str, str], folder: str) -> Dict[str, Any]:
    swap_in(folder, certs["ec_key"], certs["ec_cert"])
    server = subprocess.Popen([sys.executable, "-c", RELOAD_SERVER, folder], env=env, stdout=subprocess.PIPE,
                              text=True)
    assert server.stdout is not None
    port = int(server.stdout.readline())
    client = subprocess.Popen([LOADGEN, "client", "--scenario", "hs", "--port", str(port), "--conns", "8",
                               "--duration", str(duration), "--ca", certs["ca"]], stdout=subprocess.PIPE, text=True)
    pairs = [(certs["rsa_key"], certs["rsa_cert"]), (certs["ec_key"], certs["ec_cert"])]
    signals = 0
    while client.poll() is None:
        swap_in(folder, *pairs[signals % 2])
        server.send_signal(signal.SIGHUP)
        signals += 1
        time.sleep(0.05)   # the reload interval under test, not a synchronisation
    result = json.loads(client.communicate()[0])
    server.send_signal(signal.SIGTERM)
    words = server.communicate(timeout=30)[0].split()
    return {"scenario": "reload", "handshakes": result.get("ops"), "failed": result.get("errors"),
            "ok": result.get("ok"), "signals": signals, "reloads": int(words[1]),
            "reload_failures": int(words[3])}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--duration", type=float, default=5.0)
    parser.add_argument("--json", metavar="FILE")
    args = parser.parse_args()
    build_loadgen()
    env, _where = tls_env()
    assert env is not None, "tls is not importable"
    folder = tempfile.mkdtemp(prefix="tls-bench-lifecycle-")
    try:
        certs = make_certs(folder)
        rows = [reload_scenario(args.duration, certs, env, folder), rolling_scenario(args.duration, certs, env)]
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    for row in rows:
        print(json.dumps(row))
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"date": time.strftime("%Y-%m-%d"), "rows": rows}, f, indent=1)


if __name__ == "__main__":
    main()
