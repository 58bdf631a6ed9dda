"""Certificates and keys for the tests: trustme CAs and leaves, the openssl CLI, cryptography.

The pytest fixtures built on these (``ca``, ``server_cert``, ``agent1``, ``self_signed``, ``pems``,
...) are in tests/conftest.py; this module holds what they and the tests call.

* :func:`agent` -- a trustme leaf as Node's tests hold one: ``{key, cert (chain), ca, leaf}``.
* :class:`Pems` / :func:`make_pems` -- the session's certificates as bytes and as files (for the
  node and openssl peers of the interop tests).
* :func:`node_keys` -- stand-ins for Node's test/fixtures/keys that name only their CN (so an SNI
  name never matches them), for the ALPN / NPN / SNI ports.
* :func:`make_self_signed`, :func:`make_openssl_agent` -- made with the openssl CLI.
* :func:`dh_params_pem` -- DH parameters.
"""
from __future__ import annotations

import atexit
import datetime
import functools
import hashlib
import ipaddress
import os
import shutil
import ssl
import tempfile
from pathlib import Path
from typing import Any, Dict, Optional

import trustme
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import dh, ec
from cryptography.x509.oid import NameOID
from trustme import KeyType

from support.openssl import openssl


def chain_pem(leaf: trustme.LeafCert) -> bytes:
    """The leaf then its chain, as Node's ``cert`` option takes it."""
    return b"".join(blob.bytes() for blob in leaf.cert_chain_pems)


def agent(ca: trustme.CA, *names: str, key_type: KeyType = KeyType.RSA, cn: Optional[str] = None) -> Dict[str, Any]:
    """A leaf of ``ca`` for ``names``: key, cert (with the chain), ca, and the trustme leaf."""
    leaf = ca.issue_cert(*names, common_name=cn, key_type=key_type)
    return {"key": leaf.private_key_pem.bytes(), "cert": chain_pem(leaf), "ca": ca.cert_pem.bytes(), "leaf": leaf}


def make_self_signed(directory: Path) -> Dict[str, bytes]:
    """A self-signed RSA certificate for CN=localhost (Node's agent2 / test_cert), by the openssl CLI."""
    key, cert = directory / "key.pem", directory / "cert.pem"
    openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out", str(cert),
            "-days", "30", "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost")
    return {"key": key.read_bytes(), "cert": cert.read_bytes()}


def make_openssl_agent(directory: Path) -> Dict[str, bytes]:
    """Node's agent1 made with the openssl CLI: an RSA-2048 leaf with an
    emailAddress, an OCSP URI (authorityInfoAccess) and CA:FALSE, issued by
    an RSA root "ca1"; plus the DER of both for computed expectations."""
    d = directory
    ca_key, ca_cert = d / "ca1-key.pem", d / "ca1-cert.pem"
    openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(ca_key), "-out", str(ca_cert),
            "-days", "30", "-subj", "/C=US/ST=CA/L=SF/O=Joyent/OU=Node.js/CN=ca1/emailAddress=ry@tinyclouds.org",
            "-addext", "basicConstraints=critical,CA:TRUE")
    key, csr, cert = d / "agent1-key.pem", d / "agent1.csr", d / "agent1-cert.pem"
    openssl("req", "-new", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out", str(csr),
            "-subj", "/C=US/ST=CA/L=SF/O=Joyent/OU=Node.js/CN=agent1/emailAddress=ry@tinyclouds.org")
    ext = d / "ext.cnf"
    ext.write_text("basicConstraints=CA:FALSE\n"
                   "authorityInfoAccess=OCSP;URI:http://ocsp.nodejs.org/,caIssuers;URI:http://ca.nodejs.org/ca.cert\n"
                   "subjectAltName=DNS:localhost,IP:127.0.0.1\n")
    openssl("x509", "-req", "-in", str(csr), "-CA", str(ca_cert), "-CAkey", str(ca_key), "-CAcreateserial",
            "-out", str(cert), "-days", "30", "-extfile", str(ext), "-sha256")
    der = openssl("x509", "-in", str(cert), "-outform", "DER")
    ca_der = openssl("x509", "-in", str(ca_cert), "-outform", "DER")
    return {"key": key.read_bytes(), "cert": cert.read_bytes(), "ca": ca_cert.read_bytes(),
            "der": der, "ca_der": ca_der}


def self_signed_pems(hostname: str = "localhost") -> "tuple[bytes, bytes]":
    """A self-signed (key_pem, cert_pem) for ``hostname`` and 127.0.0.1."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, hostname)])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(hours=1))
            .not_valid_after(now + datetime.timedelta(days=2))
            .add_extension(x509.SubjectAlternativeName([
                x509.DNSName(hostname), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
            .sign(key, hashes.SHA256()))
    key_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
    return key_pem, cert.public_bytes(serialization.Encoding.PEM)


class Pems:
    """The test certificates as bytes and as files (for node and openssl)."""

    def __init__(self, folder: str, ca: Any, server_cert: Any, client_cert: Any) -> None:
        self.folder = folder
        self.ca = ca.cert_pem.bytes()
        self.key = server_cert.private_key_pem.bytes()
        self.cert = b"".join(blob.bytes() for blob in server_cert.cert_chain_pems)
        self.client_key = client_cert.private_key_pem.bytes()
        self.client_cert = b"".join(blob.bytes() for blob in client_cert.cert_chain_pems)
        other = ca.issue_cert("other.example")       # trusted, but for another name
        self.other_key = other.private_key_pem.bytes()
        self.other_cert = b"".join(blob.bytes() for blob in other.cert_chain_pems)
        self.self_key, self.self_cert = self_signed_pems()
        self.files: Dict[str, str] = {}
        for name in ("ca", "key", "cert", "client_key", "client_cert", "other_key", "other_cert",
                     "self_key", "self_cert"):
            path = os.path.join(folder, name + ".pem")
            with open(path, "wb") as f:
                f.write(getattr(self, name))
            self.files[name] = path

    def path(self, name: str) -> str:
        return self.files[name]

    # Our options and the matching node cfg for a server identity.
    IDENTITIES = {"good": ("key", "cert"), "other": ("other_key", "other_cert"),
                  "self": ("self_key", "self_cert")}

    def server_options(self, identity: str = "good", **extra: Any) -> Dict[str, Any]:
        key, cert = self.IDENTITIES[identity]
        return {"key": getattr(self, key), "cert": getattr(self, cert), **extra}

    def node_server_cfg(self, identity: str = "good", **extra: Any) -> Dict[str, Any]:
        key, cert = self.IDENTITIES[identity]
        return {"key": self.files[key], "cert": self.files[cert], **extra}


_PEMS_CACHE: Dict[int, Pems] = {}


def make_pems(tmp_path_factory: Any, ca: Any, server_cert: Any, client_cert: Any) -> Pems:
    """One Pems per session's CA (each test module's ``pems`` fixture calls this)."""
    pems = _PEMS_CACHE.get(id(ca))
    if pems is None or pems._ca_obj is not ca:
        pems = Pems(str(tmp_path_factory.mktemp("pems")), ca, server_cert, client_cert)
        pems._ca_obj = ca
        _PEMS_CACHE.clear()
        _PEMS_CACHE[id(ca)] = pems
    return pems


# -- Node's test/fixtures/keys for the negotiation tests ----------------------------------

def _leaf(ca: trustme.CA, cn: str, key_type: KeyType = KeyType.RSA) -> Dict[str, bytes]:
    leaf = ca.issue_cert(cn, common_name=cn, key_type=key_type)
    return {"key": leaf.private_key_pem.bytes(),
            "cert": b"".join(blob.bytes() for blob in leaf.cert_chain_pems)}


@functools.lru_cache(maxsize=None)
def node_keys() -> Dict[str, Any]:
    ca1 = trustme.CA(key_type=KeyType.RSA, organization_name="Node ports ca1")
    ca2 = trustme.CA(key_type=KeyType.RSA, organization_name="Node ports ca2")
    ca3 = ca1.create_child_ca(key_type=KeyType.RSA)
    agent2 = trustme.CA(key_type=KeyType.RSA, organization_name="agent2")  # a self-signed certificate
    keys = {
        "ca1": ca1.cert_pem.bytes(),
        "ca2": ca2.cert_pem.bytes(),
        "agent1": _leaf(ca1, "agent1"),
        "agent2": {"key": agent2.private_key_pem.bytes(), "cert": agent2.cert_pem.bytes()},
        "agent3": _leaf(ca2, "agent3"),
        "agent4": _leaf(ca2, "agent4"),
        "agent6": _leaf(ca3, "agent6"),
        "ec": _leaf(ca1, "ecdsa", KeyType.ECDSA),
    }
    # files for the node / openssl peers
    directory = tempfile.mkdtemp(prefix="tls-negotiation-")
    atexit.register(shutil.rmtree, directory, True)
    paths: Dict[str, str] = {}
    for name, value in keys.items():
        items = value.items() if isinstance(value, dict) else [("cert", value)]
        for kind, pem in items:
            path = os.path.join(directory, "%s-%s.pem" % (name, kind))
            with open(path, "wb") as f:
                f.write(pem)
            paths["%s-%s" % (name, kind)] = path
    keys["paths"] = paths
    return keys


# -- DH parameters ------------------------------------------------------------------------

# RFC 2409 section 6.2 (Oakley group 2): a well-known 1024-bit safe prime, generator 2.
OAKLEY_GROUP_2 = int(
    "FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74"
    "020BBEA63B139B22514A08798E3404DDEF9519B3CD3A431B302B0A6DF25F1437"
    "4FE1356D6D51C245E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6F406B7ED"
    "EE386BFB5A899FA5AE9F24117C4B1FE649286651ECE65381FFFFFFFFFFFFFFFF", 16)


def dh_params_pem(bits: int, directory: str) -> bytes:
    """PKCS#3 DH parameters: 1024 -> Oakley group 2, 2048 -> ffdhe2048, else generated."""
    if bits == 1024:
        params = dh.DHParameterNumbers(OAKLEY_GROUP_2, 2).parameters()
        return params.parameter_bytes(serialization.Encoding.PEM, serialization.ParameterFormat.PKCS3)
    path = os.path.join(directory, "dh%d.pem" % bits)
    if bits == 2048:
        openssl("genpkey", "-genparam", "-algorithm", "DH", "-pkeyopt", "group:ffdhe2048", "-out", path)
    else:
        openssl("dhparam", "-out", path, str(bits))
    with open(path, "rb") as f:
        return f.read()


def pem_text(value: Any) -> str:
    """PEM bytes as text (for a Node peer's JSON configuration)."""
    return value.decode() if isinstance(value, (bytes, bytearray)) else value


def pem_bytes(obj: Any) -> bytes:
    """A trustme Blob's bytes."""
    return obj.bytes()


def make_materials(d: Path, ca: trustme.CA, server_cert: trustme.LeafCert, key_pem: bytes, cert_pem: bytes,
                   ca_pem: bytes, rsa_ca: trustme.CA) -> Any:
    """A directory of PEM/PFX/DH/CRL files for the createSecureContext tests; a name -> path function."""

    def put(name, data):
        (d / name).write_bytes(data)

    put("ca.pem", ca_pem)
    put("key.pem", key_pem)
    put("cert.pem", cert_pem)
    other = ca.issue_cert("other.example")
    put("otherkey.pem", pem_bytes(other.private_key_pem))
    put("othercert.pem", pem_bytes(other.cert_chain_pems[0]))
    put("otherca.pem", pem_bytes(trustme.CA().cert_pem))

    # encrypted key (PKCS#8, AES-256) with passphrase "secret"
    key = serialization.load_pem_private_key(key_pem, None)
    put("enckey.pem", key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(b"secret")))

    # PFX: leaf + key + CA, passphrase "secret"; and one without a passphrase
    openssl("pkcs12", "-export", "-in", str(d / "cert.pem"), "-inkey", str(d / "key.pem"),
            "-certfile", str(d / "ca.pem"), "-passout", "pass:secret", "-out", str(d / "p.pfx"))
    openssl("pkcs12", "-export", "-in", str(d / "cert.pem"), "-inkey", str(d / "key.pem"),
            "-passout", "pass:", "-out", str(d / "nopass.pfx"))

    # DH parameters: 512 (refused), 1536 (warning), 2048 (fine)
    openssl("dhparam", "-out", str(d / "dh512.pem"), "512")
    openssl("genpkey", "-genparam", "-algorithm", "DH", "-pkeyopt", "group:modp_1536",
            "-out", str(d / "dh1536.pem"))
    openssl("genpkey", "-genparam", "-algorithm", "DH", "-pkeyopt", "group:ffdhe2048",
            "-out", str(d / "dh2048.pem"))

    # CRLs from the CA: one revoking the server certificate, one empty
    ca_key = serialization.load_pem_private_key(pem_bytes(ca.private_key_pem), None)
    ca_cert = x509.load_pem_x509_certificate(ca_pem)
    leaf = x509.load_pem_x509_certificate(pem_bytes(server_cert.cert_chain_pems[0]))
    now = datetime.datetime.now(datetime.timezone.utc)

    def crl(revoked):
        builder = (x509.CertificateRevocationListBuilder().issuer_name(ca_cert.subject)
                   .last_update(now - datetime.timedelta(days=1)).next_update(now + datetime.timedelta(days=30)))
        for serial in revoked:
            builder = builder.add_revoked_certificate(
                x509.RevokedCertificateBuilder().serial_number(serial).revocation_date(now).build())
        return builder.sign(ca_key, hashes.SHA256()).public_bytes(serialization.Encoding.PEM)

    put("revoked.crl", crl([leaf.serial_number]))
    put("empty.crl", crl([]))

    # RSA server (for DHE / RSA cipher suites)
    rsa_leaf = rsa_ca.issue_cert("localhost", key_type=trustme.KeyType.RSA)
    put("rsaca.pem", pem_bytes(rsa_ca.cert_pem))
    put("rsakey.pem", pem_bytes(rsa_leaf.private_key_pem))
    put("rsacert.pem", b"".join(pem_bytes(b) for b in rsa_leaf.cert_chain_pems))

    # a chain: root -> intermediate -> leaf
    inter = ca.create_child_ca()
    chained = inter.issue_cert("chained.example")
    put("chainkey.pem", pem_bytes(chained.private_key_pem))
    put("chaincert.pem", b"".join(pem_bytes(b) for b in chained.cert_chain_pems))  # leaf + intermediate
    put("chainleaf.pem", pem_bytes(chained.cert_chain_pems[0]))
    put("intermediate.pem", pem_bytes(inter.cert_pem))

    def path(name):
        return str(d / name)
    path.dir = str(d)
    return path


def fingerprint256(pem: bytes) -> str:
    """The SHA-256 fingerprint of the first certificate in ``pem``, as Node writes it (AB:CD:...)."""
    der = ssl.PEM_cert_to_DER_cert(pem.decode().split("-----END CERTIFICATE-----")[0]
                                   + "-----END CERTIFICATE-----\n")
    digest = hashlib.sha256(der).hexdigest().upper()
    return ":".join(digest[i:i + 2] for i in range(0, len(digest), 2))
