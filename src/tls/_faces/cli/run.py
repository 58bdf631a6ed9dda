"""``python -m tls run [FLAGS] program.py [args...]``: what ``node FLAGS program.js`` is to a Node program.

Node's TLS command-line flags set process-wide defaults before the program's
first line runs; a Python program cannot be given flags by ``python``, so this
subcommand sets the same defaults and then runs the program as ``python
program.py args...`` would (``runpy.run_path`` as ``__main__``, ``sys.argv`` =
``[program.py, *args]``, the program's directory first on ``sys.path``; or
``-c CODE`` with ``sys.argv`` = ``['-c', *args]``).  Its exit status is the
program's.

The flags, with Node 20's semantics (``node --help``, src/node_options.cc,
lib/tls.js, lib/_tls_wrap.js):

* ``--tls-cipher-list=CIPHERS``: ``tls.DEFAULT_CIPHERS`` (Node: also
  ``crypto.constants.defaultCipherList``, which Python does not have).
* ``--tls-min-v1.0`` / ``--tls-min-v1.1`` / ``--tls-min-v1.2`` /
  ``--tls-min-v1.3``: ``tls.DEFAULT_MIN_VERSION``.  Given together, the lowest
  wins (lib/tls.js tests them from v1.0 up), whatever their order.
* ``--tls-max-v1.2`` / ``--tls-max-v1.3``: ``tls.DEFAULT_MAX_VERSION``; given
  together, v1.3 wins.
* ``--tls-min-v1.3`` with ``--tls-max-v1.2`` is refused before anything runs,
  with Node's message and exit status 9 (Node's "invalid argument").
* ``--tls-keylog=FILE``: every TLS socket appends its key-log lines to FILE;
  ``--trace-tls``: every TLS socket whose ``enableTrace`` option is not given
  traces to stderr (tls._objects.cli_flags says how, warnings included).

Node also reads these flags from ``NODE_OPTIONS``; this runner does not (no
test of Node's relies on it, and a Python process has no such variable).
"""
from __future__ import annotations

import argparse
import os
import runpy
import sys
import traceback
import types
from typing import Any, Dict, List, Optional

__all__ = ["add_parser", "run", "EXIT_INVALID_ARGUMENT"]

#: Node's exit status for a bad command line (doc/api/process.md, "Exit codes": 9 Invalid Argument).
EXIT_INVALID_ARGUMENT = 9

_MIN_FLAGS = (("tls_min_v1_0", "TLSv1"), ("tls_min_v1_1", "TLSv1.1"), ("tls_min_v1_2", "TLSv1.2"),
              ("tls_min_v1_3", "TLSv1.3"))
_MAX_FLAGS = (("tls_max_v1_3", "TLSv1.3"), ("tls_max_v1_2", "TLSv1.2"))


def add_parser(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "run", allow_abbrev=False,
        help="run a Python program under Node's TLS command-line flags (as `node FLAGS program.js`)",
        description="Run a Python program (or -c CODE) as `python program.py args...` would, after setting "
                    "what Node's TLS command-line flags set: the default cipher list, minimum and maximum "
                    "protocol versions, a key-log file and tracing for every TLS socket.",
        epilog="Given together, the lowest --tls-min-v* and the highest --tls-max-v* win, as in Node; "
               "--tls-min-v1.3 with --tls-max-v1.2 is refused (exit status 9). The exit status is the "
               "program's.")
    parser.add_argument("--tls-cipher-list", metavar="CIPHERS",
                        help="the default cipher list (tls.DEFAULT_CIPHERS)")
    for flag, version in _MIN_FLAGS:
        parser.add_argument("--" + flag.replace("_", "-").replace("v1-", "v1."), dest=flag,
                            action="store_true", help="set tls.DEFAULT_MIN_VERSION to '%s'" % version)
    for flag, version in _MAX_FLAGS:
        parser.add_argument("--" + flag.replace("_", "-").replace("v1-", "v1."), dest=flag,
                            action="store_true", help="set tls.DEFAULT_MAX_VERSION to '%s'" % version)
    parser.add_argument("--tls-keylog", metavar="FILE",
                        help="append every TLS socket's key-log lines (NSS format) to FILE")
    parser.add_argument("--trace-tls", action="store_true",
                        help="trace every TLS socket (OpenSSL's SSL_trace, to stderr) unless its enableTrace "
                             "option says otherwise")
    parser.add_argument("-c", dest="code", metavar="CODE", help="run CODE instead of a program file")
    parser.add_argument("program", nargs="?", help="the Python program to run")
    parser.add_argument("args", nargs=argparse.REMAINDER, help="its arguments (sys.argv[1:])")
    parser.set_defaults(run=run, parser=parser)


def _refuse(message: str) -> int:
    sys.stderr.write("python -m tls run: %s\n" % message)
    sys.stderr.flush()
    return EXIT_INVALID_ARGUMENT


def run(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    # src/node_options.cc (EnvironmentOptions::CheckOptions): the one pair Node refuses
    if args.tls_min_v1_3 and args.tls_max_v1_2:
        return _refuse("either --tls-min-v1.3 or --tls-max-v1.2 can be used, not both")
    argv: List[str] = list(args.args)
    if args.code is None:
        if args.program is None:
            parser.error("a program to run is required (or -c CODE)")
        if not os.path.exists(args.program):
            # python's own words and status for a program it cannot open
            sys.stderr.write("python -m tls run: can't open file %r: [Errno 2] No such file or directory\n"
                             % os.path.abspath(args.program))
            return 2
    elif args.program is not None:
        argv.insert(0, args.program)
    from ..._objects import cli_flags
    from ..._objects.public_names import PUBLIC

    if args.trace_tls and not cli_flags.trace_available():
        return _refuse("--trace-tls: this OpenSSL is built without SSL_trace (no-ssl-trace)")
    _set_defaults(PUBLIC, args)
    cli_flags.set_flags(trace=args.trace_tls, keylog=args.tls_keylog)
    try:
        if args.code is not None:
            _run_code(args.code, argv)
        else:
            _run_program(args.program, argv)
    except Exception as exc:
        # as python reports an uncaught exception: the traceback from the program's first frame
        # (the runner's and runpy's left out), status 1 -- not the CLI's one-line error
        tb = exc.__traceback__
        while tb is not None and tb.tb_next is not None and _runner_frame(tb.tb_frame.f_code.co_filename):
            tb = tb.tb_next
        traceback.print_exception(type(exc), exc, tb)
        return 1
    return 0


def _runner_frame(filename: str) -> bool:
    return filename == __file__ or os.path.basename(filename) in ("runpy.py", "<frozen runpy>")


def _set_defaults(public: Dict[str, Any], args: argparse.Namespace) -> None:
    """lib/tls.js: what the flags make ``tls.DEFAULT_*`` (in the package's namespace, where
    ``createSecureContext`` and ``tls.connect`` read them at each use)."""
    if args.tls_cipher_list is not None:
        public["DEFAULT_CIPHERS"] = args.tls_cipher_list
    minimum = _first(args, _MIN_FLAGS)
    if minimum is not None:
        public["DEFAULT_MIN_VERSION"] = minimum
    maximum = _first(args, _MAX_FLAGS)
    if maximum is not None:
        public["DEFAULT_MAX_VERSION"] = maximum


def _first(args: argparse.Namespace, flags: Any) -> Optional[str]:
    for flag, version in flags:
        if getattr(args, flag):
            return str(version)
    return None


def _run_program(path: str, argv: List[str]) -> None:
    # as `python path args...`: argv[0] is the path as given, sys.path[0] the program's directory
    sys.argv = [path, *argv]
    sys.path[0:1] = [os.path.dirname(os.path.abspath(path))]
    runpy.run_path(path, run_name="__main__")


def _run_code(code: str, argv: List[str]) -> None:
    # as `python -c code args...`: argv[0] is '-c', sys.path[0] the current directory
    sys.argv = ["-c", *argv]
    sys.path[0:1] = [""]
    module = types.ModuleType("__main__")
    sys.modules["__main__"] = module
    exec(compile(code, "<string>", "exec"), module.__dict__)
