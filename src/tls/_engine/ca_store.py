"""Where the default trust store comes from (a context without ``ca``).

A dynamically linked OpenSSL is the system's, so its compiled-in default
verify paths (``OPENSSLDIR/cert.pem`` and ``OPENSSLDIR/certs``) are the
system's trust store.  A statically linked OpenSSL, as in the binary wheels,
carries the ``OPENSSLDIR`` of the machine that built it (``/usr/local/ssl``
for the wheels), which does not exist, or is not the trust store, on the
machine that runs it.  So the decision is (docs/wheels.md has the reasons):

1. ``SSL_CERT_FILE`` / ``SSL_CERT_DIR``, when set, replace the file / the
   directory, each on its own, as for OpenSSL's default paths.
2. A dynamic build uses OpenSSL's compiled-in file and directory when at
   least one of them is usable (a file; a directory with hashed names).
   A static build skips them: they are the build machine's.
3. Otherwise the first usable well-known system bundle file of
   :data:`CERT_FILES` and the first hashed directory of :data:`CERT_DIRS`
   (the same lists Go and most runtimes probe).
4. Otherwise, and only when no environment variable is set, the bundle of
   ``certifi`` if it is installed (Mozilla's list, as Node's bundled roots).
   That is the case on Windows, where no system bundle file exists.
5. Otherwise nothing: no root is trusted unless a context has ``ca``.

``tls.rootCertificates`` lists exactly the certificates of these locations,
so it always is what a context without ``ca`` trusts.  Nothing here runs at
import; :func:`default_paths` is called once, when the roots are first used.
"""
from __future__ import annotations

import os
import re
import sys
from typing import Any, Callable, List, Mapping, NamedTuple, Optional, Sequence, Tuple

__all__ = ["CERT_FILES", "CERT_DIRS", "Locations", "find_locations", "default_paths", "locations"]

# Well-known CA bundle files, most common first.
CERT_FILES: Tuple[str, ...] = (
    "/etc/ssl/certs/ca-certificates.crt",                 # Debian, Ubuntu, Gentoo, Arch, Alpine (ca-certificates)
    "/etc/pki/tls/certs/ca-bundle.crt",                   # Fedora, RHEL, CentOS, Amazon Linux
    "/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem",  # RHEL 7+, CentOS 7+
    "/etc/ssl/ca-bundle.pem",                             # openSUSE, SLES
    "/etc/pki/tls/cacert.pem",                            # OpenELEC
    "/etc/ssl/cert.pem",                                  # macOS, Alpine, FreeBSD, OpenBSD, Void
    "/usr/local/share/certs/ca-root-nss.crt",             # FreeBSD (ca_root_nss)
    "/opt/homebrew/etc/ca-certificates/cert.pem",         # Homebrew on Apple silicon
    "/usr/local/etc/ca-certificates/cert.pem",            # Homebrew on Intel macOS
)

# Directories of c_rehash'ed certificates ("<hash>.<n>"), as OpenSSL's
# directory lookup reads them; a directory without such names is skipped.
CERT_DIRS: Tuple[str, ...] = (
    "/etc/ssl/certs",                 # Debian, Ubuntu, Alpine, Arch, openSUSE, SLES
    "/etc/pki/tls/certs",             # Fedora, RHEL (hashed only on some versions)
    "/system/etc/security/cacerts",   # Android
)

_HASHED_NAME = re.compile(r"^[0-9a-f]{8}\.[0-9]+$")


class Locations(NamedTuple):
    """The decided trust store: a bundle file, hashed directories, and why."""
    cafile: str                 # "" for none
    capaths: Tuple[str, ...]
    source: str                 # "environment", "openssl", "system", "certifi" or "none"


def usable_file(path: str) -> bool:
    return bool(path) and os.path.isfile(path)


def usable_dir(path: str) -> bool:
    """A directory OpenSSL's hashed lookup would find something in."""
    if not path:
        return False
    try:
        with os.scandir(path) as entries:
            return any(_HASHED_NAME.match(entry.name) for entry in entries)
    except OSError:
        return False


def _certifi_where() -> Optional[str]:
    try:
        import certifi  # optional: only when no system store is found
    except ImportError:
        return None
    try:
        where: str = certifi.where()  # (typed: certifi may be missing where mypy runs)
        return where
    except Exception:  # pragma: no cover - a broken certifi install
        return None


def find_locations(
    *,
    environ: Mapping[str, str],
    static: bool,
    default_file: str,
    default_dir: str,
    file_env: str = "SSL_CERT_FILE",
    dir_env: str = "SSL_CERT_DIR",
    cert_files: Sequence[str] = CERT_FILES,
    cert_dirs: Sequence[str] = CERT_DIRS,
    certifi_where: Callable[[], Optional[str]] = _certifi_where,
) -> Locations:
    """Decide the default trust store (pure: everything comes in as arguments).

    ``default_file`` / ``default_dir`` are OpenSSL's compiled-in paths
    (``default_dir`` may be an ``os.pathsep``-separated list, as OpenSSL
    allows); ``static`` says the OpenSSL is linked into the extension.
    """
    env_file = environ.get(file_env, "")
    env_dir = environ.get(dir_env, "")

    cafile = capaths = None
    source = "none"
    if not static:
        dirs = [d for d in default_dir.split(os.pathsep) if d]
        if usable_file(default_file) or any(usable_dir(d) for d in dirs):
            cafile, capaths, source = default_file, dirs, "openssl"
    if source == "none":
        probed_file = next((f for f in cert_files if usable_file(f)), "")
        probed_dir = next((d for d in cert_dirs if usable_dir(d)), "")
        if probed_file or probed_dir:
            cafile, capaths, source = probed_file, [probed_dir] if probed_dir else [], "system"

    if env_file or env_dir:
        # each variable replaces its own location, as for OpenSSL's default paths
        if env_file:
            cafile = env_file
        if env_dir:
            capaths = [d for d in env_dir.split(os.pathsep) if d]
        return Locations(cafile or "", tuple(capaths or ()), "environment")

    if source == "none":
        where = certifi_where()
        if where and usable_file(where):
            return Locations(where, (), "certifi")
        return Locations("", (), "none")
    return Locations(cafile or "", tuple(capaths or ()), source)


def locations(environ: Optional[Mapping[str, str]] = None) -> Locations:
    """:func:`find_locations` for this process's OpenSSL and environment."""
    from .._binding import STATIC_OPENSSL  # imported first: the version check
    from .._openssl import ffi, lib

    def text(ptr: Any) -> str:
        return ffi.string(ptr).decode("utf-8", "replace") if ptr != ffi.NULL else ""

    if environ is None:
        environ = os.environ
    return find_locations(
        environ=environ,
        static=STATIC_OPENSSL,
        default_file=text(lib.X509_get_default_cert_file()),
        default_dir=text(lib.X509_get_default_cert_dir()),
        file_env=text(lib.X509_get_default_cert_file_env()) or "SSL_CERT_FILE",
        dir_env=text(lib.X509_get_default_cert_dir_env()) or "SSL_CERT_DIR",
        cert_files=CERT_FILES,
        cert_dirs=CERT_DIRS,
    )


def default_paths() -> Tuple[str, List[str]]:
    """(file, [dirs]) of the default trust store, for ``_root_certificates``."""
    found = locations()
    return found.cafile, list(found.capaths)


if __name__ == "__main__":  # python -m tls._ca_store: show the decision
    found = locations()
    print("source:", found.source)
    print("file:  ", found.cafile or "-")
    print("dirs:  ", os.pathsep.join(found.capaths) or "-")
    sys.exit(0 if found.source != "none" else 1)
