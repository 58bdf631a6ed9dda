"""Shared fixtures: certificates made here (trustme), real peers on loopback."""
from __future__ import annotations

import os
import shutil
import subprocess

import pytest
import trustme

NODE = shutil.which("node")
OPENSSL = shutil.which("openssl")


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
