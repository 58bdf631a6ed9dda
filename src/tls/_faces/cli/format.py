"""Readable and JSON summaries of TLS connections and certificate chains, shared by the subcommands.

Everything here takes what the public API returns (``getPeerCertificate(True)``,
``getCipher()``, ...) and turns it into plain dicts (the ``--json`` output) and
aligned text lines (the human output).  Human output goes to stderr so that
stdout carries only what the peer sent (or the ``--json`` objects).
"""
from __future__ import annotations

import json
import sys
from typing import Any, Dict, Iterable, List, Optional, Sequence, Tuple

__all__ = [
    "certificate_chain", "certificate_row", "connection_summary", "emit_json", "error_line", "key_text", "log",
    "name_text", "render_chain", "render_fields", "source_text", "yes_no",
]

LABEL_WIDTH = 15


def log(*lines: str) -> None:
    """Human-readable output: stderr, flushed at once (tests and scripts wait for these lines)."""
    for line in lines:
        sys.stderr.write(line + "\n")
    sys.stderr.flush()


def emit_json(obj: Dict[str, Any]) -> None:
    """One JSON object per line on stdout."""
    sys.stdout.write(json.dumps(obj, sort_keys=False, default=_json_default) + "\n")
    sys.stdout.flush()


def _json_default(value: Any) -> Any:
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value).hex()
    return str(value)


def error_line(code: Optional[str], message: str) -> str:
    """The one line every failure prints: ``error: <code>: <message>``."""
    return "error: %s: %s" % (code or "ERROR", message)


def yes_no(value: Any) -> str:
    return "yes" if value else "no"


def name_text(name: Optional[Dict[str, Any]]) -> str:
    """A certificate name dict (``{'CN': 'x', 'O': 'y'}``) as ``CN=x, O=y``; repeated fields stay repeated."""
    if not name:
        return "(empty)"
    parts = []
    for field, value in name.items():
        for item in value if isinstance(value, (list, tuple)) else [value]:
            parts.append("%s=%s" % (field, item))
    return ", ".join(parts)


def certificate_chain(peer: Optional[Dict[str, Any]]) -> List[Dict[str, Any]]:
    """``getPeerCertificate(True)`` as a list, leaf first, following ``issuerCertificate``.

    A self-signed root is its own ``issuerCertificate``, which ends the walk (as does a
    fingerprint already seen, should a chain ever loop another way).
    """
    chain: List[Dict[str, Any]] = []
    seen = set()
    cert = peer
    while cert:
        fingerprint = cert.get("fingerprint256")
        if fingerprint in seen:
            break
        seen.add(fingerprint)
        chain.append(cert)
        issuer = cert.get("issuerCertificate")
        if issuer is cert:
            break
        cert = issuer
    return chain


def certificate_row(cert: Dict[str, Any]) -> Dict[str, Any]:
    """The fields of one certificate the summaries show (JSON-ready)."""
    return {
        "subject": name_text(cert.get("subject")),
        "issuer": name_text(cert.get("issuer")),
        "valid_from": cert.get("valid_from"),
        "valid_to": cert.get("valid_to"),
        "subjectaltname": cert.get("subjectaltname"),
        "serialNumber": cert.get("serialNumber"),
        "fingerprint256": cert.get("fingerprint256"),
    }


def render_fields(pairs: Iterable[Tuple[str, Any]], indent: str = "") -> List[str]:
    """``label  value`` lines with the values aligned; pairs whose value is None are left out."""
    return ["%s%-*s %s" % (indent, LABEL_WIDTH, label, value) for label, value in pairs if value is not None]


def key_text(row: Dict[str, Any]) -> Optional[str]:
    """``EC prime256v1, 256 bits`` / ``RSA, 2048 bits`` from a row's key fields (None when unknown)."""
    if not row.get("keyType"):
        return None
    name = row["keyType"] + (" " + row["keyCurve"] if row.get("keyCurve") else "")
    return "%s, %s bits" % (name, row["keyBits"]) if row.get("keyBits") else name


def source_text(row: Dict[str, Any]) -> Optional[str]:
    """Where a chain's certificate came from: the peer, or the trust store (Node fills the chain from it)."""
    if "sent" not in row:
        return None
    origin = "sent by the peer" if row["sent"] else "from the trust store (not sent)"
    return origin + ("" if row.get("verified") else ", not in a verified chain")


def render_chain(rows: Sequence[Dict[str, Any]], title: str = "certificate chain") -> List[str]:
    """One block per certificate, depth 0 (the peer's own) first; with ``pem`` in the rows, the PEM too."""
    if not rows:
        return ["%-*s %s" % (LABEL_WIDTH, title, "none sent")]
    if "sent" in rows[0]:
        sent = sum(1 for row in rows if row["sent"])
        count = "%d: %d sent by the peer, %d from the trust store" % (len(rows), sent, len(rows) - sent)
    else:
        count = "%d" % len(rows)
    lines = ["%s (%s; the peer's own first):" % (title, count)]
    for depth, row in enumerate(rows):
        block = render_fields([
            ("subject", row["subject"]),
            ("issuer", row["issuer"]),
            ("not before", row["valid_from"]),
            ("not after", row["valid_to"]),
            ("SANs", row["subjectaltname"]),
            ("key", key_text(row)),
            ("signature", row.get("signatureAlgorithm")),
            ("source", source_text(row)),
            ("SHA-256", row["fingerprint256"]),
        ], indent="     ")
        block[0] = "  %-2d %s" % (depth, block[0][5:])
        lines.extend(block)
        if row.get("pem"):
            lines.extend(row["pem"].rstrip("\n").split("\n"))
    return lines


def connection_summary(sock: Any) -> Dict[str, Any]:
    """What both sides report about an established connection (JSON-ready)."""
    cipher = sock.getCipher() or {}
    summary: Dict[str, Any] = {
        "remoteAddress": sock.remoteAddress,
        "remotePort": sock.remotePort,
        "protocol": sock.getProtocol(),
        "cipher": {"name": cipher.get("name"), "standardName": cipher.get("standardName"),
                   "version": cipher.get("version")},
        "alpnProtocol": sock.alpnProtocol or None,
        "sessionReused": bool(sock.isSessionReused()),
        "authorized": bool(sock.authorized),
        "authorizationError": sock.authorizationError or None,
    }
    npn = getattr(sock, "npnProtocol", None)
    if npn:
        summary["npnProtocol"] = npn
    summary["peerCertificates"] = [certificate_row(cert) for cert in certificate_chain(sock.getPeerCertificate(True))]
    return summary


def cipher_text(summary: Dict[str, Any]) -> str:
    cipher = summary["cipher"]
    standard = cipher.get("standardName")
    name = cipher.get("name") or "?"
    return name if not standard or standard == name else "%s (%s)" % (name, standard)


def address_text(host: Optional[str], port: Any) -> str:
    return "[%s]:%s" % (host, port) if host and ":" in host else "%s:%s" % (host, port)
