"""Buffer <-> string conversions as Node does them (write(data, encoding), setEncoding)."""
from __future__ import annotations

import base64
import binascii
import codecs
from typing import TYPE_CHECKING, Any, Optional

from .errors import NodeTypeError

__all__ = ["to_bytes", "decoder"]


_ENCODINGS = {
    "utf8": "utf8", "utf-8": "utf8", "hex": "hex", "base64": "base64", "base64url": "base64url",
    "latin1": "latin1", "binary": "latin1", "ascii": "ascii", "ucs2": "utf16le", "ucs-2": "utf16le",
    "utf16le": "utf16le", "utf-16le": "utf16le",
}


def _normalize_encoding(encoding: Any) -> str:
    enc = _ENCODINGS.get(str(encoding).lower()) if isinstance(encoding, str) else None
    if enc is None:
        raise NodeTypeError("Unknown encoding: %s" % (encoding,), "ERR_UNKNOWN_ENCODING")
    return enc


def _hex_to_bytes(data: str) -> bytes:
    data = data[: len(data) // 2 * 2]
    try:
        return bytes.fromhex(data)
    except ValueError:
        # Node stops at the first pair that is not hex.
        out = bytearray()
        for i in range(0, len(data), 2):
            try:
                out.append(int(data[i:i + 2], 16))
            except ValueError:
                break
            if not all(c in "0123456789abcdefABCDEF" for c in data[i:i + 2]):
                out.pop()
                break
        return bytes(out)


def _base64_to_bytes(data: str) -> bytes:
    # Node accepts both alphabets, ignores what is not base64 and missing padding.
    cleaned = "".join(c for c in data.replace("-", "+").replace("_", "/")
                      if c.isalnum() or c in "+/")
    cleaned = cleaned[: len(cleaned) - (1 if len(cleaned) % 4 == 1 else 0)]
    try:
        return base64.b64decode(cleaned + "=" * (-len(cleaned) % 4))
    except (binascii.Error, ValueError):
        return b""


def to_bytes(data: Any, encoding: Optional[str] = None) -> bytes:
    """Node's Buffer.from(chunk, encoding) for what write() accepts."""
    if isinstance(data, bytes):
        return data
    if isinstance(data, (bytearray, memoryview)):
        return bytes(data)
    if isinstance(data, str):
        enc = "utf8" if encoding is None else _normalize_encoding(encoding)
        if enc == "utf8":
            try:
                return data.encode("utf-8")
            except UnicodeEncodeError:
                # lone surrogates: pairs are joined, the rest become U+FFFD (as V8 does)
                return data.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace").encode("utf-8")
        if enc == "hex":
            return _hex_to_bytes(data)
        if enc in ("base64", "base64url"):
            return _base64_to_bytes(data)
        if enc in ("latin1", "ascii"):
            try:
                return data.encode("latin-1")
            except UnicodeEncodeError:
                return bytes(ord(c) & 0xFF for c in data)
        return data.encode("utf-16-le", "surrogatepass")
    raise NodeTypeError(
        'The "chunk" argument must be of type string or an instance of Buffer or Uint8Array. '
        "Received %s" % type(data).__name__, "ERR_INVALID_ARG_TYPE")


if TYPE_CHECKING:
    from typing import Protocol

    class TextDecoder(Protocol):
        """What ``setEncoding`` installs: codecs' incremental decoders and the two below."""

        def decode(self, data: bytes, final: bool = False, /) -> str: ...


def _decoder(encoding: Any) -> TextDecoder:
    enc = _normalize_encoding(encoding)
    if enc in ("hex", "base64", "base64url"):
        return _BinaryTextDecoder(enc)
    if enc == "ascii":
        return _AsciiDecoder()
    name = {"utf8": "utf-8", "latin1": "latin-1", "utf16le": "utf-16-le"}[enc]
    return codecs.getincrementaldecoder(name)(errors="replace")


class _AsciiDecoder:
    """Node's 'ascii' decoding: the high bit of every byte is dropped."""

    _table = bytes(range(128)) * 2

    def decode(self, data: bytes, final: bool = False) -> str:
        return bytes(data).translate(self._table).decode("ascii")


class _BinaryTextDecoder:
    """Node's StringDecoder for hex and base64 (base64 keeps partial groups for later)."""

    def __init__(self, encoding: str) -> None:
        self.encoding = encoding
        self.pending = b""

    def decode(self, data: bytes, final: bool = False) -> str:
        if self.encoding == "hex":
            return bytes(data).hex()
        data = self.pending + bytes(data)
        keep = 0 if final else len(data) % 3
        self.pending = data[len(data) - keep:] if keep else b""
        out = base64.b64encode(data[: len(data) - keep]).decode()
        if self.encoding == "base64url":
            out = out.replace("+", "-").replace("/", "_").rstrip("=")
        return out


decoder = _decoder
