"""The transport under asyncio's streams: ``TLSTransport`` over a ``tls.TLSSocket``, and ``SSLObjectView``.

:class:`TLSTransport` is an ``asyncio.Transport`` whose events are a
TLSSocket's (the mapping is told in streams.py's docstring: 'data' ->
``data_received``, 'drain' -> ``resume_writing``, 'end' ->
``eof_received``, 'close' -> ``connection_lost``).  :class:`SSLObjectView`
is ``get_extra_info('ssl_object')``: ``ssl.SSLObject``'s read-only methods
answered from the socket, with ``python_peercert`` turning Node's
certificate object into the dict ``ssl`` code expects from ``getpeercert()``.

Apart from streams.py because they are what asyncio's protocols see of one
connection, whoever made it; streams.py keeps the entry points
(``open_connection``, ``start_server``, their option handling and the
``Server``) and shows these two classes under its name (``tls.streams``).
"""
from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any, Dict, Optional, Tuple, Protocol, Set

from .._base.addresses import isIP
from .._binding import ffi, lib
from .._node.aio import shutdown
from .._objects.tlssocket import TLSSocket
from .._objects.x509 import _split_escaped_alt_names

if TYPE_CHECKING:
    from .._engine.context import SecureContext

__all__ = ["TLSTransport", "SSLObjectView", "python_peercert"]


class _TransportServer(Protocol):
    """What a transport asks of the streams Server that made it (streams.py implements it; a Protocol
    here, so that this module need not import the module that imports it)."""

    _transports: Set["TLSTransport"]


# -- the transport ---------------------------------------------------------------------------

class TLSTransport(asyncio.Transport):
    """An ``asyncio.Transport`` over a connected ``tls.TLSSocket`` (see the module docstring)."""

    def __init__(self, sock: TLSSocket, protocol: asyncio.BaseProtocol, half_open: bool = False,
                 server: Optional[_TransportServer] = None, shutdown_timeout: float = 30.0) -> None:
        super().__init__()
        self._sock = sock
        # an asyncio.Protocol (data_received, eof_received), typed as the Transport API has it
        self._protocol: Any = protocol
        self._half_open = half_open
        self._server = server
        self._closing = False
        self._lost = False
        self._eof_seen = False
        self._eof_written = False
        self._reading = True
        self._writing_paused = False
        self._error: Optional[BaseException] = None
        self._ssl_object: Optional[SSLObjectView] = None
        self._low_water = 0
        self._shutdown_timeout = shutdown_timeout
        raw = getattr(sock, "_transport", None)
        self._extra: Dict[str, Any] = {}
        for name in ("peername", "sockname", "socket"):
            self._extra[name] = raw.get_extra_info(name) if raw is not None else None
        if self._extra["peername"] is None and sock.remoteAddress is not None:
            self._extra["peername"] = (sock.remoteAddress, sock.remotePort)
        if self._extra["sockname"] is None and sock.localAddress is not None:
            self._extra["sockname"] = (sock.localAddress, sock.localPort)
        sock.on("end", self._on_end)
        sock.on("drain", self._on_drain)
        sock.on("finish", self._on_drain)
        sock.on("error", self._on_error)
        sock.on("close", self._on_close)
        if server is not None:
            server._transports.add(self)

    def _start(self) -> None:
        """Hand the transport to the protocol, then let the data flow."""
        sock = self._sock
        self._protocol.connection_made(self)
        sock.on("data", self._on_data)
        if sock.isPaused():
            sock.resume()
        # what happened before we were listening ('end' / 'close' already emitted)
        if sock.readableEnded and not self._eof_seen and not sock.destroyed:
            self._on_end()
        if sock.closed and not self._lost:
            self._on_close(sock._destroy_error is not None)

    # -- socket events -------------------------------------------------------------------
    def _on_data(self, chunk: Any) -> None:
        if not self._closing:
            self._protocol.data_received(chunk if type(chunk) is bytes else
                                         chunk.encode() if isinstance(chunk, str) else bytes(chunk))

    def _on_end(self, *_: Any) -> None:
        if self._eof_seen:
            return
        self._eof_seen = True
        keep_open = self._protocol.eof_received()
        if not keep_open and not self._half_open:
            self.close()

    def _on_drain(self, *_: Any) -> None:
        if self._writing_paused:
            self._writing_paused = False
            self._protocol.resume_writing()

    def _on_error(self, err: BaseException) -> None:
        if self._error is None:
            self._error = err

    def _on_close(self, *_: Any) -> None:
        if self._lost:
            return
        self._lost = True
        self._closing = True
        if self._server is not None:
            self._server._transports.discard(self)
        if self._error is None and self._sock._destroy_error is not None:
            self._error = self._sock._destroy_error
        self._protocol.connection_lost(self._error)

    # -- asyncio.BaseTransport -----------------------------------------------------------
    def get_extra_info(self, name: str, default: Any = None) -> Any:
        if name == "tls_socket":
            return self._sock
        if name in self._extra:
            value = self._extra[name]
            return default if value is None else value
        if name == "sslcontext":
            return self._sock._secure_context
        if name == "ssl_object":
            return self._ssl_view()
        if name == "peercert":
            return self._ssl_view().getpeercert()
        if name == "cipher":
            return self._ssl_view().cipher()
        if name == "compression":
            return None
        raw = getattr(self._sock, "_transport", None)
        return raw.get_extra_info(name, default) if raw is not None else default

    def _ssl_view(self) -> "SSLObjectView":
        if self._ssl_object is None:
            self._ssl_object = SSLObjectView(self._sock)
        return self._ssl_object

    def is_closing(self) -> bool:
        return self._closing or self._lost

    def close(self) -> None:
        """Flush what is written, send close_notify and FIN, read on (dropping the
        data) until the peer ends too, then close; destroy after
        ``tls._aio.SHUTDOWN_TIMEOUT`` seconds without the peer's end (as
        asyncio's TLS transports do, with their ``ssl_shutdown_timeout``)."""
        if self._closing:
            return
        self._closing = True
        shutdown(self._sock, self._shutdown_timeout)

    def set_protocol(self, protocol: asyncio.BaseProtocol) -> None:
        self._protocol = protocol

    def get_protocol(self) -> asyncio.BaseProtocol:
        protocol: asyncio.BaseProtocol = self._protocol
        return protocol

    # -- asyncio.ReadTransport -----------------------------------------------------------
    def is_reading(self) -> bool:
        return self._reading and not self.is_closing()

    def pause_reading(self) -> None:
        if self._reading and not self.is_closing():
            self._reading = False
            self._sock.pause()

    def resume_reading(self) -> None:
        if not self._reading and not self.is_closing():
            self._reading = True
            self._sock.resume()

    # -- asyncio.WriteTransport ----------------------------------------------------------
    def set_write_buffer_limits(self, high: Optional[int] = None, low: Optional[int] = None) -> None:
        """``high`` becomes the socket's ``writableHighWaterMark`` (Node's default
        16 KiB until set; asyncio's 64 KiB when only ``low`` is given)."""
        if high is None:
            high = 4 * low if low is not None else 64 * 1024
        if low is None:
            low = high // 4
        if not high >= low >= 0:
            raise ValueError("high (%r) must be >= low (%r) must be >= 0" % (high, low))
        self._sock.writableHighWaterMark = high
        self._low_water = low

    def get_write_buffer_limits(self) -> Tuple[int, int]:
        return self._low_water, self._sock.writableHighWaterMark

    def get_write_buffer_size(self) -> int:
        return self._sock.writableLength

    def write(self, data: Any) -> None:
        if not isinstance(data, (bytes, bytearray, memoryview)):
            raise TypeError("data argument must be a bytes-like object, not %r" % type(data).__name__)
        if self._eof_written:
            raise RuntimeError("Cannot call write() after write_eof()")
        if not data:
            return
        sock = self._sock
        if self._lost or sock.destroyed or sock.writableEnded:
            return  # closed: dropped, as asyncio's transports drop writes after the connection is lost
        if sock.write(data if type(data) is bytes else bytes(data)) is False and not self._writing_paused:
            self._writing_paused = True
            self._protocol.pause_writing()

    def write_eof(self) -> None:
        """Node's ``end()``: close_notify, then FIN."""
        if self._eof_written:
            return
        self._eof_written = True
        if not self._sock.destroyed:
            self._sock.end()

    def can_write_eof(self) -> bool:
        return True

    def abort(self) -> None:
        """Close at once (Node's ``destroy()``), dropping what is not sent."""
        self._closing = True
        sock = self._sock
        raw = getattr(sock, "_transport", None)
        if not sock.destroyed:
            sock.destroy()
        if raw is not None:
            try:
                raw.abort()
            except Exception:  # pragma: no cover - already closed
                pass

    def __repr__(self) -> str:
        state = "closed" if self._lost else "closing" if self._closing else "open"
        return "<TLSTransport %s %r>" % (state, self._extra.get("peername"))


# -- ssl_object / peercert / cipher -------------------------------------------------------

def _long_name(short: str) -> str:
    nid = lib.OBJ_sn2nid(short.encode())
    if nid == 0:
        nid = lib.OBJ_txt2nid(short.encode())
    if nid == 0:
        return short
    long_name: bytes = ffi.string(lib.OBJ_nid2ln(nid))
    return long_name.decode()


def _python_name(name: Optional[Dict[str, Any]]) -> Tuple[Any, ...]:
    rdns = []
    for key, value in (name or {}).items():
        for item in (value if isinstance(value, list) else [value]):
            rdns.append(((_long_name(key), item),))
    return tuple(rdns)


def _der_version(der: bytes) -> int:
    """The X.509 version (1, 2, 3) of a DER certificate: TBSCertificate's optional [0] field."""
    def header(offset: int) -> Tuple[int, int]:   # (start of contents, length)
        length = der[offset + 1]
        offset += 2
        if length & 0x80:
            count = length & 0x7F
            length = int.from_bytes(der[offset:offset + count], "big")
            offset += count
        return offset, length

    try:
        tbs, _ = header(0)             # Certificate SEQUENCE
        inner, _ = header(tbs)         # TBSCertificate SEQUENCE
        if der[inner] == 0xA0:         # [0] EXPLICIT Version
            value, _ = header(inner)
            contents, length = header(value)
            return der[contents + length - 1] + 1
    except IndexError:
        pass
    return 1


def python_peercert(cert: Optional[Dict[str, Any]]) -> Optional[Dict[str, Any]]:
    """A Node certificate object as ``ssl.SSLSocket.getpeercert()`` gives it."""
    if not cert:
        return None
    out: Dict[str, Any] = {"subject": _python_name(cert.get("subject")),
                           "issuer": _python_name(cert.get("issuer"))}
    raw = cert.get("raw")
    if raw:
        out["version"] = _der_version(raw)
    if cert.get("serialNumber"):
        out["serialNumber"] = cert["serialNumber"].upper()
    out["notBefore"] = cert.get("valid_from")
    out["notAfter"] = cert.get("valid_to")
    alt = cert.get("subjectaltname")
    if alt:
        names = []
        for entry in _split_escaped_alt_names(alt):
            kind, _, value = entry.partition(":")
            names.append((kind, value))
        out["subjectAltName"] = tuple(names)
    access = cert.get("infoAccess") or {}
    for node_key, python_key in (("OCSP - URI", "OCSP"), ("CA Issuers - URI", "caIssuers")):
        if access.get(node_key):
            out[python_key] = tuple(access[node_key])
    return out


class SSLObjectView:
    """The read-only part of ``ssl.SSLObject`` over a ``tls.TLSSocket``
    (``writer.get_extra_info('ssl_object')``); ``tls_socket`` is the socket."""

    def __init__(self, sock: TLSSocket) -> None:
        self.tls_socket = sock

    @property
    def server_side(self) -> bool:
        return bool(self.tls_socket._is_server)

    @property
    def server_hostname(self) -> Optional[str]:
        sock = self.tls_socket
        if sock._is_server:
            return None
        options = sock._connect_options or {}
        name = options.get("servername")
        if not name:   # Node sends the host as SNI unless it is an IP address
            host = options.get("host")
            name = host if host and not isIP(host) else sock.servername
        return name or None

    @property
    def context(self) -> SecureContext:
        return self.tls_socket._secure_context

    @property
    def session_reused(self) -> bool:
        return bool(self.tls_socket.isSessionReused())

    @property
    def session(self) -> Optional[bytes]:
        """The session as Node gives it (DER ``bytes``, for the ``session`` option)."""
        return self.tls_socket.getSession()

    def getpeercert(self, binary_form: bool = False) -> Any:
        cert = self.tls_socket.getPeerCertificate()
        if not cert:
            return None
        if binary_form:
            return cert.get("raw")
        if not self.tls_socket.authorized:
            return {}  # as ssl: a certificate that was not validated gives an empty dict
        return python_peercert(cert)

    def cipher(self) -> Optional[Tuple[str, str, int]]:
        sock = self.tls_socket
        info = sock.getCipher()
        engine = getattr(sock, "_engine", None)
        if not info or engine is None:
            return None
        current = lib.SSL_get_current_cipher(engine.ssl)
        bits = lib.SSL_CIPHER_get_bits(current, ffi.NULL) if current != ffi.NULL else 0
        return info["name"], info["version"], bits

    def shared_ciphers(self) -> None:
        return None

    def compression(self) -> None:
        return None

    def version(self) -> Optional[str]:
        return self.tls_socket.getProtocol()

    def selected_alpn_protocol(self) -> Optional[str]:
        return self.tls_socket.alpnProtocol or None

    def selected_npn_protocol(self) -> Optional[str]:
        return getattr(self.tls_socket, "npnProtocol", None) or None

    def pending(self) -> int:
        return 0

    def get_channel_binding(self, cb_type: str = "tls-unique") -> Optional[bytes]:
        """'tls-unique': the first Finished message of the handshake (as ``ssl``)."""
        if cb_type != "tls-unique":
            raise ValueError("Unsupported channel binding type %r" % (cb_type,))
        sock = self.tls_socket
        own_first = bool(sock.isSessionReused()) != bool(sock._is_server)
        return sock.getFinished() if own_first else sock.getPeerFinished()

    def __repr__(self) -> str:
        return "<SSLObjectView of %r>" % (self.tls_socket,)
