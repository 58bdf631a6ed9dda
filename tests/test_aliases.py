"""snake_case aliases of every Node camelCase name (tls._base.aliases): one mechanism,
no cost on ordinary attribute access, ``import tls`` still cheap."""
from __future__ import annotations

import asyncio
import inspect

import pytest

import tls
from tls import events, net
from tls._base import aliases as _aliases
from tls._base.aliases import snake_name


CLASSES = [tls.TLSSocket, tls.Server, tls.SecureContext, net.Socket, net.Server, events.EventEmitter]


@pytest.mark.parametrize("camel, snake", [
    ("getPeerCertificate", "get_peer_certificate"), ("ALPNProtocols", "alpn_protocols"),
    ("isIPv4", "is_ipv4"), ("isIP", "is_ip"), ("loadPKCS12", "load_pkcs12"), ("setECDHCurve", "set_ecdh_curve"),
    ("getTLSTicket", "get_tls_ticket"), ("addCACert", "add_ca_cert"), ("SNICallback", "sni_callback"),
    ("getX509Certificate", "get_x509_certificate"), ("readableHighWaterMark", "readable_high_water_mark"),
    ("connectAsync", "connect_async"),
    ("Socket", None), ("EventEmitter", None), ("DEFAULT_CIPHERS", None), ("on", None), ("_private", None),
    ("already_snake", None),
])
def test_snake_names(camel, snake):
    assert snake_name(camel) == snake


def _camel_names(cls):
    return sorted({name for klass in cls.__mro__ for name in vars(klass) if snake_name(name)})


@pytest.mark.parametrize("cls", CLASSES, ids=lambda c: c.__module__ + "." + c.__name__)
def test_every_camel_case_member_has_its_alias(cls):
    names = _camel_names(cls)
    assert names
    for camel in names:
        snake = snake_name(camel)
        raw_camel = inspect.getattr_static(cls, camel)
        raw_snake = inspect.getattr_static(cls, snake)
        if hasattr(type(raw_camel), "__get__"):
            # methods, properties, classmethods: the very same object
            assert raw_snake is raw_camel, (cls, camel)
        else:
            # plain class-level values: a descriptor reading the camelCase attribute
            assert getattr(cls, snake) == getattr(cls, camel), (cls, camel)


def test_methods_and_properties_are_the_same_objects():
    assert tls.TLSSocket.get_peer_certificate is tls.TLSSocket.getPeerCertificate
    assert tls.TLSSocket.export_keying_material is tls.TLSSocket.exportKeyingMaterial
    assert net.Socket.bytes_written is net.Socket.bytesWritten
    assert net.Socket.set_no_delay is net.Socket.setNoDelay
    assert net.Socket.end_async is net.Socket.endAsync
    assert net.Server.close_async is net.Server.closeAsync
    assert events.EventEmitter.remove_all_listeners is events.EventEmitter.removeAllListeners
    assert tls.SecureContext.set_ciphers is tls.SecureContext.setCiphers
    assert events.EventEmitter.error_monitor is events.errorMonitor


def test_no_lookup_hook_slows_attribute_access():
    # aliases are plain class-dict entries: nothing intercepts attribute lookup
    for cls in CLASSES:
        for klass in cls.__mro__[:-1]:      # all but object
            assert "__getattr__" not in vars(klass) and "__getattribute__" not in vars(klass), klass
        assert type(cls).__getattribute__ is type.__getattribute__


def test_instance_attributes_read_and_write_through_their_alias():
    async def amain():
        server = tls.createServer(requestCert=True)
        assert server.request_cert is True and server.reject_unauthorized is True
        server.max_connections = 3                       # writes reach Node's property
        assert server.maxConnections == 3
        assert server.allow_half_open is False and server.pause_on_connect is False
        sock = tls.TLSSocket()
        assert sock.alpn_protocol is None and sock.authorization_error is None
        assert sock.secure_connecting is True and sock.bytes_read == 0
        sock.allow_half_open = True
        assert sock.allowHalfOpen is True
        assert sock.writable_high_water_mark == 16 * 1024 and sock.ready_state == "closed"
        assert sock.get_protocol() is not None or True
        emitter = events.EventEmitter()
        assert emitter.default_max_listeners == 10
        emitter.set_max_listeners(2)
        assert emitter.get_max_listeners() == 2 and emitter.getMaxListeners() == 2
        sock.destroy()

    asyncio.run(amain())


def test_subclasses_get_aliases_of_their_overrides():
    class Mine(tls.TLSSocket):
        def getProtocol(self):
            return "overridden"

        def get_cipher(self):                 # a snake_case name defined by hand wins
            return "mine"

        def fooBar(self):
            return 1

    assert Mine.get_protocol is Mine.getProtocol
    assert tls.TLSSocket.get_protocol is tls.TLSSocket.getProtocol
    assert Mine.get_cipher is not Mine.getCipher and Mine.foo_bar is Mine.fooBar

    class Emitter(events.EventEmitter):
        pass

    assert Emitter.add_listener is events.EventEmitter.addListener


@pytest.mark.parametrize("module, snake, camel", [
    (tls, "create_server", "createServer"), (tls, "check_server_identity", "checkServerIdentity"),
    (tls, "create_secure_context", "createSecureContext"), (tls, "get_ciphers", "getCiphers"),
    (tls, "convert_alpn_protocols", "convertALPNProtocols"), (tls, "create_secure_pair", "createSecurePair"),
    (tls, "connect_async", "connectAsync"),
    (net, "create_server", "createServer"), (net, "create_connection", "createConnection"),
    (net, "is_ipv4", "isIPv4"), (net, "is_ip", "isIP"), (net, "connect_async", "connectAsync"),
    (events, "get_event_listeners", "getEventListeners"), (events, "set_max_listeners", "setMaxListeners"),
    (events, "listener_count", "listenerCount"),
])
def test_module_functions(module, snake, camel):
    assert getattr(module, snake) is getattr(module, camel)


def test_module_values_and_misses():
    assert tls.root_certificates == tls.rootCertificates
    for module, name in ((tls, "no_such_name"), (tls, "tls_socket"), (net, "no_such_thing"),
                         (events, "event_emitter")):
        with pytest.raises(AttributeError):
            getattr(module, name)


from support.python import run_python as _python


def test_import_tls_stays_cheap():
    out = _python("import sys, tls\n"
                  "print(' '.join(sorted(m for m in sys.modules if m.startswith('tls'))))\n"
                  "f = tls.create_server\n"
                  "assert f is tls.createServer and 'create_server' in vars(tls)\n"
                  "print('tls._base.aliases' in sys.modules)\n")
    loaded, aliases_after = out.split("\n")[:2]
    assert loaded.split() == ["tls", "tls._base", "tls._base.constants"]   # no asyncio, binding or alias machinery
    assert aliases_after == "True"


def test_event_names_stay_node_s_and_snake_case_code_runs(key_pem, cert_pem, ca_pem):
    seen = {}

    async def amain():
        def on_secure(sock):
            sock.set_encoding("utf8")
            sock.on("data", lambda text: sock.end(text.upper()))

        server = tls.create_server({"key": key_pem, "cert": cert_pem}, on_secure)
        await server.listen(0, "127.0.0.1")
        client = tls.connect(server.address()["port"], "localhost", {"ca": [ca_pem]})
        secure = asyncio.get_running_loop().create_future()
        client.once("secureConnect", lambda: secure.set_result(None))      # Node's event name
        await asyncio.wait_for(secure, 10)
        seen["cert"] = client.get_peer_certificate()["subjectaltname"]
        seen["protocol"] = client.get_protocol()
        seen["reused"] = client.is_session_reused()
        client.write("hello")
        seen["data"] = await asyncio.wait_for(client.readAsync(), 10)
        seen["remote"] = (client.remote_address, client.remote_family)
        await client.end_async()
        await server.close_async()

    asyncio.run(amain())
    assert seen["data"] == b"HELLO" and seen["protocol"] == "TLSv1.3" and seen["reused"] is False
    assert "DNS:localhost" in seen["cert"] and seen["remote"] == ("127.0.0.1", "IPv4")


def test_alias_table_is_built_once_per_class():
    # the aliases a class got are recorded on it (what a subclass may replace)
    made = vars(tls.TLSSocket)[_aliases._MADE]
    assert "get_peer_certificate" in made and "getPeerCertificate" not in made
