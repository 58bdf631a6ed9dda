"""``python -m tls demo``: the spec's echo server and a client talking to it, in one process.

The server is the spec's example (``createServer`` with client certificate
authentication, ``requestCert``; it writes ``"welcome!\\n"`` and pipes the
socket back to itself); the client is the spec's ``connect`` example, which
sends a few lines instead of stdin.  Both print what they see.  The
certificates (a throwaway CA, a server certificate for localhost and a client
certificate) are made in memory at start-up with the binding's own libcrypto
(see certs.py), so the demo needs nothing beyond ``pip install .``.
``--pfx`` runs the spec's PFX variants of both examples.

``examples/echo.py`` runs this same code.
"""
from __future__ import annotations

import argparse
from typing import Any, Dict, List, Sequence

from . import format as fmt

LINES = ("hello\n", "echo me\n", "goodbye\n")
# The demo runs on loopback: it cannot take long unless something is broken.
DEADLINE_MS = 20000


def add_parser(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "demo", help="the spec's echo server and client talking over TLS with client certificates",
        description="Start the spec's echo server (client certificate authentication, 'welcome!', echo) and "
                    "connect the spec's client to it in the same process, with certificates made on the fly; "
                    "print what each side sees and exit 0.")
    parser.add_argument("--pfx", action="store_true", help="use the PFX (PKCS#12) variants of the examples")
    parser.set_defaults(run=run, parser=parser)


def make_identities(use_pfx: bool) -> Dict[str, Dict[str, Any]]:
    """Server and client options with a throwaway CA: each side trusts the CA, the server asks for a cert."""
    from .certs import LeafRequest, make_throwaway_pki

    pki = make_throwaway_pki([LeafRequest("localhost", ("localhost", "127.0.0.1")), LeafRequest("client")],
                             with_pfx=use_pfx)
    server_id, client_id = pki.identities
    print("certificates: a throwaway CA (SHA-256 %s...), made with %s" % (pki.ca_fingerprint256[:23], pki.backend))
    server_options: Dict[str, Any] = {"requestCert": True, "ca": [pki.ca_pem]}
    client_options: Dict[str, Any] = {"ca": [pki.ca_pem]}
    if use_pfx:
        # A PFX carries the key, the certificate and (here) the CA certificate.
        server_options["pfx"] = server_id.pfx
        client_options["pfx"] = client_id.pfx
    else:
        server_options.update(key=server_id.key_pem, cert=server_id.cert_pem)
        client_options.update(key=client_id.key_pem, cert=client_id.cert_pem)
    return {"server": server_options, "client": client_options}


def describe_peer(sock: Any) -> str:
    """The peer's certificate as one line: subject, issuer, SHA-256."""
    chain = fmt.certificate_chain(sock.getPeerCertificate(True))
    if not chain:
        return "no certificate"
    row = fmt.certificate_row(chain[0])
    return "%s issued by %s, SHA-256 %s..." % (row["subject"], row["issuer"], (row["fingerprint256"] or "")[:23])


def main(use_pfx: bool = False, lines: Sequence[str] = LINES) -> None:
    """The Node-style script (run it with ``run_script(main)``)."""
    from ..._objects.connect import connect
    from ..._objects.server import createServer
    from ..._node.runtime import setTimeout

    options = make_identities(use_pfx)

    # -- the spec's server ---------------------------------------------------------------------------
    def on_secure_connection(socket: Any) -> None:
        print("server connected", "authorized" if socket.authorized else "unauthorized")
        print("server sees:", socket.getProtocol(), socket.getCipher()["name"], "| client certificate:",
              describe_peer(socket))
        socket.write("welcome!\n")
        socket.setEncoding("utf8")
        socket.on("data", lambda data: print("server got:", repr(data)))   # and echoes it, through pipe
        socket.pipe(socket)

    server = createServer(options["server"], on_secure_connection)

    # -- the spec's client ---------------------------------------------------------------------------
    def on_listening() -> None:
        print("server bound")

        def on_connected() -> None:
            print("client connected", "authorized" if socket.authorized else "unauthorized",
                  socket.getProtocol(), (socket.getCipher() or {}).get("name"))
            print("client sees: server certificate:", describe_peer(socket))
            for line in lines:
                socket.write(line)

        socket = connect(server.address()["port"], "localhost", options["client"], on_connected)
        socket.setEncoding("utf8")
        received: List[str] = []

        def on_data(data: str) -> None:
            print("client got:", repr(data))
            received.append(data)
            if "".join(received) == "welcome!\n" + "".join(lines):
                socket.end()

        socket.on("data", on_data)
        socket.on("end", lambda: server.close())
        socket.on("close", lambda had_error: print("client closed, error:", had_error))

    def give_up() -> None:
        raise TimeoutError("the demo did not finish within %d s" % (DEADLINE_MS // 1000))

    server.listen(0, "127.0.0.1", on_listening)
    server.on("close", lambda: print("server closed"))
    setTimeout(give_up, DEADLINE_MS).unref()     # a watchdog that never keeps the program alive


def run(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    from ..._node.runtime import run as run_script

    run_script(main, args.pfx)
    return 0
