"""Fixtures of the session store tests: a real redis-server per test, the server's PEM files."""
from __future__ import annotations

import importlib.util
from typing import Dict, Iterator

import pytest

from support.redis import REDIS_SERVER, RedisServer

if REDIS_SERVER is None or importlib.util.find_spec("redis") is None:
    pytest.skip("needs redis-server (apt-get install redis-server) and redis-py (pip install 'tls[redis]')",
                allow_module_level=True)


@pytest.fixture
def redis_server() -> Iterator[RedisServer]:
    server = RedisServer().start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def pem_files(tmp_path, server_options: dict) -> Dict[str, str]:
    (tmp_path / "key.pem").write_bytes(server_options["key"])
    (tmp_path / "cert.pem").write_bytes(server_options["cert"])
    return {"key": str(tmp_path / "key.pem"), "cert": str(tmp_path / "cert.pem")}
