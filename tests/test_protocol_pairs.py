"""The protocol layer between two peers wired in memory: no socket, no kernel.

Two levels, in the style of h11's and trio's in-memory pairs:

* ``ConnPair``: a client and a server ``TLSConnection`` (tls._protocol.connection)
  whose owner is ``Owner`` below, a plain object implementing the
  ``ConnectionOwner`` interface and nothing else.  No event loop at all: the test
  moves the bytes (``pump``) and runs the owners' queued callbacks itself.  This
  shows the pump needs nothing of the Node objects.
* ``tls_pair``: Node's objects (``tls.createServer`` + ``tls.connect`` / a
  ``TLSSocket``), whose raw sockets carry their bytes through ``MemoryTransport``
  (the asyncio transport surface net.Socket uses) instead of TCP: every callback
  path (SNI, ALPN / ALPNCallback, NPN, sessions and tickets, OCSP, renegotiation
  limits, PSK, keylog) runs exactly as over a network, on an event loop (Node's
  objects need one for their ticks), with each test asserting the outcome.

More pair tests (sessions, OCSP, renegotiation) are in test_protocol_pairs_sessions.py.
"""
from __future__ import annotations

import asyncio
import os
from typing import List

import pytest

import tls
from tls._protocol.connection import ConnectionOwner

from support.aio import async_test, once



from support.pairs import HOST, ConnPair, Owner, _Loop, once_close, tls_pair


def test_owner_satisfies_the_interface():
    owner: ConnectionOwner = Owner(_Loop())  # what a type checker would check: every method is there
    assert all(hasattr(owner, name) for name in ConnectionOwner.__dict__
               if not name.startswith("__") and callable(getattr(ConnectionOwner, name)))
    assert all(hasattr(owner, name) for name in ConnectionOwner.__annotations__)


def test_connections_handshake_and_talk_without_a_loop(server_options):
    pair = ConnPair(server_options)
    pair.client.cycle()                      # the ClientHello
    assert pair.client_owner.wire and not pair.server_owner.wire
    pair.pump()
    assert pair.client.secure and pair.server.secure
    assert pair.client_owner.events == ["secure"] and pair.server_owner.events == ["secure"]
    assert pair.client.engine.protocol() == "TLSv1.3"
    # a verify failure is the owner's to report: the client trusts no CA here
    assert pair.client.verify_error().code == "UNABLE_TO_VERIFY_LEAF_SIGNATURE"
    # the server asked for no certificate and got none (Node's server then does not ask verifyError)
    assert pair.server.verify_error().code == "UNABLE_TO_GET_ISSUER_CERT"

    pair.client.write_chunk(b"ping", cb=None)
    pair.client.write_chunk(b"pong", cb=lambda *a: None)
    # corked: nothing sent until the loop turns, then one send for both writes
    assert pair.client_owner.wire == []
    assert pair.client_owner.events[-1] == "written"
    pair.loop.run()
    assert len(pair.client_owner.wire) == 1
    pair.pump()
    assert b"".join(pair.server_owner.plain) == b"pingpong"

    payload = os.urandom(300 * 1024)        # beyond the cork limit: sent during the write itself
    pair.server.write_chunk(payload, cb=None)
    assert pair.server_owner.wire
    pair.pump()
    assert b"".join(pair.client_owner.plain) == payload

    pair.client.shutdown_write()            # close_notify, then the FIN
    assert pair.client_owner.events[-1] == "fin"
    pair.pump()
    assert pair.server_owner.events[-1] == "eof"
    for conn in (pair.client, pair.server):
        conn.free()
        assert conn.engine is None
        conn.on_raw_data(b"ignored once freed")


def test_a_transport_end_before_the_handshake_is_a_hang_up(server_options):
    pair = ConnPair(server_options)
    pair.client.cycle()
    pair.server.on_raw_data(pair.client_owner.take_wire())
    assert pair.client.on_raw_eof() is False   # the owner decides (TLSSocket: _hang_up)
    assert pair.client.secure is False


def test_garbage_is_an_error_with_a_code(server_options):
    pair = ConnPair(server_options)
    pair.server.on_raw_data(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
    assert pair.server_owner.events == [("error", "ERR_SSL_HTTP_REQUEST")]


def test_tls12_with_verify_mode_asks_the_client_for_a_certificate(server_options, client_cert, ca_pem):
    client_options = {"key": client_cert.private_key_pem.bytes(),
                      "cert": client_cert.cert_chain_pems[0].bytes(), "ca": ca_pem, "maxVersion": "TLSv1.2"}
    pair = ConnPair(dict(server_options, ca=ca_pem), client_options)
    pair.server.set_verify_mode(True, True)
    pair.client.cycle()
    pair.pump()
    assert pair.client.engine.protocol() == "TLSv1.2"
    assert pair.server.engine.has_peer_certificate()
    assert pair.server.verify_error() is None
    assert pair.client.verify_error() is None


# -- the basics -----------------------------------------------------------------------------------

@async_test()
async def test_tls_objects_over_memory(server_options, ca_pem):
    server = tls.createServer(server_options)
    pair = tls_pair(server, ca=[ca_pem])
    await pair.secure()
    assert pair.client.authorized and pair.client.getProtocol() == "TLSv1.3"
    assert pair.client._life.name == "SECURE" and pair.client._route.name == "RELEASED"
    assert pair.conn._life.name == "SECURE" and pair.conn._route.name == "RELEASED"
    got = []
    pair.conn.on("data", got.append)
    pair.conn.on("end", lambda: pair.conn.end(b"bye"))
    pair.client.end(b"hello")
    reply = []
    pair.client.on("data", reply.append)
    await once(pair.client, "end")
    assert b"".join(got) == b"hello" and b"".join(reply) == b"bye"
    await once_close(pair.client)
    assert pair.client_errors == pair.server_errors == []


@async_test()
async def test_an_untrusted_server_fails_verification(server_options):
    server = tls.createServer(server_options)
    pair = tls_pair(server)   # no CA: the client rejects the server's certificate
    await once_close(pair.client)
    assert [e.code for e in pair.client_errors] == ["UNABLE_TO_VERIFY_LEAF_SIGNATURE"]
    assert pair.client._life.name == "SECURE"  # 'secure' came, then the check destroyed it
    await once_close(pair.conn)
    assert [e.code for e in pair.server_errors] == ["ECONNRESET"]   # the hang-up: tlsClientError
    assert pair.conn._route.name == "REPORTED"


@async_test()
async def test_a_bad_record_after_the_handshake_is_an_error_of_a_secure_socket(server_options, ca_pem):
    server = tls.createServer(server_options)
    pair = tls_pair(server, ca=[ca_pem])
    await pair.secure()
    pair.client._on_raw_data(b"\x17\x03\x03\x00\x20" + bytes(32))   # an application record nobody sealed
    await once_close(pair.client)
    assert [e.code for e in pair.client_errors] == ["ERR_SSL_DECRYPTION_FAILED_OR_BAD_RECORD_MAC"]
    assert pair.client._life.name == "ERRORED" and pair.client._secureEstablished


# -- SNI --------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def sni_contexts(ca):
    certs = {}
    for name in ("a.example", "b.example"):
        leaf = ca.issue_cert(name)
        certs[name] = {"key": leaf.private_key_pem.bytes(), "cert": leaf.cert_chain_pems[0].bytes()}
    return certs


@pytest.mark.parametrize("asynchronous", [False, True], ids=["sync", "async"])
@pytest.mark.parametrize("name", ["a.example", "b.example"])
def test_sni_callback_picks_the_certificate(server_options, ca_pem, sni_contexts, name, asynchronous):
    @async_test()
    async def run():
        seen = []

        def sni(servername, cb):
            seen.append(servername)
            ctx = tls.createSecureContext(sni_contexts[servername])
            if asynchronous:
                asyncio.get_running_loop().call_soon(cb, None, ctx)
            else:
                cb(None, ctx)

        server = tls.createServer(dict(server_options, SNICallback=sni))
        pair = tls_pair(server, ca=[ca_pem], servername=name)
        await pair.secure()
        assert seen == [name]
        assert pair.conn.servername == name
        assert pair.client.getPeerCertificate()["subjectaltname"] == "DNS:" + name
        assert pair.client.authorized
        await pair.close()

    run()


@async_test()
async def test_sni_callback_error_fails_the_handshake(server_options, ca_pem):
    server = tls.createServer(dict(server_options, SNICallback=lambda name, cb: cb(RuntimeError("no such name"))))
    pair = tls_pair(server, ca=[ca_pem], servername="nowhere.example")
    await pair.failed()
    assert [str(e) for e in pair.server_errors] == ["no such name"]
    assert [e.code for e in pair.client_errors] == ["ECONNRESET"]


@async_test()
async def test_server_add_context_serves_by_name(server_options, ca_pem, sni_contexts):
    server = tls.createServer(server_options)
    server.addContext("b.example", sni_contexts["b.example"])
    pair = tls_pair(server, ca=[ca_pem], servername="b.example")
    await pair.secure()
    assert pair.client.getPeerCertificate()["subjectaltname"] == "DNS:b.example"
    await pair.close()


# -- ALPN, ALPNCallback, NPN ------------------------------------------------------------------------

@pytest.mark.parametrize("server_list,client_list,expected", [
    (["h2", "http/1.1"], ["http/1.1", "h2"], "h2"),      # the server's preference
    (["a", "b"], ["b"], "b"),
    (["a"], None, False),                                   # the client offers nothing
])
def test_alpn_lists(server_options, ca_pem, server_list, client_list, expected):
    @async_test()
    async def run():
        server = tls.createServer(dict(server_options, ALPNProtocols=server_list))
        options = {"ca": [ca_pem]}
        if client_list is not None:
            options["ALPNProtocols"] = client_list
        pair = tls_pair(server, **options)
        await pair.secure()
        assert pair.client.alpnProtocol == pair.conn.alpnProtocol == expected
        await pair.close()

    run()


@async_test()
async def test_alpn_without_overlap_is_an_alert(server_options, ca_pem):
    server = tls.createServer(dict(server_options, ALPNProtocols=["a"]))
    pair = tls_pair(server, ca=[ca_pem], ALPNProtocols=["b"])
    await pair.failed()
    assert [e.code for e in pair.server_errors] == ["ERR_SSL_NO_APPLICATION_PROTOCOL"]
    assert [e.code for e in pair.client_errors] == ["ERR_SSL_TLSV1_ALERT_NO_APPLICATION_PROTOCOL"]
    assert pair.conn._life.name == "FAILED"


@async_test()
async def test_alpn_callback_chooses(server_options, ca_pem):
    seen = []

    def choose(info):
        seen.append(info)
        return info["protocols"][-1]

    server = tls.createServer(dict(server_options, ALPNCallback=choose))
    pair = tls_pair(server, ca=[ca_pem], ALPNProtocols=["x", "y"])
    await pair.secure()
    assert seen == [{"servername": HOST, "protocols": ["x", "y"]}]
    assert pair.client.alpnProtocol == pair.conn.alpnProtocol == "y"
    await pair.close()


@async_test()
async def test_alpn_callback_invalid_answer(server_options, ca_pem):
    server = tls.createServer(dict(server_options, ALPNCallback=lambda info: "not offered"))
    pair = tls_pair(server, ca=[ca_pem], ALPNProtocols=["x"])
    await pair.failed()
    assert [e.code for e in pair.server_errors] == ["ERR_TLS_ALPN_CALLBACK_INVALID_RESULT"]
    assert [e.code for e in pair.client_errors] == ["ECONNRESET"]


@pytest.mark.parametrize("server_list,client_list,expected", [
    (["a", "b", "c"], ["c", "b"], "b"),                   # the server's preference
    (["a"], ["z"], False),                                  # no overlap: the client's first, not negotiated
])
def test_npn_in_tls12(server_options, ca_pem, server_list, client_list, expected):
    @async_test()
    async def run():
        server = tls.createServer(dict(server_options, NPNProtocols=server_list, maxVersion="TLSv1.2"))
        pair = tls_pair(server, ca=[ca_pem], NPNProtocols=client_list)
        await pair.secure()
        assert pair.client.npnProtocol == expected
        assert pair.conn.npnProtocol == (expected or client_list[0])
        assert pair.client.alpnProtocol is False
        await pair.close()

    run()


# -- PSK ----------------------------------------------------------------------------------------------

PSK = bytes.fromhex("d731ef57be09e5204f0b205b60627028")


@pytest.mark.parametrize("version", ["TLSv1.2", "TLSv1.3"])
def test_psk_both_sides(version):
    @async_test()
    async def run():
        seen = {}

        def server_psk(socket, identity):
            seen["identity"] = identity
            seen["server socket"] = socket
            return PSK if identity == "client1" else None

        def client_psk(hint):
            seen["hint"] = hint
            return {"psk": PSK, "identity": "client1"}

        ciphers = "PSK+HIGH" if version == "TLSv1.2" else None
        server = tls.createServer({"pskCallback": server_psk, "pskIdentityHint": "hint1", "ciphers": ciphers,
                                   "minVersion": version, "maxVersion": version})
        pair = tls_pair(server, pskCallback=client_psk, ciphers=ciphers, checkServerIdentity=lambda *a: None,
                        minVersion=version, maxVersion=version)
        await pair.secure()
        assert seen["identity"] == "client1" and seen["server socket"] is pair.conn
        # the hint reaches a TLS 1.2 client only (TLS 1.3 has none)
        assert seen["hint"] == ("hint1" if version == "TLSv1.2" else None)
        assert pair.client.getProtocol() == version and pair.client.authorized
        if version == "TLSv1.2":
            assert "PSK" in pair.client.getCipher()["name"]
        got = []
        pair.conn.on("data", got.append)
        pair.client.write(b"over psk")
        while b"".join(got) != b"over psk":
            await once(pair.conn, "data")
        await pair.close()

    run()


@async_test()
async def test_psk_unknown_identity_fails():
    server = tls.createServer({"pskCallback": lambda sock, identity: None, "ciphers": "PSK+HIGH",
                               "maxVersion": "TLSv1.2"})
    pair = tls_pair(server, pskCallback=lambda hint: {"psk": PSK, "identity": "stranger"}, ciphers="PSK+HIGH",
                    maxVersion="TLSv1.2", checkServerIdentity=lambda *a: None)
    await pair.failed()
    assert pair.client_errors and pair.client_errors[0].code.startswith("ERR_SSL_")
    assert pair.server_errors and pair.server_errors[0].code.startswith("ERR_SSL_")


# -- keylog ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("version", ["TLSv1.2", "TLSv1.3"])
def test_keylog_lines_match_on_both_sides(server_options, ca_pem, version):
    @async_test()
    async def run():
        server = tls.createServer(dict(server_options, maxVersion=version))
        server_lines: List[bytes] = []
        server.on("keylog", lambda line, sock: server_lines.append(bytes(line)))
        client_lines: List[bytes] = []
        pair = tls_pair(server, ca=[ca_pem])
        pair.client.on("keylog", lambda line: client_lines.append(bytes(line)))
        await pair.secure()
        await asyncio.sleep(0)  # the lines are emitted outside OpenSSL's stack
        labels = sorted(line.split(b" ")[0] for line in client_lines)
        if version == "TLSv1.3":
            assert labels == sorted([b"CLIENT_HANDSHAKE_TRAFFIC_SECRET", b"SERVER_HANDSHAKE_TRAFFIC_SECRET",
                                     b"CLIENT_TRAFFIC_SECRET_0", b"SERVER_TRAFFIC_SECRET_0", b"EXPORTER_SECRET"])
        else:
            assert labels == [b"CLIENT_RANDOM"]
        # the same secrets on both ends, one line each, newline-terminated
        assert sorted(server_lines) == sorted(client_lines)
        assert all(line.endswith(b"\n") for line in client_lines)
        await pair.close()

    run()
