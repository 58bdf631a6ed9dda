"""The one rule for option keys (tls._base.options, docs/options.md).

Three layers of proof:

* the table in docs/options.md is the code's table (an option added to the code
  without a row, or a row the code does not take, fails here);
* every (option, entry point) pair of the table is probed in three spellings
  (camelCase dict key, snake_case dict key, snake_case keyword argument): each
  must have the same observable effect, and that effect must differ from not
  giving the option (a coded error for a bad value, or state the option sets);
* the options a misconfiguration of which is a security failure are proven
  against real peers in both spellings (client authentication, the identity
  check, protocol versions, secure options, cipher order, DH size, OCSP).
"""
from __future__ import annotations

import asyncio
import os
import socket
import ssl
import warnings
from typing import Any, Callable, Dict, List, Optional, Tuple

import pytest

import tls
from tls import cluster, net
from tls._base import options as _options
from tls._binding import lib
from tls._engine.context import SecureContext

from support.aio import async_test, once
from support.certs import Pems
from support.loopback import free_port, listen
from support.node import NODE_CLIENT, NodePeer
from support.openssl import s_server

HERE = os.path.dirname(os.path.abspath(__file__))
DOCS = os.path.join(os.path.dirname(HERE), "docs", "options.md")


# -- the table ------------------------------------------------------------------------------------

def expected_rows() -> List[str]:
    """The rows docs/options.md must hold, made from the code's tables."""
    rows = []
    for option in sorted(_options.ALL_OPTIONS, key=str.lower):
        entries = [name for name, table in _options.OPTION_TABLES.items() if option in table.options]
        refused = [name for name, table in _options.OPTION_TABLES.items() if option in table.refused]
        status = "honoured"
        if refused:
            status = "refused (`ERR_OPTION_NOT_IMPLEMENTED`) in %s: %s" % (", ".join(refused),
                                                                         _options.REFUSED_OPTIONS[option][1])
            if len(refused) < len(entries):
                status += "; honoured in " + ", ".join(e for e in entries if e not in refused)
        rows.append("| `%s` | `%s` | %s | %s |" % (option, _options.snake_alias(option), ", ".join(entries), status))
    return rows


def test_docs_table_is_the_code_table():
    with open(DOCS, encoding="utf-8") as f:
        documented = [line.rstrip("\n") for line in f if line.startswith("| `")]
    expected = expected_rows()
    assert documented == expected, "docs/options.md's table should read:\n" + "\n".join(expected)


def test_every_honoured_option_is_read_by_the_code():
    """A listed option that no module reads would be silently dropped."""
    source = ""
    for folder, _, names in os.walk(os.path.dirname(tls.__file__)):
        for name in sorted(names):
            if name.endswith(".py") and name != "options.py":
                with open(os.path.join(folder, name), encoding="utf-8") as f:
                    source += f.read()
    # no effect without a cluster, in Node as here (docs/options.md's notes)
    without_effect = {"exclusive"}
    for option in sorted(_options.ALL_OPTIONS - without_effect):
        if all(option in table.refused for table in _options.OPTION_TABLES.values() if option in table.options):
            continue
        assert '"%s"' % option in source, "%s is in a table but no module reads it" % option


# -- the rule itself --------------------------------------------------------------------------------

@pytest.mark.parametrize("table", sorted(_options.OPTION_TABLES))
def test_each_option_takes_both_spellings(table):
    rule = _options.OPTION_TABLES[table]
    for option in sorted(rule.options - rule.refused):
        snake = _options.snake_alias(option)
        value = object()
        for given, kwargs in (({option: value}, None), ({snake: value}, None), (None, {snake: value}),
                              (None, {option: value}), ({option: value}, {snake: value})):
            assert _options.take_options(given, kwargs, rule) == {option: value}, (option, given, kwargs)


def test_two_spellings_with_different_values_are_refused():
    with pytest.raises(tls.NodeError) as caught:
        tls.createSecureContext({"minVersion": "TLSv1.2"}, min_version="TLSv1.3")
    assert caught.value.code == "ERR_INVALID_ARG_VALUE" and "minVersion" in str(caught.value)
    with pytest.raises(tls.NodeError) as caught:
        tls.createSecureContext({"minVersion": "TLSv1.2", "min_version": "TLSv1.3"})
    assert caught.value.code == "ERR_INVALID_ARG_VALUE"
    with pytest.raises(tls.NodeError):
        tls.createSecureContext(minVersion="TLSv1.2", min_version="TLSv1.3")
    # the same value twice is one option; the same spelling in the dict and the keywords: the keyword wins
    assert tls.createSecureContext({"minVersion": "TLSv1.3"}, min_version="TLSv1.3").getMinProto() == 0x304
    assert tls.createSecureContext({"minVersion": "TLSv1.2"}, minVersion="TLSv1.3").getMinProto() == 0x304


@pytest.mark.parametrize("key, hint", [
    ("rejectUnauthorised", "rejectUnauthorized"), ("RequestCert", "requestCert"),
    ("checkserveridentity", "checkServerIdentity"), ("ALPN_protocols", "ALPNProtocols"),
    ("sessionTimeOut", "sessionTimeout"), ("ciphres", "ciphers"), ("certs", "cert"), ("server_name", "servername"),
])
def test_near_miss_dict_keys_are_refused_with_a_hint(key, hint):
    with pytest.raises(tls.NodeError) as caught:
        tls.createSecureContext({key: True})
    assert caught.value.code == "ERR_INVALID_ARG_VALUE"
    assert "'%s'" % hint in str(caught.value) and key in str(caught.value)


@pytest.mark.parametrize("key", ["id", "agent", "hostname", "headers", "method", "my_setting", "ALPN"])
def test_other_unknown_dict_keys_are_ignored_as_node_does(key):
    assert tls.createSecureContext({key: object(), "minVersion": "TLSv1.3"}).getMinProto() == 0x304


def test_unknown_keyword_arguments_are_refused():
    with pytest.raises(TypeError) as caught:
        tls.createSecureContext(rejectUnauthorised=True)
    assert "rejectUnauthorised" in str(caught.value) and getattr(caught.value, "code") == "ERR_INVALID_ARG_VALUE"
    with pytest.raises(TypeError, match="'frobnicate'"):
        tls.createSecureContext(frobnicate=1)
    # an option of another call is not one of this call's keywords
    with pytest.raises(TypeError, match="servername.*not of tls.createSecureContext"):
        tls.createSecureContext(servername="x")


# -- every option at every entry point, in three spellings ------------------------------------------

ANY_CHANGE = object()   # Sets.expected: anything but what the call gives without the option


class Raises:
    """Giving ``value`` raises a NodeError with ``code`` (whose message names the option when ``names``)."""

    def __init__(self, value: Any, code: Optional[str], extra: Optional[Dict[str, Any]] = None,
                 names: bool = True) -> None:
        self.value, self.code, self.extra, self.names = value, code, extra or {}, names


class Sets:
    """Giving ``value`` makes ``observe(result)`` equal ``expected``; without it, it differs.

    ``wait``: an event of the result to wait for first ('connect', 'lookup', 'listening').
    """

    def __init__(self, value: Any, observe: Callable[[Any], Any], expected: Any = ANY_CHANGE,
                 extra: Optional[Dict[str, Any]] = None, wait: Optional[str] = None) -> None:
        self.value, self.observe, self.expected, self.extra, self.wait = value, observe, expected, extra or {}, wait


def _ctx_options(context: SecureContext) -> int:
    return int(lib.SSL_CTX_get_options(context._ctx))


_SERVER_PREFERENCE = int(lib.SSL_OP_CIPHER_SERVER_PREFERENCE)
_NO_TICKET = int(lib.SSL_OP_NO_TICKET)
_PARTIAL_CHAIN_CALLS: List[SecureContext] = []
_PICKED: Dict[str, Any] = {}    # the values _materialise picked (a free port, a listening socket)


def _context_of(result: Any) -> SecureContext:
    if isinstance(result, SecureContext):
        return result
    if isinstance(result, tls.Server):
        return result._shared_creds
    return result._secure_context


def _type_error(value: Any = 123, **extra: Any) -> Raises:
    return Raises(value, "ERR_INVALID_ARG_TYPE", extra)


def _lookup(result: Any) -> Any:
    err, address, family = result._lookup_seen
    return (getattr(err, "code", None), family)


_SERVER_ONLY = {"isServer": True}

# The probe of each option; an (option, table) key overrides it for one table's entry points.
PROBES: Dict[Any, Any] = {
    "ca": _type_error(), "cert": _type_error(), "key": _type_error(), "ciphers": _type_error(),
    "sigalgs": _type_error(), "crl": _type_error(), "dhparam": _type_error(), "ecdhCurve": _type_error(),
    "clientCertEngine": _type_error(), "sessionIdContext": _type_error(),
    "minVersion": Raises("TLSv9", "ERR_TLS_INVALID_PROTOCOL_VERSION", names=False),
    "maxVersion": Raises("TLSv9", "ERR_TLS_INVALID_PROTOCOL_VERSION", names=False),
    "secureProtocol": Raises("bogus_method", "ERR_TLS_INVALID_PROTOCOL_METHOD", names=False),
    "secureOptions": Sets(_NO_TICKET, lambda r: _ctx_options(_context_of(r)) & _NO_TICKET, _NO_TICKET),
    "honorCipherOrder": Sets(True, lambda r: _ctx_options(_context_of(r)) & _SERVER_PREFERENCE,
                             _SERVER_PREFERENCE),
    # a server honours its cipher order unless told not to (Node's default)
    ("honorCipherOrder", "setSecureContext"): Sets(False, lambda r: _ctx_options(_context_of(r))
                                                   & _SERVER_PREFERENCE, 0),
    ("honorCipherOrder", "tls.createServer"): Sets(False, lambda r: _ctx_options(_context_of(r))
                                                   & _SERVER_PREFERENCE, 0),
    "allowPartialTrustChain": Sets(True, lambda r: _context_of(r) in _PARTIAL_CHAIN_CALLS, True),
    "ticketKeys": Raises(b"too short", "ERR_INVALID_ARG_VALUE"),
    "sessionTimeout": Raises(-5, "ERR_OUT_OF_RANGE"),
    # Node's PKCS#12 errors have no code either ("not enough data")
    "pfx": Raises(b"not a PKCS#12 blob", None, names=False),
    "passphrase": _type_error(extra_key="KEY"),
    "privateKeyIdentifier": _type_error(privateKeyEngine="x"),
    "privateKeyEngine": _type_error(privateKeyIdentifier="x"),
    # TLS
    ("ALPNProtocols", "tls.createServer"): Sets(["h2"], lambda r: bytes(r.ALPNProtocols or b""), b"\x02h2"),
    ("NPNProtocols", "tls.createServer"): Sets(["h2"], lambda r: bytes(r.NPNProtocols or b""), b"\x02h2"),
    ("NPNProtocols", "tls.TLSSocket"): Sets(["h2"], lambda r: r._conn.npn_wired, True),
    ("NPNProtocols", "tls.connect"): Sets(["h2"], lambda r: r._conn.npn_wired, True),
    "ALPNCallback": Sets(print, lambda r: r.ALPNCallback, print),   # called (and validated) per connection
    ("ALPNCallback", "tls.TLSSocket"): _type_error(**_SERVER_ONLY),
    "SNICallback": _type_error(),
    ("SNICallback", "tls.TLSSocket"): _type_error(**_SERVER_ONLY),
    "pskCallback": _type_error(),
    "pskIdentityHint": _type_error(),
    ("pskIdentityHint", "tls.TLSSocket"): _type_error(pskCallback="CALLBACK"),
    "handshakeTimeout": _type_error("soon"),
    ("handshakeTimeout", "tls.TLSSocket"): Sets(1000, lambda r: r._handshake_timer is not None, True),
    "checkServerIdentity": _type_error(),
    "enableTrace": _type_error(),   # a boolean; true traces to stderr (tests/test_x509_certificate.py)
    "minDHSize": Raises(-1, "ERR_OUT_OF_RANGE"),
    "session": Raises(123, "ERR_INVALID_ARG_TYPE", names=False),
    "servername": Raises(123, "ERR_INVALID_ARG_TYPE", names=False),
    "requestOCSP": Sets(True, lambda r: r._conn.ocsp is not None, True),
    "secureContext": Raises(123, "ERR_TLS_INVALID_CONTEXT", names=False),
    "requestCert": Sets(True, lambda r: r.requestCert, True),
    ("requestCert", "tls.TLSSocket"): Sets(True, lambda r: r._requestCert, True, extra=_SERVER_ONLY),
    ("requestCert", "tlsSocket.renegotiate"): Sets(True, lambda r: r._requestCert, True),
    "rejectUnauthorized": Sets(False, lambda r: r.rejectUnauthorized, False),
    ("rejectUnauthorized", "tls.TLSSocket"): Sets(True, lambda r: r._rejectUnauthorized, True),
    ("rejectUnauthorized", "tls.connect"): Sets(False, lambda r: r._rejectUnauthorized, False),
    ("rejectUnauthorized", "tlsSocket.renegotiate"): Sets(True, lambda r: r._rejectUnauthorized, True),
    "isServer": Sets(True, lambda r: r._is_server, True),
    "server": Sets("SERVER", lambda r: r.server is _PICKED["SERVER"], True),
    "socket": Sets("SOCKET", lambda r: r._parent is _PICKED["SOCKET"], True),
    # net
    "allowHalfOpen": Sets(True, lambda r: r.allowHalfOpen, True),
    # Node 20 names a duplex's own key: "The property 'options.readableHighWaterMark' is invalid"
    "highWaterMark": Raises(-1, "ERR_INVALID_ARG_VALUE", names=False),
    # a server takes a negative one as the default, and refuses only a non-number (Node 20's net.Server)
    ("highWaterMark", "net.createServer"): Raises("x", "ERR_INVALID_ARG_TYPE"),
    ("highWaterMark", "tls.createServer"): Raises("x", "ERR_INVALID_ARG_TYPE"),
    "readableHighWaterMark": Raises(-1, "ERR_INVALID_ARG_VALUE"),
    "writableHighWaterMark": Raises(-1, "ERR_INVALID_ARG_VALUE"),
    "port": Raises(-1, "ERR_SOCKET_BAD_PORT", names=False),
    "host": Raises(123, "ERR_INVALID_ARG_TYPE", names=False),
    "path": _type_error(),
    "hints": Raises(-1, "ERR_INVALID_ARG_VALUE"),
    "lookup": Raises(5, "ERR_INVALID_ARG_TYPE"),  # called as Node calls it: tests/test_node_differences_options.py
    # an AbortSignal, else Node's ERR_INVALID_ARG_TYPE; aborting destroys / closes: tests/test_abort.py
    "signal": Raises("x", "ERR_INVALID_ARG_TYPE"),
    "onread": Raises(5, "ERR_INVALID_ARG_TYPE"),  # read into the buffer: tests/net/test_net_onread.py
    "autoSelectFamily": _type_error("yes"),
    "noDelay": Sets(True, lambda r: r._no_delay, True),
    ("noDelay", "net.createServer"): Sets(True, lambda r: r.noDelay, True),
    ("noDelay", "tls.createServer"): Sets(True, lambda r: r.noDelay, True),
    "keepAlive": Sets(True, lambda r: r._keep_alive, (True, 0)),
    ("keepAlive", "net.createServer"): Sets(True, lambda r: r.keepAlive, True),
    ("keepAlive", "tls.createServer"): Sets(True, lambda r: r.keepAlive, True),
    "keepAliveInitialDelay": Sets(500, lambda r: r._keep_alive, (True, 500), extra={"keepAlive": True}),
    ("keepAliveInitialDelay", "net.createServer"): Sets(500, lambda r: r.keepAliveInitialDelay, 500),
    ("keepAliveInitialDelay", "tls.createServer"): Sets(500, lambda r: r.keepAliveInitialDelay, 500),
    "timeout": Sets(1500, lambda r: r._timeout_ms, 1500),
    "callback": Sets("CALLBACK", lambda r: (r.listenerCount("connect"), r.listenerCount("secureConnect"),
                                            r.listenerCount("listening"))),
    "pauseOnConnect": Sets(True, lambda r: r.pauseOnConnect, True),
    "backlog": Sets(7, lambda r: r._backlog, 7),
    "exclusive": Sets(True, lambda r: r.listening, True, wait="listening"),   # see WITHOUT_EFFECT
    "ipv6Only": Sets(True, lambda r: r._sock.getsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY), 1,
                     extra={"host": "::"}),
    "readableAll": Sets(True, lambda r: os.stat(r._path).st_mode & 0o044, 0o044, extra={"path": "PATH"}),
    "writableAll": Sets(True, lambda r: os.stat(r._path).st_mode & 0o022, 0o022, extra={"path": "PATH"}),
    "fd": Sets("LISTENING_FD", lambda r: r.address()["port"] == _PICKED["LISTENING_FD"], True),
    # cluster.setupPrimary: the settings the next fork() uses (tests/cluster run real workers with them)
    "exec": Sets("/srv/app.py", lambda r: r["exec"], "/srv/app.py"),
    "args": Sets(["--port", "1"], lambda r: r["args"], ["--port", "1"]),
    "execArgv": Sets(["-X", "dev"], lambda r: r["execArgv"], ["-X", "dev"]),
    "silent": Sets(True, lambda r: r["silent"], True),
    "cwd": _type_error(),
    "serialization": Raises("advanced", "ERR_INVALID_ARG_VALUE"),
    "uid": _type_error("root"),
    "gid": _type_error("wheel"),
    "windowsHide": Sets(True, lambda r: r["windowsHide"], True),
    # real connections to a listener of the test (and a lookup that the family changes)
    "family": Sets(6, _lookup, ANY_CHANGE, extra={"host": "localhost"}, wait="lookup"),
    "localAddress": Sets("127.0.0.2", lambda r: r.localAddress, "127.0.0.2", wait="connect"),
    "localPort": Sets("FREE_PORT", lambda r: r.localPort == _PICKED["FREE_PORT"], True, wait="connect"),
}

# (option, table) pairs whose effect cannot be seen without a handshake: proven by these tests below,
# against real peers, in both spellings.
PEER_PROOFS = {
    ("ALPNProtocols", "tls.TLSSocket"): "test_alpn_protocols_both_spellings_against_node",
    ("ALPNProtocols", "tls.connect"): "test_alpn_protocols_both_spellings_against_node",
}


# (option, entry point) pairs where Node gives the option no effect, and so does this package
# (each spelling is still taken without an error)
WITHOUT_EFFECT = {
    ("allowHalfOpen", "createSecurePair"): "a TLSSocket over a socket takes that socket's allowHalfOpen",
    ("exclusive", "net listen"): "no effect without a cluster",
    ("exclusive", "tls listen"): "no effect without a cluster",
    ("windowsHide", "setupPrimary"): "no effect off Windows",
}


def _passphrase_fix() -> None:
    # _type_error(extra_key=...) reads as "the extra option key = KEY"
    probe = PROBES["passphrase"]
    probe.extra = {"key": probe.extra.pop("extra_key")}


_passphrase_fix()


def _entry_points(table: str, target: Dict[str, Any]) -> List[Tuple[str, Callable[[Dict[str, Any], bool], Any]]]:
    """(name, call(options, as_keywords)) for each call that takes ``table``'s options;
    ``target``: where connecting calls connect (a listener of the test)."""
    def connect_opts(options: Dict[str, Any]) -> Dict[str, Any]:
        if "path" in options or "port" in options or "socket" in options:
            return options
        return {**target, **options}

    def call(fn: Callable[..., Any], *args: Any) -> Callable[[Dict[str, Any], bool], Any]:
        return lambda options, kw: fn(*args, **options) if kw else fn(*args, options)

    def connecting(fn: Callable[..., Any]) -> Callable[[Dict[str, Any], bool], Any]:
        return lambda options, kw: fn(**connect_opts(options)) if kw else fn(connect_opts(options))

    if table == "tls.createSecureContext":
        return [("createSecureContext", call(tls.createSecureContext)),
                ("setSecureContext", _set_secure_context), ("addContext", _add_context)]
    if table == "tls.createServer":
        return [("createServer", call(tls.createServer)), ("Server", call(tls.Server))]
    if table == "tls.connect":
        return [("connect", connecting(tls.connect))]
    if table == "tls.TLSSocket":
        return [("TLSSocket", call(tls.TLSSocket, None)), ("createSecurePair", _secure_pair)]
    if table == "net.Socket":
        return [("Socket", call(net.Socket))]
    if table == "net.connect":
        return [("net.connect", connecting(net.connect))]
    if table == "socket.connect":
        return [("Socket.connect", connecting(lambda *a, **k: net.Socket().connect(*a, **k)))]
    if table == "net.createServer":
        return [("net.createServer", call(net.createServer))]
    if table == "server.listen":
        return [("net listen", lambda o, kw: _listen(net.createServer(), o, kw)),
                ("tls listen", lambda o, kw: _listen(tls.createServer(), o, kw))]
    if table == "tlsSocket.renegotiate":
        return [("renegotiate", _renegotiate)]
    if table == "cluster.setupPrimary":
        return [("setupPrimary", _setup_primary)]
    raise AssertionError("no entry point for %s" % table)


def _set_secure_context(options: Dict[str, Any], kw: bool) -> Any:
    server = tls.Server()
    server.setSecureContext(**options) if kw else server.setSecureContext(options)
    return server


def _add_context(options: Dict[str, Any], kw: bool) -> Any:
    if kw:
        return None   # addContext(hostname, context) takes no keyword options, as in Node
    server = tls.Server()
    server.addContext("example.org", options)
    return server._contexts[-1][1]


def _secure_pair(options: Dict[str, Any], kw: bool) -> Any:
    if kw:
        return None   # createSecurePair's options are a positional dict, as in Node
    is_server = bool(options.get("isServer", options.get("is_server")))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)   # DEP0064 itself: node_ports/test_legacy_deprecated
        return tls.createSecurePair(None, is_server, None, False, options).cleartext


def _setup_primary(options: Dict[str, Any], kw: bool) -> Any:
    """The settings setupPrimary makes from ``options`` (from the defaults each time: they are sticky)."""
    saved = cluster.settings
    cluster.settings = {}
    try:
        cluster.setupPrimary(**options) if kw else cluster.setupPrimary(options)
        return dict(cluster.settings)
    finally:
        cluster.settings = saved


def _renegotiate(options: Dict[str, Any], kw: bool) -> Any:
    if kw:
        return None   # renegotiate(options, callback) takes a dict, as in Node
    sock = tls.TLSSocket(None, {"isServer": True})
    sock.renegotiate(options, lambda err: None)
    return sock


def _listen(server: Any, options: Dict[str, Any], kw: bool) -> Any:
    if not any(k in options for k in ("port", "path", "fd")):
        options = {"port": 0, "host": "127.0.0.1", **options}
    server.listen(**options) if kw else server.listen(options)
    return server


def _cases() -> List[Tuple[str, str]]:
    return sorted((option, table) for table, rule in _options.OPTION_TABLES.items()
                  for option in rule.options - rule.refused if (option, table) not in PEER_PROOFS)


def _probe(option: str, table: str, entry: str = "") -> Any:
    return PROBES.get((option, entry)) or PROBES.get((option, table)) or PROBES.get(option)


def test_every_option_is_proven():
    missing = [case for case in _cases() if _probe(*case) is None]
    assert not missing, "options without a probe: %r" % missing
    for test_name in PEER_PROOFS.values():
        assert callable(globals().get(test_name)), test_name


def _materialise(value: Any, pems: Pems, tmp: str, made: List[Any]) -> Any:
    """The probe placeholders that need this test's files or objects."""
    if not isinstance(value, str) or not value.isupper():
        return value
    if value == "KEY":
        return pems.key
    if value == "PATH":
        return os.path.join(tmp, "probe-%d.sock" % len(made))
    if value == "SERVER":
        picked: Any = tls.Server()
    elif value == "SOCKET":
        picked = net.Socket()
    elif value == "CALLBACK":
        picked = lambda *args: None  # noqa: E731
    elif value == "FREE_PORT":
        picked = free_port()
    elif value == "LISTENING_FD":
        bound = socket.socket()
        bound.bind(("127.0.0.1", 0))
        made.append(bound)
        _PICKED[value] = bound.getsockname()[1]
        return bound.fileno()
    else:
        return value
    made.append(picked)
    _PICKED[value] = picked
    return picked


def _dispose(thing: Any) -> None:
    if isinstance(thing, socket.socket):
        thing.close()
    elif isinstance(thing, (tls.Server, net.Server)):
        if thing.listening:
            thing.close()
    elif hasattr(thing, "destroy"):
        if hasattr(thing, "on"):
            thing.on("error", lambda err: None)
        thing.destroy()


@pytest.mark.parametrize("option, table", _cases())
def test_option_in_three_spellings(option, table, pems, monkeypatch, tmp_path, request):
    probe = _probe(option, table)
    if option == "allowPartialTrustChain":
        real = SecureContext.setAllowPartialTrustChain

        def spy(self: SecureContext) -> None:
            _PARTIAL_CHAIN_CALLS.append(self)
            real(self)
        monkeypatch.setattr(SecureContext, "setAllowPartialTrustChain", spy)

    if option in ("readableAll", "writableAll"):
        # a socket file then has no permission bit for others unless the option adds it
        previous_umask = os.umask(0o077)
        request.addfinalizer(lambda: os.umask(previous_umask))

    @async_test(20)
    async def run() -> None:
        made: List[Any] = []
        listener = await asyncio.start_server(lambda r, w: None, "127.0.0.1", 0)
        target = {"port": listener.sockets[0].getsockname()[1], "host": "127.0.0.1"}
        snake = _options.snake_alias(option)
        try:
            for entry, call in _entry_points(table, target):
                probe = _probe(option, table, entry)
                observed = []
                for spelling, as_keywords in ((option, False), (snake, False), (snake, True)):
                    extra = {k: _materialise(v, pems, str(tmp_path), made) for k, v in probe.extra.items()}
                    options = {**extra, spelling: _materialise(probe.value, pems, str(tmp_path), made)}
                    outcome = await _outcome(probe, call, options, as_keywords, made)
                    if outcome is not _NOT_APPLICABLE:
                        observed.append(outcome)
                assert observed, "%s: no spelling applies at %s" % (option, entry)
                assert all(o == observed[0] for o in observed), (entry, observed)
                if isinstance(probe, Raises):
                    code, message = observed[0]
                    assert code == probe.code, (entry, observed[0])
                    if probe.names:
                        assert option in message, (entry, message)
                    continue
                if (option, entry) in WITHOUT_EFFECT:
                    continue
                if probe.expected is not ANY_CHANGE:
                    assert observed[0] == probe.expected, (entry, observed[0])
                extra = {k: _materialise(v, pems, str(tmp_path), made) for k, v in probe.extra.items()}
                baseline = await _outcome(probe, call, extra, False, made)
                assert baseline != observed[0], "%s at %s: the probe cannot fail" % (option, entry)
        finally:
            for thing in made:
                _dispose(thing)
            listener.close()

    run()


_NOT_APPLICABLE = object()




async def _outcome(probe: Any, call: Callable[[Dict[str, Any], bool], Any], options: Dict[str, Any],
                   as_keywords: bool, made: List[Any]) -> Any:
    loop = asyncio.get_running_loop()
    try:
        result = call(dict(options), as_keywords)
    except tls.NodeError as err:
        if isinstance(probe, Raises):
            return (err.code, str(err))
        raise
    if result is None:
        return _NOT_APPLICABLE
    made.append(result)
    if isinstance(probe, Raises):
        # an error that reaches the 'error' event instead (listen, connect) counts too
        failed: "asyncio.Future[BaseException]" = loop.create_future()
        result.on("error", lambda err: failed.done() or failed.set_result(err))
        err = await asyncio.wait_for(failed, 5)
        return (getattr(err, "code", None), str(err))
    if probe.wait == "lookup":
        seen: "asyncio.Future[Any]" = loop.create_future()
        result.on("lookup", lambda err, address, family, host: seen.done() or seen.set_result((err, address,
                                                                                                 family)))
        result.on("error", lambda err: None)
        result._lookup_seen = await asyncio.wait_for(seen, 5)
    elif probe.wait is not None and not (probe.wait == "listening" and result.listening):
        # registered now: the event may be queued already (a task would start after it)
        done: "asyncio.Future[Any]" = loop.create_future()
        result.once(probe.wait, lambda *args: done.done() or done.set_result(args))
        await asyncio.wait_for(done, 5)
    return probe.observe(result)


# -- real peers, both spellings ---------------------------------------------------------------------

SPELLINGS = ["camelCase", "snake_case"]


def _spelt(spelling: str, **options: Any) -> Dict[str, Any]:
    """Options in one spelling: the keyword names are camelCase."""
    if spelling == "camelCase":
        return options
    return {_options.snake_alias(name): value for name, value in options.items()}


@pytest.mark.parametrize("spelling", SPELLINGS)
@async_test(30)
async def test_client_authentication_both_spellings_against_node(spelling, pems):
    """The issue's case: request_cert/reject_unauthorized must refuse a client with no certificate."""
    server = tls.createServer({"key": pems.key, "cert": pems.cert, "ca": [pems.ca],
                               **_spelt(spelling, requestCert=True, rejectUnauthorized=True)})
    client_errors: List[Any] = []
    server.on("tlsClientError", lambda err, sock: client_errors.append(err))
    port = await listen(server)
    try:
        async with NodePeer(NODE_CLIENT, {"port": port, "ca": pems.path("ca"), "options": {"servername": "localhost"},
                                          "send": "hi"}) as peer:
            report = await peer.expect("error")
            assert report["error"]["code"] in ("ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED", "ECONNRESET",
                                               "ERR_SSL_SSLV3_ALERT_HANDSHAKE_FAILURE")
        async with NodePeer(NODE_CLIENT, {"port": port, "ca": pems.path("ca"), "key": pems.path("client_key"),
                                          "cert": pems.path("client_cert"), "send": "hi",
                                          "options": {"servername": "localhost"}}) as peer:
            report = await peer.expect("secureConnect")
            assert report["authorized"] is True
        assert client_errors and client_errors[0].code in ("ERR_SSL_PEER_DID_NOT_RETURN_A_CERTIFICATE",)
    finally:
        server.close()


@pytest.mark.parametrize("spelling", SPELLINGS)
@async_test(30)
async def test_check_server_identity_both_spellings_against_openssl(spelling, pems):
    """A pinning check must run: it refuses a server the chain check accepts."""
    peer, port = await s_server(["-key", pems.path("key"), "-cert", pems.path("cert"), "-naccept", "1"])
    seen: List[Any] = []

    def pin(host: str, cert: Dict[str, Any]) -> Any:
        seen.append(cert["fingerprint256"])
        return tls.NodeError("pinned certificate mismatch", "ERR_PINNED")

    try:
        sock = tls.connect({"port": port, "host": "127.0.0.1", "servername": "localhost", "ca": [pems.ca],
                            **_spelt(spelling, checkServerIdentity=pin)})
        with pytest.raises(tls.NodeError) as caught:
            await once(sock, "secureConnect")
        assert caught.value.code == "ERR_PINNED" and len(seen) == 1
    finally:
        await peer.close()


def _python_client(port: int, maximum: ssl.TLSVersion, ca_file: str) -> str:
    context = ssl.create_default_context(cafile=ca_file)
    context.maximum_version = maximum
    with socket.create_connection(("127.0.0.1", port), timeout=10) as raw:
        try:
            with context.wrap_socket(raw, server_hostname="localhost") as conn:
                return str(conn.version())
        except ssl.SSLError as err:
            return "refused: %s" % err.reason


@pytest.mark.parametrize("spelling", SPELLINGS)
@async_test(30)
async def test_min_version_and_secure_options_both_spellings_against_python_ssl(spelling, pems):
    loop = asyncio.get_running_loop()
    strict = tls.createServer({"key": pems.key, "cert": pems.cert, **_spelt(spelling, minVersion="TLSv1.3")})
    no_tls13 = tls.createServer({"key": pems.key, "cert": pems.cert,
                                 **_spelt(spelling, secureOptions=int(lib.SSL_OP_NO_TLSv1_3))})
    try:
        strict_port, no_tls13_port = await listen(strict), await listen(no_tls13)
        got = await loop.run_in_executor(None, _python_client, strict_port, ssl.TLSVersion.TLSv1_2,
                                         pems.path("ca"))
        assert got.startswith("refused"), got
        got = await loop.run_in_executor(None, _python_client, strict_port, ssl.TLSVersion.TLSv1_3,
                                         pems.path("ca"))
        assert got == "TLSv1.3"
        got = await loop.run_in_executor(None, _python_client, no_tls13_port, ssl.TLSVersion.TLSv1_3,
                                         pems.path("ca"))
        assert got == "TLSv1.2"
    finally:
        strict.close()
        no_tls13.close()


@pytest.mark.parametrize("spelling", SPELLINGS)
@async_test(30)
async def test_max_version_and_honor_cipher_order_both_spellings_against_node(spelling, pems):
    """The client's max_version caps the protocol; the server's cipher order wins only when honoured."""
    ciphers = "ECDHE-RSA-AES128-GCM-SHA256:ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-AES128-GCM-SHA256:" \
              "ECDHE-ECDSA-AES256-GCM-SHA384"
    reversed_ciphers = ":".join(reversed(ciphers.split(":")))
    for honour, expect_server_order in ((True, True), (False, False)):
        server = tls.createServer({"key": pems.key, "cert": pems.cert, "ciphers": ciphers,
                                   **_spelt(spelling, honorCipherOrder=honour, maxVersion="TLSv1.2")})
        port = await listen(server)
        try:
            async with NodePeer(NODE_CLIENT, {"port": port, "ca": pems.path("ca"),
                                              "options": {"servername": "localhost", "ciphers": reversed_ciphers,
                                                          "maxVersion": "TLSv1.2"}, "send": "x"}) as peer:
                report = await peer.expect("secureConnect")
            assert report["protocol"] == "TLSv1.2"
            first_of = ciphers if expect_server_order else reversed_ciphers
            wanted = [c for c in first_of.split(":") if ("ECDSA" in c) == ("ECDSA" in report["cipher"]["name"])]
            assert report["cipher"]["name"] == wanted[0], (honour, report["cipher"])
        finally:
            server.close()


@pytest.mark.parametrize("spelling", SPELLINGS)
@async_test(30)
async def test_alpn_protocols_both_spellings_against_node(spelling, pems):
    node_server = r"""
const server = tls.createServer(Object.assign(tlsOptions(), {ALPNProtocols: ['h2', 'http/1.1']}), (s) => {
  report({event: 'secure', alpn: s.alpnProtocol}); s.end();
});
server.listen(0, '127.0.0.1', () => report({event: 'listening', port: server.address().port}));
"""
    async with NodePeer(node_server, pems.node_server_cfg()) as peer:
        port = (await peer.expect("listening"))["port"]
        sock = tls.connect({"port": port, "host": "127.0.0.1", "servername": "localhost", "ca": [pems.ca],
                            **_spelt(spelling, ALPNProtocols=["http/1.1"])})
        await once(sock, "secureConnect")
        assert sock.alpnProtocol == "http/1.1"
        assert (await peer.expect("secure"))["alpn"] == "http/1.1"
        sock.destroy()
        raw = net.connect({"port": port, "host": "127.0.0.1"})
        await once(raw, "connect")
        wrapped = tls.TLSSocket(raw, {"ca": [pems.ca], **_spelt(spelling, ALPNProtocols=["h2"])})
        wrapped._start()
        await once(wrapped, "secure")
        assert wrapped.alpnProtocol == "h2"
        wrapped.destroy()


@pytest.mark.parametrize("spelling", SPELLINGS)
@async_test(30)
async def test_streams_snake_case_client_authentication_against_node(spelling, pems):
    server = await tls.streams.start_server(lambda r, w: w.close(), "127.0.0.1", 0, key=pems.key, cert=pems.cert,
                                            ca=[pems.ca], **_spelt(spelling, requestCert=True,
                                                                   rejectUnauthorized=True))
    port = server.sockets[0].getsockname()[1]
    async with server:
        async with NodePeer(NODE_CLIENT, {"port": port, "ca": pems.path("ca"),
                                          "options": {"servername": "localhost"}, "send": "x"}) as peer:
            report = await peer.expect("error")
            assert report["error"]["code"] in ("ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED", "ECONNRESET")


# -- refused options ----------------------------------------------------------------------------------

def _refused_cases() -> List[Tuple[str, str]]:
    return sorted((option, table) for table, rule in _options.OPTION_TABLES.items() for option in rule.refused)


@pytest.mark.parametrize("option, table", _refused_cases())
def test_refused_options_raise_unless_default(option, table):
    defaults, reason = _options.REFUSED_OPTIONS[option]
    rule = _options.OPTION_TABLES[table]
    for spelling in (option, _options.snake_alias(option)):
        with pytest.raises(tls.NodeError) as caught:
            _options.take_options({spelling: "something"}, None, rule)
        assert caught.value.code == "ERR_OPTION_NOT_IMPLEMENTED" and option in str(caught.value)
        for default in (None,) + defaults:
            assert _options.take_options({spelling: default}, None, rule) == {option: default}


@async_test(15)
async def test_refused_options_at_the_entry_points():
    with pytest.raises(tls.NodeError) as caught:
        tls.connect(1, "127.0.0.1", fd=0)
    assert caught.value.code == "ERR_OPTION_NOT_IMPLEMENTED"
    with pytest.raises(tls.NodeError) as caught:
        net.Socket({"fd": 0})
    assert caught.value.code == "ERR_OPTION_NOT_IMPLEMENTED"
    server = net.createServer()
    with pytest.raises(tls.NodeError) as caught:   # signal is honoured now: an AbortSignal is required
        server.listen(0, signal=object())
    assert caught.value.code == "ERR_INVALID_ARG_TYPE"
