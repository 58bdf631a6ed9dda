"""Fixtures of the ports of Node's own test/parallel/test-tls-*.js.

The ports run as Node-style callback programs under ``tls.run`` (the
``calls`` and ``node_run`` fixtures and the certificate fixtures are in
tests/conftest.py; the helpers in tests/support/node_style.py explain how).
"""
from __future__ import annotations

from typing import Any, Dict, Iterator

import pytest

import tls

from support.certs import dh_params_pem
from support.node_style import kill_all


@pytest.fixture(autouse=True)
def _kill_subprocesses() -> Iterator[None]:
    """Kill what a failed test left running (support.node_style.Proc)."""
    yield
    kill_all()


@pytest.fixture
def tls12(monkeypatch: pytest.MonkeyPatch) -> None:
    """TLS 1.2 by default (renegotiation as a protocol feature was dropped after TLS 1.2)."""
    monkeypatch.setattr(tls, "DEFAULT_MAX_VERSION", "TLSv1.2")


@pytest.fixture(scope="session")
def dhparams(tmp_path_factory) -> Dict[Any, Any]:
    """DH parameters by size, plus a broken PEM ("error") and "auto"."""
    d = str(tmp_path_factory.mktemp("dh"))
    return {512: dh_params_pem(512, d), 1024: dh_params_pem(1024, d), 2048: dh_params_pem(2048, d),
            "error": b"-----BEGIN DH PARAMETERS-----\nnot base64 at all\n-----END DH PARAMETERS-----\n",
            "auto": "auto"}
