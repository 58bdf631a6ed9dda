"""Interop with the openssl CLI: ``s_server`` for our client, ``s_client`` for our server.

s_server prints ``DONE`` when SSL_read reports close_notify (``ERROR`` plus
"unexpected eof" when the TCP connection just ends) and then shuts its side
down with a close_notify of its own; s_client prints ``closed`` on a
close_notify, and its stdin line ``Q`` sends close_notify and exits.  Those
lines are how these tests see close_notify on the wire.
"""
from __future__ import annotations

import re

import pytest

import tls

from support.aio import Collector, Recorder, async_test
from support.loopback import close_server, listen
from support.openssl import STDBUF, OpenSSLPeer, s_server


# (openssl options, expected getProtocol(), expected getCipher()) -- the test
# certificates are ECDSA, hence the ECDSA TLS 1.2 suites.
CASES = {
    "tls1.2-aes128gcm": (["-tls1_2", "-cipher", "ECDHE-ECDSA-AES128-GCM-SHA256"], "TLSv1.2",
                         {"name": "ECDHE-ECDSA-AES128-GCM-SHA256",
                          "standardName": "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", "version": "TLSv1.2"}),
    "tls1.2-chacha": (["-tls1_2", "-cipher", "ECDHE-ECDSA-CHACHA20-POLY1305"], "TLSv1.2",
                      {"name": "ECDHE-ECDSA-CHACHA20-POLY1305",
                       "standardName": "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256", "version": "TLSv1.2"}),
    "tls1.2-cbc": (["-tls1_2", "-cipher", "ECDHE-ECDSA-AES256-SHA"], "TLSv1.2",
                   {"name": "ECDHE-ECDSA-AES256-SHA",
                    "standardName": "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA", "version": "TLSv1.0"}),
    "tls1.3-chacha": (["-tls1_3", "-ciphersuites", "TLS_CHACHA20_POLY1305_SHA256"], "TLSv1.3",
                      {"name": "TLS_CHACHA20_POLY1305_SHA256", "standardName": "TLS_CHACHA20_POLY1305_SHA256",
                       "version": "TLSv1.3"}),
    "tls1.3-aes128gcm": (["-tls1_3", "-ciphersuites", "TLS_AES_128_GCM_SHA256"], "TLSv1.3",
                         {"name": "TLS_AES_128_GCM_SHA256", "standardName": "TLS_AES_128_GCM_SHA256",
                          "version": "TLSv1.3"}),
}

# s_client's "New, <SSL_CIPHER_get_version>, Cipher is <name>"
NEW_SESSION = re.compile(rb"New, (TLSv1\.\d), Cipher is (\S+)")


def identity(pems):
    return ["-key", pems.path("key"), "-cert", pems.path("cert")]


# -- our client -> openssl s_server ----------------------------------------------------------

@pytest.mark.parametrize("case", list(CASES))
@async_test(10)
async def test_our_client_to_s_server(pems, case):
    args, protocol, cipher = CASES[case]
    server, port = await s_server(identity(pems) + ["-naccept", "1"] + args)
    async with server:
        client = tls.connect(port, "localhost", {"ca": pems.ca})
        rec = Recorder(client, "secureConnect", "finish", "end", "close", "error")
        got = Collector(client)
        await rec.wait("secureConnect")
        assert client.authorized is True
        assert client.getProtocol() == protocol
        assert client.getCipher() == cipher
        m = await server.until(re.compile(rb"CIPHER is (\S+)"))
        assert m.group(1).decode() == cipher["name"]

        client.write(b"hello from python\n")
        await server.until(b"hello from python\n")
        server.send(b"hello from s_server\n")
        await server.drain()
        await got.until(b"hello from s_server\n")

        # our end() sends close_notify: s_server reads it as a clean DONE and
        # answers with its own close_notify, which ends our readable side
        client.end()
        await rec.wait("close")
        out = await server.read_rest()
        assert b"DONE\n" in out and b"ERROR" not in out, out
        assert b"unexpected eof" not in server.stderr
        assert rec.names() == ["secureConnect", "finish", "end", "close"]
        assert rec.args("close") == [(False,)]
        assert got.data == b"hello from s_server\n"
        assert await server.exit_code() == 0


@async_test(10)
async def test_s_server_quits_without_close_notify(pems):
    """s_server's `Q` closes the TCP connection with no close_notify: like Node,
    our client takes it as a plain end of stream, no error."""
    server, port = await s_server(identity(pems) + ["-naccept", "1"])
    async with server:
        client = tls.connect(port, "localhost", {"ca": pems.ca})
        rec = Recorder(client, "secureConnect", "end", "close", "error")
        got = Collector(client)
        await rec.wait("secureConnect")
        server.send(b"last words\n")
        await got.until(b"last words\n")
        server.send(b"Q\n")
        await server.drain()
        await rec.wait("close")
        assert rec.names() == ["secureConnect", "end", "close"]
        assert rec.args("close") == [(False,)]


@async_test(10)
async def test_our_client_cert_to_s_server(pems):
    """s_server -Verify demands a client certificate; ours verifies against the CA."""
    server, port = await s_server(identity(pems) + ["-naccept", "1", "-Verify", "2", "-CAfile", pems.path("ca"),
                                                    "-verify_return_error"])
    async with server:
        client = tls.connect(port, "localhost", {"ca": pems.ca, "key": pems.client_key,
                                                  "cert": pems.client_cert})
        rec = Recorder(client, "secureConnect", "end", "close", "error")
        client.resume()
        await rec.wait("secureConnect")
        client.write(b"authenticated\n")
        await server.until(b"authenticated\n")
        client.end()
        await rec.wait("close")
        out = await server.read_rest()
        # s_server's verify callback prints the chain it accepted on stderr
        assert re.search(rb"depth=0 .*CN = client\nverify return:1", server.stderr), server.stderr
        assert b"DONE" in out
        assert "error" not in rec.names()


# -- openssl s_client -> our server ---------------------------------------------------------

def s_client_args(pems, port, extra=()):
    return ["s_client", "-connect", "127.0.0.1:%d" % port, "-servername", "localhost",
            "-CAfile", pems.path("ca"), "-verify_hostname", "localhost", "-verify_return_error", *extra]


@pytest.mark.parametrize("case", list(CASES))
@async_test(10)
async def test_s_client_to_our_server(pems, case):
    args, protocol, cipher = CASES[case]
    server = tls.createServer(pems.server_options())
    conns = []

    def on_secure(sock):
        rec = Recorder(sock, "end", "finish", "close", "error")
        conns.append((sock, rec, Collector(sock)))
        sock.write(b"welcome from python\n")
        sock.on("data", lambda d: sock.write(b"echo:" + d))

    server.on("secureConnection", on_secure)
    srec = Recorder(server, "secureConnection", "tlsClientError")
    port = await listen(server)
    async with await OpenSSLPeer().start(s_client_args(pems, port, args)) as client:
        m = await client.until(NEW_SESSION)
        await client.until(b"welcome from python\n")
        await client.until(b"Verify return code: 0 (ok)")
        sock, rec, got = conns[0]
        assert (sock.getCipher()["version"], sock.getCipher()["name"]) == (m.group(1).decode(), m.group(2).decode())
        assert sock.getProtocol() == protocol
        assert sock.getCipher() == cipher
        assert sock.servername == "localhost"

        client.send(b"ping from s_client\n")
        await client.until(b"echo:ping from s_client\n")
        # `Q`: s_client sends close_notify and exits; we see a clean end
        client.send(b"Q\n")
        await client.drain()
        await rec.wait("close")
        assert got.data == b"ping from s_client\n"
        assert "end" in rec.names() and "error" not in rec.names(), rec.log
        assert await client.exit_code() == 0
    assert srec.names() == ["secureConnection"]
    close_server(server)


@async_test(10)
async def test_our_server_end_sends_close_notify_to_s_client(pems):
    """Our end() reaches s_client as a close_notify (it prints `closed` and exits)."""
    server = tls.createServer(pems.server_options())
    server.on("secureConnection", lambda sock: sock.end(b"goodbye\n"))
    port = await listen(server)
    async with await OpenSSLPeer().start(s_client_args(pems, port, ["-ign_eof"])) as client:
        await client.until(b"goodbye\n")
        out = await client.read_rest()
        assert re.search(rb"^closed$", out, re.M), out
        assert await client.exit_code() == 0
    close_server(server)


@async_test(10)
async def test_s_client_cert_to_our_server(pems):
    server = tls.createServer(pems.server_options(requestCert=True, ca=pems.ca))
    seen = []

    def on_secure(sock):
        seen.append((sock.authorized, sock.authorizationError, sock.getPeerCertificate()))
        sock.end(b"hi client\n")

    server.on("secureConnection", on_secure)
    port = await listen(server)
    extra = ["-cert", pems.path("client_cert"), "-key", pems.path("client_key"), "-ign_eof"]
    async with await OpenSSLPeer().start(s_client_args(pems, port, extra)) as client:
        await client.until(b"hi client\n")
        await client.read_rest()
        assert await client.exit_code() == 0
    authorized, error, peer = seen[0]
    assert authorized is True and error is None
    assert peer["subject"]["CN"] == "client"
    close_server(server)


@async_test(10)
async def test_s_client_without_cert_rejected(pems):
    """requestCert + rejectUnauthorized and no client cert: OpenSSL fails the
    handshake (Node: ERR_SSL_PEER_DID_NOT_RETURN_A_CERTIFICATE on tlsClientError)."""
    server = tls.createServer(pems.server_options(requestCert=True, ca=pems.ca))
    srec = Recorder(server, "secureConnection", "tlsClientError")
    port = await listen(server)
    async with await OpenSSLPeer().start(s_client_args(pems, port, ["-tls1_2"])) as client:
        (err, sock) = await srec.wait("tlsClientError")
        await client.exit_code()
    assert err.code == "ERR_SSL_PEER_DID_NOT_RETURN_A_CERTIFICATE"
    assert srec.names() == ["tlsClientError"]
    close_server(server)


# -- key updates and renegotiation mid-stream -----------------------------------------------

@pytest.mark.parametrize("command,args", [("K", ["-tls1_3"]), ("k", ["-tls1_3"]), ("R", ["-tls1_2"])],
                         ids=["keyupdate-requested", "keyupdate", "renegotiate"])
@async_test(10)
async def test_s_client_key_update_and_renegotiation(pems, command, args):
    """s_client's k/K (TLS 1.3 KeyUpdate) and R (TLS 1.2 renegotiation) in the
    middle of a stream: our server keeps echoing, as Node's does."""
    server = tls.createServer(pems.server_options())
    recs = []

    def on_secure(sock):
        recs.append(Recorder(sock, "end", "close", "error"))
        sock.on("data", lambda d: sock.write(b"echo:" + d))

    server.on("secureConnection", on_secure)
    srec = Recorder(server, "tlsClientError")
    port = await listen(server)
    async with await OpenSSLPeer().start(s_client_args(pems, port, args)) as client:
        client.send(b"one\n")
        await client.until(b"echo:one\n")
        client.send(command.encode() + b"\n")
        # s_client drops the rest of a line buffer after a command: wait for it
        await client.until_stderr(b"RENEGOTIATING" if command == "R" else b"KEYUPDATE")
        client.send(b"two\n")
        await client.until(b"echo:two\n")
        client.send(b"Q\n")
        await recs[0].wait("close")
    assert "error" not in recs[0].names() and srec.log == []
    close_server(server)


@pytest.mark.parametrize("command,args", [("K", ["-tls1_3"]), ("k", ["-tls1_3"])],
                         ids=["keyupdate-requested", "keyupdate"])
@async_test(10)
async def test_s_server_key_update(pems, command, args):
    """s_server sends a KeyUpdate mid-stream (K asks us to update too).  It
    confirms with a bare printf, hence stdbuf for unbuffered stdout."""
    if STDBUF is None:
        pytest.skip("needs stdbuf (coreutils)")
    server, port = await s_server(identity(pems) + ["-naccept", "1"] + args, unbuffered=True)
    async with server:
        client = tls.connect(port, "localhost", {"ca": pems.ca})
        rec = Recorder(client, "secureConnect", "end", "close", "error")
        got = Collector(client)
        await rec.wait("secureConnect")
        client.write(b"one\n")
        await server.until(b"one\n")
        server.send(command.encode() + b"\n")
        await server.until(b"SSL_do_handshake -> 1")
        server.send(b"after update\n")
        await got.until(b"after update\n")
        client.write(b"two\n")
        await server.until(b"two\n")
        client.end()
        await rec.wait("close")
        out = await server.read_rest()
        assert b"DONE" in out and b"ERROR" not in out
        assert "error" not in rec.names()
