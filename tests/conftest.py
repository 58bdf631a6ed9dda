"""Shared fixtures: certificates made here (trustme), real peers on loopback."""
from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess

import pytest
import trustme

NODE = shutil.which("node")
OPENSSL = shutil.which("openssl")
SRC = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "src")


@pytest.fixture(scope="session")
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture(scope="session")
def server_cert(ca: trustme.CA) -> trustme.LeafCert:
    return ca.issue_cert("localhost", "127.0.0.1", "::1")


@pytest.fixture(scope="session")
def client_cert(ca: trustme.CA) -> trustme.LeafCert:
    return ca.issue_cert("client@example.org", common_name="client")


@pytest.fixture(scope="session")
def ca_pem(ca: trustme.CA) -> bytes:
    return ca.cert_pem.bytes()


@pytest.fixture(scope="session")
def key_pem(server_cert: trustme.LeafCert) -> bytes:
    return server_cert.private_key_pem.bytes()


@pytest.fixture(scope="session")
def cert_pem(server_cert: trustme.LeafCert) -> bytes:
    # leaf first, then the chain, as Node's `cert` option takes it
    return b"".join(blob.bytes() for blob in server_cert.cert_chain_pems)


@pytest.fixture(scope="session")
def server_options(key_pem: bytes, cert_pem: bytes) -> dict:
    return {"key": key_pem, "cert": cert_pem}


@pytest.fixture(scope="session")
def build_module():
    """src/_tls_build.py imported as a module (dynamic mode, as in a dev build)."""
    saved = os.environ.pop("TLS_OPENSSL_STATIC", None)
    try:
        spec = importlib.util.spec_from_file_location("_tls_build_under_test", os.path.join(SRC, "_tls_build.py"))
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module
    finally:
        if saved is not None:
            os.environ["TLS_OPENSSL_STATIC"] = saved


@pytest.fixture
def tmp_pem(tmp_path):
    """Write PEM/DER bytes to a file for the openssl CLI and node scripts."""
    def write(name: str, data: bytes) -> str:
        path = tmp_path / name
        path.write_bytes(data)
        return str(path)
    return write


def pytest_configure(config):
    config.addinivalue_line("markers", "node: needs the node binary")
    if NODE is None or OPENSSL is None:
        raise pytest.UsageError("the tests need `node` (20) and `openssl` on PATH")
