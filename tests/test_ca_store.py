"""The default trust store's locations (tls._engine.ca_store), also for a static OpenSSL.

The decision itself is a pure function (:func:`find_locations`): every input,
from the environment to OpenSSL's compiled-in paths and the probed list, comes
in as an argument, so the cases a static wheel meets on a user's machine (a
compiled-in OPENSSLDIR that does not exist there) are simulated here.  The
end-to-end tests run in a subprocess because the root store is read once per
process.
"""
from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest
import trustme

from tls._engine import ca_store as _ca_store
from tls._engine.ca_store import Locations, find_locations

SRC = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "src")


def _hashed_dir(path):
    path.mkdir()
    (path / "1a2b3c4d.0").write_text("not read here")
    return str(path)


def _file(path, text="x"):
    path.write_text(text)
    return str(path)


def _find(**kwargs):
    args = dict(environ={}, static=True, default_file="/nonexistent/ssl/cert.pem",
                default_dir="/nonexistent/ssl/certs", cert_files=(), cert_dirs=(),
                certifi_where=lambda: None)
    args.update(kwargs)
    return find_locations(**args)


# -- probing ------------------------------------------------------------------------------------

def test_probing_picks_the_first_existing_file_and_hashed_dir(tmp_path):
    second = _file(tmp_path / "second.pem")
    third = _file(tmp_path / "third.pem")
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "README").write_text("no hashed names here")
    hashed = _hashed_dir(tmp_path / "hashed")
    found = _find(cert_files=(str(tmp_path / "missing.pem"), second, third),
                  cert_dirs=(str(tmp_path / "missing"), str(empty), hashed))
    assert found == Locations(second, (hashed,), "system")


def test_a_directory_is_not_a_bundle_file(tmp_path):
    directory = tmp_path / "cert.pem"
    directory.mkdir()
    real = _file(tmp_path / "real.pem")
    assert _find(cert_files=(str(directory), real)).cafile == real


def test_file_or_dir_alone_is_enough(tmp_path):
    hashed = _hashed_dir(tmp_path / "certs")
    assert _find(cert_dirs=(hashed,)) == Locations("", (hashed,), "system")
    bundle = _file(tmp_path / "bundle.pem")
    assert _find(cert_files=(bundle,)) == Locations(bundle, (), "system")


def test_the_default_lists_cover_the_common_systems():
    assert _ca_store.CERT_FILES[0] == "/etc/ssl/certs/ca-certificates.crt"  # Debian/Ubuntu/Alpine
    for path in ("/etc/pki/tls/certs/ca-bundle.crt", "/etc/ssl/cert.pem", "/etc/ssl/ca-bundle.pem",
                 "/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem"):
        assert path in _ca_store.CERT_FILES
    assert _ca_store.CERT_DIRS[0] == "/etc/ssl/certs"


# -- static versus dynamic OpenSSL -------------------------------------------------------------

def test_static_build_with_a_missing_openssldir_finds_the_system_store(tmp_path):
    system = _file(tmp_path / "ca-certificates.crt")
    certs = _hashed_dir(tmp_path / "certs")
    found = _find(static=True, default_file="/usr/local/ssl/cert.pem", default_dir="/usr/local/ssl/certs",
                  cert_files=(system,), cert_dirs=(certs,))
    assert found == Locations(system, (certs,), "system")


def test_static_build_skips_even_an_existing_compiled_in_openssldir(tmp_path):
    # the build machine's OPENSSLDIR may exist by chance on the user's machine
    openssldir = tmp_path / "ssl"
    openssldir.mkdir()
    default_file = _file(openssldir / "cert.pem")
    default_dir = _hashed_dir(openssldir / "certs")
    system = _file(tmp_path / "system.pem")
    found = _find(static=True, default_file=default_file, default_dir=default_dir, cert_files=(system,))
    assert found == Locations(system, (), "system")


def test_dynamic_build_uses_openssls_own_default_paths(tmp_path):
    openssldir = tmp_path / "ssl"
    openssldir.mkdir()
    default_file = _file(openssldir / "cert.pem")
    default_dir = _hashed_dir(openssldir / "certs")
    system = _file(tmp_path / "system.pem")
    found = _find(static=False, default_file=default_file, default_dir=default_dir, cert_files=(system,))
    assert found == Locations(default_file, (default_dir,), "openssl")
    # a directory-only OPENSSLDIR counts too (Debian's /usr/lib/ssl/certs)
    found = _find(static=False, default_file=str(openssldir / "none.pem"), default_dir=default_dir,
                  cert_files=(system,))
    assert found.source == "openssl" and found.capaths == (default_dir,)


def test_dynamic_build_with_an_empty_openssldir_probes_the_system(tmp_path):
    # e.g. an OpenSSL built into /opt/openssl with an empty ssl/certs
    empty = tmp_path / "certs"
    empty.mkdir()
    system = _file(tmp_path / "system.pem")
    found = _find(static=False, default_file=str(tmp_path / "cert.pem"), default_dir=str(empty),
                  cert_files=(system,))
    assert found == Locations(system, (), "system")


# -- environment -----------------------------------------------------------------------------

def test_environment_replaces_each_location_on_its_own(tmp_path):
    system = _file(tmp_path / "system.pem")
    certs = _hashed_dir(tmp_path / "certs")
    mine = str(tmp_path / "mine.pem")  # need not exist, as for OpenSSL
    probe = dict(cert_files=(system,), cert_dirs=(certs,))
    assert _find(environ={"SSL_CERT_FILE": mine}, **probe) == Locations(mine, (certs,), "environment")
    assert _find(environ={"SSL_CERT_DIR": "/a" + os.pathsep + "/b"}, **probe) == \
        Locations(system, ("/a", "/b"), "environment")
    assert _find(environ={"SSL_CERT_FILE": mine, "SSL_CERT_DIR": "/d"}, **probe) == \
        Locations(mine, ("/d",), "environment")
    assert _find(environ={"SSL_CERT_FILE": ""}, **probe).source == "system"  # empty means unset


def test_environment_variable_names_come_from_openssl(tmp_path):
    mine = str(tmp_path / "mine.pem")
    found = _find(environ={"MY_FILE": mine, "SSL_CERT_FILE": "/ignored"}, file_env="MY_FILE")
    assert found.cafile == mine


# -- certifi and nothing ------------------------------------------------------------------------

def test_certifi_only_when_no_system_store_is_found(tmp_path):
    bundle = _file(tmp_path / "cacert.pem")
    system = _file(tmp_path / "system.pem")
    assert _find(certifi_where=lambda: bundle) == Locations(bundle, (), "certifi")
    assert _find(certifi_where=lambda: bundle, cert_files=(system,)).source == "system"
    # an explicit environment wins, even when it names nothing usable
    assert _find(certifi_where=lambda: bundle, environ={"SSL_CERT_FILE": "/nope"}) == \
        Locations("/nope", (), "environment")


def test_nothing_found_trusts_nothing(tmp_path):
    assert _find() == Locations("", (), "none")
    assert _find(certifi_where=lambda: str(tmp_path / "gone.pem")) == Locations("", (), "none")


def test_real_certifi_lookup_is_lazy_and_safe():
    where = _ca_store._certifi_where()
    assert where is None or os.path.isfile(where)


# -- this process ------------------------------------------------------------------------------

def test_locations_of_this_process(tmp_path):
    from tls._engine import root_certificates as _root_certificates
    from tls._binding import STATIC_OPENSSL
    bundle = _file(tmp_path / "bundle.pem")
    env = {"SSL_CERT_FILE": bundle, "SSL_CERT_DIR": str(tmp_path / "none")}
    assert _ca_store.locations(env) == Locations(bundle, (str(tmp_path / "none"),), "environment")
    found = _ca_store.locations({})
    assert found.source in ("openssl", "system", "certifi", "none")
    if STATIC_OPENSSL:
        assert found.source != "openssl"
    # _root_certificates reads its roots from here
    assert _root_certificates.default_paths() == (_ca_store.locations().cafile,
                                                  list(_ca_store.locations().capaths))


def test_module_main_prints_the_decision():
    env = dict(os.environ, PYTHONPATH=SRC + os.pathsep + os.environ.get("PYTHONPATH", ""))
    out = subprocess.run([sys.executable, "-m", "tls._engine.ca_store"], env=env, capture_output=True, text=True,
                         timeout=60)
    assert out.stdout.startswith("source: "), out.stderr
    assert out.returncode == (1 if "source: none" in out.stdout else 0)


# -- end to end: a default-context client verifies a loopback server -----------------------

LOOPBACK = textwrap.dedent("""
    import asyncio, json, sys
    from tls import _binding
    from tls._engine import ca_store as _ca_store
    if sys.argv[3] == "static":
        # what a static wheel sees: OPENSSLDIR of the build machine, a system bundle elsewhere
        _binding.STATIC_OPENSSL = True
        _ca_store.CERT_FILES = ("/nonexistent/etc/ssl/cert.pem", sys.argv[4])
        _ca_store.CERT_DIRS = ("/nonexistent/etc/ssl/certs",)
    import tls
    from tls.events import once

    async def main():
        server = tls.createServer({"key": open(sys.argv[1]).read(), "cert": open(sys.argv[2]).read()},
                                  lambda s: s.end(b"hi"))
        server.listen(0, "127.0.0.1")
        await once(server, "listening")
        client = tls.connect({"port": server.address()["port"], "host": "127.0.0.1",
                              "servername": "localhost", "rejectUnauthorized": False})
        await once(client, "secureConnect")
        result = {"authorized": client.authorized, "error": client.authorizationError,
                  "source": _ca_store.locations().source, "roots": len(tls.rootCertificates)}
        client.destroy()
        server.close()
        return result

    print(json.dumps(asyncio.run(asyncio.wait_for(main(), 20))))
""")


@pytest.fixture
def loopback_identity(tmp_path):
    ca = trustme.CA()
    leaf = ca.issue_cert("localhost", "127.0.0.1")
    key = tmp_path / "key.pem"
    cert = tmp_path / "cert.pem"
    bundle = tmp_path / "bundle.pem"
    key.write_bytes(leaf.private_key_pem.bytes())
    cert.write_bytes(b"".join(blob.bytes() for blob in leaf.cert_chain_pems))
    bundle.write_bytes(ca.cert_pem.bytes())
    return str(key), str(cert), str(bundle)


def _loopback(env_update, *args):
    import json
    env = {k: v for k, v in os.environ.items() if k not in ("SSL_CERT_FILE", "SSL_CERT_DIR")}
    env.update(env_update)
    env["PYTHONPATH"] = SRC + os.pathsep + os.environ.get("PYTHONPATH", "")
    out = subprocess.run([sys.executable, "-c", LOOPBACK, *args], env=env, capture_output=True, text=True,
                         timeout=60)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


def test_ssl_cert_file_makes_a_default_context_verify_a_loopback_server(loopback_identity, tmp_path):
    key, cert, bundle = loopback_identity
    result = _loopback({"SSL_CERT_FILE": bundle, "SSL_CERT_DIR": str(tmp_path / "none")}, key, cert, "dynamic")
    assert result == {"authorized": True, "error": None, "source": "environment", "roots": 1}


def test_without_the_ca_the_same_server_is_not_trusted(loopback_identity, tmp_path):
    key, cert, _ = loopback_identity
    other = tmp_path / "other.pem"
    other.write_bytes(trustme.CA().cert_pem.bytes())
    result = _loopback({"SSL_CERT_FILE": str(other), "SSL_CERT_DIR": str(tmp_path / "none")}, key, cert, "dynamic")
    assert result["authorized"] is False
    assert result["error"] in ("UNABLE_TO_GET_ISSUER_CERT_LOCALLY", "UNABLE_TO_VERIFY_LEAF_SIGNATURE")


def test_simulated_static_build_finds_the_probed_system_bundle(loopback_identity):
    key, cert, bundle = loopback_identity
    result = _loopback({}, key, cert, "static", bundle)
    assert result == {"authorized": True, "error": None, "source": "system", "roots": 1}
