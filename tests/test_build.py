"""The build fails with one clear message when the OpenSSL 3 headers are missing."""
import os
import subprocess
import sys

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
