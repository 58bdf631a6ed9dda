"""The spec's echo server and client, in one Node-style script.

Run:  python examples/echo.py          (the same as: python -m tls demo)
      python examples/echo.py --pfx    (the spec's PFX variants of both examples)

The code lives in the package, in src/tls/_cli/demo.py (``main``), so that
``python -m tls demo`` works from an installed package too.  It makes a
throwaway CA with a server and a client certificate in memory, starts the
spec's server (client certificate authentication, ``requestCert``; writes
"welcome!" and pipes the socket back to itself), connects the spec's client to
it, sends a few lines instead of stdin, and prints what each side sees.
"""
from __future__ import annotations

import sys

import tls
from tls._faces.cli.demo import main

if __name__ == "__main__":
    tls.run(main, "--pfx" in sys.argv[1:])
