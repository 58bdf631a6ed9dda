"""OCSP stapling against the openssl CLI, with real OCSP responses.

The fixture builds a CA, a leaf certificate with an OCSP URI, an index of
certificate statuses and, with ``openssl ocsp``, a signed response for the
leaf ('good') and for a revoked sibling.  Then:

* our server staples the response from its 'OCSPRequest' listener and
  ``openssl s_client -status`` verifies it (TLS 1.2 and 1.3);
* ``openssl s_server -status_file`` staples it for our client, which gets
  the exact bytes as 'OCSPResponse' before 'secureConnect' and can reject a
  revoked certificate there;
* without the status request neither side hears of OCSP.

Node has no OCSP responder or checker of its own, hence the CLI (Node-side
interop is in tests/node_ports/test_ocsp_callback.py).
"""
from __future__ import annotations

import asyncio
import contextlib
import datetime
from typing import Any, AsyncIterator, Dict, List, Optional

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509 import ocsp

import tls

from support.aio import run_async
from support.loopback import listen
from support.openssl import OPENSSL, openssl, s_server

TIMEOUT = 20.0


def _index_date(cert_pem: bytes) -> str:
    cert = x509.load_pem_x509_certificate(cert_pem)
    return cert.not_valid_after_utc.strftime("%y%m%d%H%M%SZ")


@pytest.fixture(scope="module")
def pki(tmp_path_factory) -> Dict[str, Any]:
    d = tmp_path_factory.mktemp("ocsp")
    cwd = str(d)
    openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.pem",
             "-days", "30", "-subj", "/CN=OCSP test CA", "-addext", "basicConstraints=critical,CA:TRUE", cwd=cwd)
    (d / "ext.cnf").write_text("basicConstraints=CA:FALSE\n"
                               "authorityInfoAccess=OCSP;URI:http://127.0.0.1:1/\n"
                               "subjectAltName=DNS:localhost,IP:127.0.0.1\n")
    index = []
    for name, status in (("leaf", "V"), ("revoked", "R")):
        openssl("req", "-new", "-newkey", "rsa:2048", "-nodes", "-keyout", name + ".key", "-out", name + ".csr",
                 "-subj", "/CN=localhost/OU=" + name, cwd=cwd)
        openssl("x509", "-req", "-in", name + ".csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
                 "-out", name + ".pem", "-days", "30", "-extfile", "ext.cnf", cwd=cwd)
        pem = (d / (name + ".pem")).read_bytes()
        serial = "%X" % x509.load_pem_x509_certificate(pem).serial_number
        if len(serial) % 2:
            serial = "0" + serial
        revoked_at = (datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(hours=1)).strftime(
            "%y%m%d%H%M%SZ") if status == "R" else ""
        index.append("%s\t%s\t%s\t%s\tunknown\t/CN=localhost/OU=%s\n" % (status, _index_date(pem), revoked_at,
                                                                        serial, name))
    (d / "index.txt").write_text("".join(index))
    out: Dict[str, Any] = {"dir": cwd, "ca": (d / "ca.pem").read_bytes()}
    for name in ("leaf", "revoked"):
        openssl("ocsp", "-issuer", "ca.pem", "-cert", name + ".pem", "-reqout", name + ".req", "-no_nonce", cwd=cwd)
        openssl("ocsp", "-index", "index.txt", "-rsigner", "ca.pem", "-rkey", "ca.key", "-CA", "ca.pem",
                 "-reqin", name + ".req", "-respout", name + ".resp", "-ndays", "1", cwd=cwd)
        out[name] = {"key": (d / (name + ".key")).read_bytes(), "cert": (d / (name + ".pem")).read_bytes(),
                     "response": (d / (name + ".resp")).read_bytes(),
                     "cert_path": str(d / (name + ".pem")), "key_path": str(d / (name + ".key")),
                     "response_path": str(d / (name + ".resp"))}
    out["ca_path"] = str(d / "ca.pem")
    return out


async def s_client(port: int, *args: str) -> str:
    proc = await asyncio.create_subprocess_exec(
        OPENSSL, "s_client", "-connect", "127.0.0.1:%d" % port, "-servername", "localhost", *args,
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)
    try:
        out, _ = await proc.communicate(b"")
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
    return out.decode("latin-1")


@contextlib.asynccontextmanager
async def ocsp_s_server(pki: Dict[str, Any], *args: str) -> AsyncIterator[int]:
    """``openssl s_server -status_file`` for one connection: its port."""
    peer, port = await s_server(["-naccept", "1", "-cert", pki["leaf"]["cert_path"], "-key", pki["leaf"]["key_path"],
                                 *args])
    async with peer:
        yield port


def stapling_server(pki: Dict[str, Any], name: str, seen: List[Any], version: Optional[str] = None) -> Any:
    options = {"key": pki[name]["key"], "cert": pki[name]["cert"], "ca": [pki["ca"]]}
    if version:
        options["maxVersion"] = options["minVersion"] = version
    server = tls.createServer(options, lambda s: s.end())

    def on_request(cert: bytes, issuer: Optional[bytes], callback: Any) -> None:
        seen.append((cert, issuer))
        asyncio.get_running_loop().call_later(0.01, callback, None, pki[name]["response"])

    server.on("OCSPRequest", on_request)
    return server


# -- our server, openssl s_client ---------------------------------------------------------

@pytest.mark.parametrize("version,flag", [("TLSv1.2", "-tls1_2"), ("TLSv1.3", "-tls1_3")])
def test_s_client_verifies_our_staple(pki, version, flag):
    async def main() -> None:
        seen: List[Any] = []
        server = stapling_server(pki, "leaf", seen, version)
        try:
            port = await listen(server)
            out = await s_client(port, flag, "-status", "-CAfile", pki["ca_path"])
        finally:
            server.close()
        assert "OCSP Response Status: successful (0x0)" in out, out
        assert "Cert Status: good" in out, out
        assert "Verify return code: 0 (ok)" in out, out
        leaf_der = x509.load_pem_x509_certificate(pki["leaf"]["cert"]).public_bytes(Encoding.DER)
        ca_der = x509.load_pem_x509_certificate(pki["ca"]).public_bytes(Encoding.DER)
        assert seen == [(leaf_der, ca_der)]

    run_async(main(), TIMEOUT)


def test_s_client_sees_revoked_staple(pki):
    async def main() -> None:
        server = stapling_server(pki, "revoked", [])
        try:
            port = await listen(server)
            out = await s_client(port, "-status", "-CAfile", pki["ca_path"])
        finally:
            server.close()
        assert "Cert Status: revoked" in out, out

    run_async(main(), TIMEOUT)


def test_s_client_without_status_request(pki):
    """No status_request: no 'OCSPRequest', nothing stapled."""
    async def main() -> None:
        seen: List[Any] = []
        server = stapling_server(pki, "leaf", seen)
        try:
            port = await listen(server)
            out = await s_client(port, "-CAfile", pki["ca_path"])
        finally:
            server.close()
        assert "OCSP Response Status" not in out
        assert "Verify return code: 0 (ok)" in out, out
        assert seen == []

    run_async(main(), TIMEOUT)


def test_s_client_status_without_staple(pki):
    """The listener answers None: s_client reports that no response was sent."""
    async def main() -> None:
        server = tls.createServer({"key": pki["leaf"]["key"], "cert": pki["leaf"]["cert"]}, lambda s: s.end())
        server.on("OCSPRequest", lambda cert, issuer, cb: cb(None, None))
        try:
            port = await listen(server)
            out = await s_client(port, "-status")
        finally:
            server.close()
        assert "OCSP response: no response sent" in out, out

    run_async(main(), TIMEOUT)


# -- openssl s_server -status_file, our client ----------------------------------------------

async def connect_client(port: int, pki: Dict[str, Any], request: bool, version: Optional[str] = None,
                         reject_revoked: bool = False) -> Dict[str, Any]:
    log: Dict[str, Any] = {"events": []}
    done = asyncio.get_running_loop().create_future()
    options: Dict[str, Any] = {"port": port, "host": "127.0.0.1", "ca": [pki["ca"]], "servername": "localhost",
                               "requestOCSP": request}
    if version:
        options["maxVersion"] = version
    client = tls.connect(options)

    def on_response(resp: Optional[bytes]) -> None:
        log["events"].append("OCSPResponse")
        log["response"] = resp
        if reject_revoked and resp is not None:
            status = ocsp.load_der_ocsp_response(resp).certificate_status
            if status == ocsp.OCSPCertStatus.REVOKED:
                client.destroy(tls.NodeError("certificate revoked", "CERT_REVOKED"))

    client.on("OCSPResponse", on_response)
    client.on("secureConnect", lambda: (log["events"].append("secureConnect"), client.end()))
    client.on("error", lambda err: log.setdefault("error", err.code))
    client.on("close", lambda *a: done.done() or done.set_result(None))
    client.resume()
    await done
    return log


@pytest.mark.parametrize("version", ["TLSv1.2", "TLSv1.3"])
def test_client_gets_s_server_staple(pki, version):
    async def main() -> None:
        async with ocsp_s_server(pki, "-status_file", pki["leaf"]["response_path"]) as port:
            log = await connect_client(port, pki, True, version)
        assert log["events"] == ["OCSPResponse", "secureConnect"]
        assert log["response"] == pki["leaf"]["response"]
        parsed = ocsp.load_der_ocsp_response(log["response"])
        assert parsed.response_status == ocsp.OCSPResponseStatus.SUCCESSFUL
        assert parsed.certificate_status == ocsp.OCSPCertStatus.GOOD
        assert parsed.serial_number == x509.load_pem_x509_certificate(pki["leaf"]["cert"]).serial_number

    run_async(main(), TIMEOUT)


def test_client_rejects_revoked_in_ocsp_response(pki):
    """A listener that finds 'revoked' destroys the socket before 'secureConnect' (the spec's step 5)."""
    async def main() -> None:
        async with ocsp_s_server(pki, "-status_file", pki["revoked"]["response_path"]) as port:
            log = await connect_client(port, pki, True, reject_revoked=True)
        assert log["events"] == ["OCSPResponse"]
        assert log["error"] == "CERT_REVOKED"

    run_async(main(), TIMEOUT)


def test_client_without_request_ocsp(pki):
    async def main() -> None:
        async with ocsp_s_server(pki, "-status_file", pki["leaf"]["response_path"]) as port:
            log = await connect_client(port, pki, False)
        assert log["events"] == ["secureConnect"]
        assert "response" not in log

    run_async(main(), TIMEOUT)


def test_client_request_without_staple(pki):
    """A server that staples nothing: 'OCSPResponse' None, then 'secureConnect' (as Node)."""
    async def main() -> None:
        async with ocsp_s_server(pki) as port:
            log = await connect_client(port, pki, True)
        assert log["events"] == ["OCSPResponse", "secureConnect"]
        assert log["response"] is None

    run_async(main(), TIMEOUT)
