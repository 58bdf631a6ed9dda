"""``python -m tls client --starttls PROTO``: the plaintext exchange before the handshake.

Mail, chat, file-transfer and database protocols start in plaintext on their
own port and upgrade the same TCP connection to TLS when the client asks.
This module speaks each protocol just far enough to get the server's "go
ahead", on a plain ``tls.net`` socket, and hands that socket to
``tls.connect({'socket': ...})`` (Node's way to run TLS over a connection that
exists already).  The exchanges follow ``openssl s_client -starttls``:

========  ====================================================================
smtp      greeting ``220``; ``EHLO``; the ``250`` reply must list STARTTLS;
          ``STARTTLS``; ``220``
imap      greeting ``* OK``; ``. CAPABILITY`` must list STARTTLS;
          ``. STARTTLS``; ``. OK``
pop3      greeting ``+OK``; ``STLS``; ``+OK``
ftp       greeting ``220``; ``AUTH TLS``; ``234``
xmpp      our ``<stream:stream to=...>``; the server's features must hold
          ``<starttls``; ``<starttls xmlns=.../>``; ``<proceed``
postgres  the 8-byte SSLRequest; the server answers ``S`` (``N`` refuses)
========  ====================================================================

Multi-line replies (``250-...`` then ``250 ...``) are read to their last line.
Every step waits for the server with the client's ``--timeout``; a server that
answers otherwise, closes, or sends more than its go-ahead (bytes that would be
taken for TLS records) ends the run with ``error: ERR_CLI_STARTTLS: ...`` and
what it said.  The exchange is recorded (``S:``/``C:`` lines) for the summary.
"""
from __future__ import annotations

import asyncio
from typing import Any, Awaitable, Callable, Dict, List, Optional, Tuple

from .common import CliError

__all__ = ["PROTOCOLS", "Transcript", "starttls"]

SMTP_EHLO_NAME = "mail.example.com"         # what s_client says; servers greet anything
XMPP_NS_TLS = "urn:ietf:params:xml:ns:xmpp-tls"
POSTGRES_SSL_REQUEST = b"\x00\x00\x00\x08\x04\xd2\x16\x2f"     # length 8, code 80877103
MAX_REPLY = 64 * 1024

Transcript = List[Tuple[str, str]]


def _fail(protocol: str, what: str) -> CliError:
    return CliError("ERR_CLI_STARTTLS", "%s: %s" % (protocol, what))


class PlainChannel:
    """The plain socket as lines/bytes to await, and a transcript of both directions."""

    def __init__(self, sock: Any, protocol: str) -> None:
        self.sock = sock
        self.protocol = protocol
        self.transcript: Transcript = []
        self._buffer = b""
        self._ended = False
        # A socket error (ECONNRESET...) ends the exchange with that error; listening also keeps it
        # from being raised out of the event loop as an 'error' nobody listens to.
        self._error: Optional[BaseException] = None
        self._changed = asyncio.Event()
        sock.on("data", self._on_data)
        sock.on("end", self._on_end)
        sock.on("close", self._on_end)
        sock.on("error", self._on_error)

    def _on_data(self, data: bytes) -> None:
        self._buffer += bytes(data)
        self._changed.set()

    def _on_end(self, *_: Any) -> None:
        self._ended = True
        self._changed.set()

    def _on_error(self, error: BaseException) -> None:
        self._error = error
        self._on_end()

    def detach(self) -> None:
        """Stop listening: from here on the bytes are TLS records, for the TLSSocket."""
        self.sock.removeListener("data", self._on_data)
        self.sock.removeListener("end", self._on_end)
        self.sock.removeListener("close", self._on_end)
        self.sock.removeListener("error", self._on_error)
        if self._buffer:
            raise _fail(self.protocol, "the server sent %d more bytes after its go-ahead: %r"
                        % (len(self._buffer), self._buffer[:80]))

    def send(self, data: bytes, shown: str = "") -> None:
        self.transcript.append(("C", shown or data.decode("utf-8", "replace").rstrip("\r\n")))
        self.sock.write(data)

    async def _more(self) -> None:
        if self._error is not None:
            raise self._error
        if self._ended:
            raise _fail(self.protocol, "the server closed the connection" +
                        (" after %r" % self.transcript[-1][1] if self.transcript else ""))
        if len(self._buffer) > MAX_REPLY:
            raise _fail(self.protocol, "no end of line in the server's first %d bytes" % MAX_REPLY)
        self._changed.clear()
        await self._changed.wait()

    async def line(self) -> str:
        while b"\n" not in self._buffer:
            await self._more()
        raw, self._buffer = self._buffer.split(b"\n", 1)
        text = raw.rstrip(b"\r").decode("utf-8", "replace")
        self.transcript.append(("S", text))
        return text

    async def until(self, *needles: str) -> str:
        """Everything up to and including the first of ``needles`` (XMPP has no lines)."""
        while True:
            text = self._buffer.decode("utf-8", "replace")
            found = [text.find(needle) for needle in needles if needle in text]
            if found:
                end = text.find(">", min(found))
                if end != -1:
                    size = len(text[:end + 1].encode("utf-8"))
                    chunk, self._buffer = self._buffer[:size], self._buffer[size:]
                    shown = chunk.decode("utf-8", "replace").strip()
                    self.transcript.append(("S", shown))
                    return shown
            await self._more()

    async def exactly(self, size: int) -> bytes:
        while len(self._buffer) < size:
            await self._more()
        data, self._buffer = self._buffer[:size], self._buffer[size:]
        self.transcript.append(("S", repr(data)))
        return data

    async def reply(self) -> List[str]:
        """One reply of the 'ddd-text ... ddd text' kind (SMTP, FTP): all its lines."""
        lines = [await self.line()]
        while len(lines[-1]) >= 4 and lines[-1][3] == "-":
            lines.append(await self.line())
        return lines

    async def expect_code(self, code: str, step: str) -> List[str]:
        lines = await self.reply()
        if not lines[-1].startswith(code):
            raise _fail(self.protocol, "%s: expected %s, the server said %r" % (step, code, lines[-1]))
        return lines


async def _smtp(channel: PlainChannel, host: str) -> None:
    await channel.expect_code("220", "greeting")
    channel.send(b"EHLO %s\r\n" % SMTP_EHLO_NAME.encode())
    features = await channel.expect_code("250", "EHLO")
    if not any(line[4:].strip().upper().startswith("STARTTLS") for line in features):
        raise _fail("smtp", "the server does not offer STARTTLS (its EHLO reply: %s)" % " | ".join(features))
    channel.send(b"STARTTLS\r\n")
    await channel.expect_code("220", "STARTTLS")


async def _imap_command(channel: PlainChannel, command: str) -> List[str]:
    channel.send(b". " + command.encode() + b"\r\n")
    lines = [await channel.line()]
    while not lines[-1].startswith(". "):
        lines.append(await channel.line())
    if not lines[-1][2:].upper().startswith("OK"):
        raise _fail("imap", "%s: the server said %r" % (command, lines[-1]))
    return lines


async def _imap(channel: PlainChannel, host: str) -> None:
    greeting = await channel.line()
    if not greeting.upper().startswith("* OK"):
        raise _fail("imap", "greeting: expected '* OK', the server said %r" % greeting)
    capabilities = await _imap_command(channel, "CAPABILITY")
    if not any("STARTTLS" in line.upper().split() for line in capabilities if line.startswith("* ")):
        raise _fail("imap", "the server does not offer STARTTLS (%s)" % " | ".join(capabilities))
    await _imap_command(channel, "STARTTLS")


async def _pop3(channel: PlainChannel, host: str) -> None:
    greeting = await channel.line()
    if not greeting.startswith("+OK"):
        raise _fail("pop3", "greeting: expected '+OK', the server said %r" % greeting)
    channel.send(b"STLS\r\n")
    answer = await channel.line()
    if not answer.startswith("+OK"):
        raise _fail("pop3", "STLS: expected '+OK', the server said %r" % answer)


async def _ftp(channel: PlainChannel, host: str) -> None:
    await channel.expect_code("220", "greeting")
    channel.send(b"AUTH TLS\r\n")
    await channel.expect_code("234", "AUTH TLS")


async def _xmpp(channel: PlainChannel, host: str) -> None:
    channel.send(("<?xml version='1.0'?><stream:stream xmlns:stream='http://etherx.jabber.org/streams' "
                  "xmlns='jabber:client' to='%s' version='1.0'>" % host).encode())
    features = await channel.until("<starttls", "</stream:features>", "<stream:error")
    if "<starttls" not in features:
        raise _fail("xmpp", "the server does not offer STARTTLS (%s)" % features)
    channel.send(("<starttls xmlns='%s'/>" % XMPP_NS_TLS).encode())
    answer = await channel.until("<proceed", "<failure")
    if "<proceed" not in answer:
        raise _fail("xmpp", "the server refused STARTTLS (%s)" % answer)


async def _postgres(channel: PlainChannel, host: str) -> None:
    channel.send(POSTGRES_SSL_REQUEST, "SSLRequest")
    answer = await channel.exactly(1)
    if answer != b"S":
        raise _fail("postgres", "the server refused SSL (it answered %r)" % answer)


PROTOCOLS: Dict[str, Callable[[PlainChannel, str], Awaitable[None]]] = {
    "smtp": _smtp, "imap": _imap, "pop3": _pop3, "ftp": _ftp, "xmpp": _xmpp, "postgres": _postgres,
}


async def starttls(sock: Any, protocol: str, host: str, timeout: float) -> Transcript:
    """Run ``protocol``'s exchange on the connected plain ``sock``; its transcript.  The socket is then
    ready for ``tls.connect({'socket': sock})``."""
    channel = PlainChannel(sock, protocol)
    try:
        try:
            await asyncio.wait_for(PROTOCOLS[protocol](channel, host), timeout)
        except asyncio.TimeoutError:
            last = channel.transcript[-1] if channel.transcript else None
            raise _fail(protocol, "no answer within %g s%s" % (
                timeout, " (last: %s: %s)" % last if last else "")) from None
        channel.detach()
    except BaseException:            # whatever ends the exchange (even a cancel) leaves no socket open
        sock.destroy()
        raise
    return channel.transcript
