"""What Node's TLS command-line flags do to every TLS socket: ``--trace-tls`` and ``--tls-keylog``.

Node reads these flags once, when ``_tls_wrap.js`` loads (``getOptionValue``),
and every ``TLSSocket`` it constructs then obeys them:

* ``--trace-tls``: a socket whose ``enableTrace`` option is not given (null or
  undefined) traces as if it were ``true``; the first such socket emits the
  warning "Enabling --trace-tls can expose sensitive data in the resulting log."
  A server passes its own ``enableTrace`` option to the sockets it makes, so
  an explicit ``false`` (on the server or the socket) still wins.
* ``--tls-keylog=FILE``: every socket gets a ``'keylog'`` listener appending the
  line to FILE (created with mode 0600); the first socket emits "Using
  --tls-keylog makes TLS connections insecure by writing secret key material to
  file FILE", and the first failed append "Failed to write TLS keylog (this
  warning will not be repeated): ...".

The Python program's command line is ``python -m tls run FLAGS program.py``
(``tls._faces.cli.run``, a layer above): it calls :func:`set_flags` before the
program runs, and ``TLSSocket`` asks :func:`trace_default` and calls
:func:`socket_created` while it is constructed.  Without the runner nothing is
set, and the cost per socket is two attribute reads.
"""
from __future__ import annotations

import os
import warnings
from typing import Any, Optional

from .._binding import ffi, lib

__all__ = ["set_flags", "trace_default", "socket_created", "trace_available"]

trace_tls: bool = False
tls_keylog: Optional[str] = None
_warned_trace = False
_warned_keylog = False
_warned_keylog_error = False


def trace_available() -> bool:
    """Whether this OpenSSL has SSL_trace (``--trace-tls`` is refused where it has not)."""
    ctx = lib.SSL_CTX_new(lib.TLS_method())
    if ctx == ffi.NULL:
        raise MemoryError("SSL_CTX_new failed")
    try:
        ssl = lib.SSL_new(ctx)
        if ssl == ffi.NULL:
            raise MemoryError("SSL_new failed")
        try:
            return bool(lib.tls_enable_trace(ssl) != -1)
        finally:
            lib.SSL_free(ssl)
    finally:
        lib.SSL_CTX_free(ctx)


def set_flags(trace: bool = False, keylog: Optional[str] = None) -> None:
    """Set what ``--trace-tls`` / ``--tls-keylog=FILE`` set (for the sockets made from now on)."""
    global trace_tls, tls_keylog
    trace_tls = bool(trace)
    tls_keylog = keylog or None


def trace_default(value: Any) -> Any:
    """The ``enableTrace`` option as Node's TLSSocket reads it: null/undefined means ``--trace-tls``."""
    global _warned_trace
    if value is not None or not trace_tls:
        return value
    if not _warned_trace:
        _warned_trace = True
        warnings.warn("Enabling --trace-tls can expose sensitive data in the resulting log.",
                      UserWarning, stacklevel=4)
    return True


def socket_created(socket: Any) -> None:
    """``--tls-keylog``: the socket's key-log lines go to the file too."""
    global _warned_keylog
    path = tls_keylog
    if path is None:
        return
    if not _warned_keylog:
        _warned_keylog = True
        warnings.warn("Using --tls-keylog makes TLS connections insecure by writing secret key material to "
                      "file " + path, UserWarning, stacklevel=4)
    socket.on("keylog", lambda line: _append(path, line))


def _append(path: str, line: bytes) -> None:
    # Node's fs.appendFile(path, line, {mode: 0o600}): O_APPEND, so two sockets' lines never interleave.
    global _warned_keylog_error
    try:
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            os.write(fd, line)
        finally:
            os.close(fd)
    except OSError as err:
        if not _warned_keylog_error:
            _warned_keylog_error = True
            warnings.warn("Failed to write TLS keylog (this warning will not be repeated): %s" % err,
                          UserWarning, stacklevel=2)
