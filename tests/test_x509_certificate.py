"""tls.X509Certificate (Node 20's crypto.X509Certificate), getPeerX509Certificate /
getX509Certificate and enableTrace, every expected value printed by Node 20.

The same description (every property, checkHost / checkEmail / checkIP under each option,
the key checks, the errors with their .code) is made by ``node`` for each certificate and by
this package, and the two must be equal; the TLS getters compare a Python client and server
with a Node client and server on the same certificates.
"""
from __future__ import annotations

import functools
import json
import os
import re
import subprocess
import sys
import textwrap
from typing import Any, Dict, List

import pytest
import trustme

import tls

from support.aio import async_test, once
from support.certs import node_keys
from support.node import NodePeer, node_port
from support.openssl import openssl
from support.python import SRC

pytestmark = pytest.mark.node

HOSTS = ["localhost", "example.org", "foo.example.org", "a.b.example.org", "EXAMPLE.ORG", "fxo.partial.example",
         "f.partial.example", "cn.example", "quoted.example", "good.example", "x", "", "a\u00e9.example.org",
         "*.example.org", "example.org.", "127.0.0.1"]
HOST_OPTIONS: List[Any] = [None, {"subject": "always"}, {"subject": "never"}, {"wildcards": False},
                           {"partialWildcards": False}, {"multiLabelWildcards": True},
                           {"singleLabelSubdomains": True}]
EMAILS = ["someone@example.com", "SOMEONE@example.com", "admin@example.com", "x@y", "", "a@b@c"]
IPS = ["127.0.0.1", "::1", "0:0:0:0:0:0:0:1", "10.0.0.1", "2001:db8::1", "1.2.3.4"]
# (method, args) whose error (.code, message, class) must be Node's
BAD_CALLS: List[Any] = [
    ("checkHost", [5]), ("checkHost", ["x", {"subject": "bad"}]), ("checkHost", ["x", {"wildcards": 1}]),
    ("checkHost", ["x", 5]), ("checkHost", ["x", "opts"]), ("checkEmail", [None]),
    ("checkEmail", ["x@y", {"multiLabelWildcards": "yes"}]), ("checkEmail", ["x@y", {"subject": 1}]),
    ("checkIP", ["foo"]), ("checkIP", ["1.2.3"]), ("checkIP", [""]), ("checkIP", [7]),
    ("checkIP", ["1.2.3.4", {"partialWildcards": None}]), ("checkHost", ["a..b"]),
    ("checkIssued", ["x"]), ("verify", ["x"]), ("checkPrivateKey", [5]),
]
CONSTRUCT = ["garbage", "", "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n", 5, True, [1],
             "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n"]

NODE_DESCRIBE = r"""
const { X509Certificate, createPrivateKey } = require('crypto');
const cfg = JSON.parse(require('fs').readFileSync(0, 'utf8'));
const err = (f) => { try { const v = f(); return ['ok', v === undefined ? null : v]; }
                     catch (e) { return [e.code, e.message, e.name]; } };
const keyInfo = (k) => {
  const d = { ...k.asymmetricKeyDetails };
  if (typeof d.publicExponent === 'bigint') d.publicExponent = Number(d.publicExponent);
  const out = { type: k.type, asymmetricKeyType: k.asymmetricKeyType, details: d,
                spkiPem: k.export({ type: 'spki', format: 'pem' }),
                spkiDer: k.export({ type: 'spki', format: 'der' }).toString('hex') };
  if (k.asymmetricKeyType === 'rsa') out.pkcs1 = k.export({ type: 'pkcs1', format: 'der' }).toString('hex');
  out.exportErrors = [undefined, {}, { type: 'spki' }, { format: 'pem' }, { type: 'pkcs8', format: 'pem' },
                      { type: 'spki', format: 'xx' }].map((o) => err(() => k.export(o)).slice(0, 2));
  return out;
};
const certs = cfg.certs.map((pem) => new X509Certificate(pem));
const keys = cfg.keys.map((pem) => createPrivateKey(pem));
const out = certs.map((x) => {
  const o = {};
  for (const p of ['subject', 'issuer', 'subjectAltName', 'infoAccess', 'validFrom', 'validTo', 'fingerprint',
                   'fingerprint256', 'fingerprint512', 'serialNumber', 'keyUsage', 'ca', 'issuerCertificate'])
    o[p] = x[p] === undefined ? null : x[p];
  o.raw = x.raw.toString('hex');
  o.pem = x.toString(); o.json = x.toJSON(); o.str = `${x}`;
  o.publicKey = keyInfo(x.publicKey);
  o.hosts = cfg.hosts.map((h) => cfg.hostOptions.map((opt) => err(() => x.checkHost(h, opt || undefined))));
  o.emails = cfg.emails.map((e) => cfg.hostOptions.map((opt) => err(() => x.checkEmail(e, opt || undefined))));
  o.ips = cfg.ips.map((ip) => err(() => x.checkIP(ip)));
  o.bad = cfg.bad.map(([m, args]) => err(() => x[m](...args)));
  o.issued = certs.map((other) => x.checkIssued(other));
  o.verified = certs.map((other) => x.verify(other.publicKey));
  o.keyMatch = keys.map((k) => x.checkPrivateKey(k));
  o.keyErrors = [err(() => x.checkPrivateKey(x.publicKey)).slice(0, 1), err(() => x.verify(keys[0])).slice(0, 1)];
  o.legacyKeys = Object.keys(x.toLegacyObject());
  o.legacyFingerprint = x.toLegacyObject().fingerprint256;
  return o;
});
const construct = cfg.construct.map((v) => err(() => new X509Certificate(v)));
process.stdout.write(JSON.stringify({ certs: out, construct }));
"""


def _error(exc: BaseException) -> List[Any]:
    kind = "TypeError" if isinstance(exc, TypeError) else "RangeError" if isinstance(exc, ValueError) else "Error"
    # The values arrive here from JSON: Node's null is Python's None, and the package prints
    # Python's spelling of a received value (None, True, a list); the rest of the message is Node's.
    message = getattr(exc, "message", str(exc)).replace("Received None", "Received null").replace("(True)", "(true)")
    message = message.replace("Received an instance of list", "Received an instance of Array")
    return [getattr(exc, "code", None), message, kind]


def _try(fn: Any, *args: Any) -> List[Any]:
    try:
        return ["ok", fn(*args)]
    except Exception as exc:  # every failure must be a coded NodeError
        assert isinstance(exc, tls.NodeError), repr(exc)
        return _error(exc)


def _key_info(k: tls.KeyObject) -> Dict[str, Any]:
    out: Dict[str, Any] = {
        "type": k.type, "asymmetricKeyType": k.asymmetricKeyType, "details": k.asymmetricKeyDetails,
        "spkiPem": k.export({"type": "spki", "format": "pem"}),
        "spkiDer": k.export({"type": "spki", "format": "der"}).hex()}
    if k.asymmetricKeyType == "rsa":
        out["pkcs1"] = k.export({"type": "pkcs1", "format": "der"}).hex()
    out["exportErrors"] = [_try(k.export, o)[:2] for o in (
        None, {}, {"type": "spki"}, {"format": "pem"}, {"type": "pkcs8", "format": "pem"},
        {"type": "spki", "format": "xx"})]
    # export() with no argument: undefined in Node, None here
    out["exportErrors"][0][1] = out["exportErrors"][0][1].replace("Received null", "Received undefined")
    return out


def describe(cfg: Dict[str, Any]) -> Dict[str, Any]:
    """NODE_DESCRIBE, in Python."""
    certs = [tls.X509Certificate(pem) for pem in cfg["certs"]]
    keys = [tls.createPrivateKey(pem) for pem in cfg["keys"]]
    out = []
    for x in certs:
        o: Dict[str, Any] = {p: getattr(x, p) for p in (
            "subject", "issuer", "subjectAltName", "infoAccess", "validFrom", "validTo", "fingerprint",
            "fingerprint256", "fingerprint512", "serialNumber", "keyUsage", "ca", "issuerCertificate")}
        o["raw"] = x.raw.hex()
        o["pem"], o["json"], o["str"] = x.toString(), x.toJSON(), str(x)
        o["publicKey"] = _key_info(x.publicKey)
        o["hosts"] = [[_try(x.checkHost, h, opt) for opt in cfg["hostOptions"]] for h in cfg["hosts"]]
        o["emails"] = [[_try(x.checkEmail, e, opt) for opt in cfg["hostOptions"]] for e in cfg["emails"]]
        o["ips"] = [_try(x.checkIP, ip) for ip in cfg["ips"]]
        o["bad"] = [_try(getattr(x, m), *args) for m, args in cfg["bad"]]
        o["issued"] = [x.checkIssued(other) for other in certs]
        o["verified"] = [x.verify(other.publicKey) for other in certs]
        o["keyMatch"] = [x.checkPrivateKey(k) for k in keys]
        o["keyErrors"] = [_try(x.checkPrivateKey, x.publicKey)[:1], _try(x.verify, keys[0])[:1]]
        legacy = x.toLegacyObject()
        o["legacyKeys"], o["legacyFingerprint"] = list(legacy), legacy["fingerprint256"]
        out.append(o)
    construct = [_try(tls.X509Certificate, v) for v in cfg["construct"]]
    return {"certs": out, "construct": construct}


def run_node(script: str, payload: Any) -> Any:
    proc = subprocess.run(["node", "-e", script], input=json.dumps(payload).encode(), capture_output=True,
                          timeout=60)
    assert proc.returncode == 0, proc.stderr.decode()
    return json.loads(proc.stdout)


@pytest.fixture(scope="module")
def odd_certs(tmp_path_factory) -> Dict[str, bytes]:
    """openssl-made certificates: wildcard + partial wildcard SANs, a CN-only name, quoted SAN and
    infoAccess values, extended key usages, an EC key, a UTF-8 multi-valued subject."""
    root = str(tmp_path_factory.mktemp("x509cert"))
    made: Dict[str, bytes] = {}

    def req(name: str, keyopts: List[str], *extra: str) -> None:
        openssl("req", "-x509", "-nodes", "-days", "30", *keyopts, "-keyout", name + ".key", "-out",
                name + ".pem", *extra, cwd=root)
        with open(os.path.join(root, name + ".pem"), "rb") as f:
            made[name] = f.read()
        with open(os.path.join(root, name + ".key"), "rb") as f:
            made[name + "-key"] = f.read()

    with open(os.path.join(root, "odd.cnf"), "w", encoding="utf-8") as f:
        f.write(textwrap.dedent("""
            [req]
            distinguished_name = dn
            prompt = no
            utf8 = yes
            string_mask = utf8only
            [dn]
            C = US
            O = Org, Inc.
            0.OU = One
            1.OU = Two
            CN = Gr\u00fc\u00dfe "quoted.example"
            [ext]
            subjectAltName = @alt
            authorityInfoAccess = @aia
            extendedKeyUsage = serverAuth, clientAuth, 1.2.3.4.5
            basicConstraints = critical, CA:TRUE
            keyUsage = keyCertSign, digitalSignature
            [alt]
            DNS.1 = quoted.example
            DNS.2 = evil.example, DNS:good.example
            DNS.3 = good.example
            email.1 = someone@example.com
            IP.1 = 10.0.0.1
            IP.2 = 2001:db8::1
            URI.1 = http://example.com/a\\"b
            [aia]
            OCSP;URI.0 = http://ocsp.example.com/
            caIssuers;URI.1 = http://ca.example.com/a,b
        """))
    req("wild", ["-newkey", "rsa:2048"], "-subj", "/CN=wild.example",
        "-addext", "subjectAltName=DNS:*.example.org,DNS:f*o.partial.example,DNS:localhost,IP:127.0.0.1")
    req("cn", ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256"], "-subj", "/CN=cn.example/O=No SAN")
    req("odd", ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-384"], "-config", "odd.cnf",
        "-extensions", "ext")
    req("ed", ["-newkey", "ed25519"], "-subj", "/CN=ed.example", "-addext", "extendedKeyUsage=serverAuth")
    return made


def test_every_property_and_check_matches_node(odd_certs: Dict[str, bytes]) -> None:
    keys = node_keys()
    leaf = trustme.CA().issue_cert("example.org", "*.example.org", "localhost", "127.0.0.1", "::1",
                                   "someone@example.com")
    certs = [odd_certs["wild"], odd_certs["cn"], odd_certs["odd"], odd_certs["ed"],
             keys["agent1"]["cert"], keys["ca1"], keys["agent2"]["cert"], keys["ec"]["cert"],
             leaf.cert_chain_pems[0].bytes()]
    private = [odd_certs["wild-key"], keys["agent1"]["key"], keys["ec"]["key"], odd_certs["ed-key"]]
    cfg = {"certs": [c.decode() for c in certs], "keys": [k.decode() for k in private], "hosts": HOSTS,
           "hostOptions": HOST_OPTIONS, "emails": EMAILS, "ips": IPS, "bad": BAD_CALLS, "construct": CONSTRUCT}
    node = run_node(NODE_DESCRIBE, cfg)
    ours = json.loads(json.dumps(describe(cfg)))
    assert ours["construct"] == node["construct"]
    for index, (mine, theirs) in enumerate(zip(ours["certs"], node["certs"])):
        for key in theirs:
            assert mine[key] == theirs[key], (index, key)
    # a few values spelled out, so that a change in both would still be seen
    wild, cn, odd = ours["certs"][:3]
    assert wild["hosts"][HOSTS.index("foo.example.org")][0] == ["ok", "*.example.org"]
    assert wild["hosts"][HOSTS.index("foo.example.org")][HOST_OPTIONS.index({"wildcards": False})] == ["ok", None]
    assert cn["hosts"][HOSTS.index("cn.example")][0] == ["ok", "cn.example"]
    assert cn["hosts"][HOSTS.index("cn.example")][HOST_OPTIONS.index({"subject": "never"})] == ["ok", None]
    assert odd["keyUsage"] == ["1.3.6.1.5.5.7.3.1", "1.3.6.1.5.5.7.3.2", "1.2.3.4.5"]
    assert odd["subject"].split("\n")[:2] == ["C=US", "O=Org\\, Inc."]
    assert re.fullmatch(r"([0-9A-F]{2}:){19}[0-9A-F]{2}", odd["fingerprint"])


def test_constructor_takes_der_and_buffers_and_caches(odd_certs: Dict[str, bytes]) -> None:
    pem = odd_certs["wild"]
    x = tls.X509Certificate(pem)
    for source in (x.raw, bytearray(x.raw), memoryview(x.raw), pem.decode()):
        assert tls.X509Certificate(source) == x
    assert x.subject is x.subject and x.publicKey is x.publicKey      # read once, as Node's kInternalState
    assert x.subject_alt_name == x.subjectAltName and x.check_host("localhost") == "localhost"
    assert tls.createPublicKey(pem).equals(x.publicKey)
    assert tls.createPublicKey(x.publicKey.export({"type": "spki", "format": "der"})).equals(x.publicKey)
    assert tls.createPublicKey(tls.createPrivateKey(odd_certs["wild-key"])).equals(x.publicKey)
    with pytest.raises(tls.NodeError) as info:
        x.publicKey.export({"type": "spki", "format": "jwk"})
    assert info.value.code == "ERR_OPTION_NOT_IMPLEMENTED"
    # Node 20 fails here with an uncoded "Cannot read properties of null"
    with pytest.raises(tls.NodeError) as info:
        x.checkIssued(None)  # type: ignore[arg-type]
    assert info.value.code == "ERR_INVALID_ARG_TYPE"


# ----------------------------------------------------------------- over TLS

NODE_TLS = r"""
const tls = require('tls');
const cfg = JSON.parse(require('fs').readFileSync(0, 'utf8'));
const chain = (x) => { const out = []; for (; x; x = x.issuerCertificate) out.push([x.subject, x.fingerprint256]);
                       return out; };
const result = {};
const server = tls.createServer({ key: cfg.serverKey, cert: cfg.serverCert, ca: cfg.ca, requestCert: true,
                                  rejectUnauthorized: false }, (s) => {
  result.serverPeer = chain(s.getPeerX509Certificate());
  result.serverLocal = chain(s.getX509Certificate());
  s.end();
});
server.listen(0, '127.0.0.1', () => {
  const c = tls.connect({ port: server.address().port, host: '127.0.0.1', rejectUnauthorized: false,
                          key: cfg.clientKey, cert: cfg.clientCert }, () => {
    result.clientPeer = chain(c.getPeerX509Certificate());
    result.clientLocal = chain(c.getX509Certificate());
  });
  c.on('data', () => {});
  c.on('close', () => {
    result.afterClose = [c.getPeerX509Certificate() ?? null, c.getX509Certificate() ?? null, c.enableTrace() ?? null];
    server.close(); process.stdout.write(JSON.stringify(result));
  });
});
"""


def _chain(x: Any) -> List[List[str]]:
    out = []
    while x is not None:
        out.append([x.subject, x.fingerprint256])
        x = x.issuerCertificate
    return out


def python_tls(cfg: Dict[str, Any]) -> Dict[str, Any]:
    """NODE_TLS, in Python."""
    result: Dict[str, Any] = {}

    def main() -> None:
        def on_secure(s: tls.TLSSocket) -> None:
            result["serverPeer"] = _chain(s.getPeerX509Certificate())
            result["serverLocal"] = _chain(s.getX509Certificate())
            s.end()

        server = tls.createServer({"key": cfg["serverKey"], "cert": cfg["serverCert"], "ca": cfg["ca"],
                                   "requestCert": True, "rejectUnauthorized": False}, on_secure)

        def on_listening() -> None:
            c = tls.connect({"port": server.address()["port"], "host": "127.0.0.1", "rejectUnauthorized": False,
                             "key": cfg["clientKey"], "cert": cfg["clientCert"]})

            def on_connect() -> None:
                result["clientPeer"] = _chain(c.getPeerX509Certificate())
                result["clientLocal"] = _chain(c.getX509Certificate())
                result["again"] = _chain(c.getPeerX509Certificate())   # Node 20 loses the chain here
            c.on("secureConnect", on_connect)
            c.on("data", lambda d: None)

            def on_close(*_: Any) -> None:
                result["afterClose"] = [c.getPeerX509Certificate(), c.getX509Certificate(), c.enableTrace()]
                server.close()
            c.on("close", on_close)

        server.listen(0, "127.0.0.1", on_listening)

    tls.run(main)
    return result


@functools.cache
def _chain_config_cached() -> str:
    root = trustme.CA()
    inter = root.create_child_ca()
    server = inter.issue_cert("localhost")
    client = inter.issue_cert("client.example")
    return json.dumps({"serverKey": server.private_key_pem.bytes().decode(),
                       "serverCert": b"".join(p.bytes() for p in server.cert_chain_pems).decode(),
                       "clientKey": client.private_key_pem.bytes().decode(),
                       "clientCert": b"".join(p.bytes() for p in client.cert_chain_pems).decode(),
                       "ca": root.cert_pem.bytes().decode()})


def _chain_config() -> Dict[str, Any]:
    """A server and a client certificate, each sent with its intermediate (leaf, intermediate)."""
    config: Dict[str, Any] = json.loads(_chain_config_cached())
    return config


def test_peer_and_local_x509_certificates_match_node() -> None:
    cfg = _chain_config()
    node = run_node(NODE_TLS, cfg)
    ours = python_tls(cfg)
    for key in node:
        assert ours[key] == node[key], key
    assert ours["again"] == ours["clientPeer"]
    assert len(ours["clientPeer"]) == 2 and len(ours["serverPeer"]) == 2   # leaf -> intermediate, as sent
    assert len(ours["clientLocal"]) == 1


NODE_PEER_SERVER = r"""
const chain = (x) => { const out = []; for (; x; x = x.issuerCertificate) out.push([x.subject, x.fingerprint256]);
                       return out; };
const server = tls.createServer({ key: cfg.serverKey, cert: cfg.serverCert, ca: cfg.ca, requestCert: true,
                                  rejectUnauthorized: false }, (s) => {
  report({ event: 'peer', chain: chain(s.getPeerX509Certificate()) });
});
server.listen(0, '127.0.0.1', () => report({ event: 'listening', port: server.address().port }));
"""


@async_test(15)
async def test_our_client_and_node_server_see_each_others_chains() -> None:
    cfg = _chain_config()
    expected = run_node(NODE_TLS, cfg)     # what Node's client and server see of the same certificates
    async with NodePeer(NODE_PEER_SERVER, cfg) as node:
        port = await node_port(node)
        client = tls.connect({"port": port, "host": "127.0.0.1", "rejectUnauthorized": False,
                              "key": cfg["clientKey"], "cert": cfg["clientCert"]})
        await once(client, "secureConnect")
        assert _chain(client.getPeerX509Certificate()) == expected["clientPeer"]
        assert (await node.expect("peer"))["chain"] == expected["serverPeer"]
        client.destroy()


# ---------------------------------------------------------------- enableTrace

TRACE_OURS = """
import sys, tls
key, cert = open(sys.argv[1], 'rb').read(), open(sys.argv[2], 'rb').read()
def main():
    server = tls.createServer({'key': key, 'cert': cert, 'maxVersion': sys.argv[3],
                               'enableTrace': sys.argv[4] == 'server'}, lambda s: s.end())
    def go():
        c = tls.connect(server.address()['port'], '127.0.0.1', {'rejectUnauthorized': False,
                                                                'enableTrace': sys.argv[4] == 'client'})
        c.on('data', lambda d: None)
        c.on('close', lambda *a: server.close())
    server.listen(0, '127.0.0.1', go)
tls.run(main)
"""

TRACE_NODE = """
const tls = require('tls'), fs = require('fs');
const [key, cert] = [fs.readFileSync(process.argv[1]), fs.readFileSync(process.argv[2])];
const side = process.argv[4];
const server = tls.createServer({ key, cert, maxVersion: process.argv[3], enableTrace: side === 'server' },
                                (s) => s.end());
server.listen(0, '127.0.0.1', () => {
  const c = tls.connect({ port: server.address().port, host: '127.0.0.1', rejectUnauthorized: false,
                          enableTrace: side === 'client' });
  c.on('data', () => {}); c.on('close', () => server.close());
});
"""

_MESSAGE = re.compile(r"^\s+(\w+), Length=\d+$", re.M)


@pytest.mark.parametrize("side", ["client", "server"])
@pytest.mark.parametrize("version", ["TLSv1.2", "TLSv1.3"])
def test_enable_trace_option_prints_the_handshake_as_node(pems: Any, version: str, side: str) -> None:
    env = dict(os.environ, PYTHONPATH=SRC)
    ours = subprocess.run([sys.executable, "-c", TRACE_OURS, pems.path("key"), pems.path("cert"), version, side],
                          capture_output=True, text=True, timeout=30, env=env)
    node = subprocess.run(["node", "-e", TRACE_NODE, pems.path("key"), pems.path("cert"), version, side],
                          capture_output=True, text=True, timeout=30)
    assert ours.returncode == 0 and node.returncode == 0, (ours.stderr, node.stderr)
    # the handshake messages the client sent and received, in order (Node's ClientHello carries other
    # extensions, so only the message sequence is compared; how many TLS 1.3 tickets arrive before
    # the close depends on timing)
    def messages(text: str) -> List[str]:
        return [m for m in _MESSAGE.findall(text) if m != "NewSessionTicket"]
    assert messages(ours.stderr) == messages(node.stderr)
    assert "ClientHello" in _MESSAGE.findall(ours.stderr) and "Sent Record" in ours.stderr


def test_enable_trace_method_and_bad_option(pems: Any) -> None:
    code = """
import sys, tls
key, cert = open(sys.argv[1], 'rb').read(), open(sys.argv[2], 'rb').read()
def main():
    server = tls.createServer({'key': key, 'cert': cert}, lambda s: s.end())
    def go():
        c = tls.TLSSocket(None, {'enableTrace': False})
        c.destroy()
        c = tls.connect(server.address()['port'], '127.0.0.1', {'rejectUnauthorized': False})
        c.enableTrace()          # before the handshake: the whole exchange is traced
        c.on('data', lambda d: None)
        c.on('close', lambda *a: (print('closed', c.enableTrace()), server.close()))
    server.listen(0, '127.0.0.1', go)
tls.run(main)
"""
    env = dict(os.environ, PYTHONPATH=SRC)
    proc = subprocess.run([sys.executable, "-c", code, pems.path("key"), pems.path("cert")],
                          capture_output=True, text=True, timeout=30, env=env)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == "closed None\n"
    assert "ServerHello" in _MESSAGE.findall(proc.stderr)
    node = run_node("""
const tls = require('tls'), out = [];
for (const f of [() => tls.connect({ port: 1, enableTrace: 'x' }), () => new tls.TLSSocket(null, { enableTrace: 5 })])
  try { f(); out.push(null); } catch (e) { out.push([e.code, e.message]); }
process.stdout.write(JSON.stringify(out));
""", None)
    ours = []
    for make in (lambda: tls.connect({"port": 1, "enableTrace": "x"}),
                 lambda: tls.TLSSocket(None, {"enableTrace": 5})):
        with pytest.raises(tls.NodeError) as info:
            tls.run(make)
        ours.append([info.value.code, info.value.message])
    assert ours == node
    with pytest.raises(tls.NodeError) as info:
        tls.run(lambda: tls.createServer({"enableTrace": 1}))
    assert info.value.code == "ERR_INVALID_ARG_TYPE"
