"""The command line, ``python -m tls ...``, run as subprocesses against real peers on loopback.

* ``server`` and ``client`` against each other: a throwaway CA whose printed fingerprint the client
  sees, ALPN, servername, --stdin, client certificates with --ticket-keys and --reconnect;
* ``client`` against ``openssl s_server`` (an OCSP staple from --status, JSON) and a Node 20 server
  (piping, session reuse); ``server`` against ``openssl s_client`` (stapling, --file);
* failures: verification (exit 1, ``error: <code>: <message>``), a refused connection, bad arguments
  (exit 2), never a traceback;
* ``demo`` (PEM and PFX) with ``cryptography`` and ``trustme`` made unimportable, and each backend of
  the throwaway certificates.

Every subprocess is bounded (TIMEOUT), and tests wait for output lines, never for time to pass.
"""
from __future__ import annotations

import asyncio
import datetime
import json
import os
import re
import subprocess
import sys
from typing import Any, Dict, List

import pytest

import tls

from support.aio import async_test
from support.loopback import free_port
from support.node import NODE_ECHO_SERVER, NodePeer, node_port
from support.openssl import OPENSSL, s_server
from tls import events
from tls._faces.cli import certs as cli_certs
from tls._faces.cli import main as cli_main

from support.cli import (
    ENV, TIMEOUT, Cli, assert_no_traceback, json_summary, run_cli, text,
)


def test_help_lists_the_commands():
    done = subprocess.run([sys.executable, "-m", "tls", "--help"], capture_output=True, text=True, env=ENV,
                          timeout=TIMEOUT)
    assert done.returncode == 0, done.stderr
    for command in ("server", "client", "certs", "demo", "version"):
        assert command in done.stdout


@pytest.mark.parametrize("command", ["server", "client", "certs", "demo", "version"])
def test_each_command_has_help(command, capsys):
    with pytest.raises(SystemExit) as exit_info:
        cli_main([command, "--help"])
    assert exit_info.value.code == 0
    assert "usage: python -m tls " + command in capsys.readouterr().out


@pytest.mark.parametrize("argv,message", [
    ([], "required: COMMAND"),
    (["client"], "required: HOST:PORT"),
    (["client", "localhost:99999"], "bad port in 'localhost:99999'"),
    (["client", "localhost:443", "--alpn", "h2,,x"], "expected protocol names separated by commas"),
    (["client", "localhost:443", "--cert", "/nonexistent/cert.pem"], "cannot read '/nonexistent/cert.pem'"),
    (["server", "--file", __file__, "--stdin"], "not allowed with argument"),
    (["server", "--ticket-keys", __file__], "--ticket-keys: the file must hold exactly 48 bytes"),
    (["server", "--port", "70000"], "--port: expected 0-65535"),
    (["nosuchcommand"], "invalid choice: 'nosuchcommand'"),
])
def test_bad_arguments_exit_2_with_a_message(argv, message, capsys):
    with pytest.raises(SystemExit) as exit_info:
        cli_main(argv)
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert "usage: python -m tls" in err and message in err, err


def test_version_reports_the_openssl_versions():
    done = subprocess.run([sys.executable, "-m", "tls", "version", "--json"], capture_output=True, text=True,
                          env=ENV, timeout=TIMEOUT)
    assert done.returncode == 0, done.stderr
    info = json.loads(done.stdout)
    assert info["openssl_loaded"].startswith("OpenSSL 3")
    assert re.fullmatch(r"3\.\d+\.\d+", info["openssl_built"])
    assert set(info) == {"tls", "openssl_built", "openssl_loaded", "python"}


# -- server and client against each other -------------------------------------------------------

@async_test(TIMEOUT)
async def test_throwaway_server_and_client_verify_with_the_written_ca(tmp_path):
    ca_out = str(tmp_path / "throwaway-ca.pem")
    async with Cli("server", "--once", "--ca-out", ca_out, "--alpn", "h2,http/1.1") as server:
        port = await server.port()
        fingerprint = (await server.wait_for(re.compile(rb"  SHA-256 +([0-9A-F:]{95})\n"))).group(1)
        assert b"made with binding" in server.stderr         # what a fresh install uses
        client = await run_cli("client", "localhost:%d" % port, "--ca", ca_out, "--alpn", "http/1.1",
                               stdin=b"ping over TLS\n")
        assert client.proc.returncode == 0, text(client.stderr)
        assert client.stdout == b"ping over TLS\n"            # the echo, and nothing else on stdout
        summary = text(client.stderr)
        assert "verification    OK (authorized)" in summary
        assert "ALPN            http/1.1" in summary
        assert "SHA-256         " + fingerprint.decode() in summary
        assert await server.finish() == 0
    log = text(server.stderr)
    assert "connection 1 from 127.0.0.1:" in log
    assert "servername      localhost" in log and "ALPN            http/1.1" in log
    assert "session         new" in log and "protocol        TLSv1.3" in log
    with open(ca_out, "rb") as written:                      # --ca-out files stay
        assert written.read().startswith(b"-----BEGIN CERTIFICATE-----")


@async_test(TIMEOUT)
async def test_verification_failures_exit_1_with_the_reason_and_insecure_goes_on(tmp_path):
    ca_out = str(tmp_path / "ca.pem")
    async with Cli("server", "--ca-out", ca_out) as server:
        port = await server.port()
        target = "localhost:%d" % port
        untrusted, wrong_name, insecure = await asyncio.gather(
            run_cli("client", target, "--no-stdin"),
            run_cli("client", target, "--ca", ca_out, "--servername", "other.example", "--no-stdin"),
            run_cli("client", target, "--insecure", "--json", "--no-stdin"))
    assert untrusted.proc.returncode == 1
    assert text(untrusted.stderr).rstrip().endswith(
        "error: UNABLE_TO_VERIFY_LEAF_SIGNATURE: unable to verify the first certificate")
    assert "verification    FAILED: UNABLE_TO_VERIFY_LEAF_SIGNATURE" in text(untrusted.stderr)
    assert untrusted.stdout == b""
    assert wrong_name.proc.returncode == 1
    assert "error: ERR_TLS_CERT_ALTNAME_INVALID: Hostname/IP does not match certificate's altnames: " \
           "Host: other.example. is not in the cert's altnames: DNS:localhost" in text(wrong_name.stderr)
    assert insecure.proc.returncode == 0, text(insecure.stderr)
    summary = json_summary(insecure)
    assert summary["connection"]["authorized"] is False
    assert summary["connection"]["authorizationError"] == "UNABLE_TO_VERIFY_LEAF_SIGNATURE"
    assert summary["connection"]["peerCertificates"][0]["subject"] == "CN=localhost"
    for cli in (untrusted, wrong_name, insecure):
        assert_no_traceback(cli)


@async_test(TIMEOUT)
async def test_connection_refused_is_one_error_line():
    port = free_port()
    cli = await run_cli("client", "127.0.0.1:%d" % port, "--no-stdin")
    assert cli.proc.returncode == 1
    assert text(cli.stderr) == "error: ECONNREFUSED: connect ECONNREFUSED 127.0.0.1:%d\n" % port


@async_test(TIMEOUT)
async def test_client_certificates_ticket_keys_and_reconnect(pems, tmp_path):
    ticket_keys = tmp_path / "ticket-keys"
    ticket_keys.write_bytes(os.urandom(48))
    async with Cli("server", "--cert", pems.path("cert"), "--key", pems.path("key"), "--request-cert",
                   "--ca", pems.path("ca"), "--ticket-keys", str(ticket_keys)) as server:
        port = await server.port()
        with_cert = await run_cli("client", "localhost:%d" % port, "--ca", pems.path("ca"),
                                  "--cert", pems.path("client_cert"), "--key", pems.path("client_key"),
                                  "--reconnect", "--json", "--no-stdin")
        without_cert = await run_cli("client", "localhost:%d" % port, "--ca", pems.path("ca"), "--quiet",
                                     stdin=b"")
        await server.wait_for(re.compile(rb"connection 3 closed"))
    assert with_cert.proc.returncode == 0, text(with_cert.stderr)
    summary = json_summary(with_cert)
    assert summary["connection"]["authorized"] is True and summary["connection"]["sessionReused"] is False
    assert summary["reconnect"] == {"sessionOffered": True, "sessionReused": True, "protocol": "TLSv1.3",
                                    "authorized": True}
    assert without_cert.proc.returncode == 0 and without_cert.stderr == b""
    log = text(server.stderr)
    assert re.search(r"connection 1 from .*\n(  .*\n)*  client cert     .*CN=client \(issuer .*Testing CA.*\): authorized\n",
                     log), log
    assert re.search(r"connection 2 from .*\n(  .*\n)*  session         resumed\n", log), log
    assert re.search(r"connection 3 from .*\n(  .*\n)*  client cert     none sent: not authorized: "
                     r"UNABLE_TO_GET_ISSUER_CERT\n", log), log


@async_test(TIMEOUT)
async def test_require_cert_refuses_a_client_without_one_and_both_exit_1(pems):
    async with Cli("server", "--cert", pems.path("cert"), "--key", pems.path("key"), "--require-cert",
                   "--ca", pems.path("ca"), "--once") as server:
        port = await server.port()
        # TLS 1.3: the client's handshake completes, then the server's alert arrives.
        client = await run_cli("client", "localhost:%d" % port, "--ca", pems.path("ca"), "--no-stdin", "--quiet")
        assert await server.finish() == 1
    assert client.proc.returncode == 1
    assert text(client.stderr).startswith("error: ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED: "), text(client.stderr)
    assert "connection 1 from 127.0.0.1:" in text(server.stderr)
    assert text(server.stderr).endswith("error: ERR_SSL_PEER_DID_NOT_RETURN_A_CERTIFICATE: "
                                        "error:0A0000C7:SSL routines::peer did not return a certificate\n")
    assert_no_traceback(client)
    assert_no_traceback(server)


@async_test(TIMEOUT)
async def test_server_stdin_mode_talks_both_ways(tmp_path):
    ca_out = str(tmp_path / "ca.pem")
    server = await Cli("server", "--stdin", "--ca-out", ca_out).start(stdin=b"from the server\n")
    try:
        port = await server.port()
        client = await run_cli("client", "localhost:%d" % port, "--ca", ca_out, "--quiet",
                               stdin=b"from the client\n")
        assert await server.finish() == 0, text(server.stderr)
    finally:
        await server.stop()
    assert client.proc.returncode == 0, text(client.stderr)
    assert client.stdout == b"from the server\n"
    assert server.stdout == b"from the client\n"


@async_test(TIMEOUT)
async def test_server_stdin_mode_sends_stdin_after_the_client_ended(tmp_path):
    """nc -l's half-close: the client's stdin runs out first (its data and its end arrive), the
    server's stdin comes only then -- and still reaches the client, which reads until the server ends."""
    ca_out = str(tmp_path / "ca.pem")
    server = await Cli("server", "--stdin", "--ca-out", ca_out).start()   # stdin open, nothing in it yet
    try:
        port = await server.port()
        client = await Cli("client", "localhost:%d" % port, "--ca", ca_out, "--quiet").start(
            stdin=b"from the client\n")
        await server.wait_for(re.compile(re.escape(b"from the client\n")), "stdout")
        await server.wait_for(re.compile(rb"connection 1: the client ended its side"))
        server.proc.stdin.write(b"late from the server\n")
        server.proc.stdin.close()
        assert await client.finish() == 0, text(client.stderr)
        assert await server.finish() == 0, text(server.stderr)
    finally:
        await server.stop()
    assert client.stdout == b"late from the server\n"


# -- against openssl and Node ---------------------------------------------------------------------

@pytest.fixture(scope="module")
def ocsp(tmp_path_factory) -> Dict[str, str]:
    """A CA, a leaf for localhost and a signed 'good' OCSP response for it (openssl ocsp, EC keys: fast)."""
    folder = str(tmp_path_factory.mktemp("cli-ocsp"))

    def openssl(*args: str) -> str:
        return subprocess.run([OPENSSL, *args], cwd=folder, check=True, capture_output=True, text=True,
                              timeout=TIMEOUT).stdout

    new_ec_key = ("-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes")
    openssl("req", "-x509", *new_ec_key, "-keyout", "ca.key", "-out", "ca.pem", "-days", "2",
            "-subj", "/CN=CLI OCSP test CA", "-addext", "basicConstraints=critical,CA:TRUE")
    with open(os.path.join(folder, "leaf.cnf"), "w") as config:
        config.write("basicConstraints=CA:FALSE\nsubjectAltName=DNS:localhost,IP:127.0.0.1\n"
                     "authorityInfoAccess=OCSP;URI:http://127.0.0.1:1/\n")
    openssl("req", "-new", *new_ec_key, "-keyout", "leaf.key", "-out", "leaf.csr", "-subj", "/CN=localhost")
    openssl("x509", "-req", "-in", "leaf.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-set_serial", "0x1001",
            "-days", "2", "-extfile", "leaf.cnf", "-out", "leaf.pem")
    not_after = openssl("x509", "-in", "leaf.pem", "-noout", "-enddate").strip().split("=", 1)[1]
    expiry = datetime.datetime.strptime(not_after, "%b %d %H:%M:%S %Y GMT").strftime("%y%m%d%H%M%SZ")
    with open(os.path.join(folder, "index.txt"), "w") as index:
        index.write("V\t%s\t\t1001\tunknown\t/CN=localhost\n" % expiry)
    openssl("ocsp", "-issuer", "ca.pem", "-cert", "leaf.pem", "-reqout", "leaf.req", "-no_nonce")
    openssl("ocsp", "-index", "index.txt", "-rsigner", "ca.pem", "-rkey", "ca.key", "-CA", "ca.pem",
            "-reqin", "leaf.req", "-respout", "leaf.resp", "-ndays", "1")
    return {name: os.path.join(folder, name) for name in ("ca.pem", "leaf.pem", "leaf.key", "leaf.resp")}


@async_test(TIMEOUT)
async def test_client_status_json_against_openssl_s_server(ocsp):
    peer, port = await s_server(["-naccept", "1", "-cert", ocsp["leaf.pem"], "-key", ocsp["leaf.key"],
                                 "-status_file", ocsp["leaf.resp"]], unbuffered=True)
    async with peer:
        client = await run_cli("client", "localhost:%d" % port, "--ca", ocsp["ca.pem"], "--status", "--json",
                               "--alpn", "h2", stdin=b"hello s_server\n")
        await peer.until(b"hello s_server\n")
    assert client.proc.returncode == 0, text(client.stderr)
    summary = json_summary(client)
    connection = summary["connection"]
    assert connection["ocsp"] == {"stapled": True, "size": os.path.getsize(ocsp["leaf.resp"])}
    assert connection["authorized"] is True and connection["protocol"] == "TLSv1.3"
    assert connection["alpnProtocol"] is None                       # s_server has no ALPN configured
    assert connection["ephemeralKeyInfo"]["type"] == "ECDH"
    assert [row["subject"] for row in connection["peerCertificates"]] == ["CN=localhost", "CN=CLI OCSP test CA"]
    assert summary["servername"] == "localhost"
    assert client.stdout.count(b"\n") == 1                          # the JSON line; s_server sent nothing


@async_test(TIMEOUT)
async def test_server_staples_and_serves_a_file_to_openssl_s_client(ocsp, tmp_path):
    served = tmp_path / "served.txt"
    served.write_bytes(b"the file's content\n")
    async with Cli("server", "--cert", ocsp["leaf.pem"], "--key", ocsp["leaf.key"], "--ocsp-staple",
                   ocsp["leaf.resp"], "--file", str(served), "--once") as server:
        port = await server.port()
        s_client = await asyncio.create_subprocess_exec(
            OPENSSL, "s_client", "-connect", "127.0.0.1:%d" % port, "-servername", "localhost", "-status",
            "-CAfile", ocsp["ca.pem"], "-ign_eof", stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)
        out = text((await asyncio.wait_for(s_client.communicate(), TIMEOUT))[0])
        assert await server.finish() == 0, text(server.stderr)
    assert "OCSP Response Status: successful" in out and "Cert Status: good" in out, out
    assert "Verify return code: 0 (ok)" in out
    assert "the file's content\n" in out
    log = text(server.stderr)
    assert "OCSP status requested: stapling %d bytes" % os.path.getsize(ocsp["leaf.resp"]) in log
    assert "servername      localhost" in log


@async_test(TIMEOUT)
async def test_client_against_a_node_server_pipes_and_resumes(pems):
    async with NodePeer(NODE_ECHO_SERVER, pems.node_server_cfg()) as node:
        port = await node_port(node)
        target = "localhost:%d" % port
        piping, reconnecting = await asyncio.gather(
            run_cli("client", target, "--ca", pems.path("ca"), stdin=b"hi node\n"),
            run_cli("client", target, "--ca", pems.path("ca"), "--reconnect", "--max-version", "TLSv1.2",
                    "--json", "--no-stdin"))
        assert (await node.expect("data"))["text"] == "hi node\n"
    assert piping.proc.returncode == 0, text(piping.stderr)
    assert piping.stdout == b"hello from node\necho:hi node\n"
    assert "protocol        TLSv1.3" in text(piping.stderr)
    assert reconnecting.proc.returncode == 0, text(reconnecting.stderr)
    summary = json_summary(reconnecting)
    assert summary["connection"]["protocol"] == "TLSv1.2"
    assert summary["reconnect"]["sessionOffered"] is True and summary["reconnect"]["sessionReused"] is True


# -- demo and certificates -----------------------------------------------------------------------

DEMO_WITHOUT_EXTRAS = (
    "import runpy, sys\n"
    "sys.modules['cryptography'] = None   # a fresh install: neither is importable\n"
    "sys.modules['trustme'] = None\n"
    "sys.argv = ['tls'] + sys.argv[1:]\n"
    "runpy.run_module('tls', run_name='__main__')\n")


@pytest.mark.parametrize("flags", [[], ["--pfx"]], ids=["pem", "pfx"])
def test_demo_runs_without_cryptography(flags):
    done = subprocess.run([sys.executable, "-c", DEMO_WITHOUT_EXTRAS, "demo", *flags], capture_output=True,
                          text=True, env=ENV, timeout=TIMEOUT)
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "made with binding" in out
    for line in ("server bound", "server connected authorized", "client closed, error: False", "server closed"):
        assert line in out.splitlines(), out
    assert re.search(r"^client connected authorized TLSv1\.3 \S+$", out, re.M), out
    assert "client sees: server certificate: CN=localhost issued by CN=tls throwaway CA" in out
    assert "| client certificate: CN=client issued by CN=tls throwaway CA" in out
    received = "".join(eval(line.split(":", 1)[1]) for line in out.splitlines() if line.startswith("client got:"))
    assert received == "welcome!\nhello\necho me\ngoodbye\n"
    assert done.stderr == ""


@pytest.mark.parametrize("backend", ["binding", "cryptography", "openssl"])
def test_each_certificate_backend_makes_a_working_pki(backend):
    pki = cli_certs.make_throwaway_pki([cli_certs.LeafRequest("localhost", ("localhost", "127.0.0.1")),
                                        cli_certs.LeafRequest("client")], with_pfx=True, backend=backend)
    assert pki.backend == backend
    server_id, client_id = pki.identities

    async def handshake(use_pfx: bool) -> List[Any]:
        server_opts: Dict[str, Any] = {"requestCert": True, "ca": [pki.ca_pem]}
        client_opts: Dict[str, Any] = {"ca": [pki.ca_pem], "servername": "localhost"}
        if use_pfx:
            server_opts["pfx"], client_opts["pfx"] = server_id.pfx, client_id.pfx
        else:
            server_opts.update(key=server_id.key_pem, cert=server_id.cert_pem)
            client_opts.update(key=client_id.key_pem, cert=client_id.cert_pem)
        server = tls.createServer(server_opts)
        accepted = asyncio.ensure_future(events.once(server, "secureConnection"))
        server.listen(0, "127.0.0.1")
        await events.once(server, "listening")
        client = tls.connect({"port": server.address()["port"], "host": "127.0.0.1", **client_opts})
        await events.once(client, "secureConnect")
        (server_side,) = await accepted
        result = [client.authorized, server_side.authorized,
                  client.getPeerCertificate()["fingerprint256"], server_side.getPeerCertificate()["subject"]]
        client.destroy()
        server_side.destroy()
        server.close()
        return result

    for use_pfx in (False, True):
        authorized_client, authorized_server, fingerprint, client_subject = asyncio.run(
            asyncio.wait_for(handshake(use_pfx), TIMEOUT))
        assert authorized_client and authorized_server
        assert fingerprint == server_id.fingerprint256
        assert client_subject == {"CN": "client"}


def test_the_backend_variable_picks_and_orders_the_backends(monkeypatch):
    leaves = [cli_certs.LeafRequest("localhost", ("localhost",))]
    monkeypatch.delenv(cli_certs.BACKEND_VARIABLE, raising=False)
    assert cli_certs.make_throwaway_pki(leaves).backend == "binding"          # the default, first
    monkeypatch.setenv(cli_certs.BACKEND_VARIABLE, "openssl")
    assert cli_certs.make_throwaway_pki(leaves).backend == "openssl"
    monkeypatch.setitem(sys.modules, "cryptography", None)                   # not installed: the next one
    monkeypatch.setenv(cli_certs.BACKEND_VARIABLE, "cryptography, binding")
    assert cli_certs.make_throwaway_pki(leaves).backend == "binding"


def test_unknown_backend_is_an_error_line(capsys, monkeypatch):
    monkeypatch.setenv(cli_certs.BACKEND_VARIABLE, "nope")
    assert cli_main(["demo"]) == 1
    assert capsys.readouterr().err == ("error: ERR_CLI_CERTIFICATES: PYTHON_TLS_CLI_CERTS: unknown backend nope "
                                       "(choose from binding, cryptography, openssl)\n")
