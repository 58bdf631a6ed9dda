"""Shared fixtures: certificates made here (trustme, the openssl CLI), the
mustCall tracker and runner of the Node-style ports.  What they call is in
tests/support (one module per purpose)."""
from __future__ import annotations

import importlib.util
import os
import shutil
from typing import Any, Callable, Dict

import pytest
import trustme
from trustme import KeyType

from support.aio import LOOP_FACTORIES
from support.certs import Pems, agent, make_openssl_agent, make_pems, make_self_signed
from support.engine import Pair
from support.node_style import WATCHDOG_SECONDS, CallTracker, run_program
from support.openssl import openssl
from support.python import SRC

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


@pytest.fixture(scope="session")
def pems(tmp_path_factory, ca, server_cert, client_cert) -> Pems:
    """The certificates above as bytes and as files, for the node and openssl peers."""
    return make_pems(tmp_path_factory, ca, server_cert, client_cert)


# -- Node's test/fixtures/keys, for the ports of Node's tests and the Node 20 extras --------------

@pytest.fixture(scope="session")
def rsa_ca() -> trustme.CA:
    return trustme.CA(key_type=KeyType.RSA, organization_name="Node ports CA1")


@pytest.fixture(scope="session")
def rsa_ca2() -> trustme.CA:
    return trustme.CA(key_type=KeyType.RSA, organization_name="Node ports CA2")


@pytest.fixture(scope="session")
def agent1(rsa_ca: trustme.CA) -> Dict[str, Any]:
    """An RSA leaf for localhost issued by rsa_ca (Node's agent1): key, cert, ca, leaf."""
    return agent(rsa_ca, "localhost", "127.0.0.1", cn="agent1")


@pytest.fixture(scope="session")
def client_agent(rsa_ca2: trustme.CA) -> Dict[str, Any]:
    """An RSA client certificate issued by rsa_ca2."""
    return agent(rsa_ca2, "client@example.org", cn="client")


@pytest.fixture(scope="session")
def ec_ca() -> trustme.CA:
    return trustme.CA(key_type=KeyType.ECDSA, organization_name="Node ports CA5")


@pytest.fixture(scope="session")
def ec_agent(ec_ca: trustme.CA) -> Dict[str, Any]:
    """An ECDSA P-256 leaf issued by ec_ca (Node's ec10)."""
    return agent(ec_ca, "localhost", "127.0.0.1", cn="agent10.example.com", key_type=KeyType.ECDSA)


@pytest.fixture(scope="session")
def self_signed(tmp_path_factory) -> Dict[str, bytes]:
    """A self-signed RSA certificate for CN=localhost (Node's agent2 / test_cert)."""
    return make_self_signed(tmp_path_factory.mktemp("selfsigned"))


@pytest.fixture(scope="session")
def pass_key(self_signed: Dict[str, bytes]) -> bytes:
    """self_signed's key encrypted with AES-256 under 'passphrase' (Node's pass-key.pem)."""
    return openssl("pkey", "-aes256", "-passout", "pass:passphrase", input=self_signed["key"])


@pytest.fixture(scope="session")
def openssl_agent(tmp_path_factory) -> Dict[str, bytes]:
    """Node's agent1 made with the openssl CLI (emailAddress, OCSP URI, CA:FALSE) and its CA, with DERs."""
    return make_openssl_agent(tmp_path_factory.mktemp("agent1"))


# -- Node's common.mustCall, and running a Node-style program ----------------------------------

@pytest.fixture
def calls() -> CallTracker:
    return CallTracker()


@pytest.fixture
def node_run(calls: CallTracker) -> Callable[..., Any]:
    """node_run(main, timeout=15): tls.run(main) bounded in time, then the mustCall check."""
    def run(main: Callable[[], Any], timeout: float = WATCHDOG_SECONDS) -> Any:
        return run_program(main, calls, timeout)
    return run


# -- the event loop an async_test(loop=FROM_FIXTURE) test runs on: each of them in turn ----------

@pytest.fixture(params=sorted(LOOP_FACTORIES))
def loop_name(request: Any) -> str:
    return request.param


# -- two engines in memory, after their handshake ----------------------------------------------

@pytest.fixture
def pair(server_cert: trustme.LeafCert) -> Pair:
    p = Pair(server_cert.cert_chain_pems[0].bytes(), server_cert.private_key_pem.bytes())
    p.handshake()
    return p


# -- the build -------------------------------------------------------------------------------

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
