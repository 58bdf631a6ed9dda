"""Shared bits of the Python implementation scripts (argument parsing, CPU clock, result line)."""
from __future__ import annotations

import argparse
import json
import os
import sys
import time

ACK_UNIT = 1 << 20      # the sink answers one byte per MiB received
BULK_CHUNK = 16384
ECHO_SIZE = 64
STALL_SECS = 5.0        # no progress for this long: report failure and exit
_CLK = os.sysconf("SC_CLK_TCK")


def cpu_seconds() -> float:
    """utime + stime of this process (all threads) from /proc/self/stat."""
    with open("/proc/self/stat") as f:
        text = f.read()
    fields = text[text.rindex(")") + 2:].split()
    return (int(fields[11]) + int(fields[12])) / _CLK


now = time.monotonic


def server_args() -> argparse.Namespace:
    p = argparse.ArgumentParser()
    p.add_argument("--cert", required=True)
    p.add_argument("--key", required=True)
    p.add_argument("--mode", choices=["echo", "sink"], default="echo")
    p.add_argument("--uvloop", action="store_true")
    return p.parse_args()


def client_args() -> argparse.Namespace:
    p = argparse.ArgumentParser()
    p.add_argument("--scenario", choices=["bulk", "hs", "resume13", "echo"], required=True)
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--duration", type=float, default=2.0)
    p.add_argument("--conns", type=int, default=0)
    p.add_argument("--ca", required=True)
    p.add_argument("--uvloop", action="store_true")
    a = p.parse_args()
    if a.conns <= 0:
        a.conns = {"bulk": 1, "echo": 1}.get(a.scenario, 8)
    if a.scenario == "bulk":
        a.conns = 1
    return a


class Stats:
    """What a client run reports, in the same JSON shape as loadgen's result line."""

    def __init__(self, scenario: str, conns: int) -> None:
        self.scenario = scenario
        self.conns = conns
        self.ops = self.reused = self.errors = self.bytes = 0
        self.t0 = self.t1 = 0.0
        self.cpu0 = self.cpu1 = 0.0
        self.last_progress = now()
        self.error_text = None

    def start(self) -> None:
        self.t0 = now()
        self.cpu0 = cpu_seconds()
        self.last_progress = self.t0

    def stop(self) -> None:
        self.t1 = now()
        self.cpu1 = cpu_seconds()

    def progress(self) -> None:
        self.last_progress = now()

    def result(self) -> dict:
        secs = self.t1 - self.t0
        if self.error_text or self.ops == 0 or secs <= 0:
            return {"ok": False, "error": self.error_text or "no operation completed", "ops": self.ops,
                    "errors": self.errors}
        rate = self.bytes / 1e6 / secs if self.scenario == "bulk" else self.ops / secs
        return {"ok": True, "scenario": self.scenario, "ops": self.ops, "secs": round(secs, 6),
                "rate": round(rate, 3), "bytes": self.bytes, "reused": self.reused, "errors": self.errors,
                "cpu": round(self.cpu1 - self.cpu0, 4), "conns": self.conns}

    def emit(self) -> None:
        sys.stdout.write(json.dumps(self.result()) + "\n")
        sys.stdout.flush()
