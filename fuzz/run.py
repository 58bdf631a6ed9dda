"""Run fuzz targets for a bounded time each; non-zero exit on any finding.

    python fuzz/run.py --seconds 20                     # every target
    python fuzz/run.py --seconds 600 server_records     # one, longer
    python fuzz/run.py --seconds 20 x509 -- -jobs=1     # extra libFuzzer flags after --

Makes the seed corpus first when fuzz/corpus/ is missing (make_corpus.py).
Each target runs in its own process (libFuzzer stops at the first crash,
uncaught non-coded exception, timeout or memory blow-up); inputs that find
new coverage are added to fuzz/corpus/<target>/, reproducers of findings are
written to --artifacts.  The last line per target gives the executions, the
rate and libFuzzer's coverage figures (cov: edges, ft: features).
"""
from __future__ import annotations

import argparse
import importlib.util
import os
import re
import subprocess
import sys
import time
from typing import Dict, List

HERE = os.path.dirname(os.path.abspath(__file__))
CORPUS = os.path.join(HERE, "corpus")
TARGETS = ["server_records", "client_records", "context_options", "session", "x509", "socket_records"]


def run_target(name: str, seconds: int, artifacts: str, extra: List[str]) -> Dict[str, str]:
    corpus = os.path.join(CORPUS, name)
    os.makedirs(corpus, exist_ok=True)
    os.makedirs(artifacts, exist_ok=True)
    log_path = os.path.join(artifacts, name + ".log")
    cmd = [sys.executable, os.path.join(HERE, "fuzz_%s.py" % name), corpus,
           "-max_total_time=%d" % seconds, "-timeout=30", "-rss_limit_mb=2048", "-print_final_stats=1",
           "-artifact_prefix=" + os.path.join(artifacts, name + "-"), *extra]
    start = time.monotonic()
    with open(log_path, "wb") as log:
        rc = subprocess.call(cmd, stdout=log, stderr=subprocess.STDOUT, cwd=HERE)
    elapsed = time.monotonic() - start
    with open(log_path, encoding="utf-8", errors="replace") as f:
        text = f.read()
    stats = dict(re.findall(r"stat::(\w+):\s*(\d+)", text))
    cov = re.findall(r"cov: (\d+) ft: (\d+) corp: (\d+)", text)
    result = {
        "target": name, "rc": str(rc), "seconds": "%.0f" % elapsed,
        "execs": stats.get("number_of_executed_units", "?"),
        "rate": stats.get("average_exec_per_sec", "?"),
        "cov": cov[-1][0] if cov else "?", "ft": cov[-1][1] if cov else "?", "corpus": cov[-1][2] if cov else "?",
        "log": log_path,
    }
    # a finding libFuzzer did not turn into an exit status (belt and braces)
    if rc == 0 and re.search(r"Uncaught Python exception|ERROR: libFuzzer|ERROR: AddressSanitizer", text):
        result["rc"] = "finding"
    return result


def main() -> int:
    argv = sys.argv[1:]
    extra: List[str] = []
    if "--" in argv:
        extra = argv[argv.index("--") + 1:]
        argv = argv[:argv.index("--")]
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=int, default=20, help="time per target (default 20)")
    parser.add_argument("--artifacts", default=os.environ.get("FUZZ_ARTIFACTS", "/tmp/tls-fuzz"),
                        help="logs and crash reproducers (default /tmp/tls-fuzz)")
    parser.add_argument("targets", nargs="*", metavar="target",
                        help="any of: %s (default: all)" % ", ".join(TARGETS))
    args = parser.parse_args(argv)
    unknown = [t for t in args.targets if t not in TARGETS]
    if unknown:
        parser.error("unknown target(s) %s; choose from %s" % (", ".join(unknown), ", ".join(TARGETS)))
    if importlib.util.find_spec("atheris") is None:
        parser.error("atheris is not installed in this Python (%s): pip install -e '.[fuzz]'" % sys.executable)
    if not os.path.isdir(os.path.join(CORPUS, "pki")):
        subprocess.check_call([sys.executable, os.path.join(HERE, "make_corpus.py")])
    failed = []
    for name in args.targets or TARGETS:
        r = run_target(name, args.seconds, args.artifacts, extra)
        ok = r["rc"] == "0"
        print("%-16s %-7s %5ss %9s execs %6s/s cov %5s ft %6s corpus %5s  %s"
              % (name, "ok" if ok else "FAILED", r["seconds"], r["execs"], r["rate"], r["cov"], r["ft"],
                 r["corpus"], "" if ok else r["log"]), flush=True)
        if not ok:
            failed.append(name)
    if failed:
        print("findings in: %s (reproducers and logs in %s)" % (", ".join(failed), args.artifacts))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
