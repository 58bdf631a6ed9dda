"""The build fails with one clear message when the OpenSSL 3 headers are missing
or are of a release with a known vulnerability (unless overridden)."""
import ast
import os
import subprocess
import sys

import pytest

from tls._binding import BUILT_OPENSSL_VERSION_NUMBER

from support.python import run_python

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def test_missing_headers_give_a_clear_message(tmp_path):
    env = dict(os.environ, TLS_OPENSSL_PREFIX=str(tmp_path / "no-openssl-here"))
    proc = subprocess.run([sys.executable, os.path.join(ROOT, "src", "_tls_build.py")],
                          env=env, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 1
    assert "OpenSSL 3 development headers were not found" in proc.stderr
    assert "libssl-dev" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_compiled_module_reports_openssl_3():
    from tls._binding import OPENSSL_VERSION, lib
    assert lib.OpenSSL_version_num() >= 0x30000000
    assert OPENSSL_VERSION.startswith("OpenSSL 3.")


def test_ex_data_slots_are_allocated_at_import():
    """Importing the binding alone allocates every ex_data slot of csrc/ (none lazily,
    where two threads could race: cffi releases the GIL), and reading them allocates nothing."""
    out = run_python(
        "from tls._binding import ffi, lib\n"
        "out = ffi.new('int[16]')\n"
        "n = lib.tls_ex_data_slots(out, 16)\n"
        "again = ffi.new('int[16]')\n"
        "lib.tls_ex_data_slots(again, 16)\n"
        "print((n, list(out)[:n], list(again)[:n], lib.tls_ssl_ex_index()))\n")
    n, first, second, engine = ast.literal_eval(out)
    assert n == 8
    assert all(slot >= 0 for slot in first), first
    assert first == second
    assert len(set(first[:7])) == 7  # the seven SSL slots are distinct (the last is an SSL_CTX slot)
    assert engine == first[0]


# -- OpenSSL releases with CVE-2024-5535 are refused ---------------------------------------------

def _v(major, minor, patch):
    return (major << 28) | (minor << 20) | (patch << 4)


@pytest.mark.parametrize("version,vulnerable", [
    ((3, 0, 0), True), ((3, 0, 14), True), ((3, 0, 15), False), ((3, 0, 22), False),
    ((3, 1, 0), True), ((3, 1, 6), True), ((3, 1, 7), False),
    ((3, 2, 0), True), ((3, 2, 2), True), ((3, 2, 3), False),
    ((3, 3, 0), True), ((3, 3, 1), True), ((3, 3, 2), False),
    ((3, 4, 0), False), ((3, 5, 7), False), ((4, 0, 0), False),
])
def test_vulnerable_openssl_decision(build_module, version, vulnerable):
    assert build_module.vulnerable_openssl(_v(*version)) is vulnerable


def _header(major, minor, patch):
    """The version part of an OpenSSL 3 opensslv.h, as 3.0.19 writes it."""
    return ("# define OPENSSL_VERSION_MAJOR  %d\n# define OPENSSL_VERSION_MINOR  %d\n"
            "# define OPENSSL_VERSION_PATCH  %d\n"
            "# define OPENSSL_VERSION_NUMBER          \\\n    ( (OPENSSL_VERSION_MAJOR<<28)        \\\n"
            "      |(OPENSSL_VERSION_MINOR<<20)       \\\n      |(OPENSSL_VERSION_PATCH<<4)        \\\n"
            "      |0x0L )\n" % (major, minor, patch))


def test_header_version_number(build_module):
    assert build_module.header_version_number(_header(3, 2, 1)) == _v(3, 2, 1)
    assert build_module.header_version_number("#define OPENSSL_VERSION_NUMBER 0x300000e0L\n") == _v(3, 0, 14)
    assert build_module.header_version_number("nothing here") is None


def test_the_system_openssl_passes(build_module):
    header = build_module._find_header(build_module._openssl_dirs()[0])
    with open(header) as f:
        number = build_module.header_version_number(f.read())
    assert number is not None and number >> 28 == 3
    assert not build_module.vulnerable_openssl(number)
    assert number == BUILT_OPENSSL_VERSION_NUMBER  # what this tls._openssl was compiled with


def _prefix_with_header(tmp_path, version):
    (tmp_path / "include" / "openssl").mkdir(parents=True)
    (tmp_path / "include" / "openssl" / "opensslv.h").write_text(_header(*version))
    return tmp_path


def test_vulnerable_openssl_gives_a_clear_message(tmp_path):
    prefix = _prefix_with_header(tmp_path, (3, 0, 14))
    env = dict(os.environ, TLS_OPENSSL_PREFIX=str(prefix))
    env.pop("TLS_ALLOW_VULNERABLE_OPENSSL", None)
    proc = subprocess.run([sys.executable, os.path.join(ROOT, "src", "_tls_build.py")],
                          env=env, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 1
    assert "OpenSSL 3.0.14 (headers in %s)" % (prefix / "include") in proc.stderr
    assert "CVE-2024-5535" in proc.stderr and "TLS_ALLOW_VULNERABLE_OPENSSL=1" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_override_lets_a_vulnerable_openssl_build(build_module, tmp_path, monkeypatch):
    include = str(_prefix_with_header(tmp_path, (3, 3, 1)) / "include")
    monkeypatch.setenv("TLS_OPENSSL_PREFIX", str(tmp_path))
    monkeypatch.delenv("TLS_ALLOW_VULNERABLE_OPENSSL", raising=False)
    with pytest.raises(SystemExit):
        build_module._check_openssl_3([include])
    monkeypatch.setenv("TLS_ALLOW_VULNERABLE_OPENSSL", "1")
    build_module._check_openssl_3([include])  # no SystemExit: the build goes on
