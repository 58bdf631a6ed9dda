"""cffi builder for ``tls._openssl`` (out-of-line API mode).

The declarations live in ``src/_tls_cffi/<area>.py``, one module per OpenSSL
area, each exporting INCLUDES, TYPES, FUNCTIONS and CUSTOMIZATIONS (the shape
pyca/cryptography uses).  The C helpers in ``csrc/*.c`` are real C files that
are concatenated into the module source, so they get compiler diagnostics and
can be read without Python around them.
"""
import os
import shlex
import subprocess
import sys

import cffi

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)

from _tls_cffi import AREAS  # noqa: E402

MISSING_HEADERS = """
tls: cannot build: the OpenSSL 3 development headers were not found.

  Debian/Ubuntu:  apt-get install libssl-dev
  Fedora/RHEL:    dnf install openssl-devel
  macOS:          brew install openssl@3 and set TLS_OPENSSL_PREFIX=$(brew --prefix openssl@3)

Set TLS_OPENSSL_PREFIX to an OpenSSL 3 installation prefix (with include/ and
lib/) to build against a non-system OpenSSL.
"""


def _pkg_config(flag):
    try:
        out = subprocess.run(["pkg-config", flag, "openssl"], capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return []
    return shlex.split(out.stdout) if out.returncode == 0 else []


def _openssl_dirs():
    prefix = os.environ.get("TLS_OPENSSL_PREFIX")
    if prefix:
        return [os.path.join(prefix, "include")], [os.path.join(prefix, "lib"), os.path.join(prefix, "lib64")]
    includes = [f[2:] for f in _pkg_config("--cflags-only-I")]
    libdirs = [f[2:] for f in _pkg_config("--libs-only-L")]
    return includes, libdirs


def _find_header(includes):
    candidates = list(includes)
    if not os.environ.get("TLS_OPENSSL_PREFIX"):
        candidates += ["/usr/include", "/usr/local/include", "/opt/homebrew/include"]
    for directory in candidates:
        header = os.path.join(directory, "openssl", "opensslv.h")
        if os.path.exists(header):
            return header
    return None


def _check_openssl_3(includes):
    header = _find_header(includes)
    if header is None:
        sys.stderr.write(MISSING_HEADERS)
        raise SystemExit(1)
    with open(header) as f:
        text = f.read()
    if "OPENSSL_VERSION_MAJOR" not in text:
        sys.stderr.write(MISSING_HEADERS + "\nFound %s, which is older than OpenSSL 3.\n" % header)
        raise SystemExit(1)


def _read_csrc():
    csrc = os.path.join(ROOT, "csrc")
    parts = []
    for name in sorted(os.listdir(csrc)):
        if name.endswith(".h"):
            with open(os.path.join(csrc, name)) as f:
                parts.insert(0, f.read())
    for name in sorted(os.listdir(csrc)):
        if name.endswith(".c"):
            with open(os.path.join(csrc, name)) as f:
                parts.append("/* ---- csrc/%s ---- */\n" % name + f.read())
    return "\n".join(parts)


def build_ffi():
    includes, libdirs = _openssl_dirs()
    _check_openssl_3(includes)
    ffi = cffi.FFI()
    cdefs, sources, seen = [], [], set()
    for area in AREAS:
        for inc in area.INCLUDES.strip().splitlines():
            if inc not in seen:
                seen.add(inc)
                sources.append(inc)
        cdefs.append(area.TYPES)
    for area in AREAS:
        cdefs.append(area.FUNCTIONS)
    ffi.cdef("\n".join(cdefs))
    source = "\n".join(sources)
    source += "\n#if OPENSSL_VERSION_MAJOR < 3\n#error tls needs OpenSSL 3\n#endif\n"
    source += "\n".join(area.CUSTOMIZATIONS for area in AREAS)
    source += "\n" + _read_csrc()
    extra_link = []
    if sys.platform.startswith("linux"):
        # Keep a statically linked OpenSSL from clashing with the interpreter's.
        extra_link.append("-Wl,--exclude-libs,ALL")
    ffi.set_source(
        "tls._openssl",
        source,
        libraries=["ssl", "crypto"],
        include_dirs=includes + [os.path.join(ROOT, "csrc")],
        library_dirs=libdirs,
        extra_compile_args=["-O2", "-Wno-deprecated-declarations"] if sys.platform != "win32" else [],
        extra_link_args=extra_link,
    )
    return ffi


ffibuilder = build_ffi()

if __name__ == "__main__":
    ffibuilder.compile(tmpdir=os.path.join(ROOT, "build", "cffi"), verbose=True)
