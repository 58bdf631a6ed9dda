"""Resumption seen by real clients: Python's ``ssl`` (blocking, run in a thread so the
test's own loop keeps serving) and this package's ``tls.connect``, each for one
connection that reads until the server ends it.

* :func:`ssl_client` -- Python's ``ssl``: ``session_reused``, the session to pass back as
  ``session=``, the bytes received.
* :func:`tls_client` -- ``tls.connect``: ``isSessionReused()``, every session the
  ``'session'`` event gave (DER, to pass back as ``session``) with its ticket
  (``getTLSTicket()``: its first 16 bytes are the name of the key that encrypted it), and
  ``last``: the same pair for the session in use when the server ended the connection.
"""
from __future__ import annotations

import asyncio
import socket
import ssl
import time
from typing import Any, Dict, List, NamedTuple, Optional, Tuple

import tls

VERSIONS = {"TLSv1.2": ssl.TLSVersion.TLSv1_2, "TLSv1.3": ssl.TLSVersion.TLSv1_3}


_contexts: Dict[Tuple[bytes, str], ssl.SSLContext] = {}


class SSLResult(NamedTuple):
    reused: bool
    session: Any   # ssl.SSLSession
    data: bytes
    seconds: float  # connect to the end of the handshake


def ssl_client_sync(port: int, ca_pem: bytes, version: str = "TLSv1.3", session: Any = None,
                    servername: str = "localhost", timeout: float = 5.0) -> SSLResult:
    """One connection with Python's ssl; reads until the server's close_notify or EOF."""
    ctx = _contexts.get((ca_pem, version))
    if ctx is None:   # one per CA and version: ssl resumes a session only with the context that made it
        ctx = _contexts[(ca_pem, version)] = ssl.create_default_context(cadata=ca_pem.decode("ascii"))
        ctx.minimum_version = ctx.maximum_version = VERSIONS[version]
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as raw:
        start = time.monotonic()
        with ctx.wrap_socket(raw, server_hostname=servername, session=session) as conn:
            seconds = time.monotonic() - start
            data = b""
            try:
                while True:
                    chunk = conn.recv(65536)
                    if not chunk:
                        break
                    data += chunk
            except (ssl.SSLEOFError, ConnectionResetError):
                pass
            # TLS 1.3: the tickets came after the handshake, so the session is read last
            return SSLResult(conn.session_reused, conn.session, data, seconds)


async def ssl_client(port: int, ca_pem: bytes, version: str = "TLSv1.3", session: Any = None,
                     servername: str = "localhost", timeout: float = 5.0) -> SSLResult:
    """:func:`ssl_client_sync` in a thread."""
    return await asyncio.get_running_loop().run_in_executor(
        None, lambda: ssl_client_sync(port, ca_pem, version, session, servername, timeout))


async def tls_client(port: int, ca_pem: bytes, version: str = "TLSv1.3", session: Optional[bytes] = None,
                     servername: str = "localhost") -> Dict[str, Any]:
    """One ``tls.connect`` connection: ``reused``, ``sessions`` [(DER, ticket)], ``last``, ``data``."""
    loop = asyncio.get_running_loop()
    done: "asyncio.Future[Dict[str, Any]]" = loop.create_future()
    sessions: List[Tuple[bytes, Optional[bytes]]] = []
    res: Dict[str, Any] = {"sessions": sessions, "data": b""}
    c = tls.connect({"host": "127.0.0.1", "port": port, "ca": ca_pem, "servername": servername,
                     "minVersion": version, "maxVersion": version, "session": session})
    c.on("secureConnect", lambda: res.__setitem__("reused", c.isSessionReused()))
    c.on("session", lambda der: sessions.append((bytes(der), c.getTLSTicket())))
    c.on("data", lambda chunk: res.__setitem__("data", res["data"] + bytes(chunk)))
    # the session in use at the end: a TLS 1.2 client that resumed gets no 'session' (OpenSSL calls no
    # new-session callback on a resumed 1.2 handshake) even when the server renewed the ticket
    c.on("end", lambda: res.__setitem__("last", (c.getSession(), c.getTLSTicket())))
    c.on("error", lambda err: done.done() or done.set_exception(err))
    c.on("close", lambda *_: done.done() or done.set_result(res))
    return await asyncio.wait_for(done, 10.0)
