"""``python -m tls client`` as an inspector: what it shows beyond ``openssl s_client``, checked against the
peer that configured it.

* ``openssl s_server`` with a root -> intermediate -> leaf chain (it sends leaf and intermediate, the root
  comes from the trust store), ``-Verify`` with ``-CAfile`` (the client CA names), ``-sigalgs`` (the
  signing digest; ``-client_sigalgs`` lets the EC client certificate in), ``-groups`` (the group),
  ``-keylogfile`` (the same secrets as ``--keylog``): one run with ``--json --showcerts --save-chain
  --keylog --trace``;
* ``--ciphers`` on TLS 1.2 and a cipher list OpenSSL refuses; ``--sigalgs`` (the digest the server signs with);
* a Node 20 server that asks for client certificates (its CA names; the leaf it sends completed from the
  trust store);
* a plain TCP server answering HTTP (the hint that the peer does not speak TLS).
"""
from __future__ import annotations

import asyncio
import os
import re
import ssl
from types import SimpleNamespace
from typing import Dict

import pytest
import trustme

from support.aio import async_test
from support.cli import TIMEOUT, assert_no_traceback, json_summary, run_cli, text
from support.loopback import RawServer
from support.node import NODE_ECHO_SERVER, NodePeer, node_port
from support.openssl import openssl, s_server
from tls._faces.cli.inspect import fingerprint256
from tls._faces.cli import client
from tls._faces.cli import main as cli_main


def _subject_rfc2253(pem_path: str) -> str:
    out = openssl("x509", "-in", pem_path, "-noout", "-subject", "-nameopt", "RFC2253").decode()
    return out.strip().split("=", 1)[1].strip() if out.startswith("subject=") else out.strip()


def _der(pem: bytes) -> bytes:
    return ssl.PEM_cert_to_DER_cert(pem.decode())


@pytest.fixture(scope="module")
def chain_files(tmp_path_factory) -> Dict[str, str]:
    """RSA root -> intermediate -> leaf (localhost), and a client certificate from the root."""
    folder = tmp_path_factory.mktemp("cli-inspect")
    root = trustme.CA(key_type=trustme.KeyType.RSA, organization_name="CLI inspect root")
    intermediate = root.create_child_ca(key_type=trustme.KeyType.RSA)
    leaf = intermediate.issue_cert("localhost", key_type=trustme.KeyType.RSA)
    client = root.issue_cert("client@example.org", common_name="client")
    blobs = {
        "root.pem": root.cert_pem.bytes(),
        "intermediate.pem": intermediate.cert_pem.bytes(),
        "leaf.pem": leaf.cert_chain_pems[0].bytes(),
        "leaf.key": leaf.private_key_pem.bytes(),
        "client.pem": client.cert_chain_pems[0].bytes(),
        "client.key": client.private_key_pem.bytes(),
    }
    paths = {}
    for name, blob in blobs.items():
        (folder / name).write_bytes(blob)
        paths[name] = str(folder / name)
    paths["folder"] = str(folder)
    return paths


@async_test(TIMEOUT)
async def test_chain_sources_keys_signature_ca_names_group_keylog_and_trace(chain_files, tmp_path):
    files = chain_files
    server_keylog = str(tmp_path / "server-keylog.txt")
    client_keylog = str(tmp_path / "client-keylog.txt")
    saved = str(tmp_path / "saved")
    peer, port = await s_server([
        "-naccept", "1", "-cert", files["leaf.pem"], "-key", files["leaf.key"],
        "-cert_chain", files["intermediate.pem"], "-Verify", "1", "-CAfile", files["root.pem"],
        "-sigalgs", "rsa_pss_rsae_sha384", "-client_sigalgs", "ecdsa_secp256r1_sha256", "-groups", "secp384r1",
        "-keylogfile", server_keylog],
        unbuffered=True)
    async with peer:
        cli = await run_cli("client", "localhost:%d" % port, "--ca", files["root.pem"],
                            "--cert", files["client.pem"], "--key", files["client.key"],
                            "--groups", "X25519:P-384", "--json", "--showcerts", "--save-chain", saved,
                            "--keylog", client_keylog, "--trace", "--no-stdin")
        await peer.exit_code()
    assert cli.proc.returncode == 0, text(cli.stderr)
    assert_no_traceback(cli)
    summary = json_summary(cli)
    connection = summary["connection"]
    assert connection["authorized"] is True and connection["protocol"] == "TLSv1.3"
    # -sigalgs: the server signed with RSA-PSS and SHA-384; -groups: secp384r1 (after a retry request)
    assert connection["peerSignature"] == {"digest": "SHA384", "type": "RSA-PSS"}
    assert connection["ephemeralKeyInfo"]["name"] == "secp384r1"
    # -Verify with -CAfile: the certificate request names the root
    assert connection["clientCANames"] == [_subject_rfc2253(files["root.pem"])]
    # two certificates sent, the root filled in from the trust store; all three verified
    rows = connection["peerCertificates"]
    assert [(row["sent"], row["verified"]) for row in rows] == [(True, True), (True, True), (False, True)]
    assert connection["sentCertificates"] == 2 and connection["sentNotInChain"] == []
    for row in rows:
        assert (row["keyType"], row["keyBits"], row["keyCurve"]) == ("RSA", 2048, None)
        assert row["signatureAlgorithm"] == "sha256WithRSAEncryption"
    expected = [files["leaf.pem"], files["intermediate.pem"], files["root.pem"]]
    for depth, (row, path) in enumerate(zip(rows, expected)):
        with open(path, "rb") as pem_file:
            want = _der(pem_file.read())
        assert _der(row["pem"].encode()) == want                             # --showcerts
        with open(os.path.join(saved, "cert-%d.pem" % depth), "rb") as written:
            assert _der(written.read()) == want                                # --save-chain
    assert sorted(os.listdir(saved)) == ["cert-0.pem", "cert-1.pem", "cert-2.pem"]
    assert summary["savedChain"] == [os.path.join(saved, "cert-%d.pem" % depth) for depth in range(3)]
    # --keylog: the very secrets s_server logged (both ends of TLS 1.3: five lines)
    with open(client_keylog) as mine, open(server_keylog) as theirs:
        mine_lines = set(mine.read().split("\n")) - {""}
        theirs_lines = {line for line in theirs.read().split("\n") if line and not line.startswith("#")}
    assert len(mine_lines) == 5 and mine_lines == theirs_lines
    assert summary["keylog"] == {"file": client_keylog, "lines": 5}
    # --trace: OpenSSL's message trace on stderr; two ClientHellos: the server's retry asked for P-384
    trace = text(cli.stderr)
    assert trace.count("    ClientHello, Length=") == 2, trace
    for message in ("CertificateRequest", "CertificateVerify", "NamedGroup: secp384r1 (P-384)"):
        assert message in trace, message


@async_test(TIMEOUT)
async def test_text_summary_names_the_sources_and_an_unrelated_extra(chain_files, tmp_path):
    files = chain_files
    # The server sends an unrelated certificate after its intermediate: not part of the chain.
    extra = trustme.CA(organization_name="CLI inspect unrelated").cert_pem.bytes()
    sent_chain = tmp_path / "sent-chain.pem"
    with open(files["intermediate.pem"], "rb") as intermediate:
        sent_chain.write_bytes(intermediate.read() + extra)
    peer, port = await s_server(["-naccept", "1", "-cert", files["leaf.pem"], "-key", files["leaf.key"],
                                 "-cert_chain", str(sent_chain)], unbuffered=True)
    async with peer:
        cli = await run_cli("client", "localhost:%d" % port, "--ca", files["root.pem"], "--showcerts",
                            "--no-stdin")
    assert cli.proc.returncode == 0, text(cli.stderr)
    out = text(cli.stderr)
    assert "certificate chain (3: 2 sent by the peer, 1 from the trust store; the peer's own first):" in out
    assert out.count("source          sent by the peer\n") == 2
    assert out.count("source          from the trust store (not sent)\n") == 1
    assert out.count("key             RSA, 2048 bits\n") == 3
    assert "peer signature  RSA-PSS with SHA256\n" in out
    assert "client CAs      (none listed: no certificate request, or one without names)\n" in out
    assert "  sent, not in the chain: SHA-256 %s (EC prime256v1, 256 bits)\n" % fingerprint256(_der(extra)) in out
    assert out.count("-----BEGIN CERTIFICATE-----\n") == 4


@async_test(TIMEOUT)
async def test_a_server_that_forgets_its_intermediate(chain_files):
    files = chain_files
    peer, port = await s_server(["-naccept", "2", "-cert", files["leaf.pem"], "-key", files["leaf.key"]],
                                unbuffered=True)
    async with peer:
        refused = await run_cli("client", "localhost:%d" % port, "--ca", files["root.pem"], "--no-stdin")
        shown = await run_cli("client", "localhost:%d" % port, "--ca", files["root.pem"], "--insecure", "--json",
                              "--no-stdin")
    assert refused.proc.returncode == 1
    assert text(refused.stderr).endswith("error: UNABLE_TO_VERIFY_LEAF_SIGNATURE: unable to verify the first "
                                         "certificate\n")
    assert "source          sent by the peer, not in a verified chain\n" in text(refused.stderr)
    assert shown.proc.returncode == 0, text(shown.stderr)
    connection = json_summary(shown)["connection"]
    assert [(row["subjectaltname"], row["sent"], row["verified"]) for row in connection["peerCertificates"]] == [
        ("DNS:localhost", True, False)]                      # the leaf alone, and nothing verified


@async_test(TIMEOUT)
async def test_ciphers_on_tls12_and_a_refused_cipher_list(chain_files):
    files = chain_files
    peer, port = await s_server(["-naccept", "1", "-cert", files["leaf.pem"], "-key", files["leaf.key"],
                                 "-cert_chain", files["intermediate.pem"]], unbuffered=True)
    async with peer:
        chosen = await run_cli("client", "localhost:%d" % port, "--ca", files["root.pem"], "--max-version",
                               "TLSv1.2", "--ciphers", "ECDHE-RSA-AES256-GCM-SHA384", "--json", "--no-stdin")
    assert chosen.proc.returncode == 0, text(chosen.stderr)
    connection = json_summary(chosen)["connection"]
    assert connection["cipher"]["name"] == "ECDHE-RSA-AES256-GCM-SHA384"
    assert connection["protocol"] == "TLSv1.2"
    assert connection["peerSignature"]["digest"] is not None
    refused = await run_cli("client", "localhost:1", "--ciphers", "NO-SUCH-CIPHER", "--no-stdin")
    assert refused.proc.returncode == 1
    assert re.fullmatch(r"error: ERR_SSL_NO_CIPHER_MATCH: .*\n", text(refused.stderr)), text(refused.stderr)


@async_test(TIMEOUT)
async def test_sigalgs_decides_how_the_server_signs(chain_files):
    files = chain_files
    peer, port = await s_server(["-naccept", "1", "-cert", files["leaf.pem"], "-key", files["leaf.key"],
                                 "-cert_chain", files["intermediate.pem"]], unbuffered=True)
    async with peer:
        cli = await run_cli("client", "localhost:%d" % port, "--ca", files["root.pem"], "--sigalgs",
                            "RSA-PSS+SHA512", "--json", "--no-stdin")
    assert cli.proc.returncode == 0, text(cli.stderr)
    assert json_summary(cli)["connection"]["peerSignature"] == {"digest": "SHA512", "type": "RSA-PSS"}


@async_test(TIMEOUT)
async def test_against_a_node_server_that_asks_for_client_certificates(pems, ca):
    # Client certificates from another CA (a self-signed one): its name is the one listed, and Node, not
    # finding the server certificate's issuer among its ``ca``, sends the leaf alone.
    cfg = pems.node_server_cfg(ca=pems.path("self_cert"), options={"requestCert": True,
                                                                   "rejectUnauthorized": False})
    async with NodePeer(NODE_ECHO_SERVER, cfg) as node:
        port = await node_port(node)
        cli = await run_cli("client", "localhost:%d" % port, "--ca", pems.path("ca"), "--json", "--no-stdin")
    assert cli.proc.returncode == 0, text(cli.stderr)
    connection = json_summary(cli)["connection"]
    assert connection["clientCANames"] == [_subject_rfc2253(pems.path("self_cert"))]
    assert connection["peerSignature"] == {"digest": "SHA256", "type": "ECDSA"}     # trustme: EC P-256
    rows = connection["peerCertificates"]
    assert [(row["sent"], row["verified"]) for row in rows] == [(True, True), (False, True)]
    assert (rows[0]["keyType"], rows[0]["keyBits"], rows[0]["keyCurve"]) == ("EC", 256, "prime256v1")
    assert rows[0]["signatureAlgorithm"] == "ecdsa-with-SHA256"


@async_test(TIMEOUT)
async def test_a_plain_http_port_gets_a_hint():
    async def http(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> bytes:
        hello = await reader.read(1)                     # the ClientHello's first byte
        writer.write(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
        await writer.drain()
        return hello

    server = RawServer(http)
    port = await server.start()
    try:
        cli = await run_cli("client", "127.0.0.1:%d" % port, "--no-stdin")
        assert await asyncio.wait_for(server.done, TIMEOUT) == b"\x16"     # a handshake record was sent
    finally:
        await server.close()
    assert cli.proc.returncode == 1
    assert text(cli.stderr) == ("error: ERR_SSL_WRONG_VERSION_NUMBER: error:0A00010B:SSL routines::wrong version "
                                "number\nhint: the peer does not speak TLS on this port; plain HTTP?\n")


@pytest.mark.parametrize("port,transcript,hint", [
    (587, None, "the peer does not speak TLS on this port (port 587 is smtp's: try --starttls smtp)"),
    (5432, None, "the peer does not speak TLS on this port (port 5432 is postgres's: try --starttls postgres)"),
    (587, [("S", "220 hi")], "the peer does not speak TLS on this port; plain HTTP?"),   # --starttls was given
    (8080, None, "the peer does not speak TLS on this port; plain HTTP?"),
])
def test_the_hint_names_starttls_on_a_plaintext_protocol_port(port, transcript, hint):
    # (binding port 587 in a test is not ours to do: the hint's choice is checked on its own)
    assert client.Connection.not_tls_hint(SimpleNamespace(port=port, transcript=transcript)) == hint


@pytest.mark.parametrize("argv,code", [
    (["--keylog", "/nonexistent-dir/keys.log"], "ENOENT"),
    (["--groups", "NO-SUCH-GROUP"], "ERR_CRYPTO_OPERATION_FAILED"),
])
def test_options_it_cannot_honour_are_one_error_line(argv, code, capsys):
    assert cli_main(["client", "localhost:1", "--no-stdin", *argv]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: %s: " % code) and err.count("\n") == 1, err
