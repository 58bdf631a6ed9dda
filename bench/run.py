#!/usr/bin/env python3
"""The benchmark suite: this project's `tls` against Node 20's tls, asyncio + ssl, uvloop + ssl and plain C.

    python bench/run.py [--quick] [--json out.json] [--chart out.svg]

One fixed load generator (bench/loadgen.c, built here with `cc -O2 ... -lssl -lcrypto` into bench/bin/)
drives every server under test, and one fixed C server (the same program, `loadgen server`) serves every
client under test.  Server and client are pinned to different cores (taskset), implementations are
interleaved run by run, and each figure is the median of the runs (5, or 1 with --quick) with its
min..max, its ratio to Node measured in the same run, and the CPU time per operation of the process
under test (utime+stime from /proc/<pid>/stat over the measured window).  See bench/README.md.
"""
from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from typing import Any, Dict, List, Optional, Tuple

BENCH = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(BENCH)
IMPL = os.path.join(BENCH, "impl")
BIN = os.path.join(BENCH, "bin")
LOADGEN = os.path.join(BIN, "loadgen")
PY = sys.executable
CLK = os.sysconf("SC_CLK_TCK")

SERVER_CPU, CLIENT_CPU = "0", "1"      # taskset cores: server under test / load generator

IMPL_ORDER = ["tls", "tls_uvloop", "node", "asyncio", "uvloop", "c"]
IMPL_NAMES = {"tls": "tls (this project)", "tls_uvloop": "tls on uvloop", "node": "Node 20 tls",
              "asyncio": "asyncio + ssl",
              "uvloop": "uvloop + ssl", "c": "plain C (OpenSSL)"}

# id, side, title, loadgen/client scenario, server mode, cert, conns, unit, cpu unit
SCENARIOS: List[Dict[str, Any]] = [
    dict(id="srv_bulk", side="server", title="bulk receive, TLS 1.3 AES-128-GCM", scenario="bulk",
         mode="sink", cert="ec", conns=1, unit="MB/s", op="MB"),
    dict(id="srv_hs_ecdsa", side="server", title="full handshakes/s, ECDSA P-256, TLS 1.3", scenario="hs",
         mode="echo", cert="ec", conns=8, unit="handshakes/s", op="handshake"),
    dict(id="srv_hs_rsa", side="server", title="full handshakes/s, RSA-2048, TLS 1.3", scenario="hs",
         mode="echo", cert="rsa", conns=8, unit="handshakes/s", op="handshake"),
    dict(id="srv_resume12", side="server", title="resumed handshakes/s, tickets, TLS 1.2",
         scenario="resume12", mode="echo", cert="ec", conns=8, unit="handshakes/s", op="handshake"),
    dict(id="srv_resume13", side="server", title="resumed handshakes/s, tickets, TLS 1.3",
         scenario="resume13", mode="echo", cert="ec", conns=8, unit="handshakes/s", op="handshake"),
    dict(id="srv_echo1", side="server", title="64-byte echo round trips/s, 1 connection", scenario="echo",
         mode="echo", cert="ec", conns=1, unit="round trips/s", op="round trip"),
    dict(id="srv_echo100", side="server", title="64-byte echo round trips/s, 100 connections",
         scenario="echo", mode="echo", cert="ec", conns=100, unit="round trips/s", op="round trip"),
    dict(id="srv_idle_mem", side="server", title="resident memory per idle connection", scenario="idle",
         mode="echo", cert="ec", conns=1000, unit="KB", op=None, lower_is_better=True),
    dict(id="cli_bulk", side="client", title="bulk send, TLS 1.3 AES-128-GCM", scenario="bulk", mode="sink",
         cert="ec", conns=1, unit="MB/s", op="MB"),
    dict(id="cli_hs_ecdsa", side="client", title="full handshakes/s, ECDSA P-256, TLS 1.3", scenario="hs",
         mode="echo", cert="ec", conns=8, unit="handshakes/s", op="handshake"),
    dict(id="cli_resume13", side="client", title="resumed handshakes/s, TLS 1.3", scenario="resume13",
         mode="echo", cert="ec", conns=8, unit="handshakes/s", op="handshake"),
    dict(id="cli_echo1", side="client", title="64-byte echo round trips/s, 1 connection", scenario="echo",
         mode="echo", cert="ec", conns=1, unit="round trips/s", op="round trip"),
    dict(id="cli_echo100", side="client", title="64-byte echo round trips/s, 100 connections",
         scenario="echo", mode="echo", cert="ec", conns=100, unit="round trips/s", op="round trip"),
]


def log(*args: Any) -> None:
    print(*args, file=sys.stderr, flush=True)


# ------------------------------------------------------------------ setup
def build_loadgen() -> None:
    src = os.path.join(BENCH, "loadgen.c")
    os.makedirs(BIN, exist_ok=True)
    if os.path.exists(LOADGEN) and os.path.getmtime(LOADGEN) >= os.path.getmtime(src):
        return
    cc = os.environ.get("CC", "cc")
    cmd = [cc, "-O2", "-Wall", "-o", LOADGEN, src]
    prefix = os.environ.get("TLS_OPENSSL_PREFIX")
    if prefix:
        cmd += ["-I" + os.path.join(prefix, "include"), "-L" + os.path.join(prefix, "lib"),
                "-Wl,-rpath," + os.path.join(prefix, "lib")]
    cmd += ["-lssl", "-lcrypto"]
    log("building:", " ".join(cmd))
    subprocess.run(cmd, check=True)


def make_certs(folder: str) -> Dict[str, str]:
    """ECDSA P-256 and RSA-2048 self-signed server certificates for localhost, and a CA bundle of both."""
    def run(*args: str) -> None:
        subprocess.run(["openssl", *args], check=True, capture_output=True)

    out = {}
    subj = ["-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"]
    for name, keygen in (("ec", ["ecparam", "-name", "prime256v1", "-genkey", "-noout"]),
                         ("rsa", ["genrsa"])):
        key, cert = os.path.join(folder, name + "-key.pem"), os.path.join(folder, name + "-cert.pem")
        run(*keygen, "-out", key, *(["2048"] if name == "rsa" else []))
        run("req", "-new", "-x509", "-sha256", "-key", key, "-out", cert, "-days", "2", *subj)
        out[name + "_key"], out[name + "_cert"] = key, cert
    ca = os.path.join(folder, "ca.pem")
    with open(ca, "w") as f:
        for name in ("ec", "rsa"):
            f.write(open(out[name + "_cert"]).read())
    out["ca"] = ca
    return out


def tls_env() -> Tuple[Optional[Dict[str, str]], str]:
    """The environment in which `import tls` works: the working tree's src/ first, else an install."""
    base = dict(os.environ)
    src = os.path.join(ROOT, "src")
    candidates = []
    with_src = dict(base, PYTHONPATH=os.pathsep.join(filter(None, [src, base.get("PYTHONPATH")])))
    candidates.append(with_src)
    candidates.append(base)
    last = ""
    for env in candidates:
        r = subprocess.run([PY, "-c", "import tls, sys; sys.stdout.write(tls.__file__)"], env=env,
                           capture_output=True, text=True)
        if r.returncode == 0:
            return env, r.stdout
        last = (r.stderr.strip().splitlines() or ["?"])[-1]
    return None, last


def detect_impls(want: Optional[List[str]]) -> Tuple[List[str], Dict[str, str], Optional[Dict[str, str]]]:
    notes: Dict[str, str] = {}
    impls = []
    env, where = tls_env()
    if env is not None:
        impls.append("tls")
        notes["tls"] = where
    else:
        notes["tls"] = "not importable: " + where
    node = shutil.which("node")
    if node:
        impls.append("node")
        notes["node"] = subprocess.run([node, "--version"], capture_output=True, text=True).stdout.strip()
    else:
        notes["node"] = "node not on PATH"
    impls.append("asyncio")
    notes["asyncio"] = "Python " + platform.python_version() + ", " + __import__("ssl").OPENSSL_VERSION
    r = subprocess.run([PY, "-c", "import uvloop; print(uvloop.__version__)"], capture_output=True, text=True)
    if r.returncode == 0:
        impls.append("uvloop")
        notes["uvloop"] = "uvloop " + r.stdout.strip()
        if env is not None:
            impls.insert(impls.index("tls") + 1, "tls_uvloop")  # the same tls programs, on uvloop's loop
            notes["tls_uvloop"] = "tls with uvloop " + r.stdout.strip() + " as the asyncio loop"
    else:
        notes["uvloop"] = "uvloop not importable (pip install uvloop)"
    impls.append("c")
    notes["c"] = "bench/loadgen.c"
    if want:
        impls = [i for i in impls if i in want]
    return impls, notes, env


def machine_info() -> Dict[str, Any]:
    cpu = "?"
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    def cmd(*a: str) -> str:
        try:
            return subprocess.run(list(a), capture_output=True, text=True, timeout=10).stdout.strip()
        except (OSError, subprocess.TimeoutExpired):
            return "?"
    commit = cmd("git", "-C", ROOT, "rev-parse", "--short", "HEAD")
    dirty = cmd("git", "-C", ROOT, "status", "--porcelain", "--", "src", "csrc")
    return {
        "date": datetime.datetime.now().astimezone().isoformat(timespec="seconds"),
        "nproc": os.cpu_count(), "cpu_model": cpu, "kernel": platform.release(),
        "python": platform.python_version(), "node": cmd("node", "--version"),
        "openssl": cmd("openssl", "version"), "git_commit": commit + (" (src modified)" if dirty else ""),
        "loadavg_start": open("/proc/loadavg").read().split()[:3],
    }


# ------------------------------------------------------------------ processes
def cpu_ticks() -> Tuple[int, int]:
    """(busy, steal) jiffies of the whole machine from /proc/stat: user + nice + system, and steal."""
    with open("/proc/stat") as f:
        fields = [int(x) for x in f.readline().split()[1:]]
    return fields[0] + fields[1] + fields[2], fields[7] if len(fields) > 7 else 0


def wait_quiet(limit_s: float, threshold: float = 0.3) -> float:
    """Wait (at most limit_s) until the machine's other load stays under `threshold` cores for 0.3 s."""
    t0 = time.monotonic()
    while time.monotonic() - t0 < limit_s:
        b0 = cpu_ticks()[0]
        time.sleep(0.3)
        if (cpu_ticks()[0] - b0) / CLK / 0.3 < threshold:
            break
    return time.monotonic() - t0


def children_cpu() -> float:
    import resource
    c, me = resource.getrusage(resource.RUSAGE_CHILDREN), resource.getrusage(resource.RUSAGE_SELF)
    return c.ru_utime + c.ru_stime + me.ru_utime + me.ru_stime


def proc_rss_kb(pid: int) -> int:
    with open("/proc/%d/statm" % pid) as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") // 1024


class Server:
    """A server process pinned to SERVER_CPU; stdout/stderr go to files (a full pipe must never block it)."""

    def __init__(self, cmd: List[str], env: Optional[Dict[str, str]], tmp: str, timeout: float = 20.0) -> None:
        self.out = tempfile.NamedTemporaryFile("w+", dir=tmp, delete=False)
        self.err = tempfile.NamedTemporaryFile("w+", dir=tmp, delete=False)
        self.proc = subprocess.Popen(["taskset", "-c", SERVER_CPU, *cmd], stdout=self.out, stderr=self.err,
                                     stdin=subprocess.DEVNULL, env=env, cwd=IMPL)
        self.pid = self.proc.pid
        self.port = 0
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            text = open(self.out.name).read()
            if "\n" in text:
                self.port = int(text.split()[0])
                return
            if self.proc.poll() is not None:
                break
            time.sleep(0.02)
        tail = self.stderr_tail()
        self.stop()
        raise RuntimeError("server did not start: " + tail)

    def alive(self) -> bool:
        return self.proc.poll() is None

    def stderr_tail(self, n: int = 400) -> str:
        try:
            text = open(self.err.name, errors="replace").read().strip()
        except OSError:
            text = ""
        return text[-n:] if text else "(no stderr, exit code %s)" % self.proc.poll()

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(3)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        for f in (self.out, self.err):
            f.close()
            try:
                os.unlink(f.name)
            except OSError:
                pass


def run_client(cmd: List[str], env: Optional[Dict[str, str]], timeout: float) -> Dict[str, Any]:
    """Run a client pinned to CLIENT_CPU; its last stdout line is a JSON result."""
    try:
        r = subprocess.run(["taskset", "-c", CLIENT_CPU, *cmd], capture_output=True, text=True, env=env,
                           timeout=timeout, stdin=subprocess.DEVNULL, cwd=IMPL)
    except subprocess.TimeoutExpired as exc:
        err = (exc.stderr or b"")
        err = err.decode(errors="replace") if isinstance(err, bytes) else err
        return {"ok": False, "error": "killed after %.0f s timeout" % timeout, "stderr": err[-300:]}
    lines = [l for l in r.stdout.strip().splitlines() if l.startswith("{")]
    if not lines:
        return {"ok": False, "error": "no result line (exit code %d)" % r.returncode,
                "stderr": r.stderr.strip()[-300:]}
    try:
        res = json.loads(lines[-1])
    except ValueError:
        return {"ok": False, "error": "bad result line: " + lines[-1][:200]}
    if not res.get("ok") and r.stderr.strip():
        res["stderr"] = r.stderr.strip()[-300:]
    return res


def validate(sc: Dict[str, Any], res: Dict[str, Any]) -> Dict[str, Any]:
    if not res.get("ok"):
        return res
    ops = res.get("ops", 0)
    if res.get("errors", 0) > ops / 100 + 2:
        res.update(ok=False, error="%d connection errors for %d operations" % (res["errors"], ops))
    elif sc["scenario"].startswith("resume") and res.get("reused", 0) < 0.9 * ops:
        res.update(ok=False, error="only %d of %d handshakes resumed a session" % (res.get("reused", 0), ops))
    return res


# ------------------------------------------------------------------ one measurement
class Bench:
    def __init__(self, args: argparse.Namespace, certs: Dict[str, str], tls_env: Optional[Dict[str, str]],
                 tmp: str) -> None:
        self.args = args
        self.certs = certs
        self.tls_env = tls_env
        self.tmp = tmp
        self.cc_cache: Dict[Tuple[str, int], Dict[str, Any]] = {}

    def env_for(self, impl: str) -> Optional[Dict[str, str]]:
        return self.tls_env if impl in ("tls", "tls_uvloop") else None

    def server_cmd(self, impl: str, mode: str, cert: str) -> List[str]:
        files = ["--cert", self.certs[cert + "_cert"], "--key", self.certs[cert + "_key"], "--mode", mode]
        return {
            "tls": [PY, os.path.join(IMPL, "tls_server.py"), *files],
            "tls_uvloop": [PY, os.path.join(IMPL, "tls_server.py"), *files, "--uvloop"],
            "node": ["node", os.path.join(IMPL, "node_server.js"), *files],
            "asyncio": [PY, os.path.join(IMPL, "asyncio_server.py"), *files],
            "uvloop": [PY, os.path.join(IMPL, "asyncio_server.py"), *files, "--uvloop"],
            "c": [LOADGEN, "server", *files],
        }[impl]

    def client_cmd(self, impl: str, sc: Dict[str, Any], port: int, pid: int = 0) -> List[str]:
        common = ["--scenario", sc["scenario"], "--port", str(port), "--duration", str(self.args.duration),
                  "--conns", str(sc["conns"]), "--ca", self.certs["ca"]]
        return {
            "tls": [PY, os.path.join(IMPL, "tls_client.py"), *common],
            "tls_uvloop": [PY, os.path.join(IMPL, "tls_client.py"), *common, "--uvloop"],
            "node": ["node", os.path.join(IMPL, "node_client.js"), *common],
            "asyncio": [PY, os.path.join(IMPL, "asyncio_client.py"), *common],
            "uvloop": [PY, os.path.join(IMPL, "asyncio_client.py"), *common, "--uvloop"],
            "c": [LOADGEN, "client", *common, *(["--pid", str(pid)] if pid else [])],
        }[impl]

    def timeout(self) -> float:
        return self.args.duration + 15.0

    def measure(self, sc: Dict[str, Any], impl: str, run: int) -> Dict[str, Any]:
        """One run of one scenario for one implementation: {"ok", "value", "cpu_per_op", ...}."""
        side = sc["side"]
        if impl == "c" and sc["scenario"] != "idle":
            # C against C is one measurement shared by both tables (same programs, same arguments)
            key = (sc["scenario"] + "/" + str(sc["conns"]) + "/" + sc["cert"], run)
            if key not in self.cc_cache:
                self.cc_cache[key] = self._measure_pair(sc, "c", "c")
            res = dict(self.cc_cache[key])
        elif side == "server" and sc["scenario"] == "idle":
            res = self._measure_memory(sc, impl)
        elif side == "server":
            res = self._measure_pair(sc, impl, "c")
        else:
            res = self._measure_pair(sc, "c", impl)
        if not res.get("ok"):
            return res
        if sc["scenario"] == "idle":
            return res
        res["value"] = res["rate"]
        cpu = res.get("peer_cpu") if side == "server" else res.get("cpu")
        nops = res["bytes"] / 1e6 if sc["scenario"] == "bulk" else res["ops"]
        if cpu is not None and cpu >= 0 and nops:
            res["cpu_us_per_op"] = cpu / nops * 1e6
            res["cpu_util"] = cpu / res["secs"] if res.get("secs") else None
        return res

    def _measure_pair(self, sc: Dict[str, Any], server_impl: str, client_impl: str) -> Dict[str, Any]:
        try:
            server = Server(self.server_cmd(server_impl, sc["mode"], sc["cert"]), self.env_for(server_impl),
                            self.tmp)
        except RuntimeError as exc:
            return {"ok": False, "error": str(exc)}
        try:
            pid = server.pid if client_impl == "c" else 0
            res = run_client(self.client_cmd(client_impl, sc, server.port, pid), self.env_for(client_impl),
                             self.timeout())
            if not server.alive():
                res = {"ok": False, "error": "server exited during the run: " + server.stderr_tail()}
            elif not res.get("ok") and server_impl != "c":
                res["server_stderr"] = server.stderr_tail(300)
            return validate(sc, res)
        finally:
            server.stop()

    def _measure_memory(self, sc: Dict[str, Any], impl: str) -> Dict[str, Any]:
        n, warm = self.args.idle_conns, 50
        try:
            server = Server(self.server_cmd(impl, sc["mode"], sc["cert"]), self.env_for(impl), self.tmp)
        except RuntimeError as exc:
            return {"ok": False, "error": str(exc)}
        cmd = ["taskset", "-c", CLIENT_CPU, LOADGEN, "client", "--scenario", "idle", "--port", str(server.port),
               "--conns", str(n), "--warm", str(warm), "--ca", self.certs["ca"]]
        gen = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True)

        def expect(prefix: str, timeout: float) -> Optional[str]:
            import selectors
            sel = selectors.DefaultSelector()
            sel.register(gen.stdout, selectors.EVENT_READ)
            end = time.monotonic() + timeout
            try:
                while time.monotonic() < end:
                    if sel.select(max(0.0, end - time.monotonic())):
                        line = gen.stdout.readline()
                        if not line:
                            return None
                        if line.startswith(prefix) or line.startswith("{"):
                            return line
            finally:
                sel.close()
            return None

        try:
            line = expect("WARM", 30)
            if not line or not line.startswith("WARM"):
                return {"ok": False, "error": "warm-up connections failed: %s" % (line or "timeout").strip()}
            time.sleep(0.3)
            rss0 = proc_rss_kb(server.pid)
            gen.stdin.write("\n")
            gen.stdin.flush()
            line = expect("READY", 60 + n / 20)
            if not line or not line.startswith("READY"):
                return {"ok": False, "error": "opening %d idle connections failed: %s"
                        % (n, (line or "timeout").strip()), "server_stderr": server.stderr_tail(300)}
            time.sleep(0.5)
            if not server.alive():
                return {"ok": False, "error": "server exited: " + server.stderr_tail()}
            rss1 = proc_rss_kb(server.pid)
            gen.stdin.write("\n")
            gen.stdin.flush()
            return {"ok": True, "value": (rss1 - rss0) / n, "rss_before_kb": rss0, "rss_after_kb": rss1,
                    "conns": n, "warm": warm}
        finally:
            if gen.poll() is None:
                gen.kill()
            gen.wait()
            server.stop()


# ------------------------------------------------------------------ import time
def import_time(env: Optional[Dict[str, str]], runs: int) -> Dict[str, Any]:
    if env is None:
        return {"ok": False, "error": "tls not importable"}
    cumulative = []
    wall = []
    first_use: List[Dict[str, float]] = []
    for _ in range(runs):
        r = subprocess.run([PY, "-X", "importtime", "-c", "import tls"], env=env, capture_output=True, text=True)
        for line in r.stderr.splitlines():
            m = re.match(r"import time:\s+(\d+)\s+\|\s+(\d+)\s+\|\s*tls\s*$", line)
            if m:
                cumulative.append(int(m.group(2)) / 1000.0)
        t0 = time.perf_counter()
        subprocess.run([PY, "-c", "import tls"], env=env, check=False)
        t1 = time.perf_counter()
        subprocess.run([PY, "-c", "pass"], env=env, check=False)
        t2 = time.perf_counter()
        wall.append(((t1 - t0) - (t2 - t1)) * 1000.0)
        # first use: what `import tls` leaves for later (asyncio, the binding, the system roots)
        r = subprocess.run([PY, "-c", FIRST_USE], env=env, capture_output=True, text=True)
        if r.returncode == 0 and r.stdout.strip():
            first_use.append(json.loads(r.stdout))
    out = {"ok": bool(cumulative), "importtime_ms": statistics.median(cumulative) if cumulative else None,
           "importtime_runs_ms": cumulative, "wall_delta_ms": statistics.median(wall), "wall_runs_ms": wall}
    if first_use:
        out["first_use_ms"] = {k: statistics.median(run[k] for run in first_use) for k in first_use[0]}
    return out


# Wall times of the first uses after `import tls`, each on top of the previous one.
FIRST_USE = """
import json, time
t0 = time.perf_counter()
import tls
t1 = time.perf_counter()
tls.createSecureContext({})          # the binding, OpenSSL, the system trust store
t2 = time.perf_counter()
def main():
    server = tls.createServer({})    # asyncio and the socket layer
    server.listen(0, "127.0.0.1", server.close)
tls.run(main)
t3 = time.perf_counter()
print(json.dumps({"import": (t1 - t0) * 1e3, "createSecureContext": (t2 - t1) * 1e3,
                  "createServer+listen+close": (t3 - t2) * 1e3}))
"""


# ------------------------------------------------------------------ summary
def summarize(sc: Dict[str, Any], impls: List[str], runs: List[Dict[str, Dict[str, Any]]]) -> Dict[str, Any]:
    out: Dict[str, Any] = {}
    for impl in impls:
        res = [r[impl] for r in runs if impl in r]
        ok = [r for r in res if r.get("ok")]
        vals = [r["value"] for r in ok]
        entry: Dict[str, Any] = {"runs": res, "n_ok": len(ok), "n_runs": len(res)}
        if vals:
            entry.update(median=statistics.median(vals), min=min(vals), max=max(vals))
            cpus = [r["cpu_us_per_op"] for r in ok if r.get("cpu_us_per_op") is not None]
            if cpus:
                entry["cpu_us_per_op"] = statistics.median(cpus)
            utils = [r["cpu_util"] for r in ok if r.get("cpu_util") is not None]
            if utils:
                entry["cpu_util"] = statistics.median(utils)
            ratios = [r[impl]["value"] / r["node"]["value"] for r in runs
                      if impl in r and "node" in r and r[impl].get("ok") and r["node"].get("ok")
                      and r["node"]["value"]]
            if ratios:
                entry["ratio_to_node"] = statistics.median(ratios)
        loads = [r["other_load_cores"] for r in res if r.get("other_load_cores") is not None]
        if loads:
            entry["other_load_cores"] = statistics.median(loads)
        failures = [r.get("error", "?") for r in res if not r.get("ok")]
        if failures:
            entry["failures"] = failures
        out[impl] = entry
    return out


def fmt_num(v: float) -> str:
    if v >= 100:
        return "%.0f" % v
    if v >= 10:
        return "%.1f" % v
    return "%.2f" % v


def print_table(sc: Dict[str, Any], summary: Dict[str, Any], impls: List[str]) -> None:
    lower = sc.get("lower_is_better")
    side = ("server side: the load generator drives the server under test" if sc["side"] == "server"
            else "client side: the client under test drives the fixed C server")
    print()
    loads = [e["other_load_cores"] for e in summary.values() if "other_load_cores" in e]
    other = ("; other load on the machine %.1f cores" % statistics.median(loads)) if loads else ""
    print("== %s  [%s; %s%s%s]" % (sc["title"], side, sc["unit"], ", lower is better" if lower else "", other))
    cpu_head = "CPU us/%s" % sc["op"] if sc.get("op") else ""
    print("   %-20s %10s  %-21s %8s  %9s  %s" % ("implementation", "median", "min..max", "vs Node", "CPU busy",
                                               cpu_head))
    for impl in impls:
        e = summary.get(impl, {})
        if "median" not in e:
            fails = e.get("failures", ["?"])
            print("   %-20s %10s  (%d of %d runs) %s" % (IMPL_NAMES[impl], "FAILED", len(fails), e.get("n_runs", 0),
                                                     fails[0][:150]))
            continue
        rng = "%s..%s" % (fmt_num(e["min"]), fmt_num(e["max"]))
        ratio = ("%.2fx" % e["ratio_to_node"]) if "ratio_to_node" in e else "-"
        cpu = fmt_num(e["cpu_us_per_op"]) if "cpu_us_per_op" in e else ""
        note = ""
        if e.get("failures"):
            note = "  (%d of %d runs failed: %s)" % (len(e["failures"]), e["n_runs"], e["failures"][0][:80])
        busy = ("%.0f%%" % (100 * e["cpu_util"])) if "cpu_util" in e else ""
        print("   %-20s %10s  %-21s %8s  %9s  %9s%s" % (IMPL_NAMES[impl], fmt_num(e["median"]), rng, ratio, busy, cpu,
                                                    note))
    sys.stdout.flush()


def markdown(results: Dict[str, Any], impls: List[str]) -> str:
    lines = []
    for side, head in (("server", "scenario (server side, C load generator as client)"),
                       ("client", "scenario (client side, against the fixed C server)")):
        cols = [i for i in impls]
        lines.append("| %s | %s |" % (head, " | ".join(IMPL_NAMES[i] for i in cols)))
        lines.append("|---|%s" % ("---|" * len(cols)))
        for sc in results["scenarios"]:
            if sc["side"] != side:
                continue
            cells = []
            for impl in cols:
                e = sc["results"].get(impl, {})
                if "median" not in e:
                    cells.append("failed" if e.get("failures") else "-")
                    continue
                cell = fmt_num(e["median"])
                extra = []
                if impl != "node" and "ratio_to_node" in e:
                    extra.append("%.2fx" % e["ratio_to_node"])
                if "cpu_us_per_op" in e:
                    extra.append("%s us" % fmt_num(e["cpu_us_per_op"]))
                if extra:
                    cell += " (" + ", ".join(extra) + ")"
                cells.append(cell)
            unit = "" if sc["unit"] in sc["title"] or "/s" in sc["title"] else ", " + sc["unit"]
            lines.append("| %s%s | %s |" % (sc["title"], unit, " | ".join(cells)))
        lines.append("")
    return "\n".join(lines)


# ------------------------------------------------------------------ SVG chart
def svg_chart(results: Dict[str, Any], impls: List[str]) -> str:
    """Two panels of horizontal bars, one group per scenario, one bar per implementation (Node = 1.0):
    left, the median ratio to Node measured in the same run (memory as Node / implementation);
    right, CPU efficiency: Node's CPU time per operation / the implementation's.  > 1 is better."""
    colors = {"tls": "#d62728", "tls_uvloop": "#ff9896", "asyncio": "#1f77b4", "uvloop": "#2ca02c", "c": "#7f7f7f"}
    shown = [i for i in impls if i != "node"]
    rows = results["scenarios"]
    esc = lambda t: t.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")  # noqa: E731

    def speed(sc: Dict[str, Any], impl: str) -> Optional[float]:
        r = sc["results"].get(impl, {}).get("ratio_to_node")
        if r and sc.get("lower_is_better"):
            r = 1 / r
        return r

    def cpu(sc: Dict[str, Any], impl: str) -> Optional[float]:
        mine = sc["results"].get(impl, {}).get("cpu_us_per_op")
        node = sc["results"].get("node", {}).get("cpu_us_per_op")
        return node / mine if mine and node else None

    bar_h, gap, label_w, panel_w, top = 11, 12, 350, 330, 92
    group_h = bar_h * len(shown) + gap
    width = label_w + 2 * panel_w + 60
    height = top + group_h * len(rows) + 44
    m = results["machine"]
    out = ['<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" font-family="sans-serif" '
           'font-size="12">' % (width, height),
           '<rect width="100%" height="100%" fill="white"/>',
           '<text x="10" y="22" font-size="15" font-weight="bold">%s</text>'
           % esc("tls (asyncio and uvloop loops) vs Node 20 tls, asyncio + ssl, uvloop + ssl and plain C: "
                  "ratios to Node (> 1 is better)"),
           '<text x="10" y="40" fill="#555">%s</text>'
           % esc("%s, %s cores (%s), server and client on cores %s/%s, medians of %d run(s)"
                 % (m["date"][:10], m["nproc"], m["cpu_model"], results["config"]["server_cpu"],
                    results["config"]["client_cpu"], results["config"]["runs"]))]
    lx = label_w
    for impl in shown:
        out.append('<rect x="%d" y="%d" width="12" height="10" fill="%s"/>' % (lx, 48, colors.get(impl, "#000")))
        out.append('<text x="%d" y="%d">%s</text>' % (lx + 16, 57, esc(IMPL_NAMES[impl])))
        lx += 30 + 7 * len(IMPL_NAMES[impl])
    y = top
    for sc in rows:
        label = ("[server] " if sc["side"] == "server" else "[client] ") + sc["title"]
        out.append('<text x="%d" y="%d" text-anchor="end">%s</text>'
                   % (label_w - 8, y + group_h // 2, esc(label[:56])))
        y += group_h
    for k, (title, fn) in enumerate((("rate (memory: Node / implementation)", speed),
                                     ("CPU per operation: Node / implementation", cpu))):
        x0 = label_w + k * (panel_w + 30)
        vals = [fn(sc, i) for sc in rows for i in shown]
        vmax = max([2.0] + [v for v in vals if v]) * 1.08
        x = lambda v: x0 + (panel_w - 30) * min(v, vmax) / vmax  # noqa: E731
        out.append('<text x="%d" y="%d" font-weight="bold">%s</text>' % (x0, top - 12, esc(title)))
        step = 0.5 if vmax <= 4 else 1.0
        v = 0.0
        while v <= vmax:
            one = abs(v - 1.0) < 1e-9
            out.append('<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="%s" stroke-width="%s"/>'
                       % (x(v), top - 6, x(v), height - 36, "#000" if one else "#ddd", "1.5" if one else "1"))
            out.append('<text x="%.1f" y="%d" text-anchor="middle" fill="#555" font-size="10">%.1f</text>'
                       % (x(v), height - 22, v))
            v += step
        y = top
        for sc in rows:
            for i, impl in enumerate(shown):
                r = fn(sc, impl)
                by = y + i * bar_h
                if r is None:
                    e = sc["results"].get(impl, {})
                    text = "failed" if e.get("failures") and "median" not in e else ""
                    if text:
                        out.append('<text x="%d" y="%d" fill="%s" font-size="10">%s: %s</text>'
                                   % (x0 + 4, by + bar_h - 2, colors.get(impl, "#000"), impl, text))
                    continue
                out.append('<rect x="%d" y="%d" width="%.1f" height="%d" fill="%s"/>'
                           % (x0, by, max(1.0, x(r) - x0), bar_h - 2, colors.get(impl, "#000")))
                out.append('<text x="%.1f" y="%d" font-size="10">%.2f</text>' % (x(r) + 3, by + bar_h - 3, r))
            y += group_h
    out.append("</svg>")
    return "\n".join(out) + "\n"


# ------------------------------------------------------------------ main
def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--quick", action="store_true", help="1 run of 0.75 s per scenario (under 2 minutes)")
    p.add_argument("--json", help="write all results (every run) as JSON here")
    p.add_argument("--chart", help="write an SVG chart of the ratios to Node here")
    p.add_argument("--markdown", help="write the summary tables as Markdown here")
    p.add_argument("--runs", type=int, help="runs per scenario and implementation (default 5, quick 1)")
    p.add_argument("--duration", type=float, help="seconds per measurement (default 1.5, quick 0.75)")
    p.add_argument("--idle-conns", type=int, help="connections for the memory scenario (default 1000, quick 400)")
    p.add_argument("--only", help="comma-separated scenario ids (e.g. srv_bulk,cli_echo1)")
    p.add_argument("--impls", help="comma-separated implementations among " + ",".join(IMPL_ORDER))
    p.add_argument("--wait-quiet", type=float, default=0.0, metavar="SECONDS",
                   help="before each measurement wait up to SECONDS for other load to drop under 0.3 cores")
    p.add_argument("--cores", default="0,1",
                   help="SERVER,CLIENT cores for taskset (default 0,1; 0,0 puts both on one core)")
    args = p.parse_args()
    global SERVER_CPU, CLIENT_CPU
    SERVER_CPU, CLIENT_CPU = args.cores.split(",")
    args.runs = args.runs or (1 if args.quick else 5)
    args.duration = args.duration or (0.75 if args.quick else 1.5)
    args.idle_conns = args.idle_conns or (400 if args.quick else 1000)

    t_begin = time.monotonic()
    for tool in ("taskset", "openssl"):
        if not shutil.which(tool):
            log("error: %s is needed on PATH" % tool)
            return 2
    if (os.cpu_count() or 1) < 2:
        log("warning: fewer than 2 cores; server and client share one")
        CLIENT_CPU = SERVER_CPU = "0"
    build_loadgen()
    want = args.impls.split(",") if args.impls else None
    impls, notes, env = detect_impls(want)
    scenarios = [s for s in SCENARIOS if not args.only or s["id"] in args.only.split(",")]
    machine = machine_info()
    log("machine: %s, %d cores, %s" % (machine["cpu_model"], machine["nproc"], machine["date"]))
    for impl in IMPL_ORDER:
        log("  %-8s %s" % (impl, notes.get(impl, "")))
    tmp = tempfile.mkdtemp(prefix="tls-bench-")
    try:
        certs = make_certs(tmp)
        bench = Bench(args, certs, env, tmp)
        imp = import_time(env, 3 if args.quick else 5)
        if imp.get("ok"):
            print("import tls: %.1f ms cumulative (python -X importtime, median), %.1f ms wall over `python -c pass`"
                  % (imp["importtime_ms"], imp["wall_delta_ms"]))
            if imp.get("first_use_ms"):
                print("first use after import (median, wall): " + ", ".join(
                    "%s %.1f ms" % (k, v) for k, v in imp["first_use_ms"].items()))
        results: Dict[str, Any] = {
            "machine": machine, "implementations": {i: notes.get(i) for i in impls},
            "config": {"runs": args.runs, "duration_s": args.duration, "idle_conns": args.idle_conns,
                       "wait_quiet_s": args.wait_quiet,
                       "quick": args.quick, "server_cpu": SERVER_CPU, "client_cpu": CLIENT_CPU},
            "import_time": imp, "scenarios": [],
        }
        for sc in scenarios:
            runs: List[Dict[str, Dict[str, Any]]] = []
            for run in range(args.runs):
                order = impls[run % len(impls):] + impls[:run % len(impls)]   # rotate: no impl always first
                this: Dict[str, Dict[str, Any]] = {}
                for impl in order:
                    waited = wait_quiet(args.wait_quiet) if args.wait_quiet else 0.0
                    t0, (busy0, steal0), own0 = time.monotonic(), cpu_ticks(), children_cpu()
                    res = bench.measure(sc, impl, run)
                    wall = time.monotonic() - t0
                    (busy1, steal1), own1 = cpu_ticks(), children_cpu()
                    # CPU that neither the runner nor its children used, in cores: other load on the machine
                    res["other_load_cores"] = round(max(0.0, ((busy1 - busy0) / CLK - (own1 - own0)) / wall), 2)
                    res["steal_cores"] = round((steal1 - steal0) / CLK / wall, 2)
                    res["wall_s"] = round(wall, 2)
                    if waited:
                        res["waited_for_quiet_s"] = round(waited, 1)
                    res["loadavg1"] = float(open("/proc/loadavg").read().split()[0])
                    this[impl] = res
                    if not res.get("ok"):
                        log("  %s run %d %s: FAILED: %s" % (sc["id"], run + 1, impl, res.get("error")))
                runs.append(this)
            summary = summarize(sc, impls, runs)
            results["scenarios"].append({k: v for k, v in sc.items()} | {"results": summary})
            print_table(sc, summary, impls)
        machine["loadavg_end"] = open("/proc/loadavg").read().split()[:3]
        results["elapsed_s"] = round(time.monotonic() - t_begin, 1)
        md = markdown(results, impls)
        print()
        print(md)
        print("total time: %.0f s" % results["elapsed_s"])
        if args.json:
            with open(args.json, "w") as f:
                json.dump(results, f, indent=1)
        if args.chart:
            with open(args.chart, "w") as f:
                f.write(svg_chart(results, impls))
        if args.markdown:
            with open(args.markdown, "w") as f:
                f.write(md)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
