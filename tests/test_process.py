"""tls.process: Node's signal events, kill and exit, and how signals end tls.run (whole processes)."""
from __future__ import annotations

import signal
import subprocess

import pytest

import tls
from support.python import Script

# A server that keeps the program alive until something closes it.
SERVER = """
import signal, sys, tls
def main():
    server = tls.net.createServer(lambda socket: None)
    server.listen(0, '127.0.0.1', lambda: print('listening', flush=True))
    %s
tls.run(main)
print('ended', flush=True)
"""


UVLOOP = "import asyncio, uvloop\nasyncio.set_event_loop_policy(uvloop.EventLoopPolicy())\n"


def run_script(body: str, sig: int, *, expect: str = "listening", prelude: str = "") -> Script:
    script = Script(prelude + SERVER % body)
    try:
        script.expect(expect)
        script.send_signal(sig)
        script.wait()
    finally:
        script.close()
    return script


@pytest.mark.parametrize("loop", ["asyncio", "uvloop"])
def test_plain_signal_handler_that_closes_the_server_ends_run(loop):
    # Before: the handler ran, but the loop slept on in select() and run never returned.
    script = run_script("signal.signal(signal.SIGTERM, lambda n, f: server.close(lambda: print('closed')))",
                        signal.SIGTERM, prelude=UVLOOP if loop == "uvloop" else "")
    assert script.proc.returncode == 0
    assert script.seen == ["listening", "closed", "ended"]


def test_process_on_sigterm_gets_name_and_number_and_replaces_the_default():
    script = run_script("tls.process.on('SIGTERM', lambda *a: (print('got', *a), server.close()))",
                        signal.SIGTERM)
    assert script.proc.returncode == 0
    assert script.seen == ["listening", "got SIGTERM 15", "ended"]


def test_listener_exception_ends_run_like_an_uncaught_exception():
    script = run_script("tls.process.on('SIGHUP', lambda *a: 1 / 0)", signal.SIGHUP)
    assert script.proc.returncode == 1
    assert "ZeroDivisionError" in script.stderr()


@pytest.mark.parametrize("loop", ["asyncio", "uvloop"])
def test_ctrl_c_without_a_listener_dies_of_sigint_without_traceback(loop):
    script = run_script("", signal.SIGINT, prelude=UVLOOP if loop == "uvloop" else "")
    assert script.proc.returncode == -signal.SIGINT   # a shell shows 130, as for Node
    assert script.stderr() == ""
    assert script.seen == ["listening"]


def test_ctrl_c_exit_status_in_a_shell_is_130_like_node():
    code = SERVER % "tls._node.runtime.setTimeout(lambda: tls.process.kill(tls.process.pid, 'SIGINT'), 1)"
    node = subprocess.run(["bash", "-c", 'node -e "setInterval(() => {}, 1000); '
                           "process.kill(process.pid, 'SIGINT')\"; echo $?"],
                          capture_output=True, text=True, timeout=30)
    ours = Script("import tls._node.runtime\n" + code)
    try:
        assert ours.wait() == -signal.SIGINT
    finally:
        ours.close()
    assert node.stdout.strip() == "130"
    assert ours.stderr() == ""


def test_sigint_listener_replaces_ctrl_c():
    script = run_script("tls.process.once('SIGINT', lambda name, num: (print(name, num), server.close()))",
                        signal.SIGINT)
    assert script.proc.returncode == 0
    assert script.seen == ["listening", "SIGINT 2", "ended"]


def test_last_listener_removed_gives_the_signal_its_default_action_back():
    body = ("def fn(*a): pass\n"
            "    tls.process.on('SIGTERM', fn)\n"
            "    tls.process.off('SIGTERM', fn)\n"
            "    print('removed', flush=True)")
    script = run_script(body, signal.SIGTERM, expect="removed")
    assert script.proc.returncode == -signal.SIGTERM


def test_signal_listeners_do_not_keep_run_alive():
    script = Script("import tls\n"
                    "def main(): tls.process.on('SIGTERM', print)\n"
                    "tls.run(main)\nprint('ended')")
    try:
        assert script.wait() == 0
    finally:
        script.close()
    assert script.seen == ["ended"]


def test_process_exit_ends_run_with_the_code_after_clean_up():
    script = Script(SERVER % "tls.process.on('SIGUSR1', lambda *a: tls.process.exit(3))")
    try:
        script.expect("listening")
        script.send_signal(signal.SIGUSR1)
        assert script.wait() == 3
    finally:
        script.close()
    assert "ended" not in script.seen


def test_uncatchable_signals_are_refused_like_node():
    seen = []
    with pytest.raises(tls.NodeError) as info:
        tls.process.on("SIGKILL", seen.append)
    assert (info.value.code, info.value.message, info.value.syscall) == ("EINVAL", "uv_signal_start EINVAL",
                                                                       "uv_signal_start")
    assert tls.process.listenerCount("SIGKILL") == 0


def test_kill_and_exit_argument_errors_match_node():
    for call, code in [(lambda: tls.process.kill("x"), "ERR_INVALID_ARG_TYPE"),
                       (lambda: tls.process.kill(tls.process.pid, "SIGFOO"), "ERR_UNKNOWN_SIGNAL"),
                       (lambda: tls.process.kill(tls.process.pid, 1.5), "ERR_INVALID_ARG_TYPE"),
                       (lambda: tls.process.exit("x"), "ERR_INVALID_ARG_TYPE")]:
        with pytest.raises(TypeError) as info:
            call()
        assert info.value.code == code
    with pytest.raises(tls.NodeError) as error:
        tls.process.kill(2 ** 22 + 12345, 0)
    assert (error.value.code, error.value.syscall, error.value.nodeErrno) == ("ESRCH", "kill", -3)
    assert isinstance(error.value, ProcessLookupError) and error.value.errno == 3   # Python's errno
    assert tls.process.kill(tls.process.pid, 0) is True


def test_node_shapes():
    assert tls.process.argv[0] == tls.process.execPath
    assert tls.process.platform == "linux"
    assert tls.process.ppid > 1 and tls.process.pid > 1
    assert tls.process.env is __import__("os").environ
