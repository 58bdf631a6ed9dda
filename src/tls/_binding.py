"""The compiled OpenSSL binding: ffi + lib, a version check, the error queue."""
from __future__ import annotations

from typing import List, Tuple

try:
    from ._openssl import ffi, lib
except ImportError as exc:  # pragma: no cover - only on a broken install
    raise ImportError(
        "tls: the compiled module tls._openssl is missing; build it with "
        "`pip install .` (needs the OpenSSL 3 headers, e.g. apt-get install libssl-dev)"
    ) from exc

if lib.OpenSSL_version_num() < 0x30000000:  # pragma: no cover
    raise ImportError("tls needs OpenSSL 3 at run time, found %s" % ffi.string(lib.OpenSSL_version(0)).decode())

OPENSSL_VERSION = ffi.string(lib.OpenSSL_version(lib.OPENSSL_VERSION)).decode()

# (packed code, library string, reason string, full "error:..." text)
OpenSSLErrorEntry = Tuple[int, str, str, str]


def _text(ptr) -> str:
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
