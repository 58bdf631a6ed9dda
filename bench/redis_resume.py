"""Resumption across two server processes sharing one Redis (tls.stores.RedisSessionStore), and what the
store costs a handshake.

    python bench/redis_resume.py                    # ~20 s; prints a Markdown table
    python bench/redis_resume.py --n 400 --json bench/results/DATE-redis-resume.json --markdown FILE.md

Starts its own redis-server on a free port (``--save '' --appendonly no``), makes a throwaway CA and
certificate (trustme), and starts the server processes (this file with ``--serve``: a tls server on plain
asyncio, with or without a store).  The client is Python's ``ssl`` (blocking, one connection at a time, each
reading the server's one-line answer to the end), so every number includes the client's own cost; the
comparisons are between rows measured the same way.

Scenarios:

* ``rate_tls13`` / ``rate_tls12_id``: N connections alternating between process A and process B, each
  resuming the session the previous connection got (from the other process): the resumption rate (goal 100%).
  TLS 1.3 resumes with tickets (the shared ticket ring); TLS 1.2 with session IDs (servers with
  ``SSL_OP_NO_TICKET``: every resumption is a ``GET``, every full handshake a ``SET``).
* ``full_*`` / ``resumed_*``: N connections to one process, without a store, with the store, and with the
  store in ``sessions=False`` mode (the ticket ring only): median handshake time (connect to the end of the
  handshake, client side) and the connections per second.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import socket
import ssl
import statistics
import subprocess
import sys
import tempfile
import time
from typing import Any, Dict, List, Optional

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SSL_OP_NO_TICKET = 0x00004000


# -- the server process ----------------------------------------------------------------------

def serve(cfg: Dict[str, Any]) -> None:
    import tls
    from tls.stores import RedisSessionStore

    async def main() -> None:
        options = {"key": open(cfg["key"]).read(), "cert": open(cfg["cert"]).read(), "sessionIdContext": "bench"}
        if cfg["no_ticket"]:
            options["secureOptions"] = SSL_OP_NO_TICKET
        server = tls.createServer(options, lambda s: s.end("hello\n"))
        store = None
        if cfg["url"]:
            store = RedisSessionStore(cfg["url"], sessions=cfg.get("sessions", True))
            store.attach(server)
            await store.sync()
        ready = asyncio.get_running_loop().create_future()
        server.listen(0, "127.0.0.1", lambda: ready.set_result(None))
        await ready
        print(json.dumps({"port": server.address()["port"]}), flush=True)
        await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)   # until the runner closes stdin
        if store is not None:
            print(json.dumps({"counters": store.counters()}), flush=True)
            await store.close()
        server.close()

    asyncio.run(main())


# -- the runner ------------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Proc:
    def __init__(self, cfg: Dict[str, Any]) -> None:
        env = dict(os.environ, PYTHONPATH=os.path.join(ROOT, "src") + os.pathsep + os.environ.get("PYTHONPATH", ""))
        self.p = subprocess.Popen([sys.executable, __file__, "--serve", json.dumps(cfg)], env=env,
                                  stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        assert self.p.stdout is not None
        self.port = json.loads(self.p.stdout.readline())["port"]

    def stop(self) -> Optional[Dict[str, Any]]:
        assert self.p.stdin is not None and self.p.stdout is not None
        self.p.stdin.close()
        line = self.p.stdout.readline()
        self.p.wait(10)
        return json.loads(line)["counters"] if line else None


def handshake(ctx: ssl.SSLContext, port: int, session: Any = None) -> Any:
    with socket.create_connection(("127.0.0.1", port)) as raw:
        start = time.perf_counter()
        with ctx.wrap_socket(raw, server_hostname="localhost", session=session) as conn:
            seconds = time.perf_counter() - start
            while conn.recv(4096):
                pass
            return conn.session_reused, conn.session, seconds


def client_context(ca: str, version: ssl.TLSVersion) -> ssl.SSLContext:
    ctx = ssl.create_default_context(cafile=ca)
    ctx.minimum_version = ctx.maximum_version = version
    return ctx


def rate(files: Dict[str, str], url: str, version: ssl.TLSVersion, no_ticket: bool, n: int) -> Dict[str, Any]:
    procs = [Proc({**files, "url": url, "no_ticket": no_ticket}) for _ in range(2)]
    try:
        ctx = client_context(files["ca"], version)
        _, session, _ = handshake(ctx, procs[0].port)
        time.sleep(0.05)   # the first session is written behind the handshake
        reused = 0
        for i in range(n):
            ok, new_session, _ = handshake(ctx, procs[(i + 1) % 2].port, session)
            reused += ok
            session = new_session
        return {"connections": n, "resumed": reused, "rate": reused / n}
    finally:
        counters = [p.stop() for p in procs]
        print("  store counters:", counters, file=sys.stderr)


def cost(files: Dict[str, str], url: str, version: ssl.TLSVersion, no_ticket: bool, resume: bool,
         n: int, sessions: bool = True) -> Dict[str, Any]:
    proc = Proc({**files, "url": url, "no_ticket": no_ticket, "sessions": sessions})
    try:
        ctx = client_context(files["ca"], version)
        _, session, _ = handshake(ctx, proc.port)
        time.sleep(0.05)
        times: List[float] = []
        reused = 0
        start = time.perf_counter()
        for _ in range(n):
            ok, new_session, seconds = handshake(ctx, proc.port, session if resume else None)
            times.append(seconds)
            reused += ok
        wall = time.perf_counter() - start
        return {"connections": n, "resumed": reused, "median_ms": statistics.median(times) * 1000,
                "p90_ms": sorted(times)[int(0.9 * n)] * 1000, "conns_per_s": n / wall}
    finally:
        proc.stop()


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--serve")
    p.add_argument("--n", type=int, default=300)
    p.add_argument("--json")
    p.add_argument("--markdown")
    args = p.parse_args()
    if args.serve:
        serve(json.loads(args.serve))
        return
    import trustme

    redis_server = shutil.which("redis-server")
    assert redis_server, "needs redis-server"
    tmp = tempfile.mkdtemp(prefix="redis-bench-")
    ca = trustme.CA()
    leaf = ca.issue_cert("localhost", "127.0.0.1")
    files = {"key": os.path.join(tmp, "key.pem"), "cert": os.path.join(tmp, "cert.pem"),
             "ca": os.path.join(tmp, "ca.pem")}
    leaf.private_key_pem.write_to_path(files["key"])
    with open(files["cert"], "wb") as f:
        f.write(b"".join(blob.bytes() for blob in leaf.cert_chain_pems))
    ca.cert_pem.write_to_path(files["ca"])
    port = free_port()
    redis = subprocess.Popen([redis_server, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                              "--appendonly", "no"], stdout=subprocess.DEVNULL)
    url = "redis://127.0.0.1:%d/0" % port
    try:
        for _ in range(500):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.1).close()
                break
            except OSError:
                time.sleep(0.01)
        v12, v13 = ssl.TLSVersion.TLSv1_2, ssl.TLSVersion.TLSv1_3
        results: Dict[str, Any] = {
            "rate_tls13": rate(files, url, v13, False, args.n),
            "rate_tls12_id": rate(files, url, v12, True, args.n),
        }
        for name, version, no_ticket, resume in (("full_tls13", v13, False, False),
                                                 ("full_tls12_id", v12, True, False),
                                                 ("resumed_tls12_id", v12, True, True),
                                                 ("resumed_tls13", v13, False, True)):
            for label, store_url, sessions in (("no_store", "", True), ("store", url, True),
                                               ("store_tickets_only", url, False)):
                if no_ticket and not sessions:
                    continue   # session IDs are the point of these rows
                results["%s_%s" % (name, label)] = cost(files, store_url, version, no_ticket, resume, args.n,
                                                        sessions)
    finally:
        redis.kill()
        redis.wait()
        shutil.rmtree(tmp, ignore_errors=True)

    meta = {"date": time.strftime("%Y-%m-%d"), "n": args.n, "python": sys.version.split()[0],
            "openssl": ssl.OPENSSL_VERSION, "cores": os.cpu_count()}
    lines = ["| scenario | connections | resumed | rate | median handshake ms | p90 ms | conns/s |",
             "|---|---|---|---|---|---|---|"]
    for name, r in results.items():
        lines.append("| %s | %d | %d | %s | %s | %s | %s |" % (
            name, r["connections"], r["resumed"], "%.1f%%" % (100 * r["rate"]) if "rate" in r else "",
            "%.2f" % r["median_ms"] if "median_ms" in r else "", "%.2f" % r["p90_ms"] if "p90_ms" in r else "",
            "%.0f" % r["conns_per_s"] if "conns_per_s" in r else ""))
    table = "\n".join(lines)
    print(table)
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"meta": meta, "results": results}, f, indent=1)
    if args.markdown:
        with open(args.markdown, "w") as f:
            f.write("# redis_resume.py, %s (n=%d, Python %s, %s, %s cores)\n\n%s\n"
                    % (meta["date"], args.n, meta["python"], meta["openssl"], meta["cores"], table))


if __name__ == "__main__":
    main()
