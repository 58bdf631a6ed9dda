"""``python -m tls client HOST:PORT``: a readable ``openssl s_client``.

It connects, prints what was negotiated and the peer's certificate chain, then
pipes stdin to the connection and the peer's data to stdout.

Streams: the human summary goes to stderr and stdout carries only the peer's
data, so ``python -m tls client host:443 < request > response`` works.  With
``--json`` the summary is one JSON object on the first line of stdout instead
(the peer's data, if any is piped, follows it).

Verification: the connection is made with ``rejectUnauthorized: false`` so the
summary can show the certificates and the exact reason of a failure; then,
unless ``--insecure`` is given, an unverified peer ends the run with
``error: <code>: <message>`` and exit status 1 before a single byte of stdin is
sent to it.

Inspection (what ``openssl s_client`` shows and Node's API does not; see
``inspect``): per certificate its key and signature algorithm and whether the
peer sent it or verification took it from the trust store (``--showcerts``
adds the PEM, ``--save-chain DIR`` writes one file per certificate), the
peer's signing digest, the CA names a server accepts client certificates
from.  ``--starttls`` runs a protocol's plaintext exchange first
(``starttls``), ``--keylog`` appends the NSS key log lines, ``--trace`` is
Node's ``enableTrace()`` (OpenSSL's message trace on stderr).
"""
from __future__ import annotations

import argparse
import asyncio
import ipaddress
import os
import re
import sys
from typing import Any, Dict, List, Optional, Tuple

from ..._base.errors import error_message
from . import format as fmt
from .common import (
    CliError, StdinReader, add_version_options, alpn_list, next_event, positive_seconds, pump_to_socket, read_file,
    version_options, wait_closed,
)
from .starttls import PROTOCOLS as STARTTLS_PROTOCOLS

DEFAULT_PORT = 443
# How long --reconnect waits for the first connection's session: TLS 1.3 tickets come just after the
# handshake, so this only matters for a server that sends none.
SESSION_WAIT = 2.0
CLOSE_GRACE = 2.0

# What OpenSSL reports when the first bytes back are not a TLS record (an HTTP reply, a banner).
NOT_TLS_CODES = ("ERR_SSL_WRONG_VERSION_NUMBER", "ERR_SSL_PACKET_LENGTH_TOO_LONG", "ERR_SSL_RECORD_LAYER_FAILURE")
NOT_TLS_HINT = "the peer does not speak TLS on this port; plain HTTP?"
# Ports where a server greets in plaintext and upgrades on request: the hint names --starttls.
STARTTLS_PORTS = {21: "ftp", 25: "smtp", 110: "pop3", 143: "imap", 587: "smtp", 5222: "xmpp", 5432: "postgres"}


def add_parser(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "client", help="connect to a TLS server and show what was negotiated (like openssl s_client)",
        description="Connect to HOST:PORT, print the protocol, cipher, ALPN, verification result and the "
                    "certificate chain with each certificate's key, signature algorithm and source, the peer's "
                    "signature and the client CA names it accepts (to stderr), then pipe stdin to the "
                    "connection and the server's data "
                    "to stdout until either side ends. With --no-stdin, or when stdin is not a terminal and is "
                    "empty, it prints the summary and closes.",
        epilog="exit status: 0 on success, 1 on a connection or verification error (printed as "
               "'error: <code>: <message>'), 2 on bad arguments. "
               "examples: python -m tls client example.org:443 --no-stdin; "
               "printf 'GET / HTTP/1.0\\r\\n\\r\\n' | python -m tls client example.org:443 --alpn http/1.1")
    parser.add_argument("target", metavar="HOST:PORT",
                        help="server to connect to; [v6addr]:port for IPv6; the port defaults to 443")
    parser.add_argument("--servername", metavar="NAME",
                        help="SNI name to send and to check the certificate against (default: HOST unless it "
                             "is an IP address)")
    parser.add_argument("--alpn", type=alpn_list, metavar="LIST", help="ALPN protocols to offer, e.g. h2,http/1.1")
    parser.add_argument("--ca", type=read_file, metavar="FILE",
                        help="PEM file of the CA certificates to trust instead of the system store")
    parser.add_argument("--cert", type=read_file, metavar="FILE", help="client certificate chain (PEM)")
    parser.add_argument("--key", type=read_file, metavar="FILE", help="client private key (PEM)")
    parser.add_argument("--pfx", type=read_file, metavar="FILE", help="client key and certificate as PKCS#12")
    parser.add_argument("--passphrase", metavar="TEXT", help="passphrase of --key or --pfx")
    parser.add_argument("--insecure", action="store_true",
                        help="go on when the server's certificate does not verify (rejectUnauthorized: false)")
    parser.add_argument("--status", action="store_true",
                        help="ask for an OCSP staple (requestOCSP) and report whether one came and its size")
    parser.add_argument("--reconnect", action="store_true",
                        help="connect a second time with the first connection's session and report whether "
                             "it was resumed (the second connection is the one piped)")
    parser.add_argument("--ciphers", metavar="LIST",
                        help="OpenSSL cipher list to offer, TLS 1.2 and below (ciphers), e.g. "
                             "ECDHE-RSA-AES128-GCM-SHA256; TLS 1.3 suites are named TLS_AES_128_GCM_SHA256 "
                             "and the like")
    parser.add_argument("--groups", metavar="LIST",
                        help="key exchange groups to offer, colon separated (ecdhCurve), e.g. X25519:P-256")
    parser.add_argument("--sigalgs", metavar="LIST",
                        help="signature algorithms to accept, colon separated (sigalgs), e.g. "
                             "ECDSA+SHA256:RSA-PSS+SHA256")
    parser.add_argument("--starttls", choices=sorted(STARTTLS_PROTOCOLS), metavar="PROTO",
                        help="speak PROTO in plaintext first and upgrade to TLS as openssl s_client -starttls "
                             "does: " + ", ".join(sorted(STARTTLS_PROTOCOLS)))
    parser.add_argument("--showcerts", action="store_true",
                        help="print the PEM of every certificate of the chain (and put it in the JSON)")
    parser.add_argument("--save-chain", metavar="DIR",
                        help="write each certificate of the chain to DIR/cert-N.pem, N=0 the peer's own")
    parser.add_argument("--keylog", metavar="FILE",
                        help="append the TLS secrets to FILE in the NSS key log format (for Wireshark)")
    parser.add_argument("--trace", action="store_true",
                        help="print every TLS message sent and received on stderr (enableTrace: OpenSSL's "
                             "SSL_trace), and the STARTTLS exchange")
    add_version_options(parser)
    parser.add_argument("--timeout", type=positive_seconds, default=30.0, metavar="SECONDS",
                        help="limit for connecting, the --starttls exchange and the handshake (default 30)")
    parser.add_argument("--no-stdin", action="store_true", help="do not read stdin: print the summary and close")
    parser.add_argument("--json", action="store_true",
                        help="print the summary as one JSON object on stdout instead of text on stderr")
    parser.add_argument("--quiet", "-q", action="store_true", help="no text summary (errors are still printed)")
    parser.set_defaults(run=run, parser=parser)


def parse_target(target: str) -> Tuple[str, int]:
    """``host:port``, ``[v6]:port``, ``host`` or a bare IPv6 address -> (host, port)."""
    match = re.fullmatch(r"\[([^\]]+)\](?::(\d+))?", target)
    if match:
        host, port = match.group(1), match.group(2)
    elif target.count(":") == 1:
        host, port = target.split(":")
    else:
        host, port = target, None          # a name, or an IPv6 address without a port
    if not host:
        raise argparse.ArgumentTypeError("missing host in %r" % target)
    if port is None:
        return host, DEFAULT_PORT
    if not port.isdigit() or not 0 < int(port) < 65536:
        raise argparse.ArgumentTypeError("bad port in %r (expected 1-65535)" % target)
    return host, int(port)


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
        return True
    except ValueError:
        return False


def verification_message(code: Optional[str], identity_error: Optional[BaseException]) -> Optional[str]:
    """Node's message for an ``authorizationError`` code (which is all Node keeps with rejectUnauthorized off)."""
    if not code:
        return None
    if identity_error is not None and getattr(identity_error, "code", None) == code:
        return error_message(identity_error)
    from ..._binding.errors import VERIFY_ERROR_CODES, verify_error
    for number, name in VERIFY_ERROR_CODES.items():
        if name == code:
            return verify_error(number).message
    return code


class Connection:
    """One connect and what it reported before and during the handshake."""

    def __init__(self, options: Dict[str, Any], keylog: Optional["KeyLog"] = None,
                 transcript: Optional[List[Tuple[str, str]]] = None) -> None:
        from ..._objects.x509 import checkServerIdentity
        from ..._objects.connect import connect

        self.identity_error: Optional[BaseException] = None
        self.staples: List[Optional[bytes]] = []
        self.sessions: List[bytes] = []
        self.errors: List[BaseException] = []
        self.transcript = transcript
        self.port = options.get("port")

        def check_server_identity(hostname: str, cert: Dict[str, Any]) -> Optional[BaseException]:
            # Node's own check, kept to recover the message (Node keeps only the code on the socket).
            error = checkServerIdentity(hostname, cert)
            self.identity_error = error
            return error

        self.sock = connect({**options, "rejectUnauthorized": False,
                                 "checkServerIdentity": check_server_identity})
        self.sock.on("OCSPResponse", self.staples.append)
        self.sock.on("session", self.sessions.append)
        # Always listened to: an 'error' nobody listens to would be raised out of the event loop.
        self.sock.on("error", self.errors.append)
        if keylog is not None:
            self.sock.on("keylog", keylog.write)

    async def handshake(self, timeout: float) -> None:
        try:
            name, args = await asyncio.wait_for(next_event(self.sock, "secureConnect", "error", "close"), timeout)
        except asyncio.TimeoutError:
            self.sock.destroy()
            raise CliError("ETIMEDOUT", "no TLS connection within %g s" % timeout) from None
        if name == "error":
            error = args[0]
            if getattr(error, "code", None) in NOT_TLS_CODES:
                raise CliError(error.code, str(getattr(error, "message", None) or error), self.not_tls_hint())
            raise error
        if name == "close":
            raise CliError("ECONNRESET", "the connection closed during the handshake")

    async def session(self, timeout: float) -> Optional[bytes]:
        """The latest session the server gave (TLS 1.3 tickets arrive after the handshake)."""
        if not self.sessions:
            self.sock.resume()            # read on: the tickets come in records after the handshake
            try:
                await asyncio.wait_for(next_event(self.sock, "session", "close"), timeout)
            except asyncio.TimeoutError:
                pass
        return self.sessions[-1] if self.sessions else None

    def not_tls_hint(self) -> str:
        if self.transcript is None and self.port in STARTTLS_PORTS:
            return "%s (port %d is %s's: try --starttls %s)" % (
                NOT_TLS_HINT.split(";")[0], self.port, STARTTLS_PORTS[self.port], STARTTLS_PORTS[self.port])
        return NOT_TLS_HINT

    def summary(self, requested_ocsp: bool, showcerts: bool = False) -> Dict[str, Any]:
        summary = fmt.connection_summary(self.sock)
        summary["verifyMessage"] = verification_message(summary["authorizationError"], self.identity_error)
        summary["ephemeralKeyInfo"] = self.sock.getEphemeralKeyInfo() or None
        from .inspect import inspect_connection

        inspected = inspect_connection(self.sock, showcerts)
        self.chain_ders: List[bytes] = inspected.pop("_ders")
        summary.update(inspected)
        if self.transcript is not None:
            summary["starttls"] = [{"from": "server" if side == "S" else "client", "text": text}
                                   for side, text in self.transcript]
        if requested_ocsp:
            staple = next((item for item in reversed(self.staples) if item), None)
            summary["ocsp"] = {"stapled": staple is not None, "size": len(staple) if staple else 0}
        else:
            summary["ocsp"] = None
        return summary


def _connect_options(args: argparse.Namespace, host: str, port: int) -> Dict[str, Any]:
    options: Dict[str, Any] = {"host": host, "port": port, **version_options(args)}
    # Like openssl s_client (and Node's https, not its connect): SNI is the host name unless told otherwise.
    servername = args.servername or (None if _is_ip(host) else host)
    if servername:
        options["servername"] = servername
    if args.alpn:
        options["ALPNProtocols"] = args.alpn
    if args.ca is not None:
        options["ca"] = [args.ca]
    for name in ("cert", "key", "pfx", "passphrase"):
        value = getattr(args, name)
        if value is not None:
            options[name] = value
    if args.status:
        options["requestOCSP"] = True
    if args.ciphers:
        options["ciphers"] = args.ciphers
    if args.groups:
        options["ecdhCurve"] = args.groups
    if args.sigalgs:
        options["sigalgs"] = args.sigalgs
    if args.trace:
        options["enableTrace"] = True
    return options


class KeyLog:
    """``--keylog FILE``: every 'keylog' line appended (and flushed: a capture tool reads it live)."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.lines = 0
        self.file = open(path, "ab")

    def write(self, line: bytes) -> None:
        self.file.write(line)
        self.file.flush()
        self.lines += 1

    def close(self) -> None:
        self.file.close()


async def plain_connect(host: str, port: int, timeout: float) -> Any:
    """A connected ``tls.net`` socket, for --starttls."""
    from ..._node import net

    sock = net.connect({"host": host, "port": port})
    try:
        name, args = await asyncio.wait_for(next_event(sock, "connect", "error"), timeout)
    except asyncio.TimeoutError:
        sock.destroy()
        raise CliError("ETIMEDOUT", "no TCP connection within %g s" % timeout) from None
    if name == "error":
        raise args[0]
    return sock


async def open_connection(args: argparse.Namespace, options: Dict[str, Any], keylog: Optional[KeyLog]
                          ) -> Connection:
    """Connect (after the --starttls exchange, if any) and complete the handshake."""
    from .starttls import starttls

    transcript = None
    if args.starttls:
        plain = await plain_connect(options["host"], options["port"], args.timeout)
        transcript = await starttls(plain, args.starttls, options.get("servername") or options["host"],
                                    args.timeout)
        options = {**options, "socket": plain}
    connection = Connection(options, keylog, transcript)
    await connection.handshake(args.timeout)
    return connection


def render_text(result: Dict[str, Any]) -> List[str]:
    first = result["connection"]
    key = first.get("ephemeralKeyInfo")
    if first["authorized"]:
        verification = "OK (authorized)"
    else:
        verification = "FAILED: %s: %s" % (first["authorizationError"], first["verifyMessage"])
    ocsp = first["ocsp"]
    signature = first["peerSignature"]
    names = first["clientCANames"]
    transcript = first.get("starttls")
    keylog = result.get("keylog")
    lines = fmt.render_fields([
        ("connected to", "%s (%s)" % (fmt.address_text(result["host"], result["port"]),
                                      fmt.address_text(first["remoteAddress"], first["remotePort"]))),
        ("STARTTLS", None if transcript is None else
         "%s, %d lines exchanged in plaintext first" % (result["starttls"], len(transcript))),
        ("servername", result["servername"] or "(none sent)"),
        ("protocol", first["protocol"]),
        ("cipher", fmt.cipher_text(first)),
        ("ALPN", first["alpnProtocol"] or "(none)"),
        ("NPN", first.get("npnProtocol")),
        ("ephemeral key", "%s %s (%s bits)" % (key.get("type"), key.get("name") or "", key.get("size"))
         if key else "(none: no forward secrecy, or a resumed session)"),
        ("peer signature", " with ".join(filter(None, [signature["type"], signature["digest"]])) or
         "(none: a resumed session or a PSK)"),
        ("session", "resumed" if first["sessionReused"] else "new"),
        ("OCSP staple", None if ocsp is None else
         ("%d bytes" % ocsp["size"] if ocsp["stapled"] else "none (the server sent no status)")),
        ("client CAs", "%d name%s the server takes client certificates from:" % (
            len(names), "" if len(names) == 1 else "s") if names else
         "(none listed: no certificate request, or one without names)"),
    ])
    lines.extend("    " + name for name in names)
    lines.extend(fmt.render_fields([
        ("keylog", "%d lines appended to %s" % (keylog["lines"], keylog["file"]) if keylog else None),
        ("verification", verification),
    ]))
    if transcript is not None and result.get("trace"):
        lines.append("STARTTLS exchange (S: the server, C: us):")
        lines.extend("  %s: %s" % ("S" if item["from"] == "server" else "C", item["text"]) for item in transcript)
    lines.extend(fmt.render_chain(first["peerCertificates"]))
    for extra in first["sentNotInChain"]:
        lines.append("  sent, not in the chain: SHA-256 %s (%s)" % (extra["fingerprint256"],
                                                                    fmt.key_text(extra) or "key unknown"))
        if extra.get("pem"):
            lines.extend(extra["pem"].rstrip("\n").split("\n"))
    if result.get("savedChain"):
        lines.append("saved the chain to %s" % ", ".join(result["savedChain"]))
    return lines


def render_reconnect_text(second: Dict[str, Any]) -> List[str]:
    return fmt.render_fields([
        ("reconnect", "%s, session %s (%s)" % (
            "session offered" if second["sessionOffered"] else "no session to offer",
            "reused" if second["sessionReused"] else "NOT reused", second["protocol"])),
    ])


async def _client(args: argparse.Namespace, host: str, port: int) -> int:
    keylog = KeyLog(args.keylog) if args.keylog else None
    try:
        return await _inspect_and_pipe(args, host, port, keylog)
    finally:
        if keylog is not None:
            keylog.close()


async def _inspect_and_pipe(args: argparse.Namespace, host: str, port: int, keylog: Optional[KeyLog]) -> int:
    options = _connect_options(args, host, port)
    text = not (args.json or args.quiet)
    result: Dict[str, Any] = {"host": host, "port": port, "servername": options.get("servername"),
                              "starttls": args.starttls, "trace": args.trace}

    first = await open_connection(args, options, keylog)
    result["connection"] = first.summary(args.status, args.showcerts)
    if args.save_chain:
        from .inspect import save_chain

        result["savedChain"] = save_chain(args.save_chain, first.chain_ders)
    if keylog is not None:
        result["keylog"] = {"file": keylog.path, "lines": keylog.lines}
    active = first
    if text:
        fmt.log(*render_text(result))

    if not (first.sock.authorized or args.insecure):
        if args.json:
            fmt.emit_json(result)
        # Nothing was sent; close politely (a close_notify), so the server sees no broken pipe.
        first.sock.resume()
        first.sock.end()
        await wait_closed(first.sock, CLOSE_GRACE)
        raise CliError(first.sock.authorizationError or "UNABLE_TO_VERIFY", result["connection"]["verifyMessage"] or "")

    if args.reconnect:
        session = await first.session(SESSION_WAIT)
        first.sock.end()
        await wait_closed(first.sock, CLOSE_GRACE)
        second = await open_connection(args, {**options, "session": session} if session else options, keylog)
        second_summary = second.summary(args.status)
        result["reconnect"] = {"sessionOffered": session is not None,
                               "sessionReused": second_summary["sessionReused"],
                               "protocol": second_summary["protocol"], "authorized": second_summary["authorized"]}
        active = second
        if text:
            fmt.log(*render_reconnect_text(result["reconnect"]))

    if args.json:
        fmt.emit_json(result)
    return await _pipe(args, active)


async def _pipe(args: argparse.Namespace, connection: Connection) -> int:
    """stdin -> the connection, the connection -> stdout, until either side ends."""
    sock = connection.sock
    reader: Optional[StdinReader] = None
    first_chunk: Optional[bytes] = None
    if not args.no_stdin:
        reader = StdinReader()
        if not StdinReader.is_terminal():
            # A pipe or a file: an empty one means "just the summary".
            first_chunk = await reader.read()
            if not first_chunk:
                reader = None
    if reader is None:
        sock.resume()                    # drop what the peer sends, so that its end (and 'close') arrives
        sock.end()
        await wait_closed(sock, CLOSE_GRACE)
        # e.g. a TLS 1.3 server's alert refusing our certificate, which comes after 'secureConnect'
        if connection.errors:
            raise connection.errors[0]
        return 0

    def on_data(data: bytes) -> None:
        try:
            sys.stdout.buffer.write(data)
            sys.stdout.buffer.flush()
        except BrokenPipeError:          # e.g. `| head -1`: nobody reads any more
            # Python's advice: point stdout at devnull, or the flush at exit complains again.
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            sock.destroy()

    sock.on("data", on_data)
    pump = asyncio.ensure_future(pump_to_socket(reader, sock, first_chunk))
    try:
        if not sock.closed:              # it may have failed while we waited for stdin
            await next_event(sock, "close")
    finally:
        pump.cancel()
    if connection.errors:
        raise connection.errors[0]
    return 0


def run(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    try:
        host, port = parse_target(args.target)
    except argparse.ArgumentTypeError as exc:
        parser.error(str(exc))
    if (args.cert is None) != (args.key is None) and args.pfx is None:
        parser.error("--cert and --key go together")
    return asyncio.run(_client(args, host, port))
