"""Node's lib/internal/tls/secure-context.js: ``createSecureContext`` turns an
options object into calls on the native ``SecureContext`` (_secure_context.py),
in Node's order (CA before cert, key after cert, ciphers split on the TLS_
prefix), with Node's argument validation; plus ``getCiphers``.

Files.  Node takes the contents of key, cert, ca, pfx, crl and dhparam, never
a path: a path string is parsed as PEM, and for ``ca`` (and ``dhparam``)
nothing even fails there -- the garbage is skipped and every connection later
fails with UNABLE_TO_GET_ISSUER_CERT_LOCALLY, far from the mistake.  Here an
``os.PathLike`` (``pathlib.Path``) is read (its bytes, as ``fs.readFileSync``
would give them), alone, in a list or as an object's ``pem`` / ``buf``; and a
``str`` without a PEM marker that names an existing file is refused at once
with ERR_INVALID_ARG_VALUE and the hint (see docs/spec-status.md: a deliberate
difference from Node, which accepts it).
"""
from __future__ import annotations

import errno as _errno
import os
import threading
import warnings
from typing import Any, Dict, List, Mapping, Optional, Tuple

from .._binding import ffi, lib
from .._base.errors import NodeError
from .._base.options import SECURE_CONTEXT, take_options
from .._base.validators import (
    BUFFER_TYPES as _BUFFER_TYPES, invalid_arg_type as _invalid_arg_type, invalid_arg_value as _invalid_arg_value,
    truthy as _truthy, validate_integer as _validate_integer, validate_string as _validate_string,
)
from .._engine.context import (
    _ARRAY_TYPES, _EMPTY, _TLS13_CIPHERS, SecureContext, SecurityWarning, _live_default, _to_int32,
    _validate_key_or_cert,
)
from .._engine.credentials import _crypto_error, _no_engine_support

__all__ = ["createSecureContext", "getCiphers"]


# ---------------------------------------------------------------------------
# configSecureContext (lib/internal/tls/secure-context.js)


# A cipher string's split, by string: tls.connect builds a context per connection (as Node does),
# and splitting the default list costs ~120 Python calls each time (issue 14).  Bounded: cleared
# when full, so a program that makes up cipher strings cannot grow it.
_CIPHER_SPLITS: Dict[str, Tuple[str, str]] = {}
_CIPHER_SPLITS_MAX = 64


def _process_ciphers(ciphers: Optional[str], name: str) -> Tuple[str, str]:
    text = ciphers or _live_default("DEFAULT_CIPHERS")
    split = _CIPHER_SPLITS.get(text) if type(text) is str else None
    if split is not None:
        return split
    parts = text.split(":")
    cipher_list = ":".join(c for c in parts if c and not c.startswith("TLS_") and not c.startswith("!TLS_"))
    cipher_suites = ":".join(c for c in parts if c and (c.startswith("TLS_") or c.startswith("!TLS_")))
    if cipher_suites == "" and cipher_list == "":
        raise _invalid_arg_value(name, parts)
    if type(text) is str:
        if len(_CIPHER_SPLITS) >= _CIPHER_SPLITS_MAX:
            _CIPHER_SPLITS.clear()
        _CIPHER_SPLITS[text] = (cipher_list, cipher_suites)
    return cipher_list, cipher_suites


# the libuv texts fs errors carry (ENOENT: no such file or directory, open '/x')
_UV_TEXTS = {"ENOENT": "no such file or directory", "EACCES": "permission denied",
             "EISDIR": "illegal operation on a directory", "ENOTDIR": "not a directory"}
_PEM_MARKER = "-----BEGIN"


def _read_file(path: "os.PathLike[Any]") -> bytes:
    """The file's bytes, or Node's fs error (``ENOENT: no such file or directory, open '...'``)."""
    try:
        with open(path, "rb") as f:
            return f.read()
    except OSError as exc:
        num = exc.errno if exc.errno is not None else _errno.EIO
        code = _errno.errorcode.get(num, "EIO")
        shown = os.fsdecode(os.fspath(path))
        raise NodeError("%s: %s, open '%s'" % (code, _UV_TEXTS.get(code, os.strerror(num).lower()), shown),
                        code, errno=-num, syscall="open", path=shown) from None


def _names_file(value: str) -> bool:
    if _PEM_MARKER in value or "\n" in value or len(value) > 4096:
        return False
    try:
        return os.path.isfile(value)
    except (OSError, ValueError):   # a NUL in it, a name too long: not a file name
        return False


def _credential(name: str, value: Any) -> Any:
    """A key / cert / ca / pfx / crl / dhparam value as the context takes it: an
    ``os.PathLike`` is its file's bytes; a ``str`` that is the name of a file (no PEM
    marker in it) is refused -- Node would take it as PEM text and find nothing."""
    if isinstance(value, os.PathLike):
        return _read_file(value)
    if isinstance(value, str) and _names_file(value):
        raise _invalid_arg_value(name, value, "is the name of a file, not its contents: pass pathlib.Path(%r) "
                                              "to read the file, or the file's bytes" % value)
    return value


def _set_key(context: SecureContext, key: Any, passphrase: Any, name: str) -> None:
    key = _credential("%s.key" % name, key)
    _validate_key_or_cert("%s.key" % name, key)
    if passphrase is not None:
        _validate_string(passphrase, "%s.passphrase" % name)
    context.setKey(key, passphrase)


def _config_secure_context(context: SecureContext, options: Mapping[str, Any], name: str = "options") -> None:
    get = options.get
    allow_partial = get("allowPartialTrustChain")
    ca = get("ca")
    cert = get("cert")
    # None stands for JavaScript's undefined: the defaults apply.
    ciphers = get("ciphers")
    if ciphers is None:
        ciphers = _live_default("DEFAULT_CIPHERS")
    client_cert_engine = get("clientCertEngine")
    crl = get("crl")
    dhparam = get("dhparam")
    ecdh_curve = get("ecdhCurve")
    if ecdh_curve is None:
        ecdh_curve = _live_default("DEFAULT_ECDH_CURVE") or "auto"
    key = get("key")
    passphrase = get("passphrase")
    pfx = get("pfx")
    private_key_identifier = get("privateKeyIdentifier")
    private_key_engine = get("privateKeyEngine")
    session_id_context = get("sessionIdContext")
    session_timeout = get("sessionTimeout")
    sigalgs = get("sigalgs")
    ticket_keys = get("ticketKeys")

    # Ciphers first: an @SECLEVEL=n in them changes what the rest accepts.
    if ciphers is not None:
        _validate_string(ciphers, "%s.ciphers" % name)
    cipher_list, cipher_suites = _process_ciphers(ciphers, "%s.ciphers" % name)
    if cipher_suites != "":
        context.setCipherSuites(cipher_suites)
    context.setCiphers(cipher_list)
    if (cipher_list == "" and context.getMinProto() < lib.TLS1_3_VERSION
            and context.getMaxProto() > lib.TLS1_2_VERSION):
        context.setMinProto(lib.TLS1_3_VERSION)

    # CA before the certificate, so the certificate's issuer can be found.
    if _truthy(ca):
        context._ca_given = True
        for one in (ca if isinstance(ca, _ARRAY_TYPES) else [ca]):
            one = _credential("%s.ca" % name, one)
            _validate_key_or_cert("%s.ca" % name, one)
            context.addCACert(one)
    else:
        context.addRootCerts()

    if _truthy(allow_partial):
        context.setAllowPartialTrustChain()

    if _truthy(cert):
        for one in (cert if isinstance(cert, _ARRAY_TYPES) else [cert]):
            one = _credential("%s.cert" % name, one)
            _validate_key_or_cert("%s.cert" % name, one)
            context.setCert(one)

    # The key after the certificate (a mismatch is then reported by OpenSSL).
    if _truthy(key):
        if isinstance(key, _ARRAY_TYPES):
            for val in key:
                is_obj = isinstance(val, Mapping)
                pem = val["pem"] if is_obj and "pem" in val else val
                pw = val["passphrase"] if is_obj and "passphrase" in val else passphrase
                _set_key(context, pem, pw, name)
        else:
            _set_key(context, key, passphrase, name)

    if sigalgs is not None:
        _validate_string(sigalgs, "%s.sigalgs" % name)
        if sigalgs == "":
            raise _invalid_arg_value("%s.sigalgs" % name, sigalgs)
        context.setSigalgs(sigalgs)

    if private_key_identifier is not None:
        if private_key_engine is None:
            raise _invalid_arg_value("%s.privateKeyEngine" % name, private_key_engine)
        if _truthy(key):
            raise _invalid_arg_value("%s.privateKeyIdentifier" % name, private_key_identifier)
        if isinstance(private_key_identifier, str) and isinstance(private_key_engine, str):
            context.setEngineKey(private_key_identifier, private_key_engine)
        elif not isinstance(private_key_identifier, str):
            raise _invalid_arg_type("%s.privateKeyIdentifier" % name, "of type string or one of null or undefined",
                                    private_key_identifier)
        else:
            raise _invalid_arg_type("%s.privateKeyEngine" % name, "of type string or one of null or undefined",
                                    private_key_engine)

    _validate_string(ecdh_curve, "%s.ecdhCurve" % name)
    context.setECDHCurve(ecdh_curve)

    if dhparam is not None:
        if dhparam != "auto":
            dhparam = _credential("%s.dhparam" % name, dhparam)
        _validate_key_or_cert("%s.dhparam" % name, dhparam)
        warning = context.setDHParam(True if dhparam == "auto" else dhparam)
        if warning:
            warnings.warn(warning, SecurityWarning, stacklevel=4)

    if crl is not None:
        for one in (crl if isinstance(crl, _ARRAY_TYPES) else [crl]):
            one = _credential("%s.crl" % name, one)
            _validate_key_or_cert("%s.crl" % name, one)
            context.addCRL(one)

    if session_id_context is not None:
        _validate_string(session_id_context, "%s.sessionIdContext" % name)
        context.setSessionIdContext(session_id_context)

    if pfx is not None:
        if isinstance(pfx, _ARRAY_TYPES):
            for val in pfx:
                raw = val.get("buf") if isinstance(val, Mapping) else None
                raw = _credential("%s.pfx" % name, raw if _truthy(raw) else val)
                pw = val.get("passphrase") if isinstance(val, Mapping) else None
                pw = pw if _truthy(pw) else passphrase
                if pw is not None:
                    context.loadPKCS12(raw, pw)
                else:
                    context.loadPKCS12(raw)
        elif _truthy(passphrase):
            context.loadPKCS12(_credential("%s.pfx" % name, pfx), passphrase)
        else:
            context.loadPKCS12(_credential("%s.pfx" % name, pfx))

    if isinstance(client_cert_engine, str):
        if not lib.tls_engine_supported():
            raise _no_engine_support()
        context.setClientCertEngine(client_cert_engine)
    elif client_cert_engine is not None:
        raise _invalid_arg_type("%s.clientCertEngine" % name, "of type string or one of null or undefined",
                                client_cert_engine)

    if ticket_keys is not None:
        if not isinstance(ticket_keys, _BUFFER_TYPES):
            raise _invalid_arg_type("%s.ticketKeys" % name, "an instance of Buffer, TypedArray, or DataView",
                                    ticket_keys)
        size = ticket_keys.nbytes if isinstance(ticket_keys, memoryview) else len(ticket_keys)
        if size != 48:
            raise _invalid_arg_value("%s.ticketKeys" % name, size, "must be exactly 48 bytes")
        context.setTicketKeys(ticket_keys)

    if session_timeout is not None:
        context.setSessionTimeout(_validate_integer(session_timeout, "%s.sessionTimeout" % name, 0, 2 ** 31 - 1))


def createSecureContext(options: Optional[Mapping[str, Any]] = None, **kwargs: Any) -> SecureContext:
    """``tls.createSecureContext(options)``; keyword arguments are merged in."""
    if not _truthy(options):
        options = _EMPTY
    elif type(options) is not dict and not isinstance(options, Mapping):
        raise _invalid_arg_type("options", "of type object", options)
    options = take_options(options, kwargs, SECURE_CONTEXT, "createSecureContext")

    secure_options = options.get("secureOptions")
    if _truthy(options.get("honorCipherOrder")):
        secure_options = _to_int32(secure_options) | lib.SSL_OP_CIPHER_SERVER_PREFERENCE

    context = SecureContext(options.get("secureProtocol"), secure_options,
                            options.get("minVersion"), options.get("maxVersion"))
    _config_secure_context(context, options)
    return context


# ---------------------------------------------------------------------------
# getCiphers / rootCertificates

_ciphers_lock = threading.Lock()
_ciphers_cache: Optional[List[str]] = None


def _ssl_ciphers() -> List[str]:
    """Node's GetSSLCiphers: a default context's cipher names + the TLS 1.3 suites."""
    ctx = lib.SSL_CTX_new(lib.TLS_method())
    if ctx == ffi.NULL:  # pragma: no cover
        raise _crypto_error("SSL_CTX_new")
    try:
        ssl = lib.SSL_new(ctx)
        if ssl == ffi.NULL:  # pragma: no cover
            raise _crypto_error("SSL_new")
        try:
            stack = lib.SSL_get_ciphers(ssl)
            names = [ffi.string(lib.SSL_CIPHER_get_name(lib.sk_SSL_CIPHER_value(stack, i))).decode()
                     for i in range(lib.sk_SSL_CIPHER_num(stack))]
        finally:
            lib.SSL_free(ssl)
    finally:
        lib.SSL_CTX_free(ctx)
    return names + list(_TLS13_CIPHERS)


def getCiphers() -> List[str]:
    """``tls.getCiphers()``: lower-case, de-duplicated, sorted cipher names."""
    global _ciphers_cache
    if _ciphers_cache is None:
        with _ciphers_lock:
            if _ciphers_cache is None:
                _ciphers_cache = sorted({name.lower() for name in _ssl_ciphers()})
    return list(_ciphers_cache)
