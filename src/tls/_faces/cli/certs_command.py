"""``python -m tls certs DIR``: a throwaway CA, server and client certificate set, as PEM files.

The files are named as the documentation's examples expect them, so an example
runs as written after ``python -m tls certs .``:

================  ===============================================================
ca-cert.pem       the throwaway CA's certificate (trust it: ``ca``)
server-cert.pem   the server's certificate, for ``--name`` (default localhost,
server-key.pem    127.0.0.1 and ::1), and its private key
client-cert.pem   a client certificate (CN=client) and its private key, for
client-key.pem    ``requestCert`` servers
server.pfx        with ``--pfx``: key, certificate and CA as PKCS#12, no passphrase
client.pfx
================  ===============================================================

The CA's private key is not written: nothing else can ever be signed by the CA,
which is what makes trusting it for a test harmless.  Keys are EC P-256 and the
certificates last ``--days`` (7 by default); ``certs.py`` makes them.

Existing files are never overwritten without ``--force``.  ``--if-missing``
writes nothing when every file is there already (a script or an example that
runs twice) and refuses a partial set.
"""
from __future__ import annotations

import argparse
import os
from typing import Any, Dict, List

from . import format as fmt
from .certs import LeafRequest, make_throwaway_pki
from .common import CliError

DEFAULT_NAMES = ("localhost", "127.0.0.1", "::1")
PEM_FILES = ("ca-cert.pem", "server-cert.pem", "server-key.pem", "client-cert.pem", "client-key.pem")
PFX_FILES = ("server.pfx", "client.pfx")


def add_parser(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "certs", help="write a throwaway CA, server and client certificate set (PEM files) to DIR",
        description="Write a fresh throwaway CA and a server and a client certificate it signed to DIR: "
                    "ca-cert.pem, server-cert.pem, server-key.pem, client-cert.pem, client-key.pem (and "
                    "server.pfx, client.pfx with --pfx). The CA's key is not kept.",
        epilog="example: python -m tls certs . && python -m tls server --cert server-cert.pem "
               "--key server-key.pem")
    parser.add_argument("directory", metavar="DIR", help="where to write the files (made if missing)")
    parser.add_argument("--name", action="append", metavar="NAME",
                        help="a DNS name or IP address of the server certificate (repeat for more; the first "
                             "is its CN; default: localhost, 127.0.0.1 and ::1)")
    parser.add_argument("--days", type=_days, default=7, metavar="N", help="validity in days (default 7)")
    parser.add_argument("--pfx", action="store_true", help="also write server.pfx and client.pfx (PKCS#12)")
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--force", action="store_true", help="overwrite files that exist")
    group.add_argument("--if-missing", action="store_true",
                       help="write nothing when every file exists already (refuse a partial set)")
    parser.set_defaults(run=run, parser=parser)


def _days(text: str) -> int:
    if not text.isdigit() or not 0 < int(text) <= 3650:
        raise argparse.ArgumentTypeError("expected a number of days from 1 to 3650, got %r" % text)
    return int(text)


def _write(path: str, data: bytes, private: bool) -> None:
    # Keys are created 0600 from the start, never readable by others even for a moment.
    flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC
    fd = os.open(path, flags, 0o600 if private else 0o644)
    with os.fdopen(fd, "wb") as file:
        file.write(data)


def run(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    names = args.name or list(DEFAULT_NAMES)
    folder = args.directory
    wanted = PEM_FILES + (PFX_FILES if args.pfx else ())
    present = [name for name in wanted if os.path.exists(os.path.join(folder, name))]
    if present and args.if_missing and len(present) == len(wanted):
        fmt.log("certs: every file is in %s already; nothing written" % folder)
        return 0
    if present and not args.force:
        raise CliError("EEXIST", "%s already in %s (--force overwrites%s)" % (
            ", ".join(present), folder, "" if args.if_missing else ", --if-missing keeps a complete set"))
    os.makedirs(folder, exist_ok=True)
    pki = make_throwaway_pki([LeafRequest(names[0], tuple(names)), LeafRequest("client")],
                             days=args.days, with_pfx=args.pfx)
    server, client = pki.identities
    contents: Dict[str, bytes] = {
        "ca-cert.pem": pki.ca_pem, "server-cert.pem": server.cert_pem, "server-key.pem": server.key_pem,
        "client-cert.pem": client.cert_pem, "client-key.pem": client.key_pem,
    }
    if args.pfx:
        assert server.pfx is not None and client.pfx is not None
        contents.update({"server.pfx": server.pfx, "client.pfx": client.pfx})
    written: List[str] = []
    for name in wanted:
        path = os.path.join(folder, name)
        _write(path, contents[name], private=name.endswith("-key.pem") or name.endswith(".pfx"))
        written.append(path)
    fmt.log("certs: a throwaway CA (made with %s, valid %d days; its key is not kept) signed a server "
            "certificate for %s and a client certificate (CN=client):" % (pki.backend, args.days, ", ".join(names)),
            *("  " + path for path in written),
            "  CA SHA-256 " + pki.ca_fingerprint256)
    return 0
