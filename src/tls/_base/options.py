"""One rule for option keys: every option is honoured or refused, never dropped.

Node takes an options object and reads the keys it knows; a key it does not
know is ignored, because programs pass one options object to several calls.
A Python port meets two new ways to get a key wrong, and both used to be
silent: the snake_case spelling Python users reach for (``request_cert=True``
turned client authentication *off* by being ignored) and a near-miss of a
camelCase key (``rejectUnauthorised``).  This module is the one place that
decides what an entry point does with each key it is given:

* every Node option has its camelCase name and a snake_case alias
  (``requestCert`` / ``request_cert``, ``ALPNProtocols`` / ``alpn_protocols``),
  in an options dict and as a keyword argument alike; the alias is turned into
  the camelCase key before anything reads the options;
* the same option in two spellings with different values is refused
  (``ERR_INVALID_ARG_VALUE``);
* an unknown *keyword argument* is refused (Python's rule for keywords), as a
  ``TypeError`` that names it;
* an unknown *dict key* that is a near miss of a known option (case and
  underscores aside, or one or two letters off) is refused with a "did you
  mean" hint; any other unknown dict key is ignored, as Node ignores it;
* a Node option this package does not implement is refused when it is given
  a value other than its default (``ERR_OPTION_NOT_IMPLEMENTED``), rather
  than silently doing nothing.

The tables below list each entry point's options; ``docs/options.md`` lists
them for users and ``tests/test_options.py`` holds the two to each other.
:func:`take_options` is called once at every entry point; options already
taken (the internal dicts one layer passes to the next) go through its fast
path, one set comparison.
"""
from __future__ import annotations

from typing import Any, Dict, FrozenSet, Iterable, List, Mapping, Optional, Tuple

from .aliases import snake_name
from .errors import NodeError, NodeTypeError
from .validators import received

__all__ = [
    "take_options", "OPTION_TABLES", "ALL_OPTIONS", "REFUSED_OPTIONS", "snake_alias", "OptionTable",
]


class OptionTable:
    """The option keys one entry point honours (camelCase) and their snake_case aliases."""

    __slots__ = ("name", "options", "aliases", "refused")

    def __init__(self, name: str, options: Iterable[str], implements: Iterable[str] = ()) -> None:
        self.name = name
        self.options: FrozenSet[str] = frozenset(options)
        self.aliases: Dict[str, str] = {}
        for option in self.options:
            snake = snake_alias(option)
            if snake != option:
                self.aliases[snake] = option
        # the options refused elsewhere that this entry point implements (listen's fd)
        self.refused: FrozenSet[str] = self.options & frozenset(REFUSED_OPTIONS) - frozenset(implements)

    def __repr__(self) -> str:
        return "<OptionTable %s: %d options>" % (self.name, len(self.options))


def snake_alias(option: str) -> str:
    """``requestCert`` -> ``request_cert``; an all-lower-case option is its own alias."""
    return snake_name(option) or option


# Node options this package does not implement: refused unless given their
# default (JavaScript's undefined, or the values listed), with the reason.
REFUSED_OPTIONS: Dict[str, Tuple[Tuple[Any, ...], str]] = {
    "fd": ((), "a net.Socket cannot adopt a descriptor yet: pass a connected socket as tls.connect's 'socket'"),
    "readable": ((False,), "only meaningful with 'fd', which is not implemented"),
    "writable": ((False,), "only meaningful with 'fd', which is not implemented"),
    "autoSelectFamilyAttemptTimeout": ((), "addresses are tried one after the other, each until it fails"),
    "stdio": ((), "a worker inherits the primary's stdio, or has none with 'silent'"),
    "inspectPort": ((), "there is no inspector to give a port to"),
}

# -- the tables (Node 20's documented options, plus the ones this port adds) -------------------

_SECURE_CONTEXT = (
    "allowPartialTrustChain", "ca", "cert", "sigalgs", "ciphers", "clientCertEngine", "crl", "dhparam",
    "ecdhCurve", "honorCipherOrder", "key", "privateKeyEngine", "privateKeyIdentifier", "maxVersion",
    "minVersion", "passphrase", "pfx", "secureOptions", "secureProtocol", "sessionIdContext", "ticketKeys",
    "sessionTimeout",
)
_NET_SOCKET = (
    "allowHalfOpen", "fd", "onread", "readable", "writable", "signal",
    "highWaterMark", "readableHighWaterMark", "writableHighWaterMark",
)
_NET_CONNECT = (
    "port", "host", "path", "localAddress", "localPort", "family", "hints", "lookup", "noDelay", "keepAlive",
    "keepAliveInitialDelay", "autoSelectFamily", "autoSelectFamilyAttemptTimeout", "timeout", "onread",
    "callback",
)
_NET_SERVER = ("allowHalfOpen", "pauseOnConnect", "noDelay", "keepAlive", "keepAliveInitialDelay",
               "highWaterMark")
_LISTEN = ("port", "host", "path", "backlog", "exclusive", "readableAll", "writableAll", "ipv6Only", "signal",
           "fd", "callback")
# What tls.TLSSocket reads itself, beside the secure-context and net.Socket options.
_TLS_SOCKET_OWN = (
    "isServer", "server", "requestCert", "rejectUnauthorized", "ALPNProtocols", "ALPNCallback", "NPNProtocols",
    "SNICallback", "session", "requestOCSP", "secureContext", "enableTrace", "pskCallback", "pskIdentityHint",
    "handshakeTimeout",
)
_TLS_SERVER_OWN = (
    "ALPNProtocols", "ALPNCallback", "NPNProtocols", "SNICallback", "enableTrace", "handshakeTimeout",
    "rejectUnauthorized", "requestCert", "pskCallback", "pskIdentityHint",
)
_TLS_CONNECT_OWN = (
    "enableTrace", "socket", "rejectUnauthorized", "pskCallback", "ALPNProtocols", "NPNProtocols", "servername",
    "checkServerIdentity", "session", "minDHSize", "secureContext", "requestOCSP",
)

# cluster.setupPrimary (tls.cluster)
_CLUSTER_SETUP = ("exec", "args", "execArgv", "silent", "cwd", "serialization", "uid", "gid", "windowsHide",
                  "stdio", "inspectPort")

OPTION_TABLES: Dict[str, OptionTable] = {}


def _table(name: str, *groups: Iterable[str], implements: Iterable[str] = ()) -> OptionTable:
    table = OPTION_TABLES[name] = OptionTable(name, (option for group in groups for option in group), implements)
    return table


SECURE_CONTEXT = _table("tls.createSecureContext", _SECURE_CONTEXT)
NET_SOCKET = _table("net.Socket", _NET_SOCKET)
NET_CONNECT = _table("net.connect", _NET_SOCKET, _NET_CONNECT)
SOCKET_CONNECT = _table("socket.connect", _NET_CONNECT)
NET_SERVER = _table("net.createServer", _NET_SERVER)
LISTEN = _table("server.listen", _LISTEN, implements=("fd",))
TLS_SOCKET = _table("tls.TLSSocket", _TLS_SOCKET_OWN, _SECURE_CONTEXT, _NET_SOCKET)
TLS_SERVER = _table("tls.createServer", _TLS_SERVER_OWN, _SECURE_CONTEXT, _NET_SERVER)
TLS_CONNECT = _table("tls.connect", _TLS_CONNECT_OWN, _SECURE_CONTEXT, _NET_SOCKET, _NET_CONNECT)
CLUSTER_SETUP = _table("cluster.setupPrimary", _CLUSTER_SETUP)
RENEGOTIATE = _table("tlsSocket.renegotiate", ("rejectUnauthorized", "requestCert"))

ALL_OPTIONS: FrozenSet[str] = frozenset(option for table in OPTION_TABLES.values() for option in table.options)
_ALL_ALIASES: Dict[str, str] = {alias: option for table in OPTION_TABLES.values()
                                for alias, option in table.aliases.items()}
_ANY_SPELLING: FrozenSet[str] = ALL_OPTIONS | frozenset(_ALL_ALIASES)


def _folded(key: str) -> str:
    return key.replace("_", "").replace("-", "").lower()


_FOLDED: Dict[str, str] = {_folded(option): option for option in ALL_OPTIONS}


# -- the rule ------------------------------------------------------------------------------------

def take_options(options: Any, kwargs: Optional[Mapping[str, Any]], table: OptionTable,
                 where: str = "options") -> Dict[str, Any]:
    """``options`` (a dict, or None) merged with ``kwargs``, every key in Node's spelling.

    Keyword arguments win over the dict's value of the same key (they are
    merged in); the same option under two spellings with different values is
    refused.  Raises ``ERR_INVALID_ARG_TYPE`` for options that are not a
    mapping, ``ERR_INVALID_ARG_VALUE`` (a TypeError) for an unknown keyword
    argument, a near-miss dict key or a conflict, and
    ``ERR_OPTION_NOT_IMPLEMENTED`` for a refused option given a value.
    The caller owns the returned dict.
    """
    if type(options) is dict:   # the common case, without isinstance's ABC machinery (once per socket)
        taken: Dict[str, Any] = options.copy()
    elif options is None:
        taken = {}
    elif isinstance(options, Mapping):
        taken = dict(options)
    else:
        # Node's validateObject(options, 'options'): the argument is "options" wherever it is
        raise NodeTypeError('The "options" argument must be of type object. ' + received(options),
                            "ERR_INVALID_ARG_TYPE")
    if not ALL_OPTIONS.issuperset(taken):
        _translate_dict(taken)
    if kwargs:
        _merge_keywords(taken, kwargs, table, where)
    if table.refused and not table.refused.isdisjoint(taken):
        _refuse(taken, table)
    return taken


def _translate_dict(taken: Dict[str, Any]) -> None:
    """Aliases to camelCase keys, near misses refused, other unknown keys kept (and ignored)."""
    for key in [key for key in taken if key not in ALL_OPTIONS]:
        if not isinstance(key, str):
            continue
        option = _ALL_ALIASES.get(key)
        if option is None:
            hint = near_miss(key)
            if hint is not None:
                raise NodeTypeError("The property 'options.%s' is not an option. Did you mean '%s' (or '%s')?"
                                    % (key, hint, snake_alias(hint)), "ERR_INVALID_ARG_VALUE")
            continue
        value = taken.pop(key)
        if option in taken and not _same(taken[option], value):
            raise _conflict(option, key, taken[option], value)
        taken[option] = value


def _merge_keywords(taken: Dict[str, Any], kwargs: Mapping[str, Any], table: OptionTable, where: str) -> None:
    for key, value in kwargs.items():
        if key in table.options:
            option = key
        else:
            option = table.aliases.get(key, "")
            if not option:
                raise _unknown_keyword(key, table, where)
            if option in taken and not _same(taken[option], value):
                raise _conflict(option, key, taken[option], value)
        if option == key and snake_alias(option) in kwargs and not _same(kwargs[snake_alias(option)], value):
            raise _conflict(option, snake_alias(option), value, kwargs[snake_alias(option)])
        taken[option] = value


def _refuse(taken: Mapping[str, Any], table: OptionTable) -> None:
    for option in table.refused:
        if option in taken:
            value = taken[option]
            defaults, reason = REFUSED_OPTIONS[option]
            if value is not None and not any(value is d or (type(value) is type(d) and value == d)
                                             for d in defaults):
                raise NodeError("The option '%s' (%s) is not implemented: %s. Received %r"
                                % (option, table.name, reason, value), "ERR_OPTION_NOT_IMPLEMENTED")


def _same(a: Any, b: Any) -> bool:
    if a is b:
        return True
    try:
        return bool(type(a) is type(b) and a == b)
    except Exception:  # an object whose == raises or is not a bool: not the same value
        return False


def _conflict(option: str, spelling: str, first: Any, second: Any) -> NodeTypeError:
    return NodeTypeError("The option '%s' is given twice with different values (as '%s': %r and as '%s': %r)"
                         % (option, option, first, spelling, second), "ERR_INVALID_ARG_VALUE")


def _unknown_keyword(key: str, table: OptionTable, where: str) -> NodeTypeError:
    hint = near_miss(key, table.options)
    if hint is None and key in _ANY_SPELLING:
        detail = " (an option of other calls, not of %s)" % table.name
    elif hint is not None:
        detail = ": did you mean %s= (or %s=)?" % (hint, snake_alias(hint))
    else:
        detail = ""
    return NodeTypeError("%s() got an unexpected keyword argument %r%s" % (where, key, detail),
                         "ERR_INVALID_ARG_VALUE")


def _distance(a: str, b: str, limit: int) -> int:
    """Optimal string alignment distance (a swap of neighbours counts one), cut off above ``limit``."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    previous2: List[int] = []
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            cost = 0 if ca == cb else 1
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                current[j] = min(current[j], previous2[j - 2] + 1)
        if min(current) > limit:
            return limit + 1
        previous2, previous = previous, current
    return previous[-1]


def near_miss(key: str, candidates: Iterable[str] = ALL_OPTIONS) -> Optional[str]:
    """The known option ``key`` is a near miss of, or None.

    Case, underscores and dashes are ignored; beyond that a key may be one
    letter off an option of 4 to 7 letters, two letters off a longer one.
    Keys shorter than 4 letters match only by case and underscores (``id``
    is not a misspelt ``ca``).
    """
    folded = _folded(key)
    candidates = frozenset(candidates)
    exact = _FOLDED.get(folded)
    if exact is not None and exact in candidates:
        return exact
    best: Optional[str] = None
    best_distance = 3
    for option in sorted(candidates):
        target = _folded(option)
        limit = 0 if len(target) < 4 else 1 if len(target) < 8 else 2
        if limit == 0:
            continue
        found = _distance(folded, target, min(limit, best_distance - 1))
        if found <= limit and found < best_distance:
            best, best_distance = option, found
    return best
