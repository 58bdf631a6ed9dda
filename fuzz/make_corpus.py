"""Write the seed corpora of the fuzz targets into fuzz/corpus/ (git-ignored; nothing is committed).

    python fuzz/make_corpus.py [--force]

- pki/: the throwaway CA, server (EC, RSA) and client keys and certificates
  the targets load (tls._objects.pki);
- server_records/, client_records/: both sides of real handshakes between two
  engines, one per configuration of _common.CONFIGS, with application data
  and close_notify, read in one piece and in small pieces;
- socket_records/: the server_records and client_records seeds again, with
  the socket target's side bit set for the client ones and each way the
  peer's end can go away (fuzz_socket_records.py);
- context_options/: valid PEM, DER, PFX (with and without passphrase), CRL and
  dhparam values for each option of fuzz_context_options.py;
- session/: client sessions of real TLS 1.2 and TLS 1.3 handshakes;
- x509/: certificate DERs (EC, RSA, Ed25519, a CA, one with every extension
  the translation reads).
"""
from __future__ import annotations

import argparse
import datetime
import hashlib
import ipaddress
import os
import shutil
import subprocess
import sys
from typing import Dict, List

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import AuthorityInformationAccessOID, ExtendedKeyUsageOID, NameOID

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import _common
from _common import CORPUS, PASSPHRASE, PKI_DIR, ffi, lib, tls

from tls._objects import pki as _pki


def _write(directory: str, data: bytes) -> None:
    os.makedirs(directory, exist_ok=True)
    with open(os.path.join(directory, hashlib.sha1(data).hexdigest()), "wb") as f:
        f.write(data)


def make_pki() -> Dict[str, bytes]:
    """The throwaway PKI; kept when it exists (the recorded handshakes of an
    existing corpus, and a running fuzzer, depend on these keys)."""
    if os.path.isdir(PKI_DIR):
        files = {}
        for name in os.listdir(PKI_DIR):
            with open(os.path.join(PKI_DIR, name), "rb") as f:
                files[name] = f.read()
        return files
    ca_key = _pki.make_key("ec")
    ca = _pki.make_certificate(ca_key, "Fuzz CA", ca=True, days=_pki.MAX_DAYS)
    files = {"ca.key": _pki.to_pem(ca_key), "ca.crt": _pki.to_pem(ca)}
    for name, kind, cn in (("ec", "ec", "localhost"), ("rsa", "rsa", "localhost"), ("client", "ec", "client")):
        key = _pki.make_key(kind)
        cert = _pki.make_certificate(key, cn, ["localhost", "127.0.0.1"], issuer=(ca, ca_key), days=_pki.MAX_DAYS)
        files[name + ".key"] = _pki.to_pem(key)
        files[name + ".crt"] = _pki.to_pem(cert)
        files[name + ".pfx"] = _pki.to_pfx(key, cert, [ca], passphrase=PASSPHRASE.decode())
        files[name + ".nopass.pfx"] = _pki.to_pfx(key, cert, [ca])
        files[name + ".enc.key"] = _pki.to_pem(key, PASSPHRASE)
        files[name + ".der"] = _pki.to_der(cert)
    files["ed25519.der"] = _pki.to_der(_pki.make_certificate(_pki.make_key("ed25519"), "ed"))
    files["ca.der"] = _pki.to_der(ca)
    os.makedirs(PKI_DIR, exist_ok=True)
    for name, data in files.items():
        with open(os.path.join(PKI_DIR, name), "wb") as f:
            f.write(data)
    return files


def _session_der(engine) -> bytes:
    sess = lib.SSL_get1_session(engine.ssl)
    if sess == ffi.NULL:
        return b""
    try:
        return tls._protocol.sessions._session_der(sess) or b""
    finally:
        lib.SSL_SESSION_free(sess)


def record_handshakes() -> None:
    """Both sides of one full conversation per configuration."""
    for config, (name, _, _) in enumerate(_common.CONFIGS):
        client = _common.engine(config, server=False)
        server = _common.engine(config, server=True)
        to_server: List[bytes] = []
        to_client: List[bytes] = []
        client.handshake()
        for _ in range(20):
            moved = False
            for src, dst, log in ((client, server, to_server), (server, client, to_client)):
                out = src.outgoing()
                if out:
                    log.append(out)
                    dst.feed(out)
                    moved = True
                _common.step(dst)
            if not moved:
                break
        assert client.handshake_done and server.handshake_done, name
        client.encrypt(b"GET / HTTP/1.1\r\n\r\n")
        to_server.append(client.outgoing())
        server.feed(to_server[-1])
        _common.step(server)
        server.encrypt(b"HTTP/1.1 200 OK\r\n\r\nhello")
        server.shutdown()
        to_client.append(server.outgoing())
        client.feed(to_client[-1])
        _common.step(client)
        client.shutdown()
        to_server.append(client.outgoing())
        for directory, flights in (("server_records", to_server), ("client_records", to_client)):
            stream = b"".join(flights)
            for size in (0, 1, 2, 100):
                _write(os.path.join(CORPUS, directory), bytes([config, size]) + stream)
            # the first flight alone: mutations of the hello reach the parser without the rest
            _write(os.path.join(CORPUS, directory), bytes([config, 0]) + flights[0])
        session = _session_der(client)
        if session:
            _write(os.path.join(CORPUS, "session"), bytes([config]) + session)
        client.free()
        server.free()


def socket_seeds() -> None:
    """fuzz_socket_records.py reads the record seeds with byte 0 = config + 5 * mode
    (mode bit 0: client side, bits 1-2: the peer's ending, bit 3: the peer stops reading,
    bits 4-5: the write the ending comes before)."""
    configs = len(_common.CONFIGS)
    for directory, side in (("server_records", 0), ("client_records", 1)):
        path = os.path.join(CORPUS, directory)
        for name in sorted(os.listdir(path)):
            with open(os.path.join(path, name), "rb") as f:
                seed = f.read()
            if len(seed) < 2:
                continue
            config = seed[0] % configs
            # as recorded; a stalled reader; a FIN, a close and a reset after the first write
            for mode in (0, 8, (1 << 1) | (1 << 4), (2 << 1) | (1 << 4), (3 << 1) | (1 << 4)):
                _write(os.path.join(CORPUS, "socket_records"), bytes([config + configs * (mode | side)]) + seed[1:])
    # a live peer (mode bit 5): plaintext it encrypts (a write's first byte even) or bytes as they are (odd)
    request = b"\x00GET / HTTP/1.1\r\nHost: localhost\r\n\r\n"
    for config in range(configs):
        for side in (0, 1):
            for mode, size, body in ((32, 0, request), (32, 5, request * 3), (32 | 8, 0, request * 3),
                                     (32 | 2, 0, request), (32 | 4 | 16, 5, request * 3), (32 | 6, 0, request),
                                     (32, 0, b"\x01\x17\x03\x03\x00\x20" + bytes(32))):
                if config + configs * (mode | side) < 256:   # byte 0 holds mode 0-50
                    _write(os.path.join(CORPUS, "socket_records"),
                           bytes([config + configs * (mode | side), size]) + body)


def _crl(ca_key_pem: bytes, ca_pem: bytes) -> List[bytes]:
    ca_key = serialization.load_pem_private_key(ca_key_pem, None)
    ca = x509.load_pem_x509_certificate(ca_pem)
    now = datetime.datetime.now(datetime.timezone.utc)
    revoked = x509.RevokedCertificateBuilder().serial_number(12345).revocation_date(now).build()
    crl = (x509.CertificateRevocationListBuilder().issuer_name(ca.subject).last_update(now)
           .next_update(now + datetime.timedelta(days=30)).add_revoked_certificate(revoked)
           .sign(ca_key, hashes.SHA256()))
    return [crl.public_bytes(serialization.Encoding.PEM), crl.public_bytes(serialization.Encoding.DER)]


def _dhparam() -> List[bytes]:
    out = []
    for form in ("PEM", "DER"):
        out.append(subprocess.run(["openssl", "genpkey", "-genparam", "-algorithm", "DH", "-pkeyopt",
                                   "group:ffdhe2048", "-outform", form], check=True, capture_output=True).stdout)
    return out


def context_options(files: Dict[str, bytes]) -> None:
    from fuzz_context_options import OPTIONS
    index = {name: i for i, (name, _) in enumerate(OPTIONS)}
    seeds = {
        "key": [files["ec.key"], files["rsa.key"]],
        "cert": [files["ec.crt"], files["ec.crt"] + files["ca.crt"], files["ec.der"]],
        "ca": [files["ca.crt"], files["ca.crt"] + files["rsa.crt"], files["ca.der"]],
        "pfx": [files["ec.nopass.pfx"], files["rsa.nopass.pfx"]],
        "pfx+passphrase": [files["ec.pfx"], files["rsa.pfx"]],
        "crl": _crl(files["ca.key"], files["ca.crt"]),
        "dhparam": _dhparam(),
        "key+passphrase": [files["ec.enc.key"], files["rsa.enc.key"]],
    }
    for name, values in seeds.items():
        for value in values:
            flags = 1 if value.startswith(b"-----") else 0   # PEM also as a str
            _write(os.path.join(CORPUS, "context_options"), bytes([index[name], flags]) + value)
    # ticket key rings: keys of 48 bytes (flags 8 << 2): one, three, the most (8), one too many, a repeated name
    keys = [os.urandom(48) for _ in range(9)]
    for ring in (keys[:1], keys[:3], keys[:8], keys, [keys[0], keys[0][:16] + keys[1][16:]]):
        _write(os.path.join(CORPUS, "context_options"), bytes([index["ticketKeyRing"], 8 << 2]) + b"".join(ring))


def x509_seeds(files: Dict[str, bytes]) -> None:
    for name in ("ec.der", "rsa.der", "client.der", "ca.der", "ed25519.der"):
        _write(os.path.join(CORPUS, "x509"), files[name])
    # one certificate with each part certificate_to_dict translates
    ca_key = serialization.load_pem_private_key(files["ca.key"], None)
    key = ec.generate_private_key(ec.SECP384R1())
    now = datetime.datetime.now(datetime.timezone.utc)
    name = x509.Name([
        x509.NameAttribute(NameOID.COMMON_NAME, "localhost"),
        x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, "a"),
        x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, "b"),
        x509.NameAttribute(x509.ObjectIdentifier("1.2.3.4.5"), "unknown oid"),
        x509.NameAttribute(NameOID.EMAIL_ADDRESS, "x@example.com"),
    ])
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now)
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([
                x509.DNSName("localhost"), x509.DNSName("*.example.com"), x509.IPAddress(ipaddress.ip_address("::1")),
                x509.IPAddress(ipaddress.ip_address("127.0.0.1")), x509.RFC822Name("x@example.com"),
                x509.UniformResourceIdentifier("https://example.com/"),
                x509.DirectoryName(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "dir")]))]), False)
            .add_extension(x509.AuthorityInformationAccess([
                x509.AccessDescription(AuthorityInformationAccessOID.OCSP,
                                       x509.UniformResourceIdentifier("http://ocsp.example.com")),
                x509.AccessDescription(AuthorityInformationAccessOID.CA_ISSUERS,
                                       x509.UniformResourceIdentifier("http://ca.example.com/ca.crt"))]), False)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH,
                                                  x509.ObjectIdentifier("1.2.3.4")]), False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
            .sign(ca_key, hashes.SHA256()))
    _write(os.path.join(CORPUS, "x509"), cert.public_bytes(serialization.Encoding.DER))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--force", action="store_true",
                        help="remove fuzz/corpus/ first (new keys; otherwise the keys are kept and seeds added)")
    args = parser.parse_args()
    if args.force and os.path.isdir(CORPUS):
        shutil.rmtree(CORPUS)
    files = make_pki()
    record_handshakes()
    socket_seeds()
    context_options(files)
    x509_seeds(files)
    for directory in sorted(os.listdir(CORPUS)):
        print("%-16s %d files" % (directory, len(os.listdir(os.path.join(CORPUS, directory)))))


if __name__ == "__main__":
    main()
