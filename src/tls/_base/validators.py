"""Node's ``internal/validators`` and the JavaScript value rules they rest on.

One place for what every layer checks its arguments with, so that a message
or a code is the same wherever it is raised: ``received`` is the
"Received ..." tail of Node's ERR_INVALID_ARG_TYPE messages, ``truthy`` is
JavaScript truthiness (None, False, 0, NaN and '' are falsy; [] and b'' are
not), and the ``validate_*`` functions raise Node's codes.  A name with a dot
(``options.ca``) is a property in the message, one without an argument.
"""
from __future__ import annotations

import math
from typing import Any, Optional

from .errors import NodeRangeError, NodeTypeError

__all__ = [
    "received", "num", "truthy", "is_number", "js_string", "BUFFER_TYPES", "MAX_SAFE_INTEGER",
    "invalid_arg_type", "invalid_arg_value", "out_of_range", "validate_function", "validate_string",
    "validate_buffer", "validate_integer",
]

BUFFER_TYPES = (bytes, bytearray, memoryview)
MAX_SAFE_INTEGER = 2 ** 53 - 1


def num(value: Any) -> str:
    """A number as JavaScript prints it (1.0 -> 1, NaN, Infinity)."""
    if isinstance(value, float):
        if math.isnan(value):
            return "NaN"
        if math.isinf(value):
            return "Infinity" if value > 0 else "-Infinity"
        if value.is_integer():
            return str(int(value))
    return str(value)


def received(value: Any) -> str:
    """The ``Received ...`` tail of Node's ERR_INVALID_ARG_TYPE messages."""
    if value is None:
        return "Received None"
    if isinstance(value, bool):
        return "Received type boolean (%r)" % value
    if isinstance(value, (int, float)):
        return "Received type number (%s)" % num(value)
    if isinstance(value, str):
        shown = value if len(value) <= 25 else value[:25] + "..."
        return "Received type string (%r)" % shown
    return "Received an instance of %s" % type(value).__name__


def truthy(value: Any) -> bool:
    """JavaScript truthiness: only None, False, 0, NaN and '' are falsy."""
    if value is None or value is False:
        return False
    if isinstance(value, str):
        return value != ""
    if isinstance(value, (int, float)):
        return not (value == 0 or (isinstance(value, float) and math.isnan(value)))
    return True


def is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def js_string(value: Any) -> str:
    """String(value) in JavaScript, for the values Python spells differently."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _kind(name: str, kind: Optional[str]) -> str:
    return kind or ("property" if "." in name else "argument")


def invalid_arg_type(name: str, expected: str, value: Any, kind: Optional[str] = None) -> NodeTypeError:
    return NodeTypeError('The "%s" %s must be %s. %s' % (name, _kind(name, kind), expected, received(value)),
                         "ERR_INVALID_ARG_TYPE")


def invalid_arg_value(name: str, value: Any, reason: str = "is invalid") -> NodeTypeError:
    return NodeTypeError("The %s '%s' %s. Received %r" % (_kind(name, None), name, reason, value),
                         "ERR_INVALID_ARG_VALUE")


def out_of_range(name: str, rng: str, value: Any) -> NodeRangeError:
    return NodeRangeError('The value of "%s" is out of range. It must be %s. Received %r' % (name, rng, value),
                          "ERR_OUT_OF_RANGE")


def validate_function(value: Any, name: str, kind: Optional[str] = None) -> None:
    if not callable(value):
        raise invalid_arg_type(name, "of type function", value, kind)


def validate_string(value: Any, name: str, kind: Optional[str] = None) -> None:
    if not isinstance(value, str):
        raise invalid_arg_type(name, "of type string", value, kind)


def validate_buffer(value: Any, name: str) -> bytes:
    if not isinstance(value, BUFFER_TYPES):
        raise invalid_arg_type(name, "an instance of Buffer, TypedArray, or DataView", value)
    return bytes(value)


def validate_integer(value: Any, name: str, lo: int = -MAX_SAFE_INTEGER, hi: int = MAX_SAFE_INTEGER) -> int:
    if not is_number(value):
        raise invalid_arg_type(name, "of type number", value)
    if isinstance(value, float) and not value.is_integer():
        raise out_of_range(name, "an integer", value)
    if not lo <= value <= hi:
        raise out_of_range(name, ">= %d && <= %d" % (lo, hi), value)
    return int(value)
