"""ALPN and SNI against real Node 20 peers (client and server) over loopback.

The Node side reports what it saw as JSON lines; both ends must agree on the
negotiated protocol, the server name and the certificate that was served.
"""
import asyncio

import pytest

import tls
from tls._node import runtime as _runtime

from support.aio import future_event, run_async
from support.certs import node_keys
from support.node import NodePeer

NODE_CLIENT = r"""
const tls = require('tls'), fs = require('fs');
const cfg = JSON.parse(process.argv[1]);
const opts = {port: cfg.port, host: '127.0.0.1', rejectUnauthorized: false, ...cfg.options};
for (const k of ['ca', 'key', 'cert']) if (cfg[k]) opts[k] = fs.readFileSync(cfg[k]);
const out = (o) => process.stdout.write(JSON.stringify(o) + '\n');
const s = tls.connect(opts, () => {
  out({event: 'secureConnect', alpn: s.alpnProtocol, servername: s.servername,
       cn: s.getPeerCertificate().subject.CN, authorizationError: s.authorizationError || null});
  s.end();
});
s.on('error', (e) => out({event: 'error', code: e.code || null, message: e.message}));
s.on('close', () => out({event: 'close'}));
"""

NODE_SERVER = r"""
const tls = require('tls'), fs = require('fs');
const cfg = JSON.parse(process.argv[1]);
const read = (n) => fs.readFileSync(cfg.files[n]);
const out = (o) => process.stdout.write(JSON.stringify(o) + '\n');
const opts = {key: read('agent1-key'), cert: read('agent1-cert'), ...cfg.options};
if (cfg.sni) opts.SNICallback = (name, cb) => {
  out({event: 'SNICallback', servername: name});
  const agent = cfg.sni[name];
  setTimeout(() => cb(null, agent ? tls.createSecureContext({key: read(agent + '-key'), cert: read(agent + '-cert')})
                                  : null), 50);
};
if (cfg.alpnCallback) opts.ALPNCallback = (info) => {
  out({event: 'ALPNCallback', info});
  return info.protocols[info.protocols.length - 1];
};
const server = tls.createServer(opts, (s) => {
  out({event: 'secure', alpn: s.alpnProtocol, servername: s.servername, cn: s.getCertificate().subject.CN});
  s.end();
  server.close();
});
server.on('tlsClientError', (e) => { out({event: 'tlsClientError', code: e.code || null}); server.close(); });
server.listen(0, '127.0.0.1', () => out({event: 'listening', port: server.address().port}));
"""


async def our_server(options, setup=None):
    keys = node_keys()
    server = tls.createServer(dict({"key": keys["agent1"]["key"], "cert": keys["agent1"]["cert"]}, **options))
    if setup is not None:
        setup(server)
    listening = asyncio.get_running_loop().create_future()
    server.listen(0, "127.0.0.1", lambda: listening.set_result(None))
    await listening
    return server


def secure_facts(server):
    """A future with what the server socket saw at 'secureConnection'."""
    fut = asyncio.get_running_loop().create_future()

    def on_secure(sock):
        if not fut.done():
            fut.set_result({"alpn": sock.alpnProtocol, "servername": sock.servername,
                            "cn": sock.getCertificate()["subject"]["CN"],
                            "peer": (sock.getPeerCertificate() or {}).get("subject", {}).get("CN"),
                            "authorized": sock.authorized, "authorizationError": sock.authorizationError})

    server.once("secureConnection", on_secure)
    return fut


# -- Node client -> our server -----------------------------------------------------------------

def test_node_client_alpn_to_our_server():
    async def main():
        server = await our_server({"ALPNProtocols": ["http/1.1", "h2"]})
        secure = future_event(server, "secureConnection")
        cfg = {"port": server.address()["port"], "options": {"ALPNProtocols": ["x", "h2", "http/1.1"]}}
        async with NodePeer(NODE_CLIENT, cfg, prelude=False) as node:
            report = await node.expect("secureConnect")
            (sock,) = await secure
        assert report["alpn"] == sock.alpnProtocol == "http/1.1"  # the server's preference
        server.close()

    run_async(main())


def test_node_client_to_our_wire_format_server_list():
    """A checked wire-format buffer (tests/test_protocol_lists.py) still selects by server preference."""
    async def main():
        server = await our_server({"ALPNProtocols": b"\x02h2\x08http/1.1"})
        secure = future_event(server, "secureConnection")
        cfg = {"port": server.address()["port"], "options": {"ALPNProtocols": ["http/1.1", "h2"]}}
        async with NodePeer(NODE_CLIENT, cfg, prelude=False) as node:
            report = await node.expect("secureConnect")
            (sock,) = await secure
        assert report["alpn"] == sock.alpnProtocol == "h2"
        server.close()

    run_async(main())


def test_node_client_alpn_without_overlap():
    async def main():
        server = await our_server({"ALPNProtocols": ["h2"]})
        error = future_event(server, "tlsClientError")
        cfg = {"port": server.address()["port"], "options": {"ALPNProtocols": ["http/1.1"]}}
        async with NodePeer(NODE_CLIENT, cfg, prelude=False) as node:
            report = await node.expect("error")
            err, _ = await error
        assert report["code"] == "ERR_SSL_TLSV1_ALERT_NO_APPLICATION_PROTOCOL"
        assert err.code == "ERR_SSL_NO_APPLICATION_PROTOCOL"
        server.close()

    run_async(main())


def test_node_client_to_our_alpn_callback():
    async def main():
        seen = []
        server = await our_server({"ALPNCallback": lambda info: (seen.append(info), info["protocols"][0])[1]})
        secure = future_event(server, "secureConnection")
        cfg = {"port": server.address()["port"], "options": {"ALPNProtocols": ["h2", "http/1.1"],
                                                             "servername": "cb.example"}}
        async with NodePeer(NODE_CLIENT, cfg, prelude=False) as node:
            report = await node.expect("secureConnect")
            await secure
        assert seen == [{"servername": "cb.example", "protocols": ["h2", "http/1.1"]}]
        assert report["alpn"] == "h2"
        server.close()

    run_async(main())


def test_node_client_sni_to_our_add_context():
    keys = node_keys()

    async def main():
        server = await our_server({}, lambda s: s.addContext("*.example", {"key": keys["agent3"]["key"],
                                                                            "cert": keys["agent3"]["cert"]}))
        secure = secure_facts(server)
        cfg = {"port": server.address()["port"], "ca": keys["paths"]["ca2-cert"],
               "options": {"servername": "sni.example"}}
        async with NodePeer(NODE_CLIENT, cfg, prelude=False) as node:
            report = await node.expect("secureConnect")
            ours = await secure
        assert report["cn"] == "agent3" and report["servername"] == "sni.example"
        assert report["authorizationError"] == "ERR_TLS_CERT_ALTNAME_INVALID"  # trusted chain, other name
        assert ours["servername"] == "sni.example" and ours["cn"] == "agent3"
        server.close()

    run_async(main())


def test_node_client_without_sni_gets_the_default():
    async def main():
        names = []
        server = await our_server({"SNICallback": lambda name, cb: (names.append(name), cb(None, None))})
        secure = future_event(server, "secureConnection")
        cfg = {"port": server.address()["port"], "options": {}}
        async with NodePeer(NODE_CLIENT, cfg, prelude=False) as node:
            report = await node.expect("secureConnect")
            (sock,) = await secure
        assert names == []
        assert report["cn"] == "agent1" and report["servername"] is False
        assert sock.servername is False
        server.close()

    run_async(main())


def test_node_client_sni_switches_the_ca_store():
    """requestCert: the SNI context's CA (ca2) verifies the Node client's agent4."""
    keys = node_keys()

    def sni(name, cb):
        _runtime.setTimeout(cb, 30, None, tls.createSecureContext(
            {"key": keys["agent3"]["key"], "cert": keys["agent3"]["cert"], "ca": [keys["ca2"]]}))

    async def main():
        server = await our_server({"requestCert": True, "rejectUnauthorized": False, "SNICallback": sni})
        secure = secure_facts(server)
        paths = keys["paths"]
        cfg = {"port": server.address()["port"], "key": paths["agent4-key"], "cert": paths["agent4-cert"],
               "options": {"servername": "ca.example"}}
        async with NodePeer(NODE_CLIENT, cfg, prelude=False) as node:
            report = await node.expect("secureConnect")
            ours = await secure
        assert report["cn"] == "agent3"
        assert ours["authorized"] is True and ours["authorizationError"] is None
        assert ours["peer"] == "agent4"
        server.close()

    run_async(main())


# -- our client -> Node server -----------------------------------------------------------------

@pytest.mark.parametrize("version", ["TLSv1.2", "TLSv1.3"])
def test_our_client_alpn_to_node_server(version):
    async def main():
        cfg = {"files": node_keys()["paths"], "options": {"ALPNProtocols": ["h2", "http/1.1"],
                                                          "maxVersion": version}}
        async with NodePeer(NODE_SERVER, cfg, prelude=False) as node:
            port = (await node.expect("listening"))["port"]
            client = tls.connect({"port": port, "host": "127.0.0.1", "rejectUnauthorized": False,
                                  "ALPNProtocols": ["http/1.1", "h2"]})
            await future_event(client, "secureConnect")
            report = await node.expect("secure")
            assert client.alpnProtocol == report["alpn"] == "h2"  # the server's preference
            client.destroy()

    run_async(main())


def test_our_client_wire_format_memoryview_to_node_server():
    async def main():
        cfg = {"files": node_keys()["paths"], "options": {"ALPNProtocols": ["x", "http/1.1"]}}
        async with NodePeer(NODE_SERVER, cfg, prelude=False) as node:
            port = (await node.expect("listening"))["port"]
            client = tls.connect({"port": port, "host": "127.0.0.1", "rejectUnauthorized": False,
                                  "ALPNProtocols": memoryview(b"\x02h2\x08http/1.1")})
            await future_event(client, "secureConnect")
            report = await node.expect("secure")
            assert client.alpnProtocol == report["alpn"] == "http/1.1"
            client.destroy()

    run_async(main())


def test_our_client_alpn_without_overlap_to_node_server():
    async def main():
        cfg = {"files": node_keys()["paths"], "options": {"ALPNProtocols": ["h2"]}}
        async with NodePeer(NODE_SERVER, cfg, prelude=False) as node:
            port = (await node.expect("listening"))["port"]
            client = tls.connect({"port": port, "host": "127.0.0.1", "rejectUnauthorized": False,
                                  "ALPNProtocols": ["http/1.1"]})
            (err,) = await future_event(client, "error")
            report = await node.expect("tlsClientError")
        assert err.code == "ERR_SSL_TLSV1_ALERT_NO_APPLICATION_PROTOCOL"
        assert report["code"] == "ERR_SSL_NO_APPLICATION_PROTOCOL"

    run_async(main())


def test_our_client_to_node_alpn_callback():
    async def main():
        cfg = {"files": node_keys()["paths"], "options": {}, "alpnCallback": True}
        async with NodePeer(NODE_SERVER, cfg, prelude=False) as node:
            port = (await node.expect("listening"))["port"]
            client = tls.connect({"port": port, "host": "127.0.0.1", "rejectUnauthorized": False,
                                  "ALPNProtocols": ["a", "b", "c"], "servername": "alpn.example"})
            await future_event(client, "secureConnect")
            info = (await node.expect("ALPNCallback"))["info"]
            await node.expect("secure")
        assert info == {"servername": "alpn.example", "protocols": ["a", "b", "c"]}
        assert client.alpnProtocol == "c"
        client.destroy()

    run_async(main())


@pytest.mark.parametrize("servername,cn", [("sni.example", "agent3"), ("other.example", "agent1")])
def test_our_client_sni_to_node_sni_callback(servername, cn):
    async def main():
        cfg = {"files": node_keys()["paths"], "options": {}, "sni": {"sni.example": "agent3"}}
        async with NodePeer(NODE_SERVER, cfg, prelude=False) as node:
            port = (await node.expect("listening"))["port"]
            client = tls.connect({"port": port, "host": "127.0.0.1", "rejectUnauthorized": False,
                                  "servername": servername})
            await future_event(client, "secureConnect")
            seen = client.getPeerCertificate()["subject"]["CN"]
            asked = await node.expect("SNICallback")
            report = await node.expect("secure")
        assert asked["servername"] == servername == report["servername"] == client.servername
        assert seen == report["cn"] == cn
        client.destroy()

    run_async(main())


def test_our_client_without_servername_sends_no_sni():
    async def main():
        cfg = {"files": node_keys()["paths"], "options": {}, "sni": {"sni.example": "agent3"}}
        async with NodePeer(NODE_SERVER, cfg, prelude=False) as node:
            port = (await node.expect("listening"))["port"]
            client = tls.connect({"port": port, "host": "localhost", "rejectUnauthorized": False})
            await future_event(client, "secureConnect")
            report = await node.expect("secure")  # (an 'SNICallback' line would come first)
        assert report["servername"] is False and report["cn"] == "agent1"
        assert client.servername is False
        client.destroy()

    run_async(main())
