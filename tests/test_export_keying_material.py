"""tlsSocket.exportKeyingMaterial(length, label[, context]) (Node 20).

Port of test/parallel/test-tls-exportkeyingmaterial.js, plus the check that
matters: both ends of a connection derive the same material, with a Node 20
peer on the other end (TLS 1.2 and 1.3, with and without a context).
"""
from __future__ import annotations

import pytest

import tls

from support.aio import async_test, once
from support.certs import pem_text
from support.loopback import listen
from support.node import NodePeer

LABEL = "EXPORTER-my-protocol"
CONTEXT = bytes([0, 1, 2, 3])


def test_export_keying_material_port(agent1, calls, node_run):
    """Port of test-tls-exportkeyingmaterial.js (a standalone server TLSSocket)."""
    def main():
        def on_connection(s):
            tls_socket = tls.TLSSocket(s, {"isServer": True, "server": server,
                                           "secureContext": tls.createSecureContext(
                                               {"key": agent1["key"], "cert": agent1["cert"]})})
            with pytest.raises(tls.NodeError) as info:
                tls_socket.exportKeyingMaterial(128, "label")
            assert info.value.code == "ERR_TLS_INVALID_STATE"

            def on_secure():
                label = "client finished"
                valid = tls_socket.exportKeyingMaterial(128, label)
                assert isinstance(valid, bytes) and len(valid) == 128
                with_context = tls_socket.exportKeyingMaterial(128, label, bytes([0, 1, 2, 3]))
                assert len(with_context) == 128
                # a context gives a different key than none
                assert valid != with_context
                assert len(tls_socket.exportKeyingMaterial(128, label, b"")) == 128
                for args, code, kind in [
                        ((128, label, "stringAsContextNotSupported"), "ERR_INVALID_ARG_TYPE", TypeError),
                        ((128, label, 1234), "ERR_INVALID_ARG_TYPE", TypeError),
                        ((10, None), "ERR_INVALID_ARG_TYPE", TypeError),
                        (("length", 1234), "ERR_INVALID_ARG_TYPE", TypeError),
                        ((-3, "a"), "ERR_OUT_OF_RANGE", ValueError),
                        ((0, "a"), "ERR_OUT_OF_RANGE", ValueError)]:
                    with pytest.raises(kind) as err:
                        tls_socket.exportKeyingMaterial(*args)
                    assert err.value.code == code, args
                tls_socket.end()
                server.close()

            tls_socket.on("secure", calls.must_call(on_secure))

        server = tls.net.createServer(calls.must_call(on_connection))

        def listening():
            client = tls.connect({"port": server.address()["port"], "rejectUnauthorized": False},
                                 calls.must_call(lambda: client.end()))

        server.listen(0, listening)

    node_run(main)


@pytest.mark.parametrize("args,expected", [
    ((1.5, "a"), "ERR_OUT_OF_RANGE"), ((2 ** 32, "a"), "ERR_OUT_OF_RANGE"), ((True, "a"), "ERR_INVALID_ARG_TYPE"),
    ((16, b"label"), "ERR_INVALID_ARG_TYPE"), ((16, "a", [1]), "ERR_INVALID_ARG_TYPE")])
def test_export_keying_material_validation(agent1, args, expected):
    """More of Node's validateUint32 / validateString / validateBuffer cases."""
    codes = []

    def main():
        server = tls.createServer({"key": agent1["key"], "cert": agent1["cert"]}, lambda s: s.end())

        def listening():
            client = tls.connect({"port": server.address()["port"], "rejectUnauthorized": False})

            def on_secure():
                try:
                    client.exportKeyingMaterial(*args)
                except tls.NodeError as err:
                    codes.append(err.code)
                client.end()
                server.close()

            client.on("secureConnect", on_secure)
            client.resume()

        server.listen(0, "127.0.0.1", listening)

    tls.run(main)
    assert codes == [expected]


def test_export_keying_material_after_destroy_and_lengths(agent1):
    """Any length up to Node's limit works; a prefix of a longer export is not
    required (TLS 1.3 binds the length), but each call is deterministic."""
    out = {}

    def main():
        server = tls.createServer({"key": agent1["key"], "cert": agent1["cert"]}, lambda s: s.end())

        def listening():
            client = tls.connect({"port": server.address()["port"], "rejectUnauthorized": False})

            def on_secure():
                out["a"] = client.exportKeyingMaterial(1, LABEL)
                out["b"] = client.exportKeyingMaterial(1, LABEL)
                out["big"] = client.exportKeyingMaterial(5000, LABEL, CONTEXT)
                client.destroy()
                try:
                    client.exportKeyingMaterial(16, LABEL)
                except tls.NodeError as err:
                    out["after"] = err.code
                server.close()

            client.on("secureConnect", on_secure)

        server.listen(0, "127.0.0.1", listening)

    tls.run(main)
    assert len(out["a"]) == 1 and out["a"] == out["b"]
    assert len(out["big"]) == 5000
    assert out["after"] == "ERR_TLS_INVALID_STATE"


NODE_EKM_SERVER = r"""
const server = tls.createServer({key: cfg.key, cert: cfg.cert, maxVersion: cfg.version}, (s) => {
  report({event: 'ekm', protocol: s.getProtocol(),
          plain: hex(s.exportKeyingMaterial(cfg.length, cfg.label)),
          context: hex(s.exportKeyingMaterial(cfg.length, cfg.label, Buffer.from(cfg.context, 'hex'))),
          empty: hex(s.exportKeyingMaterial(cfg.length, cfg.label, Buffer.alloc(0)))});
  s.end();
  server.close();
});
server.listen(0, '127.0.0.1', () => report({event: 'listening', port: server.address().port}));
"""

NODE_EKM_CLIENT = r"""
const s = tls.connect({port: cfg.port, host: '127.0.0.1', rejectUnauthorized: false, maxVersion: cfg.version},
                      () => {
  report({event: 'ekm', protocol: s.getProtocol(),
          plain: hex(s.exportKeyingMaterial(cfg.length, cfg.label)),
          context: hex(s.exportKeyingMaterial(cfg.length, cfg.label, Buffer.from(cfg.context, 'hex'))),
          empty: hex(s.exportKeyingMaterial(cfg.length, cfg.label, Buffer.alloc(0)))});
  s.end();
});
s.resume();
"""


def _ours(sock, length):
    return {"protocol": sock.getProtocol(),
            "plain": sock.exportKeyingMaterial(length, LABEL).hex(),
            "context": sock.exportKeyingMaterial(length, LABEL, CONTEXT).hex(),
            "empty": sock.exportKeyingMaterial(length, LABEL, b"").hex()}


@pytest.mark.parametrize("version", ["TLSv1.2", "TLSv1.3"])
@async_test()
async def test_export_keying_material_equals_node_server(agent1, version):
    cfg = {"key": pem_text(agent1["key"]), "cert": pem_text(agent1["cert"]), "version": version,
           "length": 64, "label": LABEL, "context": CONTEXT.hex()}
    async with NodePeer(NODE_EKM_SERVER, cfg) as node:
        port = (await node.expect("listening"))["port"]
        client = tls.connect({"port": port, "host": "127.0.0.1", "rejectUnauthorized": False})
        client.resume()
        await once(client, "secureConnect")
        ours = _ours(client, 64)
        theirs = await node.expect("ekm")
        client.end()
    theirs.pop("event"), theirs.pop("_seen")
    assert ours == theirs
    assert ours["protocol"] == version
    # TLS 1.2 tells "no context" from an empty one; TLS 1.3 does not (RFC 8446 7.5)
    assert (ours["plain"] == ours["empty"]) == (version == "TLSv1.3")
    assert ours["plain"] != ours["context"]


@pytest.mark.parametrize("version", ["TLSv1.2", "TLSv1.3"])
@async_test()
async def test_export_keying_material_equals_node_client(agent1, version):
    ours = {}
    server = tls.createServer({"key": agent1["key"], "cert": agent1["cert"]},
                              lambda s: (ours.update(_ours(s, 48)), s.end()))
    port = await listen(server)
    try:
        cfg = {"port": port, "version": version, "length": 48, "label": LABEL, "context": CONTEXT.hex()}
        async with NodePeer(NODE_EKM_CLIENT, cfg) as node:
            theirs = await node.expect("ekm")
            await node.exit_code()
    finally:
        server.close()
    theirs.pop("event"), theirs.pop("_seen")
    assert ours == theirs
