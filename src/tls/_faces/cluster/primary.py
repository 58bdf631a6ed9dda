"""The primary's side of the cluster: fork(), setupPrimary(), the workers' processes and what they ask for.

Node's lib/internal/cluster/primary.js, on asyncio.  A worker is a fresh
interpreter running the same program (``sys.executable`` with the program's
own command line, ``python -m pkg`` included), never a ``fork()`` of this
process: the primary already has an event loop, threads and OpenSSL state
that a forked copy must not inherit.  It gets its end of a socketpair
(``pass_fds`` + ``NODE_CHANNEL_FD``) and its id (``NODE_UNIQUE_ID``).

Before the child even starts, its first message is already in the
socketpair: the cluster's setup (the ticket keys every worker's tls.Server
takes).  The worker reads it when ``tls.cluster`` is imported, answers
``online``, and later asks for listening handles (``queryServer``, see
handles.py), reports ``listening``, and forwards TLS 1.2 sessions
(sessions.py).  The child's exit is watched with a pidfd on the loop (a
thread waiting on the child where pidfds are missing), so 'exit' comes with
Node's (code, signal): ``(0, None)``, ``(1, None)``, ``(None, 'SIGTERM')``.
"""
from __future__ import annotations

import asyncio
import os
import signal as _signal
import socket
import subprocess
import sys
import threading
from typing import TYPE_CHECKING, Any, Callable, Dict, List, Mapping, Optional, Tuple

from ..._base.errors import NodeError, NodeTypeError, error_message
from ..._base.options import CLUSTER_SETUP, take_options
from ..._base.validators import received as _received
from ..._node import runtime as _runtime
from ..._node.events import EventEmitter
from ..._node.process import signal_number
from ..._objects.counters import sum_counters
from .channel import Channel, Internal
from .handles import RoundRobinHandle, SharedHandle
from .sessions import SessionCache
from .worker import Worker, split_send_args

if TYPE_CHECKING:
    from . import Cluster

__all__ = ["Primary", "WorkerProcess", "default_settings", "launch_command"]

SCHED_NONE = 1
SCHED_RR = 2


# -- the command line of a worker ------------------------------------------------------------

def _split_orig_argv() -> Tuple[List[str], List[str], List[str]]:
    """(interpreter options, what runs: [script] / ['-m', mod] / ['-c', code], the program's args)."""
    orig = getattr(sys, "orig_argv", None)
    if orig:
        rest = list(orig[1:])
        options: List[str] = []
        while rest:
            arg = rest[0]
            if arg in ("-m", "-c"):
                if len(rest) < 2:
                    break
                return options, rest[:2], rest[2:]
            if arg.startswith("-m") or arg.startswith("-c"):   # -mpkg
                return options, [arg[:2], arg[2:]], rest[1:]
            if arg == "-" or not arg.startswith("-"):
                return options, [arg], rest[1:]
            options.append(rest.pop(0))
            if arg in ("-W", "-X", "--check-hash-based-pycs") and rest:   # options with a separate value
                options.append(rest.pop(0))
        return options, [], rest
    # Python 3.9: no orig_argv; rebuild it from what is known.
    flags: List[str] = list(subprocess._args_from_interpreter_flags())  # type: ignore[attr-defined]
    main = sys.modules.get("__main__")
    spec = getattr(main, "__spec__", None)
    if spec is not None and spec.name:
        name = spec.name[:-len(".__main__")] if spec.name.endswith(".__main__") else spec.name
        return flags, ["-m", name], list(sys.argv[1:])
    if sys.argv and sys.argv[0] == "-c":
        return flags, ["-c", ""], list(sys.argv[1:])
    return flags, [sys.argv[0]] if sys.argv and sys.argv[0] else [], list(sys.argv[1:])


def default_settings() -> Dict[str, Any]:
    """Node's defaults: ``exec`` the program, ``args`` its arguments, ``execArgv`` the interpreter's options."""
    options, target, args = _split_orig_argv()
    script = target[-1] if target and target[0] not in ("-m", "-c") else (sys.argv[0] if sys.argv else "")
    return {"args": args, "exec": os.path.abspath(script) if script and target[:1] != ["-c"] else script,
            "execArgv": options, "silent": False}


def launch_command(settings: Mapping[str, Any], defaults: Mapping[str, Any]) -> List[str]:
    """The worker's argv: the interpreter, ``execArgv``, the program (as it was started unless
    ``exec`` was changed), ``args``."""
    _options, target, _args = _split_orig_argv()
    if settings["exec"] != defaults["exec"] or not target:
        target = [settings["exec"]]
    if target == ["-c", ""]:
        raise NodeError("cluster.fork(): the primary runs 'python -c' code that Python 3.9 does not keep; "
                        "give cluster.setupPrimary({'exec': script})", "ERR_CLUSTER_NO_PROGRAM")
    return [sys.executable, *settings["execArgv"], *target, *settings["args"]]


def _env_value(key: Any, value: Any) -> str:
    if not isinstance(key, str) or not key or "=" in key or "\0" in key:
        raise NodeTypeError('The environment variable name must be a non-empty string without "=" or null '
                            'bytes. Received %r' % (key,), "ERR_INVALID_ARG_VALUE")
    if isinstance(value, bool):
        value = "true" if value else "false"    # JavaScript's String(true)
    elif isinstance(value, (int, float)):
        value = repr(value) if isinstance(value, float) and not value.is_integer() else str(int(value))
    if not isinstance(value, str):
        raise NodeTypeError('The "env.%s" value must be a string or a number. %s' % (key, _received(value)),
                            "ERR_INVALID_ARG_TYPE")
    if "\0" in value:
        raise NodeTypeError("The property 'env.%s' must be a string without null bytes. Received %r"
                            % (key, value), "ERR_INVALID_ARG_VALUE")
    return value


# -- a worker's child process, as the primary holds it --------------------------------------

class WorkerProcess(EventEmitter):
    """The primary's handle on a worker process (Node's ChildProcess, the parts cluster uses)."""

    def __init__(self, popen: "subprocess.Popen[bytes]", channel: Channel, argv: List[str]) -> None:
        super().__init__()
        self._popen = popen
        self.channel = channel
        self.pid: int = popen.pid
        self.spawnfile = argv[0]
        self.spawnargs = list(argv)
        self.exitCode: Optional[int] = None
        self.signalCode: Optional[str] = None
        self.killed = False
        channel.on("message", lambda message, handle: self.emit("message", message, handle))
        channel.on("internalMessage", lambda message, handle: self.emit("internalMessage", message, handle))
        channel.on("disconnect", lambda: self.emit("disconnect"))
        channel.on("error", lambda err: self.emit("error", err))
        self._loop = _runtime.get_loop()
        _runtime.ref_handle(self)   # a running child keeps the primary alive, as in Node
        self._watch_exit()

    @property
    def connected(self) -> bool:
        return self.channel.connected

    def send(self, message: Any, *args: Any) -> bool:
        handle, _options, callback = split_send_args(args)
        return self.channel.send(message, handle, callback)

    def disconnect(self) -> None:
        self.channel.disconnect()

    def kill(self, signal: Any = "SIGTERM") -> bool:
        """Send ``signal`` (a name like 'SIGKILL' or a number); False when the process is gone."""
        signum = signal_number(signal)
        if self.exitCode is not None or self.signalCode is not None:
            return False
        try:
            os.kill(self.pid, signum)
        except ProcessLookupError:
            return False
        self.killed = True
        return True

    # -- exit ------------------------------------------------------------------------------
    def _watch_exit(self) -> None:
        try:
            pidfd = os.pidfd_open(self.pid)
        except (AttributeError, OSError):
            threading.Thread(target=self._wait_in_thread, daemon=True).start()
            return
        self._pidfd = pidfd
        self._loop.add_reader(pidfd, self._on_pidfd)

    def _on_pidfd(self) -> None:
        if self._popen.poll() is None:
            return
        self._loop.remove_reader(self._pidfd)
        os.close(self._pidfd)
        self._exited()

    def _wait_in_thread(self) -> None:
        self._popen.wait()
        try:
            self._loop.call_soon_threadsafe(self._exited)
        except RuntimeError:
            pass   # the loop is closed: nobody waits for this exit any more

    def _exited(self) -> None:
        code = self._popen.returncode
        if code is not None and code < 0:
            try:
                self.signalCode = _signal.Signals(-code).name
            except ValueError:
                self.signalCode = "SIG%d" % -code
        else:
            self.exitCode = code
        # Node: the channel closes when the child exits ('disconnect' before 'exit' if still open)
        if self.channel.connected:
            self.channel._gone()
            self._loop.call_soon(self._emit_exit)
        else:
            self._emit_exit()

    def _emit_exit(self) -> None:
        _runtime.handle_closed(self)
        self.emit("exit", self.exitCode, self.signalCode)


# -- the primary ----------------------------------------------------------------------------

class Primary:
    """What the primary keeps: settings, ids, workers' handles, the session cache, the ticket keys."""

    def __init__(self, cluster: "Cluster") -> None:
        self.cluster = cluster
        self.ids = 0
        self.initialized = False
        self.handles: Dict[str, Any] = {}
        self.defaults = default_settings()
        self.ticket_keys = os.urandom(48)   # made once; every worker's tls.Server takes them
        self.sessions = SessionCache()
        self._disconnect_callbacks: List[Callable[[], Any]] = []

    @property
    def _workers(self) -> Dict[int, Worker]:
        workers = self.cluster.workers
        assert workers is not None   # a primary's cluster.workers is a dict
        return workers

    # -- setupPrimary / fork -----------------------------------------------------------------
    def setup(self, options: Any = None, kwargs: Optional[Mapping[str, Any]] = None) -> None:
        cluster = self.cluster
        given = take_options(options, kwargs, CLUSTER_SETUP, "setupPrimary")
        settings = {**self.defaults, **cluster.settings, **given}
        _check_settings(settings)
        cluster.settings = settings
        if not self.initialized:
            self.initialized = True
            if cluster.schedulingPolicy not in (SCHED_NONE, SCHED_RR):
                raise NodeError("Bad cluster.schedulingPolicy: %r" % (cluster.schedulingPolicy,),
                                "ERR_INVALID_ARG_VALUE")
            self.policy = cluster.schedulingPolicy   # frozen from here on, as in Node
        _emit_soon(cluster, "setup", settings)

    def fork(self, env: Any = None) -> Worker:
        if env is not None and not isinstance(env, Mapping):
            raise NodeTypeError('The "env" argument must be of type object. %s' % _received(env),
                                "ERR_INVALID_ARG_TYPE")
        extra = {k: _env_value(k, v) for k, v in (env or {}).items() if v is not None}
        loop = _runtime.get_loop()
        self.setup()
        settings = self.cluster.settings
        argv = launch_command(settings, self.defaults)
        self.ids += 1
        wid = self.ids
        mine, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        channel = Channel(mine)
        # the worker's first message, waiting in the socket before the worker starts
        channel.send_sync({"cmd": "NODE_CLUSTER", "act": "setup", "ticketKeys": self.ticket_keys.hex()})
        child_env = {**os.environ, **extra, "NODE_UNIQUE_ID": str(wid), "NODE_CHANNEL_FD": str(theirs.fileno())}
        quiet = subprocess.DEVNULL if settings.get("silent") else None
        try:
            popen = subprocess.Popen(
                argv, env=child_env, pass_fds=(theirs.fileno(),), cwd=settings.get("cwd"),
                stdin=quiet, stdout=quiet, stderr=quiet,
                **_ids(settings))
        except OSError as exc:
            mine.close()
            raise NodeError("spawn %s %s" % (argv[0], exc.strerror), "ERR_CLUSTER_SPAWN", errno=exc.errno) \
                from exc
        finally:
            theirs.close()
        channel.attach(loop)
        process = WorkerProcess(popen, channel, argv)
        worker = Worker(wid, process, self, state="none")
        worker._fork_env = env   # what a rolling restart forks its replacement with
        worker._internal = Internal(channel, lambda message, handle: self._on_internal(worker, message))
        worker.on("message", lambda message, handle=None: self.cluster.emit("message", worker, message, handle))
        process.once("exit", lambda code, sig: self._on_exit(worker, code, sig))
        process.once("disconnect", lambda: self._on_disconnect(worker))
        self._workers[wid] = worker
        _emit_soon(self.cluster, "fork", worker)
        return worker

    # -- a worker's life ---------------------------------------------------------------------
    def _on_exit(self, worker: Worker, code: Optional[int], sig: Optional[str]) -> None:
        if not worker.isConnected():
            self._remove_handles(worker)
            self._remove_worker(worker)
        worker.exitedAfterDisconnect = bool(worker.exitedAfterDisconnect)
        worker.state = "dead"
        worker.emit("exit", code, sig)
        self.cluster.emit("exit", worker, code, sig)

    def _on_disconnect(self, worker: Worker) -> None:
        if worker.isDead():
            self._remove_worker(worker)
        self._remove_handles(worker)
        worker.exitedAfterDisconnect = bool(worker.exitedAfterDisconnect)
        worker.state = "disconnected"
        worker.emit("disconnect")
        self.cluster.emit("disconnect", worker)

    def _remove_worker(self, worker: Worker) -> None:
        self._workers.pop(worker.id, None)
        if not self._workers:
            callbacks, self._disconnect_callbacks = self._disconnect_callbacks, []
            for callback in callbacks:
                callback()

    def _remove_handles(self, worker: Worker) -> None:
        for key, handle in list(self.handles.items()):
            if handle.remove(worker):
                self.handles.pop(key, None)

    # the Worker methods of the primary's side
    def disconnect(self, worker: Worker) -> None:
        worker.exitedAfterDisconnect = True
        worker._internal.send({"act": "disconnect"})
        self._remove_handles(worker)
        self._remove_worker(worker)

    def destroy(self, worker: Worker, signal: str) -> None:
        signum = signal_number(signal)
        worker.exitedAfterDisconnect = True
        self._remove_handles(worker)
        self._remove_worker(worker)
        process = worker.process
        if process.connected:
            worker.once("disconnect", lambda: process.kill(signum))
            process.disconnect()
        else:
            process.kill(signum)

    def disconnect_all(self, callback: Optional[Callable[[], Any]]) -> None:
        workers = list(self._workers.values())
        if callback is not None:
            self._disconnect_callbacks.append(callback)
        if not workers:
            callbacks, self._disconnect_callbacks = self._disconnect_callbacks, []
            for cb in callbacks:
                _runtime.nextTick(cb)
            return
        for worker in workers:
            if worker.isConnected():
                worker.disconnect()

    def get_counters(self, callback: Callable[..., Any]) -> None:
        """Ask every connected worker for its tls.Servers' counters; ``callback(None, result)`` with
        ``{"total": ..., "workers": {id: ...}}`` once all have answered (a worker that goes away
        meanwhile is left out)."""
        workers = [worker for worker in self._workers.values() if worker.isConnected()]
        per_worker: Dict[int, Any] = {}
        waiting = [len(workers)]

        def done() -> None:
            callback(None, {"total": sum_counters(per_worker.values()), "workers": per_worker})

        def answered(worker: Worker, reply: Any) -> None:
            if isinstance(reply.get("counters"), dict):
                per_worker[worker.id] = reply["counters"]
            waiting[0] -= 1
            if waiting[0] == 0:
                done()

        if not workers:
            _runtime.nextTick(done)
            return
        for worker in workers:
            if not worker._internal.send({"act": "counters"}, None,
                                         lambda reply, handle, worker=worker: answered(worker, reply)):
                answered(worker, {})

    # -- what workers ask ----------------------------------------------------------------------
    def _on_internal(self, worker: Worker, message: Dict[str, Any]) -> None:
        act = message.get("act")
        if act == "online":
            worker.state = "online"
            worker.emit("online")
            self.cluster.emit("online", worker)
        elif act == "queryServer":
            self._query_server(worker, message)
        elif act == "listening":
            info = {"addressType": message.get("addressType"), "address": message.get("address"),
                    "port": message.get("port")}
            if message.get("fd") is not None:
                info["fd"] = message["fd"]
            worker.state = "listening"
            worker.emit("listening", info)
            self.cluster.emit("listening", worker, info)
        elif act == "close":
            handle = self.handles.get(message.get("key", ""))
            if handle is not None and handle.remove(worker):
                self.handles.pop(message["key"], None)
        elif act == "exitedAfterDisconnect":
            worker.exitedAfterDisconnect = True
            worker._internal.reply(message, {})
        elif act == "newSession":
            self.sessions.store(message.get("id", ""), message.get("data", ""), message.get("timeout"))
            worker._internal.reply(message, {})
        elif act == "resumeSession":
            worker._internal.reply(message, {"data": self.sessions.get(message.get("id", ""))})

    def _query_server(self, worker: Worker, message: Dict[str, Any]) -> None:
        key = "%s:%s:%s:%s:%s" % (message.get("address"), message.get("port"), message.get("addressType"),
                                 message.get("fd"), message.get("index"))
        handle = self.handles.get(key)
        if handle is None:
            if self.policy == SCHED_RR:
                handle = RoundRobinHandle(key, message, self._send_with_handle)
            else:
                handle = SharedHandle(key, message)
            self.handles[key] = handle

        def reply(err: Optional[BaseException], extra: Optional[Dict[str, Any]],
                  sock: Optional[socket.socket]) -> None:
            answer: Dict[str, Any] = {"key": key}
            if err is not None:
                self.handles.pop(key, None)
                # Node's errno (negative; a Python OSError's .errno is the positive one)
                answer["error"] = {"message": error_message(err), "code": getattr(err, "code", None),
                                   "errno": getattr(err, "nodeErrno", getattr(err, "errno", None)),
                                   "syscall": getattr(err, "syscall", None)}
            if extra:
                answer.update(extra)
            worker._internal.reply(message, answer, sock)

        handle.add(worker, reply)

    def _send_with_handle(self, worker: Worker, message: Dict[str, Any], sock: Optional[socket.socket],
                          callback: Callable[[Any, Any], None]) -> None:
        worker._internal.send(message, sock, callback)


# Settings Node takes that mean nothing on this platform, in Node as here (kept in cluster.settings).
WITHOUT_EFFECT = ("windowsHide",)


def _check_settings(settings: Mapping[str, Any]) -> None:
    for name in ("args", "execArgv"):
        value = settings.get(name)
        if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) for v in value):
            raise NodeTypeError('The "settings.%s" property must be a list of strings. %s'
                                % (name, _received(value)), "ERR_INVALID_ARG_TYPE")
    if not isinstance(settings.get("exec"), str):
        raise NodeTypeError('The "settings.exec" property must be of type string. %s'
                            % _received(settings.get("exec")), "ERR_INVALID_ARG_TYPE")
    if settings.get("cwd") is not None and not isinstance(settings["cwd"], str):
        raise NodeTypeError('The "settings.cwd" property must be of type string. %s'
                            % _received(settings["cwd"]), "ERR_INVALID_ARG_TYPE")
    if settings.get("serialization", "json") not in ("json", None):
        raise NodeError("The property 'settings.serialization' must be 'json': messages are JSON here "
                        "(Node's 'advanced' serialization is V8's). Received %r" % (settings["serialization"],),
                        "ERR_INVALID_ARG_VALUE")
    for name in ("uid", "gid"):
        value = settings.get(name)
        if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
            raise NodeTypeError('The "settings.%s" property must be of type number. %s' % (name, _received(value)),
                                "ERR_INVALID_ARG_TYPE")


def _ids(settings: Mapping[str, Any]) -> Dict[str, Any]:
    extra: Dict[str, Any] = {}
    if settings.get("uid") is not None:
        extra["user"] = settings["uid"]
    if settings.get("gid") is not None:
        extra["group"] = settings["gid"]
    return extra


def _emit_soon(emitter: EventEmitter, event: str, *args: Any) -> None:
    """process.nextTick(emit): on the loop when there is one, else at once."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        emitter.emit(event, *args)
        return
    _runtime.nextTick(emitter.emit, event, *args)
