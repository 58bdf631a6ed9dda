"""``python -m tls server --workers N``: workers on one port, the counters of all of them, signals."""
from __future__ import annotations

import asyncio
import json
import re
import signal
import ssl

import pytest

from support.aio import async_test
from support.cli import Cli, assert_no_traceback, run_cli, text

LISTENING_JSON = re.compile(rb'\{"event": "listening".*\}\n')


async def handshake(port: int, ca: str) -> str:
    """One verified TLS connection (Python's ssl): which worker served it, from the server's JSON lines later."""
    context = ssl.create_default_context(cafile=ca)
    reader, writer = await asyncio.open_connection("127.0.0.1", port, ssl=context, server_hostname="localhost")
    writer.write(b"ping")
    assert await reader.readexactly(4) == b"ping"       # the echo
    writer.close()
    await writer.wait_closed()
    return "ok"


def events(cli: Cli, name: str):
    return [obj for obj in map(json.loads, cli.stdout.decode().splitlines()) if obj.get("event") == name]


@async_test(timeout=60)
async def test_workers_share_the_port_and_the_primary_sums_their_counters(tmp_path):
    ca = str(tmp_path / "ca.pem")
    async with Cli("server", "--workers", "2", "--json", "--ca-out", ca) as cli:
        listening = json.loads((await cli.wait_for(LISTENING_JSON, "stdout")).group(0))
        assert listening["workers"] == 2
        for _ in range(6):
            assert await handshake(listening["port"], ca) == "ok"
        # SIGHUP: the workers are replaced one by one and keep the primary's certificate (the CA still verifies)
        cli.proc.send_signal(signal.SIGHUP)
        await cli.wait_for(re.compile(rb'"event": "restarted", "workers": 2'), "stdout")
        assert await handshake(listening["port"], ca) == "ok"
        cli.proc.send_signal(signal.SIGTERM)
        assert await cli.finish() == 0
    assert_no_traceback(cli)
    served = {obj["worker"] for obj in events(cli, "connection")}
    assert len(events(cli, "connection")) == 7 and served <= {1, 2, 3, 4}
    [final] = events(cli, "counters")
    # after the restart only the new workers count: the last connection
    assert final["workers"] == 2 and final["handshakes"] == {"full": 1, "resumed": 0}
    assert final["connections"] == 0 and final["bytesRead"] > 4


@async_test(timeout=60)
async def test_stats_every_interval_and_at_exit(tmp_path):
    ca = str(tmp_path / "ca.pem")
    async with Cli("server", "--workers", "1", "--stats", "0.2", "--ca-out", ca) as cli:
        port = int((await cli.wait_for(re.compile(rb"listening on 127\.0\.0\.1:(\d+) \(1 workers\)\n"))).group(1))
        await handshake(port, ca)
        await cli.wait_for(re.compile(rb"counters \(every 0\.2s, 1 workers\)\n  handshakes +1 full"))
        cli.proc.send_signal(signal.SIGINT)      # Ctrl-C goes to the primary; the workers ignore it
        assert await cli.finish() == 0
    assert_no_traceback(cli)
    assert "counters (at exit, 1 workers)" in text(cli.stderr)


@pytest.mark.parametrize("argv, message", [
    (["--workers", "0"], "--workers: expected 1 or more"),
    (["--workers", "2", "--once"], "leave out --once / --stdin"),
    (["--stats", "1"], "--stats goes with --workers"),
])
@async_test()
async def test_bad_worker_arguments(argv, message):
    cli = await run_cli("server", *argv)
    assert cli.proc.returncode == 2
    assert message in text(cli.stderr)
