"""tls.createSecureContext against Node 20: the option parity table, error details, the
defaults, getCiphers and rootCertificates.

Every error case asserts the ``.code`` and checks it against Node 20 run on
the same files (one ``node`` process for the whole parity table); the files
are the ``materials`` fixture of tests/secure_context/conftest.py.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import warnings

import pytest
import trustme

from tls._base import constants as _constants
from tls._engine import context as _secure_context
from tls._binding import drain_errors
from tls._engine.context import SecurityWarning
from tls._objects.configure_context import createSecureContext, getCiphers
from tls.errors import NodeError

from support.node import NODE
from support.python import SRC


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
    tests_dir = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))   # where support/ is
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
        "from support.engine import handshake\n"
        "from tls._objects.configure_context import createSecureContext\n"
        "server = createSecureContext(key=open(sys.argv[1]).read(), cert=open(sys.argv[2]).read())\n"
        "print(handshake(server, createSecureContext())['verify'])\n"
    )
    out = subprocess.run([sys.executable, "-c", code, str(key), str(cert)], env=env, capture_output=True,
                         text=True, check=True)
    assert out.stdout.strip() == "0"
