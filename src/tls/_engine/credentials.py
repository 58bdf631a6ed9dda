"""What a ``SecureContext`` is given to prove and to trust: keys, certificates, PKCS#12, CA and CRL stores.

Node's ``SecureContext::SetCert``, ``SetKey``, ``LoadPKCS12``, ``AddCACert``,
``AddCRL``, ``AddRootCerts``, ``SetEngineKey`` and ``SetClientCertEngine``
(src/crypto/crypto_context.cc), as the mixin :class:`CredentialsMixin` of
:class:`tls.SecureContext`: PEM and DER read through memory BIOs into
OpenSSL objects, a passphrase handed to OpenSSL's callback (never a prompt),
the chain's issuer remembered for OCSP (``getCertificate`` /
``getIssuer``), and the shared system root store copied before the first
change (``_own_cert_store``).  Their errors are Node's: ``_crypto_error`` is
``ThrowCryptoError``, the oldest queued OpenSSL error with its code.

Apart from context.py because reading credentials is its own job, with its
own OpenSSL objects to free on every path; context.py keeps the ``SSL_CTX``
itself (method, protocol versions, ciphers, DH, options, tickets) and takes
the helpers it shares with this module (``_to_bytes``, ``_crypto_error``,
``_Bio``) from here.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, List, Optional, Sequence, Tuple, Type

from . import root_certificates as _root_certificates
from .._base.errors import NodeError, NodeTypeError
from .._base.validators import BUFFER_TYPES as _BUFFER_TYPES
from .._binding import OpenSSLErrorEntry, drain_errors, ffi, lib
from .._binding.errors import openssl_error

__all__ = ["CredentialsMixin"]


def _to_bytes(value: Any) -> bytes:
    """string|Buffer -> bytes (Node's LoadBIO / toBuf: strings as UTF-8)."""
    if isinstance(value, str):
        return value.encode("utf-8")
    if isinstance(value, memoryview):
        return value.tobytes()
    return bytes(value)


# ---------------------------------------------------------------------------
# Errors as Node throws them


def _crypto_error(message: Optional[str] = None, cls: Type[NodeError] = NodeError) -> NodeError:
    """Node's ThrowCryptoError(env, ERR_get_error(), message).

    The oldest queued error gives the message, ``.code``, ``.library`` and
    ``.reason``; the rest (newest first) become ``.opensslErrorStack``.  With
    an empty queue: ``message`` without a code, or OpenSSL's text for error 0.
    """
    entries = drain_errors()
    if entries:
        return openssl_error(list(entries[1:]) + [entries[0]], cls)
    return cls(message if message is not None else "error:00000000:lib(0)::reason(0)")


def _error_store_exception(entries: Sequence[OpenSSLErrorEntry], fallback: str) -> NodeError:
    """Node's CryptoErrorStore::ToException: no code, oldest text as message."""
    if not entries:
        return NodeError(fallback)
    err = NodeError(entries[0][3])
    if len(entries) > 1:
        err.opensslErrorStack = [e[3] for e in reversed(entries[1:])]
    return err


def _no_engine_support() -> NodeError:
    return NodeError("Custom engines not supported by this OpenSSL",
                     "ERR_CRYPTO_CUSTOM_ENGINE_NOT_SUPPORTED")


# ---------------------------------------------------------------------------
# OpenSSL object helpers


class _Bio:
    """A read-only memory BIO over bytes kept alive with it."""

    __slots__ = ("data", "ptr")

    def __init__(self, data: bytes) -> None:
        self.data = ffi.new("char[]", data) if data else ffi.new("char[]", 1)
        self.ptr = ffi.gc(lib.BIO_new_mem_buf(self.data, len(data)), lib.BIO_free)
        if self.ptr == ffi.NULL:  # pragma: no cover
            raise MemoryError("BIO_new_mem_buf")


def _passphrase(value: Optional[bytes]) -> Tuple[Any, Any]:
    """A tls_passphrase for tls_passphrase_cb (Node's PasswordCallback).

    Node passes an empty passphrase when none was given, so an encrypted key
    without ``passphrase`` fails with BAD_DECRYPT, never with a prompt.
    """
    data = value or b""
    buf = ffi.new("char[]", data) if data else ffi.new("char[]", 1)
    pw = ffi.new("tls_passphrase *")
    pw.data = buf
    pw.len = len(data)
    return pw, buf


def _x509_gc(ptr: Any) -> Any:
    return ffi.gc(ptr, lib.X509_free) if ptr != ffi.NULL else None


def _der(x509: Any) -> bytes:
    size = lib.i2d_X509(x509, ffi.NULL)
    if size <= 0:  # pragma: no cover
        drain_errors()
        return b""
    buf = ffi.new("unsigned char[]", size)
    lib.i2d_X509(x509, ffi.new("unsigned char **", buf))
    der: bytes = ffi.buffer(buf, size)[:]
    return der


_NO_PASSWORD_CB = lib.tls_passphrase_cb  # with NULL userdata: returns -1, never prompts
_NO_PASSWORD_CB_VOID = ffi.cast("void *", lib.tls_passphrase_cb)


# ---------------------------------------------------------------------------
# The credentials of a SecureContext


class CredentialsMixin:
    """Stores, certificates and keys, PKCS#12 and engine keys of :class:`tls.SecureContext`."""

    if TYPE_CHECKING:
        # the state SecureContext keeps (set in its __init__)
        _cert: Any
        _issuer: Any
        _engines: List[Any]
        _client_cert_engine: bool

        def _c(self) -> Any: ...

    # -- stores ------------------------------------------------------------

    def _cert_store(self) -> Any:
        """The context's X509_STORE* (borrowed reference)."""
        return lib.SSL_CTX_get_cert_store(self._c())

    def _own_cert_store(self) -> Any:
        """Node's GetCertStoreOwnedByThisSecureContext: never mutate the shared roots."""
        ctx = self._c()
        store = lib.SSL_CTX_get_cert_store(ctx)
        if _root_certificates.is_root_store(store):
            store = _root_certificates.new_root_store()
            lib.SSL_CTX_set_cert_store(ctx, store)
        return store

    def addRootCerts(self) -> None:
        """Use the shared system root store (Node's addRootCerts)."""
        root = _root_certificates.root_store()
        lib.X509_STORE_up_ref(root)
        lib.SSL_CTX_set_cert_store(self._c(), root)
        drain_errors()

    def addCACert(self, cert: Any) -> None:
        """Add every PEM certificate of ``cert`` to the store and the client CA list."""
        ctx = self._c()
        bio = _Bio(_to_bytes(cert))
        store = None
        try:
            while True:
                x509 = lib.PEM_read_bio_X509_AUX(bio.ptr, ffi.NULL, _NO_PASSWORD_CB, ffi.NULL)
                if x509 == ffi.NULL:
                    break
                try:
                    if store is None:
                        store = self._own_cert_store()
                    lib.X509_STORE_add_cert(store, x509)
                    lib.SSL_CTX_add_client_CA(ctx, x509)
                finally:
                    lib.X509_free(x509)
        finally:
            drain_errors()  # ClearErrorOnReturn: garbage is silently ignored

    def addCRL(self, crl: Any) -> None:
        bio = _Bio(_to_bytes(crl))
        try:
            x509_crl = lib.PEM_read_bio_X509_CRL(bio.ptr, ffi.NULL, _NO_PASSWORD_CB_VOID, ffi.NULL)
            if x509_crl == ffi.NULL:
                raise NodeError("Failed to parse CRL", "ERR_CRYPTO_OPERATION_FAILED")
            try:
                store = self._own_cert_store()
                lib.X509_STORE_add_crl(store, x509_crl)
                lib.X509_STORE_set_flags(store, lib.X509_V_FLAG_CRL_CHECK | lib.X509_V_FLAG_CRL_CHECK_ALL)
            finally:
                lib.X509_CRL_free(x509_crl)
        finally:
            drain_errors()

    def setAllowPartialTrustChain(self) -> None:
        lib.X509_STORE_set_flags(self._own_cert_store(), lib.X509_V_FLAG_PARTIAL_CHAIN)
        drain_errors()

    # -- certificates and keys --------------------------------------------

    def _use_certificate_chain(self, x509: Any, extra: Sequence[Any]) -> bool:
        """Node's SSL_CTX_use_certificate_chain(ctx, x, extra_certs, &cert, &issuer)."""
        ctx = self._c()
        if not lib.SSL_CTX_use_certificate(ctx, x509):
            return False
        lib.SSL_CTX_clear_extra_chain_certs(ctx)
        issuer = None
        for ca in extra:
            if not lib.SSL_CTX_add1_chain_cert(ctx, ca):
                return False
            if issuer is None and lib.X509_check_issued(ca, x509) == lib.X509_V_OK:
                issuer = ca
        if issuer is None:
            self._issuer = _x509_gc(lib.tls_ctx_get_issuer(ctx, x509))
        else:
            self._issuer = _x509_gc(lib.X509_dup(issuer))
            if self._issuer is None:
                return False
        self._cert = _x509_gc(lib.X509_dup(x509))
        return self._cert is not None

    def setCert(self, cert: Any) -> None:
        """A PEM leaf certificate followed by its chain (Node's setCert)."""
        self._c()
        bio = _Bio(_to_bytes(cert))
        self._cert = self._issuer = None
        drain_errors()
        x509 = lib.PEM_read_bio_X509_AUX(bio.ptr, ffi.NULL, _NO_PASSWORD_CB, ffi.NULL)
        if x509 == ffi.NULL:
            raise _crypto_error("SSL_CTX_use_certificate_chain")
        x509 = ffi.gc(x509, lib.X509_free)
        extra = []
        while True:
            more = lib.PEM_read_bio_X509(bio.ptr, ffi.NULL, _NO_PASSWORD_CB, ffi.NULL)
            if more == ffi.NULL:
                break
            extra.append(ffi.gc(more, lib.X509_free))
        err = lib.ERR_peek_last_error()
        if err == 0 or (lib.ERR_GET_LIB(err) == lib.ERR_LIB_PEM
                        and lib.ERR_GET_REASON(err) == lib.PEM_R_NO_START_LINE):
            lib.ERR_clear_error()  # the end of the PEM data, not an error
        else:
            raise _crypto_error("SSL_CTX_use_certificate_chain")
        if not self._use_certificate_chain(x509, extra):
            raise _crypto_error("SSL_CTX_use_certificate_chain")
        drain_errors()

    def setKey(self, key: Any, passphrase: Optional[str] = None) -> None:
        """A PEM private key, decrypted with ``passphrase`` (never a prompt)."""
        ctx = self._c()
        bio = _Bio(_to_bytes(key))
        pw, _keep = _passphrase(passphrase.encode("utf-8") if isinstance(passphrase, str) else None)
        drain_errors()
        pkey = lib.PEM_read_bio_PrivateKey(bio.ptr, ffi.NULL, lib.tls_passphrase_cb, pw)
        if pkey == ffi.NULL:
            raise _crypto_error("PEM_read_bio_PrivateKey")
        try:
            if not lib.SSL_CTX_use_PrivateKey(ctx, pkey):
                raise _crypto_error("SSL_CTX_use_PrivateKey")
        finally:
            lib.EVP_PKEY_free(pkey)
        drain_errors()

    def loadPKCS12(self, pfx: Any, passphrase: Any = None) -> None:
        """Node's LoadPKCS12(pfx[, pass]): key, certificate, chain and CA certs."""
        ctx = self._c()
        if not isinstance(pfx, (str,) + _BUFFER_TYPES):
            raise NodeError("Unable to load PFX certificate", "ERR_CRYPTO_OPERATION_FAILED")
        data = _to_bytes(pfx)
        pass_buf = ffi.NULL
        if passphrase is not None:
            if isinstance(passphrase, str):
                passphrase = passphrase.encode("utf-8")  # toBuf(pass)
            if not isinstance(passphrase, _BUFFER_TYPES):
                raise NodeTypeError("Pass phrase must be a buffer", "ERR_INVALID_ARG_TYPE")
            pass_buf = ffi.new("char[]", _to_bytes(passphrase))
        self._issuer = self._cert = None
        store = lib.SSL_CTX_get_cert_store(ctx)
        bio = _Bio(data)
        drain_errors()
        ok = False
        p12 = lib.d2i_PKCS12_bio(bio.ptr, ffi.NULL)
        if p12 != ffi.NULL:
            p12 = ffi.gc(p12, lib.PKCS12_free)
            pkey_p = ffi.new("EVP_PKEY **")
            cert_p = ffi.new("X509 **")
            extra_p = ffi.new("Cryptography_STACK_OF_X509 **")
            if lib.PKCS12_parse(p12, pass_buf, pkey_p, cert_p, extra_p):
                pkey = ffi.gc(pkey_p[0], lib.EVP_PKEY_free) if pkey_p[0] != ffi.NULL else ffi.NULL
                cert = ffi.gc(cert_p[0], lib.X509_free) if cert_p[0] != ffi.NULL else ffi.NULL
                stack = extra_p[0]
                # Node 20 names what the PFX lacks (a bare certificate bag parses fine),
                # before SSL_CTX_use_PrivateKey(NULL) would say "passed a null parameter"
                if pkey == ffi.NULL or cert == ffi.NULL:
                    if stack != ffi.NULL:
                        lib.sk_X509_pop_free(stack, lib.X509_free)
                    drain_errors()
                    raise NodeError("Unable to load %s from PFX data"
                                    % ("private key" if pkey == ffi.NULL else "certificate"),
                                    "ERR_CRYPTO_OPERATION_FAILED")
                try:
                    extra = [lib.sk_X509_value(stack, i) for i in range(lib.sk_X509_num(stack))] \
                        if stack != ffi.NULL else []
                    if self._use_certificate_chain(cert, extra) and lib.SSL_CTX_use_PrivateKey(ctx, pkey):
                        for ca in extra:  # PFX CA certs join the trust store, as in Node
                            if _root_certificates.is_root_store(store):
                                store = _root_certificates.new_root_store()
                                lib.SSL_CTX_set_cert_store(ctx, store)
                            lib.X509_STORE_add_cert(store, ca)
                            lib.SSL_CTX_add_client_CA(ctx, ca)
                        ok = True
                finally:
                    if stack != ffi.NULL:
                        lib.sk_X509_pop_free(stack, lib.X509_free)
        if not ok:
            entries = drain_errors()
            reason = entries[0][2] if entries and entries[0][2] else "Unknown error"
            raise NodeError(reason)  # Node: env->ThrowError(reason), no code
        drain_errors()

    # -- engines -----------------------------------------------------------

    def _load_engine(self, engine_id: str) -> Any:
        drain_errors()
        engine = lib.tls_engine_by_id(engine_id.encode("utf-8"))
        if engine == ffi.NULL:
            entries = drain_errors()
            if not entries:
                raise NodeError('Engine "%s" was not found' % engine_id, "ERR_CRYPTO_ENGINE_UNKNOWN")
            raise _error_store_exception(entries, "")
        return engine

    def setEngineKey(self, key_id: str, engine_id: str) -> None:
        ctx = self._c()
        if not lib.tls_engine_supported():
            raise _no_engine_support()
        engine = self._load_engine(engine_id)
        if not lib.tls_engine_init(engine):
            lib.tls_engine_release(engine, 0)
            drain_errors()
            raise NodeError("Failure to initialize engine", "ERR_CRYPTO_OPERATION_FAILED")
        engine = ffi.gc(engine, lambda e: lib.tls_engine_release(e, 1))
        pkey = lib.tls_engine_load_private_key(engine, key_id.encode("utf-8"))
        if pkey == ffi.NULL:
            raise _crypto_error("ENGINE_load_private_key")
        try:
            if not lib.SSL_CTX_use_PrivateKey(ctx, pkey):
                raise _crypto_error("SSL_CTX_use_PrivateKey")
        finally:
            lib.EVP_PKEY_free(pkey)
        self._engines.append(engine)
        drain_errors()

    def setClientCertEngine(self, engine_id: str) -> None:
        ctx = self._c()
        if not lib.tls_engine_supported():
            raise _no_engine_support()
        if self._client_cert_engine:
            raise NodeError("clientCertEngine can be set once per context", "ERR_CRYPTO_OPERATION_FAILED")
        engine = self._load_engine(engine_id)
        try:
            if not lib.tls_ctx_set_client_cert_engine(ctx, engine):
                raise _crypto_error()
        finally:
            lib.tls_engine_release(engine, 0)
            drain_errors()
        self._client_cert_engine = True

    # -- certificates of this context --------------------------------------

    def getCertificate(self) -> Optional[bytes]:
        """DER of the leaf certificate last loaded (cert or pfx), or None."""
        return _der(self._cert) if self._cert is not None else None

    def getIssuer(self) -> Optional[bytes]:
        """DER of that certificate's issuer (chain or store), or None."""
        return _der(self._issuer) if self._issuer is not None else None
