"""The public surface: Node's names, options as a dict or as keyword arguments,
and the same objects working under tls.run and inside asyncio.run."""
from __future__ import annotations

import asyncio

import pytest

import tls

NODE_TLS_NAMES = [
    "CLIENT_RENEG_LIMIT", "CLIENT_RENEG_WINDOW", "DEFAULT_CIPHERS", "DEFAULT_ECDH_CURVE",
    "DEFAULT_MAX_VERSION", "DEFAULT_MIN_VERSION", "SecureContext", "Server", "TLSSocket",
    "checkServerIdentity", "connect", "convertALPNProtocols", "createSecureContext",
    "createSecurePair", "createServer", "getCiphers", "rootCertificates",
]


@pytest.mark.parametrize("name", NODE_TLS_NAMES)
def test_node_tls_names_exist(name):
    assert getattr(tls, name) is not None


def test_net_and_events_modules():
    assert callable(tls.net.createServer) and callable(tls.net.connect)
    assert tls.net.createConnection is tls.net.connect
    assert issubclass(tls.TLSSocket, tls.net.Socket)
    assert issubclass(tls.Server, tls.net.Server)
    assert issubclass(tls.net.Socket, tls.events.EventEmitter)


def _echo_once(server_kwargs: dict, client_kwargs: dict, ca_pem: bytes) -> dict:
    seen: dict = {}

    def main():
        def on_secure(sock):
            sock.on("data", lambda d: sock.end(d.upper()))

        server = tls.createServer(on_secure, **server_kwargs)

        def on_listening():
            port = server.address()["port"]
            client = tls.connect(port, "localhost", ca=[ca_pem], **client_kwargs)
            client.on("secureConnect", lambda: (
                seen.update(protocol=client.getProtocol(), remoteFamily=client.remoteFamily,
                            remotePort=client.remotePort, localAddress=client.localAddress,
                            address=client.address()),
                client.write(b"ping")))
            client.on("data", lambda d: seen.setdefault("data", d))
            client.on("end", lambda: server.close())

        server.listen(0, "127.0.0.1", on_listening)
        guard = tls._node.runtime.setTimeout(lambda: (_ for _ in ()).throw(TimeoutError("no echo")), 10000)
        guard.unref()

    tls.run(main)
    return seen


def test_options_as_keyword_arguments(key_pem, cert_pem, ca_pem):
    seen = _echo_once({"key": key_pem, "cert": cert_pem, "maxVersion": "TLSv1.2"},
                      {"servername": "localhost"}, ca_pem)
    assert seen["data"] == b"PING"
    assert seen["protocol"] == "TLSv1.2"
    assert seen["remoteFamily"] == "IPv4" and isinstance(seen["remotePort"], int)
    assert seen["localAddress"] == "127.0.0.1"
    assert seen["address"]["family"] == "IPv4"


def test_bytes_like_pem_inputs(key_pem, cert_pem, ca_pem):
    seen = _echo_once({"key": bytearray(key_pem), "cert": memoryview(cert_pem)}, {}, ca_pem)
    assert seen["data"] == b"PING"


def test_works_inside_asyncio_run(server_options, ca_pem):
    async def amain():
        loop = asyncio.get_running_loop()
        got = loop.create_future()
        server = tls.createServer(server_options, lambda s: s.end(b"hi from asyncio"))
        listening = loop.create_future()
        server.listen(0, "127.0.0.1", lambda: listening.set_result(None))
        await asyncio.wait_for(listening, 5)
        client = tls.connect({"port": server.address()["port"], "host": "localhost", "ca": [ca_pem]})
        chunks = []
        client.on("data", chunks.append)
        client.on("end", lambda: got.set_result(b"".join(chunks)))
        assert await asyncio.wait_for(got, 10) == b"hi from asyncio"
        closed = loop.create_future()
        server.close(lambda *a: closed.set_result(None))
        await asyncio.wait_for(closed, 5)

    asyncio.run(amain())


def test_objects_need_a_loop_and_say_so(server_options):
    with pytest.raises(tls.NodeError) as info:
        tls.connect(443, "localhost")
    assert info.value.code == "ERR_NO_EVENT_LOOP"


def test_reset_and_destroy_is_refused_on_a_tls_socket():
    # Node 20 throws ERR_INVALID_HANDLE_TYPE: a TLS socket's handle is not TCP.
    async def amain():
        sock = tls.TLSSocket()
        with pytest.raises(tls.NodeError) as info:
            sock.resetAndDestroy()
        assert info.value.code == "ERR_INVALID_HANDLE_TYPE"
        sock.destroy()

    asyncio.run(amain())
