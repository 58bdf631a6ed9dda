"""Throwaway certificates for ``python -m tls server`` and ``python -m tls demo``.

A throwaway PKI is one CA plus leaf certificates it signs (EC P-256 keys,
SHA-256 signatures, a few days of validity), all in memory, as PEM (and PKCS#12
for the ``--pfx`` variants).  Three backends can make them, tried in this order:

``binding``
    The tls binding's own functions (``tls._pki``, the C helpers of
    csrc/pki.c compiled into ``tls._openssl``): no extra package, no
    subprocess, a few milliseconds, and it works in the binary wheels too
    (OpenSSL linked in statically).  What every install uses.
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
from typing import Callable, Dict, List, Optional, Sequence, Tuple

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


# -- backend: the tls binding (tls._pki) -------------------------------------------------------------

def _make_with_binding(leaves: Sequence[LeafRequest], days: int, with_pfx: bool
                       ) -> Tuple[bytes, List[Identity]]:
    try:
        from ..._objects import pki as _pki
    except ImportError as exc:           # a tls._openssl compiled before csrc/pki.c
        raise CertificateError("binding: %s" % exc) from None
    from ..._base.errors import NodeError

    try:
        ca_key = _pki.make_key()
        ca_cert = _pki.make_certificate(ca_key, _ca_common_name(), organization=CA_ORGANIZATION, ca=True,
                                        days=days, serial=_random_serial())
        identities = []
        for leaf in leaves:
            key = _pki.make_key()
            cert = _pki.make_certificate(key, leaf.common_name, leaf.alt_names, issuer=(ca_cert, ca_key),
                                         days=days, serial=_random_serial())
            # PKCS#12: AES-256-CBC, the empty passphrase (loads without a passphrase option)
            pfx = _pki.to_pfx(key, cert, [ca_cert]) if with_pfx else None
            identities.append(Identity(key.to_pem(), cert.to_pem(), pfx))
        return ca_cert.to_pem(), identities
    except NodeError as exc:
        raise CertificateError("binding: %s" % exc) from None


def _leaf_extensions(leaf: LeafRequest) -> List[Tuple[str, str]]:
    """The v3 extensions of a leaf, in OpenSSL's configuration syntax (for the openssl command)."""
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

    def builder(subject: "x509.Name", issuer: "x509.Name", public_key: "ec.EllipticCurvePublicKey"
                ) -> "x509.CertificateBuilder":
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
    "binding": _make_with_binding,
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
