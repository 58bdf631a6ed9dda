"""tls._objects.pki: keys and certificates made by the binding (csrc/pki.c).

* a generated CA, server and client certificate verify in a real handshake (tls server with
  requestCert, tls client with its certificate, both trusting only the generated CA), for EC, RSA
  and Ed25519 keys; what getPeerCertificate() reads back (CN, O, SANs, serial, validity, CA flag);
* the same certificates pass ``openssl verify -x509_strict`` for their purpose and a handshake
  between Python's own ``ssl`` client and server (VERIFY_X509_STRICT, hostname checked);
* PKCS#12 output loads through the ``pfx`` option (with its passphrase; without one when made
  without), an encrypted key through ``passphrase``; wrong passphrases are errors;
* bad arguments (bad subjectAltName strings, wrong types and ranges, mismatched keys, NULL pointers
  straight into the C functions) give errors, never a crash, and leave OpenSSL's error queue empty.
"""
from __future__ import annotations

import asyncio
import datetime
import ssl
import subprocess
from typing import Any, Dict, List, NamedTuple, Optional

import pytest

import tls
from tls import events
from tls._objects import pki as _pki
from tls._binding import drain_errors, ffi, lib
from tls.errors import NodeError, NodeRangeError, NodeTypeError

from support.openssl import OPENSSL

TIMEOUT = 15.0
SERVER_NAMES = ["localhost", "127.0.0.1", "::1"]
CLIENT_NAMES = ["email:client@example.org", "URI:https://client.example/"]


class Pki(NamedTuple):
    ca_key: _pki.PrivateKey
    ca: _pki.Certificate
    server_key: _pki.PrivateKey
    server: _pki.Certificate
    client_key: _pki.PrivateKey
    client: _pki.Certificate


def make_pki(kind: str = "ec", days: int = 7) -> Pki:
    ca_key = _pki.make_key(kind)
    ca = _pki.make_certificate(ca_key, "pki test CA", organization="tls tests", ca=True, days=days)
    server_key = _pki.make_key(kind)
    server = _pki.make_certificate(server_key, "localhost", SERVER_NAMES, issuer=(ca, ca_key), days=days,
                                   serial=0x1234)
    client_key = _pki.make_key(kind)
    client = _pki.make_certificate(client_key, "client", CLIENT_NAMES, issuer=(ca, ca_key), days=days)
    return Pki(ca_key, ca, server_key, server, client_key, client)


@pytest.fixture(scope="module", params=["ec", "rsa", "ed25519"])
def pki(request: Any) -> Pki:
    return make_pki(request.param)


@pytest.fixture(scope="module")
def ec_pki() -> Pki:
    return make_pki("ec", days=3)


async def handshake(server_opts: Dict[str, Any], client_opts: Dict[str, Any]) -> Dict[str, Any]:
    """A tls server (requestCert) and a tls client on loopback; what each side saw."""
    server = tls.createServer({"requestCert": True, "rejectUnauthorized": False, **server_opts})
    accepted = asyncio.ensure_future(events.once(server, "secureConnection"))
    server.listen(0, "127.0.0.1")
    await events.once(server, "listening")
    client = tls.connect({"port": server.address()["port"], "host": "127.0.0.1", "servername": "localhost",
                          "rejectUnauthorized": False, **client_opts})
    try:
        await events.once(client, "secureConnect")
        (server_side,) = await accepted
        seen = {"client_authorized": client.authorized, "client_error": client.authorizationError,
                "server_authorized": server_side.authorized, "server_error": server_side.authorizationError,
                "server_cert": client.getPeerCertificate(), "client_cert": server_side.getPeerCertificate(),
                "identity": tls.checkServerIdentity("localhost", client.getPeerCertificate())}
        server_side.destroy()
        return seen
    finally:
        client.destroy()
        server.close()


def run_handshake(server_opts: Dict[str, Any], client_opts: Dict[str, Any]) -> Dict[str, Any]:
    return asyncio.run(asyncio.wait_for(handshake(server_opts, client_opts), TIMEOUT))


def pem_options(pki: Pki) -> List[Dict[str, Any]]:
    ca = [pki.ca.to_pem()]
    return [{"key": pki.server_key.to_pem(), "cert": pki.server.to_pem(), "ca": ca},
            {"key": pki.client_key.to_pem(), "cert": pki.client.to_pem(), "ca": ca}]


# -- real handshakes ------------------------------------------------------------------------------

def test_generated_certificates_verify_both_ways_in_a_tls_handshake(pki):
    seen = run_handshake(*pem_options(pki))
    assert seen["client_authorized"] is True, seen["client_error"]
    assert seen["server_authorized"] is True, seen["server_error"]
    assert seen["identity"] is None                     # the SAN covers localhost
    server_cert, client_cert = seen["server_cert"], seen["client_cert"]
    assert server_cert["subject"] == {"CN": "localhost"}
    assert server_cert["issuer"] == {"CN": "pki test CA", "O": "tls tests"}
    assert server_cert["subjectaltname"] == "DNS:localhost, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1"
    assert server_cert["ca"] is False
    assert server_cert["serialNumber"] == "1234"
    assert server_cert["fingerprint256"] == pki.server.fingerprint256
    assert server_cert["ext_key_usage"] == ["1.3.6.1.5.5.7.3.1", "1.3.6.1.5.5.7.3.2"]  # serverAuth, clientAuth
    assert client_cert["subject"] == {"CN": "client"}
    assert client_cert["subjectaltname"] == "email:client@example.org, URI:https://client.example/"
    assert client_cert["fingerprint256"] == pki.client.fingerprint256
    assert int(client_cert["serialNumber"], 16) > 0     # random


def test_validity_starts_an_hour_ago_and_lasts_the_days_asked(ec_pki):
    seen = run_handshake(*pem_options(ec_pki))
    cert = seen["server_cert"]

    def parse(text: str) -> datetime.datetime:
        return datetime.datetime.strptime(text, "%b %d %H:%M:%S %Y GMT").replace(tzinfo=datetime.timezone.utc)

    now = datetime.datetime.now(datetime.timezone.utc)
    not_before, not_after = parse(cert["valid_from"]), parse(cert["valid_to"])
    assert abs((now - not_before) - datetime.timedelta(hours=1)) < datetime.timedelta(minutes=5)
    assert abs((not_after - now) - datetime.timedelta(days=3)) < datetime.timedelta(minutes=5)


def test_a_client_trusting_another_ca_is_not_authorized(ec_pki):
    server_opts, client_opts = pem_options(ec_pki)
    client_opts["ca"] = [make_pki().ca.to_pem()]
    seen = run_handshake(server_opts, client_opts)
    assert seen["client_authorized"] is False
    # the server's `ca` completes the chain it sends (as in Node): the client sees the other root
    assert seen["client_error"] == "SELF_SIGNED_CERT_IN_CHAIN"
    assert seen["server_authorized"] is True


# -- other verifiers -------------------------------------------------------------------------------

@pytest.mark.parametrize("purpose,leaf", [("sslserver", "server"), ("sslclient", "client")])
def test_openssl_verify_accepts_the_chain_strictly(pki, purpose, leaf, tmp_path):
    (tmp_path / "ca.pem").write_bytes(pki.ca.to_pem())
    (tmp_path / "leaf.pem").write_bytes(getattr(pki, leaf).to_pem())
    done = subprocess.run([OPENSSL, "verify", "-x509_strict", "-purpose", purpose, "-CAfile", "ca.pem", "leaf.pem"],
                          cwd=tmp_path, capture_output=True, text=True, timeout=TIMEOUT)
    assert done.returncode == 0 and done.stdout.strip() == "leaf.pem: OK", done.stdout + done.stderr


def _pump(source: ssl.MemoryBIO, target: ssl.MemoryBIO) -> None:
    data = source.read()
    if data:
        target.write(data)


def test_python_ssl_client_and_server_accept_the_certificates(pki, tmp_path):
    for name, item in (("server.pem", pki.server), ("client.pem", pki.client)):
        (tmp_path / name).write_bytes(item.to_pem())
    (tmp_path / "server.key").write_bytes(pki.server_key.to_pem())
    (tmp_path / "client.key").write_bytes(pki.client_key.to_pem("client secret"))   # encrypted PKCS#8
    ca_text = pki.ca.to_pem().decode()

    server_ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_ctx.load_cert_chain(tmp_path / "server.pem", tmp_path / "server.key")
    server_ctx.load_verify_locations(cadata=ca_text)
    server_ctx.verify_mode = ssl.CERT_REQUIRED
    client_ctx = ssl.create_default_context(cadata=ca_text)      # hostname checked
    client_ctx.verify_flags |= ssl.VERIFY_X509_STRICT
    server_ctx.verify_flags |= ssl.VERIFY_X509_STRICT
    client_ctx.load_cert_chain(tmp_path / "client.pem", tmp_path / "client.key", password="client secret")

    wires = [ssl.MemoryBIO() for _ in range(4)]   # client out, server in, server out, client in
    client = client_ctx.wrap_bio(wires[3], wires[0], server_hostname="localhost")
    server = server_ctx.wrap_bio(wires[1], wires[2], server_side=True)
    done = {"client": False, "server": False}
    for _ in range(20):
        for side, obj in (("client", client), ("server", server)):
            if not done[side]:
                try:
                    obj.do_handshake()
                    done[side] = True
                except ssl.SSLWantReadError:
                    pass
        _pump(wires[0], wires[1])
        _pump(wires[2], wires[3])
        if all(done.values()):
            break
    assert all(done.values())
    # TLS 1.3: the server checks the client's certificate in its last handshake step; the
    # client learns of a rejection only on its next read, so the server's view is what counts.
    assert dict(item[0] for item in server.getpeercert()["subject"]) == {"commonName": "client"}
    peer = client.getpeercert()
    assert dict(item[0] for item in peer["subject"]) == {"commonName": "localhost"}
    assert peer["subjectAltName"] == (("DNS", "localhost"), ("IP Address", "127.0.0.1"),
                                      ("IP Address", "0:0:0:0:0:0:0:1"))


# -- PKCS#12 and encrypted keys -----------------------------------------------------------------------

def test_pfx_loads_through_the_pfx_option_with_its_passphrase(ec_pki):
    server_pfx = _pki.to_pfx(ec_pki.server_key, ec_pki.server, [ec_pki.ca], passphrase="server secret",
                             friendly_name="server")
    client_pfx = _pki.to_pfx(ec_pki.client_key, ec_pki.client, [ec_pki.ca])       # the empty passphrase
    ca = [ec_pki.ca.to_pem()]
    seen = run_handshake({"pfx": server_pfx, "passphrase": "server secret", "ca": ca},
                         {"pfx": client_pfx, "ca": ca})
    assert seen["client_authorized"] is True and seen["server_authorized"] is True
    assert seen["server_cert"]["fingerprint256"] == ec_pki.server.fingerprint256
    assert seen["client_cert"]["fingerprint256"] == ec_pki.client.fingerprint256


def test_pfx_with_a_wrong_passphrase_is_an_error(ec_pki):
    pfx = _pki.to_pfx(ec_pki.server_key, ec_pki.server, passphrase="right")
    with pytest.raises(NodeError) as info:
        tls.createSecureContext({"pfx": pfx, "passphrase": "wrong"})
    assert "mac verify failure" in str(info.value)
    tls.createSecureContext({"pfx": pfx, "passphrase": "right"})


def test_pfx_holds_the_chain_for_openssl(ec_pki, tmp_path):
    (tmp_path / "id.pfx").write_bytes(_pki.to_pfx(ec_pki.server_key, ec_pki.server, [ec_pki.ca], passphrase="pw"))
    done = subprocess.run([OPENSSL, "pkcs12", "-in", "id.pfx", "-passin", "pass:pw", "-nokeys", "-info"],
                          cwd=tmp_path, capture_output=True, text=True, timeout=TIMEOUT)
    assert done.returncode == 0, done.stderr
    assert done.stdout.count("BEGIN CERTIFICATE") == 2
    assert "AES-256-CBC" in done.stderr                   # readable without OpenSSL 3's legacy provider


def test_encrypted_key_loads_with_the_passphrase_option(ec_pki):
    encrypted = ec_pki.server_key.to_pem("key secret")
    assert encrypted.startswith(b"-----BEGIN ENCRYPTED PRIVATE KEY-----")
    assert ec_pki.server_key.to_pem().startswith(b"-----BEGIN PRIVATE KEY-----")
    cert = ec_pki.server.to_pem()
    tls.createSecureContext({"key": encrypted, "passphrase": "key secret", "cert": cert})
    with pytest.raises(NodeError):
        tls.createSecureContext({"key": encrypted, "passphrase": "not it", "cert": cert})


def test_module_level_helpers_match_the_methods(ec_pki):
    assert _pki.to_pem(ec_pki.ca) == ec_pki.ca.to_pem()
    assert _pki.to_der(ec_pki.ca) == ec_pki.ca.to_der()
    assert _pki.to_pem(ec_pki.ca_key).startswith(b"-----BEGIN PRIVATE KEY-----")
    assert _pki.san_list(["localhost", "127.0.0.1", "::1", "email:a@b.example", "DNS:x.example"]) == \
        "DNS:localhost,IP:127.0.0.1,IP:::1,email:a@b.example,DNS:x.example"
    assert _pki.san_list("DNS:as-is") == "DNS:as-is"


def test_success_leaves_the_error_queue_empty():
    drain_errors()
    pki = make_pki("ec")
    _pki.to_pfx(pki.client_key, pki.client, [pki.ca], passphrase="x")
    pki.client_key.to_pem("x")
    assert drain_errors() == []


# -- bad arguments: errors, never a crash ----------------------------------------------------------

@pytest.mark.parametrize("alt_names,code", [
    ("FOO:bar", "ERR_OSSL_X509V3_UNSUPPORTED_OPTION"),
    ("dirName:section", "ERR_OSSL_X509V3_UNSUPPORTED_OPTION"),
    ("otherName:1.2.3;UTF8:x", "ERR_OSSL_X509V3_UNSUPPORTED_OPTION"),
    ("IP:999.1.1.1", "ERR_OSSL_X509V3_BAD_IP_ADDRESS"),
    ("IP:localhost", "ERR_OSSL_X509V3_BAD_IP_ADDRESS"),
    ("DNS:", "ERR_OSSL_X509V3_MISSING_VALUE"),
    ("DNS", "ERR_OSSL_X509V3_MISSING_VALUE"),
    ("DNS:x,", "ERR_OSSL_X509V3_MISSING_VALUE"),
    ("DNS:a,,DNS:b", "ERR_OSSL_X509V3_MISSING_VALUE"),
    ("@section", "ERR_OSSL_X509V3_MISSING_VALUE"),
    ("critical,DNS:x", "ERR_OSSL_X509V3_MISSING_VALUE"),
    ("DNS:two words", "ERR_OSSL_X509V3_INVALID_NAME"),
    ("DNS:caf\u00e9.example", "ERR_OSSL_X509V3_INVALID_NAME"),
    ("email:a\tb", "ERR_OSSL_X509V3_INVALID_NAME"),
])
def test_bad_subject_alt_names_are_openssl_errors(ec_pki, alt_names, code):
    with pytest.raises(NodeError) as info:
        _pki.make_certificate(ec_pki.server_key, "x", alt_names, issuer=(ec_pki.ca, ec_pki.ca_key))
    assert info.value.code == code
    assert info.value.message.startswith("make_certificate failed: error:")
    assert info.value.library == "X509 V3 routines"
    assert drain_errors() == []


def test_the_offending_value_is_in_the_message(ec_pki):
    with pytest.raises(NodeError, match=r"bad ip address \(value=999\.1\.1\.1\)$"):
        _pki.make_certificate(ec_pki.server_key, "x", "DNS:ok,IP:999.1.1.1")
    with pytest.raises(NodeError, match=r'subjectAltName type "FOO"'):
        _pki.make_certificate(ec_pki.server_key, "x", ["FOO:bar"])


def test_issuer_problems_are_openssl_errors(ec_pki):
    with pytest.raises(NodeError) as mismatch:       # the issuer key is not the CA's
        _pki.make_certificate(ec_pki.client_key, "x", issuer=(ec_pki.ca, ec_pki.server_key))
    assert mismatch.value.code == "ERR_OSSL_X509_KEY_VALUES_MISMATCH"
    with pytest.raises(NodeError, match="the issuer certificate is not a CA") as not_ca:
        _pki.make_certificate(ec_pki.client_key, "x", issuer=(ec_pki.server, ec_pki.server_key))
    assert not_ca.value.code == "ERR_OSSL_X509V3_PASSED_INVALID_ARGUMENT"
    with pytest.raises(NodeError) as too_long:
        _pki.make_certificate(ec_pki.client_key, "x" * 65)      # CN: at most 64 characters
    assert too_long.value.code == "ERR_OSSL_ASN1_STRING_TOO_LONG"
    with pytest.raises(NodeError) as pfx_mismatch:
        _pki.to_pfx(ec_pki.client_key, ec_pki.server)
    assert pfx_mismatch.value.code == "ERR_OSSL_X509_KEY_VALUES_MISMATCH"
    assert drain_errors() == []


@pytest.mark.parametrize("call,error,code", [
    (lambda p: _pki.make_key("dsa"), NodeTypeError, "ERR_INVALID_ARG_VALUE"),
    (lambda p: _pki.make_key(None), NodeTypeError, "ERR_INVALID_ARG_TYPE"),
    (lambda p: _pki.make_certificate(None, "x"), NodeTypeError, "ERR_INVALID_ARG_TYPE"),
    (lambda p: _pki.make_certificate(p.ca, "x"), NodeTypeError, "ERR_INVALID_ARG_TYPE"),
    (lambda p: _pki.make_certificate(p.client_key, None), NodeTypeError, "ERR_INVALID_ARG_TYPE"),
    (lambda p: _pki.make_certificate(p.client_key, ""), NodeTypeError, "ERR_INVALID_ARG_VALUE"),
    (lambda p: _pki.make_certificate(p.client_key, "a\0b"), NodeTypeError, "ERR_INVALID_ARG_VALUE"),
    (lambda p: _pki.make_certificate(p.client_key, "x", None), NodeTypeError, "ERR_INVALID_ARG_TYPE"),
    (lambda p: _pki.make_certificate(p.client_key, "x", [None]), NodeTypeError, "ERR_INVALID_ARG_TYPE"),
    (lambda p: _pki.make_certificate(p.client_key, "x", ["a,b"]), NodeTypeError, "ERR_INVALID_ARG_VALUE"),
    (lambda p: _pki.make_certificate(p.client_key, "x", "DNS:a\0b"), NodeTypeError, "ERR_INVALID_ARG_VALUE"),
    (lambda p: _pki.make_certificate(p.client_key, "x", issuer=(p.ca,)), NodeTypeError, "ERR_INVALID_ARG_TYPE"),
    (lambda p: _pki.make_certificate(p.client_key, "x", issuer=p.ca), NodeTypeError, "ERR_INVALID_ARG_TYPE"),
    (lambda p: _pki.make_certificate(p.client_key, "x", days=0), NodeRangeError, "ERR_OUT_OF_RANGE"),
    (lambda p: _pki.make_certificate(p.client_key, "x", days=-1), NodeRangeError, "ERR_OUT_OF_RANGE"),
    (lambda p: _pki.make_certificate(p.client_key, "x", days=10 ** 6), NodeRangeError, "ERR_OUT_OF_RANGE"),
    (lambda p: _pki.make_certificate(p.client_key, "x", days="7"), NodeTypeError, "ERR_INVALID_ARG_TYPE"),
    (lambda p: _pki.make_certificate(p.client_key, "x", days=True), NodeTypeError, "ERR_INVALID_ARG_TYPE"),
    (lambda p: _pki.make_certificate(p.client_key, "x", serial=0), NodeRangeError, "ERR_OUT_OF_RANGE"),
    (lambda p: _pki.make_certificate(p.client_key, "x", serial=1 << 64), NodeRangeError, "ERR_OUT_OF_RANGE"),
    (lambda p: _pki.to_pem(None), NodeTypeError, "ERR_INVALID_ARG_TYPE"),
    (lambda p: _pki.to_pem(p.ca, "pw"), NodeTypeError, "ERR_INVALID_ARG_VALUE"),
    (lambda p: _pki.to_der(p.ca_key), NodeTypeError, "ERR_INVALID_ARG_TYPE"),
    (lambda p: p.ca_key.to_pem(12), NodeTypeError, "ERR_INVALID_ARG_TYPE"),
    (lambda p: _pki.to_pfx(p.client_key, None), NodeTypeError, "ERR_INVALID_ARG_TYPE"),
    (lambda p: _pki.to_pfx(None, p.client), NodeTypeError, "ERR_INVALID_ARG_TYPE"),
    (lambda p: _pki.to_pfx(p.client_key, p.client, [None]), NodeTypeError, "ERR_INVALID_ARG_TYPE"),
    (lambda p: _pki.to_pfx(p.client_key, p.client, passphrase=1), NodeTypeError, "ERR_INVALID_ARG_TYPE"),
])
def test_bad_python_arguments_are_node_errors(ec_pki, call, error, code):
    with pytest.raises(error) as info:
        call(ec_pki)
    assert info.value.code == code
    assert drain_errors() == []


def _c_error(result: Any, failed: Any) -> Optional[str]:
    """The reason OpenSSL's queue holds after a C call that must fail (None: it did not fail)."""
    entries = drain_errors()
    if result != failed:
        return None
    assert entries, "failed without an error in the queue"
    return entries[-1][2]


def test_null_and_out_of_range_arguments_to_the_c_functions_fail_cleanly(ec_pki):
    NULL = ffi.NULL
    key, cert = ec_pki.client_key._ptr, ec_pki.client._ptr
    ca, ca_key = ec_pki.ca._ptr, ec_pki.ca_key._ptr
    drain_errors()
    for kind in (0, -1, 4, 1 << 30):
        assert _c_error(lib.tls_pki_new_key(kind), NULL) == "passed invalid argument"
    bad_certs = [
        (NULL, b"x", NULL, NULL, 0, NULL, NULL, 7, 0),            # no key
        (key, NULL, NULL, NULL, 0, NULL, NULL, 7, 0),             # no CN
        (key, b"", NULL, NULL, 0, NULL, NULL, 7, 0),              # empty CN
        (key, b"\xff\xfe", NULL, NULL, 0, NULL, NULL, 7, 0),      # not UTF-8
        (key, b"x", NULL, NULL, 0, ca, NULL, 7, 0),               # issuer without its key
        (key, b"x", NULL, NULL, 0, NULL, ca_key, 7, 0),           # issuer key without the issuer
        (key, b"x", NULL, NULL, 0, cert, key, 7, 0),              # a leaf as issuer
        (key, b"x", NULL, NULL, 0, NULL, NULL, 0, 0),             # days out of range
        (key, b"x", NULL, NULL, 0, NULL, NULL, -(1 << 31), 0),
        (key, b"x", NULL, NULL, 0, NULL, NULL, lib.TLS_PKI_MAX_DAYS + 1, 0),
        (key, b"x", NULL, b",", 0, NULL, NULL, 7, 0),             # empty SAN entries
    ]
    for args in bad_certs:
        assert _c_error(lib.tls_pki_new_cert(*args), NULL), args
    bio = lib.BIO_new(lib.BIO_s_mem())
    try:
        assert _c_error(lib.tls_pki_write_key_pem(NULL, key, NULL, 0), 0)
        assert _c_error(lib.tls_pki_write_key_pem(bio, NULL, NULL, 0), 0)
        assert _c_error(lib.tls_pki_write_key_pem(bio, key, b"pw", -1), 0)
        chain = ffi.new("X509 *[]", [ca, NULL])
        assert _c_error(lib.tls_pki_write_pkcs12(NULL, key, cert, NULL, 0, NULL, NULL), 0)
        assert _c_error(lib.tls_pki_write_pkcs12(bio, NULL, cert, NULL, 0, NULL, NULL), 0)
        assert _c_error(lib.tls_pki_write_pkcs12(bio, key, NULL, NULL, 0, NULL, NULL), 0)
        assert _c_error(lib.tls_pki_write_pkcs12(bio, key, cert, NULL, 1, NULL, NULL), 0)     # no chain array
        assert _c_error(lib.tls_pki_write_pkcs12(bio, key, cert, chain, 2, NULL, NULL), 0)    # NULL inside
        assert _c_error(lib.tls_pki_write_pkcs12(bio, key, cert, chain, -1, NULL, NULL), 0)
        assert lib.BIO_ctrl_pending(bio) == 0        # nothing half-written
        assert lib.tls_pki_write_pkcs12(bio, key, cert, chain, 1, NULL, NULL) == 1
        assert lib.BIO_ctrl_pending(bio) > 0
    finally:
        lib.BIO_free(bio)
    assert drain_errors() == []
