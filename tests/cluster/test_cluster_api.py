"""tls.cluster in the test process itself (a primary): the module's shape and the input it refuses.

Nothing here forks a worker that runs: bad input is refused before the
process is started (the programs of test_cluster_life.py cover the rest).
"""
from __future__ import annotations

import asyncio
import socket

import pytest

import tls
import tls.cluster as cluster
from tls._faces.cluster import primary as _primary
from tls._faces.cluster.channel import encode
from tls._faces.cluster.sessions import SessionCache, install_forwarding, session_protocol_version
from tls._objects import server_hooks

from support.aio import run_async


def test_the_module_is_nodes_cluster_object():
    assert cluster.isPrimary is True and cluster.isMaster is True and cluster.isWorker is False
    assert cluster.worker is None and isinstance(cluster.workers, dict)
    assert (cluster.SCHED_NONE, cluster.SCHED_RR) == (1, 2)
    assert cluster.schedulingPolicy in (cluster.SCHED_NONE, cluster.SCHED_RR)
    assert isinstance(cluster, tls.events.EventEmitter) and cluster.setupMaster == cluster.setupPrimary
    assert issubclass(cluster.Worker, tls.events.EventEmitter)
    import tls.cluster as again
    assert again is cluster and tls.cluster is cluster


@pytest.fixture
def fresh_settings():
    saved = cluster.settings
    cluster.settings = {}
    yield
    cluster.settings = saved


@pytest.mark.parametrize("env, code", [
    (5, "ERR_INVALID_ARG_TYPE"),
    ("A=1", "ERR_INVALID_ARG_TYPE"),
    ({"A": {"nested": 1}}, "ERR_INVALID_ARG_TYPE"),
    ({"A": b"bytes"}, "ERR_INVALID_ARG_TYPE"),
    ({"A=B": "1"}, "ERR_INVALID_ARG_VALUE"),
    ({"": "1"}, "ERR_INVALID_ARG_VALUE"),
    ({"A": "nul\0byte"}, "ERR_INVALID_ARG_VALUE"),
])
def test_fork_refuses_a_bad_env(env, code, fresh_settings):
    with pytest.raises(tls.NodeError) as caught:
        cluster.fork(env)
    assert caught.value.code == code
    assert cluster.workers == {}


@pytest.mark.parametrize("settings, code", [
    ({"stdio": ["pipe", "pipe", "pipe", "ipc"]}, "ERR_OPTION_NOT_IMPLEMENTED"),
    ({"inspectPort": 9229}, "ERR_OPTION_NOT_IMPLEMENTED"),
    ({"execArgs": ["-X", "dev"]}, "ERR_INVALID_ARG_VALUE"),          # a near miss of execArgv
    ({"serialization": "advanced"}, "ERR_INVALID_ARG_VALUE"),
    ({"args": "--port 1"}, "ERR_INVALID_ARG_TYPE"),
    ({"exec": 5}, "ERR_INVALID_ARG_TYPE"),
    ({"uid": "root"}, "ERR_INVALID_ARG_TYPE"),
])
def test_setup_primary_refuses_what_it_cannot_honour(settings, code, fresh_settings):
    with pytest.raises(tls.NodeError) as caught:
        cluster.setupPrimary(settings)
    assert caught.value.code == code


def test_setup_primary_keywords_and_settings(fresh_settings):
    with pytest.raises(TypeError, match="frobnicate"):
        cluster.setupPrimary(frobnicate=1)
    seen = []
    cluster.once("setup", seen.append)
    cluster.setupPrimary(exec_argv=["-X", "dev"], args=["--port", "1"], silent=True)
    assert cluster.settings["execArgv"] == ["-X", "dev"] and cluster.settings["args"] == ["--port", "1"]
    assert cluster.settings["silent"] is True and isinstance(cluster.settings["exec"], str)
    assert seen == [cluster.settings]       # no loop here: 'setup' at once
    cluster.setupPrimary({"silent": False})
    assert cluster.settings["execArgv"] == ["-X", "dev"]    # sticky, as Node's


def test_messages_must_be_json():
    with pytest.raises(tls.NodeError) as caught:
        encode(b"bytes")
    assert caught.value.code == "ERR_INVALID_ARG_TYPE"
    with pytest.raises(tls.NodeError) as caught:
        encode(None)
    assert caught.value.code == "ERR_MISSING_ARGS"
    with pytest.raises(tls.NodeError) as caught:
        encode({"nan": float("nan")})
    assert caught.value.code == "ERR_INVALID_ARG_TYPE"


def test_fork_needs_a_running_loop(fresh_settings):
    with pytest.raises(tls.NodeError) as caught:
        cluster.fork()
    assert caught.value.code == "ERR_NO_EVENT_LOOP"
    assert cluster.workers == {}


# -- the hooks a worker installs, tried in this process -----------------------------------------------------



def test_default_ticket_keys_reach_new_servers_unless_given(pems):
    run_async(_ticket_keys(pems), 10)


async def _ticket_keys(pems):
    keys, own = bytes(range(48)), bytes(range(48, 96))
    server_hooks.set_default_ticket_keys(keys)
    try:
        assert tls.Server({"key": pems.key, "cert": pems.cert}).getTicketKeys() == keys
        server = tls.Server({"key": pems.key, "cert": pems.cert, "ticketKeys": own})
        assert server.getTicketKeys() == own
        later = tls.Server({"key": pems.key, "cert": pems.cert})
        later.setSecureContext({"key": pems.key, "cert": pems.cert})   # a reload keeps the cluster's keys
        assert later.getTicketKeys() == keys
    finally:
        server_hooks.set_default_ticket_keys(None)
    assert tls.Server({"key": pems.key, "cert": pems.cert}).getTicketKeys() != keys
    with pytest.raises(tls.NodeError):
        server_hooks.set_default_ticket_keys(b"short")


def test_session_forwarding_steps_aside_for_the_programs_own_listeners(pems):
    run_async(_steps_aside(pems), 10)


async def _steps_aside(pems):
    asked = []
    server = tls.Server({"key": pems.key, "cert": pems.cert})
    install_forwarding(server, lambda message, reply: (asked.append(message), reply({"data": "abcd"}, None)))
    got = []
    server.listeners("resumeSession")[0](b"\x01\x02", lambda err, data: got.append((err, data)))
    assert asked == [{"act": "resumeSession", "id": "0102"}] and got == [(None, b"\xab\xcd")]
    mine = lambda session_id, data, done: done()  # noqa: E731
    server.on("newSession", mine)
    assert server.listeners("newSession") == [mine] and server.listeners("resumeSession") == []


def test_the_primarys_session_cache_honours_the_timeout(monkeypatch):
    cache = SessionCache(max_size=2)
    now = [1000.0]
    monkeypatch.setattr("tls._faces.cluster.sessions.time.monotonic", lambda: now[0])
    cache.store("a", "00", 10)
    cache.store("b", "01", None)          # the default, 300 s
    assert cache.get("a") == "00" and cache.get("b") == "01"
    now[0] += 11
    assert cache.get("a") is None and cache.get("b") == "01"
    cache.store("c", "02", 5)
    cache.store("d", "03", 5)             # over max_size: the oldest goes
    assert cache.get("b") is None and len(cache) == 2


def test_session_protocol_version_reads_the_der():
    # SEQUENCE { INTEGER 1, INTEGER 0x0304, ... } and { INTEGER 1, INTEGER 0x0303, ... }
    assert session_protocol_version(bytes.fromhex("3082000a020101020203040400")) == 0x0304
    assert session_protocol_version(bytes.fromhex("300a020101020203030400")) == 0x0303
    assert session_protocol_version(b"") is None and session_protocol_version(b"\x04\x00") is None


def test_a_workers_command_line_without_orig_argv(monkeypatch):
    """Python 3.9 has no sys.orig_argv: the command line is rebuilt from argv, the flags and __main__."""
    monkeypatch.delattr("sys.orig_argv", raising=False)
    monkeypatch.setattr("sys.argv", ["/srv/app.py", "--port", "1"])
    monkeypatch.setattr("sys.modules", {**__import__("sys").modules,
                                         "__main__": type("M", (), {"__spec__": None})()})
    flags, target, args = _primary._split_orig_argv()
    assert target == ["/srv/app.py"] and args == ["--port", "1"] and isinstance(flags, list)


def test_a_workers_command_line_from_orig_argv(monkeypatch):
    monkeypatch.setattr("sys.orig_argv", ["python3", "-X", "dev", "-u", "-m", "app", "--port", "1"], raising=False)
    assert _primary._split_orig_argv() == (["-X", "dev", "-u"], ["-m", "app"], ["--port", "1"])
    monkeypatch.setattr("sys.orig_argv", ["python3", "-Wdefault", "serve.py", "x"], raising=False)
    assert _primary._split_orig_argv() == (["-Wdefault"], ["serve.py"], ["x"])


def test_a_connection_accepted_before_close_is_still_served():
    """What a worker's graceful disconnect relies on: close() right after an accept (the connection's
    transport not up yet) serves that connection, and 'close' waits for it -- Node emits 'connection'
    at accept time, so it never drops one."""
    async def body():
        events = []
        closed = asyncio.get_running_loop().create_future()
        server = tls.net.createServer(lambda s: (events.append("connection"), s.end("served")))
        server.on("close", lambda: (events.append("close"), closed.set_result(None)))
        await server.listen(0, "127.0.0.1")
        client = socket.create_connection(("127.0.0.1", server.address()["port"]))
        server._on_acceptable()          # accepted now; its transport starts on the next iteration
        server.close()
        client.setblocking(False)
        loop = asyncio.get_running_loop()
        data = await asyncio.wait_for(loop.sock_recv(client, 100), 5)
        client.close()
        await asyncio.wait_for(closed, 5)
        assert data == b"served" and events == ["connection", "close"]

    run_async(body(), 10)


def test_get_counters_without_workers_and_with_a_bad_callback():
    async def body():
        got = asyncio.get_running_loop().create_future()
        cluster.getCounters(lambda err, counters: got.set_result((err, counters)))
        err, counters = await asyncio.wait_for(got, 5)
        assert err is None and counters["workers"] == {} and counters["total"]["handshakes"] == {"full": 0,
                                                                                                "resumed": 0}
        with pytest.raises(tls.NodeError) as caught:
            cluster.getCounters("not a function")
        assert caught.value.code == "ERR_INVALID_ARG_TYPE"

    run_async(body(), 10)
