"""``python -m tls version``: this package's version and the OpenSSL it was built with and runs on."""
from __future__ import annotations

import argparse
import platform
from typing import Any, Dict

from . import format as fmt


def add_parser(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "version", help="print the versions of tls, OpenSSL (built with and loaded) and Python",
        description="Print the version of this package, of the OpenSSL headers it was built with, of the "
                    "libssl it loaded, and of Python.")
    parser.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    parser.set_defaults(run=run, parser=parser)


def package_version() -> str:
    try:
        from importlib.metadata import PackageNotFoundError, version
    except ImportError:  # pragma: no cover - Python < 3.8
        return "unknown"
    try:
        return version("tls")
    except PackageNotFoundError:
        return "unknown (not installed: running from a source tree)"


def _openssl_number_text(number: int) -> str:
    # OpenSSL 3 packs MNN00PP0L: major, minor, patch.
    return "%d.%d.%d" % (number >> 28 & 0xF, number >> 20 & 0xFF, number >> 4 & 0xFF)


def versions() -> Dict[str, str]:
    from ..._binding import ffi, lib

    return {
        "tls": package_version(),
        "openssl_built": _openssl_number_text(lib.OPENSSL_VERSION_NUMBER),
        "openssl_loaded": ffi.string(lib.OpenSSL_version(lib.OPENSSL_VERSION)).decode(),
        "python": "%s %s" % (platform.python_implementation(), platform.python_version()),
    }


def run(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    info = versions()
    if args.json:
        fmt.emit_json(info)
    else:
        print("\n".join(fmt.render_fields([
            ("tls", info["tls"]),
            ("OpenSSL built", info["openssl_built"]),
            ("OpenSSL loaded", info["openssl_loaded"]),
            ("Python", info["python"]),
        ])))
    return 0
