"""tls.open_connection / tls.start_server: asyncio's streams over Node's TLS.

``tcp_echo_client`` and ``handle_echo`` below are the standard asyncio-streams
echo pair, unmodified: the first test runs them over plain asyncio TCP
(``asyncio.open_connection`` / ``asyncio.start_server``), the others over this
package's TLS against Node and openssl peers.  Every test runs on asyncio's
default loop and on uvloop.
"""
from __future__ import annotations

import asyncio
import hashlib
import os
import re
import ssl

import pytest

import tls

from support.aio import FROM_FIXTURE, async_test
from support.loopback import free_port
from support.node import NODE_CLIENT, NodePeer, node_port
from support.openssl import OpenSSLPeer, s_server



# -- the standard asyncio echo pair (as in the asyncio documentation) -------------------------

async def tcp_echo_client(open_connection, host, port, lines, **kwargs):
    reader, writer = await open_connection(host, port, **kwargs)
    replies = []
    for line in lines:
        writer.write(line)
        await writer.drain()
        replies.append(await reader.readline())
    writer.close()
    await writer.wait_closed()
    return replies


async def handle_echo(reader, writer):
    while True:
        line = await reader.readline()
        if not line:
            break
        writer.write(line)
        await writer.drain()
    writer.close()
    await writer.wait_closed()


LINES = [b"ping\n", b"second line\n", b"x" * 60000 + b"\n"]


@async_test(15, loop=FROM_FIXTURE)
async def test_the_echo_pair_is_plain_asyncio(loop_name):
    server = await asyncio.start_server(handle_echo, "127.0.0.1", 0)
    async with server:
        port = server.sockets[0].getsockname()[1]
        assert await tcp_echo_client(asyncio.open_connection, "127.0.0.1", port, LINES) == LINES


@async_test(15, loop=FROM_FIXTURE)
async def test_the_echo_pair_over_tls(loop_name, pems):
    server = await tls.start_server(handle_echo, "127.0.0.1", 0, **pems.server_options())
    assert isinstance(server, asyncio.AbstractServer) and server.is_serving()
    async with server:
        port = server.sockets[0].getsockname()[1]
        assert port == server.tls_server.address()["port"]
        assert await tcp_echo_client(tls.open_connection, "localhost", port, LINES, ca=[pems.ca]) == LINES
        server.close()
        await server.wait_closed()
    assert not server.is_serving() and server.sockets == ()


# -- our client -> Node / openssl servers ----------------------------------------------------

NODE_PIPE_ECHO_SERVER = r"""
const server = tls.createServer(tlsOptions(), (s) => {
  report(Object.assign({event: 'secure'}, sockInfo(s)));
  s.pipe(s);
  s.on('close', () => report({event: 'close'}));
});
server.listen(0, '127.0.0.1', () => report({event: 'listening', port: server.address().port}));
"""


@async_test(20, loop=FROM_FIXTURE)
async def test_echo_client_against_a_node_server(loop_name, pems):
    cfg = pems.node_server_cfg(options={"ALPNProtocols": ["echo/1"]})
    async with NodePeer(NODE_PIPE_ECHO_SERVER, cfg) as peer:
        port = await node_port(peer)
        extra = {}

        async def open_connection(host, port, **kwargs):   # records get_extra_info on the way
            reader, writer = await tls.open_connection(host, port, **kwargs)
            for name in ("tls_socket", "ssl_object", "peercert", "cipher", "peername", "sockname",
                         "socket", "sslcontext"):
                extra[name] = writer.get_extra_info(name)
            view = extra["ssl_object"]
            extra["view"] = (view.version(), view.selected_alpn_protocol(), view.server_side,
                             view.server_hostname, view.cipher())
            return reader, writer

        replies = await tcp_echo_client(open_connection, "localhost", port, LINES, ca=[pems.ca],
                                        ALPNProtocols=["echo/1"])
        assert replies == LINES
        secure = await peer.expect("secure")
        assert secure["alpn"] == "echo/1"
        await peer.expect("close")
    sock = extra["tls_socket"]
    assert isinstance(sock, tls.TLSSocket)
    assert extra["view"] == ("TLSv1.3", "echo/1", False, "localhost", extra["cipher"])
    assert secure["protocol"] == "TLSv1.3"
    assert extra["cipher"][0] == secure["cipher"]["name"] and extra["cipher"][1] == "TLSv1.3"
    assert extra["cipher"][2] in (128, 256)
    assert dict(x[0] for x in extra["peercert"]["issuer"])["organizationName"].startswith("trustme")
    assert ("DNS", "localhost") in extra["peercert"]["subjectAltName"]
    assert extra["peername"] == ("127.0.0.1", port)
    assert extra["sockname"][0] == "127.0.0.1"
    assert extra["socket"] is not None
    assert isinstance(extra["sslcontext"], tls.SecureContext)


@async_test(20, loop=FROM_FIXTURE)
async def test_echo_client_against_openssl_s_server(loop_name, pems):
    # s_server -rev: a line echo server that sends each line back reversed
    server, port = await s_server(["-key", pems.path("key"), "-cert", pems.path("cert"), "-rev",
                                   "-naccept", "1"])
    async with server:
        replies = await tcp_echo_client(tls.open_connection, "localhost", port, [b"ping\n", b"stressed\n"],
                                        ca=[pems.ca])
        assert replies == [b"gnip\n", b"desserts\n"]
        assert await server.exit_code() == 0


@async_test(15, loop=FROM_FIXTURE)
async def test_open_connection_raises_node_errors(loop_name, pems):
    server = await tls.start_server(handle_echo, "127.0.0.1", 0, **pems.server_options())
    async with server:
        port = server.sockets[0].getsockname()[1]
        with pytest.raises(tls.NodeError) as info:
            await tls.open_connection("localhost", port)                   # the system roots
        assert info.value.code == "UNABLE_TO_VERIFY_LEAF_SIGNATURE"
        with pytest.raises(tls.NodeError) as info:
            await tls.open_connection("127.0.0.1", port, ca=[pems.ca], server_hostname="other.example")
        assert info.value.code == "ERR_TLS_CERT_ALTNAME_INVALID"
        # asyncio's server_hostname='' turns the host name check off
        assert await tcp_echo_client(tls.open_connection, "127.0.0.1", port, [b"ok\n"], ca=[pems.ca],
                                     servername="other.example", server_hostname="") == [b"ok\n"]
        with pytest.raises(tls.NodeError) as info:
            await tls.open_connection("127.0.0.1", free_port(), ca=[pems.ca])
        assert info.value.code == "ECONNREFUSED"
        with pytest.raises(TypeError, match="rejectUnauthorised.*did you mean rejectUnauthorized"):
            await tls.open_connection("127.0.0.1", port, rejectUnauthorised=False)
        with pytest.raises(TypeError, match="cafile"):
            await tls.open_connection("127.0.0.1", port, cafile="/etc/ssl/certs/ca-certificates.crt")
        with pytest.raises(TypeError):
            await tls.open_connection("127.0.0.1", port, ssl=ssl.create_default_context())


# -- Node / openssl clients -> tls.start_server ---------------------------------------------------

@async_test(20, loop=FROM_FIXTURE)
async def test_echo_server_with_a_node_client(loop_name, pems):
    server = await tls.start_server(handle_echo, "127.0.0.1", 0, **pems.server_options())
    async with server:
        cfg = {"port": server.sockets[0].getsockname()[1], "send": "from node\n", "expect": "from node\n",
               "ca": pems.path("ca"), "options": {"servername": "localhost"}}
        async with NodePeer(NODE_CLIENT, cfg) as peer:
            assert (await peer.expect("secureConnect"))["authorized"] is True
            assert (await peer.expect("data"))["text"] == "from node\n"
            assert (await peer.expect("end"))["text"] == "from node\n"
            assert (await peer.expect("close"))["hadError"] is False


@async_test(20, loop=FROM_FIXTURE)
async def test_echo_server_with_openssl_s_client(loop_name, pems):
    server = await tls.start_server(handle_echo, "127.0.0.1", 0, **pems.server_options())
    async with server:
        port = server.sockets[0].getsockname()[1]
        argv = ["s_client", "-connect", "127.0.0.1:%d" % port, "-servername", "localhost",
                "-CAfile", pems.path("ca"), "-verify_hostname", "localhost", "-verify_return_error"]
        async with await OpenSSLPeer().start(argv) as client:
            await client.until(b"Verify return code: 0 (ok)")
            client.send(b"ping from s_client\n")
            await client.drain()
            await client.until(re.compile(rb"\nping from s_client\n"))
            client.send(b"Q\n")        # s_client sends close_notify and exits
            await client.drain()
            assert await client.exit_code() == 0


@async_test(20, loop=FROM_FIXTURE)
async def test_client_certificates_alpn_and_extra_info_match_pythons_ssl(loop_name, pems):
    seen = {}

    async def handler(reader, writer):
        seen["peercert"] = writer.get_extra_info("peercert")
        seen["alpn"] = writer.get_extra_info("ssl_object").selected_alpn_protocol()
        seen["server_side"] = writer.get_extra_info("ssl_object").server_side
        seen["authorized"] = writer.get_extra_info("tls_socket").authorized
        await handle_echo(reader, writer)

    server = await tls.start_server(handler, "127.0.0.1", 0, ca=[pems.ca], requestCert=True,
                                    ALPNProtocols=["h2", "http/1.1"], **pems.server_options())
    async with server:
        port = server.sockets[0].getsockname()[1]
        # Python's ssl module as the client: the same certificate dict from both sides
        context = ssl.create_default_context(cadata=pems.ca.decode())
        context.load_cert_chain(pems.path("client_cert"), pems.path("client_key"))
        context.set_alpn_protocols(["http/1.1"])
        reader, writer = await asyncio.open_connection("127.0.0.1", port, ssl=context,
                                                       server_hostname="localhost")
        python_view = writer.get_extra_info("peercert")
        writer.write(b"hi\n")
        await writer.drain()
        assert await reader.readline() == b"hi\n"
        writer.close()
        await writer.wait_closed()
        assert seen["alpn"] == "http/1.1" and seen["server_side"] is True and seen["authorized"] is True
        ours = seen["peercert"]
        assert ours["subject"] == ((("organizationName", ours["subject"][0][0][1]),),
                                   (("organizationalUnitName", ours["subject"][1][0][1]),),
                                   (("commonName", "client"),))
        assert ours["subjectAltName"] == (("email", "client@example.org"),)
        # our client's peercert is exactly what Python's ssl reports for the server
        reader, writer = await tls.open_connection("127.0.0.1", port, ca=[pems.ca], servername="localhost",
                                                   key=pems.client_key, cert=pems.client_cert)
        assert writer.get_extra_info("peercert") == python_view
        leaf = pems.cert.decode().split("-----END CERTIFICATE-----")[0] + "-----END CERTIFICATE-----\n"
        assert writer.get_extra_info("ssl_object").getpeercert(True) == ssl.PEM_cert_to_DER_cert(leaf)
        writer.close()
        await writer.wait_closed()


# -- flow control, half-close, serve_forever -----------------------------------------------------

@async_test(30, loop=FROM_FIXTURE)
async def test_large_transfer_backpressure_both_ways(loop_name, pems):
    total = 16 * 1024 * 1024           # more than loopback's socket buffers hold
    payload = os.urandom(total)
    loop = asyncio.get_running_loop()
    go, blocked, paused = loop.create_future(), loop.create_future(), loop.create_future()

    async def sender(reader, writer):
        await go
        view = memoryview(payload)
        for offset in range(0, total, 100_000):
            writer.write(view[offset:offset + 100_000])
            if writer.transport.get_write_buffer_size() >= writer.transport.get_write_buffer_limits()[1] \
                    and paused.done() and not blocked.done():
                blocked.set_result(None)     # the client stopped reading: drain() will wait
            await writer.drain()
        writer.write_eof()
        assert await reader.read() == b""
        writer.close()
        await writer.wait_closed()

    server = await tls.start_server(sender, "127.0.0.1", 0, **pems.server_options())
    async with server:
        reader, writer = await tls.open_connection("localhost", server.sockets[0].getsockname()[1],
                                                   ca=[pems.ca], limit=64 * 1024)
        transport = writer.transport
        pause_reading = transport.pause_reading

        def watching_pause_reading():    # what StreamReader calls when its buffer is over 2 * limit
            pause_reading()
            if not paused.done():
                paused.set_result(None)

        transport.pause_reading = watching_pause_reading
        go.set_result(None)
        await paused
        await blocked
        # the StreamReader stopped the transport: it holds about 2 * limit, TCP holds the rest
        assert not transport.is_reading()
        assert len(reader._buffer) <= 2 * 64 * 1024 + 512 * 1024
        digest = hashlib.sha256()
        count = 0
        while True:
            chunk = await reader.read(1 << 20)
            if not chunk:
                break
            count += len(chunk)
            digest.update(chunk)
        assert count == total and digest.digest() == hashlib.sha256(payload).digest()
        writer.close()
        await writer.wait_closed()


@async_test(15, loop=FROM_FIXTURE)
async def test_half_close_with_allow_half_open(loop_name, pems):
    async def respond_after_eof(reader, writer):
        request = await reader.read()          # until the client's write_eof()
        writer.write(b"got " + request)
        await writer.drain()
        writer.close()
        await writer.wait_closed()

    server = await tls.start_server(respond_after_eof, "127.0.0.1", 0, allowHalfOpen=True,
                                    **pems.server_options())
    async with server:
        reader, writer = await tls.open_connection("localhost", server.sockets[0].getsockname()[1],
                                                   ca=[pems.ca])
        assert writer.can_write_eof()
        writer.write(b"request")
        writer.write_eof()
        assert await reader.read() == b"got request"
        writer.close()
        await writer.wait_closed()


@async_test(15, loop=FROM_FIXTURE)
async def test_serve_forever_until_cancelled(loop_name, pems):
    server = await tls.start_server(handle_echo, "127.0.0.1", 0, start_serving=False, **pems.server_options())
    assert not server.is_serving() and server.sockets == ()

    async def serve():
        async with server:
            await server.serve_forever()

    listening = asyncio.get_running_loop().create_future()
    server.tls_server.once("listening", lambda: listening.set_result(None))
    task = asyncio.ensure_future(serve())
    await listening
    port = server.sockets[0].getsockname()[1]
    assert await tcp_echo_client(tls.open_connection, "localhost", port, [b"one\n"], ca=[pems.ca]) == [b"one\n"]
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert not server.is_serving()
    await server.wait_closed()


@async_test(15, loop=FROM_FIXTURE)
async def test_unix_socket_server_and_connection(loop_name, pems, tmp_path):
    path = str(tmp_path / "echo.sock")
    server = await tls.start_unix_server(handle_echo, path, **pems.server_options())
    async with server:
        assert server.tls_server.address() == path
        replies = await tcp_echo_client(lambda host, port, **kw: tls.open_unix_connection(path, **kw), None, None,
                                        [b"over a unix socket\n"], ca=[pems.ca], servername="localhost")
        assert replies == [b"over a unix socket\n"]
