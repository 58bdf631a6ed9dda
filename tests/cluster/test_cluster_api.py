"""tls.cluster in the test process itself (a primary): the module's shape and the input it refuses.

Nothing here forks a worker that runs: bad input is refused before the
process is started (the programs of test_cluster_life.py cover the rest).
"""
from __future__ import annotations

import pytest

import tls
import tls.cluster as cluster
from tls._faces.cluster.channel import encode


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
