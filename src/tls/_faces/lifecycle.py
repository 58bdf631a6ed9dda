"""What a long-running server needs around its tls.Server: certificate reload and systemd socket activation.

Neither is Node API (Node leaves both to the program), so the names follow
Python's conventions.

Certificate reload.  :class:`CertificateReloader` re-reads the key and
certificate files on a signal (``SIGHUP`` by default, through
``tls.process``) and/or when they change on disk (a poll of their size and
modification time, on an unreferenced timer, so it never keeps ``tls.run``
alive), and hands the new material to ``server.setSecureContext``: new
connections get the new certificate, connections in flight keep the context
they started with (setSecureContext's own rule).  A reload that fails --
a file missing or half-written, a key that does not match the certificate,
a wrong passphrase -- changes nothing: the server keeps serving the old
certificate, the failure is emitted as ``'reloadError'`` (an event of its
own, not ``'error'``, so nobody listening never ends the program) and
counted; the next signal or change tries again.

Socket activation.  :func:`systemd_listen_fds` is ``sd_listen_fds(3)``: the
descriptors a supervisor (systemd, ``systemd-socket-activate``, or anything
that speaks the ``LISTEN_FDS`` protocol) opened for this process, to pass to
``server.listen({'fd': fd})``.
"""
from __future__ import annotations

import os
import signal as _signal
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple, Union

from .._base.errors import NodeTypeError, errno_error
from .._base.validators import received as _received
from .._node.events import EventEmitter
from .._node.process import process, signal_number
from .._node.timers import clearInterval, setInterval
from .._objects.configure_context import createSecureContext
from .._objects.server import Server

__all__ = ["CertificateReloader", "reload_on_signal", "systemd_listen_fds", "SD_LISTEN_FDS_START"]

PathLike = Union[str, "os.PathLike[str]"]

#: the secure-context options whose values are file contents (PEM or DER), so a path can stand for them
FILE_OPTIONS = ("key", "cert", "ca", "pfx", "crl", "dhparam")

#: sd_listen_fds(3): the first passed descriptor
SD_LISTEN_FDS_START = 3


class CertificateReloader(EventEmitter):
    """Re-reads ``files`` and applies them to ``server`` on ``signal`` and/or every ``watch_ms`` when they changed.

    ``files`` maps secure-context options to paths (``{'key': 'key.pem', 'cert': 'chain.pem'}``; ``ca`` and the
    others may take a list of paths); ``options`` are the other setSecureContext options, applied with every
    reload (``passphrase``, ``ciphers``, ...).  The files are read and checked once here, so a mistake shows at
    start-up (ENOENT, a bad key ...) rather than at the first reload; the server's context is not changed then.

    Events: ``'reload'`` after a new context was applied, ``'reloadError'`` (err) when a reload failed and
    the old context stays.  :attr:`reloads` / :attr:`failures` count them.
    """

    def __init__(self, server: Server, files: Mapping[str, Any], *, options: Optional[Mapping[str, Any]] = None,
                 signal: Optional[Union[str, int]] = "SIGHUP", watch_ms: Optional[int] = None) -> None:
        super().__init__()
        if not isinstance(server, Server):
            raise NodeTypeError('The "server" argument must be an instance of tls.Server. %s' % _received(server),
                                "ERR_INVALID_ARG_TYPE")
        if not isinstance(files, Mapping) or not files:
            raise NodeTypeError('The "files" argument must be a non-empty mapping of option to path. %s'
                                % _received(files), "ERR_INVALID_ARG_TYPE")
        for name in files:
            if name not in FILE_OPTIONS:
                raise NodeTypeError("The file option %r is not one of %s" % (name, ", ".join(FILE_OPTIONS)),
                                    "ERR_INVALID_ARG_VALUE")
        if options is not None and not isinstance(options, Mapping):
            raise NodeTypeError('The "options" argument must be a mapping. %s' % _received(options),
                                "ERR_INVALID_ARG_TYPE")
        self.server = server
        self.files: Dict[str, Any] = dict(files)
        self.options: Dict[str, Any] = dict(options or {})
        self.reloads = 0
        self.failures = 0
        self._signal_name: Optional[str] = None
        self._timer: Any = None
        self._stamps = self._file_stamps()
        createSecureContext(self._material())   # checked now; applied only by reload()
        if signal is not None:
            self._signal_name = _signal_name(signal)
            process.on(self._signal_name, self._on_signal)
        if watch_ms is not None:
            if isinstance(watch_ms, bool) or not isinstance(watch_ms, int) or watch_ms <= 0:
                raise NodeTypeError('The "watch_ms" argument must be a positive integer. %s' % _received(watch_ms),
                                    "ERR_INVALID_ARG_VALUE")
            self._timer = setInterval(self._poll, watch_ms)
            self._timer.unref()

    def reload(self) -> bool:
        """Re-read the files and apply them now: True when the server got the new context."""
        try:
            self.server.setSecureContext(self._material())
        except Exception as exc:  # any failure keeps the old context, and is reported
            self.failures += 1
            self.emit("reloadError", exc)
            return False
        self.reloads += 1
        self.emit("reload")
        return True

    def close(self) -> None:
        """Stop listening for the signal and watching the files."""
        if self._signal_name is not None:
            process.removeListener(self._signal_name, self._on_signal)
            self._signal_name = None
        if self._timer is not None:
            clearInterval(self._timer)
            self._timer = None

    # -- internals --------------------------------------------------------------------------

    def _on_signal(self, *_: Any) -> None:
        self._stamps = self._file_stamps()
        self.reload()

    def _poll(self) -> None:
        stamps = self._file_stamps()
        if stamps != self._stamps:
            self._stamps = stamps
            self.reload()

    def _paths(self) -> List[PathLike]:
        paths: List[PathLike] = []
        for value in self.files.values():
            paths.extend(value if _is_path_list(value) else [value])
        return paths

    def _file_stamps(self) -> Tuple[Tuple[int, int, int], ...]:
        stamps = []
        for path in self._paths():
            try:
                st = os.stat(path)
            except OSError:
                stamps.append((-1, -1, -1))
            else:
                stamps.append((st.st_mtime_ns, st.st_size, st.st_ino))
        return tuple(stamps)

    def _material(self) -> Dict[str, Any]:
        material = dict(self.options)
        for name, value in self.files.items():
            if _is_path_list(value):
                material[name] = [_read(path) for path in value]
            else:
                material[name] = _read(value)
        return material


def reload_on_signal(server: Server, files: Mapping[str, Any], **kwargs: Any) -> CertificateReloader:
    """``CertificateReloader(server, files, **kwargs)``: re-read ``files`` into ``server`` on SIGHUP."""
    return CertificateReloader(server, files, **kwargs)


def systemd_listen_fds(unset_environment: bool = True) -> List[int]:
    """The listening descriptors a supervisor passed (``sd_listen_fds(3)``): ``[3, 4, ...]``, or ``[]``.

    Only when ``LISTEN_PID`` names this process (the variables are inherited by children, which must not take
    the sockets); the variables are removed afterwards unless ``unset_environment`` is False, as systemd's own
    function does.  Each descriptor is for ``server.listen({'fd': fd})``.
    """
    try:
        pid = int(os.environ.get("LISTEN_PID", ""))
        count = int(os.environ.get("LISTEN_FDS", ""))
    except ValueError:
        return []
    finally:
        if unset_environment:
            for name in ("LISTEN_PID", "LISTEN_FDS", "LISTEN_FDNAMES"):
                os.environ.pop(name, None)
    if pid != os.getpid() or count <= 0:
        return []
    fds = list(range(SD_LISTEN_FDS_START, SD_LISTEN_FDS_START + count))
    for fd in fds:
        os.set_inheritable(fd, False)   # systemd's FD_CLOEXEC: a program the server starts does not get them
    return fds


def _signal_name(sig: Union[str, int]) -> str:
    return _signal.Signals(signal_number(sig)).name


def _is_path_list(value: Any) -> bool:
    return isinstance(value, Sequence) and not isinstance(value, (str, bytes, bytearray))


def _read(path: PathLike) -> bytes:
    try:
        with open(path, "rb") as handle:
            return handle.read()
    except OSError as exc:
        raise errno_error(exc, "open", describe=True, path=os.fspath(path)) from None
