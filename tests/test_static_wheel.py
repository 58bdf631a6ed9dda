"""The static-OpenSSL wheel build: link options, version check, wheel config.

Fast checks always run: the link options src/_tls_build.py derives from
TLS_OPENSSL_STATIC for each platform, its clear error when the static
libraries are missing, the import-time OpenSSL version check with simulated
mismatches, the cibuildwheel configuration and workflow, and the smoke test
script itself (against this tree).  The full check, a real static wheel
built, repaired, inspected and installed into a fresh venv
(scripts/check_static_wheel.sh, about 30 s), runs with TLS_RUN_WHEEL_CHECK=1.
"""
from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest
from support.extras import need_command, need_module

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SRC = os.path.join(ROOT, "src")


def _v(major: int, minor: int, patch: int) -> int:
    return (major << 28) | (minor << 20) | (patch << 4)


# -- link options ------------------------------------------------------------------------------

def test_dynamic_link_options_are_unchanged(build_module):
    opts = build_module.link_options(False, "linux", ["/opt/ossl/lib"])
    assert opts["libraries"] == ["ssl", "crypto"]
    assert opts["library_dirs"] == ["/opt/ossl/lib"]
    assert opts["extra_objects"] == []
    assert opts["extra_link_args"] == ["-Wl,--exclude-libs,ALL"]
    assert ("TLS_OPENSSL_STATIC_BUILD", "0") in opts["define_macros"]
    assert "-fvisibility=hidden" not in opts["extra_compile_args"]


def test_static_linux_links_the_archives_and_exports_only_pyinit(build_module):
    libs = ["/p/lib/libssl.a", "/p/lib/libcrypto.a"]
    opts = build_module.link_options(True, "linux", ["/p/lib"], libs, "/b/tls-exports.map")
    assert opts["extra_objects"] == libs  # libssl before libcrypto
    assert "ssl" not in opts["libraries"] and "crypto" not in opts["libraries"]
    assert opts["libraries"] == ["dl"] and opts["library_dirs"] == []
    link = opts["extra_link_args"]
    assert "-Wl,--exclude-libs,ALL" in link
    assert "-Wl,--version-script=/b/tls-exports.map" in link
    assert "-pthread" in link
    assert "-fvisibility=hidden" in opts["extra_compile_args"]
    assert ("TLS_OPENSSL_STATIC_BUILD", "1") in opts["define_macros"]


def test_version_script_exports_only_the_module_init(build_module):
    text = build_module.version_script_text()
    assert "global: PyInit__openssl;" in text
    assert "local: *;" in text
    assert build_module.EXPORTED == "PyInit__openssl"  # tls._openssl's init function


def test_static_macos_uses_exported_symbol(build_module):
    libs = ["/p/lib/libssl.a", "/p/lib/libcrypto.a"]
    opts = build_module.link_options(True, "darwin", ["/p/lib"], libs)
    assert opts["extra_objects"] == libs
    assert opts["libraries"] == []
    assert "-Wl,-exported_symbol,_PyInit__openssl" in opts["extra_link_args"]
    assert not any("version-script" in a or "exclude-libs" in a for a in opts["extra_link_args"])


def test_static_windows_links_the_static_import_libraries(build_module):
    libs = [r"C:\vcpkg\installed\x64-windows-static-md\lib\libssl.lib",
            r"C:\vcpkg\installed\x64-windows-static-md\lib\libcrypto.lib"]
    opts = build_module.link_options(True, "win32", [], [p.replace("\\", "/") for p in libs])
    assert opts["libraries"][:2] == ["libssl", "libcrypto"]
    for system in ("crypt32", "ws2_32", "advapi32", "user32"):
        assert system in opts["libraries"]
    assert opts["library_dirs"] == ["C:/vcpkg/installed/x64-windows-static-md/lib"]
    assert opts["extra_compile_args"] == [] and opts["extra_link_args"] == []


@pytest.mark.parametrize("value, expected", [
    ("1", True), ("true", True), ("YES", True), (" on ", True),
    ("", False), ("0", False), ("no", False), ("false", False),
])
def test_static_flag_values(build_module, value, expected):
    assert build_module._static_requested({"TLS_OPENSSL_STATIC": value}) is expected
    assert build_module._static_requested({}) is False


def test_find_static_libs_takes_the_first_directory_with_both(build_module):
    present = {"/a/libssl.a", "/b/libssl.a", "/b/libcrypto.a", "/c/libssl.a", "/c/libcrypto.a"}
    found = build_module.find_static_libs(["/a", "/b", "/c"], "linux", exists=present.__contains__)
    assert found == ["/b/libssl.a", "/b/libcrypto.a"]
    assert build_module.find_static_libs(["/a"], "linux", exists=present.__contains__) is None
    win = {"/w/libssl.lib", "/w/libcrypto.lib"}
    assert build_module.find_static_libs(["/w"], "win32", exists=win.__contains__) == \
        ["/w/libssl.lib", "/w/libcrypto.lib"]


def test_static_search_with_a_prefix_stays_in_the_prefix(build_module):
    assert build_module._static_search_dirs(["/p/lib", "/p/lib64"], "/p") == ["/p/lib", "/p/lib64"]
    system = build_module._static_search_dirs([], None)
    assert "/usr/lib" in system and "/usr/local/lib" in system


def _run_build_script(env_update):
    env = dict(os.environ, **env_update)
    return subprocess.run([sys.executable, os.path.join(SRC, "_tls_build.py")], env=env,
                          capture_output=True, text=True, timeout=120)


def test_static_without_static_libs_is_a_clear_error(tmp_path):
    # headers present (linked from the system's), no libssl.a in the prefix
    header_dir = None
    for candidate in ("/usr/include/openssl", "/usr/local/include/openssl"):
        if os.path.exists(os.path.join(candidate, "opensslv.h")):
            header_dir = candidate
            break
    if header_dir is None:
        pytest.skip("no OpenSSL headers to link into a fake prefix")
    (tmp_path / "include").mkdir()
    os.symlink(header_dir, tmp_path / "include" / "openssl")
    (tmp_path / "lib").mkdir()
    (tmp_path / "lib" / "libssl.so").write_text("")  # a shared one does not count
    proc = _run_build_script({"TLS_OPENSSL_STATIC": "1", "TLS_OPENSSL_PREFIX": str(tmp_path)})
    assert proc.returncode == 1
    assert "TLS_OPENSSL_STATIC=1 asks for a static OpenSSL" in proc.stderr
    assert "libssl.a and libcrypto.a" in proc.stderr
    assert str(tmp_path / "lib") in proc.stderr
    assert "Traceback" not in proc.stderr


def test_static_flag_keeps_the_missing_headers_message(tmp_path):
    proc = _run_build_script({"TLS_OPENSSL_STATIC": "1", "TLS_OPENSSL_PREFIX": str(tmp_path / "none")})
    assert proc.returncode == 1
    assert "OpenSSL 3 development headers were not found" in proc.stderr
    assert "Traceback" not in proc.stderr


# -- the import-time version check -------------------------------------------------------------

def test_version_check_accepts_compatible_versions():
    from tls._binding import openssl_version_problem as problem
    assert problem(_v(3, 0, 19), _v(3, 0, 19), False) is None
    assert problem(_v(3, 0, 19), _v(3, 0, 2), False) is None    # older patch: same ABI
    assert problem(_v(3, 0, 19), _v(3, 5, 7), False) is None    # newer minor: OpenSSL keeps the ABI
    assert problem(_v(3, 5, 7), _v(3, 5, 7), True) is None


def test_version_check_rejects_mismatches():
    from tls._binding import openssl_version_problem as problem
    older_minor = problem(_v(3, 2, 0), _v(3, 0, 19), False)
    assert "built against OpenSSL 3.2.0 but OpenSSL 3.0.19 is loaded" in older_minor
    assert "3.2 or later" in older_minor
    assert "OpenSSL 4.0.0" in problem(_v(3, 5, 0), _v(4, 0, 0), False)
    assert "needs OpenSSL 3" in problem(_v(3, 0, 0), 0x1010117F, False)
    static = problem(_v(3, 5, 7), _v(3, 0, 19), True)
    assert "linked in statically" in static and "3.5.7" in static and "3.0.19" in static
    assert problem(_v(3, 5, 7), _v(3, 5, 8), True) is not None  # static: any difference


def test_this_build_passes_its_own_check():
    from tls._binding import (BUILT_OPENSSL_VERSION_NUMBER, STATIC_OPENSSL, lib,
                              openssl_version_problem)
    assert isinstance(STATIC_OPENSSL, bool)
    assert BUILT_OPENSSL_VERSION_NUMBER >> 28 == 3
    assert openssl_version_problem(BUILT_OPENSSL_VERSION_NUMBER, lib.OpenSSL_version_num(), STATIC_OPENSSL) is None


FAKE_BINDING = """
import sys, types
fake = types.ModuleType("tls._openssl")
class Lib:
    OPENSSL_VERSION_NUMBER = {built}
    TLS_OPENSSL_STATIC_BUILD = {static}
    @staticmethod
    def OpenSSL_version_num():
        return {loaded}
fake.lib, fake.ffi = Lib(), None
sys.modules["tls._openssl"] = fake
try:
    import tls._binding
except ImportError as exc:
    print("ImportError:", exc)
else:
    print("imported")
"""


@pytest.mark.parametrize("built, loaded, static, expected", [
    (_v(3, 2, 1), _v(3, 0, 8), 0, "ImportError: tls was built against OpenSSL 3.2.1 but OpenSSL 3.0.8 is loaded"),
    (_v(3, 5, 7), _v(3, 0, 19), 1, "ImportError: tls was built with OpenSSL 3.5.7 linked in statically"),
], ids=["dynamic-older-minor", "static-replaced"])
def test_import_fails_with_a_simulated_mismatch(built, loaded, static, expected):
    env = dict(os.environ, PYTHONPATH=SRC + os.pathsep + os.environ.get("PYTHONPATH", ""))
    code = FAKE_BINDING.format(built=built, loaded=loaded, static=static)
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith(expected), out.stdout


# -- the cibuildwheel configuration and the workflow --------------------------------------------

def _pyproject():
    tomllib = pytest.importorskip("tomllib")
    with open(os.path.join(ROOT, "pyproject.toml"), "rb") as f:
        return tomllib.load(f)


def test_cibuildwheel_config_builds_static_abi3_wheels():
    cfg = _pyproject()["tool"]["cibuildwheel"]
    assert cfg["build"].split()[0] == "cp39-*"
    assert cfg["config-settings"] == {"--build-option": "--py-limited-api=cp39"}
    assert cfg["environment"]["TLS_OPENSSL_STATIC"] == "1"
    assert cfg["test-command"] == "python tests/wheel_smoke.py"
    assert cfg["test-sources"] == ["tests/wheel_smoke.py"]
    assert cfg["test-environment"] == {"TLS_EXPECT_STATIC": "1"}
    assert "test-requires" not in cfg and "test-extras" not in cfg  # the smoke test needs no extras
    assert set(cfg["linux"]["archs"]) == {"x86_64", "aarch64"}
    assert set(cfg["macos"]["archs"]) == {"x86_64", "arm64"}
    assert cfg["windows"]["archs"] == ["AMD64"]
    for platform in ("macos", "windows"):
        assert cfg[platform]["environment"]["TLS_OPENSSL_STATIC"] == "1"
        assert cfg[platform]["environment"]["TLS_OPENSSL_PREFIX"]
    selects = {o["select"]: o for o in cfg["overrides"]}
    for select in ("*-manylinux_*", "*-musllinux_*"):
        assert "scripts/build_openssl.sh /opt/tls-openssl" in selects[select]["before-all"]
    assert cfg["environment"]["TLS_OPENSSL_PREFIX"] == "/opt/tls-openssl"


@pytest.mark.skipif(sys.version_info < (3, 11), reason="cibuildwheel 3 needs Python 3.11 (the wheels extra "
                    "installs it from 3.11 on; .ci/run runs this check on the newest Python)")
def test_cibuildwheel_lists_the_intended_builds():
    need_command("cibuildwheel", "wheels")
    expected = {
        "linux": {"manylinux_x86_64", "manylinux_aarch64", "musllinux_x86_64", "musllinux_aarch64"},
        "macos": {"macosx_x86_64", "macosx_arm64"},
        "windows": {"win_amd64"},
    }
    for platform, kinds in expected.items():
        out = subprocess.run(["cibuildwheel", "--platform", platform, "--print-build-identifiers"], cwd=ROOT,
                             capture_output=True, text=True, timeout=120)
        assert out.returncode == 0, out.stderr
        ids = out.stdout.split()
        assert {i.split("-", 1)[1] for i in ids} == kinds
        assert {i.split("-", 1)[0] for i in ids} >= {"cp39", "cp313"}


def test_workflow_is_valid_yaml_and_uses_the_config():
    yaml = need_module("yaml", "wheels")
    with open(os.path.join(ROOT, ".github", "workflows", "wheels.yml")) as f:
        text = f.read()
    workflow = yaml.safe_load(text)
    job = workflow["jobs"]["wheels"]
    runners = {m["runner"] for m in job["strategy"]["matrix"]["include"]}
    assert {"ubuntu-latest", "ubuntu-24.04-arm", "windows-latest"} <= runners
    assert any(r.startswith("macos") for r in runners)
    assert any(str(step.get("uses", "")).startswith("pypa/cibuildwheel@") for step in job["steps"])


def test_test_extra_brings_only_what_the_tests_need():
    # linters, the type checker, wheel tooling and the docs site have extras of their own
    extras = _pyproject()["project"]["optional-dependencies"]
    names = {name: {re.split(r"[<>=;\\[ ]", req, maxsplit=1)[0] for req in reqs} for name, reqs in extras.items()}
    assert names["test"] == {"pytest", "trustme", "cryptography", "uvloop", "redis"}
    assert {"mypy", "ruff"} <= names["lint"]
    assert {"cibuildwheel", "pyyaml", "build"} <= names["wheels"]
    assert {"mkdocs"} <= names["docs"]
    for tool in ("mypy", "ruff", "cibuildwheel", "mkdocs", "pyyaml"):
        assert tool not in names["test"], tool


def test_release_publishes_after_every_smoke_test_with_trusted_publishing():
    yaml = need_module("yaml", "wheels")
    with open(os.path.join(ROOT, ".github", "workflows", "wheels.yml")) as f:
        text = f.read()
    workflow = yaml.safe_load(text)
    jobs = workflow["jobs"]
    triggers = workflow[True] if True in workflow else workflow["on"]  # YAML 1.1 reads `on` as true
    assert triggers["push"]["tags"] == ["v*"]
    assert any("python -m build --sdist" in str(step.get("run", "")) for step in jobs["sdist"]["steps"])
    publish = jobs["publish"]
    # after the wheel jobs (cibuildwheel runs tests/wheel_smoke.py in each) and the sdist job, on a tag only
    assert set(publish["needs"]) == {"wheels", "sdist"}
    assert "refs/tags/v" in publish["if"]
    # OIDC trusted publishing: an id-token, no stored password or token
    assert publish["permissions"]["id-token"] == "write"
    uses = [str(step.get("uses", "")) for step in publish["steps"]]
    assert any(u.startswith("pypa/gh-action-pypi-publish@") for u in uses)
    assert "password" not in text and "PYPI_API_TOKEN" not in text and "secrets." not in text
    # the sdist is smoke-tested too: built into a wheel from the sdist, installed, tests/wheel_smoke.py
    assert any("wheel_smoke.py" in str(step.get("run", "")) for step in jobs["sdist"]["steps"])


def test_ci_workflow_runs_every_supported_python_and_macos():
    yaml = need_module("yaml", "wheels")
    with open(os.path.join(ROOT, ".github", "workflows", "ci.yml")) as f:
        workflow = yaml.safe_load(f)
    linux = workflow["jobs"]["test"]
    versions = [str(v) for v in linux["strategy"]["matrix"]["python"]]
    assert {"3.9", "3.10", "3.11", "3.12", "3.13"} <= set(versions)
    assert linux["runs-on"].startswith("ubuntu")
    macos = workflow["jobs"]["macos"]
    assert macos["runs-on"].startswith("macos")
    assert any("pytest" in str(step.get("run", "")) for step in macos["steps"])
    full = workflow["jobs"]["full"]     # .ci/run: the suite on the oldest and newest Python, checks, fuzz, ASan
    assert any(".ci/run" in str(step.get("run", "")) for step in full["steps"])


def test_build_openssl_script_pins_a_checksum():
    with open(os.path.join(ROOT, "scripts", "build_openssl.sh")) as f:
        text = f.read()
    assert "no-shared" in text and "sha256" in text
    assert text.startswith("#!/usr/bin/env bash")


# -- the smoke test script and the full check ------------------------------------------------

def test_smoke_script_passes_against_this_tree(tmp_path):
    env = dict(os.environ, TLS_SMOKE_ALLOW_SOURCE="1",
               PYTHONPATH=SRC + os.pathsep + os.environ.get("PYTHONPATH", ""))
    env.pop("TLS_EXPECT_STATIC", None)
    out = subprocess.run([sys.executable, os.path.join(ROOT, "tests", "wheel_smoke.py")], cwd=str(tmp_path),
                         env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "wheel smoke test passed" in out.stdout
    assert "FAIL" not in out.stdout


def test_smoke_script_refuses_a_source_tree(tmp_path):
    env = dict(os.environ, PYTHONPATH=SRC + os.pathsep + os.environ.get("PYTHONPATH", ""))
    env.pop("TLS_SMOKE_ALLOW_SOURCE", None)
    out = subprocess.run([sys.executable, os.path.join(ROOT, "tests", "wheel_smoke.py")], cwd=str(tmp_path),
                         env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 1
    assert "FAIL  tls is the installed one" in out.stdout


@pytest.mark.skipif(os.environ.get("TLS_RUN_WHEEL_CHECK") != "1",
                    reason="builds a real wheel (~30 s): set TLS_RUN_WHEEL_CHECK=1")
def test_static_wheel_check_script():
    # the wheel is abi3: besides the building interpreter, smoke-test it with this one (each in its own venv)
    env = dict(os.environ, PYTHON=sys.executable, TLS_WHEEL_CHECK_PYTHONS=sys.executable)
    out = subprocess.run(["bash", os.path.join(ROOT, "scripts", "check_static_wheel.sh")],
                         capture_output=True, text=True, timeout=1200, env=env)
    assert out.returncode == 0, out.stdout[-4000:] + out.stderr[-4000:]
    assert "all checks passed" in out.stdout
    version = "%d.%d" % sys.version_info[:2]
    assert out.stdout.count("loopback handshake + echo smoke test passed") == 2
    venvs = re.findall(r"installed \S+ into (\S+)", out.stdout)
    assert len(venvs) == 2 and len(set(venvs)) == 2, venvs     # never the first one's venv again
    assert all(v.endswith(version) for v in venvs)
