"""What the subcommands share: argument types, errors, waiting on events, and stdin.

Only the standard library is imported at module level, so that
``python -m tls --help`` stays fast; ``tls`` itself is imported by the
subcommands when they run.
"""
from __future__ import annotations

import argparse
import asyncio
import os
import threading
from typing import Any, Dict, Hashable, List, Optional, Tuple

__all__ = [
    "CliError", "StdinReader", "TLS_VERSIONS", "add_version_options", "alpn_list", "describe_error",
    "next_event", "read_file", "wait_closed",
]

TLS_VERSIONS = ("TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3")
STDIN_CHUNK = 64 * 1024


class CliError(Exception):
    """A failure to report as ``error: <code>: <message>`` with exit status 1."""

    def __init__(self, code: str, message: str, hint: Optional[str] = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        # printed on a line of its own after the error: what the user probably meant
        self.hint = hint


def describe_error(exc: BaseException) -> Tuple[str, str]:
    """(code, message) for any exception a subcommand lets escape: Node's code when there is one."""
    code = getattr(exc, "code", None)
    message = getattr(exc, "message", None) or str(exc) or type(exc).__name__
    if not isinstance(code, str) or not code:
        if isinstance(exc, OSError) and exc.errno is not None:
            import errno
            code = errno.errorcode.get(exc.errno, "E%d" % exc.errno)
            message = exc.strerror or message
        else:
            code = type(exc).__name__
    return code, message


# -- argument types (errors here become argparse's "usage ... error: ..." and exit status 2) --------

def read_file(path: str) -> bytes:
    """An argparse type: the file's bytes ('-' is not accepted: stdin is for data)."""
    try:
        with open(path, "rb") as file:
            return file.read()
    except OSError as exc:
        raise argparse.ArgumentTypeError("cannot read %r: %s" % (path, exc.strerror or exc)) from None


def alpn_list(text: str) -> List[str]:
    """An argparse type: ``h2,http/1.1`` -> ['h2', 'http/1.1']."""
    names = [name.strip() for name in text.split(",")]
    if not all(names) or any(len(name.encode()) > 255 for name in names):
        raise argparse.ArgumentTypeError("expected protocol names separated by commas, e.g. h2,http/1.1")
    return names


def positive_seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not value > 0:
        raise argparse.ArgumentTypeError("expected a number of seconds above 0, got %r" % text)
    return value


def add_version_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--min-version", choices=TLS_VERSIONS, metavar="V",
                        help="lowest TLS version to accept (TLSv1 .. TLSv1.3; default TLSv1.2)")
    parser.add_argument("--max-version", choices=TLS_VERSIONS, metavar="V",
                        help="highest TLS version to offer (default TLSv1.3)")


def version_options(args: argparse.Namespace) -> Dict[str, str]:
    options: Dict[str, str] = {}
    if args.min_version:
        options["minVersion"] = args.min_version
    if args.max_version:
        options["maxVersion"] = args.max_version
    return options


# -- events ----------------------------------------------------------------------------------------

async def next_event(emitter: Any, *names: Hashable) -> Tuple[Hashable, Tuple[Any, ...]]:
    """The first of ``names`` the emitter emits, with its arguments (an 'error' among them is returned,
    not raised). The listeners are removed afterwards."""
    future: "asyncio.Future[Tuple[Hashable, Tuple[Any, ...]]]" = asyncio.get_running_loop().create_future()
    listeners: Dict[Hashable, Any] = {}

    def make_listener(name: Hashable) -> Any:
        def listener(*args: Any) -> None:
            if not future.done():
                future.set_result((name, args))
        return listener

    for name in names:
        listeners[name] = make_listener(name)
        emitter.on(name, listeners[name])
    try:
        return await future
    finally:
        for name, listener in listeners.items():
            emitter.removeListener(name, listener)


async def wait_closed(sock: Any, timeout: float) -> None:
    """Wait for a socket's 'close' (it was ended); destroy it if the peer takes longer than ``timeout``."""
    if sock.closed:          # 'close' was emitted already
        return
    try:
        await asyncio.wait_for(next_event(sock, "close"), timeout)
    except asyncio.TimeoutError:
        sock.destroy()


# -- stdin -----------------------------------------------------------------------------------------

class StdinReader:
    """Standard input read by a daemon thread, for an asyncio consumer.

    A thread (not ``loop.connect_read_pipe``) because stdin may be a regular file, a pipe or a
    terminal, and only a blocking ``os.read`` handles all three everywhere.  Flow control: the
    thread reads the next chunk only after :meth:`read` handed out the previous one, so a slow
    peer never makes us buffer all of stdin.
    """

    def __init__(self, fd: int = 0) -> None:
        self._fd = fd
        self._loop = asyncio.get_running_loop()
        self._queue: "asyncio.Queue[bytes]" = asyncio.Queue()
        self._handed_out = threading.Event()
        self._thread = threading.Thread(target=self._run, name="tls-cli-stdin", daemon=True)
        self._thread.start()

    @staticmethod
    def is_terminal(fd: int = 0) -> bool:
        try:
            return os.isatty(fd)
        except OSError:
            return False

    def _run(self) -> None:
        while True:
            try:
                chunk = os.read(self._fd, STDIN_CHUNK)
            except OSError:          # closed or unreadable stdin counts as empty
                chunk = b""
            try:
                self._loop.call_soon_threadsafe(self._queue.put_nowait, chunk)
            except RuntimeError:     # the loop is closed: nobody wants the rest
                return
            if not chunk:
                return
            self._handed_out.wait()
            self._handed_out.clear()

    async def read(self) -> bytes:
        """The next chunk of stdin; ``b''`` at end of file."""
        chunk = await self._queue.get()
        self._handed_out.set()
        return chunk


async def pump_to_socket(reader: StdinReader, sock: Any, first_chunk: Optional[bytes] = None) -> None:
    """Write stdin to ``sock`` (honouring 'drain') and ``end()`` it at end of file."""
    chunk = first_chunk if first_chunk is not None else await reader.read()
    while chunk:
        if sock.destroyed:
            return
        if sock.write(chunk) is False:
            name, _ = await next_event(sock, "drain", "close")
            if name == "close":
                return
        chunk = await reader.read()
    if not sock.destroyed:
        sock.end()
