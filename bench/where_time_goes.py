"""Where the CPU time of one operation goes, by kind of code, for the process under test.

    python bench/where_time_goes.py [--only srv_echo1,cli_bulk,...] [--impls tls,node,uvloop] [--duration S]

For each scenario of run.py (same programs, same load generator, same pinning) and each implementation, one
measurement runs with ``perf record`` attached to the process under test (the server, or the client); its
samples are sorted by the object they fell in, and the CPU per operation (what run.py reports) is split in
the same proportions:

* kernel: system calls, TCP, wake-ups (``[kernel.kallsyms]``);
* OpenSSL: ``libcrypto`` / ``libssl`` (and, in the ``node`` binary, which links OpenSSL in, the symbols of
  OpenSSL's own naming: see ``_OPENSSL_IN_NODE``);
* runtime: what runs the program: CPython (``libpython``, the ``python3`` binary, the C modules it loads:
  cffi, select, _asyncio, uvloop's loop) or Node (V8 and its JIT code, libuv, Node's C++);
* libc (memcpy, malloc) and the rest.

The figures are samples (perf's default clock at 2 kHz), one run each: a profile, not a benchmark; run.py's
medians are the measurement.  Needs ``perf`` (linux-tools) and what run.py needs.  Used for bench/README.md's
"where the time goes" table: for a row where tls is behind, the runtime column shows what Python's share
costs against V8's, with the kernel and OpenSSL work alike.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
from typing import Any, Dict, List, Optional, Tuple

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import run as _run

# OpenSSL's function names, as they appear in the node binary (which links OpenSSL statically)
_OPENSSL_IN_NODE = re.compile(
    r"^_*(aesni_|aes_|gcm_|GCM_|CRYPTO_|EVP_|ossl_|OSSL_|ssl|SSL_|tls|TLS|dtls|BIO_|BN_|bn_|ecp_|EC_|ec_|x25519|"
    r"X25519|sha|SHA|OPENSSL_|ERR_|PEM_|X509|x509|ASN1_|asn1_|RSA_|rsa_|ECDSA_|ecdsa_|HMAC|hmac|"
    r"OBJ_|EVP|evp_|PKCS|pkcs|chacha|poly1305|KDF|kdf_|HKDF|hkdf|RAND_|rand_|drbg|DH_|dh_|ct_|WPACKET|PACKET_)")


def _category(dso: str, symbol: str) -> str:
    name = os.path.basename(dso)
    if dso.startswith("[kernel"):
        return "kernel"
    if name.startswith("libcrypto") or name.startswith("libssl"):
        return "openssl"
    if name == "node":
        return "openssl" if _OPENSSL_IN_NODE.match(symbol) else "runtime"
    if name.startswith("libc.so") or name.startswith("libc-") or name.startswith("ld-linux"):
        return "libc"
    if name.startswith("_openssl") and name.endswith(".so"):
        return "openssl"   # this project's cffi module: thin C helpers around OpenSSL (csrc/)
    if name.startswith("libpython") or name.startswith("python") or name.endswith(".so") \
            or name.startswith("[JIT]") or name.startswith("libuv") or name.startswith("libstdc++") \
            or name.startswith("perf-") or name == "[unknown]":
        return "runtime"
    return "other"


def _split(perf_data: str) -> Dict[str, float]:
    """Share of the samples per category (sums to 1)."""
    out = subprocess.run(["perf", "report", "-i", perf_data, "--no-children", "--sort", "dso,sym", "-g", "none",
                          "--stdio", "--percent-limit", "0"], capture_output=True, text=True, timeout=120)
    shares: Dict[str, float] = {}
    for line in out.stdout.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        m = re.match(r"^([\d.]+)%\s+(\S+)\s+\[[.kgu]\]\s+(.*)$", line)
        if not m:
            continue
        share, dso, symbol = float(m.group(1)) / 100, m.group(2), m.group(3).strip()
        cat = _category(dso, symbol)
        shares[cat] = shares.get(cat, 0.0) + share
    total = sum(shares.values()) or 1.0
    return {k: v / total for k, v in shares.items()}


class _PerfBench(_run.Bench):
    """run.Bench with ``perf record`` on the process under test: attached to the server by its pid (the load
    generator reads that pid's CPU time, as in run.py), or wrapping the client (which reads its own)."""

    perf_data = ""
    perf_dir = ""

    def client_cmd(self, impl: str, sc: Dict[str, Any], port: int, pid: int = 0) -> List[str]:
        cmd = super().client_cmd(impl, sc, port, pid)
        if sc["side"] == "client" and impl != "c":
            # -D: from 0.5 s in, past the interpreter's start and imports (the client's own CPU clock,
            # which the figure per operation is divided from, starts when its connections are up)
            return ["perf", "record", "-q", "-F", "2000", "-D", "500", "-o", self.perf_data, "--", *cmd]
        return cmd

    def _measure_pair(self, sc: Dict[str, Any], server_impl: str, client_impl: str) -> Dict[str, Any]:
        if sc["side"] != "server":
            return super()._measure_pair(sc, server_impl, client_impl)
        try:
            server = _run.Server(self.server_cmd(server_impl, sc["mode"], sc["cert"]), self.env_for(server_impl),
                                 self.tmp)
        except RuntimeError as exc:
            return {"ok": False, "error": str(exc)}
        perf = subprocess.Popen(["perf", "record", "-q", "-F", "2000", "-o", self.perf_data, "-p", str(server.pid)],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            res = _run.run_client(self.client_cmd(client_impl, sc, server.port, server.pid),
                                  self.env_for(client_impl), self.timeout())
            return _run.validate(sc, res)
        finally:
            perf.send_signal(signal.SIGINT)
            perf.wait(30)
            server.stop()


def profile(bench: _PerfBench, sc: Dict[str, Any], impl: str) -> Tuple[Optional[float], Dict[str, float], str]:
    bench.perf_data = os.path.join(bench.perf_dir or bench.tmp, "perf-%s-%s.data" % (sc["id"], impl))
    res = bench.measure(sc, impl, 0)
    if not res.get("ok"):
        return None, {}, str(res.get("error", "failed"))
    return res.get("cpu_us_per_op"), _split(bench.perf_data), ""


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--only", default="srv_echo1,srv_echo100,srv_resume12,cli_bulk,cli_echo100,cli_hs_ecdsa")
    ap.add_argument("--impls", default="tls,node,uvloop")
    ap.add_argument("--duration", type=float, default=1.5)
    ap.add_argument("--json", default=None)
    ap.add_argument("--keep", default=None, help="a folder to keep the perf.data files in")
    ap.add_argument("--markdown", default=None, help="write the table as Markdown to this file")
    args = ap.parse_args()
    if shutil.which("perf") is None:
        print("needs perf (linux-tools)", file=sys.stderr)
        return 2
    _run.build_loadgen()
    impls, _, env = _run.detect_impls(args.impls.split(","))
    want = args.only.split(",")
    scenarios = [sc for sc in _run.SCENARIOS if sc["id"] in want and sc["scenario"] != "idle"]
    ns = argparse.Namespace(duration=args.duration, idle_conns=0, quick=False)
    rows: List[Dict[str, Any]] = []
    with tempfile.TemporaryDirectory() as tmp:
        certs = _run.make_certs(tmp)
        bench = _PerfBench(ns, certs, env, tmp)
        if args.keep:
            os.makedirs(args.keep, exist_ok=True)
            bench.perf_dir = args.keep
        for sc in scenarios:
            for impl in impls:
                cpu, split, error = profile(bench, sc, impl)
                row = {"scenario": sc["id"], "impl": impl, "cpu_us_per_op": cpu, "op": sc["op"], "split": split}
                if error:
                    row["error"] = error
                rows.append(row)
                if cpu is None:
                    print("%-13s %-10s failed: %s" % (sc["id"], impl, error), flush=True)
                    continue
                # (the client table's plain C shares the server table's C-against-C measurement: no profile)
                parts = "  ".join("%s %5.1f" % (k, cpu * split.get(k, 0.0))
                                  for k in ("kernel", "openssl", "runtime", "libc", "other")) if split else "-"
                print("%-13s %-10s %7.1f us per %s = %s" % (sc["id"], impl, cpu, sc["op"], parts), flush=True)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(rows, f, indent=1)
    if args.markdown:
        with open(args.markdown, "w") as f:
            f.write(markdown(rows))
    return 0


_KINDS = ("kernel", "openssl", "runtime", "libc")


def markdown(rows: List[Dict[str, Any]]) -> str:
    """One table: per scenario and implementation, the CPU per operation and its split (microseconds)."""
    names = {"tls": "tls", "tls_uvloop": "tls on uvloop", "node": "Node 20", "asyncio": "asyncio + ssl",
             "uvloop": "uvloop + ssl", "c": "plain C"}
    lines = ["| scenario | implementation | CPU per op, us | kernel | OpenSSL | runtime | libc |",
             "|---|---|---|---|---|---|---|"]
    for row in rows:
        cpu = row["cpu_us_per_op"]
        if cpu is None:
            lines.append("| %s | %s | failed | | | | |" % (row["scenario"], names.get(row["impl"], row["impl"])))
            continue
        split = row["split"]
        unit = "per MB" if row["op"] == "MB" else ""
        if split:
            parts = " | ".join("%.1f" % (cpu * split.get(k, 0.0)) for k in _KINDS)
        else:   # the client table's plain C: the server table's C-against-C measurement, not profiled
            parts = " | ".join("-" * len(_KINDS))
        lines.append("| %s | %s | %s | %s |" % (
            row["scenario"], names.get(row["impl"], row["impl"]), "%.1f %s" % (cpu, unit) if unit else "%.1f" % cpu,
            parts))
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.exit(main())
