"""``python -m tls server``: a readable ``openssl s_server``.

Serves an echo (default), a file (``--file``) or stdin (``--stdin``) over TLS,
with the given certificate or with a throwaway CA and certificate made at
start-up (see certs.py), and prints one summary per connection.

Streams, as for the client: what the server reports goes to stderr (text) or,
with ``--json``, to stdout as one JSON object per line; with ``--stdin`` the
client's data goes to stdout.
"""
from __future__ import annotations

import argparse
import asyncio
import os
import signal
import sys
import tempfile
from typing import Any, Dict, List, Optional

from . import format as fmt
from ..._base.errors import error_message
from . import workers
from .common import (
    CliError, StdinReader, add_version_options, alpn_list, next_event, pump_to_socket, read_file, version_options,
)

TICKET_KEYS_SIZE = 48
THROWAWAY_NAMES = ("localhost", "127.0.0.1", "::1")


def add_parser(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "server", help="run a TLS server: echo, a file or stdin (like openssl s_server)",
        description="Listen for TLS connections and serve an echo (default), a file or stdin, printing a summary "
                    "of each connection (to stderr). Without --cert/--key or --pfx a throwaway CA and a "
                    "certificate for localhost, 127.0.0.1 and ::1 are made at start-up: their SHA-256 "
                    "fingerprints are printed and the CA certificate is written to --ca-out (or to a temporary "
                    "file, printed, removed at exit) for clients to verify with.",
        epilog="exit status: 0 when stopped (Ctrl-C, or the end of --once / --stdin), 1 on an error (printed as "
               "'error: <code>: <message>'; with --once also a failed handshake), 2 on bad arguments. "
               "example: python -m tls server --port 4433 --ca-out ca.pem, then "
               "python -m tls client localhost:4433 --ca ca.pem")
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=0,
                        help="port to listen on (default 0: any free port; the 'listening on' line tells)")
    identity = parser.add_argument_group("identity (default: a throwaway CA and certificate)")
    identity.add_argument("--cert", type=read_file, metavar="FILE", help="certificate chain (PEM), leaf first")
    identity.add_argument("--key", type=read_file, metavar="FILE", help="private key (PEM)")
    identity.add_argument("--pfx", type=read_file, metavar="FILE", help="key and certificate as PKCS#12")
    identity.add_argument("--passphrase", metavar="TEXT", help="passphrase of --key or --pfx")
    identity.add_argument("--ca-out", metavar="PATH", help="where to write the throwaway CA certificate (PEM)")
    identity.add_argument("--san", action="append", default=[], metavar="NAME",
                          help="another DNS name or IP address for the throwaway certificate (repeatable)")
    serve = parser.add_argument_group("what to serve").add_mutually_exclusive_group()
    serve.add_argument("--file", type=read_file, metavar="FILE", help="send the file's content, then end")
    serve.add_argument("--stdin", action="store_true",
                       help="send stdin to the client and its data to stdout (one connection, like nc -l)")
    parser.add_argument("--alpn", type=alpn_list, metavar="LIST", help="ALPN protocols to accept, e.g. h2,http/1.1")
    parser.add_argument("--request-cert", action="store_true",
                        help="ask clients for a certificate and report it (unverified clients are still served)")
    parser.add_argument("--require-cert", action="store_true",
                        help="like --request-cert, but refuse clients without a verified certificate")
    parser.add_argument("--ca", type=read_file, metavar="FILE", help="PEM file of the CAs client certificates "
                        "are verified against (default: the system store)")
    parser.add_argument("--ocsp-staple", type=read_file, metavar="FILE",
                        help="DER OCSP response to staple when a client asks for the status")
    parser.add_argument("--ticket-keys", type=read_file, metavar="FILE",
                        help="48-byte file of session ticket keys (Node's ticketKeys format)")
    add_version_options(parser)
    parser.add_argument("--once", action="store_true", help="serve one connection, then exit")
    parser.add_argument("--workers", type=int, metavar="N",
                        help="serve on N worker processes sharing the port (tls.cluster); the primary prints the "
                             "counters of all workers at exit, SIGHUP restarts the workers one by one")
    parser.add_argument("--stats", type=float, metavar="SECONDS",
                        help="with --workers: print the counters of all workers every SECONDS")
    parser.add_argument("--json", action="store_true", help="report as JSON objects on stdout, one per line")
    parser.set_defaults(run=run, parser=parser)


class Reporter:
    """Text to stderr, or JSON objects to stdout; in a worker, each says which one."""

    def __init__(self, as_json: bool, worker: Optional[int] = None) -> None:
        self.as_json = as_json
        self.worker = worker

    def event(self, obj: Dict[str, Any], lines: List[str]) -> None:
        if self.worker is not None:
            obj = {"worker": self.worker, **obj}
            lines = ["[worker %d] %s" % (self.worker, line) for line in lines]
        if self.as_json:
            fmt.emit_json(obj)
        else:
            fmt.log(*lines)


def _throwaway_identity(args: argparse.Namespace, reporter: Reporter) -> Dict[str, Any]:
    from .certs import LeafRequest, make_throwaway_pki

    names = list(THROWAWAY_NAMES)
    wildcard = args.host in ("0.0.0.0", "::", "")
    for name in ([] if wildcard else [args.host]) + args.san:
        if name not in names:
            names.append(name)
    pki = make_throwaway_pki([LeafRequest(names[0], tuple(names))])
    leaf = pki.identities[0]
    if args.ca_out:
        ca_path, remove_at_exit = args.ca_out, False
        with open(ca_path, "wb") as file:
            file.write(pki.ca_pem)
    else:
        handle, ca_path = tempfile.mkstemp(prefix="tls-throwaway-ca-", suffix=".pem")
        with os.fdopen(handle, "wb") as file:
            file.write(pki.ca_pem)
        remove_at_exit = True
    reporter.event(
        {"event": "certificate", "names": names, "fingerprint256": leaf.fingerprint256,
         "caFingerprint256": pki.ca_fingerprint256, "caFile": os.path.abspath(ca_path), "backend": pki.backend},
        ["throwaway certificate for %s (made with %s)" % (", ".join(names), pki.backend)] + fmt.render_fields([
            ("SHA-256", leaf.fingerprint256),
            ("CA SHA-256", pki.ca_fingerprint256),
            ("CA file", "%s (clients: --ca %s)" % (os.path.abspath(ca_path), ca_path)),
        ], indent="  "))
    # The leaf alone, as servers usually send no root: clients verify it with the CA file.
    return {"key": leaf.key_pem, "cert": leaf.cert_pem, "_remove": ca_path if remove_at_exit else None}


def _server_options(args: argparse.Namespace, identity: Dict[str, Any]) -> Dict[str, Any]:
    options: Dict[str, Any] = {key: value for key, value in identity.items() if not key.startswith("_")}
    options.update(version_options(args))
    if args.passphrase is not None:
        options["passphrase"] = args.passphrase
    if args.alpn:
        options["ALPNProtocols"] = args.alpn
    if args.request_cert or args.require_cert:
        options["requestCert"] = True
        options["rejectUnauthorized"] = bool(args.require_cert)
    if args.ca is not None:
        options["ca"] = [args.ca]
    if args.ticket_keys is not None:
        options["ticketKeys"] = args.ticket_keys
    if args.stdin:
        # like nc: the client's end (its stdin ran out) is a half-close; stdin still goes to it
        # until it runs out here too (pump_to_socket ends the socket then)
        options["allowHalfOpen"] = True
    return options


def _client_certificate_text(summary: Dict[str, Any], requested: bool) -> Optional[str]:
    if not requested:
        return None
    chain = summary["peerCertificates"]
    if not chain:
        owner = "none sent"
    else:
        owner = "%s (issuer %s)" % (chain[0]["subject"], chain[0]["issuer"])
    if summary["authorized"]:
        return owner + ": authorized"
    return "%s: not authorized: %s" % (owner, summary["authorizationError"])


async def _serve(args: argparse.Namespace) -> int:
    from ..._objects.server import createServer

    worker_id = getattr(args, "worker_id", None)
    reporter = Reporter(args.json, worker_id)
    once = args.once or args.stdin
    if args.cert is not None or args.pfx is not None:
        identity = {key: getattr(args, key) for key in ("cert", "key", "pfx") if getattr(args, key) is not None}
    else:
        identity = workers.inherited_identity() or _throwaway_identity(args, reporter)
    try:
        server = createServer(_server_options(args, identity))
        failures: List[BaseException] = []
        counter = {"connections": 0}
        requested = args.request_cert or args.require_cert

        def accept_next() -> int:
            counter["connections"] += 1
            if once:
                server.close()       # no more connections; 'close' comes when this one is over
            return counter["connections"]

        def on_secure_connection(sock: Any) -> None:
            number = accept_next()
            summary = fmt.connection_summary(sock)
            summary["servername"] = sock.servername or None
            peer = fmt.address_text(summary["remoteAddress"], summary["remotePort"])
            reporter.event({"event": "connection", "id": number, **summary}, [
                "connection %d from %s" % (number, peer)] + fmt.render_fields([
                    ("protocol", summary["protocol"]),
                    ("cipher", fmt.cipher_text(summary)),
                    ("ALPN", summary["alpnProtocol"] or "(none)"),
                    ("NPN", summary.get("npnProtocol")),
                    ("servername", summary["servername"] or "(none)"),
                    ("session", "resumed" if summary["sessionReused"] else "new"),
                    ("client cert", _client_certificate_text(summary, requested)),
                ], indent="  "))
            sock.on("error", lambda err: reporter.event(
                {"event": "error", "id": number, "code": getattr(err, "code", None), "message": error_message(err)},
                ["connection %d: %s" % (number, fmt.error_line(getattr(err, "code", None), error_message(err)))]))
            sock.on("close", lambda *_: reporter.event({"event": "close", "id": number},
                                                       ["connection %d closed" % number]))
            if args.stdin:
                # the client's half-close: stdin keeps going to it until it runs out here too
                sock.on("end", lambda *_: reporter.event({"event": "end", "id": number},
                                                         ["connection %d: the client ended its side" % number]))
            _serve_connection(args, sock)

        def on_client_error(err: BaseException, sock: Any) -> None:
            number = accept_next()
            if once:
                failures.append(err)         # the exit status of a --once run
            code = getattr(err, "code", None)
            peer = fmt.address_text(getattr(sock, "remoteAddress", None), getattr(sock, "remotePort", None))
            reporter.event({"event": "clientError", "id": number, "remoteAddress": sock.remoteAddress,
                            "remotePort": sock.remotePort, "code": code, "message": error_message(err)},
                           ["connection %d from %s failed: %s"
                            % (number, peer, fmt.error_line(code, error_message(err)))])

        def on_ocsp_request(cert: bytes, issuer: Optional[bytes], callback: Any) -> None:
            staple = args.ocsp_staple
            reporter.event({"event": "OCSPRequest", "size": len(staple)},
                           ["OCSP status requested: stapling %d bytes" % len(staple)])
            callback(None, staple)

        server.on("secureConnection", on_secure_connection)
        server.on("tlsClientError", on_client_error)
        if args.ocsp_staple is not None:
            # Only then: a server with an 'OCSPRequest' listener answers every status request.
            server.on("OCSPRequest", on_ocsp_request)
        server.listen(args.port, args.host)
        name, event_args = await next_event(server, "listening", "error")
        if name == "error":
            raise event_args[0]              # EADDRINUSE, EACCES...
        server.on("error", lambda err: reporter.event(
            {"event": "serverError", "code": getattr(err, "code", None), "message": error_message(err)},
            ["server: " + fmt.error_line(getattr(err, "code", None), error_message(err))]))
        address = server.address()
        if worker_id is None:    # with --workers the primary says it, once all listen
            reporter.event({"event": "listening", "host": address["address"], "port": address["port"]},
                           ["listening on %s" % fmt.address_text(address["address"], address["port"])])
        await next_event(server, "close")
    finally:
        if identity.get("_remove"):
            try:
                os.unlink(identity["_remove"])
            except OSError:
                pass
    if once and failures:
        err = failures[0]
        raise CliError(getattr(err, "code", None) or type(err).__name__, error_message(err))
    return 0


def _serve_connection(args: argparse.Namespace, sock: Any) -> None:
    if args.file is not None:
        sock.resume()                    # read and drop what the client sends
        sock.end(args.file)
    elif args.stdin:
        def on_data(data: bytes) -> None:
            sys.stdout.buffer.write(data)
            sys.stdout.buffer.flush()
        sock.on("data", on_data)
        pump = asyncio.ensure_future(pump_to_socket(StdinReader(), sock))
        sock.once("close", lambda *_: pump.cancel())   # and keeps the task referenced
    else:
        sock.pipe(sock)                  # the echo: ends when the client ends


def _stop_on_sigterm() -> Any:
    """SIGTERM ends the run as Ctrl-C does (so the temporary CA file is removed); returns the old handler."""
    def stop(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt
    try:
        return signal.signal(signal.SIGTERM, stop)
    except (ValueError, OSError):        # not the main thread, or no SIGTERM here
        return None


def _run_workers(args: argparse.Namespace) -> int:
    """--workers: this process is the primary, or (run again by it) one of the workers (workers.py)."""
    from ..cluster import cluster

    if cluster.isWorker:
        assert cluster.worker is not None
        args.worker_id = cluster.worker.id
        return workers.run_worker(_serve, args)
    if args.stats is not None and args.stats <= 0:
        raise CliError("ERR_INVALID_ARG_VALUE", "--stats: expected a positive number of seconds")
    reporter = Reporter(args.json)
    identity = None
    if args.cert is None and args.pfx is None:
        identity = _throwaway_identity(args, reporter)    # once, for every worker
    return workers.run_primary(args, reporter, identity)


def run(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    if args.pfx is None and (args.cert is None) != (args.key is None):
        parser.error("--cert and --key go together")
    if args.ca_out and (args.cert is not None or args.pfx is not None):
        parser.error("--ca-out is for the throwaway certificate: leave out --cert/--key/--pfx")
    if args.ticket_keys is not None and len(args.ticket_keys) != TICKET_KEYS_SIZE:
        parser.error("--ticket-keys: the file must hold exactly %d bytes, it has %d"
                     % (TICKET_KEYS_SIZE, len(args.ticket_keys)))
    if not 0 <= args.port <= 65535:
        parser.error("--port: expected 0-65535, got %d" % args.port)
    if args.workers is not None:
        if args.workers < 1:
            parser.error("--workers: expected 1 or more, got %d" % args.workers)
        if args.once or args.stdin:
            parser.error("--workers serves many connections: leave out --once / --stdin")
        return _run_workers(args)
    if args.stats is not None:
        parser.error("--stats goes with --workers")
    previous_handler = _stop_on_sigterm()
    try:
        return asyncio.run(_serve(args))
    finally:
        if previous_handler is not None:
            signal.signal(signal.SIGTERM, previous_handler)
