"""Throwaway certificates for ``python -m tls server`` and ``python -m tls demo``.

A throwaway PKI is one CA plus leaf certificates it signs (EC P-256 keys,
SHA-256 signatures, a few days of validity), all in memory, as PEM (and PKCS#12
for the ``--pfx`` variants).  The tls binding itself declares no key generation
or signing functions, so three backends can make them, tried in this order:

``libcrypto``
    libcrypto called through ``ctypes``, its symbols looked up through the
    compiled module ``tls._openssl`` (whose dependencies include the libcrypto
    it uses), else through Python's own ``_ssl`` module (a binary wheel of tls
    links OpenSSL statically with hidden symbols; Python's ``ssl`` brings its
    own libcrypto).  No extra package, no subprocess, about 20 ms: this is
    what a fresh ``pip install .`` uses.
``cryptography``
    The ``cryptography`` package, when it is installed.
``openssl``
    The ``openssl`` command line tool, when it is on ``PATH``.

The environment variable ``PYTHON_TLS_CLI_CERTS`` (one backend name, or a comma
separated list) picks or orders the backends; the tests use it to run each one.
"""
from __future__ import annotations

import base64
import binascii
import hashlib
import ipaddress
import os
import re
import secrets
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from typing import Callable, Dict, Iterator, List, Optional, Sequence, Tuple

__all__ = [
    "BACKENDS", "CertificateError", "Identity", "LeafRequest", "ThrowawayPki", "fingerprint256",
    "make_throwaway_pki", "pem_certificates",
]

BACKEND_VARIABLE = "PYTHON_TLS_CLI_CERTS"
DEFAULT_DAYS = 7
CA_ORGANIZATION = "python tls throwaway CA"


class CertificateError(Exception):
    """No backend could make the certificates (the message says why, per backend)."""

    code = "ERR_CLI_CERTIFICATES"


@dataclass(frozen=True)
class LeafRequest:
    """One leaf certificate to issue: its CN and subjectAltName entries (DNS names or IP addresses)."""

    common_name: str
    alt_names: Tuple[str, ...] = ()


@dataclass(frozen=True)
class Identity:
    """A key and the certificate the throwaway CA issued for it."""

    key_pem: bytes
    cert_pem: bytes
    # PKCS#12: key, certificate and the CA certificate, empty passphrase (None unless asked for).
    pfx: Optional[bytes] = None

    @property
    def fingerprint256(self) -> str:
        return fingerprint256(self.cert_pem)


@dataclass(frozen=True)
class ThrowawayPki:
    ca_pem: bytes
    identities: Tuple[Identity, ...]
    backend: str

    @property
    def ca_fingerprint256(self) -> str:
        return fingerprint256(self.ca_pem)


# -- PEM helpers ------------------------------------------------------------------------------------

_PEM_CERT = re.compile(rb"-----BEGIN CERTIFICATE-----\s*(.+?)\s*-----END CERTIFICATE-----", re.S)


def pem_certificates(pem: bytes) -> List[bytes]:
    """The DER of every certificate in a PEM bundle."""
    return [base64.b64decode(b"".join(body.split())) for body in _PEM_CERT.findall(pem)]


def fingerprint256(cert_pem: bytes) -> str:
    """The SHA-256 fingerprint of the first certificate, written as Node's ``fingerprint256``."""
    ders = pem_certificates(cert_pem)
    if not ders:
        raise ValueError("no PEM certificate found")
    return ":".join("%02X" % byte for byte in hashlib.sha256(ders[0]).digest())


def _is_ip(name: str) -> bool:
    try:
        ipaddress.ip_address(name)
        return True
    except ValueError:
        return False


def _random_serial() -> int:
    # 63 random bits: positive, unique enough, fits every backend's integer setter.
    return secrets.randbits(63) | 1


def _ca_common_name() -> str:
    # A distinct name per CA, so that two throwaway CAs never look alike in a trust store.
    return "tls throwaway CA " + secrets.token_hex(4)


# -- backend: the binding's libcrypto through ctypes -------------------------------------------------

class _LibCrypto:
    """The few libcrypto functions the throwaway PKI needs, with their C signatures.

    Only functions of OpenSSL 1.1.1 and 3 alike, so that the libcrypto of Python's own ``ssl``
    module serves too (a binary wheel of tls links OpenSSL statically, symbols hidden).
    """

    MBSTRING_UTF8 = 0x1000
    BIO_CTRL_INFO = 3
    EVP_PKEY_EC = 408                                  # NID_X9_62_id_ecPublicKey
    EVP_PKEY_OP_PARAMGEN_OR_KEYGEN = (1 << 1) | (1 << 2)
    EVP_PKEY_CTRL_EC_PARAMGEN_CURVE_NID = 0x1000 + 1
    NID_P256 = 415                                     # NID_X9_62_prime256v1
    NID_AES_256_CBC = 427                              # PKCS#12 encryption OpenSSL 3 reads by default
    X509V3_CTX_SIZE = 512     # X509V3_CTX is about 64 bytes; room to spare, zeroed

    def __init__(self, path: Optional[str]) -> None:
        import ctypes

        self.ctypes = ctypes
        # dlsym on a module's handle also searches the libraries it depends on (libcrypto).
        handle = ctypes.CDLL(path)
        P, I, L, S = ctypes.c_void_p, ctypes.c_int, ctypes.c_long, ctypes.c_char_p
        signatures: Dict[str, Tuple[object, Sequence[object]]] = {
            "EVP_PKEY_CTX_new_id": (P, (I, P)),
            "EVP_PKEY_keygen_init": (I, (P,)),
            "EVP_PKEY_CTX_ctrl": (I, (P, I, I, I, I, P)),
            "EVP_PKEY_keygen": (I, (P, ctypes.POINTER(P))),
            "EVP_PKEY_CTX_free": (None, (P,)),
            "EVP_PKEY_free": (None, (P,)),
            "EVP_sha256": (P, ()),
            "X509_new": (P, ()),
            "X509_free": (None, (P,)),
            "X509_set_version": (I, (P, L)),
            "X509_get_serialNumber": (P, (P,)),
            "ASN1_INTEGER_set_uint64": (I, (P, ctypes.c_uint64)),
            "X509_getm_notBefore": (P, (P,)),
            "X509_getm_notAfter": (P, (P,)),
            "X509_gmtime_adj": (P, (P, L)),
            "X509_set_pubkey": (I, (P, P)),
            "X509_get_subject_name": (P, (P,)),
            "X509_set_issuer_name": (I, (P, P)),
            "X509_NAME_add_entry_by_txt": (I, (P, S, I, S, I, I, I)),
            "X509V3_set_ctx": (None, (P, P, P, P, P, I)),
            "X509V3_EXT_nconf": (P, (P, P, S, S)),
            "X509_add_ext": (I, (P, P, I)),
            "X509_EXTENSION_free": (None, (P,)),
            "X509_sign": (I, (P, P, P)),
            "BIO_s_mem": (P, ()),
            "BIO_new": (P, (P,)),
            "BIO_ctrl": (L, (P, I, L, P)),
            "BIO_free": (I, (P,)),
            "PEM_write_bio_X509": (I, (P, P)),
            "PEM_write_bio_PrivateKey": (I, (P, P, P, P, I, P, P)),
            "PKCS12_create": (P, (S, S, P, P, P, I, I, I, I, I)),
            "i2d_PKCS12_bio": (I, (P, P)),
            "PKCS12_free": (None, (P,)),
            "OPENSSL_sk_new_null": (P, ()),
            "OPENSSL_sk_push": (I, (P, P)),
            "OPENSSL_sk_free": (None, (P,)),
            "ERR_get_error": (ctypes.c_ulong, ()),
            "ERR_error_string_n": (None, (ctypes.c_ulong, S, ctypes.c_size_t)),
        }
        for name, (restype, argtypes) in signatures.items():
            function = getattr(handle, name)     # AttributeError: symbol not found
            function.restype = restype
            function.argtypes = list(argtypes)
            setattr(self, name, function)

    def failed(self, what: str) -> CertificateError:
        reasons = []
        buffer = self.ctypes.create_string_buffer(256)
        while True:
            code = self.ERR_get_error()
            if not code:
                break
            self.ERR_error_string_n(code, buffer, len(buffer))
            reasons.append(buffer.value.decode("utf-8", "replace"))
        return CertificateError("libcrypto: %s failed (%s)" % (what, "; ".join(reasons) or "no OpenSSL error"))

    def check(self, result: object, what: str) -> object:
        if not result or (isinstance(result, int) and result <= 0):
            raise self.failed(what)
        return result

    def new_key(self) -> int:
        ctx = self.check(self.EVP_PKEY_CTX_new_id(self.EVP_PKEY_EC, None), "EVP_PKEY_CTX_new_id")
        try:
            self.check(self.EVP_PKEY_keygen_init(ctx), "EVP_PKEY_keygen_init")
            # EVP_PKEY_CTX_set_ec_paramgen_curve_nid(ctx, P-256), a macro in OpenSSL 1.1.1
            self.check(self.EVP_PKEY_CTX_ctrl(ctx, self.EVP_PKEY_EC, self.EVP_PKEY_OP_PARAMGEN_OR_KEYGEN,
                                              self.EVP_PKEY_CTRL_EC_PARAMGEN_CURVE_NID, self.NID_P256, None),
                       "EVP_PKEY_CTX_set_ec_paramgen_curve_nid")
            key = self.ctypes.c_void_p()
            self.check(self.EVP_PKEY_keygen(ctx, self.ctypes.byref(key)), "EVP_PKEY_keygen")
            return key.value  # type: ignore[return-value]
        finally:
            self.EVP_PKEY_CTX_free(ctx)

    def read_bio(self, write: Callable[[int], object], what: str) -> bytes:
        bio = self.check(self.BIO_new(self.BIO_s_mem()), "BIO_new")
        try:
            self.check(write(bio), what)  # type: ignore[arg-type]
            data = self.ctypes.c_void_p()
            size = self.BIO_ctrl(bio, self.BIO_CTRL_INFO, 0, self.ctypes.byref(data))
            return self.ctypes.string_at(data.value, size) if size > 0 else b""
        finally:
            self.BIO_free(bio)

    def new_certificate(self, key: int, common_name: str, organization: Optional[str], days: int,
                        extensions: Sequence[Tuple[str, str]], issuer: Optional[Tuple[int, int]]) -> int:
        """A signed certificate; ``issuer`` is (issuer certificate, issuer key) or None for self-signed."""
        cert = self.check(self.X509_new(), "X509_new")
        try:
            self.check(self.X509_set_version(cert, 2), "X509_set_version")            # v3
            self.check(self.ASN1_INTEGER_set_uint64(self.X509_get_serialNumber(cert), _random_serial()),
                       "ASN1_INTEGER_set_uint64")
            # Valid from an hour ago: a peer whose clock is a little behind still accepts it.
            self.check(self.X509_gmtime_adj(self.X509_getm_notBefore(cert), -3600), "X509_gmtime_adj")
            self.check(self.X509_gmtime_adj(self.X509_getm_notAfter(cert), days * 86400), "X509_gmtime_adj")
            self.check(self.X509_set_pubkey(cert, key), "X509_set_pubkey")
            name = self.X509_get_subject_name(cert)
            entries = [(b"CN", common_name)] + ([(b"O", organization)] if organization else [])
            for field, value in entries:
                self.check(self.X509_NAME_add_entry_by_txt(name, field, self.MBSTRING_UTF8, value.encode(), -1, -1,
                                                           0), "X509_NAME_add_entry_by_txt")
            issuer_cert, signing_key = issuer if issuer else (cert, key)
            self.check(self.X509_set_issuer_name(cert, self.X509_get_subject_name(issuer_cert)),
                       "X509_set_issuer_name")
            v3_context = self.ctypes.create_string_buffer(self.X509V3_CTX_SIZE)
            self.X509V3_set_ctx(v3_context, issuer_cert, cert, None, None, 0)
            for ext_name, ext_value in extensions:
                extension = self.check(self.X509V3_EXT_nconf(None, v3_context, ext_name.encode(),
                                                             ext_value.encode()), "X509V3_EXT_nconf " + ext_name)
                try:
                    self.check(self.X509_add_ext(cert, extension, -1), "X509_add_ext")
                finally:
                    self.X509_EXTENSION_free(extension)
            self.check(self.X509_sign(cert, signing_key, self.EVP_sha256()), "X509_sign")
            return cert  # type: ignore[return-value]
        except BaseException:
            self.X509_free(cert)
            raise

    def pkcs12(self, key: int, cert: int, ca_cert: int) -> bytes:
        chain = self.check(self.OPENSSL_sk_new_null(), "OPENSSL_sk_new_null")
        try:
            self.check(self.OPENSSL_sk_push(chain, ca_cert), "OPENSSL_sk_push")
            # AES-256-CBC for both bags (1.1.1's default, RC2, needs OpenSSL 3's legacy provider to read).
            p12 = self.check(self.PKCS12_create(b"", None, key, cert, chain, self.NID_AES_256_CBC,
                                                self.NID_AES_256_CBC, 0, 0, 0), "PKCS12_create")
        finally:
            self.OPENSSL_sk_free(chain)       # the stack only; PKCS12_create copied what it needs
        try:
            return self.read_bio(lambda bio: self.i2d_PKCS12_bio(bio, p12), "i2d_PKCS12_bio")
        finally:
            self.PKCS12_free(p12)


def _libcrypto_candidates() -> Iterator[Tuple[str, Optional[str]]]:
    """(description, path for ctypes.CDLL) of the libcrypto copies to try, best first (lazily: the
    second is looked for only if the first did not do)."""
    try:
        from .. import _openssl          # a source build links the system libcrypto dynamically
        yield "the tls binding", _openssl.__file__
    except ImportError:
        pass
    try:
        import _ssl                      # Python's own ssl module: a second libcrypto, usually dynamic
        ssl_file = getattr(_ssl, "__file__", None)
    except ImportError:
        ssl_file = None
    if ssl_file:
        yield "Python's ssl module", ssl_file
        if os.name == "nt":
            # Windows looks a DLL's dependencies up only in the DLL itself: name libcrypto directly.
            import glob
            for dll in sorted(glob.glob(os.path.join(os.path.dirname(ssl_file), "libcrypto*.dll"))):
                yield "Python's " + os.path.basename(dll), dll
    elif os.name != "nt":
        yield "the Python executable", None      # an ssl module linked into it


def _make_with_libcrypto(leaves: Sequence[LeafRequest], days: int, with_pfx: bool
                         ) -> Tuple[bytes, List[Identity]]:
    crypto = None
    problems = []
    for description, path in _libcrypto_candidates():
        try:
            crypto = _LibCrypto(path)
            break
        except (AttributeError, OSError) as exc:
            problems.append("%s: %s" % (description, exc))
    if crypto is None:
        raise CertificateError("libcrypto: no usable copy (%s)" % ("; ".join(problems) or "none found"))
    owned: List[Tuple[Callable[[int], None], int]] = []     # everything to free, in order
    try:
        ca_key = crypto.new_key()
        owned.append((crypto.EVP_PKEY_free, ca_key))
        ca_cert = crypto.new_certificate(ca_key, _ca_common_name(), CA_ORGANIZATION, days, [
            ("basicConstraints", "critical,CA:TRUE,pathlen:0"),
            ("keyUsage", "critical,keyCertSign,cRLSign"),
            ("subjectKeyIdentifier", "hash"),
        ], issuer=None)
        owned.append((crypto.X509_free, ca_cert))
        ca_pem = crypto.read_bio(lambda bio: crypto.PEM_write_bio_X509(bio, ca_cert), "PEM_write_bio_X509")
        identities = []
        for leaf in leaves:
            key = crypto.new_key()
            owned.append((crypto.EVP_PKEY_free, key))
            cert = crypto.new_certificate(key, leaf.common_name, None, days, _leaf_extensions(leaf),
                                          issuer=(ca_cert, ca_key))
            owned.append((crypto.X509_free, cert))
            key_pem = crypto.read_bio(lambda bio: crypto.PEM_write_bio_PrivateKey(bio, key, None, None, 0, None,
                                                                                   None), "PEM_write_bio_PrivateKey")
            cert_pem = crypto.read_bio(lambda bio: crypto.PEM_write_bio_X509(bio, cert), "PEM_write_bio_X509")
            pfx = crypto.pkcs12(key, cert, ca_cert) if with_pfx else None
            identities.append(Identity(key_pem, cert_pem, pfx))
        return ca_pem, identities
    finally:
        for free, pointer in reversed(owned):
            free(pointer)


def _leaf_extensions(leaf: LeafRequest) -> List[Tuple[str, str]]:
    """The v3 extensions of a leaf, in OpenSSL's configuration syntax (shared by two backends)."""
    extensions = [
        ("basicConstraints", "critical,CA:FALSE"),
        ("keyUsage", "critical,digitalSignature"),
        ("extendedKeyUsage", "serverAuth,clientAuth"),
        ("subjectKeyIdentifier", "hash"),
        ("authorityKeyIdentifier", "keyid:always"),
    ]
    if leaf.alt_names:
        extensions.append(("subjectAltName", ",".join(("IP:" if _is_ip(name) else "DNS:") + name
                                                      for name in leaf.alt_names)))
    return extensions


# -- backend: the cryptography package -----------------------------------------------------------------

def _make_with_cryptography(leaves: Sequence[LeafRequest], days: int, with_pfx: bool
                            ) -> Tuple[bytes, List[Identity]]:
    try:
        import datetime

        from cryptography import x509
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import ec
        from cryptography.hazmat.primitives.serialization import pkcs12
        from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
    except ImportError as exc:
        raise CertificateError("cryptography: not installed (%s)" % exc) from None

    now = datetime.datetime.now(datetime.timezone.utc)

    def builder(subject: "x509.Name", issuer: "x509.Name", public_key: object) -> "x509.CertificateBuilder":
        return (x509.CertificateBuilder().subject_name(subject).issuer_name(issuer)
                .public_key(public_key).serial_number(_random_serial())
                .not_valid_before(now - datetime.timedelta(hours=1))
                .not_valid_after(now + datetime.timedelta(days=days)))

    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, _ca_common_name()),
                         x509.NameAttribute(NameOID.ORGANIZATION_NAME, CA_ORGANIZATION)])
    ca_ski = x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key())
    ca_cert = (builder(ca_name, ca_name, ca_key.public_key())
               .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
               .add_extension(x509.KeyUsage(digital_signature=False, content_commitment=False,
                                            key_encipherment=False, data_encipherment=False, key_agreement=False,
                                            key_cert_sign=True, crl_sign=True, encipher_only=False,
                                            decipher_only=False), critical=True)
               .add_extension(ca_ski, critical=False)
               .sign(ca_key, hashes.SHA256()))
    identities = []
    for leaf in leaves:
        key = ec.generate_private_key(ec.SECP256R1())
        subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, leaf.common_name)])
        cert_builder = (builder(subject, ca_name, key.public_key())
                        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
                        .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=False,
                                                     key_encipherment=False, data_encipherment=False,
                                                     key_agreement=False, key_cert_sign=False, crl_sign=False,
                                                     encipher_only=False, decipher_only=False), critical=True)
                        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH,
                                                              ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False)
                        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
                        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ca_ski),
                                       critical=False))
        if leaf.alt_names:
            cert_builder = cert_builder.add_extension(x509.SubjectAlternativeName([
                x509.IPAddress(ipaddress.ip_address(name)) if _is_ip(name) else x509.DNSName(name)
                for name in leaf.alt_names]), critical=False)
        cert = cert_builder.sign(ca_key, hashes.SHA256())
        key_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                    serialization.NoEncryption())
        pfx = pkcs12.serialize_key_and_certificates(None, key, cert, [ca_cert], serialization.NoEncryption()) \
            if with_pfx else None
        identities.append(Identity(key_pem, cert.public_bytes(serialization.Encoding.PEM), pfx))
    return ca_cert.public_bytes(serialization.Encoding.PEM), identities


# -- backend: the openssl command line tool ----------------------------------------------------------

def _make_with_openssl_command(leaves: Sequence[LeafRequest], days: int, with_pfx: bool
                               ) -> Tuple[bytes, List[Identity]]:
    openssl = shutil.which("openssl")
    if openssl is None:
        raise CertificateError("openssl: the command is not on PATH")
    with tempfile.TemporaryDirectory(prefix="tls-cli-") as folder:
        def run(*args: str) -> None:
            done = subprocess.run([openssl, *args], cwd=folder, capture_output=True, text=True, timeout=60)
            if done.returncode != 0:
                raise CertificateError("openssl: `openssl %s` failed: %s" % (args[0], done.stderr.strip()))

        def read(name: str) -> bytes:
            with open(os.path.join(folder, name), "rb") as file:
                return file.read()

        # One configuration file: the CA's extensions and one section per leaf.
        sections = ["[req]", "distinguished_name = dn", "[dn]", "[ca_ext]",
                    "basicConstraints = critical,CA:TRUE,pathlen:0", "keyUsage = critical,keyCertSign,cRLSign",
                    "subjectKeyIdentifier = hash"]
        for index, leaf in enumerate(leaves):
            sections.append("[leaf%d]" % index)
            sections.extend("%s = %s" % pair for pair in _leaf_extensions(leaf))
        with open(os.path.join(folder, "openssl.cnf"), "w") as config:
            config.write("\n".join(sections) + "\n")

        new_key = ("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out")
        run(*new_key, "ca.key")
        run("req", "-new", "-x509", "-sha256", "-key", "ca.key", "-out", "ca.pem", "-days", str(days),
            "-subj", "/CN=%s/O=%s" % (_ca_common_name(), CA_ORGANIZATION), "-config", "openssl.cnf",
            "-extensions", "ca_ext")
        identities = []
        for index, leaf in enumerate(leaves):
            stem = "leaf%d" % index
            run(*new_key, stem + ".key")
            run("req", "-new", "-key", stem + ".key", "-out", stem + ".csr", "-subj", "/CN=" + leaf.common_name,
                "-config", "openssl.cnf")
            run("x509", "-req", "-sha256", "-in", stem + ".csr", "-CA", "ca.pem", "-CAkey", "ca.key",
                "-set_serial", str(_random_serial()), "-days", str(days), "-extfile", "openssl.cnf",
                "-extensions", stem, "-out", stem + ".pem")
            pfx = None
            if with_pfx:
                run("pkcs12", "-export", "-in", stem + ".pem", "-inkey", stem + ".key", "-certfile", "ca.pem",
                    "-passout", "pass:", "-out", stem + ".pfx")
                pfx = read(stem + ".pfx")
            identities.append(Identity(read(stem + ".key"), read(stem + ".pem"), pfx))
        return read("ca.pem"), identities


BACKENDS: Dict[str, Callable[[Sequence[LeafRequest], int, bool], Tuple[bytes, List[Identity]]]] = {
    "libcrypto": _make_with_libcrypto,
    "cryptography": _make_with_cryptography,
    "openssl": _make_with_openssl_command,
}


def _backend_order(backend: Optional[str]) -> List[str]:
    chosen = backend or os.environ.get(BACKEND_VARIABLE) or ",".join(BACKENDS)
    names = [name.strip() for name in chosen.split(",") if name.strip()]
    unknown = [name for name in names if name not in BACKENDS]
    if unknown or not names:
        raise CertificateError("%s: unknown backend %s (choose from %s)" % (
            BACKEND_VARIABLE, ", ".join(unknown) or "''", ", ".join(BACKENDS)))
    return names


def make_throwaway_pki(leaves: Sequence[LeafRequest], days: int = DEFAULT_DAYS, with_pfx: bool = False,
                       backend: Optional[str] = None) -> ThrowawayPki:
    """A fresh CA and one identity per ``leaves`` entry, from the first backend that works."""
    failures = []
    for name in _backend_order(backend):
        try:
            ca_pem, identities = BACKENDS[name](leaves, days, with_pfx)
        except CertificateError as exc:
            failures.append(str(exc))
            continue
        except (OSError, subprocess.SubprocessError, binascii.Error, ValueError) as exc:
            failures.append("%s: %s" % (name, exc))
            continue
        return ThrowawayPki(ca_pem, tuple(identities), name)
    raise CertificateError("cannot make throwaway certificates: " + "; ".join(failures) +
                           " (give --cert/--key instead)")
