"""tls.createSecureContext in use: trust, chains, keys, CRLs, ciphers, versions and options,
checked by handshakes in memory (two SSL objects over memory BIOs).

The files are the ``materials`` fixture of tests/secure_context/conftest.py.
"""
from __future__ import annotations

import warnings

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from tls._base import constants as _constants
from tls._engine import root_certificates as _root_certificates
from tls._engine import context as _secure_context
from tls._engine import credentials as _credentials
from tls._binding import ffi, lib
from tls._engine.context import SecureContext, SecurityWarning
from tls._objects.configure_context import createSecureContext
from tls.errors import NodeError

from support.engine import handshake, memory_ssl


# ---------------------------------------------------------------------------
# in-memory handshakes


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
    ssl = memory_ssl(ctx)
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
    assert lib.sk_X509_NAME_num(lib.SSL_get_client_CA_list(memory_ssl(server))) == 1


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
