"""tls.createSecureContext, getCiphers, rootCertificates and the defaults.

Every error case asserts the ``.code`` and, where it is cheap, checks it
against Node 20 run on the same files (one ``node`` process for the whole
parity table).  Handshakes run in memory: two SSL objects over memory BIOs.
"""
from __future__ import annotations

import shutil
import datetime
import json
import os
import subprocess
import sys
import warnings

import pytest
import trustme
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization

from tls._base import constants as _constants
from tls._engine import root_certificates as _root_certificates
from tls._engine import context as _secure_context
from tls._engine import credentials as _credentials
from tls._binding import drain_errors, ffi, lib
from tls._engine.context import SecureContext, SecurityWarning
from tls._objects.configure_context import createSecureContext, getCiphers
from tls.errors import NodeError

NODE = shutil.which("node")
OPENSSL = shutil.which("openssl")

SRC = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "src")


# ---------------------------------------------------------------------------
# materials: every file both Python and Node read


def _pem(obj) -> bytes:
    return obj.bytes()


@pytest.fixture(scope="session")
def rsa_ca() -> trustme.CA:
    return trustme.CA(key_type=trustme.KeyType.RSA)


@pytest.fixture(scope="session")
def materials(tmp_path_factory, ca, server_cert, key_pem, cert_pem, ca_pem, rsa_ca):
    """A directory of PEM/PFX/DH/CRL files; returns a name -> path function."""
    d = tmp_path_factory.mktemp("secure_context")

    def put(name, data):
        (d / name).write_bytes(data)

    put("ca.pem", ca_pem)
    put("key.pem", key_pem)
    put("cert.pem", cert_pem)
    other = ca.issue_cert("other.example")
    put("otherkey.pem", _pem(other.private_key_pem))
    put("othercert.pem", _pem(other.cert_chain_pems[0]))
    put("otherca.pem", _pem(trustme.CA().cert_pem))

    # encrypted key (PKCS#8, AES-256) with passphrase "secret"
    key = serialization.load_pem_private_key(key_pem, None)
    put("enckey.pem", key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(b"secret")))

    # PFX: leaf + key + CA, passphrase "secret"; and one without a passphrase
    subprocess.run([OPENSSL, "pkcs12", "-export", "-in", str(d / "cert.pem"), "-inkey", str(d / "key.pem"),
                    "-certfile", str(d / "ca.pem"), "-passout", "pass:secret", "-out", str(d / "p.pfx")],
                   check=True, capture_output=True)
    subprocess.run([OPENSSL, "pkcs12", "-export", "-in", str(d / "cert.pem"), "-inkey", str(d / "key.pem"),
                    "-passout", "pass:", "-out", str(d / "nopass.pfx")], check=True, capture_output=True)

    # DH parameters: 512 (refused), 1536 (warning), 2048 (fine)
    subprocess.run([OPENSSL, "dhparam", "-out", str(d / "dh512.pem"), "512"], check=True, capture_output=True)
    subprocess.run([OPENSSL, "genpkey", "-genparam", "-algorithm", "DH", "-pkeyopt", "group:modp_1536",
                    "-out", str(d / "dh1536.pem")], check=True, capture_output=True)
    subprocess.run([OPENSSL, "genpkey", "-genparam", "-algorithm", "DH", "-pkeyopt", "group:ffdhe2048",
                    "-out", str(d / "dh2048.pem")], check=True, capture_output=True)

    # CRLs from the CA: one revoking the server certificate, one empty
    ca_key = serialization.load_pem_private_key(_pem(ca.private_key_pem), None)
    ca_cert = x509.load_pem_x509_certificate(ca_pem)
    leaf = x509.load_pem_x509_certificate(_pem(server_cert.cert_chain_pems[0]))
    now = datetime.datetime.now(datetime.timezone.utc)

    def crl(revoked):
        builder = (x509.CertificateRevocationListBuilder().issuer_name(ca_cert.subject)
                   .last_update(now - datetime.timedelta(days=1)).next_update(now + datetime.timedelta(days=30)))
        for serial in revoked:
            builder = builder.add_revoked_certificate(
                x509.RevokedCertificateBuilder().serial_number(serial).revocation_date(now).build())
        return builder.sign(ca_key, hashes.SHA256()).public_bytes(serialization.Encoding.PEM)

    put("revoked.crl", crl([leaf.serial_number]))
    put("empty.crl", crl([]))

    # RSA server (for DHE / RSA cipher suites)
    rsa_leaf = rsa_ca.issue_cert("localhost", key_type=trustme.KeyType.RSA)
    put("rsaca.pem", _pem(rsa_ca.cert_pem))
    put("rsakey.pem", _pem(rsa_leaf.private_key_pem))
    put("rsacert.pem", b"".join(_pem(b) for b in rsa_leaf.cert_chain_pems))

    # a chain: root -> intermediate -> leaf
    inter = ca.create_child_ca()
    chained = inter.issue_cert("chained.example")
    put("chainkey.pem", _pem(chained.private_key_pem))
    put("chaincert.pem", b"".join(_pem(b) for b in chained.cert_chain_pems))  # leaf + intermediate
    put("chainleaf.pem", _pem(chained.cert_chain_pems[0]))
    put("intermediate.pem", _pem(inter.cert_pem))

    def path(name):
        return str(d / name)
    path.dir = str(d)
    return path


@pytest.fixture(scope="session")
def f(materials):
    """f(name) -> bytes of a material file (Node: fs.readFileSync(name))."""
    def read(name):
        with open(materials(name), "rb") as fh:
            return fh.read()
    return read


@pytest.fixture(scope="session")
def s(materials):
    """s(name) -> str of a material file (Node: fs.readFileSync(name, 'utf8'))."""
    def read(name):
        with open(materials(name), encoding="utf-8") as fh:
            return fh.read()
    return read


# ---------------------------------------------------------------------------
# Node as the oracle

_NODE_PROBE = r"""
const tls = require('tls'); const fs = require('fs'); const path = require('path');
const dir = process.argv[1];
const f = (n) => fs.readFileSync(path.join(dir, n));
const s = (n) => fs.readFileSync(path.join(dir, n), 'utf8');
process.removeAllListeners('warning'); process.on('warning', () => {});
const exprs = JSON.parse(fs.readFileSync(0, 'utf8'));
const out = exprs.map((expr) => {
  try { tls.createSecureContext(eval('(' + expr + ')')); return {ok: true}; }
  catch (e) { return {ok: false, name: e.name, code: e.code === undefined ? null : e.code}; }
});
process.stdout.write(JSON.stringify(out));
"""


def node_codes(js_exprs, files_dir):
    """Run tls.createSecureContext(<expr>) in Node for each expression.

    The expressions may use f(name) / s(name) to read files of files_dir.
    Returns a list of {ok, name, code} (code None for Node's undefined).
    """
    proc = subprocess.run([NODE, "-e", _NODE_PROBE, files_dir], input=json.dumps(list(js_exprs)),
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def node_code(js_options_expr, files_dir="."):
    """The .code Node's createSecureContext(<expr>) throws (None: no code / no error)."""
    return node_codes([js_options_expr], files_dir)[0].get("code")


def py_outcome(options):
    try:
        createSecureContext(options)
    except NodeError as err:
        if isinstance(err, TypeError):
            name = "TypeError"
        elif isinstance(err, ValueError):
            name = "RangeError"
        else:
            name = "Error"
        return {"ok": False, "name": name, "code": err.code}
    return {"ok": True}


# (id, expected code or "ok", Python options expression, JS options expression or None = same text)
PARITY = [
    ("key-cert", "ok", "{'key': s('key.pem'), 'cert': s('cert.pem')}", None),
    ("key-cert-buffers", "ok", "{'key': f('key.pem'), 'cert': f('cert.pem'), 'ca': [f('ca.pem')]}", None),
    ("cert-no-start-line", "ERR_OSSL_PEM_NO_START_LINE", "{'key': s('key.pem'), 'cert': 'garbage'}", None),
    ("cert-empty-buffer", "ERR_OSSL_PEM_NO_START_LINE", "{'cert': b''}", "{cert: Buffer.alloc(0)}"),
    ("cert-bad-base64", "ERR_OSSL_ASN1_WRONG_TAG",
     "{'cert': '-----BEGIN CERTIFICATE-----\\nAAAAAAAA\\n-----END CERTIFICATE-----\\n'}", None),
    ("key-malformed", "ERR_OSSL_UNSUPPORTED", "{'key': 'garbage', 'cert': s('cert.pem')}", None),
    ("key-mismatch", "ERR_OSSL_X509_KEY_VALUES_MISMATCH", "{'key': s('otherkey.pem'), 'cert': s('cert.pem')}", None),
    ("key-wrong-passphrase", "ERR_OSSL_BAD_DECRYPT",
     "{'key': s('enckey.pem'), 'cert': s('cert.pem'), 'passphrase': 'wrong'}", None),
    ("key-no-passphrase", "ERR_OSSL_BAD_DECRYPT", "{'key': s('enckey.pem'), 'cert': s('cert.pem')}", None),
    ("key-passphrase", "ok", "{'key': s('enckey.pem'), 'cert': s('cert.pem'), 'passphrase': 'secret'}", None),
    ("key-list-objects", "ok", "{'key': [{'pem': s('enckey.pem'), 'passphrase': 'secret'}], 'cert': s('cert.pem')}",
     None),
    ("key-list-object-wrong", "ERR_OSSL_BAD_DECRYPT",
     "{'key': [{'pem': s('enckey.pem'), 'passphrase': 'x'}], 'passphrase': 'secret'}", None),
    ("key-list-plain", "ok", "{'key': [s('key.pem')], 'cert': [s('cert.pem')]}", None),
    ("key-type", "ERR_INVALID_ARG_TYPE", "{'key': 1}", None),
    ("key-object-not-in-list", "ERR_INVALID_ARG_TYPE", "{'key': {'pem': s('key.pem')}}", None),
    ("key-list-type", "ERR_INVALID_ARG_TYPE", "{'key': [{'pem': 1}]}", None),
    ("passphrase-type", "ERR_INVALID_ARG_TYPE", "{'key': s('key.pem'), 'passphrase': 1}", None),
    ("passphrase-type-unused", "ok", "{'passphrase': 1}", None),
    ("cert-type", "ERR_INVALID_ARG_TYPE", "{'cert': True}", "{cert: true}"),
    ("cert-list-type", "ERR_INVALID_ARG_TYPE", "{'cert': [1]}", None),
    ("cert-empty-list", "ok", "{'cert': []}", None),
    ("ca-type", "ERR_INVALID_ARG_TYPE", "{'ca': {}}", None),
    ("ca-list-type", "ERR_INVALID_ARG_TYPE", "{'ca': [1]}", None),
    ("ca-garbage-ignored", "ok", "{'ca': [s('ca.pem'), 'garbage']}", None),
    ("ca-empty-string", "ok", "{'ca': ''}", None),
    ("pfx", "ok", "{'pfx': f('p.pfx'), 'passphrase': 'secret'}", None),
    ("pfx-list", "ok", "{'pfx': [{'buf': f('p.pfx'), 'passphrase': 'secret'}]}", None),
    ("pfx-list-shared-passphrase", "ok", "{'pfx': [f('p.pfx')], 'passphrase': 'secret'}", None),
    ("pfx-no-passphrase", "ok", "{'pfx': f('nopass.pfx')}", None),
    ("pfx-wrong-passphrase", None, "{'pfx': f('p.pfx'), 'passphrase': 'bad'}", None),
    ("pfx-missing-passphrase", None, "{'pfx': f('p.pfx')}", None),
    ("pfx-garbage", None, "{'pfx': b'garbage'}", "{pfx: Buffer.from('garbage')}"),
    ("pfx-type", "ERR_CRYPTO_OPERATION_FAILED", "{'pfx': 1}", None),
    ("pfx-passphrase-type", "ERR_INVALID_ARG_TYPE", "{'pfx': f('p.pfx'), 'passphrase': 1}", None),
    ("ciphers-no-match", "ERR_SSL_NO_CIPHER_MATCH", "{'ciphers': 'NOPE'}", None),
    ("ciphers-no-match-13", "ERR_SSL_NO_CIPHER_MATCH", "{'ciphers': 'TLS_NOPE'}", None),
    ("ciphers-13-only", "ok", "{'ciphers': 'TLS_AES_128_GCM_SHA256'}", None),
    ("ciphers-12-only", "ok", "{'ciphers': 'AES128-SHA'}", None),
    ("ciphers-empty-entries", "ERR_INVALID_ARG_VALUE", "{'ciphers': ':'}", None),
    ("ciphers-empty-string", "ok", "{'ciphers': ''}", None),
    ("ciphers-type", "ERR_INVALID_ARG_TYPE", "{'ciphers': 1}", None),
    ("ecdh-bad", "ERR_CRYPTO_OPERATION_FAILED", "{'ecdhCurve': 'nope'}", None),
    ("ecdh-list", "ok", "{'ecdhCurve': 'P-256:X25519'}", None),
    ("ecdh-type", "ERR_INVALID_ARG_TYPE", "{'ecdhCurve': 1}", None),
    ("dhparam-512", "ERR_INVALID_ARG_VALUE", "{'dhparam': s('dh512.pem')}", None),
    ("dhparam-1536", "ok", "{'dhparam': s('dh1536.pem')}", None),
    ("dhparam-2048", "ok", "{'dhparam': f('dh2048.pem')}", None),
    ("dhparam-invalid-ignored", "ok", "{'dhparam': 'garbage'}", None),
    ("dhparam-auto", "ok", "{'dhparam': 'auto'}", None),
    ("dhparam-type", "ERR_INVALID_ARG_TYPE", "{'dhparam': 1}", None),
    ("crl", "ok", "{'crl': s('revoked.crl')}", None),
    ("crl-garbage", "ERR_CRYPTO_OPERATION_FAILED", "{'crl': 'garbage'}", None),
    ("crl-type", "ERR_INVALID_ARG_TYPE", "{'crl': [1]}", None),
    ("sigalgs", "ok", "{'sigalgs': 'RSA-PSS+SHA256:ECDSA+SHA256'}", None),
    ("sigalgs-empty", "ERR_INVALID_ARG_VALUE", "{'sigalgs': ''}", None),
    ("sigalgs-bad", None, "{'sigalgs': 'nope'}", None),
    ("sigalgs-type", "ERR_INVALID_ARG_TYPE", "{'sigalgs': 1}", None),
    ("session-id-context", "ok", "{'sessionIdContext': 'abc'}", None),
    ("session-id-context-long", None, "{'sessionIdContext': 'x' * 33}", "{sessionIdContext: 'x'.repeat(33)}"),
    ("session-id-context-type", "ERR_INVALID_ARG_TYPE", "{'sessionIdContext': 1}", None),
    ("session-timeout", "ok", "{'sessionTimeout': 300}", None),
    ("session-timeout-negative", "ERR_OUT_OF_RANGE", "{'sessionTimeout': -1}", None),
    ("session-timeout-fraction", "ERR_OUT_OF_RANGE", "{'sessionTimeout': 1.5}", None),
    ("session-timeout-type", "ERR_INVALID_ARG_TYPE", "{'sessionTimeout': '5'}", None),
    ("ticket-keys", "ok", "{'ticketKeys': bytes(48)}", "{ticketKeys: Buffer.alloc(48)}"),
    ("ticket-keys-47", "ERR_INVALID_ARG_VALUE", "{'ticketKeys': bytes(47)}", "{ticketKeys: Buffer.alloc(47)}"),
    ("ticket-keys-type", "ERR_INVALID_ARG_TYPE", "{'ticketKeys': 'x' * 48}", "{ticketKeys: 'x'.repeat(48)}"),
    ("secure-protocol-sslv3", "ERR_TLS_INVALID_PROTOCOL_METHOD", "{'secureProtocol': 'SSLv3_method'}", None),
    ("secure-protocol-sslv2", "ERR_TLS_INVALID_PROTOCOL_METHOD", "{'secureProtocol': 'SSLv2_method'}", None),
    ("secure-protocol-unknown", "ERR_TLS_INVALID_PROTOCOL_METHOD", "{'secureProtocol': 'Bogus'}", None),
    ("secure-protocol-tls12", "ok", "{'secureProtocol': 'TLSv1_2_method'}", None),
    ("secure-protocol-conflict-min", "ERR_TLS_PROTOCOL_VERSION_CONFLICT",
     "{'secureProtocol': 'TLSv1_2_method', 'minVersion': 'TLSv1.2'}", None),
    ("secure-protocol-conflict-max", "ERR_TLS_PROTOCOL_VERSION_CONFLICT",
     "{'secureProtocol': 'TLSv1_2_method', 'maxVersion': 'TLSv1.3'}", None),
    ("min-version-invalid", "ERR_TLS_INVALID_PROTOCOL_VERSION", "{'minVersion': 'TLSv1.4'}", None),
    ("max-version-invalid", "ERR_TLS_INVALID_PROTOCOL_VERSION", "{'maxVersion': 'x'}", None),
    ("min-version-type", "ERR_TLS_INVALID_PROTOCOL_VERSION", "{'minVersion': 1}", None),
    ("secure-options-type", "ERR_INVALID_ARG_TYPE", "{'secureOptions': '5'}", None),
    ("secure-options-fraction", "ERR_OUT_OF_RANGE", "{'secureOptions': 1.5}", None),
    ("secure-options-too-big", "ERR_OUT_OF_RANGE", "{'secureOptions': 2 ** 60}", "{secureOptions: 2 ** 60}"),
    ("options-type", "ERR_INVALID_ARG_TYPE", "5", None),
    ("honor-cipher-order-odd-secure-options", "ok", "{'honorCipherOrder': True, 'secureOptions': 'x'}",
     "{honorCipherOrder: true, secureOptions: 'x'}"),
    ("ca-empty-list", "ok", "{'ca': []}", None),
    ("client-cert-engine-type", "ERR_INVALID_ARG_TYPE", "{'clientCertEngine': 1}", None),
    ("client-cert-engine-missing", None, "{'clientCertEngine': 'no-such-engine'}", None),
    ("client-cert-engine-dynamic", "ERR_SSL_ENGINE_LIB", "{'clientCertEngine': 'dynamic'}", None),
    ("private-key-engine-missing", "ERR_INVALID_ARG_VALUE", "{'privateKeyIdentifier': 'x'}", None),
    ("private-key-engine-type", "ERR_INVALID_ARG_TYPE",
     "{'privateKeyIdentifier': 'x', 'privateKeyEngine': 1}", None),
    ("private-key-identifier-type", "ERR_INVALID_ARG_TYPE",
     "{'privateKeyIdentifier': 1, 'privateKeyEngine': 'x'}", None),
    ("private-key-identifier-with-key", "ERR_INVALID_ARG_VALUE",
     "{'privateKeyIdentifier': 'x', 'privateKeyEngine': 'x', 'key': s('key.pem')}", None),
    ("private-key-engine-unknown", None, "{'privateKeyIdentifier': 'x', 'privateKeyEngine': 'no-such-engine'}", None),
]


@pytest.fixture(scope="session")
def node_parity(materials):
    exprs = [js if js is not None else py for _, _, py, js in PARITY]
    results = node_codes(exprs, materials.dir)
    return {case[0]: result for case, result in zip(PARITY, results)}


@pytest.mark.node
@pytest.mark.parametrize("case_id,expected,py_expr,js_expr", PARITY, ids=[c[0] for c in PARITY])
def test_parity_with_node(case_id, expected, py_expr, js_expr, node_parity, f, s):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SecurityWarning)
        ours = py_outcome(eval(py_expr, {"f": f, "s": s}))
    node = node_parity[case_id]
    if expected == "ok":
        assert ours == {"ok": True}
    else:
        assert ours["ok"] is False
        assert ours["code"] == expected
    assert ours == node


def test_node_code_helper(materials):
    assert node_code("{ticketKeys: Buffer.alloc(47)}") == "ERR_INVALID_ARG_VALUE"
    assert node_code("{key: s('otherkey.pem'), cert: s('cert.pem')}", materials.dir) == \
        "ERR_OSSL_X509_KEY_VALUES_MISMATCH"


# ---------------------------------------------------------------------------
# error details


def test_openssl_error_decoration_matches_node(s):
    with pytest.raises(NodeError) as info:
        createSecureContext(key=s("enckey.pem"), cert=s("cert.pem"), passphrase="wrong")
    err = info.value
    assert err.code == "ERR_OSSL_BAD_DECRYPT"
    assert err.library == "Provider routines"
    assert err.reason == "bad decrypt"
    assert err.message == "error:1C800064:Provider routines::bad decrypt"
    assert err.opensslErrorStack == [
        "error:11800074:PKCS12 routines::pkcs12 cipherfinal error",
        "error:1C800064:Provider routines::bad decrypt",
        "error:11800074:PKCS12 routines::pkcs12 cipherfinal error",
    ]
    assert drain_errors() == []


def test_malformed_cert_error_stack_newest_first():
    with pytest.raises(NodeError) as info:
        createSecureContext(cert="-----BEGIN CERTIFICATE-----\nAAAAAAAA\n-----END CERTIFICATE-----\n")
    assert info.value.code == "ERR_OSSL_ASN1_WRONG_TAG"
    assert info.value.opensslErrorStack == [
        "error:0488000D:PEM routines::ASN1 lib",
        "error:0688010A:asn1 encoding routines::nested asn1 error",
    ]


def test_pfx_wrong_passphrase_is_plain_error(f):
    with pytest.raises(NodeError) as info:
        createSecureContext(pfx=f("p.pfx"), passphrase="bad")
    assert info.value.code is None
    assert str(info.value) == "mac verify failure"
    assert not isinstance(info.value, TypeError)


def test_error_classes():
    with pytest.raises(TypeError):
        createSecureContext(key=1)
    with pytest.raises(ValueError):
        createSecureContext(sessionTimeout=-1)
    with pytest.raises(TypeError) as info:
        createSecureContext(secureProtocol="SSLv3_method")
    assert info.value.code == "ERR_TLS_INVALID_PROTOCOL_METHOD"


def test_error_queue_left_empty(s):
    for options in ({"key": "garbage"}, {"cert": "garbage"}, {"ciphers": "NOPE"}, {"ecdhCurve": "nope"},
                    {"ca": "garbage"}, {"dhparam": "garbage"}):
        try:
            createSecureContext(options)
        except NodeError:
            pass
        assert drain_errors() == []


# ---------------------------------------------------------------------------
# in-memory handshakes


def _ssl(ctx: SecureContext):
    ssl = ffi.gc(lib.SSL_new(ctx._ctx), lib.SSL_free)
    assert lib.tls_attach_memory_bios(ssl) == 1
    return ssl


def handshake(server: SecureContext, client: SecureContext, servername=None):
    """Run a handshake in memory; returns a dict describing the outcome."""
    srv, cli = _ssl(server), _ssl(client)
    lib.SSL_set_accept_state(srv)
    lib.SSL_set_connect_state(cli)
    if servername:
        lib.SSL_set_tlsext_host_name(cli, servername.encode())
    buf = ffi.new("char[]", 1 << 17)
    done = {"srv": False, "cli": False}
    error = None
    for _ in range(50):
        for name, ssl in (("cli", cli), ("srv", srv)):
            if not done[name]:
                rc = lib.SSL_do_handshake(ssl)
                if rc == 1:
                    done[name] = True
                elif lib.SSL_get_error(ssl, rc) not in (lib.SSL_ERROR_WANT_READ, lib.SSL_ERROR_WANT_WRITE):
                    entries = drain_errors()
                    error = error or (name, entries[-1][2] if entries else "unknown")
        for src, dst in ((cli, srv), (srv, cli)):
            n = lib.tls_drain(src, buf, len(buf))
            if n:
                lib.tls_feed(dst, buf, n)
        if error or (done["srv"] and done["cli"]):
            break
    drain_errors()
    if error:
        return {"ok": False, "error": error}
    cipher = lib.SSL_get_current_cipher(cli)
    return {
        "ok": True,
        "version": ffi.string(lib.SSL_get_version(cli)).decode(),
        "cipher": ffi.string(lib.SSL_CIPHER_get_name(cipher)).decode(),
        "verify": lib.SSL_get_verify_result(cli),
        "group": lib.SSL_get_negotiated_group(cli),
    }


@pytest.fixture
def server_ctx(s):
    return createSecureContext(key=s("key.pem"), cert=s("cert.pem"))


def test_handshake_verifies_with_ca(server_ctx, s):
    result = handshake(server_ctx, createSecureContext(ca=s("ca.pem")))
    assert result["ok"] and result["verify"] == 0
    assert result["version"] == "TLSv1.3"


def test_default_roots_do_not_trust_test_ca(server_ctx):
    client = createSecureContext()
    assert client._ca_given is False
    assert handshake(server_ctx, client)["verify"] == 21  # UNABLE_TO_VERIFY_LEAF_SIGNATURE


def test_ca_replaces_default_roots(server_ctx, s):
    client = createSecureContext(ca=s("otherca.pem"))
    assert client._ca_given is True
    assert not _root_certificates.is_root_store(client._cert_store())
    assert handshake(server_ctx, client)["verify"] == 21


def test_ca_empty_list_trusts_nothing(server_ctx):
    # [] is truthy in JavaScript: it replaces the roots with nothing
    client = createSecureContext(ca=[])
    assert client._ca_given is True
    assert _store_size(client._cert_store()) == 0
    assert handshake(server_ctx, client)["verify"] == 21


def test_ca_one_string_several_certs(server_ctx, s):
    client = createSecureContext(ca=s("otherca.pem") + s("ca.pem"))
    assert handshake(server_ctx, client)["verify"] == 0
    assert _store_size(client._cert_store()) == 2


@pytest.mark.parametrize("kind", [str, bytes, bytearray, memoryview])
def test_string_and_buffer_kinds(kind, server_ctx, f):
    conv = (lambda b: b.decode()) if kind is str else kind
    server = createSecureContext(key=conv(f("key.pem")), cert=conv(f("cert.pem")))
    client = createSecureContext(ca=[conv(f("ca.pem"))])
    assert handshake(server, client)["verify"] == 0


def test_ca_is_client_ca_list(s):
    ctx = createSecureContext(ca=[s("ca.pem"), s("otherca.pem")])
    ssl = _ssl(ctx)
    assert lib.sk_X509_NAME_num(lib.SSL_get_client_CA_list(ssl)) == 2


def _store_size(store) -> int:
    objects = lib.X509_STORE_get0_objects(store)
    return sum(1 for i in range(lib.sk_X509_OBJECT_num(objects))
               if lib.X509_OBJECT_get0_X509(lib.sk_X509_OBJECT_value(objects, i)) != ffi.NULL)


def _der_of_pem(pem: bytes) -> bytes:
    return x509.load_pem_x509_certificate(pem).public_bytes(serialization.Encoding.DER)


def test_default_contexts_share_the_root_store():
    a, b = createSecureContext(), createSecureContext()
    assert a._cert_store() == b._cert_store() == _root_certificates.root_store()


def test_cert_chain_is_sent_and_issuer_found(s, f):
    server = createSecureContext(key=s("chainkey.pem"), cert=s("chaincert.pem"))
    client = createSecureContext(ca=s("ca.pem"))
    assert handshake(server, client)["verify"] == 0
    assert server.getCertificate() == _der_of_pem(f("chainleaf.pem"))
    assert server.getIssuer() == _der_of_pem(f("intermediate.pem"))


def test_issuer_from_the_store(s, f):
    # leaf alone: its issuer is looked up in the context's store (the `ca`)
    server = createSecureContext(ca=s("ca.pem"), key=s("key.pem"), cert=s("cert.pem"))
    assert server.getIssuer() == _der_of_pem(f("ca.pem"))
    assert createSecureContext(key=s("key.pem"), cert=s("cert.pem")).getIssuer() is None
    assert createSecureContext().getCertificate() is None


def test_leaf_without_chain_does_not_verify(s):
    server = createSecureContext(key=s("chainkey.pem"), cert=s("chainleaf.pem"))
    assert handshake(server, createSecureContext(ca=s("ca.pem")))["verify"] == 21


def test_key_list_and_cert_list_two_algorithms(s):
    server = createSecureContext(key=[s("key.pem"), {"pem": s("rsakey.pem")}], cert=[s("cert.pem"), s("rsacert.pem")])
    # an RSA-only TLS 1.2 suite picks the RSA certificate
    client = createSecureContext(ca=s("rsaca.pem"), ciphers="ECDHE-RSA-AES128-GCM-SHA256", maxVersion="TLSv1.2")
    result = handshake(server, client)
    assert result["ok"] and result["cipher"] == "ECDHE-RSA-AES128-GCM-SHA256" and result["verify"] == 0
    client = createSecureContext(ca=s("ca.pem"), ciphers="ECDHE-ECDSA-AES128-GCM-SHA256", maxVersion="TLSv1.2")
    result = handshake(server, client)
    assert result["ok"] and result["cipher"] == "ECDHE-ECDSA-AES128-GCM-SHA256" and result["verify"] == 0


def test_encrypted_key_list_entry_passphrase_wins(s):
    createSecureContext(key=[{"pem": s("enckey.pem"), "passphrase": "secret"}], passphrase="wrong",
                        cert=s("cert.pem"))
    createSecureContext(key=[{"pem": s("enckey.pem")}], passphrase="secret", cert=s("cert.pem"))


def test_pfx_handshake_and_ca_joins_trust_store(f, s):
    server = createSecureContext(pfx=f("p.pfx"), passphrase="secret")
    assert handshake(server, createSecureContext(ca=s("ca.pem")))["verify"] == 0
    store = server._cert_store()
    assert not _root_certificates.is_root_store(store)  # a new store: roots + the PFX CA
    objects = lib.X509_STORE_get0_objects(store)
    ders = set()
    for i in range(lib.sk_X509_OBJECT_num(objects)):
        cert = lib.X509_OBJECT_get0_X509(lib.sk_X509_OBJECT_value(objects, i))
        if cert != ffi.NULL:
            ders.add(_credentials._der(cert))
    assert _der_of_pem(f("ca.pem")) in ders
    assert server.getIssuer() == _der_of_pem(f("ca.pem"))
    assert lib.sk_X509_NAME_num(lib.SSL_get_client_CA_list(_ssl(server))) == 1


def test_pfx_list_with_own_passphrase(f, s):
    server = createSecureContext(pfx=[{"buf": f("p.pfx"), "passphrase": "secret"}])
    assert handshake(server, createSecureContext(ca=s("ca.pem")))["verify"] == 0


def test_crl_revokes(server_ctx, s):
    client = createSecureContext(ca=s("ca.pem"), crl=s("revoked.crl"))
    assert handshake(server_ctx, client)["verify"] == 23  # CERT_REVOKED
    client = createSecureContext(ca=s("ca.pem"), crl=[s("empty.crl")])
    assert handshake(server_ctx, client)["verify"] == 0


def test_crl_without_ca_copies_the_root_store(s):
    ctx = createSecureContext(crl=s("empty.crl"))
    assert not _root_certificates.is_root_store(ctx._cert_store())
    assert createSecureContext()._cert_store() == _root_certificates.root_store()


def test_allow_partial_trust_chain(s):
    # trusting only the intermediate verifies the chain with X509_V_FLAG_PARTIAL_CHAIN
    server = createSecureContext(key=s("chainkey.pem"), cert=s("chaincert.pem"))
    assert handshake(server, createSecureContext(ca=s("intermediate.pem")))["verify"] != 0
    client = createSecureContext(ca=s("intermediate.pem"), allowPartialTrustChain=True)
    assert handshake(server, client)["verify"] == 0


# ---------------------------------------------------------------------------
# ciphers, versions, options


def test_tls13_only_ciphers_raise_min_version(server_ctx, s):
    ctx = createSecureContext(ciphers="TLS_AES_128_GCM_SHA256")
    assert ctx.getMinProto() == lib.TLS1_3_VERSION
    result = handshake(server_ctx, createSecureContext(ca=s("ca.pem"), ciphers="TLS_AES_128_GCM_SHA256"))
    assert result["cipher"] == "TLS_AES_128_GCM_SHA256"


def test_tls12_only_ciphers_keep_default_13_suites(server_ctx, s):
    ctx = createSecureContext(ca=s("ca.pem"), ciphers="ECDHE-ECDSA-AES128-SHA")
    assert ctx.getMinProto() == lib.TLS1_2_VERSION
    assert handshake(server_ctx, ctx)["cipher"] == "TLS_AES_256_GCM_SHA384"
    ctx = createSecureContext(ca=s("ca.pem"), ciphers="ECDHE-ECDSA-AES128-SHA", maxVersion="TLSv1.2")
    assert handshake(server_ctx, ctx)["cipher"] == "ECDHE-ECDSA-AES128-SHA"


def test_versions(server_ctx, s):
    ctx = createSecureContext()
    assert (ctx.getMinProto(), ctx.getMaxProto()) == (lib.TLS1_2_VERSION, lib.TLS1_3_VERSION)
    ctx = createSecureContext(secureProtocol="TLSv1_2_method")
    assert (ctx.getMinProto(), ctx.getMaxProto()) == (lib.TLS1_2_VERSION, lib.TLS1_2_VERSION)
    ctx = createSecureContext(secureProtocol="TLS_method")
    assert (ctx.getMinProto(), ctx.getMaxProto()) == (0, lib.TLS1_3_VERSION)
    ctx = createSecureContext(secureProtocol="SSLv23_method")
    assert ctx.getMaxProto() == lib.TLS1_2_VERSION
    ctx = createSecureContext(minVersion="TLSv1.3")
    assert ctx.getMinProto() == lib.TLS1_3_VERSION
    client = createSecureContext(ca=s("ca.pem"), maxVersion="TLSv1.2")
    assert handshake(server_ctx, client)["version"] == "TLSv1.2"
    client = createSecureContext(ca=s("ca.pem"), secureProtocol="TLSv1_2_method")
    assert handshake(server_ctx, client)["version"] == "TLSv1.2"


def test_options_and_session_settings():
    base = createSecureContext()
    opts = lib.SSL_CTX_get_options(base._ctx)
    assert opts & lib.SSL_OP_NO_SSLv2 == lib.SSL_OP_NO_SSLv2
    assert opts & lib.SSL_OP_NO_SSLv3
    assert opts & lib.SSL_OP_NO_COMPRESSION
    assert opts & lib.SSL_OP_ALLOW_CLIENT_RENEGOTIATION
    assert not opts & lib.SSL_OP_CIPHER_SERVER_PREFERENCE
    assert lib.SSL_CTX_get_session_cache_mode(base._ctx) == (
        lib.SSL_SESS_CACHE_CLIENT | lib.SSL_SESS_CACHE_SERVER
        | lib.SSL_SESS_CACHE_NO_INTERNAL | lib.SSL_SESS_CACHE_NO_AUTO_CLEAR)

    ctx = createSecureContext(honorCipherOrder=True, secureOptions=lib.SSL_OP_NO_TICKET)
    opts = lib.SSL_CTX_get_options(ctx._ctx)
    assert opts & lib.SSL_OP_CIPHER_SERVER_PREFERENCE and opts & lib.SSL_OP_NO_TICKET
    ctx = createSecureContext(secureOptions=lib.SSL_OP_NO_TLSv1_3)
    assert lib.SSL_CTX_get_options(ctx._ctx) & lib.SSL_OP_NO_TLSv1_3

    ctx = createSecureContext(sessionTimeout=42, sessionIdContext="abc")
    assert lib.SSL_CTX_get_timeout(ctx._ctx) == 42


def test_security_level_one_unless_cipher_string_says(s):
    assert lib.SSL_CTX_get_security_level(createSecureContext()._ctx) == 1
    ctx = createSecureContext(ciphers="HIGH:@SECLEVEL=2")
    assert lib.SSL_CTX_get_security_level(ctx._ctx) == 2
    ctx = createSecureContext(ciphers="TLS_AES_128_GCM_SHA256:DEFAULT:@SECLEVEL=0")
    assert lib.SSL_CTX_get_security_level(ctx._ctx) == 0


def test_1536_bit_dh_works_at_level_one(s):
    rsa = {"key": s("rsakey.pem"), "cert": s("rsacert.pem"), "ciphers": "DHE-RSA-AES128-GCM-SHA256",
           "maxVersion": "TLSv1.2"}
    client = createSecureContext(ca=s("rsaca.pem"), ciphers="DHE-RSA-AES128-GCM-SHA256", maxVersion="TLSv1.2")
    with pytest.warns(SecurityWarning, match="^DH parameter is less than 2048 bits$"):
        server = createSecureContext(rsa, dhparam=s("dh1536.pem"))
    result = handshake(server, client)
    assert result["ok"] and result["cipher"] == "DHE-RSA-AES128-GCM-SHA256"
    # what Debian's default level 2 does instead: OpenSSL refuses the parameters
    with pytest.raises(NodeError) as info, warnings.catch_warnings():
        warnings.simplefilter("ignore", SecurityWarning)
        createSecureContext(rsa, dhparam=s("dh1536.pem"), ciphers="DHE-RSA-AES128-GCM-SHA256:@SECLEVEL=2")
    assert info.value.code == "ERR_CRYPTO_OPERATION_FAILED"


@pytest.mark.parametrize("dhparam", ["auto", "dh2048.pem", None])
def test_dhparam_enables_dhe(dhparam, s):
    options = {"key": s("rsakey.pem"), "cert": s("rsacert.pem"), "ciphers": "DHE-RSA-AES128-GCM-SHA256",
               "maxVersion": "TLSv1.2"}
    if dhparam:
        options["dhparam"] = dhparam if dhparam == "auto" else s(dhparam)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no warning for >= 2048 bits
        server = createSecureContext(options)
    client = createSecureContext(ca=s("rsaca.pem"), ciphers="DHE-RSA-AES128-GCM-SHA256", maxVersion="TLSv1.2")
    result = handshake(server, client)
    if dhparam:
        assert result["ok"] and result["cipher"] == "DHE-RSA-AES128-GCM-SHA256"
    else:
        assert result == {"ok": False, "error": ("srv", "no shared cipher")}


def test_invalid_dhparam_is_ignored(s):
    server = createSecureContext(key=s("rsakey.pem"), cert=s("rsacert.pem"), dhparam="garbage",
                                 ciphers="DHE-RSA-AES128-GCM-SHA256", maxVersion="TLSv1.2")
    client = createSecureContext(ca=s("rsaca.pem"), ciphers="DHE-RSA-AES128-GCM-SHA256", maxVersion="TLSv1.2")
    assert not handshake(server, client)["ok"]


def test_ecdh_curve(server_ctx, s):
    client = createSecureContext(ca=s("ca.pem"), ecdhCurve="P-256")
    assert handshake(server_ctx, client)["group"] == lib.OBJ_sn2nid(b"prime256v1")
    client = createSecureContext(ca=s("ca.pem"))
    assert handshake(server_ctx, client)["group"] == lib.OBJ_sn2nid(b"X25519")
    server = createSecureContext(key=s("key.pem"), cert=s("cert.pem"), ecdhCurve="secp384r1")
    client = createSecureContext(ca=s("ca.pem"), ecdhCurve="X25519:secp384r1")
    assert handshake(server, client)["group"] == lib.OBJ_sn2nid(b"secp384r1")


def test_sigalgs(s):
    server = createSecureContext(key=s("key.pem"), cert=s("cert.pem"))
    assert handshake(server, createSecureContext(ca=s("ca.pem"), sigalgs="ECDSA+SHA256"))["ok"]
    assert not handshake(server, createSecureContext(ca=s("ca.pem"), sigalgs="RSA-PSS+SHA256"))["ok"]


# ---------------------------------------------------------------------------
# ticket keys, the object itself


def test_ticket_keys():
    a, b = createSecureContext(), createSecureContext()
    assert len(a._ticket_keys) == 48 and a._ticket_keys != b._ticket_keys
    keys = bytes(range(48))
    assert createSecureContext(ticketKeys=keys)._ticket_keys == keys
    assert createSecureContext(ticketKeys=bytearray(keys))._ticket_keys == keys
    assert createSecureContext(ticketKeys=memoryview(keys))._ticket_keys == keys
    assert a.context.setTicketKeys(keys) is True
    assert a.context.getTicketKeys() == keys
    with pytest.raises(NodeError) as info:
        a.setTicketKeys(bytes(47))
    assert info.value.code == "ERR_INVALID_ARG_VALUE"


def test_context_object():
    ctx = createSecureContext()
    assert ctx.context is ctx
    assert isinstance(ctx, SecureContext)
    assert ctx._ctx != ffi.NULL
    ctx.close()
    assert ctx._ctx is None
    ctx.close()
    # tls.SecureContext(secureProtocol, secureOptions, minVersion, maxVersion)
    raw = SecureContext(None, None, "TLSv1.3", None)
    assert raw.getMinProto() == lib.TLS1_3_VERSION


def test_kwargs_and_options_merge(s):
    a = createSecureContext({"key": s("key.pem")}, cert=s("cert.pem"))
    b = createSecureContext(key=s("key.pem"), cert=s("cert.pem"))
    assert a.getCertificate() == b.getCertificate() is not None
    assert createSecureContext(None)._ca_given is False
    with pytest.raises(NodeError) as info:
        createSecureContext({"key": s("key.pem")}, key="garbage")  # kwargs win
    assert info.value.code == "ERR_OSSL_UNSUPPORTED"


def test_none_means_default(s):
    ctx = createSecureContext(ciphers=None, ecdhCurve=None, ca=None, dhparam=None, ticketKeys=None,
                              sessionTimeout=None, passphrase=None, secureProtocol=None)
    assert ctx.getMinProto() == lib.TLS1_2_VERSION


def test_defaults_are_read_live(monkeypatch):
    import tls
    monkeypatch.setattr(tls, "DEFAULT_CIPHERS", "NOPE", raising=False)
    with pytest.raises(NodeError) as info:
        createSecureContext()
    assert info.value.code == "ERR_SSL_NO_CIPHER_MATCH"
    monkeypatch.setattr(tls, "DEFAULT_CIPHERS", _constants.DEFAULT_CIPHERS, raising=False)
    monkeypatch.setattr(tls, "DEFAULT_MIN_VERSION", "TLSv1.3", raising=False)
    assert createSecureContext().getMinProto() == lib.TLS1_3_VERSION
    monkeypatch.setattr(tls, "DEFAULT_ECDH_CURVE", "nope", raising=False)
    with pytest.raises(NodeError) as info:
        createSecureContext()
    assert info.value.code == "ERR_CRYPTO_OPERATION_FAILED"


def test_engine_key_unknown_engine_has_no_code():
    with pytest.raises(NodeError) as info:
        createSecureContext(privateKeyIdentifier="x", privateKeyEngine="no-such-engine")
    assert info.value.code is None
    assert info.value.opensslErrorStack


# ---------------------------------------------------------------------------
# constants, getCiphers, rootCertificates


def _node_eval(expr: str):
    out = subprocess.run([NODE, "-p", "JSON.stringify(%s)" % expr], capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


@pytest.mark.node
def test_defaults_match_node():
    assert _constants.NODE_DEFAULT_CIPHERS == _node_eval("tls.DEFAULT_CIPHERS")
    if not os.environ.get(_constants.CIPHER_LIST_ENV):
        assert _constants.DEFAULT_CIPHERS == _constants.NODE_DEFAULT_CIPHERS
    node = _node_eval("[tls.DEFAULT_ECDH_CURVE, tls.DEFAULT_MIN_VERSION, tls.DEFAULT_MAX_VERSION,"
                      " tls.CLIENT_RENEG_LIMIT, tls.CLIENT_RENEG_WINDOW]")
    assert node == [_constants.DEFAULT_ECDH_CURVE, _constants.DEFAULT_MIN_VERSION, _constants.DEFAULT_MAX_VERSION,
                    _constants.CLIENT_RENEG_LIMIT, _constants.CLIENT_RENEG_WINDOW]


def test_cipher_list_environment_variable():
    env = dict(os.environ, PYTHON_TLS_CIPHER_LIST="ECDHE-RSA-AES128-GCM-SHA256:!RC4",
               PYTHONPATH=SRC + os.pathsep + os.environ.get("PYTHONPATH", ""))
    out = subprocess.run([sys.executable, "-c", "from tls._base import constants; print(constants.DEFAULT_CIPHERS)"],
                         env=env, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "ECDHE-RSA-AES128-GCM-SHA256:!RC4"


@pytest.mark.node
def test_get_ciphers_matches_node():
    ours = getCiphers()
    assert ours == _node_eval("tls.getCiphers()")
    assert ours == sorted(set(ours)) and all(c == c.lower() for c in ours)
    assert "tls_aes_128_ccm_8_sha256" in ours
    ours.append("x")
    assert "x" not in getCiphers()  # a copy each time


def test_root_certificates():
    roots = _secure_context.rootCertificates
    assert isinstance(roots, tuple) and len(roots) > 0
    assert roots is _secure_context.rootCertificates
    for pem in roots:
        assert pem.startswith("-----BEGIN CERTIFICATE-----\n")
        assert pem.endswith("\n-----END CERTIFICATE-----")
    assert len(set(roots)) == len(roots)
    with pytest.raises(AttributeError):
        _secure_context.noSuchName  # noqa: B018


def test_root_certificates_follow_ssl_cert_file(tmp_path, ca_pem):
    bundle = tmp_path / "bundle.pem"
    bundle.write_bytes(ca_pem)
    env = dict(os.environ, SSL_CERT_FILE=str(bundle), SSL_CERT_DIR=str(tmp_path / "none"),
               PYTHONPATH=SRC + os.pathsep + os.environ.get("PYTHONPATH", ""))
    code = ("from tls._engine import context as s; r = s.rootCertificates; print(len(r)); print(r[0])")
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    count, pem = out.stdout.split("\n", 1)
    assert count == "1"
    assert pem.strip() == ca_pem.decode().strip()


def test_import_does_no_store_work():
    env = dict(os.environ, PYTHONPATH=SRC + os.pathsep + os.environ.get("PYTHONPATH", ""))
    code = ("import tls, tls._engine.context, tls._engine.root_certificates as r; "
            "print(r._root_store is None, r._root_certificates is None)")
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["True", "True"]


def test_contexts_without_ca_use_the_system_store(tmp_path):
    # point OpenSSL's default verify paths at the test CA: a context without
    # `ca` then trusts it, as a system-installed root would be
    bundle = tmp_path / "bundle.pem"
    tests_dir = os.path.dirname(os.path.abspath(__file__))
    env = dict(os.environ, SSL_CERT_FILE=str(bundle), SSL_CERT_DIR=str(tmp_path / "none"),
               PYTHONPATH=os.pathsep.join([SRC, tests_dir, os.environ.get("PYTHONPATH", "")]))
    ca = trustme.CA()
    leaf = ca.issue_cert("localhost")
    bundle.write_bytes(ca.cert_pem.bytes())
    key = tmp_path / "key.pem"
    cert = tmp_path / "cert.pem"
    key.write_bytes(leaf.private_key_pem.bytes())
    cert.write_bytes(leaf.cert_chain_pems[0].bytes())
    code = (
        "import sys\n"
        "from test_secure_context import handshake\n"
        "from tls._objects.configure_context import createSecureContext\n"
        "server = createSecureContext(key=open(sys.argv[1]).read(), cert=open(sys.argv[2]).read())\n"
        "print(handshake(server, createSecureContext())['verify'])\n"
    )
    out = subprocess.run([sys.executable, "-c", code, str(key), str(cert)], env=env, capture_output=True,
                         text=True, check=True)
    assert out.stdout.strip() == "0"
