"""``tls.checkServerIdentity`` and the certificate objects it reads (cert_object.py).

``checkServerIdentity`` is Node 20's lib/tls.js function, rule for rule: it
returns (never raises) the ``ERR_TLS_CERT_ALTNAME_INVALID`` error.  With it
here: the parsing it needs, Node's own and not Python's -- the
``subjectaltname`` string split at commas outside JSON-quoted names
(``_split_escaped_alt_names``, also used by tls.streams), the host name
labels and wildcards, and IP addresses canonicalised as libuv does
(``canonicalize_ip``, ``is_ip``).

The certificate objects themselves (``getPeerCertificate()``'s dicts built
from an ``X509 *``) are cert_object.py; their names are shown here too, as
the rest of the package asks this module for them
(``_x509.peer_certificate`` ...).
"""
from __future__ import annotations

import json
import re
from typing import Any, List, Optional

from .._base.errors import NodeError
from .cert_object import (
    certificate_chain_to_dict, certificate_to_dict, local_certificate, peer_certificate, peer_identity,
    translate_info_access,
)

__all__ = [
    "certificate_to_dict", "certificate_chain_to_dict", "peer_certificate", "peer_identity",
    "local_certificate", "checkServerIdentity", "check_server_identity",
    "translate_info_access", "canonicalize_ip", "is_ip",
]


# ---------------------------------------------------- IP addresses (Node/libuv)

_V4_SEG = "(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9][0-9]|[0-9])"
_V4_STR = r"(?:%s\.){3}%s" % (_V4_SEG, _V4_SEG)
_V6_SEG = "(?:[0-9a-fA-F]{1,4})"
_IPV4_RE = re.compile(r"^%s\Z" % _V4_STR)
_IPV6_RE = re.compile((
    "^(?:"
    + "(?:{s}:){{7}}(?:{s}|:)|"
    + "(?:{s}:){{6}}(?:{v4}|:{s}|:)|"
    + "(?:{s}:){{5}}(?::{v4}|(?::{s}){{1,2}}|:)|"
    + "(?:{s}:){{4}}(?:(?::{s}){{0,1}}:{v4}|(?::{s}){{1,3}}|:)|"
    + "(?:{s}:){{3}}(?:(?::{s}){{0,2}}:{v4}|(?::{s}){{1,4}}|:)|"
    + "(?:{s}:){{2}}(?:(?::{s}){{0,3}}:{v4}|(?::{s}){{1,5}}|:)|"
    + "(?:{s}:){{1}}(?:(?::{s}){{0,4}}:{v4}|(?::{s}){{1,6}}|:)|"
    + "(?::(?:(?::{s}){{0,5}}:{v4}|(?::{s}){{1,7}}|:))"
    + r")(?:%[0-9a-zA-Z\-.:]{{1,}})?\Z"
).format(s=_V6_SEG, v4=_V4_STR))


def is_ip(s: str) -> int:
    """Node's net.isIP: 4, 6 or 0."""
    if _IPV4_RE.match(s):
        return 4
    if _IPV6_RE.match(s):
        return 6
    return 0


def _pton4(src: bytes) -> Optional[bytes]:
    saw_digit = False
    octets = 0
    tmp = [0]
    for ch in src:
        if 0x30 <= ch <= 0x39:
            nw = tmp[-1] * 10 + (ch - 0x30)
            if saw_digit and tmp[-1] == 0:
                return None
            if nw > 255:
                return None
            tmp[-1] = nw
            if not saw_digit:
                octets += 1
                if octets > 4:
                    return None
                saw_digit = True
        elif ch == 0x2E and saw_digit:
            if octets == 4:
                return None
            tmp.append(0)
            saw_digit = False
        else:
            return None
    if octets < 4:
        return None
    return bytes(tmp)


def _hexval(ch: int) -> Optional[int]:
    if 0x30 <= ch <= 0x39:
        return ch - 0x30
    if 0x61 <= ch <= 0x66:
        return ch - 0x61 + 10
    if 0x41 <= ch <= 0x46:
        return ch - 0x41 + 10
    return None


def _pton6(src: bytes) -> Optional[bytes]:
    tmp = bytearray(16)
    tp, endp = 0, 16
    colonp = None
    i, n = 0, len(src)
    if n and src[0] == 0x3A:
        i = 1
        if i >= n or src[i] != 0x3A:
            return None
    curtok = i
    seen = 0
    val = 0
    while i < n:
        ch = src[i]
        i += 1
        digit = _hexval(ch)
        if digit is not None:
            val = ((val << 4) | digit) & 0xFFFFFFFF
            seen += 1
            if seen > 4:
                return None
            continue
        if ch == 0x3A:
            curtok = i
            if not seen:
                if colonp is not None:
                    return None
                colonp = tp
                continue
            elif i >= n:
                return None
            if tp + 2 > endp:
                return None
            tmp[tp] = (val >> 8) & 0xFF
            tmp[tp + 1] = val & 0xFF
            tp += 2
            seen = 0
            val = 0
            continue
        if ch == 0x2E and tp + 4 <= endp:
            v4 = _pton4(src[curtok:])
            if v4 is not None:
                tmp[tp:tp + 4] = v4
                tp += 4
                seen = 0
                break
        return None
    if seen:
        if tp + 2 > endp:
            return None
        tmp[tp] = (val >> 8) & 0xFF
        tmp[tp + 1] = val & 0xFF
        tp += 2
    if colonp is not None:
        count = tp - colonp
        if tp == endp:
            return None
        for k in range(1, count + 1):
            tmp[endp - k] = tmp[colonp + count - k]
            tmp[colonp + count - k] = 0
        tp = endp
    if tp != endp:
        return None
    return bytes(tmp)


def _ntop4(src: bytes) -> str:
    return "%u.%u.%u.%u" % (src[0], src[1], src[2], src[3])


def _ntop6(src: bytes) -> str:
    words = [(src[2 * i] << 8) | src[2 * i + 1] for i in range(8)]
    best_base, best_len = -1, 0
    cur_base, cur_len = -1, 0
    for i in range(8):
        if words[i] == 0:
            if cur_base == -1:
                cur_base, cur_len = i, 1
            else:
                cur_len += 1
        elif cur_base != -1:
            if best_base == -1 or cur_len > best_len:
                best_base, best_len = cur_base, cur_len
            cur_base = -1
    if cur_base != -1 and (best_base == -1 or cur_len > best_len):
        best_base, best_len = cur_base, cur_len
    if best_base != -1 and best_len < 2:
        best_base = -1
    out = []
    for i in range(8):
        if best_base != -1 and best_base <= i < best_base + best_len:
            if i == best_base:
                out.append(":")
            continue
        if i != 0:
            out.append(":")
        if i == 6 and best_base == 0 and (
                best_len == 6 or (best_len == 7 and words[7] != 0x0001)
                or (best_len == 5 and words[5] == 0xFFFF)):
            out.append(_ntop4(src[12:]))
            break
        out.append("%x" % words[i])
    if best_base != -1 and best_base + best_len == 8:
        out.append(":")
    return "".join(out)


def canonicalize_ip(ip: str) -> Optional[str]:
    """Node's cares_wrap canonicalizeIP (uv_inet_pton + uv_inet_ntop)."""
    raw = ip.encode("utf-8", "replace").split(b"\0", 1)[0]
    v4 = _pton4(raw)
    if v4 is not None:
        return _ntop4(v4)
    zone = raw.find(b"%")
    if zone != -1:
        if zone > 45:
            return None
        raw = raw[:zone]
    v6 = _pton6(raw)
    if v6 is not None:
        return _ntop6(v6)
    return None


# --------------------------------------------------------- checkServerIdentity

class _NodeSyntaxError(NodeError, SyntaxError):
    """Node's SyntaxError (ERR_TLS_CERT_ALTNAME_FORMAT)."""


def _js_truthy(value: Any) -> bool:
    if value is None or value is False:
        return False
    if isinstance(value, (str, int, float)):
        return bool(value) and value == value  # NaN is falsy
    return True  # objects and arrays, even empty ones


def _js_string(value: Any) -> str:
    """String(value) for the values a certificate dict can hold."""
    if value is None:
        return "undefined"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, str):
        return value
    if isinstance(value, (list, tuple)):
        return ",".join("" if v is None else _js_string(v) for v in value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dict):
        return "[object Object]"
    return str(value)


def _get(obj: Any, key: str) -> Any:
    if obj is None:
        return None
    if isinstance(obj, dict):
        return obj.get(key)
    return getattr(obj, key, None)


def _utf16_len(s: str) -> int:
    return len(s) + sum(1 for c in s if ord(c) > 0xFFFF)


def _unfqdn(host: str) -> str:
    return host[:-1] if host.endswith(".") else host


_UPPER_ASCII = {c: c + 32 for c in range(0x41, 0x5B)}


def _split_host(host: str) -> List[str]:
    # Only A-Z are lower-cased: String#toLowerCase is locale-sensitive.
    return _unfqdn(host).translate(_UPPER_ASCII).split(".")


def _is_bad_label(label: str) -> bool:
    return any(not (0x21 <= ord(c) <= 0x7F) for c in label)


def _check(host_parts: List[str], pattern: Any, wildcards: bool) -> bool:
    if not _js_truthy(pattern):
        return False
    if not isinstance(pattern, str):
        raise TypeError("host.replace is not a function")
    pattern_parts = _split_host(pattern)
    if len(host_parts) != len(pattern_parts):
        return False
    if "" in pattern_parts:
        return False
    if any(_is_bad_label(p) for p in pattern_parts):
        return False
    for i in range(len(host_parts) - 1, 0, -1):
        if host_parts[i] != pattern_parts[i]:
            return False
    host_subdomain = host_parts[0]
    pattern_subdomain = pattern_parts[0]
    pattern_subdomain_parts = pattern_subdomain.split("*")
    if len(pattern_subdomain_parts) == 1 or "xn--" in pattern_subdomain:
        return host_subdomain == pattern_subdomain
    if not wildcards:
        return False
    if len(pattern_subdomain_parts) > 2:
        return False
    if len(pattern_parts) <= 2:
        return False
    prefix, suffix = pattern_subdomain_parts
    if len(prefix) + len(suffix) > _utf16_len(host_subdomain):
        return False
    if not host_subdomain.startswith(prefix):
        return False
    if not host_subdomain.endswith(suffix):
        return False
    return True


_JSON_STRING = re.compile(r'"(?:[^"\\\x00-\x1f]|\\(?:["\\/bfnrt]|u[0-9a-fA-F]{4}))*"')


def _split_escaped_alt_names(alt_names: str) -> List[str]:
    result: List[str] = []
    current = ""
    offset = 0
    while offset != len(alt_names):
        next_sep = alt_names.find(",", offset)
        next_quote = alt_names.find('"', offset)
        if next_quote != -1 and (next_sep == -1 or next_quote < next_sep):
            current += alt_names[offset:next_quote]
            match = _JSON_STRING.match(alt_names, next_quote)
            if not match:
                raise _NodeSyntaxError("Invalid subject alternative name string",
                                       "ERR_TLS_CERT_ALTNAME_FORMAT")
            current += json.loads(match.group(0))
            offset = next_quote + len(match.group(0))
        elif next_sep != -1:
            current += alt_names[offset:next_sep]
            result.append(current)
            current = ""
            offset = next_sep + 2
            if offset > len(alt_names):
                # JS: indexOf past the end finds nothing and substring()
                # clamps; the loop then appends "" and stops.
                offset = len(alt_names)
        else:
            current += alt_names[offset:]
            offset = len(alt_names)
    result.append(current)
    return result


def checkServerIdentity(hostname: Any, cert: Any) -> Optional[NodeError]:
    """Node 20's ``tls.checkServerIdentity(hostname, cert)``.

    Returns ``None`` when ``cert`` is valid for ``hostname``, else the
    ``ERR_TLS_CERT_ALTNAME_INVALID`` error (with ``.reason``, ``.host``,
    ``.cert``); raises ``ERR_TLS_CERT_ALTNAME_FORMAT`` for a malformed quoted
    subjectaltname.  ``hostname`` is converted like JavaScript's
    ``'' + hostname`` (None -> 'undefined').
    """
    if cert is None:
        raise TypeError("Cannot read properties of undefined (reading 'subject')")
    subject = _get(cert, "subject")
    alt_names = _get(cert, "subjectaltname")
    dns_names: List[str] = []
    ips: List[Optional[str]] = []

    hostname = _js_string(hostname)

    if _js_truthy(alt_names):
        alt_names = _js_string(alt_names)
        split = (_split_escaped_alt_names(alt_names) if '"' in alt_names
                 else alt_names.split(", "))
        for name in split:
            if name.startswith("DNS:"):
                dns_names.append(name[4:])
            elif name.startswith("IP Address:"):
                ips.append(canonicalize_ip(name[11:]))

    valid = False
    reason = "Unknown reason"

    hostname = _unfqdn(hostname)

    cn = _get(subject, "CN")
    if is_ip(hostname):
        valid = canonicalize_ip(hostname) in ips
        if not valid:
            reason = "IP: %s is not in the cert's list: " % hostname + ", ".join(
                "" if ip is None else ip for ip in ips)
    elif dns_names or _js_truthy(cn):
        host_parts = _split_host(hostname)

        def wildcard(pattern: Any) -> bool:
            return _check(host_parts, pattern, True)

        if dns_names:
            valid = any(wildcard(name) for name in dns_names)
            if not valid:
                reason = "Host: %s. is not in the cert's altnames: %s" % (hostname, alt_names)
        else:
            if isinstance(cn, (list, tuple)):
                valid = any(wildcard(name) for name in cn)
            elif _js_truthy(cn):
                valid = wildcard(cn)
            if not valid:
                reason = "Host: %s. is not cert's CN: %s" % (hostname, _js_string(cn))
    else:
        reason = "Cert does not contain a DNS name"

    if not valid:
        return NodeError("Hostname/IP does not match certificate's altnames: " + reason,
                         "ERR_TLS_CERT_ALTNAME_INVALID", reason=reason, host=hostname, cert=cert)
    return None


check_server_identity = checkServerIdentity
