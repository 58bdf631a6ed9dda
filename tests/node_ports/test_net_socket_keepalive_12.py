"""Port of test/parallel/test-tls-net-socket-keepalive-12.js: test-tls-net-socket-keepalive.js
with tls.DEFAULT_MAX_VERSION = 'TLSv1.2'."""
import pytest

from test_net_socket_keepalive import test_over_half_open_net_socket  # noqa: F401  (collected here too)


@pytest.fixture(autouse=True)
def _tls12(tls12):
    """tls.DEFAULT_MAX_VERSION = 'TLSv1.2' (the tls12 fixture, node_ports/conftest.py)."""
