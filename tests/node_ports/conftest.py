"""Helpers for the ports of Node's own test/parallel/test-tls-*.js.

* ``calls`` -- Node's ``common.mustCall`` / ``mustNotCall``: wrap a callback,
  and after the program ended check that every wrapped callback ran exactly
  the expected number of times.
* ``node_run`` -- run a Node-style ``main`` with ``tls.run`` under a watchdog
  (an unref'd timer: it never keeps the program alive, it only fails it), then
  verify the ``calls`` tracker.
* Node lets a process exit while a half-closed socket still holds unread
  data (its libuv handle is inactive once EOF arrived); tls.run keeps such a
  socket alive, so the ports drain (``resume()``) sockets whose peer sends
  data nobody reads.  This does not change what the tests check.
* certificate fixtures made with trustme / the openssl CLI, in place of
  Node's test/fixtures/keys (agent1 = RSA leaf of a CA, agent2 = self-signed,
  ec = ECDSA leaf, pass-key = encrypted key).
"""
from __future__ import annotations

import shutil
import subprocess
from typing import Any, Callable, List, Optional

import pytest
import trustme
from trustme import KeyType

import tls
from tls._node import runtime as _runtime

WATCHDOG_SECONDS = 15.0

# Without __init__.py files every conftest.py is the module "conftest" and
# the last one collected wins sys.modules["conftest"]; test files that do
# ``from conftest import NODE, OPENSSL`` must still find these.
NODE = shutil.which("node")
OPENSSL = shutil.which("openssl")


class CallTracker:
    """common.mustCall / common.mustNotCall with a final verify()."""

    def __init__(self) -> None:
        self._entries: List[list] = []

    def must_call(self, fn: Optional[Callable[..., Any]] = None, exact: int = 1) -> Callable[..., Any]:
        entry = [fn, exact, 0, _where()]
        self._entries.append(entry)

        def wrapper(*args: Any) -> Any:
            entry[2] += 1
            if fn is not None:
                return fn(*args)
            return None

        return wrapper

    def must_call_at_least(self, fn: Optional[Callable[..., Any]] = None, minimum: int = 1) -> Callable[..., Any]:
        entry = [fn, -minimum, 0, _where()]
        self._entries.append(entry)

        def wrapper(*args: Any) -> Any:
            entry[2] += 1
            return fn(*args) if fn is not None else None

        return wrapper

    def must_not_call(self, what: str = "callback") -> Callable[..., Any]:
        def wrapper(*args: Any) -> Any:
            raise AssertionError("%s must not be called; got %r" % (what, args))

        return wrapper

    def verify(self) -> None:
        problems = []
        for fn, exact, count, where in self._entries:
            if exact >= 0 and count != exact:
                problems.append("%s: expected %d call(s), got %d" % (where, exact, count))
            elif exact < 0 and count < -exact:
                problems.append("%s: expected at least %d call(s), got %d" % (where, -exact, count))
        self._entries.clear()
        assert not problems, "\n".join(problems)


def _where() -> str:
    import inspect
    frame = inspect.currentframe()
    # must_call <- caller
    caller = frame.f_back.f_back if frame and frame.f_back else None
    if caller is None:
        return "?"
    return "%s:%d" % (caller.f_code.co_filename.rsplit("/", 1)[-1], caller.f_lineno)


@pytest.fixture
def calls() -> CallTracker:
    return CallTracker()


def _watchdog(seconds: float) -> None:
    raise TimeoutError("the Node-style program did not finish within %.0f s" % seconds)


@pytest.fixture
def node_run(calls: CallTracker) -> Callable[..., Any]:
    """node_run(main): tls.run(main) bounded in time, then the mustCall check."""

    def run(main: Callable[[], Any], timeout: float = WATCHDOG_SECONDS) -> Any:
        def wrapped() -> Any:
            _runtime.setTimeout(_watchdog, timeout * 1000, timeout).unref()
            return main()

        result = tls.run(wrapped)
        calls.verify()
        return result

    return run


# -- certificates ------------------------------------------------------------------------

def chain_pem(leaf: trustme.LeafCert) -> bytes:
    return b"".join(blob.bytes() for blob in leaf.cert_chain_pems)


@pytest.fixture(scope="session")
def rsa_ca() -> trustme.CA:
    return trustme.CA(key_type=KeyType.RSA, organization_name="Node ports CA1")


@pytest.fixture(scope="session")
def agent1(rsa_ca: trustme.CA) -> dict:
    """An RSA leaf issued by rsa_ca (Node's agent1): key, cert, ca."""
    leaf = rsa_ca.issue_cert("localhost", "127.0.0.1", common_name="agent1", key_type=KeyType.RSA)
    return {"key": leaf.private_key_pem.bytes(), "cert": chain_pem(leaf), "ca": rsa_ca.cert_pem.bytes(),
            "leaf": leaf}


@pytest.fixture(scope="session")
def ec_ca() -> trustme.CA:
    return trustme.CA(key_type=KeyType.ECDSA, organization_name="Node ports CA5")


@pytest.fixture(scope="session")
def ec_agent(ec_ca: trustme.CA) -> dict:
    """An ECDSA P-256 leaf issued by ec_ca (Node's ec10)."""
    leaf = ec_ca.issue_cert("localhost", "127.0.0.1", common_name="agent10.example.com",
                            key_type=KeyType.ECDSA)
    return {"key": leaf.private_key_pem.bytes(), "cert": chain_pem(leaf), "ca": ec_ca.cert_pem.bytes(),
            "leaf": leaf}


def _openssl(*args: str, input: Optional[bytes] = None) -> bytes:
    return subprocess.run(["openssl", *args], input=input, check=True, capture_output=True).stdout


@pytest.fixture(scope="session")
def self_signed(tmp_path_factory) -> dict:
    """A self-signed RSA certificate for CN=localhost (Node's agent2 / test_cert)."""
    d = tmp_path_factory.mktemp("selfsigned")
    key, cert = d / "key.pem", d / "cert.pem"
    _openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out", str(cert),
             "-days", "30", "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost")
    return {"key": key.read_bytes(), "cert": cert.read_bytes()}


@pytest.fixture(scope="session")
def pass_key(self_signed: dict) -> bytes:
    """self_signed's key encrypted with AES-256 under 'passphrase' (Node's pass-key.pem)."""
    return _openssl("pkey", "-aes256", "-passout", "pass:passphrase", input=self_signed["key"])


@pytest.fixture(scope="session")
def openssl_agent(tmp_path_factory) -> dict:
    """Node's agent1 made with the openssl CLI: an RSA-2048 leaf with an
    emailAddress, an OCSP URI (authorityInfoAccess) and CA:FALSE, issued by
    an RSA root "ca1"; plus the DER of both for computed expectations."""
    d = tmp_path_factory.mktemp("agent1")
    ca_key, ca_cert = d / "ca1-key.pem", d / "ca1-cert.pem"
    _openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(ca_key), "-out", str(ca_cert),
             "-days", "30", "-subj", "/C=US/ST=CA/L=SF/O=Joyent/OU=Node.js/CN=ca1/emailAddress=ry@tinyclouds.org",
             "-addext", "basicConstraints=critical,CA:TRUE")
    key, csr, cert = d / "agent1-key.pem", d / "agent1.csr", d / "agent1-cert.pem"
    _openssl("req", "-new", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out", str(csr),
             "-subj", "/C=US/ST=CA/L=SF/O=Joyent/OU=Node.js/CN=agent1/emailAddress=ry@tinyclouds.org")
    ext = d / "ext.cnf"
    ext.write_text("basicConstraints=CA:FALSE\n"
                   "authorityInfoAccess=OCSP;URI:http://ocsp.nodejs.org/,caIssuers;URI:http://ca.nodejs.org/ca.cert\n"
                   "subjectAltName=DNS:localhost,IP:127.0.0.1\n")
    _openssl("x509", "-req", "-in", str(csr), "-CA", str(ca_cert), "-CAkey", str(ca_key), "-CAcreateserial",
             "-out", str(cert), "-days", "30", "-extfile", str(ext), "-sha256")
    der = _openssl("x509", "-in", str(cert), "-outform", "DER")
    ca_der = _openssl("x509", "-in", str(ca_cert), "-outform", "DER")
    return {"key": key.read_bytes(), "cert": cert.read_bytes(), "ca": ca_cert.read_bytes(),
            "der": der, "ca_der": ca_der}
