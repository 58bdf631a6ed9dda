"""The arguments of ``net``: connect/listen argument forms, ports, hints, buffer sizes, address dicts.

Node's ``normalizeArgs`` (``(options[, cb])``, ``(port[, host][, cb])``,
``(path[, cb])``), its port and ``hints`` validation and the
``{address, family, port}`` objects of ``address()``.  ``net.Socket``
(socket.py), ``net.Server`` (net_server.py) and ``tls.connect``
(tls._objects.connect) all read their arguments with these functions, so a
bad port or a pipe name is told apart the same way everywhere.

Apart from socket.py because they are plain functions of their arguments,
with no socket or loop: kept in one place below the Socket and the Server
that both use them.
"""
from __future__ import annotations

import socket as _socket
from typing import Any, Callable, Dict, Optional, Sequence, Tuple

from .._base.errors import NodeRangeError, NodeTypeError
from .._base.options import OptionTable, take_options
from .._base.validators import received as _received

__all__ = ["_address_dict", "_family_name", "_high_water_mark", "_hints", "_is_pipe_name",
           "_normalize_connect_args", "_validate_port"]


def _family_name(family: Optional[int]) -> Optional[str]:
    if family == _socket.AF_INET6:
        return "IPv6"
    if family == _socket.AF_INET:
        return "IPv4"
    return None


def _address_dict(sockname: Any, family: Optional[int]) -> Optional[Dict[str, Any]]:
    if isinstance(sockname, tuple):
        return {"address": sockname[0], "family": _family_name(family), "port": sockname[1]}
    return None


def _hints(hints: Any) -> int:
    """Node's ``hints``: getaddrinfo flags (dns.ADDRCONFIG | dns.V4MAPPED ...), an integer."""
    if hints is None:
        return 0
    if isinstance(hints, bool) or not isinstance(hints, int) or hints < 0:
        raise NodeTypeError('The value "%r" is invalid for option "hints"' % (hints,), "ERR_INVALID_ARG_VALUE")
    flags: int = hints
    return flags


def _high_water_mark(value: Any, name: str) -> int:
    """Node's getHighWaterMark check of a stream option: a non-negative integer, else
    ERR_INVALID_ARG_VALUE naming ``options.<name>`` (a duplex names its readable/writable key)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0 \
            or (isinstance(value, float) and not value.is_integer()):
        raise NodeTypeError("The property 'options.%s' is invalid. Received %r" % (name, value),
                            "ERR_INVALID_ARG_VALUE")
    return int(value)


def _validate_port(port: Any, allow_zero: bool = True) -> int:
    if isinstance(port, str) and port.strip().isdigit():
        port = int(port)
    elif isinstance(port, float) and port.is_integer():
        port = int(port)
    if isinstance(port, bool) or not isinstance(port, int) or not 0 <= port <= 65535 \
            or (port == 0 and not allow_zero):
        raise NodeRangeError("Port should be %s 0 and < 65536. %s."
                             % (">=" if allow_zero else ">", _received(port)), "ERR_SOCKET_BAD_PORT")
    valid: int = port
    return valid


def _is_pipe_name(value: Any) -> bool:
    """Node's isPipeName: a string that is not a number."""
    if not isinstance(value, str):
        return False
    try:
        float(value)
    except ValueError:
        return True
    return False


def _normalize_connect_args(args: Sequence[Any], kwargs: Dict[str, Any], table: OptionTable, where: str
                            ) -> Tuple[Dict[str, Any], Optional[Callable[..., Any]]]:
    """Node's normalizeArgs: (options[, cb]) | (port[, host][, options][, cb]) | (path[, options][, cb]).

    An options object after port/host is merged over them (tls.connect's form;
    its host wins); keyword arguments are options too, taken by ``table``.
    """
    args = list(args)
    cb = args.pop() if args and callable(args[-1]) else None
    given: Any = None
    positional: Dict[str, Any] = {}
    if args and (args[0] is None or isinstance(args[0], dict)):
        given = args[0]
    elif args:
        first = args.pop(0)
        if _is_pipe_name(first):
            positional["path"] = first
        else:
            positional["port"] = first
        if args and isinstance(args[0], str):
            positional["host"] = args.pop(0)
        if args and isinstance(args[0], dict):
            given = args.pop(0)
    options = take_options(given, kwargs, table, where)
    if positional:
        options = {**positional, **options}
    if cb is None and callable(options.get("callback")):
        cb = options.pop("callback")
    return options, cb
