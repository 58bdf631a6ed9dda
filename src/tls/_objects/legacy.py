"""The deprecated APIs: ``tls.createSecurePair()``, ``SecurePair`` and ``CryptoStream``.

Node 20 (lib/internal/tls/secure-pair.js) builds a SecurePair from a pair of
connected in-memory duplex streams: ``pair.encrypted`` is one end (the
ciphertext, to be piped to and from a real socket), the other end is wrapped
by a ``TLSSocket``, which is ``pair.cleartext``.  This module does the same:
:class:`CryptoStream` is one end of such a pair and ``TLSSocket`` already
wraps any Node-style duplex stream (``_wrap.TLSSocket._wrap_stream``).

Stream rules of a :class:`CryptoStream` (Node's ``DuplexSocket``):

* what one end writes is read on the other end; a write returns False once
  the other end holds ``writableHighWaterMark`` (16 KiB) that nobody has
  read yet, and 'drain' follows when it was read; a write callback runs once
  the other end has emitted the chunk;
* ``end()`` ends the other end's readable side ('end' there once its buffer
  is read) and 'finish' follows that 'end' (Node's ``_final``);
* ``allowHalfOpen`` is True (Node's Duplex default, so the cleartext
  TLSSocket does not end its side by itself either);
* chunks are delivered on a later loop iteration, never from inside the
  writer's call, so a TLS engine is never re-entered by its own output.

What this keeps from the documented (pre-Node-12) SecurePair where Node 20
lost it, on purpose:

* ``CryptoStream.bytesWritten``: the number of bytes ``pair.encrypted`` has
  emitted, i.e. everything written to the socket it is piped to, TLS records
  included (Node 20's stream has no such property).
* 'secure' with ``pair.cleartext.authorized`` / ``authorizationError`` set
  from the peer's certificate verification (Node 20 leaves ``authorized``
  False), so the documented check works.
* A client pair starts its handshake on the next tick, as the original
  SecurePair did (Node 20 waits for the first cleartext write).
* Destroying an end ends the other end's readable side, so a socket piped
  from ``pair.encrypted`` is ended when the TLS side fails (Node 20 leaves it
  open).
* The TLS side holds no reference on ``tls.run`` (like Node's JS streams): the
  socket it is piped to keeps the program alive.

``createSecurePair`` warns once per process with a ``DeprecationWarning``
whose ``code`` attribute is ``'DEP0064'`` (Node's text).
"""
from __future__ import annotations

import warnings
from collections import deque
from typing import Any, Callable, Deque, Dict, List, Optional, Tuple

from .._node import runtime as _runtime
from .._base.encoding import to_bytes
from .._base.encoding import _decoder
from .._base.nodeargs import _call_cb
from .._base.errors import NodeError
from .._node.events import EventEmitter
from .._base.options import TLS_SOCKET, take_options
from .configure_context import createSecureContext
from .tlssocket import TLSSocket

__all__ = ["CryptoStream", "SecurePair", "createSecurePair", "DEP0064_MESSAGE"]

DEP0064_MESSAGE = "tls.createSecurePair() is deprecated. Please use tls.TLSSocket instead."
HIGH_WATER_MARK = 16 * 1024

_warned = False


def _deprecation_warning() -> None:
    """Node's ``deprecate(fn, msg, 'DEP0064')``: the first call warns."""
    global _warned
    if _warned:
        return
    _warned = True
    warning = DeprecationWarning(DEP0064_MESSAGE)
    warning.code = "DEP0064"  # type: ignore[attr-defined]
    warnings.warn(warning, stacklevel=3)


class CryptoStream(EventEmitter):
    """One end of a connected pair of in-memory duplex streams.

    ``pair.encrypted`` is a CryptoStream: write the ciphertext that arrives
    from the network into it, and send what it emits ('data') to the network
    (``encrypted.pipe(socket); socket.pipe(encrypted)``).
    """

    writableHighWaterMark = HIGH_WATER_MARK
    readableHighWaterMark = HIGH_WATER_MARK
    allowHalfOpen = True

    def __init__(self) -> None:
        super().__init__()
        self._loop = _runtime.get_loop()
        self._other: Optional["CryptoStream"] = None
        self.destroyed = False
        # readable side
        self._rbuf: Deque[bytes] = deque()
        self._rlen = 0
        self._flowing: Optional[bool] = None
        self._eof = False                 # the other end ended (or went away)
        self._ended_emitted = False
        self._flow_scheduled = False
        self._decoder: Any = None
        self._bytes_out = 0
        self._pipes: List[Any] = []
        # writable side
        self._ending = False
        self._finished = False
        self._need_drain = False
        self._write_cbs: List[Callable[..., Any]] = []
        self._end_cbs: List[Callable[..., Any]] = []
        self._close_emitted = False

    # -- properties ------------------------------------------------------
    @property
    def bytesWritten(self) -> int:
        """Bytes this end has emitted: all that went to the socket it is piped to,
        TLS records included (the documented ``cryptoStream.bytesWritten``)."""
        return self._bytes_out

    @property
    def writableLength(self) -> int:
        other = self._other
        return other._rlen if other is not None else 0

    @property
    def writableNeedDrain(self) -> bool:
        return self._need_drain

    @property
    def readableLength(self) -> int:
        return self._rlen

    @property
    def readableFlowing(self) -> Optional[bool]:
        return self._flowing

    @property
    def writable(self) -> bool:
        return not (self.destroyed or self._ending)

    @property
    def readable(self) -> bool:
        return not (self.destroyed or self._ended_emitted)

    @property
    def writableEnded(self) -> bool:
        return self._ending

    @property
    def writableFinished(self) -> bool:
        return self._finished

    @property
    def readableEnded(self) -> bool:
        return self._ended_emitted

    @property
    def closed(self) -> bool:
        return self._close_emitted

    # -- readable side -------------------------------------------------------
    def _start_flowing(self) -> None:
        # Node: the first 'data' listener starts the flow unless paused explicitly.
        if self._flowing is None:
            self.resume()

    _first_listener_hooks = {"data": _start_flowing}

    def _push(self, chunk: bytes) -> None:
        if self.destroyed or self._eof:
            return
        self._rbuf.append(chunk)
        self._rlen += len(chunk)
        if self._flowing:
            self._schedule_flow()

    def _push_eof(self) -> None:
        if self._eof:
            return
        self._eof = True
        self._schedule_flow()

    def _schedule_flow(self) -> None:
        if not self._flow_scheduled and not self.destroyed:
            self._flow_scheduled = True
            self._loop.call_soon(self._flow)

    def _flow(self) -> None:
        self._flow_scheduled = False
        rbuf = self._rbuf
        while rbuf and self._flowing and not self.destroyed:
            chunk = rbuf.popleft()
            self._rlen -= len(chunk)
            self._bytes_out += len(chunk)
            if self._decoder is not None:
                text = self._decoder.decode(chunk)
                if text:
                    self.emit("data", text)
            else:
                self.emit("data", chunk)
        if self.destroyed:
            return
        writer = self._other
        if writer is not None and self._rlen < self.readableHighWaterMark:
            writer._taken()
        if self._eof and not rbuf and not self._ended_emitted:
            self._ended_emitted = True
            if self._decoder is not None:
                tail = self._decoder.decode(b"", True)
                if tail:
                    self.emit("data", tail)
            self.emit("end")
            if writer is not None:
                writer._other_ended()
            self._maybe_auto_destroy()

    def pause(self) -> "CryptoStream":
        self._flowing = False
        return self

    def resume(self) -> "CryptoStream":
        if not self._flowing:
            self._flowing = True
            self._schedule_flow()
        return self

    def isPaused(self) -> bool:
        return self._flowing is False

    def setEncoding(self, encoding: Optional[str] = None) -> "CryptoStream":
        self._decoder = _decoder("utf8" if encoding is None else encoding)
        return self

    def pipe(self, destination: Any, options: Optional[Dict[str, Any]] = None) -> Any:
        """Node's readable.pipe: write every chunk, respect 'drain', end at 'end'."""
        end = True if options is None else options.get("end", True)

        def ondata(chunk: Any) -> None:
            if destination.write(chunk) is False:
                self.pause()

        def ondrain(*_: Any) -> None:
            if self._flowing is False:
                self.resume()

        def onend(*_: Any) -> None:
            destination.end()

        destination.on("drain", ondrain)
        self.on("data", ondata)
        if end:
            self.once("end", onend)
        self._pipes.append((destination, ondata, ondrain, onend))
        if hasattr(destination, "emit"):
            destination.emit("pipe", self)
        if not self._flowing:
            self.resume()
        return destination

    def unpipe(self, destination: Any = None) -> "CryptoStream":
        keep = []
        for entry in self._pipes:
            dest, ondata, ondrain, onend = entry
            if destination is None or dest is destination:
                self.removeListener("data", ondata)
                self.removeListener("end", onend)
                dest.removeListener("drain", ondrain)
                if hasattr(dest, "emit"):
                    dest.emit("unpipe", self)
            else:
                keep.append(entry)
        self._pipes = keep
        if not keep and not self.listenerCount("data"):
            self._flowing = False
        return self

    # -- writable side -------------------------------------------------------
    def write(self, data: Any, encoding: Any = None, cb: Optional[Callable[..., Any]] = None) -> bool:
        if callable(encoding):
            cb, encoding = encoding, None
        if self.destroyed or self._ending:
            if self.destroyed:
                err = NodeError("Cannot call write after a stream was destroyed", "ERR_STREAM_DESTROYED")
            else:
                err = NodeError("write after end", "ERR_STREAM_WRITE_AFTER_END")
            if cb is not None:
                self._loop.call_soon(_call_cb, cb, err)
            if not self.destroyed:
                self.destroy(err)
            return False
        chunk = to_bytes(data, encoding)
        other = self._other
        if chunk and other is not None:
            other._push(chunk)
        if cb is not None:
            if other is None or other._rlen == 0 or other.destroyed:
                self._loop.call_soon(_call_cb, cb, None)
            else:
                self._write_cbs.append(cb)
        if other is not None and other._rlen >= self.writableHighWaterMark:
            self._need_drain = True
            return False
        return True

    def _taken(self) -> None:
        """The other end emitted what we wrote: 'drain', then the write callbacks."""
        if self.destroyed:
            return
        if self._need_drain:
            self._need_drain = False
            self.emit("drain")
        cbs, self._write_cbs = self._write_cbs, []
        for cb in cbs:
            _call_cb(cb, None)

    def end(self, data: Any = None, encoding: Any = None, cb: Optional[Callable[..., Any]] = None) -> "CryptoStream":
        if callable(data):
            cb, data = data, None
        elif callable(encoding):
            cb, encoding = encoding, None
        if data is not None and not self._ending and not self.destroyed:
            self.write(data, encoding)
        if cb is not None:
            if self._finished:
                self._loop.call_soon(_call_cb, cb, None)
            elif self.destroyed:
                self._loop.call_soon(_call_cb, cb,
                                     NodeError("Cannot call end after a stream was destroyed",
                                               "ERR_STREAM_DESTROYED"))
            else:
                self._end_cbs.append(cb)
        if self._ending or self.destroyed:
            return self
        self._ending = True
        other = self._other
        if other is not None and not other.destroyed:
            other._push_eof()
        else:
            self._loop.call_soon(self._other_ended)
        return self

    def _other_ended(self) -> None:
        """Node's _final: 'finish' once the other end emitted 'end'."""
        if self._finished or self.destroyed or not self._ending:
            return
        self._finished = True
        cbs, self._end_cbs = self._end_cbs, []
        for cb in cbs:
            _call_cb(cb, None)
        self.emit("finish")
        self._maybe_auto_destroy()

    def _maybe_auto_destroy(self) -> None:
        # Node's autoDestroy: a duplex whose both sides are done closes.
        if self._finished and self._ended_emitted and not self.destroyed:
            self.destroy()

    def cork(self) -> None:
        """Accepted for compatibility; writes are not held back."""

    def uncork(self) -> None:
        """Accepted for compatibility; writes are not held back."""

    # -- lifetime ------------------------------------------------------------
    def destroy(self, error: Optional[BaseException] = None) -> "CryptoStream":
        """Close this end: 'error' (if given) then 'close'; the other end's
        readable side ends (nothing more can come from here)."""
        if self.destroyed:
            return self
        self.destroyed = True
        self._rbuf.clear()
        self._rlen = 0
        other = self._other
        if other is not None and not other._eof:
            other._push_eof()
        cbs = self._write_cbs + self._end_cbs
        self._write_cbs, self._end_cbs = [], []
        self._loop.call_soon(self._emit_destroyed, error, cbs)
        return self

    def _emit_destroyed(self, error: Optional[BaseException], cbs: List[Callable[..., Any]]) -> None:
        if cbs:
            err = error or NodeError("Cannot call write after a stream was destroyed", "ERR_STREAM_DESTROYED")
            for cb in cbs:
                _call_cb(cb, err)
        try:
            if error is not None:
                self.emit("error", error)
        finally:
            self._close_emitted = True
            self.emit("close")

    def destroySoon(self) -> None:
        if self.writable:
            self.end()
        if self._finished:
            self.destroy()
        else:
            self.once("finish", lambda *a: self.destroy())

    def setTimeout(self, timeout: float, callback: Optional[Callable[..., Any]] = None) -> "CryptoStream":
        """Accepted for compatibility (an in-memory stream never idles out)."""
        return self

    def setNoDelay(self, noDelay: bool = True) -> "CryptoStream":
        return self

    def setKeepAlive(self, enable: bool = False, initialDelay: float = 0) -> "CryptoStream":
        return self


def _duplex_pair() -> Tuple[CryptoStream, CryptoStream]:
    """Node's DuplexPair: two CryptoStreams, each reading what the other writes."""
    socket1, socket2 = CryptoStream(), CryptoStream()
    socket1._other = socket2
    socket2._other = socket1
    return socket1, socket2


class SecurePair(EventEmitter):
    """``tls.createSecurePair()``'s result: ``cleartext`` (a TLSSocket) and
    ``encrypted`` (a :class:`CryptoStream` carrying the ciphertext); 'secure'
    once the handshake is done."""

    def __init__(self, context: Any = None, isServer: Any = False, requestCert: Any = None,
                 rejectUnauthorized: Any = False, options: Optional[Dict[str, Any]] = None) -> None:
        super().__init__()

        options = take_options(options, None, TLS_SOCKET, "createSecurePair")
        if context is None:
            # Node makes a default context and ignores secure-context options
            # here; made from them instead, they are honoured, not dropped
            context = createSecureContext(options)
        if isServer is None:
            isServer = False
        if requestCert is None:
            requestCert = not isServer
        if rejectUnauthorized is None:
            rejectUnauthorized = False
        socket1, socket2 = _duplex_pair()
        self.server = options.get("server")
        self.credentials = context
        self.encrypted = socket1
        tls_options = {"secureContext": context, "isServer": isServer, "requestCert": requestCert,
                       "rejectUnauthorized": rejectUnauthorized}
        tls_options.update(options)
        self.cleartext = TLSSocket(socket2, tls_options)
        # Like Node's JS-stream TLS sockets, the pair keeps nothing alive by itself.
        self.cleartext.unref()
        self.cleartext.once("secure", self._on_secure)
        if not self.cleartext._is_server:
            # The original SecurePair started a client handshake on the next tick.
            _runtime.nextTick(self._start)

    def _start(self) -> None:
        cleartext = self.cleartext
        if not cleartext.destroyed:
            cleartext._start()

    def _on_secure(self, *_: Any) -> None:
        cleartext = self.cleartext
        # The verdict a tls.Server / tls.connect would give (chain only): a
        # server that did not ask for a certificate leaves it alone.
        if not cleartext._is_server or cleartext._requestCert:
            err = cleartext._verify_error()
            if err is None:
                cleartext.authorized = True
            else:
                cleartext.authorized = False
                cleartext.authorizationError = getattr(err, "code", None) or str(err)
        self.emit("secure")

    def destroy(self) -> None:
        self.cleartext.destroy()
        self.encrypted.destroy()


def createSecurePair(context: Any = None, isServer: Any = False, requestCert: Any = None,
                     rejectUnauthorized: Any = False, options: Optional[Dict[str, Any]] = None) -> SecurePair:
    """Deprecated (DEP0064): ``tls.createSecurePair([context][, isServer][, requestCert]
    [, rejectUnauthorized][, options])``; use ``tls.TLSSocket`` instead."""
    _deprecation_warning()
    return SecurePair(context, isServer, requestCert, rejectUnauthorized, options)
