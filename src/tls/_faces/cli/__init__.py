"""The command line: ``python -m tls {server,client,demo,version,run}``.

One module per subcommand (each has ``add_parser`` and ``run``; ``certs_command``
is ``certs DIR``), ``format`` for the summaries, ``certs`` for throwaway
certificates, ``inspect`` and ``starttls`` for what the client reads and speaks
beyond Node's API, ``common`` for what the subcommands share.  Only argparse is
imported to parse the arguments, so
``--help`` is fast; ``tls`` is imported when a subcommand runs.

Exit status: 0 on success, 1 on an error (one line ``error: <code>: <message>``
on stderr, no traceback), 2 on bad arguments (argparse's message), 130 on
Ctrl-C.
"""
from __future__ import annotations

import argparse
import sys
from typing import List, Optional

from . import client, demo, run, server, version
from .common import describe_error
from .format import error_line
from . import certs_command  # python -m tls certs DIR

__all__ = ["main", "build_parser"]

PROG = "python -m tls"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="Node.js's tls module for Python, from the command line: a TLS server and client that "
                    "say what they negotiated, and the spec's echo example.",
        epilog="'%s COMMAND --help' describes each command. Summaries go to stderr and stdout carries only "
               "the peer's data (or, with --json, JSON objects)." % PROG)
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    subparsers.required = True
    for module in (server, client, demo, version, run):
        module.add_parser(subparsers)
    certs_command.add_parser(subparsers)
    return parser


def main(argv: Optional[List[str]] = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)          # exits with status 2 and a usage message on bad arguments
    try:
        status: int = args.run(args, args.parser)
        return status
    except KeyboardInterrupt:
        return 130
    except Exception as exc:                # every failure is one line, never a traceback
        code, message = describe_error(exc)
        sys.stderr.write(error_line(code, message) + "\n")
        hint = getattr(exc, "hint", None)
        if hint:
            sys.stderr.write("hint: %s\n" % hint)
        sys.stderr.flush()
        return 1
