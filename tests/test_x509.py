"""certificate_to_dict / detailed chains, checked field by field against Node 20.

Node is the oracle: ``new crypto.X509Certificate(pem).toLegacyObject()`` for
single certificates and a real Node TLS connection's
``getPeerCertificate(true)`` for chains (run entirely inside node), with
Buffers as hex.
"""
from __future__ import annotations

import json
import os
import subprocess
import textwrap
from typing import Any, Dict, List, Optional

import pytest
import trustme

from tls._binding import ffi, lib
from tls._objects.x509 import (
    certificate_chain_to_dict, certificate_to_dict, local_certificate, peer_certificate,
    translate_info_access,
)

from support.openssl import openssl

pytestmark = pytest.mark.node


# ------------------------------------------------------------------ helpers

def load_x509(pem: bytes):
    bio = lib.BIO_new_mem_buf(pem, len(pem))
    try:
        x509 = lib.PEM_read_bio_X509(bio, ffi.NULL, ffi.NULL, ffi.NULL)
    finally:
        lib.BIO_free(bio)
    assert x509 != ffi.NULL, "bad PEM"
    return ffi.gc(x509, lib.X509_free)


def make_store(pems: List[bytes]):
    store = ffi.gc(lib.X509_STORE_new(), lib.X509_STORE_free)
    for pem in pems:
        assert lib.X509_STORE_add_cert(store, load_x509(pem)) == 1
    return store


def enc(value: Any) -> Any:
    """The JSON form both sides compare: Buffers/bytes as {"$buf": hex}."""
    if isinstance(value, (bytes, bytearray)):
        return {"$buf": bytes(value).hex()}
    if isinstance(value, dict):
        return {k: enc(v) for k, v in value.items()}
    if isinstance(value, list):
        return [enc(v) for v in value]
    return value


def chain_repr(cert: Dict[str, Any]) -> Dict[str, Any]:
    """Flatten an issuerCertificate chain: the certs in order and whether the
    last one is its own issuer (the same object)."""
    certs, self_ref = [], False
    while cert:
        rest = {k: v for k, v in cert.items() if k != "issuerCertificate"}
        certs.append(enc(rest))
        issuer = cert.get("issuerCertificate")
        if issuer is cert:
            self_ref = True
            break
        cert = issuer
    return {"certs": certs, "selfRef": self_ref}


NODE_ENC = r"""
const enc = (v) => Buffer.isBuffer(v) ? { $buf: v.toString('hex') } :
  Array.isArray(v) ? v.map(enc) :
  (v !== null && typeof v === 'object') ?
    Object.fromEntries(Object.keys(v).map((k) => [k, enc(v[k])])) : v;
function chainRepr(c) {
  const certs = []; let selfRef = false;
  while (c && Object.keys(c).length) {
    const { issuerCertificate, ...rest } = c;
    certs.push(enc(rest));
    if (issuerCertificate === c) { selfRef = true; break; }
    c = issuerCertificate;
  }
  return { certs, selfRef };
}
"""

NODE_LEGACY = NODE_ENC + r"""
const { X509Certificate } = require('crypto');
let input = '';
process.stdin.on('data', (d) => input += d).on('end', () => {
  const pems = JSON.parse(input);
  const out = pems.map((pem) => {
    const o = new X509Certificate(pem).toLegacyObject();
    return { keys: Object.keys(o), value: enc(o),
             subjectProto: Object.getPrototypeOf(o.subject) === null };
  });
  process.stdout.write(JSON.stringify(out));
});
"""

NODE_CHAIN = NODE_ENC + r"""
const tls = require('tls');
let input = '';
process.stdin.on('data', (d) => input += d).on('end', () => {
  const cfg = JSON.parse(input);
  const result = {};
  const server = tls.createServer({
    key: cfg.key, cert: cfg.cert, requestCert: !!cfg.clientCert,
    rejectUnauthorized: false, ca: cfg.serverCa,
  }, (s) => {
    result.server = chainRepr(s.getPeerCertificate(true));
    result.serverShort = Object.keys(s.getPeerCertificate());
    s.end();
  });
  server.listen(0, '127.0.0.1', () => {
    const c = tls.connect({
      port: server.address().port, host: '127.0.0.1', ca: cfg.ca,
      rejectUnauthorized: false, checkServerIdentity: () => undefined,
      key: cfg.clientKey, cert: cfg.clientCert,
    }, () => {
      result.client = chainRepr(c.getPeerCertificate(true));
      result.clientShort = Object.keys(c.getPeerCertificate());
      result.local = enc(c.getCertificate());
    });
    c.on('data', () => {});
    c.on('close', () => {
      server.close();
      process.stdout.write(JSON.stringify(result));
    });
  });
});
"""


def run_node(script: str, payload: Any) -> Any:
    proc = subprocess.run(["node", "-e", script], input=json.dumps(payload).encode(),
                          capture_output=True, timeout=60)
    assert proc.returncode == 0, proc.stderr.decode()
    return json.loads(proc.stdout)


def node_legacy(pems: List[bytes]) -> List[Dict[str, Any]]:
    return run_node(NODE_LEGACY, [p.decode() for p in pems])


def assert_same_as_node(pem: bytes) -> Dict[str, Any]:
    mine = certificate_to_dict(load_x509(pem))
    (node,) = node_legacy([pem])
    assert node["subjectProto"]  # Node 20: subject/issuer have a null prototype
    assert list(mine.keys()) == node["keys"]
    ours = enc(mine)
    for key in node["keys"]:
        assert ours[key] == node["value"][key], key
        if isinstance(ours[key], dict):
            assert list(ours[key]) == list(node["value"][key]), key  # key order
    return mine


# ------------------------------------------------------------------ fixtures

CONFIGS = {
    # SAN values Node must JSON-quote (comma, quote, apostrophe, DirName with
    # commas and a UTF-8 value), othernames, IPv4/IPv6, a registered ID, URIs.
    "quoted.cnf": """
        [req]
        distinguished_name = dn
        prompt = no
        utf8 = yes
        string_mask = utf8only
        [dn]
        CN = quoted.example
        [ext]
        subjectAltName = @alt
        authorityInfoAccess = @aia
        extendedKeyUsage = serverAuth, clientAuth, codeSigning, 1.2.3.4.5
        [alt]
        DNS.1 = good.example
        DNS.2 = evil.example, DNS:good.example
        DNS.3 = it\\'s.example
        URI.1 = http://example.com/a\\"b\\\\c
        URI.2 = https://example.com/plain
        email.1 = someone@example.com
        dirName.1 = dir_sect
        otherName.1 = 1.3.6.1.4.1.311.20.2.3;UTF8:user@example.com
        otherName.2 = 1.3.6.1.5.5.7.8.5;UTF8:xmpp,üser@example.com
        otherName.3 = 1.3.6.1.5.5.7.8.7;IA5:_sip._udp.example.com
        otherName.4 = 1.2.3.4.5;UTF8:unknown
        IP.1 = 10.0.0.1
        IP.2 = 2001:db8::1
        IP.3 = ::1
        RID.1 = 1.2.3.4
        [dir_sect]
        O = Foo, Inc
        CN = dir "name" é
        [aia]
        OCSP;URI.0 = http://ocsp.example.com/
        caIssuers;URI.1 = http://ca.example.com/ca.crt
        OCSP;URI.2 = http://ocsp2.example.com/a,b
        OCSP;URI.3 = http://ocsp3.example.com/q\\"uote
    """,
    "names.cnf": """
        [req]
        distinguished_name = dn
        prompt = no
        utf8 = yes
        string_mask = utf8only
        [dn]
        C = US
        ST = Some State
        O = Org, Inc.
        0.OU = One
        1.OU = Two
        2.OU = Three
        CN = Grüße 名前
        emailAddress = admin@example.com
        x.1.2.3.4.5.6 = custom oid
        [ext]
        basicConstraints = critical, CA:TRUE
        keyUsage = keyCertSign, cRLSign
    """,
}


class Fixtures:
    def __init__(self, root: str) -> None:
        self.root = root
        self.pems: Dict[str, bytes] = {}

    def path(self, name: str) -> str:
        return os.path.join(self.root, name)

    def req(self, name: str, keyopts: List[str], extra: List[str]) -> bytes:
        openssl("req", "-x509", "-nodes", "-days", "30", *keyopts,
                "-keyout", name + ".key", "-out", name + ".pem", *extra, cwd=self.root)
        with open(self.path(name + ".pem"), "rb") as f:
            self.pems[name] = f.read()
        return self.pems[name]


@pytest.fixture(scope="session")
def fx(tmp_path_factory) -> Fixtures:
    root = str(tmp_path_factory.mktemp("x509"))
    fixtures = Fixtures(root)
    for name, text in CONFIGS.items():
        with open(os.path.join(root, name), "w", encoding="utf-8") as f:
            f.write(textwrap.dedent(text))
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256"]
    fixtures.req("ec", ec, ["-subj", "/CN=ec.example",
                            "-addext", "subjectAltName=DNS:ec.example,URI:https://ec.example/path"])
    fixtures.req("quoted", ["-newkey", "rsa:2048"], ["-config", "quoted.cnf", "-extensions", "ext"])
    fixtures.req("names", ec, ["-config", "names.cnf", "-extensions", "ext"])
    fixtures.req("aia", ["-newkey", "rsa:2048"], [
        "-subj", "/CN=aia.example",
        "-addext", "authorityInfoAccess=OCSP;URI:http://ocsp.example.com/,caIssuers;URI:http://ca.example.com/x",
        "-addext", "extendedKeyUsage=serverAuth,clientAuth,1.3.6.1.5.5.7.3.9"])
    fixtures.req("uri", ["-newkey", "rsa:1024"], [
        "-subj", "/CN=uri.example", "-addext", "subjectAltName=URI:spiffe://example.org/workload"])
    fixtures.req("rsa3", ["-newkey", "rsa:2048", "-pkeyopt", "rsa_keygen_pubexp:3"],
                 ["-subj", "/CN=rsa3.example/O=Exponent"])
    fixtures.req("k1", ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:secp256k1"],
                 ["-subj", "/CN=k1.example"])
    fixtures.req("p384", ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-384",
                          "-pkeyopt", "ec_param_enc:named_curve"], ["-subj", "/CN=p384.example"])
    fixtures.req("ed25519", ["-newkey", "ed25519"], ["-subj", "/CN=ed.example"])
    fixtures.req("empty_san", ["-newkey", "rsa:1024"], ["-subj", "/O=no common name"])
    # self-signed, keyUsage without keyCertSign: X509_check_issued(x, x) fails
    fixtures.req("nocertsign", ec, [
        "-subj", "/CN=localhost", "-addext", "keyUsage=critical,digitalSignature",
        "-addext", "basicConstraints=critical,CA:FALSE", "-addext", "subjectAltName=DNS:localhost"])
    return fixtures


@pytest.fixture(scope="session")
def rsa_leaf(rsa_ca: trustme.CA) -> trustme.LeafCert:
    return rsa_ca.issue_cert("localhost", "example.org", "127.0.0.1", "::1", "fe80::1:2",
                             key_type=trustme.KeyType.RSA)


@pytest.fixture(scope="session")
def rsa_chain():
    root = trustme.CA(key_type=trustme.KeyType.RSA)
    inter = root.create_child_ca(key_type=trustme.KeyType.RSA)
    leaf = inter.issue_cert("localhost", key_type=trustme.KeyType.RSA)
    client = inter.issue_cert("client@example.org", common_name="client",
                              key_type=trustme.KeyType.RSA)
    return root, inter, leaf, client


# ------------------------------------------------------- single certificates

def test_trustme_rsa_leaf(rsa_leaf: trustme.LeafCert) -> None:
    cert = assert_same_as_node(rsa_leaf.cert_chain_pems[0].bytes())
    assert cert["subjectaltname"] == (
        "DNS:localhost, DNS:example.org, IP Address:127.0.0.1, "
        "IP Address:0:0:0:0:0:0:0:1, IP Address:FE80:0:0:0:0:0:1:2")
    assert cert["exponent"] == "0x10001"
    assert cert["modulus"] == cert["modulus"].upper()
    assert cert["ca"] is False
    assert isinstance(cert["raw"], bytes) and isinstance(cert["pubkey"], bytes)
    assert cert["bits"] == 2048


def test_trustme_rsa_ca(rsa_ca: trustme.CA) -> None:
    cert = assert_same_as_node(rsa_ca.cert_pem.bytes())
    assert cert["ca"] is True
    assert "subjectaltname" not in cert


def test_trustme_default_ec_leaf(ca: trustme.CA, server_cert: trustme.LeafCert) -> None:
    assert_same_as_node(server_cert.cert_chain_pems[0].bytes())
    assert_same_as_node(ca.cert_pem.bytes())


def test_ec_p256(fx: Fixtures) -> None:
    cert = assert_same_as_node(fx.pems["ec"])
    assert cert["asn1Curve"] == "prime256v1"
    assert cert["nistCurve"] == "P-256"
    assert cert["bits"] == 256
    assert len(cert["pubkey"]) == 65 and cert["pubkey"][0] == 4
    assert "modulus" not in cert and "exponent" not in cert
    assert cert["subjectaltname"] == "DNS:ec.example, URI:https://ec.example/path"


def test_ec_other_curves(fx: Fixtures) -> None:
    k1 = assert_same_as_node(fx.pems["k1"])
    assert k1["asn1Curve"] == "secp256k1" and "nistCurve" not in k1
    p384 = assert_same_as_node(fx.pems["p384"])
    assert p384["nistCurve"] == "P-384" and p384["bits"] == 384


def test_ed25519_has_no_key_fields(fx: Fixtures) -> None:
    cert = assert_same_as_node(fx.pems["ed25519"])
    for key in ("bits", "pubkey", "modulus", "exponent", "asn1Curve", "nistCurve"):
        assert key not in cert


def test_rsa_exponent_3(fx: Fixtures) -> None:
    cert = assert_same_as_node(fx.pems["rsa3"])
    assert cert["exponent"] == "0x3"


def test_info_access_and_ext_key_usage(fx: Fixtures) -> None:
    cert = assert_same_as_node(fx.pems["aia"])
    assert cert["infoAccess"] == {"OCSP - URI": ["http://ocsp.example.com/"],
                                  "CA Issuers - URI": ["http://ca.example.com/x"]}
    assert cert["ext_key_usage"] == ["1.3.6.1.5.5.7.3.1", "1.3.6.1.5.5.7.3.2", "1.3.6.1.5.5.7.3.9"]


def test_quoted_subject_alt_names_and_info_access(fx: Fixtures) -> None:
    cert = assert_same_as_node(fx.pems["quoted"])
    san = cert["subjectaltname"]
    assert '"DNS:evil.example, DNS:good.example"' not in san  # prefix stays outside
    assert 'DNS:"evil.example\\u002c DNS:good.example"' in san
    assert "URI:\"http://example.com/a\\\"b\\\\c\"" in san
    assert "IP Address:2001:DB8:0:0:0:0:0:1" in san
    assert "Registered ID:1.2.3.4" in san
    assert "othername:UPN:user@example.com" in san
    assert "othername:<unsupported>" in san
    # the JSON-quoted values are decoded back in infoAccess
    assert cert["infoAccess"]["OCSP - URI"] == [
        "http://ocsp.example.com/", "http://ocsp2.example.com/a,b", 'http://ocsp3.example.com/q"uote']
    assert cert["ext_key_usage"] == ["1.3.6.1.5.5.7.3.1", "1.3.6.1.5.5.7.3.2",
                                     "1.3.6.1.5.5.7.3.3", "1.2.3.4.5"]


def test_uri_san(fx: Fixtures) -> None:
    cert = assert_same_as_node(fx.pems["uri"])
    assert cert["subjectaltname"] == "URI:spiffe://example.org/workload"
    assert cert["bits"] == 1024


def test_repeated_and_unusual_name_entries(fx: Fixtures) -> None:
    cert = assert_same_as_node(fx.pems["names"])
    subject = cert["subject"]
    assert subject["OU"] == ["One", "Two", "Three"]
    assert subject["CN"] == "Grüße 名前"
    assert subject["O"] == "Org, Inc."
    assert subject["1.2.3.4.5.6"] == "custom oid"
    assert subject["emailAddress"] == "admin@example.com"
    assert cert["issuer"] == subject
    assert cert["ca"] is True


def test_no_subject_alt_name(fx: Fixtures) -> None:
    cert = assert_same_as_node(fx.pems["empty_san"])
    assert cert["subject"] == {"O": "no common name"}
    assert "subjectaltname" not in cert and "infoAccess" not in cert
    assert "ext_key_usage" not in cert


def test_many_certificates_in_one_node_run(fx: Fixtures, rsa_chain) -> None:
    root, inter, leaf, client = rsa_chain
    pems = list(fx.pems.values()) + [root.cert_pem.bytes()] + [
        p.bytes() for p in leaf.cert_chain_pems + client.cert_chain_pems]
    node = node_legacy(pems)
    for pem, expected in zip(pems, node):
        assert enc(certificate_to_dict(load_x509(pem))) == expected["value"]


def test_translate_info_access_parsing() -> None:
    assert translate_info_access("") == {}
    assert translate_info_access("OCSP - URI:http://a/\nOCSP - URI:http://b/") == {
        "OCSP - URI": ["http://a/", "http://b/"]}
    assert translate_info_access('CA Issuers - URI:"http://x/\\u002c"\nno colon line') == {
        "CA Issuers - URI": ["http://x/,"]}


# -------------------------------------------------------------------- chains

def _chain_case(leaf_pems: List[bytes], store_pems: List[bytes]) -> Dict[str, Any]:
    certs = [load_x509(p) for p in leaf_pems]
    return chain_repr(certificate_chain_to_dict(certs, make_store(store_pems)))


def test_chain_from_peer_certs_only(rsa_chain) -> None:
    root, inter, leaf, _ = rsa_chain
    pems = [p.bytes() for p in leaf.cert_chain_pems] + [root.cert_pem.bytes()]
    result = _chain_case(pems, [])
    assert [c["raw"]["$buf"] for c in result["certs"]] == [
        enc(certificate_to_dict(load_x509(p))["raw"])["$buf"] for p in pems]
    assert result["selfRef"] is True


def test_chain_out_of_order_peer_certs(rsa_chain) -> None:
    root, inter, leaf, _ = rsa_chain
    leaf_pem, inter_pem = (p.bytes() for p in leaf.cert_chain_pems)
    in_order = _chain_case([leaf_pem, inter_pem, root.cert_pem.bytes()], [])
    shuffled = _chain_case([leaf_pem, root.cert_pem.bytes(), inter_pem], [])
    assert shuffled == in_order


def test_chain_completed_from_store(rsa_chain) -> None:
    root, inter, leaf, _ = rsa_chain
    result = _chain_case([p.bytes() for p in leaf.cert_chain_pems], [root.cert_pem.bytes()])
    assert len(result["certs"]) == 3 and result["selfRef"] is True
    # the whole chain from the store, leaf alone on the wire
    result = _chain_case([leaf.cert_chain_pems[0].bytes()],
                         [root.cert_pem.bytes(), inter.cert_pem.bytes()])
    assert len(result["certs"]) == 3 and result["selfRef"] is True


def test_chain_incomplete(rsa_chain) -> None:
    root, inter, leaf, _ = rsa_chain
    result = _chain_case([p.bytes() for p in leaf.cert_chain_pems], [])
    assert len(result["certs"]) == 2 and result["selfRef"] is False
    d = certificate_chain_to_dict([load_x509(leaf.cert_chain_pems[0].bytes())])
    assert "issuerCertificate" not in d


def test_self_signed_is_its_own_issuer(fx: Fixtures) -> None:
    d = certificate_chain_to_dict([load_x509(fx.pems["ec"])])
    assert d["issuerCertificate"] is d


def test_self_signed_without_cert_sign_in_store(fx: Fixtures) -> None:
    # X509_check_issued(x, x) fails (keyUsage lacks keyCertSign): the store
    # copy is added, then added again when the store returns itself.
    result = _chain_case([fx.pems["nocertsign"]], [fx.pems["nocertsign"]])
    assert len(result["certs"]) == 3 and result["selfRef"] is False


CHAIN_CASES = {
    "store_root": lambda fx, ch: dict(cert=ch[2].cert_chain_pems, ca=[ch[0].cert_pem]),
    "peer_sends_root": lambda fx, ch: dict(cert=ch[2].cert_chain_pems + [ch[0].cert_pem],
                                           ca=[ch[0].cert_pem]),
    "no_store": lambda fx, ch: dict(cert=ch[2].cert_chain_pems, ca=[]),
    "leaf_only_store_has_all": lambda fx, ch: dict(cert=ch[2].cert_chain_pems[:1],
                                                   ca=[ch[0].cert_pem, ch[1].cert_pem]),
    "self_signed": lambda fx, ch: dict(cert=[fx.pems["ec"]], ca=[]),
    "nocertsign_in_store": lambda fx, ch: dict(cert=[fx.pems["nocertsign"]],
                                               ca=[fx.pems["nocertsign"]]),
}


def _b(x) -> bytes:
    return x if isinstance(x, bytes) else x.bytes()


@pytest.mark.parametrize("case", sorted(CHAIN_CASES))
def test_chain_matches_node_tls_client(case: str, fx: Fixtures, rsa_chain) -> None:
    spec = CHAIN_CASES[case](fx, rsa_chain)
    cert_pems = [_b(p) for p in spec["cert"]]
    ca_pems = [_b(p) for p in spec["ca"]]
    own_key = {"self_signed": "ec", "nocertsign_in_store": "nocertsign"}.get(case)
    if own_key is not None:
        with open(fx.path(own_key + ".key"), "rb") as f:
            key_pem = f.read()
    else:
        key_pem = rsa_chain[2].private_key_pem.bytes()
    node = run_node(NODE_CHAIN, {
        "key": key_pem.decode(), "cert": b"".join(cert_pems).decode(),
        # Node needs at least one CA to replace the default roots with
        "ca": [p.decode() for p in ca_pems] or [fx.pems["k1"].decode()],
    })
    store_pems = ca_pems or [fx.pems["k1"]]
    mine = _chain_case(cert_pems, store_pems)
    assert mine == node["client"]
    assert node["clientShort"] == list(certificate_to_dict(load_x509(cert_pems[0])))
    assert node["local"] == {}  # client without a certificate: getCertificate() -> {}

    # the same through peer_certificate() after an in-memory handshake
    server_ctx = make_ctx(key_pem, cert_pems, [])
    client_ctx = make_ctx(None, [], store_pems)
    server, client = handshake(server_ctx, client_ctx)
    assert chain_repr(peer_certificate(client, True, False)) == node["client"]
    short = peer_certificate(client, False, False)
    assert list(short) == node["clientShort"] and "issuerCertificate" not in short
    assert enc(local_certificate(client)) == node["local"] == {}
    assert enc(local_certificate(server)) == enc(certificate_to_dict(load_x509(cert_pems[0])))
    assert peer_certificate(server, True, True) == {}  # no client certificate


def test_chain_matches_node_tls_server_side(rsa_chain) -> None:
    root, inter, leaf, client = rsa_chain
    client_pems = [p.bytes() for p in client.cert_chain_pems]
    node = run_node(NODE_CHAIN, {
        "key": leaf.private_key_pem.bytes().decode(),
        "cert": b"".join(p.bytes() for p in leaf.cert_chain_pems).decode(),
        "ca": [root.cert_pem.bytes().decode()],
        "serverCa": [root.cert_pem.bytes().decode()],
        "clientKey": client.private_key_pem.bytes().decode(),
        "clientCert": b"".join(client_pems).decode(),
    })
    # server side: SSL_get_peer_cert_chain() lacks the leaf, Node prepends it
    mine = _chain_case(client_pems, [root.cert_pem.bytes()])
    assert mine == node["server"]
    assert len(mine["certs"]) == 3 and mine["selfRef"]

    server_ctx = make_ctx(leaf.private_key_pem.bytes(), [p.bytes() for p in leaf.cert_chain_pems],
                          [root.cert_pem.bytes()])
    client_ctx = make_ctx(client.private_key_pem.bytes(), client_pems, [root.cert_pem.bytes()])
    server, client_ssl = handshake(server_ctx, client_ctx)
    assert chain_repr(peer_certificate(server, True, True)) == node["server"]
    assert list(peer_certificate(server, False, True)) == node["serverShort"]
    assert chain_repr(peer_certificate(client_ssl, True, False)) == node["client"]
    # an explicit store replaces the SSL_CTX's one
    assert len(chain_repr(peer_certificate(server, True, True, make_store([])))["certs"]) == 2


# ------------------------------------------------------------- SSL-level API

def load_key(pem: bytes):
    bio = lib.BIO_new_mem_buf(pem, len(pem))
    try:
        key = lib.PEM_read_bio_PrivateKey(bio, ffi.NULL, ffi.NULL, ffi.NULL)
    finally:
        lib.BIO_free(bio)
    assert key != ffi.NULL
    return ffi.gc(key, lib.EVP_PKEY_free)


def make_ctx(key_pem: Optional[bytes], cert_pems: List[bytes], ca_pems: List[bytes]):
    ctx = ffi.gc(lib.SSL_CTX_new(lib.TLS_method()), lib.SSL_CTX_free)
    lib.SSL_CTX_set_security_level(ctx, 1)
    if key_pem is not None:
        assert lib.SSL_CTX_use_certificate(ctx, load_x509(cert_pems[0])) == 1
        assert lib.SSL_CTX_use_PrivateKey(ctx, load_key(key_pem)) == 1
        for pem in cert_pems[1:]:
            assert lib.SSL_CTX_add1_chain_cert(ctx, load_x509(pem)) == 1
    store = lib.SSL_CTX_get_cert_store(ctx)
    for pem in ca_pems:
        assert lib.X509_STORE_add_cert(store, load_x509(pem)) == 1
    lib.SSL_CTX_set_verify(ctx, lib.SSL_VERIFY_PEER, lib.tls_verify_accept_all)
    return ctx


def handshake(server_ctx, client_ctx):
    """Two SSL objects shaking hands over memory BIOs (no sockets)."""
    server = ffi.gc(lib.SSL_new(server_ctx), lib.SSL_free)
    client = ffi.gc(lib.SSL_new(client_ctx), lib.SSL_free)
    assert lib.tls_attach_memory_bios(server) and lib.tls_attach_memory_bios(client)
    lib.SSL_set_accept_state(server)
    lib.SSL_set_connect_state(client)
    buf = ffi.new("char[]", 1 << 16)
    done = {"server": False, "client": False}
    for _ in range(20):
        for name, ssl, other in (("client", client, server), ("server", server, client)):
            if lib.SSL_do_handshake(ssl) == 1:
                done[name] = True
            n = lib.tls_drain(ssl, buf, 1 << 16)
            if n:
                assert lib.tls_feed(other, buf, n) == 0
        if all(done.values()):
            break
    assert all(done.values()), "handshake did not finish"
    # TLS 1.3: let the server's post-handshake messages reach the client
    out = ffi.new("int *")
    lib.tls_read(client, buf, 1 << 16, out)
    lib.ERR_clear_error()
    return server, client


def _ssl_pair(server_pems: List[bytes], key_pem: bytes, ca_pems: List[bytes]):
    """An SSL_CTX/SSL with a local certificate and CA store, no handshake."""
    ctx = ffi.gc(lib.SSL_CTX_new(lib.TLS_method()), lib.SSL_CTX_free)
    cert = load_x509(server_pems[0])
    assert lib.SSL_CTX_use_certificate(ctx, cert) == 1
    store = lib.SSL_CTX_get_cert_store(ctx)
    for pem in ca_pems:
        assert lib.X509_STORE_add_cert(store, load_x509(pem)) == 1
    ssl = ffi.gc(lib.SSL_new(ctx), lib.SSL_free)
    return ctx, ssl


def test_local_certificate_and_no_peer(rsa_chain) -> None:
    root, inter, leaf, _ = rsa_chain
    pems = [p.bytes() for p in leaf.cert_chain_pems]
    ctx, ssl = _ssl_pair(pems, leaf.private_key_pem.bytes(), [root.cert_pem.bytes()])
    assert enc(local_certificate(ssl)) == enc(certificate_to_dict(load_x509(pems[0])))
    # before a handshake there is no peer certificate: Node answers {}
    for detailed in (False, True):
        for is_server in (False, True):
            assert peer_certificate(ssl, detailed, is_server) == {}
    bare = ffi.gc(lib.SSL_new(ffi.gc(lib.SSL_CTX_new(lib.TLS_method()), lib.SSL_CTX_free)),
                  lib.SSL_free)
    assert local_certificate(bare) == {}
