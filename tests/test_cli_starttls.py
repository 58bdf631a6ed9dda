"""``python -m tls client --starttls PROTO`` against small STARTTLS servers written here.

Each server is a thread with a blocking socket: it plays its protocol's plaintext exchange (what a real
server says, and checks what the client says back, byte for byte), upgrades the same connection with
Python's ``ssl`` (``wrap_socket(server_side=True)``), reads the client's line over TLS and answers it.
The client must verify the server, pipe its stdin over TLS and print the server's answer; its JSON
carries the plaintext transcript.  A server that does not offer STARTTLS is refused with one error line.
"""
from __future__ import annotations

import socket
import ssl
import struct
import threading
from typing import List, Optional, Tuple

import pytest

from support.aio import async_test
from support.cli import TIMEOUT, assert_no_traceback, json_summary, run_cli, text

# (who, bytes): 'S' the server sends them, 'C' the client must send exactly them.
Script = List[Tuple[str, bytes]]

XMPP_OPEN = (b"<?xml version='1.0'?><stream:stream xmlns:stream='http://etherx.jabber.org/streams' "
             b"xmlns='jabber:client' to='localhost' version='1.0'>")
SCRIPTS = {
    "smtp": [("S", b"220-mail.test ESMTP\r\n220 ready\r\n"), ("C", b"EHLO mail.example.com\r\n"),
             ("S", b"250-mail.test\r\n250-PIPELINING\r\n250 STARTTLS\r\n"), ("C", b"STARTTLS\r\n"),
             ("S", b"220 2.0.0 go ahead\r\n")],
    "imap": [("S", b"* OK IMAP4rev1 ready\r\n"), ("C", b". CAPABILITY\r\n"),
             ("S", b"* CAPABILITY IMAP4rev1 STARTTLS LOGINDISABLED\r\n. OK done\r\n"), ("C", b". STARTTLS\r\n"),
             ("S", b". OK begin TLS\r\n")],
    "pop3": [("S", b"+OK POP3 ready\r\n"), ("C", b"STLS\r\n"), ("S", b"+OK begin TLS\r\n")],
    "ftp": [("S", b"220-welcome\r\n220 FTP ready\r\n"), ("C", b"AUTH TLS\r\n"), ("S", b"234 AUTH TLS ok\r\n")],
    "xmpp": [("C", XMPP_OPEN),
             ("S", b"<?xml version='1.0'?><stream:stream from='localhost' id='1' version='1.0' "
                   b"xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'><stream:features>"
                   b"<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'><required/></starttls></stream:features>"),
             ("C", b"<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>"),
             ("S", b"<proceed xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>")],
    "postgres": [("C", b"\x00\x00\x00\x08\x04\xd2\x16\x2f"), ("S", b"S")],
}


class StarttlsServer:
    """``connections`` connections in turn, each: the script in plaintext, then TLS (when ``context`` is
    given): one line, one answer (a connection the client ends without a line gets none)."""

    def __init__(self, script: Script, context: Optional[ssl.SSLContext], name: str, connections: int = 1,
                 reset: bool = False) -> None:
        self.script = script
        self.reset = reset
        self.context = context
        self.name = name
        self.connections = connections
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.listener.settimeout(TIMEOUT)
        self.port = self.listener.getsockname()[1]
        self.received: Optional[bytes] = None
        self.lines: List[bytes] = []
        self.error: Optional[BaseException] = None
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        try:
            for _ in range(self.connections):
                conn, _ = self.listener.accept()
                conn.settimeout(TIMEOUT)
                with conn:
                    self._exchange(conn)
        except BaseException as exc:    # reported by join()
            self.error = exc
        finally:
            self.listener.close()

    def _exchange(self, conn: socket.socket) -> None:
        for who, data in self.script:
            if who == "S":
                conn.sendall(data)
                continue
            got = b""
            while len(got) < len(data):
                chunk = conn.recv(len(data) - len(got))     # never more: the ClientHello must stay unread
                if not chunk:
                    raise AssertionError("the client closed; got %r, expected %r" % (got, data))
                got += chunk
            assert got == data, (got, data)
        if self.context is None:
            if self.script[-1][0] == "S":
                conn.recv(1)                                # wait for the client to give up
            elif self.reset:                                # an RST rather than a FIN
                conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            return                                          # (after the client's line: hang up at once)
        with self.context.wrap_socket(conn, server_side=True) as tls_conn:
            line = b""
            while not line.endswith(b"\n"):
                chunk = tls_conn.recv(1024)
                if not chunk:
                    break
                line += chunk
            self.lines.append(line)
            self.received = line
            if line:
                tls_conn.sendall(b"%s over TLS: %s" % (self.name.encode(), line))
                tls_conn.unwrap()

    def join(self) -> None:
        self.thread.join(TIMEOUT)
        assert not self.thread.is_alive(), "the STARTTLS server did not finish"
        if self.error is not None:
            raise self.error


def _server_context(pems) -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(pems.path("cert"), pems.path("key"))
    return context


@pytest.mark.parametrize("protocol", sorted(SCRIPTS))
@async_test(TIMEOUT)
async def test_starttls_upgrades_and_pipes(protocol, pems):
    server = StarttlsServer(SCRIPTS[protocol], _server_context(pems), protocol)
    cli = await run_cli("client", "localhost:%d" % server.port, "--starttls", protocol, "--ca", pems.path("ca"),
                        "--json", stdin=b"hello\n")
    server.join()
    assert cli.proc.returncode == 0, text(cli.stderr)
    assert_no_traceback(cli)
    assert cli.stdout.split(b"\n", 1)[1] == b"%s over TLS: hello\n" % protocol.encode()
    assert server.received == b"hello\n"
    summary = json_summary(cli)
    assert summary["starttls"] == protocol and summary["servername"] == "localhost"
    connection = summary["connection"]
    assert connection["authorized"] is True
    # the transcript: both sides, in order (one entry per line, or per XML element / postgres reply)
    sides = [item["from"] for item in connection["starttls"]]
    assert sides[0] == ("client" if protocol in ("xmpp", "postgres") else "server")
    assert sides[-1] == "server"
    said = "\n".join(item["text"] for item in connection["starttls"] if item["from"] == "client")
    for who, data in SCRIPTS[protocol]:
        if who == "C" and protocol != "postgres":
            assert data.decode().strip() in said


@async_test(TIMEOUT)
async def test_starttls_reconnect_runs_the_exchange_again_and_resumes(pems):
    server = StarttlsServer(SCRIPTS["imap"], _server_context(pems), "imap", connections=2)
    cli = await run_cli("client", "localhost:%d" % server.port, "--starttls", "imap", "--ca", pems.path("ca"),
                        "--reconnect", "--json", stdin=b"again\n")
    server.join()
    assert cli.proc.returncode == 0, text(cli.stderr)
    summary = json_summary(cli)
    assert summary["reconnect"]["sessionOffered"] is True and summary["reconnect"]["sessionReused"] is True
    assert server.lines == [b"", b"again\n"]               # the first connection only gave its session
    assert cli.stdout.split(b"\n", 1)[1] == b"imap over TLS: again\n"


@async_test(TIMEOUT)
async def test_starttls_text_summary_and_trace_show_the_exchange(pems):
    server = StarttlsServer(SCRIPTS["pop3"], _server_context(pems), "pop3")
    cli = await run_cli("client", "localhost:%d" % server.port, "--starttls", "pop3", "--ca", pems.path("ca"),
                        "--trace", stdin=b"hi\n")
    server.join()
    assert cli.proc.returncode == 0, text(cli.stderr)
    out = text(cli.stderr)
    assert "STARTTLS        pop3, 3 lines exchanged in plaintext first\n" in out
    assert "STARTTLS exchange (S: the server, C: us):\n  S: +OK POP3 ready\n  C: STLS\n  S: +OK begin TLS\n" in out
    assert "verification    OK (authorized)\n" in out


@async_test(TIMEOUT)
async def test_a_server_without_starttls_is_one_error_line():
    script = [("S", b"220 mail.test ESMTP\r\n"), ("C", b"EHLO mail.example.com\r\n"),
              ("S", b"250-mail.test\r\n250 PIPELINING\r\n")]
    server = StarttlsServer(script, None, "smtp")
    cli = await run_cli("client", "127.0.0.1:%d" % server.port, "--starttls", "smtp", "--no-stdin")
    server.join()
    assert cli.proc.returncode == 1
    assert text(cli.stderr) == ("error: ERR_CLI_STARTTLS: smtp: the server does not offer STARTTLS (its EHLO "
                                "reply: 250-mail.test | 250 PIPELINING)\n")


@pytest.mark.parametrize("reset,error", [
    (False, "error: ERR_CLI_STARTTLS: pop3: the server closed the connection after 'STLS'\n"),
    (True, "error: ECONNRESET: read ECONNRESET\n"),
], ids=["fin", "rst"])
@async_test(TIMEOUT)
async def test_a_server_that_hangs_up_mid_exchange_is_one_error_line(reset, error):
    server = StarttlsServer([("S", b"+OK POP3 ready\r\n"), ("C", b"STLS\r\n")], None, "pop3", reset=reset)
    cli = await run_cli("client", "127.0.0.1:%d" % server.port, "--starttls", "pop3", "--no-stdin")
    server.join()
    assert cli.proc.returncode == 1
    assert text(cli.stderr) == error
