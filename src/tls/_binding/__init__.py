"""The compiled OpenSSL binding: ffi + lib, a version check, the error queue."""
from __future__ import annotations

from typing import Any, List, Optional, Tuple

try:
    from .._openssl import ffi as ffi, lib as lib  # re-exported: the package imports them from here
except ImportError as exc:  # pragma: no cover - only on a broken install
    raise ImportError(
        "tls: the compiled module tls._openssl is missing; build it with "
        "`pip install .` (needs the OpenSSL 3 headers, e.g. apt-get install libssl-dev)"
    ) from exc

# OpenSSL's version numbers are 0xMNN00PP0: major, minor, patch.
BUILT_OPENSSL_VERSION_NUMBER = lib.OPENSSL_VERSION_NUMBER & 0xFFFFFFFF
# True when OpenSSL is linked into tls._openssl (the binary wheels); getattr
# keeps a module compiled before the flag existed importable.
STATIC_OPENSSL = bool(getattr(lib, "TLS_OPENSSL_STATIC_BUILD", 0))


def _version_text(number: int) -> str:
    return "%d.%d.%d" % (number >> 28, (number >> 20) & 0xFF, (number >> 4) & 0xFF)


def openssl_version_problem(built: int, loaded: int, static: bool) -> Optional[str]:
    """Why the loaded OpenSSL cannot serve a module built against ``built``, or None.

    OpenSSL 3 keeps its ABI within a major version and adds functions in minor
    versions, so the loaded library must have the built major and at least the
    built minor.  A static build must run its own copy: any other version means
    another library's OpenSSL symbols took the place of the linked-in ones.
    """
    if loaded >> 28 < 3:
        return "tls needs OpenSSL 3 at run time, found OpenSSL %s" % _version_text(loaded)
    if static:
        if loaded != built:
            return ("tls was built with OpenSSL %s linked in statically, but OpenSSL %s answers: "
                    "another copy of OpenSSL's symbols replaced the linked-in one"
                    % (_version_text(built), _version_text(loaded)))
        return None
    if loaded >> 28 != built >> 28 or (loaded >> 20) & 0xFF < (built >> 20) & 0xFF:
        return ("tls was built against OpenSSL %s but OpenSSL %s is loaded; rebuild tls "
                "against the loaded OpenSSL, or load OpenSSL %d.%d or later"
                % (_version_text(built), _version_text(loaded), built >> 28, (built >> 20) & 0xFF))
    return None


_problem = openssl_version_problem(BUILT_OPENSSL_VERSION_NUMBER, lib.OpenSSL_version_num(), STATIC_OPENSSL)
if _problem is not None:  # pragma: no cover - only with a broken install
    raise ImportError(_problem)

OPENSSL_VERSION = ffi.string(lib.OpenSSL_version(lib.OPENSSL_VERSION)).decode()

# Every ex_data slot of csrc/, once, now: allocated lazily they could race
# between threads (cffi releases the GIL around each call; csrc/tls_helpers.h).
if not lib.tls_ex_data_init():  # pragma: no cover - only when OpenSSL is out of memory
    raise ImportError("tls: could not allocate OpenSSL's ex_data slots")

# (packed code, library string, reason string, full "error:..." text)
OpenSSLErrorEntry = Tuple[int, str, str, str]


def _text(ptr: Any) -> str:
    return ffi.string(ptr).decode("utf-8", "replace") if ptr != ffi.NULL else ""


def drain_errors() -> List[OpenSSLErrorEntry]:
    """Empty OpenSSL's thread-local error queue, oldest first."""
    entries: List[OpenSSLErrorEntry] = []
    buf = ffi.new("char[]", 256)
    while True:
        code = lib.ERR_get_error()
        if code == 0:
            return entries
        lib.ERR_error_string_n(code, buf, 256)
        entries.append((code, _text(lib.ERR_lib_error_string(code)),
                        _text(lib.ERR_reason_error_string(code)), _text(buf)))
