"""NPN (the spec's ``NPNProtocols`` / ``npnProtocol``; Node 20 dropped it).

NPN exists in TLS 1.2 and older only.  The server advertises its list, the
client picks the first of the server's protocols it supports (server
preference); with no overlap the client sends its own first protocol (the
server sees it) and its ``npnProtocol`` is ``False``.  When a client offers
both, ALPN wins and the server sends no NPN.  ``npnProtocol`` is ``None``
before the handshake and ``False`` when nothing was negotiated.

Peers: our client <-> our server, ``openssl s_client -nextprotoneg`` against
our server and our client against ``openssl s_server -nextprotoneg``.
"""
import asyncio
import re

import pytest

import tls

from support.aio import future_event, run_async
from support.certs import node_keys
from support.openssl import run_openssl, s_server

TLS12 = {"maxVersion": "TLSv1.2"}


def negotiate(server_options, client_options):
    """One connection of ours: (server socket facts, client socket facts)."""
    keys = node_keys()

    async def main():
        server = tls.createServer(dict(server_options, key=keys["agent1"]["key"], cert=keys["agent1"]["cert"]))
        secure = future_event(server, "secureConnection")
        listening = asyncio.get_running_loop().create_future()
        server.listen(0, "127.0.0.1", lambda: listening.set_result(None))
        await listening
        client = tls.connect(dict(client_options, port=server.address()["port"], host="127.0.0.1",
                                  rejectUnauthorized=False))
        assert client.npnProtocol is None  # not negotiated yet
        await future_event(client, "secureConnect")
        (conn,) = await secure
        facts = ({"NPN": conn.npnProtocol, "ALPN": conn.alpnProtocol, "protocol": conn.getProtocol()},
                 {"NPN": client.npnProtocol, "ALPN": client.alpnProtocol})
        closed = future_event(client, "close")
        client.end()
        conn.end()
        await closed
        server.close()
        return facts

    return run_async(main())


@pytest.mark.parametrize("server_protos,client_protos,server_npn,client_npn", [
    (["a", "b", "c"], ["a", "b", "c"], "a", "a"),
    (["a", "b", "c"], ["c", "b", "e"], "b", "b"),        # the server's preference
    (["a", "b", "c"], ["first-priority-unsupported", "x", "y"], "first-priority-unsupported", False),
    (["a", "b", "c"], None, False, False),                # the client does not take part
    (None, ["a", "b", "c"], False, False),                # nothing advertised
    (b"\x01a\x01b", [b"b"], "b", "b"),                    # wire-format buffer, bytes names
], ids=["same", "server-preference", "no-overlap", "client-without", "server-without", "buffers"])
def test_npn_between_our_peers(server_protos, client_protos, server_npn, client_npn):
    server_options = dict(TLS12, NPNProtocols=server_protos) if server_protos is not None else dict(TLS12)
    client_options = {"NPNProtocols": client_protos} if client_protos is not None else {}
    server, client = negotiate(server_options, client_options)
    assert server["protocol"] == "TLSv1.2"
    assert (server["NPN"], client["NPN"]) == (server_npn, client_npn)
    assert (server["ALPN"], client["ALPN"]) == (False, False)


def test_alpn_wins_over_npn():
    server, client = negotiate(dict(TLS12, ALPNProtocols=["a", "b"], NPNProtocols=["a", "b"]),
                               {"ALPNProtocols": ["b"], "NPNProtocols": ["a"]})
    assert (server["ALPN"], client["ALPN"]) == ("b", "b")
    assert (server["NPN"], client["NPN"]) == (False, False)


def test_npn_when_the_server_has_no_alpn():
    """A client offering both gets NPN from a server that only speaks NPN."""
    server, client = negotiate(dict(TLS12, NPNProtocols=["a", "b"]), {"ALPNProtocols": ["b"], "NPNProtocols": ["b"]})
    assert (server["ALPN"], client["ALPN"]) == (False, False)
    assert (server["NPN"], client["NPN"]) == ("b", "b")


def test_no_npn_in_tls13():
    server, client = negotiate({"NPNProtocols": ["a"]}, {"NPNProtocols": ["a"]})
    assert server["protocol"] == "TLSv1.3"
    assert (server["NPN"], client["NPN"]) == (False, False)


# -- openssl s_client -nextprotoneg -> our server --------------------------------------------

@pytest.mark.parametrize("client_list,expected_line,server_npn", [
    ("b,a", b"Next protocol: (1) a", "a"),
    ("x,y", b"Next protocol: (2) x", "x"),   # (2): OPENSSL_NPN_NO_OVERLAP, s_client sends its first
])
def test_s_client_to_our_server(client_list, expected_line, server_npn):
    keys = node_keys()

    async def main():
        server = tls.createServer({"key": keys["agent1"]["key"], "cert": keys["agent1"]["cert"],
                                   "NPNProtocols": ["a", "b"], "maxVersion": "TLSv1.2"})
        seen = []
        server.on("secureConnection", lambda sock: (seen.append(sock.npnProtocol), sock.end()))
        listening = asyncio.get_running_loop().create_future()
        server.listen(0, "127.0.0.1", lambda: listening.set_result(None))
        await listening
        code, out, err = await run_openssl("s_client", "-connect", "127.0.0.1:%d" % server.address()["port"],
                                       "-nextprotoneg", client_list, "-tls1_2")
        server.close()
        assert expected_line in out, out
        assert seen == [server_npn]

    run_async(main())


def test_s_client_alpn_wins_over_npn():
    keys = node_keys()

    async def main():
        server = tls.createServer({"key": keys["agent1"]["key"], "cert": keys["agent1"]["cert"],
                                   "NPNProtocols": ["a", "b"], "ALPNProtocols": ["b"], "maxVersion": "TLSv1.2"})
        seen = []
        server.on("secureConnection", lambda sock: (seen.append((sock.alpnProtocol, sock.npnProtocol)), sock.end()))
        listening = asyncio.get_running_loop().create_future()
        server.listen(0, "127.0.0.1", lambda: listening.set_result(None))
        await listening
        code, out, err = await run_openssl("s_client", "-connect", "127.0.0.1:%d" % server.address()["port"],
                                       "-nextprotoneg", "a,b", "-alpn", "b", "-tls1_2")
        server.close()
        assert b"ALPN protocol: b" in out, out
        assert b"Next protocol" not in out, out
        assert seen == [("b", False)]

    run_async(main())


# -- our client -> openssl s_server -nextprotoneg -------------------------------------------

@pytest.mark.parametrize("client_protos,client_npn,server_line", [
    (["x", "b"], "b", b"NEXTPROTO is b"),
    (["x", "y"], False, b"NEXTPROTO is x"),
])
def test_our_client_to_s_server(client_protos, client_npn, server_line):
    keys = node_keys()
    paths = keys["paths"]

    async def main():
        server, port = await s_server(["-key", paths["agent1-key"], "-cert", paths["agent1-cert"], "-naccept", "1",
                                       "-nextprotoneg", "a,b", "-tls1_2"])
        async with server:
            client = tls.connect({"port": port, "host": "127.0.0.1", "rejectUnauthorized": False,
                                  "NPNProtocols": client_protos})
            await future_event(client, "secureConnect")
            assert client.npnProtocol == client_npn
            assert client.getProtocol() == "TLSv1.2"
            closed = future_event(client, "close")
            client.end()
            await closed
            out = await server.read_rest()
        assert re.search(re.escape(server_line) + rb"\r?\n", out), out

    run_async(main())
