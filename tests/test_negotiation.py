"""ALPN, ALPNCallback and SNI between our own client and server, checked
against what Node 20 does in the same scenario (measured with `node`).

Each test runs one server and one client under a deadline; ``exchange``
returns what both sides saw: the server socket at 'secureConnection', the
client at 'secureConnect', or the errors ('tlsClientError' on the server,
'error' on the client).
"""
import asyncio
import warnings

import pytest

import tls
from tls._node import runtime as _runtime

from support.aio import future_event, run_async
from support.certs import node_keys


class Outcome:
    def __init__(self):
        self.server = None          # facts of the server socket at 'secureConnection'
        self.client = None          # facts of the client at 'secureConnect'
        self.server_error = None    # 'tlsClientError'
        self.client_error = None    # client 'error'
        self.server_errors = 0


def facts(sock, peer):
    cert = sock.getPeerCertificate() if peer else sock.getCertificate()
    return {"servername": sock.servername, "alpn": sock.alpnProtocol, "npn": sock.npnProtocol,
            "CN": (cert or {}).get("subject", {}).get("CN"), "authorized": sock.authorized,
            "authorizationError": sock.authorizationError}


def exchange(server_options, client_options, setup=None, keys=None, timeout=10.0):
    keys = keys or node_keys()
    server_options = dict(server_options)
    server_options.setdefault("key", keys["agent1"]["key"])
    server_options.setdefault("cert", keys["agent1"]["cert"])
    outcome = Outcome()

    async def main():
        loop = asyncio.get_running_loop()
        server = tls.createServer(server_options)
        if setup is not None:
            setup(server)
        done = loop.create_future()
        server_done = loop.create_future()  # 'secureConnection' or 'tlsClientError'

        def on_secure(sock):
            outcome.server = facts(sock, False)
            sock.end()
            server_done.done() or server_done.set_result(None)

        def on_tls_client_error(err, sock):
            outcome.server_errors += 1
            outcome.server_error = err
            server_done.done() or server_done.set_result(None)

        server.on("secureConnection", on_secure)
        server.on("tlsClientError", on_tls_client_error)
        listening = loop.create_future()
        server.listen(0, "127.0.0.1", lambda: listening.set_result(None))
        await listening
        client = tls.connect(dict(client_options, port=server.address()["port"], host="127.0.0.1",
                                  rejectUnauthorized=False))

        def on_secure_connect():
            outcome.client = facts(client, True)
            client.end()

        client.on("secureConnect", on_secure_connect)
        client.on("error", lambda err: setattr(outcome, "client_error", err))
        client.on("close", lambda *a: done.done() or done.set_result(None))
        await done
        await server_done  # the server side reports a little later (its 'close' / 'tlsClientError')
        server.close()

    run_async(main(), timeout)
    return outcome


def later(ms, fn, *args):
    _runtime.setTimeout(fn, ms, *args)


def ctx(keys, name):
    return tls.createSecureContext({"key": keys[name]["key"], "cert": keys[name]["cert"]})


# -- SNI: the client side ------------------------------------------------------------------------

def test_sni_sent_only_when_servername_is_given():
    seen = []
    out = exchange({"SNICallback": lambda name, cb: (seen.append(name), cb(None, None))},
                   {"host": "127.0.0.1"})
    assert seen == []  # SNICallback runs only when the client sent SNI
    assert out.server["servername"] is False and out.client["servername"] is False


def test_servername_on_both_sides():
    out = exchange({}, {"servername": "example.org"})
    assert out.server["servername"] == "example.org"
    assert out.client["servername"] == "example.org"


def test_set_servername_before_connect():
    keys = node_keys()

    async def main():
        server = tls.createServer({"key": keys["agent1"]["key"], "cert": keys["agent1"]["cert"]})
        secure = future_event(server, "secureConnection")
        listening = asyncio.get_running_loop().create_future()
        server.listen(0, "127.0.0.1", lambda: listening.set_result(None))
        await listening
        raw = tls.net.connect(server.address()["port"], "127.0.0.1")
        await future_event(raw, "connect")
        client = tls.TLSSocket(raw, {"rejectUnauthorized": False})
        client.setServername("set.example")
        client.write(b"")  # a standalone client starts its handshake with the first write
        (conn,) = await secure
        assert conn.servername == "set.example"
        client.destroy()
        conn.destroy()
        server.close()

    run_async(main())


def test_ip_servername_is_deprecated():
    from tls._protocol import negotiation as _negotiation
    _negotiation._ip_servername_warned = False
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        out = exchange({}, {"servername": "127.0.0.1"})
    assert out.server["servername"] == "127.0.0.1"  # sent anyway, as Node 20 does
    assert any(issubclass(w.category, DeprecationWarning) and "DEP0123" in str(w.message) for w in caught)


# -- SNICallback -----------------------------------------------------------------------------------

def test_sni_callback_pauses_the_handshake_until_cb():
    keys = node_keys()
    calls = []

    def sni(name, cb):
        calls.append(name)
        later(150, cb, None, ctx(keys, "agent3"))

    out = exchange({"SNICallback": sni}, {"servername": "slow.example"})
    assert calls == ["slow.example"]
    assert out.server["CN"] == out.client["CN"] == "agent3"


def test_sni_callback_without_context_keeps_the_default():
    out = exchange({"SNICallback": lambda name, cb: cb(None, None)}, {"servername": "x.example"})
    assert out.server["CN"] == out.client["CN"] == "agent1"


def test_sni_context_switches_the_chain():
    keys = node_keys()
    out = exchange({"SNICallback": lambda name, cb: cb(None, ctx(keys, "agent6"))},
                   {"servername": "chain.example", "ca": [keys["ca1"]]})
    # agent6 is issued by the intermediate ca3: verified only with the chain sent
    assert out.client["CN"] == "agent6"
    assert out.client["authorizationError"] == "ERR_TLS_CERT_ALTNAME_INVALID"


@pytest.mark.parametrize("default,sni,version", [
    ("ec", "agent3", "TLSv1.3"), ("agent3", "ec", "TLSv1.3"),
    ("ec", "agent3", "TLSv1.2"), ("agent3", "ec", "TLSv1.2"),
])
def test_sni_context_of_another_key_type(default, sni, version):
    """Every certificate of the default context is replaced (Node 20 keeps the
    default one of the other key type, which can then be served instead)."""
    keys = node_keys()
    out = exchange({"key": keys[default]["key"], "cert": keys[default]["cert"],
                    "SNICallback": lambda name, cb: cb(None, ctx(keys, sni))},
                   {"servername": "x.example", "maxVersion": version})
    assert out.client["CN"] == ("ecdsa" if sni == "ec" else sni)


def test_sni_callback_error_goes_to_tls_client_error():
    error = ValueError("no such name")
    out = exchange({"SNICallback": lambda name, cb: later(20, cb, error)}, {"servername": "x.example"})
    assert out.server_error is error and out.server_errors == 1
    assert out.client_error.code == "ECONNRESET"
    assert out.server is None and out.client is None


def test_sni_callback_that_throws():
    error = RuntimeError("thrown")

    def sni(name, cb):
        raise error

    out = exchange({"SNICallback": sni}, {"servername": "x.example"})
    assert out.server_error is error
    assert out.client_error.code == "ECONNRESET"


@pytest.mark.parametrize("context", [{}, [], b"raw", object()], ids=["dict", "list", "bytes", "object"])
def test_sni_invalid_context(context):
    out = exchange({"SNICallback": lambda name, cb: cb(None, context)}, {"servername": "x.example"})
    assert isinstance(out.server_error, TypeError)
    assert out.server_error.message == "Invalid SNI context"
    assert out.client_error.code == "ECONNRESET"


@pytest.mark.parametrize("context", ["some string", 42, 0, "", False], ids=repr)
def test_sni_non_object_context_keeps_the_default(context):
    """Like Node: a string or number is no context object (nor an error)."""
    out = exchange({"SNICallback": lambda name, cb: cb(None, context)}, {"servername": "x.example"})
    assert out.server["CN"] == "agent1"


def test_sni_cb_called_twice_synchronously():
    out = exchange({"SNICallback": lambda name, cb: (cb(None, None), cb(None, None))},
                   {"servername": "x.example"})
    assert out.server_error.code == "ERR_MULTIPLE_CALLBACK"
    assert out.server_error.message == "Callback called multiple times"
    assert out.client_error.code == "ECONNRESET"
    assert out.server is None and out.client is None


def test_sni_cb_called_twice_later():
    """After the handshake went on, a second call destroys the socket (Node: same)."""
    keys = node_keys()
    holder = []

    async def main():
        server = tls.createServer({"key": keys["agent1"]["key"], "cert": keys["agent1"]["cert"],
                                   "SNICallback": lambda name, cb: (holder.append(cb), cb(None, None))})
        errors = []
        server.on("tlsClientError", lambda err, sock: errors.append(err))
        secure = future_event(server, "secureConnection")
        listening = asyncio.get_running_loop().create_future()
        server.listen(0, "127.0.0.1", lambda: listening.set_result(None))
        await listening
        client = tls.connect({"port": server.address()["port"], "host": "127.0.0.1",
                              "rejectUnauthorized": False, "servername": "x.example"})
        client.on("error", lambda err: None)
        (conn,) = await secure
        conn_errors = []
        conn.on("error", conn_errors.append)
        closed = future_event(conn, "close")
        holder[0](None, None)
        await closed
        assert conn_errors[0].code == "ERR_MULTIPLE_CALLBACK"
        assert errors == []  # control was released: the socket's own 'error'
        client.destroy()
        server.close()

    run_async(main())


def test_sni_cb_after_the_socket_closed():
    """The client gives up while SNICallback waits: a late cb is harmless."""
    keys = node_keys()

    async def main():
        loop = asyncio.get_running_loop()
        pending = loop.create_future()
        server = tls.createServer({"key": keys["agent1"]["key"], "cert": keys["agent1"]["cert"],
                                   "SNICallback": lambda name, cb: pending.set_result(cb)})
        errors = []
        hang_up = future_event(server, "tlsClientError")
        server.on("tlsClientError", lambda err, sock: errors.append(err))
        listening = loop.create_future()
        server.listen(0, "127.0.0.1", lambda: listening.set_result(None))
        await listening
        client = tls.connect({"port": server.address()["port"], "host": "127.0.0.1",
                              "rejectUnauthorized": False, "servername": "x.example"})
        client.on("error", lambda err: None)
        cb = await pending
        client.destroy()
        err, sock = await hang_up
        assert err.code == "ECONNRESET"  # the hang-up (from the socket's 'close'), before the late cb
        assert sock.destroyed
        cb(None, ctx(keys, "agent3"))  # ERR_SOCKET_CLOSED on a destroyed socket: nothing
        cb(None, None)                 # and a second call: still nothing, no crash
        for _ in range(5):
            await asyncio.sleep(0)
        assert [e.code for e in errors] == ["ECONNRESET"]
        assert sock.destroyed
        server.close()

    run_async(main())


def test_handshake_timeout_while_sni_waits():
    """The handshake deadline runs while SNICallback keeps it paused."""
    keys = node_keys()

    async def main():
        server = tls.createServer({"key": keys["agent1"]["key"], "cert": keys["agent1"]["cert"],
                                   "SNICallback": lambda name, cb: None, "handshakeTimeout": 200})
        error = future_event(server, "tlsClientError")
        listening = asyncio.get_running_loop().create_future()
        server.listen(0, "127.0.0.1", lambda: listening.set_result(None))
        await listening
        client = tls.connect({"port": server.address()["port"], "host": "127.0.0.1",
                              "rejectUnauthorized": False, "servername": "x.example"})
        client.on("error", lambda err: None)
        err, sock = await error
        assert err.code == "ERR_TLS_HANDSHAKE_TIMEOUT"
        sock.destroy()
        client.destroy()
        server.close()

    run_async(main())


def test_standalone_server_socket_with_sni_callback():
    keys = node_keys()

    async def main():
        loop = asyncio.get_running_loop()
        accepted = loop.create_future()
        raw_server = tls.net.createServer(lambda sock: accepted.set_result(sock))
        listening = loop.create_future()
        raw_server.listen(0, "127.0.0.1", lambda: listening.set_result(None))
        await listening
        client = tls.connect({"port": raw_server.address()["port"], "host": "127.0.0.1",
                              "rejectUnauthorized": False, "servername": "alone.example"})
        raw = await accepted
        names = []
        sock = tls.TLSSocket(raw, {"isServer": True, "key": keys["agent1"]["key"],
                                   "cert": keys["agent1"]["cert"],
                                   "SNICallback": lambda name, cb: (names.append(name),
                                                                    cb(None, ctx(keys, "agent4")))})
        secure = future_event(sock, "secure")
        await future_event(client, "secureConnect")
        await secure
        assert names == ["alone.example"]
        assert client.getPeerCertificate()["subject"]["CN"] == "agent4"
        client.destroy()
        sock.destroy()
        raw_server.close()

    run_async(main())


# -- server.addContext -------------------------------------------------------------------------

def add(keys, *pairs):
    def setup(server):
        for pattern, name in pairs:
            server.addContext(pattern, {"key": keys[name]["key"], "cert": keys[name]["cert"]})
    return setup


@pytest.mark.parametrize("servername,pairs,expected", [
    ("x.example", [("x.example", "agent3")], "agent3"),
    ("X.example", [("x.example", "agent3")], "agent1"),           # case-sensitive, as Node 20
    ("a.x.example", [("*.x.example", "agent3")], "agent3"),
    ("a.b.x.example", [("*.x.example", "agent3")], "agent1"),     # '*' is one label
    ("anything", [("*", "agent3")], "agent3"),
    ("axexample", [("a.xexample", "agent3")], "agent1"),          # '.' is literal
    ("a.x.example", [("*.x.example", "agent3"), ("a.x.example", "agent4")], "agent4"),  # last added wins
    ("a.x.example", [("a.x.example", "agent4"), ("*.x.example", "agent3")], "agent3"),
])
def test_add_context(servername, pairs, expected):
    keys = node_keys()
    out = exchange({}, {"servername": servername}, setup=add(keys, *pairs))
    assert out.client["CN"] == expected
    assert out.server["servername"] == servername


def test_add_context_with_a_secure_context():
    keys = node_keys()
    out = exchange({}, {"servername": "x.example"},
                   setup=lambda server: server.addContext("x.example", ctx(keys, "agent3")))
    assert out.client["CN"] == "agent3"


@pytest.mark.parametrize("hostname", ["", None, 0, False])
def test_add_context_needs_a_hostname(hostname):
    async def main():
        server = tls.createServer({})
        with pytest.raises(tls.NodeError) as info:
            server.addContext(hostname, {})
        assert info.value.code == "ERR_TLS_REQUIRED_SERVER_NAME"
        assert info.value.message == '"servername" is required parameter for Server.addContext'

    run_async(main())


def test_custom_sni_callback_wins_over_contexts():
    keys = node_keys()
    out = exchange({"SNICallback": lambda name, cb: cb(None, ctx(keys, "agent4"))}, {"servername": "x.example"},
                   setup=add(keys, ("x.example", "agent3")))
    assert out.client["CN"] == "agent4"


# -- ALPN -------------------------------------------------------------------------------------

@pytest.mark.parametrize("server,client,expected", [
    (["a", "b", "c"], ["x", "y", "c"], "c"),
    (b"\x01a\x01b", b"\x01b", "b"),                        # wire-format buffers
    (bytearray(b"\x02h2\x08http/1.1"), [b"http/1.1"], "http/1.1"),
    ([], ["a"], False),                                    # Node 20: an empty server list selects nothing
    (["a"], [], False),                                    # an empty client list offers nothing
    (["é"], ["é"], "Ã©"),                                  # UTF-8 on the wire, read back as latin-1 (Node)
], ids=["lists", "buffers", "bytearray-and-bytes", "empty-server", "empty-client", "utf8"])
def test_alpn(server, client, expected):
    out = exchange({"ALPNProtocols": server}, {"ALPNProtocols": client})
    assert out.server["alpn"] == out.client["alpn"] == expected


def test_alpn_no_overlap_fails_tls12_too():
    out = exchange({"ALPNProtocols": ["a"], "maxVersion": "TLSv1.2"}, {"ALPNProtocols": ["b"]})
    assert out.server_error.code == "ERR_SSL_NO_APPLICATION_PROTOCOL"
    assert out.client_error.code == "ERR_SSL_TLSV1_ALERT_NO_APPLICATION_PROTOCOL"


def test_alpn_option_that_is_no_list_or_buffer():
    async def main():
        with pytest.raises(TypeError) as info:
            tls.connect({"port": 1, "ALPNProtocols": "h2"})
        assert info.value.message == "Must give a Buffer as first argument"

    run_async(main())


def test_alpn_protocol_too_long():
    async def main():
        with pytest.raises(ValueError) as info:
            tls.createServer({"ALPNProtocols": ["a" * 256]})
        assert info.value.code == "ERR_OUT_OF_RANGE"

    run_async(main())


def test_convert_alpn_protocols_is_public():
    out = {}
    tls.convertALPNProtocols(["h2", "http/1.1"], out)
    assert out["ALPNProtocols"] == b"\x02h2\x08http/1.1"


# -- ALPNCallback -----------------------------------------------------------------------------

def test_alpn_callback_gets_servername_and_protocols():
    seen = []

    def alpn(info):
        seen.append(info)
        return info["protocols"][-1]

    out = exchange({"ALPNCallback": alpn}, {"ALPNProtocols": ["a", "b"], "servername": "foo.example"})
    assert seen == [{"servername": "foo.example", "protocols": ["a", "b"]}]
    assert out.server["alpn"] == out.client["alpn"] == "b"


def test_alpn_callback_without_sni():
    seen = []
    exchange({"ALPNCallback": lambda info: (seen.append(info), "a")[1]}, {"ALPNProtocols": ["a"]})
    assert seen == [{"servername": False, "protocols": ["a"]}]


def test_alpn_callback_not_called_without_alpn():
    seen = []
    out = exchange({"ALPNCallback": lambda info: seen.append(info)}, {})
    assert seen == []
    assert out.server["alpn"] == out.client["alpn"] is False


def test_alpn_callback_protocol_names_are_ascii():
    """Node hands the protocols over as 'ascii' strings (high bit dropped)."""
    seen = []
    out = exchange({"ALPNCallback": lambda info: (seen.append(info["protocols"]), info["protocols"][0])[1]},
                   {"ALPNProtocols": ["é", "b"]})
    assert seen == [["C)", "b"]]
    assert out.client["alpn"] == "Ã©"


@pytest.mark.parametrize("answer", ["nope", b"a", 1], ids=["string", "bytes", "number"])
def test_alpn_callback_invalid_answer(answer):
    out = exchange({"ALPNCallback": lambda info: answer}, {"ALPNProtocols": ["a"]})
    assert out.server_error.code == "ERR_TLS_ALPN_CALLBACK_INVALID_RESULT"
    assert isinstance(out.server_error, TypeError)
    assert out.client_error.code == "ECONNRESET"  # destroyed before any alert, as in Node


def test_alpn_callback_that_throws():
    error = RuntimeError("boom")

    def alpn(info):
        raise error

    out = exchange({"ALPNCallback": alpn}, {"ALPNProtocols": ["a"]})
    assert out.server_error is error
    assert out.client_error.code == "ECONNRESET"


def test_alpn_callback_must_be_a_function():
    """Node validates it per connection: the connection listener throws."""
    async def main():
        server = tls.createServer({"ALPNCallback": 5})
        assert server.ALPNCallback == 5

    run_async(main())


def test_alpn_callback_and_sni_callback_together():
    keys = node_keys()
    order = []

    def sni(name, cb):
        order.append("sni")
        later(50, cb, None, ctx(keys, "agent3"))

    def alpn(info):
        order.append("alpn")
        return "b"

    out = exchange({"ALPNCallback": alpn, "SNICallback": sni}, {"ALPNProtocols": ["a", "b"], "servername": "s.x"})
    assert order == ["alpn", "sni"]
    assert out.client["alpn"] == "b" and out.client["CN"] == "agent3"


def test_sni_switch_keeps_alpn():
    keys = node_keys()
    out = exchange({"ALPNProtocols": ["h2", "http/1.1"], "SNICallback": lambda name, cb: cb(None, ctx(keys, "agent3"))},
                   {"ALPNProtocols": ["http/1.1"], "servername": "x.example"})
    assert out.client["alpn"] == "http/1.1" and out.client["CN"] == "agent3"
