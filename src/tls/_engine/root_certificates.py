"""The default trust store: the system's, where Node bundles Mozilla's list.

Node compiles Mozilla's root list into its binary (``tls.rootCertificates``)
and verifies against it when a context has no ``ca``.  This package links the
system OpenSSL, so it uses the system trust store instead: the file and the
hashed directory OpenSSL's default verify paths name (honouring the
``SSL_CERT_FILE`` / ``SSL_CERT_DIR`` environment variables), exactly what
``SSL_CTX_set_default_verify_paths`` would use.  On Debian/Ubuntu that is
``/etc/ssl/certs/ca-certificates.crt`` + ``/etc/ssl/certs`` (also Mozilla's
list, as packaged by ``ca-certificates``).

The roots are read once into memory and every store gets them as certificates,
as Node does with its bundled list, never as a lookup in a file or directory:
OpenSSL 3's default paths add a directory lookup and an ``OSSL_STORE`` lookup
that open and scan the certificate directory each time a certificate's issuer
is missing from memory, which a server does on every handshake while it builds
its own chain (two ``getdents64`` of ``/etc/ssl/certs`` per connection, about a tenth
of a full handshake's CPU time).

* :func:`root_store` is the shared ``X509_STORE*`` every context without ``ca``
  verifies against (Node's global ``root_cert_store``); created on first use.
* :func:`new_root_store` makes a fresh store with the same roots, for a context
  that must change its store (``crl``, ``pfx`` CA certs, ...), as Node's
  ``NewRootCertStore``.
* :func:`root_certificates` is ``tls.rootCertificates``: a tuple of the PEM
  strings of the certificates in the system file and directory (computed once,
  lazily: nothing here runs at import).

``NODE_EXTRA_CA_CERTS``, as in Node: the certificates of that PEM file are
added to the default trust store (every context without ``ca``), not to a
given ``ca`` and not to ``tls.rootCertificates``.  The variable and the file
are read once per process; Node reads them at startup, this package when the
default trust store is first needed (``import tls`` does not load OpenSSL, see
tests/test_perf_invariants.py).  A file that cannot be read or parsed is
reported on stderr with Node's words (``Warning: Ignoring extra certs from
`<file>`, load failed: <OpenSSL error>``), written directly as Node's C++
does (not a ``process.emitWarning``); the certificates read before a parse
error are kept, a file without any certificate is no error (Node: a PEM "no
start line" at the end is ignored).
"""
from __future__ import annotations

import binascii
import errno as _errno
import os
import re
import sys
import threading
from typing import Any, List, Optional, Set, Tuple

from .._binding import drain_errors, ffi, lib

__all__ = ["root_store", "new_root_store", "is_root_store", "root_certificates", "default_paths"]

_lock = threading.RLock()
_root_store: Any = None  # X509_STORE*, owned by this module for the process lifetime
_root_certificates: Optional[Tuple[str, ...]] = None
_root_x509s: Optional[List[Any]] = None  # X509* of the system roots, owned for the process lifetime
_extra_x509s: Optional[List[Any]] = None  # X509* of NODE_EXTRA_CA_CERTS, owned for the process lifetime
_HASHED_NAME = re.compile(r"^[0-9a-f]{8}\.[0-9]+$")


def _text(ptr: Any) -> str:
    return ffi.string(ptr).decode("utf-8", "replace") if ptr != ffi.NULL else ""


def default_paths() -> Tuple[str, List[str]]:
    """(file, [dirs]) of the default trust store, environment first (see _ca_store)."""
    from . import ca_store as _ca_store  # system store, then certifi, also for a static OpenSSL

    return _ca_store.default_paths()


def new_root_store() -> Any:
    """A new X509_STORE* with the system roots (the caller owns it)."""
    store = lib.X509_STORE_new()
    if store == ffi.NULL:
        raise MemoryError("X509_STORE_new")
    for x509 in _root_x509_list():
        lib.X509_STORE_add_cert(store, x509)  # the store takes its own reference
    for x509 in _extra_x509_list():  # NODE_EXTRA_CA_CERTS (see the module docstring)
        lib.X509_STORE_add_cert(store, x509)
    drain_errors()
    return store


def root_store() -> Any:
    """The shared X509_STORE* of contexts without ``ca`` (borrowed reference).

    A context using it takes its own reference (``X509_STORE_up_ref``) before
    ``SSL_CTX_set_cert_store``; the module's reference lives as long as the
    process, as Node's ``root_cert_store``.
    """
    global _root_store
    if _root_store is None:
        with _lock:
            if _root_store is None:
                _root_store = new_root_store()
    return _root_store


def is_root_store(store: Any) -> bool:
    """Whether ``store`` is the shared root store (without creating it)."""
    return _root_store is not None and store == _root_store


def _pem_of(x509: Any) -> str:
    bio = lib.BIO_new(lib.BIO_s_mem())
    try:
        lib.PEM_write_bio_X509(bio, x509)
        buf = ffi.new("char **")
        size = lib.BIO_get_mem_data(bio, buf)
        pem: bytes = ffi.buffer(buf[0], size)[:]
        return pem.decode("ascii").rstrip("\n")
    finally:
        lib.BIO_free(bio)


def _der_of(x509: Any) -> bytes:
    der_len = lib.i2d_X509(x509, ffi.NULL)
    der = ffi.new("unsigned char[]", der_len)
    lib.i2d_X509(x509, ffi.new("unsigned char **", der))
    data: bytes = ffi.buffer(der, der_len)[:]
    return data


_PEM_CERTIFICATE = re.compile(rb"-----BEGIN CERTIFICATE-----(.+?)-----END CERTIFICATE-----", re.S)


def _read_certs_in_file(path: str, seen: Set[bytes], x509s: List[Any]) -> None:
    """Add the file's certificates not seen yet (by DER) to ``x509s``.

    The bundle file and the hashed directory hold the same certificates, so
    blocks are decoded and compared as DER before any is parsed: the system
    store is read in a few milliseconds, not the ~100 ms that parsing every
    block of both would take.
    """
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError:
        return
    if b"TRUSTED CERTIFICATE" in data:
        _read_trusted_certs(data, seen, x509s)  # OpenSSL's own format, with trust settings
        return
    for match in _PEM_CERTIFICATE.finditer(data):
        try:
            der = binascii.a2b_base64(match.group(1))
        except binascii.Error:
            continue
        if der in seen:
            continue
        seen.add(der)
        x509 = lib.d2i_X509(ffi.NULL, ffi.new("const unsigned char **", ffi.from_buffer(der)), len(der))
        if x509 == ffi.NULL:
            drain_errors()
            continue
        x509s.append(x509)


def _read_trusted_certs(data: bytes, seen: Set[bytes], x509s: List[Any]) -> None:
    bio = lib.BIO_new_mem_buf(data, len(data))
    try:
        while True:
            # _AUX also reads "TRUSTED CERTIFICATE" blocks; the callback never prompts
            x509 = lib.PEM_read_bio_X509_AUX(bio, ffi.NULL, lib.tls_passphrase_cb, ffi.NULL)
            if x509 == ffi.NULL:
                break
            der = _der_of(x509)
            if der in seen:
                lib.X509_free(x509)
            else:
                seen.add(der)
                x509s.append(x509)
    finally:
        lib.BIO_free(bio)
        drain_errors()


def _load_root_x509s() -> List[Any]:
    cert_file, dirs = default_paths()
    seen: Set[bytes] = set()
    x509s: List[Any] = []
    _read_certs_in_file(cert_file, seen, x509s)
    for directory in dirs:
        try:
            names = sorted(os.listdir(directory))
        except OSError:
            continue
        for name in names:
            # only the names OpenSSL's hashed-directory lookup ever opens
            if _HASHED_NAME.match(name):
                _read_certs_in_file(os.path.join(directory, name), seen, x509s)
    return x509s


def _root_x509_list() -> List[Any]:
    global _root_x509s
    if _root_x509s is None:
        with _lock:
            if _root_x509s is None:
                _root_x509s = _load_root_x509s()
    return _root_x509s


def root_certificates() -> Tuple[str, ...]:
    """``tls.rootCertificates``: PEM strings of the system trust store."""
    global _root_certificates
    if _root_certificates is None:
        with _lock:
            if _root_certificates is None:
                _root_certificates = tuple(_pem_of(x509) for x509 in _root_x509_list())
    return _root_certificates


# -- NODE_EXTRA_CA_CERTS ------------------------------------------------------------------------

_SYSTEM_ERROR_FLAG = 0x80000000  # OpenSSL 3's packing of an errno as an error code (ERR_LIB_SYS)


def _openssl_error_text(code: int) -> str:
    buf = ffi.new("char[]", 256)
    lib.ERR_error_string_n(code, buf, 256)
    return _text(buf)


def _warn_extra(path: str, code: int) -> None:
    # Node 20's exact words (src/crypto/crypto_context.cc), straight to stderr as Node writes them
    sys.stderr.write("Warning: Ignoring extra certs from `%s`, load failed: %s\n" % (path, _openssl_error_text(code)))
    sys.stderr.flush()


def load_extra_certs(path: str) -> List[Any]:
    """The X509* of the PEM file ``path`` (Node's AddCertsFromFile); warns as Node on failure."""
    if not path:
        return []
    try:
        with open(path, "rb") as f:
            data = f.read()
    except IsADirectoryError:
        return []  # Node's fopen of a directory reads nothing, and says nothing
    except OSError as exc:
        _warn_extra(path, _SYSTEM_ERROR_FLAG | (exc.errno or _errno.EIO))
        return []
    x509s: List[Any] = []
    drain_errors()
    bio = lib.BIO_new_mem_buf(data, len(data))
    try:
        while True:
            x509 = lib.PEM_read_bio_X509(bio, ffi.NULL, lib.tls_passphrase_cb, ffi.NULL)
            if x509 == ffi.NULL:
                break
            x509s.append(x509)
        code = lib.ERR_peek_error()
        # the end of the file is a "no start line" error: not a failure (Node ignores it too)
        if code and not (lib.ERR_GET_LIB(code) == lib.ERR_LIB_PEM
                         and lib.ERR_GET_REASON(code) == lib.PEM_R_NO_START_LINE):
            _warn_extra(path, code)
    finally:
        lib.BIO_free(bio)
        drain_errors()
    return x509s


def _extra_x509_list() -> List[Any]:
    global _extra_x509s
    if _extra_x509s is None:
        with _lock:
            if _extra_x509s is None:
                _extra_x509s = load_extra_certs(os.environ.get("NODE_EXTRA_CA_CERTS", ""))
    return _extra_x509s
