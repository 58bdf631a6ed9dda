"""``python -m tls certs DIR``: the throwaway set, its names, its use by both ends, and the README's first
example run as written in an empty folder (it makes its certificates with ``certs``).

* the files, named as the documentation's examples expect (keys 0600), verify each other: our CLI server
  with ``--require-cert`` and our CLI client with the client certificate, and Python's ``ssl`` at both
  ends; ``--name`` puts other names in the server certificate;
* existing files are refused without ``--force``; ``--if-missing`` keeps a complete set and refuses a
  partial one.
"""
from __future__ import annotations

import os
import re
import ssl
import stat
import subprocess
import sys

import pytest

from support.aio import async_test
from support.cli import ENV, TIMEOUT, Cli, assert_no_traceback, run_cli, text
from tls._faces.cli import main as cli_main

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PEMS = ["ca-cert.pem", "client-cert.pem", "client-key.pem", "server-cert.pem", "server-key.pem"]


def _certs(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "tls", "certs", *args], capture_output=True, text=True, env=ENV,
                          timeout=TIMEOUT)


def _handshake_in_memory(client_context: ssl.SSLContext, server_context: ssl.SSLContext) -> dict:
    """Python's ssl at both ends, over memory BIOs; the client certificate the server verified."""
    client_in, client_out, server_in, server_out = (ssl.MemoryBIO() for _ in range(4))
    client = client_context.wrap_bio(client_in, client_out, server_hostname="localhost")
    server = server_context.wrap_bio(server_in, server_out, server_side=True)
    done = set()
    for _ in range(8):                                    # a handshake takes 2-3 flights
        for name, side in (("client", client), ("server", server)):
            try:
                side.do_handshake()
                done.add(name)
            except ssl.SSLWantReadError:
                pass
        server_in.write(client_out.read())
        client_in.write(server_out.read())
        if done == {"client", "server"}:
            return server.getpeercert()
    raise AssertionError("no handshake: %s" % done)


@async_test(TIMEOUT)
async def test_the_set_verifies_both_ways(tmp_path):
    folder = str(tmp_path / "made")                       # made if missing
    done = _certs(folder, "--pfx")
    assert done.returncode == 0, done.stderr
    assert sorted(os.listdir(folder)) == sorted(PEMS + ["client.pfx", "server.pfx"])
    for name in ("server-key.pem", "client-key.pem", "server.pfx", "client.pfx"):
        assert stat.S_IMODE(os.stat(os.path.join(folder, name)).st_mode) == 0o600, name
    assert "its key is not kept" in done.stderr
    path = {name: os.path.join(folder, name) for name in os.listdir(folder)}
    async with Cli("server", "--cert", path["server-cert.pem"], "--key", path["server-key.pem"], "--require-cert",
                   "--ca", path["ca-cert.pem"], "--once") as server:
        port = await server.port()
        client = await run_cli("client", "localhost:%d" % port, "--ca", path["ca-cert.pem"],
                               "--cert", path["client-cert.pem"], "--key", path["client-key.pem"], "--no-stdin")
        assert await server.finish() == 0, text(server.stderr)
    assert client.proc.returncode == 0, text(client.stderr)
    assert "verification    OK (authorized)" in text(client.stderr)
    assert re.search(r"client cert     .*CN=client .*: authorized\n", text(server.stderr)), text(server.stderr)
    assert_no_traceback(client)
    # Python's ssl takes them as they are: a mutual handshake in memory
    client_context = ssl.create_default_context(cafile=path["ca-cert.pem"])
    client_context.load_cert_chain(path["client-cert.pem"], path["client-key.pem"])
    server_context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_context.load_cert_chain(path["server-cert.pem"], path["server-key.pem"])
    server_context.load_verify_locations(path["ca-cert.pem"])
    server_context.verify_mode = ssl.CERT_REQUIRED
    peer = _handshake_in_memory(client_context, server_context)
    assert dict(field[0] for field in peer["subject"]) == {"commonName": "client"}
    names = ssl._ssl._test_decode_cert(path["server-cert.pem"])["subjectAltName"]
    assert names == (("DNS", "localhost"), ("IP Address", "127.0.0.1"), ("IP Address", "0:0:0:0:0:0:0:1"))


def test_names_and_days(tmp_path):
    done = _certs(str(tmp_path), "--name", "example.test", "--name", "10.0.0.1", "--days", "2")
    assert done.returncode == 0, done.stderr
    decoded = ssl._ssl._test_decode_cert(str(tmp_path / "server-cert.pem"))
    assert decoded["subject"] == ((("commonName", "example.test"),),)
    assert decoded["subjectAltName"] == (("DNS", "example.test"), ("IP Address", "10.0.0.1"))
    assert "valid 2 days" in done.stderr


def test_existing_files_are_kept(tmp_path, capsys):
    folder = str(tmp_path)
    assert cli_main(["certs", folder]) == 0
    before = {name: (tmp_path / name).read_bytes() for name in PEMS}
    capsys.readouterr()
    assert cli_main(["certs", folder]) == 1
    assert capsys.readouterr().err.startswith("error: EEXIST: ca-cert.pem, server-cert.pem, server-key.pem, "
                                              "client-cert.pem, client-key.pem already in %s" % folder)
    assert cli_main(["certs", folder, "--if-missing"]) == 0
    assert "nothing written" in capsys.readouterr().err
    assert {name: (tmp_path / name).read_bytes() for name in PEMS} == before
    (tmp_path / "client-key.pem").unlink()                        # a partial set is refused
    assert cli_main(["certs", folder, "--if-missing"]) == 1
    assert capsys.readouterr().err.startswith("error: EEXIST: ")
    assert cli_main(["certs", folder, "--force"]) == 0
    assert (tmp_path / "server-cert.pem").read_bytes() != before["server-cert.pem"]


@pytest.mark.parametrize("argv,message", [
    (["certs"], "required: DIR"),
    (["certs", ".", "--days", "0"], "expected a number of days from 1 to 3650"),
    (["certs", ".", "--force", "--if-missing"], "not allowed with argument"),
])
def test_bad_arguments(argv, message, capsys):
    with pytest.raises(SystemExit) as exit_info:
        cli_main(argv)
    assert exit_info.value.code == 2
    assert message in capsys.readouterr().err


def test_the_readme_first_example_runs_as_written_in_an_empty_folder(tmp_path):
    with open(os.path.join(ROOT, "README.md")) as readme:
        block = re.search(r"```python\n(.*?)```", readme.read(), re.S).group(1)
    assert '"certs", ".", "--if-missing"' in block
    (tmp_path / "example.py").write_text(block)
    for _ in range(2):                                            # and again, keeping its certificates
        done = subprocess.run([sys.executable, "example.py"], cwd=str(tmp_path), capture_output=True, text=True,
                              env=ENV, timeout=TIMEOUT)
        assert done.returncode == 0, done.stderr
        assert done.stdout.splitlines() == ["server bound", "server connected unauthorized",
                                            "client got b'welcome!\\n'"]
    assert sorted(name for name in os.listdir(str(tmp_path)) if name.endswith(".pem")) == PEMS
