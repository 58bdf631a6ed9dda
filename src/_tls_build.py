"""cffi builder for ``tls._openssl`` (out-of-line API mode).

The declarations live in ``src/_tls_cffi/<area>.py``, one module per OpenSSL
area, each exporting INCLUDES, TYPES, FUNCTIONS and CUSTOMIZATIONS (the shape
pyca/cryptography uses).  The C helpers in ``csrc/*.c`` are real C files that
are concatenated into the module source, so they get compiler diagnostics and
can be read without Python around them.
"""
import os
import re
import shlex
import subprocess
import sys
import sysconfig

import cffi

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)

from _tls_cffi import AREAS  # noqa: E402
from _tls_cffi import inspect as _inspect_area; AREAS.append(_inspect_area)  # noqa: E402,E702  (the CLI inspector)
from _tls_cffi import pki as _pki_area; AREAS.append(_pki_area)  # noqa: E402  (csrc/pki.c)
from _tls_cffi import public_surface as _public_area; AREAS.append(_public_area)  # noqa: E402  (tls.openssl)
from _tls_cffi import sockio as _sockio_area; AREAS.append(_sockio_area)  # noqa: E402  (csrc/sockio.c)

MISSING_HEADERS = """
tls: cannot build: the OpenSSL 3 development headers were not found.

  Debian/Ubuntu:  apt-get install libssl-dev
  Fedora/RHEL:    dnf install openssl-devel
  macOS:          brew install openssl@3 and set TLS_OPENSSL_PREFIX=$(brew --prefix openssl@3)

Set TLS_OPENSSL_PREFIX to an OpenSSL 3 installation prefix (with include/ and
lib/) to build against a non-system OpenSSL.
"""


ALLOW_VULNERABLE_ENV = "TLS_ALLOW_VULNERABLE_OPENSSL"

# The first release of each OpenSSL 3 branch that fixes CVE-2024-5535
# (SSL_select_next_proto reads past the server's protocol list, which the ALPN
# and NPN callbacks of csrc/alpn.c hand it).  3.4.0 and later shipped fixed.
FIXED_PATCH = {(3, 0): 15, (3, 1): 7, (3, 2): 3, (3, 3): 2}

VULNERABLE_OPENSSL = """
tls: cannot build: OpenSSL %s (headers in %s) has a known vulnerability
this package is exposed to: CVE-2024-5535, SSL_select_next_proto reads past
its buffer.  The fixed releases are 3.0.15, 3.1.7, 3.2.3, 3.3.2 and 3.4+.

  Upgrade OpenSSL (Debian/Ubuntu: apt-get install --only-upgrade libssl-dev),
  or set TLS_OPENSSL_PREFIX to a fixed OpenSSL 3 installation prefix.

If your distribution backported the fix without changing the version (its
security tracker says so), build anyway with %s=1.
"""


def header_version_number(text):
    """OPENSSL_VERSION_NUMBER (0xMNN00PP0) of an opensslv.h, or None.

    OpenSSL 3 synthesises it from OPENSSL_VERSION_MAJOR/MINOR/PATCH with a
    C expression, so those are read; a literal hex value is taken as it is.
    """
    parts = {}
    for name in ("MAJOR", "MINOR", "PATCH"):
        m = re.search(r"^\s*#\s*define\s+OPENSSL_VERSION_%s\s+(\d+)" % name, text, re.M)
        if m:
            parts[name] = int(m.group(1))
    if len(parts) == 3:
        return (parts["MAJOR"] << 28) | (parts["MINOR"] << 20) | (parts["PATCH"] << 4)
    m = re.search(r"^\s*#\s*define\s+OPENSSL_VERSION_NUMBER\s+(0x[0-9a-fA-F]+)L?\b", text, re.M)
    return int(m.group(1), 16) if m else None


def vulnerable_openssl(number):
    """True when OpenSSL ``number`` (0xMNN00PP0) is a 3.x release before its CVE-2024-5535 fix."""
    major, minor, patch = number >> 28, (number >> 20) & 0xFF, (number >> 4) & 0xFF
    fixed = FIXED_PATCH.get((major, minor))
    return fixed is not None and patch < fixed


def _allow_vulnerable(environ=None):
    value = (os.environ if environ is None else environ).get(ALLOW_VULNERABLE_ENV, "")
    return value.strip().lower() in ("1", "true", "yes", "on")


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
    number = header_version_number(text)
    if number is not None and vulnerable_openssl(number) and not _allow_vulnerable():
        version = "%d.%d.%d" % (number >> 28, (number >> 20) & 0xFF, (number >> 4) & 0xFF)
        sys.stderr.write(VULNERABLE_OPENSSL % (version, os.path.dirname(os.path.dirname(header)),
                                               ALLOW_VULNERABLE_ENV))
        raise SystemExit(1)


STATIC_ENV = "TLS_OPENSSL_STATIC"
EXPORTED = "PyInit__openssl"  # the one symbol a static build exports

MISSING_STATIC_LIBS = """
tls: cannot build: TLS_OPENSSL_STATIC=1 asks for a static OpenSSL, but no
%s were found in:
  %s
Build OpenSSL 3 with `no-shared` into a prefix (scripts/build_openssl.sh does)
and set TLS_OPENSSL_PREFIX to it, or install the static libraries (Debian's
libssl-dev has them).
"""


def _static_requested(environ=None):
    value = (os.environ if environ is None else environ).get(STATIC_ENV, "")
    return value.strip().lower() in ("1", "true", "yes", "on")


def _static_lib_names(platform):
    if platform == "win32":
        return ("libssl.lib", "libcrypto.lib")
    return ("libssl.a", "libcrypto.a")


def _static_search_dirs(libdirs, prefix):
    """Where to look for the static libraries: the prefix, else the system's."""
    dirs = list(libdirs)
    if not prefix:
        dirs += [f[2:] for f in _pkg_config("--libs-only-L")]
        libdir = _pkg_config("--variable=libdir")
        dirs += libdir
        multiarch = sysconfig.get_config_var("MULTIARCH")
        if multiarch:
            dirs.append("/usr/lib/" + multiarch)
        dirs += ["/usr/local/lib64", "/usr/local/lib", "/usr/lib64", "/usr/lib"]
    seen, out = set(), []
    for d in dirs:
        if d and d not in seen:
            seen.add(d)
            out.append(d)
    return out


def find_static_libs(search_dirs, platform, exists=os.path.exists):
    """[libssl, libcrypto] full paths from the first directory holding both, or None."""
    names = _static_lib_names(platform)
    for directory in search_dirs:
        paths = [os.path.join(directory, name) for name in names]
        if all(exists(p) for p in paths):
            return paths
    return None


def link_options(static, platform, libdirs, static_libs=None, version_script=None):
    """The compile and link keywords of ``set_source`` for one platform.

    Dynamic: ``-lssl -lcrypto`` as before.  Static: the archives themselves,
    OpenSSL's own system libraries, and only ``PyInit__openssl`` exported, so
    the linked-in OpenSSL never clashes with (or is replaced by) the
    interpreter's own libssl.
    """
    opts = {
        "libraries": ["ssl", "crypto"],
        "library_dirs": list(libdirs),
        "extra_objects": [],
        "extra_compile_args": [] if platform == "win32" else ["-O2", "-Wno-deprecated-declarations"],
        "extra_link_args": [],
        "define_macros": [("TLS_OPENSSL_STATIC_BUILD", "1" if static else "0")],
    }
    if platform.startswith("linux"):
        # Keep a statically linked OpenSSL from clashing with the interpreter's.
        opts["extra_link_args"].append("-Wl,--exclude-libs,ALL")
    if not static:
        return opts
    if platform == "win32":
        # vcpkg's x64-windows-static-md (static OpenSSL, dynamic CRT like CPython);
        # a DLL exports only what is marked dllexport: PyInit__openssl
        opts["libraries"] = [os.path.splitext(os.path.basename(p))[0] for p in static_libs] + [
            "crypt32", "ws2_32", "advapi32", "user32", "gdi32"]
        opts["library_dirs"] = sorted({os.path.dirname(p) for p in static_libs}) + opts["library_dirs"]
        return opts
    opts["libraries"] = []
    opts["library_dirs"] = []
    opts["extra_objects"] = list(static_libs)  # libssl before libcrypto
    opts["extra_compile_args"].append("-fvisibility=hidden")
    if platform == "darwin":
        opts["extra_link_args"] += ["-Wl,-exported_symbol,_" + EXPORTED, "-Wl,-dead_strip"]
    else:
        opts["libraries"] = ["dl"]  # OpenSSL's Libs.private: -ldl -pthread
        opts["extra_link_args"] += ["-pthread", "-Wl,--version-script=" + version_script, "-Wl,-s"]
    return opts


def version_script_text():
    return "{\n  global: %s;\n  local: *;\n};\n" % EXPORTED


def _write_version_script():
    directory = os.path.join(ROOT, "build")
    os.makedirs(directory, exist_ok=True)
    path = os.path.join(directory, "tls-exports.map")
    with open(path, "w") as f:
        f.write(version_script_text())
    return path


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
    # 1 when OpenSSL is linked in statically (tls._binding checks versions by it)
    cdefs.append("#define TLS_OPENSSL_STATIC_BUILD ...")
    ffi.cdef("\n".join(cdefs))
    source = "\n".join(sources)
    source += "\n#if OPENSSL_VERSION_MAJOR < 3\n#error tls needs OpenSSL 3\n#endif\n"
    source += "\n".join(area.CUSTOMIZATIONS for area in AREAS)
    source += "\n" + _read_csrc()
    static = _static_requested()
    static_libs = version_script = None
    if static:
        search = _static_search_dirs(libdirs, os.environ.get("TLS_OPENSSL_PREFIX"))
        static_libs = find_static_libs(search, sys.platform)
        if static_libs is None:
            sys.stderr.write(MISSING_STATIC_LIBS % (" and ".join(_static_lib_names(sys.platform)),
                                                    "\n  ".join(search) or "(no directory)"))
            raise SystemExit(1)
        if sys.platform.startswith("linux"):
            version_script = _write_version_script()
    opts = link_options(static, sys.platform, libdirs, static_libs, version_script)
    ffi.set_source(
        "tls._openssl",
        source,
        include_dirs=includes + [os.path.join(ROOT, "csrc")],
        **opts,
    )
    return ffi


ffibuilder = build_ffi()

if __name__ == "__main__":
    ffibuilder.compile(tmpdir=os.path.join(ROOT, "build", "cffi"), verbose=True)
