"""Low-level OpenSSL access: the package's own cffi binding, public (docs/openssl.md).

``tls.openssl.ffi`` and ``tls.openssl.lib`` are the ``ffi`` and ``lib`` of the compiled
extension ``tls._openssl`` -- the very OpenSSL every TLSSocket and SecureContext of the package
runs on, in the same way ``cryptography.hazmat.bindings.openssl.binding.Binding`` once gave
pyca/cryptography's.  In a binary wheel that OpenSSL is linked in statically and none of its
symbols is exported (scripts/check_static_wheel.sh checks it), so this module is the only way
to reach it: ``ctypes`` or another cffi module would find the interpreter's libssl, a different
library whose objects must never be mixed with these.

What is declared
================

Everything the package needs, plus a surface a user reaches for (src/_tls_cffi/public_surface.py):
the ``SSL`` / ``SSL_CTX`` getters and setters (options, modes, verify parameters, certificate
chains, sessions, ciphers, groups, sigalgs, ex_data), ``X509`` / ``X509_STORE`` accessors, EVP
keys and signatures, and OCSP request and response building.  :data:`SURFACE` lists those
names by area (docs/openssl.md shows the same table; tests/test_openssl.py checks that each one
is in ``lib``).  ``lib`` holds other names too (the package's C helpers, ``tls_*``): they are
internal and may change without notice.  What is not declared cannot be called: cffi's
out-of-line mode compiles the declarations in.

Lifetime: pointers are borrowed
===============================

``tlsSocket.native`` (the ``SSL*``) and ``secureContext.native`` (the ``SSL_CTX*``) are
borrowed pointers: valid while their owner lives -- until the socket is destroyed (its
``'close'``), until the context is closed or garbage collected.  Once the owner is gone
``native`` is ``None``, never a dangling pointer; a pointer read earlier must not be used after
that.  The same holds for what OpenSSL's ``get0`` functions return (borrowed from the object
they were read from) -- ``get1`` and ``new`` results are yours to free, which ``ffi.gc`` does
for you: ``x = ffi.gc(lib.SSL_get1_peer_certificate(ssl), lib.X509_free)``.

To keep an object longer than its owner, take a reference of your own: :func:`keep` calls the
type's ``*_up_ref`` and returns a pointer that frees it when collected.

Rules of the road: the socket's ``SSL*`` is driven by the package (its memory BIOs, its
handshake and its reads and writes, its ex_data slots and callbacks): set options, limits and
parameters on it, read anything from it, but do not call ``SSL_do_handshake``, ``SSL_read``,
``SSL_write``, ``SSL_shutdown``, ``SSL_set_bio`` or ``SSL_free`` on it, nor replace a callback
the package installed.  Set what the handshake should use before it starts (right after
``tls.connect()`` returns, or on the context before the server listens).

Custom extensions
=================

:func:`add_custom_extension` puts a TLS extension of your own on a context's connections: OpenSSL's
``SSL_CTX_add_custom_ext`` with callbacks the package compiles in, calling your Python callables.

Errors
======

OpenSSL reports failures in a thread-local error queue.  :func:`error` turns that queue into
the package's Node-style error (``code`` ``ERR_SSL_*`` / ``ERR_OSSL_*``, ``library``,
``reason``, ``opensslErrorStack``: tls._binding.errors), as every Node API of the package does;
:func:`check` raises it when a call returned a failure (0, a negative number or NULL).
"""
from __future__ import annotations

from typing import Any, Callable, Dict, List, Optional, Tuple, TypeVar

from ._base.errors import NodeError, NodeRangeError, NodeTypeError
from ._base.validators import received
from ._binding import OPENSSL_VERSION, STATIC_OPENSSL, drain_errors, ffi, lib
from ._binding.callbacks import openssl_callback
from ._binding.errors import error_from_queue

__all__ = ["ffi", "lib", "OPENSSL_VERSION", "STATIC_OPENSSL", "SURFACE", "error", "check", "keep",
           "clear_errors", "declared", "missing", "add_custom_extension", "CUSTOM_EXTENSION_DEFAULT"]

T = TypeVar("T")

# The public surface by area, as docs/openssl.md lists it.  Names declared by the package's own
# areas (src/_tls_cffi/ssl.py, x509.py, ...) are here too when a user would reach for them: the
# list is the promise, wherever the declaration lives.
SURFACE: Dict[str, Tuple[str, ...]] = {
    "SSL / SSL_CTX options and modes": (
        "SSL_CTX_set_options", "SSL_CTX_clear_options", "SSL_CTX_get_options", "SSL_set_options",
        "SSL_clear_options", "SSL_get_options", "SSL_CTX_set_mode", "SSL_CTX_clear_mode", "SSL_CTX_get_mode",
        "SSL_set_mode", "SSL_clear_mode", "SSL_get_mode", "SSL_CTX_set_min_proto_version",
        "SSL_CTX_set_max_proto_version", "SSL_CTX_get_min_proto_version", "SSL_CTX_get_max_proto_version",
        "SSL_set_min_proto_version", "SSL_set_max_proto_version", "SSL_get_min_proto_version",
        "SSL_get_max_proto_version", "SSL_CTX_set_security_level", "SSL_CTX_get_security_level",
        "SSL_set_security_level", "SSL_get_security_level", "SSL_CTX_set_num_tickets", "SSL_CTX_get_num_tickets",
        "SSL_set_num_tickets", "SSL_get_num_tickets", "SSL_CTX_set_max_send_fragment", "SSL_set_max_send_fragment",
        "SSL_get_version", "SSL_version", "SSL_is_server", "SSL_is_init_finished", "SSL_get_SSL_CTX",
        "SSL_OP_NO_TICKET", "SSL_OP_NO_RENEGOTIATION", "SSL_OP_CIPHER_SERVER_PREFERENCE",
        "SSL_OP_PRIORITIZE_CHACHA", "SSL_OP_NO_TLSv1_3", "SSL_OP_IGNORE_UNEXPECTED_EOF",
        "SSL_OP_ENABLE_MIDDLEBOX_COMPAT", "SSL_MODE_RELEASE_BUFFERS", "TLS1_2_VERSION", "TLS1_3_VERSION",
    ),
    "Verification and X509_VERIFY_PARAM": (
        "SSL_CTX_set_verify_depth", "SSL_CTX_get_verify_depth", "SSL_CTX_get_verify_mode", "SSL_set_verify_depth",
        "SSL_get_verify_depth", "SSL_get_verify_mode", "SSL_get_verify_result", "SSL_set1_host", "SSL_add1_host",
        "SSL_set_hostflags", "SSL_get0_peername", "SSL_get0_param", "SSL_CTX_get0_param", "SSL_set1_param",
        "SSL_CTX_set1_param", "X509_VERIFY_PARAM_new", "X509_VERIFY_PARAM_free", "X509_VERIFY_PARAM_set1",
        "X509_VERIFY_PARAM_set_flags", "X509_VERIFY_PARAM_clear_flags", "X509_VERIFY_PARAM_get_flags",
        "X509_VERIFY_PARAM_set_depth", "X509_VERIFY_PARAM_get_depth", "X509_VERIFY_PARAM_set_auth_level",
        "X509_VERIFY_PARAM_get_auth_level", "X509_VERIFY_PARAM_set_purpose", "X509_VERIFY_PARAM_set_time",
        "X509_VERIFY_PARAM_set1_host", "X509_VERIFY_PARAM_add1_host", "X509_VERIFY_PARAM_set_hostflags",
        "X509_VERIFY_PARAM_set1_email", "X509_VERIFY_PARAM_set1_ip_asc", "X509_verify_cert_error_string",
        "X509_V_OK", "X509_V_FLAG_CRL_CHECK", "X509_V_FLAG_CRL_CHECK_ALL", "X509_V_FLAG_PARTIAL_CHAIN",
        "X509_V_FLAG_X509_STRICT", "X509_V_FLAG_TRUSTED_FIRST", "X509_V_FLAG_NO_CHECK_TIME",
        "X509_V_FLAG_USE_CHECK_TIME", "X509_V_FLAG_CHECK_SS_SIGNATURE", "X509_V_FLAG_NO_ALT_CHAINS",
        "X509_V_FLAG_POLICY_CHECK", "X509_V_FLAG_EXPLICIT_POLICY", "X509_V_FLAG_IGNORE_CRITICAL",
        "X509_PURPOSE_SSL_CLIENT", "X509_PURPOSE_SSL_SERVER", "X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS",
        "X509_CHECK_FLAG_NO_WILDCARDS", "SSL_VERIFY_NONE", "SSL_VERIFY_PEER", "SSL_VERIFY_FAIL_IF_NO_PEER_CERT",
    ),
    "Certificate chains and keys": (
        "SSL_CTX_use_certificate", "SSL_CTX_use_PrivateKey", "SSL_CTX_use_certificate_chain_file",
        "SSL_CTX_use_PrivateKey_file", "SSL_CTX_check_private_key", "SSL_CTX_add0_chain_cert",
        "SSL_CTX_add1_chain_cert", "SSL_CTX_clear_chain_certs", "SSL_CTX_get0_chain_certs",
        "SSL_CTX_get0_certificate", "SSL_CTX_get0_privatekey", "SSL_CTX_build_cert_chain",
        "SSL_CTX_load_verify_locations", "SSL_CTX_get_cert_store", "SSL_CTX_set1_cert_store",
        "SSL_CTX_set1_verify_cert_store", "SSL_CTX_set1_chain_cert_store", "SSL_CTX_add_client_CA",
        "SSL_use_certificate", "SSL_use_PrivateKey", "SSL_check_private_key", "SSL_get_certificate",
        "SSL_get_privatekey", "SSL_get0_chain_certs", "SSL_add1_chain_cert", "SSL_clear_chain_certs",
        "SSL_add_client_CA", "SSL_get_client_CA_list", "SSL_get1_peer_certificate", "SSL_get_peer_cert_chain",
        "SSL_get0_verified_chain", "SSL_FILETYPE_PEM", "SSL_FILETYPE_ASN1",
    ),
    "Sessions": (
        "SSL_get_session", "SSL_get1_session", "SSL_set_session", "SSL_session_reused", "SSL_SESSION_free",
        "SSL_SESSION_up_ref", "SSL_SESSION_dup", "i2d_SSL_SESSION", "d2i_SSL_SESSION", "SSL_SESSION_get_id",
        "SSL_SESSION_get_time", "SSL_SESSION_get_timeout", "SSL_SESSION_set_timeout", "SSL_SESSION_get0_peer",
        "SSL_SESSION_get0_cipher", "SSL_SESSION_get_master_key", "SSL_SESSION_get_protocol_version",
        "SSL_SESSION_has_ticket", "SSL_SESSION_get0_ticket", "SSL_SESSION_get_ticket_lifetime_hint",
        "SSL_SESSION_is_resumable", "SSL_SESSION_get0_hostname", "SSL_SESSION_get_max_early_data",
        "SSL_SESSION_set1_id_context", "SSL_SESSION_get0_id_context", "SSL_CTX_set_session_cache_mode",
        "SSL_CTX_get_session_cache_mode", "SSL_CTX_set_timeout", "SSL_CTX_get_timeout", "SSL_CTX_add_session",
        "SSL_CTX_remove_session", "SSL_CTX_flush_sessions", "SSL_CTX_sess_number", "SSL_CTX_sess_set_cache_size",
        "SSL_CTX_sess_get_cache_size", "SSL_CTX_set_session_id_context", "SSL_set_session_id_context",
    ),
    "Ciphers": (
        "SSL_CTX_set_cipher_list", "SSL_CTX_set_ciphersuites", "SSL_CTX_get_ciphers", "SSL_set_cipher_list",
        "SSL_set_ciphersuites", "SSL_get_ciphers", "SSL_get_cipher_list", "SSL_get_client_ciphers",
        "SSL_get1_supported_ciphers", "sk_SSL_CIPHER_num", "sk_SSL_CIPHER_value", "sk_SSL_CIPHER_free",
        "SSL_get_current_cipher", "SSL_CIPHER_find", "SSL_CIPHER_get_name", "SSL_CIPHER_standard_name",
        "SSL_CIPHER_get_version", "SSL_CIPHER_get_bits", "SSL_CIPHER_description", "SSL_CIPHER_get_id",
        "SSL_CIPHER_get_protocol_id", "SSL_CIPHER_get_kx_nid", "SSL_CIPHER_get_auth_nid",
        "SSL_CIPHER_get_cipher_nid", "SSL_CIPHER_get_digest_nid", "SSL_CIPHER_is_aead",
    ),
    "Groups (key exchange)": (
        "SSL_CTX_set1_groups_list", "SSL_CTX_set1_groups", "SSL_set1_groups_list", "SSL_set1_groups",
        "SSL_get1_groups", "SSL_get_shared_group", "SSL_get_negotiated_group", "SSL_group_to_name",
        "SSL_get_peer_tmp_key", "SSL_get_tmp_key", "NID_X25519", "NID_X448", "NID_X9_62_prime256v1",
        "NID_secp384r1", "NID_secp521r1",
    ),
    "Signature algorithms": (
        "SSL_CTX_set1_sigalgs_list", "SSL_CTX_set1_client_sigalgs_list", "SSL_set1_sigalgs_list",
        "SSL_set1_client_sigalgs_list", "SSL_get_sigalgs", "SSL_get_shared_sigalgs", "SSL_get_peer_signature_nid",
        "SSL_get_peer_signature_type_nid", "SSL_get_signature_nid", "SSL_get_signature_type_nid",
    ),
    "ex_data": (
        "SSL_get_ex_new_index", "SSL_CTX_get_ex_new_index", "SSL_set_ex_data", "SSL_get_ex_data",
        "SSL_CTX_set_ex_data", "SSL_CTX_get_ex_data",
    ),
    "Custom extensions": (
        "SSL_CTX_add_custom_ext", "SSL_CTX_has_client_custom_ext", "SSL_extension_supported",
        "SSL_EXT_TLS_ONLY", "SSL_EXT_CLIENT_HELLO", "SSL_EXT_TLS1_2_SERVER_HELLO", "SSL_EXT_TLS1_3_SERVER_HELLO",
        "SSL_EXT_TLS1_3_ENCRYPTED_EXTENSIONS", "SSL_EXT_TLS1_3_CERTIFICATE", "SSL_EXT_TLS1_3_CERTIFICATE_REQUEST",
        "SSL_EXT_TLS1_3_NEW_SESSION_TICKET", "SSL_AD_DECODE_ERROR", "SSL_AD_ILLEGAL_PARAMETER",
    ),
    "Reference counts": (
        "SSL_up_ref", "SSL_CTX_up_ref", "X509_up_ref", "EVP_PKEY_up_ref", "X509_STORE_up_ref", "SSL_free",
        "SSL_CTX_free", "X509_free", "EVP_PKEY_free", "X509_STORE_free",
    ),
    "X509": (
        "X509_new", "X509_dup", "d2i_X509", "i2d_X509", "PEM_read_bio_X509", "PEM_write_bio_X509",
        "X509_get_version", "X509_get_serialNumber", "ASN1_INTEGER_to_BN", "BN_bn2hex", "BN_free",
        "X509_get_subject_name", "X509_get_issuer_name", "X509_NAME_oneline", "X509_NAME_print_ex",
        "X509_NAME_get_text_by_NID", "X509_NAME_entry_count", "X509_NAME_cmp", "d2i_X509_NAME", "i2d_X509_NAME",
        "X509_NAME_free", "sk_X509_NAME_num", "sk_X509_NAME_value", "X509_get0_notBefore", "X509_get0_notAfter",
        "X509_cmp_current_time", "ASN1_TIME_print", "ASN1_TIME_new", "ASN1_TIME_free", "X509_gmtime_adj",
        "X509_get_signature_nid", "X509_get_ext_count", "X509_get_ext_by_NID", "X509_get_ext",
        "X509_EXTENSION_get_object", "X509_EXTENSION_get_critical", "X509V3_EXT_print", "X509_print_ex",
        "X509_get_pubkey", "X509_get0_pubkey", "X509_check_private_key", "X509_check_host", "X509_check_email",
        "X509_check_ip_asc", "X509_check_issued", "X509_check_ca", "X509_check_purpose", "X509_cmp",
        "X509_verify", "X509_digest", "X509_pubkey_digest", "X509_subject_name_hash", "X509_issuer_name_hash",
        "OBJ_nid2sn", "OBJ_nid2ln", "OBJ_txt2nid", "OBJ_obj2nid", "OBJ_obj2txt", "sk_X509_new_null",
        "sk_X509_num", "sk_X509_value", "sk_X509_push", "sk_X509_free", "NID_commonName", "NID_subject_alt_name",
        "NID_basic_constraints", "NID_key_usage", "NID_ext_key_usage",
    ),
    "X509_STORE": (
        "X509_STORE_new", "X509_STORE_add_cert", "X509_STORE_add_crl", "X509_STORE_set_flags",
        "X509_STORE_set_depth", "X509_STORE_set_purpose", "X509_STORE_get0_param", "X509_STORE_set1_param",
        "X509_STORE_load_locations", "X509_STORE_set_default_paths", "X509_STORE_get0_objects",
        "X509_STORE_CTX_new", "X509_STORE_CTX_free", "X509_STORE_CTX_init", "X509_verify_cert",
        "X509_STORE_CTX_get_error", "X509_STORE_CTX_get_error_depth", "X509_STORE_CTX_get_current_cert",
        "X509_STORE_CTX_get1_chain", "X509_STORE_CTX_get0_param", "X509_STORE_CTX_set_flags",
        "X509_STORE_CTX_set_depth", "X509_STORE_CTX_get1_issuer", "PEM_read_bio_X509_CRL", "X509_CRL_free",
    ),
    "EVP keys, digests and signatures": (
        "EVP_PKEY_new", "EVP_PKEY_get_id", "EVP_PKEY_get_base_id", "EVP_PKEY_get_bits", "EVP_PKEY_get_size",
        "EVP_PKEY_get_security_bits", "EVP_PKEY_get0_type_name", "EVP_PKEY_is_a", "EVP_PKEY_eq",
        "PEM_read_bio_PrivateKey", "PEM_write_bio_PrivateKey", "PEM_read_bio_PUBKEY", "PEM_write_bio_PUBKEY",
        "d2i_AutoPrivateKey", "i2d_PrivateKey", "d2i_PUBKEY", "i2d_PUBKEY", "EVP_PKEY_CTX_new_from_name",
        "EVP_PKEY_CTX_new", "EVP_PKEY_CTX_free", "EVP_PKEY_keygen_init", "EVP_PKEY_generate",
        "EVP_PKEY_CTX_set_rsa_keygen_bits", "EVP_PKEY_CTX_set_group_name", "EVP_MD_CTX_new", "EVP_MD_CTX_free",
        "EVP_get_digestbyname", "EVP_sha256", "EVP_sha384", "EVP_sha512", "EVP_MD_get0_name", "EVP_MD_get_size",
        "EVP_Digest", "EVP_DigestSignInit", "EVP_DigestSign", "EVP_DigestVerifyInit", "EVP_DigestVerify",
        "EVP_PKEY_RSA", "EVP_PKEY_EC", "EVP_PKEY_ED25519", "EVP_MAX_MD_SIZE",
    ),
    "OCSP": (
        "OCSP_cert_to_id", "OCSP_CERTID_free", "OCSP_CERTID_dup", "OCSP_id_cmp", "OCSP_REQUEST_new",
        "OCSP_REQUEST_free", "OCSP_request_add0_id", "OCSP_request_add1_nonce", "OCSP_request_onereq_count",
        "OCSP_request_onereq_get0", "OCSP_onereq_get0_id", "i2d_OCSP_REQUEST", "d2i_OCSP_REQUEST",
        "OCSP_BASICRESP_new", "OCSP_BASICRESP_free", "OCSP_basic_add1_status", "OCSP_basic_add1_nonce",
        "OCSP_check_nonce", "OCSP_basic_sign", "OCSP_response_create", "i2d_OCSP_RESPONSE", "d2i_OCSP_RESPONSE",
        "OCSP_RESPONSE_free", "OCSP_response_status", "OCSP_response_get1_basic", "OCSP_resp_find_status",
        "OCSP_check_validity", "OCSP_basic_verify", "OCSP_response_status_str", "OCSP_cert_status_str",
        "SSL_get_tlsext_status_ocsp_resp", "OCSP_RESPONSE_STATUS_SUCCESSFUL", "V_OCSP_CERTSTATUS_GOOD",
        "V_OCSP_CERTSTATUS_REVOKED", "V_OCSP_CERTSTATUS_UNKNOWN", "OCSP_REVOKED_STATUS_NOSTATUS", "OCSP_NOCERTS",
        "OCSP_NOVERIFY", "OCSP_TRUSTOTHER", "OCSP_RESPID_KEY",
    ),
    "Memory BIOs and errors": (
        "BIO_new", "BIO_s_mem", "BIO_new_mem_buf", "BIO_read", "BIO_write", "BIO_ctrl_pending",
        "BIO_get_mem_data", "BIO_free", "ERR_get_error", "ERR_peek_error", "ERR_clear_error",
        "ERR_error_string_n", "ERR_reason_error_string", "ERR_lib_error_string", "OPENSSL_free",
        "OpenSSL_version", "OpenSSL_version_num",
    ),
}

# type -> (take a reference, drop it): what keep() knows
_REFCOUNTED = {
    "SSL *": ("SSL_up_ref", "SSL_free"),
    "SSL_CTX *": ("SSL_CTX_up_ref", "SSL_CTX_free"),
    "SSL_SESSION *": ("SSL_SESSION_up_ref", "SSL_SESSION_free"),
    "X509 *": ("X509_up_ref", "X509_free"),
    "X509_STORE *": ("X509_STORE_up_ref", "X509_STORE_free"),
    "EVP_PKEY *": ("EVP_PKEY_up_ref", "EVP_PKEY_free"),
}


def clear_errors() -> None:
    """Empty OpenSSL's error queue (of this thread) before a call whose failure you will read."""
    drain_errors()


def error(fallback: str = "OpenSSL call failed") -> NodeError:
    """OpenSSL's error queue as one Node-style error (the queue is emptied).

    The newest entry gives ``code`` (``ERR_SSL_<REASON>``, ``ERR_OSSL_<LIB>_<REASON>``),
    ``library`` and ``reason``; the older ones are in ``opensslErrorStack``.  With an empty
    queue the error has ``fallback`` as its message and no code.
    """
    return error_from_queue(fallback)


def check(result: T, what: str = "OpenSSL call") -> T:
    """``result`` when it is a success; else raise :func:`error` (``what`` names the call).

    A failure is NULL for a pointer and 0 or less for a number (OpenSSL's usual convention;
    a call that returns a count or a flag word is not for this helper).
    """
    failed = result == ffi.NULL if isinstance(result, ffi.CData) else result <= 0  # type: ignore[operator]
    if failed:
        raise error("%s failed" % what)
    return result


def keep(pointer: Any) -> Any:
    """A reference of your own to a borrowed ``SSL*``, ``SSL_CTX*``, ``SSL_SESSION*``, ``X509*``,
    ``X509_STORE*`` or ``EVP_PKEY*``: valid after its owner is gone, freed when collected."""
    if not isinstance(pointer, ffi.CData):
        raise NodeTypeError('The "pointer" argument must be a cffi pointer of tls.openssl.ffi',
                            "ERR_INVALID_ARG_TYPE")
    ctype = ffi.typeof(pointer).cname
    pair = _REFCOUNTED.get(ctype)
    if pair is None:
        raise NodeTypeError("keep() takes %s, not %s" % (", ".join(sorted(_REFCOUNTED)), ctype),
                            "ERR_INVALID_ARG_TYPE")
    if pointer == ffi.NULL:
        raise NodeTypeError("keep() of a NULL %s" % ctype, "ERR_INVALID_ARG_VALUE")
    up_ref, free = pair
    check(getattr(lib, up_ref)(pointer), up_ref)
    return ffi.gc(ffi.cast(ctype, pointer), getattr(lib, free))


def declared(name: str) -> bool:
    """True when ``name`` is declared in ``lib`` (a function, a constant)."""
    return hasattr(lib, name)


def _surface_names() -> List[str]:
    return [name for names in SURFACE.values() for name in names]


def missing() -> List[str]:
    """The names of :data:`SURFACE` that ``lib`` lacks (empty on a correct build)."""
    return [name for name in _surface_names() if not declared(name)]



# -- custom extensions -------------------------------------------------------------------------------
#
# SSL_CTX_add_custom_ext takes three callbacks; a user cannot make callbacks into this compiled
# module (an extern "Python" is compiled in), so the package serves them: add_custom_extension
# registers the user's Python callables and hands OpenSSL the three extern "Python" functions of
# src/_tls_cffi/public_surface.py with a handle to them.  add and parse run inside the handshake,
# through the package's callback guard (tls._binding.callbacks) with the user-code policy: an
# exception destroys the connection with that error, as a pskCallback's does.

#: where an extension goes by default: the ClientHello, and the server's answer to it
#: (TLS 1.2 ServerHello, TLS 1.3 EncryptedExtensions)
CUSTOM_EXTENSION_DEFAULT = (lib.SSL_EXT_CLIENT_HELLO | lib.SSL_EXT_TLS1_2_SERVER_HELLO
                            | lib.SSL_EXT_TLS1_3_ENCRYPTED_EXTENSIONS)


class _Extension:
    __slots__ = ("ext_type", "add", "parse", "handle")

    def __init__(self, ext_type: int, add: Any, parse: Any) -> None:
        self.ext_type = ext_type
        self.add = add
        self.parse = parse
        self.handle = ffi.new_handle(self)


# Every registered extension, for the life of the process: OpenSSL keeps its handle in the
# SSL_CTX (and in each SSL made from it), which may outlive its SecureContext (keep()).
_EXTENSIONS: List[_Extension] = []
# the bytes handed to OpenSSL by an add callback, by address, until its free callback
_ADDED: Dict[int, Any] = {}


def _socket_of(engine: Any) -> Any:
    conn = engine.owner
    return conn.owner if conn is not None else None


@openssl_callback("_tls_public_ext_add", -1, user_code=True)
def _ext_add(engine: Any, ssl: Any, ext_type: int, where: int, out: Any, outlen: Any, x509: Any,
             chainidx: int, al: Any, add_arg: Any) -> int:
    ext = ffi.from_handle(add_arg)
    data = ext.add(_socket_of(engine), where)
    if data is None:
        return 0                            # not this time
    data = bytes(data)
    buf = ffi.new("unsigned char[]", max(1, len(data)))
    ffi.memmove(buf, data, len(data))
    _ADDED[int(ffi.cast("uintptr_t", buf))] = buf
    out[0] = buf
    outlen[0] = len(data)
    return 1


# Not through the guard: it calls no user code and must run even for a connection already detached
# from its socket (the guard answers for those without running the body), or the buffer would leak.
def _ext_free(ssl: Any, ext_type: int, where: int, out: Any, add_arg: Any) -> None:
    _ADDED.pop(int(ffi.cast("uintptr_t", out)), None)


ffi.def_extern(name="_tls_public_ext_free")(_ext_free)


@openssl_callback("_tls_public_ext_parse", 0, user_code=True)
def _ext_parse(engine: Any, ssl: Any, ext_type: int, where: int, data: Any, length: int, x509: Any,
               chainidx: int, al: Any, parse_arg: Any) -> int:
    ext = ffi.from_handle(parse_arg)
    if ext.parse(_socket_of(engine), where, bytes(ffi.buffer(data, length))) is False:
        al[0] = lib.SSL_AD_ILLEGAL_PARAMETER   # refused: the handshake fails with this alert
        return 0
    return 1


def add_custom_extension(context: Any, ext_type: int, add: Optional[Callable[[Any, int], Any]] = None,
                         parse: Optional[Callable[[Any, int, bytes], Any]] = None,
                         where: int = CUSTOM_EXTENSION_DEFAULT) -> None:
    """A TLS extension of your own on every connection made from ``context`` from now on.

    ``context``: a SecureContext, a tls.Server (its own context) or an ``SSL_CTX*``.
    ``add(socket, where)`` returns the extension's bytes for the message ``where``
    (``SSL_EXT_*``), or None to leave it out; ``parse(socket, where, data)`` reads the peer's,
    and returns False to refuse it (the handshake fails with an illegal_parameter alert).
    ``socket`` is the TLSSocket (or tls.sansio.Connection).  A server answers only a client
    that sent the extension.  An exception in either ends that connection with it as the error.
    """
    native = context if isinstance(context, ffi.CData) else getattr(context, "native", None)
    if not isinstance(native, ffi.CData) or ffi.typeof(native).cname != "SSL_CTX *":
        raise NodeTypeError('The "context" argument must be a SecureContext, a tls.Server or an SSL_CTX *. %s'
                            % received(context), "ERR_INVALID_ARG_TYPE")
    if native == ffi.NULL:
        raise NodeError("The context is closed", "ERR_INVALID_STATE")
    if isinstance(ext_type, bool) or not isinstance(ext_type, int):
        raise NodeTypeError('The "ext_type" argument must be of type number. %s' % received(ext_type),
                            "ERR_INVALID_ARG_TYPE")
    if not 0 <= ext_type <= 0xFFFF:
        raise NodeRangeError('The value of "ext_type" is out of range. It must be >= 0 && <= 65535. '
                             'Received %d' % ext_type, "ERR_OUT_OF_RANGE")
    for name, value in (("add", add), ("parse", parse)):
        if value is not None and not callable(value):
            raise NodeTypeError('The "%s" argument must be of type function. %s' % (name, received(value)),
                                "ERR_INVALID_ARG_TYPE")
    if add is None and parse is None:
        raise NodeTypeError('One of "add" and "parse" is needed', "ERR_MISSING_ARGS")
    if isinstance(where, bool) or not isinstance(where, int) or where <= 0:
        raise NodeTypeError('The "where" argument must be a positive number of SSL_EXT_* flags. %s'
                            % received(where), "ERR_INVALID_ARG_TYPE")
    if lib.SSL_extension_supported(ext_type):
        raise NodeError("OpenSSL handles extension %d itself" % ext_type, "ERR_INVALID_ARG_VALUE")
    ext = _Extension(ext_type, add, parse)
    clear_errors()
    ok = lib.SSL_CTX_add_custom_ext(native, ext_type, where,
                                    lib._tls_public_ext_add if add is not None else ffi.NULL,
                                    # OpenSSL refuses a free callback without an add callback
                                    lib._tls_public_ext_free if add is not None else ffi.NULL, ext.handle,
                                    lib._tls_public_ext_parse if parse is not None else ffi.NULL, ext.handle)
    if ok != 1:
        err = error("extension %d is already added to this context" % ext_type)
        if getattr(err, "code", None) is None:
            err.code = "ERR_INVALID_ARG_VALUE"
        raise err
    _EXTENSIONS.append(ext)
