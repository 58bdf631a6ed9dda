"""Handshakes in memory, no sockets: two sans-IO engines back to back (:class:`Pair`), and two
SSL objects of SecureContexts over memory BIOs (:func:`handshake`)."""
from __future__ import annotations

from typing import Any, Dict, Optional

from tls._binding import drain_errors, ffi, lib
from tls._engine.context import SecureContext
from tls._engine.engine import TLSEngine


def engine_context(cert_pem: Optional[bytes] = None, key_pem: Optional[bytes] = None) -> Any:
    """A bare SSL_CTX (freed with its last reference), with a certificate and key if given."""
    ctx = ffi.gc(lib.SSL_CTX_new(lib.TLS_method()), lib.SSL_CTX_free)
    if cert_pem is not None:
        bio = lib.BIO_new_mem_buf(cert_pem, len(cert_pem))
        cert = lib.PEM_read_bio_X509(bio, ffi.NULL, ffi.NULL, ffi.NULL)
        lib.BIO_free(bio)
        assert lib.SSL_CTX_use_certificate(ctx, cert) == 1
        lib.X509_free(cert)
        bio = lib.BIO_new_mem_buf(key_pem, len(key_pem))
        key = lib.PEM_read_bio_PrivateKey(bio, ffi.NULL, ffi.NULL, ffi.NULL)
        lib.BIO_free(bio)
        assert lib.SSL_CTX_use_PrivateKey(ctx, key) == 1
        lib.EVP_PKEY_free(key)
    return ctx


class Pair:
    """A client and a server engine; pump() moves records until both are quiet."""

    def __init__(self, server_cert: bytes, server_key: bytes) -> None:
        self.server_ctx = engine_context(server_cert, server_key)
        self.client_ctx = engine_context()
        self.server = TLSEngine(self.server_ctx, True)
        self.client = TLSEngine(self.client_ctx, False)

    def pump(self, limit: int = 50) -> None:
        for _ in range(limit):
            moved = False
            for src, dst in ((self.client, self.server), (self.server, self.client)):
                out = src.outgoing()
                if out:
                    dst.feed(out)
                    moved = True
                if not dst.handshake_done:
                    dst.handshake()
            if not moved:
                return
        raise AssertionError("engines never went quiet")

    def handshake(self) -> None:
        self.client.handshake()
        self.pump()
        assert self.client.handshake_done and self.server.handshake_done


def memory_ssl(ctx: SecureContext) -> Any:
    ssl = ffi.gc(lib.SSL_new(ctx._ctx), lib.SSL_free)
    assert lib.tls_attach_memory_bios(ssl) == 1
    return ssl


def handshake(server: SecureContext, client: SecureContext, servername: Optional[str] = None) -> Dict[str, Any]:
    """Run a handshake in memory; returns a dict describing the outcome."""
    srv, cli = memory_ssl(server), memory_ssl(client)
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
