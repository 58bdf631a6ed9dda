"""tls.sansio.Connection: TLS memory in, memory out, with no event loop (docs/openssl.md, "Sans-IO").

Peers: another Connection in memory, Python's ``ssl.SSLObject`` over ``ssl.MemoryBIO`` (an
independent TLS stack, no socket anywhere), Node 20's ``tls.TLSSocket`` over its own
stdin/stdout (a pipe, no socket), and ``openssl s_server`` over a TCP connection the test moves
the bytes of.  No test here runs an event loop for the connection: every call returns with its
events emitted and its output in ``dataToSend()``.
"""
from __future__ import annotations

import os
import select
import socket
import ssl
import subprocess
import time
from typing import Any, Callable, List

import pytest

import tls
from tls.errors import NodeError
from tls.openssl import check, ffi, lib
from tls.sansio import Connection

from support.node import NODE
from support.openssl import OPENSSL
from support.sansio import pump

DEADLINE = 10.0


def record(conn: Connection, *events: str) -> List[Any]:
    log: List[Any] = []
    for name in events:
        conn.on(name, (lambda n: lambda *args: log.append((n,) + args))(name))
    return log


def pair(pems: Any, server: Any = None, client: Any = None) -> "tuple[Connection, Connection]":
    s = Connection(dict({"isServer": True, "key": pems.key, "cert": pems.cert}, **(server or {})))
    c = Connection(dict({"ca": pems.ca}, **(client or {})))
    c.setServername("localhost")
    return s, c


# -- two connections in memory -------------------------------------------------------------------

def test_two_connections_in_memory(pems):
    server, client = pair(pems, {"ALPNProtocols": ["h2", "http/1.1"]}, {"ALPNProtocols": ["http/1.1"]})
    slog = record(server, "secure", "end", "finish", "close", "error")
    clog = record(client, "secure", "end", "finish", "close", "error")
    server.on("data", lambda data: server.write(b"echo:" + data))
    assert client.write(b"queued before the handshake") is True
    hello = client.dataToSend()
    assert hello[:1] == b"\x16"  # a handshake record: the ClientHello
    server.receiveData(hello)
    pump(client, server)
    assert clog[:1] == [("secure",)] and slog[:1] == [("secure",)]
    assert client.read() == b"echo:queued before the handshake"
    assert (client.authorized, client.authorizationError) == (True, None)
    assert client.alpnProtocol == server.alpnProtocol == "http/1.1"
    assert server.servername == "localhost"
    assert client.getProtocol() == server.getProtocol() == "TLSv1.3"
    assert client.getCipher() == server.getCipher()
    assert client.getPeerCertificate()["subject"] == server.getCertificate()["subject"]
    assert client.getPeerX509Certificate().fingerprint256 == server.getX509Certificate().fingerprint256
    assert client.exportKeyingMaterial(32, "label") == server.exportKeyingMaterial(32, "label")
    assert client.getFinished() == server.getPeerFinished()
    # close_notify one way, then the other
    client.end(b"bye")
    assert client.writableEnded
    pump(client, server)
    assert ("end",) in slog and client.read() == b"echo:bye"
    server.end()
    pump(client, server)
    assert ("end",) in clog and ("finish",) in clog and ("finish",) in slog
    client.destroy()
    server.destroy()
    assert client.native is None and ("close", False) in clog
    assert not [e for e in clog + slog if e[0] == "error"]


def test_resumption_and_session_events_in_memory(pems):
    server_context = tls.createSecureContext({"key": pems.key, "cert": pems.cert})
    server, client = pair(pems, {"secureContext": server_context})
    sessions: List[bytes] = []
    client.on("session", sessions.append)
    client.write(b"x")
    pump(client, server)
    assert sessions and client.isSessionReused() is False
    again_server, again = pair(pems, {"secureContext": server_context}, {"session": sessions[-1]})
    again.write(b"y")
    pump(again, again_server)
    assert again.isSessionReused() is True and again_server.isSessionReused() is True
    assert again_server.read() == b"y"


def test_keylog_and_native_before_the_client_hello(pems):
    server, client = pair(pems)
    lines: List[bytes] = []
    client.on("keylog", lines.append)
    # tuned through native between the constructor and the first dataToSend()
    check(lib.SSL_set1_groups_list(client.native, b"secp384r1"), "SSL_set1_groups_list")
    pump(client, server)
    assert client.getEphemeralKeyInfo() == {"type": "ECDH", "name": "secp384r1", "size": 384}
    group = lib.SSL_get_negotiated_group(server.native)
    assert ffi.string(lib.SSL_group_to_name(server.native, group)) == b"secp384r1"
    assert any(line.startswith(b"CLIENT_HANDSHAKE_TRAFFIC_SECRET ") for line in lines)


def test_tls12_server_events_on_the_connection(pems):
    """newSession / OCSPRequest (a tls.Server's events) go to the server connection itself."""
    server, client = pair(pems, {"maxVersion": "TLSv1.2"}, {"requestOCSP": True})
    events: List[str] = []

    def on_new_session(session_id: bytes, data: bytes, done: Callable[[], None]) -> None:
        events.append("newSession")
        done()

    def on_ocsp(cert: bytes, issuer: bytes, callback: Callable[..., None]) -> None:
        events.append("OCSPRequest")
        callback(None, b"a stapled response")

    server.on("newSession", on_new_session)
    server.on("OCSPRequest", on_ocsp)
    responses: List[Any] = []
    client.on("OCSPResponse", responses.append)
    lib.SSL_set_options(client.native, lib.SSL_OP_NO_TICKET)  # a session id, not a ticket: 'newSession'
    pump(client, server)
    assert client.getProtocol() == "TLSv1.2"
    assert sorted(events) == ["OCSPRequest", "newSession"]
    assert responses == [b"a stapled response"]


# -- verification and errors ----------------------------------------------------------------------

def test_an_unverified_server_is_an_error_before_secure(pems):
    server, client = pair(pems, {"key": pems.other_key, "cert": pems.other_cert})
    clog = record(client, "secure", "error", "close")
    pump(client, server)
    assert [e[0] for e in clog] == ["error", "close"]
    assert clog[0][1].code == "ERR_TLS_CERT_ALTNAME_INVALID"
    assert client.destroyed and client.authorizationError == "ERR_TLS_CERT_ALTNAME_INVALID"
    # without rejectUnauthorized: the verdict is reported, the connection goes on
    server, client = pair(pems, {"key": pems.self_key, "cert": pems.self_cert}, {"rejectUnauthorized": False})
    pump(client, server)
    assert (client.authorized, client.authorizationError) == (False, "DEPTH_ZERO_SELF_SIGNED_CERT")


def test_garbage_from_the_peer_raises_without_an_error_listener(pems):
    server = Connection(isServer=True, key=pems.key, cert=pems.cert)
    with pytest.raises(NodeError) as err:
        server.receiveData(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
    assert err.value.code == "ERR_SSL_HTTP_REQUEST"
    assert server.destroyed
    with pytest.raises(NodeError) as err:
        server.write(b"after")
    assert err.value.code == "ERR_SOCKET_CLOSED"


def test_bad_input_is_refused_with_a_code(pems):
    with pytest.raises(NodeError) as err:
        Connection(isServer=True, handshakeTimeout=1000)
    assert err.value.code == "ERR_OPTION_NOT_IMPLEMENTED"
    with pytest.raises(TypeError) as err:
        Connection(isServr=True)
    assert err.value.code == "ERR_INVALID_ARG_VALUE"
    with pytest.raises(TypeError) as err:
        Connection(secureContext={"ca": pems.ca})
    assert err.value.code == "ERR_TLS_INVALID_CONTEXT"
    client = Connection(ca=pems.ca)
    for call in (lambda: client.receiveData("text"), lambda: client.write(12), lambda: client.setServername(b"x")):
        with pytest.raises(TypeError) as err:
            call()
        assert err.value.code == "ERR_INVALID_ARG_TYPE"
    with pytest.raises(NodeError) as err:
        Connection(isServer=True).setServername("x")
    assert err.value.code == "ERR_TLS_SNI_FROM_SERVER"


def test_a_hang_up_before_the_handshake(pems):
    client = Connection(ca=pems.ca)
    clog = record(client, "error", "close")
    client.dataToSend()
    client.receiveEof()
    assert clog[0][1].code == "ECONNRESET" and client.destroyed


# -- independent peers -----------------------------------------------------------------------------

def test_against_python_ssl_in_memory(pems):
    """Python's ssl.SSLObject as the server, both over MemoryBIO: no socket anywhere."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(pems.path("cert"), pems.path("key"))
    ctx.load_verify_locations(pems.path("ca"))
    ctx.verify_mode = ssl.CERT_REQUIRED
    incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
    peer = ctx.wrap_bio(incoming, outgoing, server_side=True)
    client = Connection(ca=pems.ca, key=pems.client_key, cert=pems.client_cert)
    client.setServername("localhost")
    client.write(b"ping")
    done = False
    got = b""
    deadline = time.monotonic() + DEADLINE
    while got != b"ping" and time.monotonic() < deadline:
        incoming.write(client.dataToSend())
        if not done:
            try:
                peer.do_handshake()
                done = True
            except ssl.SSLWantReadError:
                pass
        if done:
            try:
                got += peer.read(100)
            except ssl.SSLWantReadError:
                pass
        data = outgoing.read()
        if data:
            client.receiveData(data)
    assert got == b"ping" and client.authorized
    assert (("commonName", "client"),) in peer.getpeercert()["subject"]
    peer.write(b"pong")
    client.receiveData(outgoing.read())
    assert client.read() == b"pong"
    assert peer.version() == client.getProtocol()


NODE_PIPE_SERVER = r"""
const tls = require('tls'), fs = require('fs'), { Duplex } = require('stream');
const [key, cert] = process.argv.slice(1).map((p) => fs.readFileSync(p));
const carrier = Duplex.from({ readable: process.stdin, writable: process.stdout });
const socket = new tls.TLSSocket(carrier, { isServer: true, key, cert, ALPNProtocols: ['pipe/1'] });
socket.on('secure', () => process.stderr.write(`secure ${socket.getProtocol()} ${socket.alpnProtocol}\n`));
socket.on('data', (d) => socket.write('node:' + d));
socket.on('end', () => socket.end());
"""


def _exchange_over_pipe(proc: subprocess.Popen, conn: Connection, until: Callable[[], bool]) -> None:
    """Move the bytes between ``conn`` and the child's stdin/stdout until ``until()``, within DEADLINE."""
    assert proc.stdin is not None and proc.stdout is not None
    deadline = time.monotonic() + DEADLINE
    fd = proc.stdout.fileno()
    while not until():
        out = conn.dataToSend()
        if out:
            proc.stdin.write(out)
            proc.stdin.flush()
        left = deadline - time.monotonic()
        assert left > 0, "no progress over the pipe"
        ready, _, _ = select.select([fd], [], [], min(left, 0.5))
        if ready:
            data = os.read(fd, 65536)
            if not data:
                conn.receiveEof()
                return
            conn.receiveData(data)


@pytest.mark.skipif(not os.path.exists(NODE) and not NODE.startswith("node"), reason="needs node")
def test_against_node_over_a_pipe(pems):
    """Node's TLSSocket over its stdin/stdout: TLS over a pipe, both sides sans socket."""
    proc = subprocess.Popen([NODE, "-e", NODE_PIPE_SERVER, pems.path("key"), pems.path("cert")],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        client = Connection(ca=pems.ca, ALPNProtocols=["pipe/1"])
        client.setServername("localhost")
        client.write(b"hello over a pipe")
        got: List[bytes] = []
        ended: List[bool] = []
        client.on("data", got.append)
        client.on("end", lambda: ended.append(True))
        _exchange_over_pipe(proc, client, lambda: b"".join(got) == b"node:hello over a pipe")
        assert client.authorized and client.alpnProtocol == "pipe/1"
        client.end()
        _exchange_over_pipe(proc, client, lambda: bool(ended))
        assert proc.stdin is not None
        proc.stdin.close()
        assert proc.wait(DEADLINE) == 0
        assert proc.stderr is not None
        assert proc.stderr.read().decode() == "secure %s pipe/1\n" % client.getProtocol()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_against_openssl_s_server_over_bytes_we_move(pems):
    """openssl s_server, the bytes moved by the test over a plain TCP socket."""
    proc = subprocess.Popen([OPENSSL, "s_server", "-accept", "127.0.0.1:0", "-key", pems.path("key"),
                             "-cert", pems.path("cert"), "-naccept", "1", "-rev"],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        assert proc.stdout is not None
        line = b""
        while b"ACCEPT" not in line:
            line = proc.stdout.readline()
            assert line, "s_server did not start"
        port = int(line.rsplit(b":", 1)[1])
        raw = socket.create_connection(("127.0.0.1", port), timeout=DEADLINE)
        client = Connection(ca=pems.ca)
        client.setServername("localhost")
        client.write(b"sans-io\n")
        got: List[bytes] = []
        client.on("data", got.append)
        deadline = time.monotonic() + DEADLINE
        while b"oi-snas" not in b"".join(got):   # -rev: s_server answers each line reversed
            assert time.monotonic() < deadline
            out = client.dataToSend()
            if out:
                raw.sendall(out)
            ready, _, _ = select.select([raw], [], [], 0.5)
            if ready:
                client.receiveData(raw.recv(65536))
        assert client.authorized and client.getProtocol() == "TLSv1.3"
        client.end()
        raw.sendall(client.dataToSend())
        raw.close()
    finally:
        proc.kill()
        proc.wait()


def test_renegotiation_sni_and_alpn_callbacks_in_memory(pems):
    """TLS 1.2 renegotiation through dataToSend(); SNICallback and ALPNCallback on the server."""
    other = tls.createSecureContext({"key": pems.other_key, "cert": pems.other_cert})
    asked: List[Any] = []

    def sni(name: str, cb: Callable[..., None]) -> None:
        asked.append(name)
        cb(None, other if name == "other.example" else None)

    server, client = pair(pems, {"maxVersion": "TLSv1.2", "SNICallback": sni,
                                 "ALPNCallback": lambda info: info["protocols"][-1]},
                          {"ALPNProtocols": ["a", "b"]})
    client.setServername("other.example")
    pump(client, server)
    assert asked == ["other.example"] and server.servername == "other.example"
    assert client.alpnProtocol == server.alpnProtocol == "b"
    assert client.authorized  # the certificate for other.example came from the SNI context
    slog = record(server, "secure")
    done: List[Any] = []
    assert client.renegotiate({}, done.append) is True
    pump(client, server)
    assert done == [None] and slog == [("secure",)]
    # refused from now on: the client's next renegotiation is an error on the server
    server.disableRenegotiation()
    errors: List[Any] = []
    server.on("error", errors.append)
    client.renegotiate({}, None)
    pump(client, server)
    assert [e.code for e in errors] == ["ERR_TLS_RENEGOTIATION_DISABLED"]
    with pytest.raises(TypeError) as err:
        server.renegotiate(None)
    assert err.value.code == "ERR_INVALID_ARG_TYPE"


def test_read_data_and_eof_after_the_handshake(pems):
    server, client = pair(pems)
    pump(client, server)
    server.write(b"one")
    server.write("two")                      # str: UTF-8, as a TLSSocket takes it
    pump(client, server)
    assert client.read() == b"onetwo" and client.read() == b""
    got: List[bytes] = []
    client.on("data", got.append)
    server.write(b"three")
    pump(client, server)
    assert got == [b"three"] and client.read() == b""
    ended: List[Any] = []
    client.on("end", lambda: ended.append(True))
    client.receiveEof()                      # the carrier ended without close_notify
    assert ended == [True] and not client.destroyed
    assert client.getSession() is not None and client.getTLSTicket() is not None


def test_a_session_store_through_new_and_resume_session(pems):
    """Node's external session cache ('newSession' / 'resumeSession'), by session id in TLS 1.2."""
    context = tls.createSecureContext({"key": pems.key, "cert": pems.cert, "maxVersion": "TLSv1.2"})
    store: dict = {}
    looked_up: List[bytes] = []

    def serve() -> Connection:
        server = Connection(isServer=True, secureContext=context)
        server.on("newSession", lambda sid, data, done: (store.__setitem__(sid, data), done()))
        server.on("resumeSession", lambda sid, cb: (looked_up.append(sid), cb(None, store.get(sid))))
        return server

    first_server, first = serve(), Connection(ca=pems.ca)
    first.setServername("localhost")
    lib.SSL_set_options(first.native, lib.SSL_OP_NO_TICKET)   # a session id, kept by the store
    sessions: List[bytes] = []
    first.on("session", sessions.append)
    pump(first, first_server)
    assert len(store) == 1 and sessions and first.isSessionReused() is False
    again_server, again = serve(), Connection(ca=pems.ca, session=sessions[-1])
    again.setServername("localhost")
    lib.SSL_set_options(again.native, lib.SSL_OP_NO_TICKET)
    again.write(b"resumed")
    pump(again, again_server)
    # (a first lookup may come from the first handshake: a client's random legacy session id)
    assert looked_up[-1] == list(store)[0] and again.isSessionReused() is True
    assert again_server.read() == b"resumed"


def test_psk_without_certificates(pems):
    key = bytes(range(32))
    server = Connection(isServer=True, ciphers="PSK-AES128-GCM-SHA256", maxVersion="TLSv1.2",
                        pskCallback=lambda sock, identity: key if identity == "client1" else None,
                        pskIdentityHint="hint")
    client = Connection(ciphers="PSK-AES128-GCM-SHA256", maxVersion="TLSv1.2",
                        pskCallback=lambda hint: {"psk": key, "identity": "client1"})
    client.write(b"psk")
    pump(client, server)
    assert server.read() == b"psk" and client.authorized
    assert client.getCipher()["name"] == "PSK-AES128-GCM-SHA256"
