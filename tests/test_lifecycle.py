"""tls.lifecycle: certificate reload (signal and file watch) and systemd socket activation, in whole processes."""
from __future__ import annotations

import asyncio
import os
import shutil
import signal
import socket
import ssl
import sys
import threading
import time

import pytest

import tls
from tls.lifecycle import CertificateReloader, systemd_listen_fds

from support.aio import async_test, once
from support.loopback import close_server, free_port, listen
from support.python import Script

# An echo server on the files in argv[1], reloading on SIGHUP and telling each reload on stdout.
RELOADING_SERVER = """
import os, sys, tls
from tls.lifecycle import reload_on_signal
folder = sys.argv[1]
def main():
    files = {'key': os.path.join(folder, 'key.pem'), 'cert': os.path.join(folder, 'cert.pem')}
    server = tls.createServer({name: open(path, 'rb').read() for name, path in files.items()})
    server.on('secureConnection', lambda s: (s.on('data', s.write), s.on('error', lambda err: None)))
    reloader = reload_on_signal(server, files)
    reloader.on('reload', lambda: print('reloaded', reloader.reloads, flush=True))
    reloader.on('reloadError', lambda err: print('reloadError', err.code, flush=True))
    tls.process.on('SIGTERM', lambda *a: (reloader.close(), server.close()))
    server.listen(0, '127.0.0.1', lambda: print('listening', server.address()['port'], flush=True))
tls.run(main)
print('ended', flush=True)
"""


def served_certificate(port: int) -> bytes:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    with socket.create_connection(("127.0.0.1", port), timeout=10) as raw:
        with ctx.wrap_socket(raw) as conn:
            return conn.getpeercert(binary_form=True)


def der(pem: bytes) -> bytes:
    return ssl.PEM_cert_to_DER_cert(pem.decode().split("-----END CERTIFICATE-----")[0] + "-----END CERTIFICATE-----\n")


def put(folder, key: bytes, cert: bytes) -> None:
    # As a deploy tool does: write beside, then rename over (the reload never sees half a file).
    for name, data in (("key.pem", key), ("cert.pem", cert)):
        with open(os.path.join(folder, name + ".new"), "wb") as f:
            f.write(data)
        os.replace(os.path.join(folder, name + ".new"), os.path.join(folder, name))


def test_sighup_reloads_the_certificate_for_new_connections_only(pems, tmp_path):
    put(tmp_path, pems.key, pems.cert)
    script = Script(RELOADING_SERVER, str(tmp_path))
    try:
        port = int(script.expect("listening").split()[1])
        assert served_certificate(port) == der(pems.cert)
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.check_hostname, ctx.verify_mode = False, ssl.CERT_NONE
        in_flight = ctx.wrap_socket(socket.create_connection(("127.0.0.1", port), timeout=10))

        put(tmp_path, pems.other_key, pems.other_cert)
        script.send_signal(signal.SIGHUP)
        assert script.expect("reload") == "reloaded 1"
        assert served_certificate(port) == der(pems.other_cert)
        # the connection made before keeps its certificate and keeps working
        assert in_flight.getpeercert(binary_form=True) == der(pems.cert)
        in_flight.sendall(b"still here")
        assert in_flight.recv(100) == b"still here"
        in_flight.close()

        # a key that does not match the certificate: refused, the server keeps the last good one
        put(tmp_path, pems.key, pems.other_cert)
        script.send_signal(signal.SIGHUP)
        assert script.expect("reload") == "reloadError ERR_OSSL_X509_KEY_VALUES_MISMATCH"
        assert served_certificate(port) == der(pems.other_cert)

        script.send_signal(signal.SIGTERM)
        assert script.wait() == 0
    finally:
        script.close()
    assert script.seen[-1] == "ended"


@async_test()
async def test_watching_the_files_reloads_when_they_change(pems, tmp_path):
    put(tmp_path, pems.key, pems.cert)
    server = tls.createServer({"key": pems.key, "cert": pems.cert})
    reloader = CertificateReloader(server, {"key": tmp_path / "key.pem", "cert": tmp_path / "cert.pem"},
                                   signal=None, watch_ms=20)
    port = await listen(server)
    put(tmp_path, pems.other_key, pems.other_cert)
    await once(reloader, "reload")
    assert await asyncio.to_thread(served_certificate, port) == der(pems.other_cert)
    assert (reloader.reloads, reloader.failures) == (1, 0)
    reloader.close()
    close_server(server)


@async_test()
async def test_bad_reloader_arguments_fail_at_start(pems, tmp_path):
    server = tls.createServer({"key": pems.key, "cert": pems.cert})
    with pytest.raises(TypeError) as info:
        CertificateReloader(server, {"certificate": pems.path("cert")}, signal=None)
    assert info.value.code == "ERR_INVALID_ARG_VALUE"
    with pytest.raises(tls.NodeError) as missing:
        CertificateReloader(server, {"key": pems.path("key"), "cert": str(tmp_path / "none.pem")}, signal=None)
    assert missing.value.code == "ENOENT"
    with pytest.raises(TypeError) as not_a_server:
        CertificateReloader(tls.net.createServer(), {"cert": pems.path("cert")}, signal=None)
    assert not_a_server.value.code == "ERR_INVALID_ARG_TYPE"
    with pytest.raises(TypeError) as bad_signal:
        CertificateReloader(server, {"key": pems.path("key"), "cert": pems.path("cert")}, signal="SIGNOPE")
    assert bad_signal.value.code == "ERR_UNKNOWN_SIGNAL"
    assert tls.process.listenerCount("SIGHUP") == 0


# A server on the socket its supervisor opened (LISTEN_FDS), echoing.
ACTIVATED_SERVER = """
import sys, tls
from tls.lifecycle import systemd_listen_fds
key, cert = open(sys.argv[1], 'rb').read(), open(sys.argv[2], 'rb').read()
def main():
    fds = systemd_listen_fds()
    def echo_once(s):
        s.on('error', lambda err: None)   # the client may go before our close_notify arrives
        s.on('data', lambda d: (s.end(d), server.close()))
    server = tls.createServer({'key': key, 'cert': cert}, echo_once)
    server.listen({'fd': fds[0]}, lambda: print('listening', fds, server.address()['port'], flush=True))
tls.run(main)
"""


def activated(pems, port, launcher, pass_fds=(), connect_first=False):
    script = Script(ACTIVATED_SERVER, pems.path("key"), pems.path("cert"), launcher=launcher, pass_fds=pass_fds)
    try:
        if not connect_first:
            assert script.expect("listening").split() == ["listening", "[3]", str(port)]
        ctx = ssl.create_default_context(cafile=pems.path("ca"))
        with connect_when_open(port) as raw:
            with ctx.wrap_socket(raw, server_hostname="localhost") as conn:
                conn.sendall(b"activated")
                assert conn.recv(100) == b"activated"
        if connect_first:
            assert script.expect("listening").split() == ["listening", "[3]", str(port)]
        assert script.wait() == 0, script.stderr()
    finally:
        script.close()


@pytest.mark.skipif(shutil.which("systemd-socket-activate") is None, reason="no systemd-socket-activate")
def test_systemd_socket_activation(pems):
    port = free_port()
    # systemd-socket-activate starts the program at the first connection, as systemd does
    activated(pems, port, ["systemd-socket-activate", "-l", "127.0.0.1:%d" % port], connect_first=True)


def connect_when_open(port, limit=10.0):
    """A TCP connection to ``port`` once the supervisor has bound it (it may still be starting)."""
    deadline = time.monotonic() + limit
    while True:
        try:
            return socket.create_connection(("127.0.0.1", port), timeout=limit)
        except ConnectionRefusedError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.02)   # polling a port another process is about to bind: bounded


# What systemd does, by hand: the listening socket on descriptor 3, LISTEN_PID = the server's own pid
# (set just before exec, which keeps the pid).
HAND_SUPERVISOR = ("import os, sys; os.dup2(int(sys.argv[1]), 3); "
                   "os.environ.update(LISTEN_FDS='1', LISTEN_PID=str(os.getpid())); "
                   "os.execv(sys.argv[2], sys.argv[2:])")


def test_listen_fds_protocol_from_a_hand_made_supervisor(pems):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(16)
        launcher = [sys.executable, "-c", HAND_SUPERVISOR, str(sock.fileno())]
        activated(pems, sock.getsockname()[1], launcher, pass_fds=[sock.fileno()])


def test_listen_fds_ignores_another_process_s_variables(monkeypatch):
    monkeypatch.setenv("LISTEN_PID", str(os.getppid()))
    monkeypatch.setenv("LISTEN_FDS", "2")
    assert systemd_listen_fds() == []
    assert "LISTEN_FDS" not in os.environ          # unset, as sd_listen_fds(unset_environment=1)
    monkeypatch.setenv("LISTEN_PID", "not a pid")
    assert systemd_listen_fds(unset_environment=False) == []
    assert os.environ["LISTEN_PID"] == "not a pid"


def test_reloads_under_a_client_loop_fail_no_connection(pems, tmp_path):
    put(tmp_path, pems.key, pems.cert)
    script = Script(RELOADING_SERVER, str(tmp_path))
    stop = threading.Event()
    seen, failures = [], []
    served = threading.Condition()

    def client_loop(port):
        while not stop.is_set():
            try:
                certificate = served_certificate(port)
            except OSError as exc:   # ssl.SSLError is one
                failures.append(exc)
                continue
            with served:
                seen.append(certificate)
                served.notify_all()

    try:
        port = int(script.expect("listening").split()[1])
        clients = [threading.Thread(target=client_loop, args=(port,)) for _ in range(3)]
        for thread in clients:
            thread.start()
        pairs = [(pems.other_key, pems.other_cert), (pems.key, pems.cert)]
        for n in range(1, 7):
            put(tmp_path, *pairs[n % 2])
            script.send_signal(signal.SIGHUP)
            assert script.expect("reload") == "reloaded %d" % n
            new = der(pairs[n % 2][1])
            with served:   # the clients get the new certificate before the next reload
                assert served.wait_for(lambda new=new: seen and seen[-1] == new, timeout=20)
        stop.set()
        for thread in clients:
            thread.join(20)
        script.send_signal(signal.SIGTERM)
        assert script.wait() == 0
    finally:
        stop.set()
        script.close()
    assert failures == []
    assert set(seen) == {der(pems.cert), der(pems.other_cert)} and len(seen) > 6
