"""Node's net.isIP / isIPv4 / isIPv6: what kind of address a string is (4, 6, or 0).

Plain functions of strings, kept at the bottom so that every layer (the SNI
checks of the protocol, the connect paths of net) asks the same question the
same way; ``tls.net`` shows them as its own.
"""
from __future__ import annotations

import functools
import ipaddress
from typing import Any

__all__ = ["isIP", "isIPv4", "isIPv6"]


def isIP(value: Any) -> int:
    if not isinstance(value, str) or not value or value != value.strip():
        return 0
    return _ip_version(value)


@functools.lru_cache(maxsize=512)
def _ip_version(value: str) -> int:
    # cached: every connect() asks about its host, usually the same few
    try:
        return ipaddress.ip_address(value.split("%", 1)[0] if ":" in value else value).version
    except ValueError:
        return 0


def isIPv4(value: Any) -> bool:
    return isIP(value) == 4


def isIPv6(value: Any) -> bool:
    return isIP(value) == 6
