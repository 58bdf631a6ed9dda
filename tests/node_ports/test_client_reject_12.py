"""Port of test/parallel/test-tls-client-reject-12.js: test-tls-client-reject.js with
tls.DEFAULT_MAX_VERSION = 'TLSv1.2'."""
import pytest

from test_client_reject import *  # noqa: F403  (the same tests, collected here too)


@pytest.fixture(autouse=True)
def _tls12(tls12):
    """tls.DEFAULT_MAX_VERSION = 'TLSv1.2' (the tls12 fixture, node_ports/conftest.py)."""
