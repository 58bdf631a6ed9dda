"""Port of test/parallel/test-tls-basic-validations.js.

Bad arguments throw synchronously with Node's codes and error classes
(TypeError / RangeError).  Where Node 20 throws ERR_INTERNAL_ASSERTION
(checkServerIdentity and minDHSize of the wrong type in tls.connect) we
follow later Node versions: ERR_INVALID_ARG_TYPE / ERR_OUT_OF_RANGE; and
None, Python's undefined, takes the default rather than failing.
"""
import pytest

import tls
from tls._protocol import negotiation as _negotiation

convertALPNProtocols = getattr(tls, "convertALPNProtocols", _negotiation.convertALPNProtocols)


@pytest.mark.parametrize("make,options,code,cls", [
    (tls.createSecureContext, {"ciphers": 1}, "ERR_INVALID_ARG_TYPE", TypeError),
    (tls.createServer, {"ciphers": 1}, "ERR_INVALID_ARG_TYPE", TypeError),
    (tls.createSecureContext, {"key": "dummykey", "passphrase": 1}, "ERR_INVALID_ARG_TYPE", TypeError),
    (tls.createServer, {"key": "dummykey", "passphrase": 1}, "ERR_INVALID_ARG_TYPE", TypeError),
    (tls.createServer, {"ecdhCurve": 1}, "ERR_INVALID_ARG_TYPE", TypeError),
    (tls.createServer, {"handshakeTimeout": "abcd"}, "ERR_INVALID_ARG_TYPE", TypeError),
    (tls.createServer, {"sessionTimeout": "abcd"}, "ERR_INVALID_ARG_TYPE", TypeError),
    (tls.createServer, {"ticketKeys": "abcd"}, "ERR_INVALID_ARG_TYPE", TypeError),
    (tls.createServer, {"ticketKeys": b""}, "ERR_INVALID_ARG_VALUE", TypeError),
    (tls.createSecureContext, {"minVersion": "fhqwhgads"}, "ERR_TLS_INVALID_PROTOCOL_VERSION", TypeError),
    (tls.createSecureContext, {"maxVersion": "fhqwhgads"}, "ERR_TLS_INVALID_PROTOCOL_VERSION", TypeError),
], ids=["ctx-ciphers", "server-ciphers", "ctx-passphrase", "server-passphrase", "ecdhCurve",
        "handshakeTimeout", "sessionTimeout", "ticketKeys-type", "ticketKeys-length", "minVersion", "maxVersion"])
def test_option_validation(make, options, code, cls, node_run):
    def main():
        with pytest.raises(cls) as info:
            make(options)
        assert info.value.code == code

    node_run(main)


def test_handshake_timeout_message_names_the_type(node_run):
    def main():
        with pytest.raises(TypeError) as info:
            tls.createServer({"handshakeTimeout": "abcd"})
        assert info.value.code == "ERR_INVALID_ARG_TYPE"
        assert info.value.message == ('The "options.handshakeTimeout" property must be of type number. '
                                   "Received type string ('abcd')")

    node_run(main)


def test_handshake_timeout_zero_or_none_is_the_default(node_run):
    def main():
        for value in (0, None):
            server = tls.createServer({"handshakeTimeout": value})
            assert server._handshake_timeout == 120000

    node_run(main)


def test_convert_alpn_protocols_copies_a_buffer():
    buffer = bytearray(b"abcd")
    out = {}
    convertALPNProtocols(buffer, out)
    buffer[:] = b"efgh"
    assert out["ALPNProtocols"] == b"abcd"


@pytest.mark.parametrize("view", [b"abcd" * 8, bytearray(b"abcd" * 8), memoryview(b"xxabcd" * 8)[2:34]])
def test_convert_alpn_protocols_views(view):
    out = {}
    convertALPNProtocols(view, out)
    assert out["ALPNProtocols"] == bytes(view)


def test_convert_alpn_protocols_list():
    out = {}
    convertALPNProtocols(["h2", "http/1.1"], out)
    assert out["ALPNProtocols"] == b"\x02h2\x08http/1.1"


def test_convert_alpn_protocol_too_long():
    with pytest.raises(ValueError) as info:   # Node's RangeError
        convertALPNProtocols(["a" * 500], {})
    assert info.value.code == "ERR_OUT_OF_RANGE"
    assert info.value.message == ("The byte length of the protocol at index 0 exceeds the maximum length. "
                               "It must be <= 255. Received 500")


@pytest.mark.parametrize("value", [1, True, "x"])
def test_check_server_identity_must_be_a_function(value, node_run):
    def main():
        with pytest.raises(TypeError) as info:
            tls.connect({"checkServerIdentity": value})
        assert info.value.code == "ERR_INVALID_ARG_TYPE"

    node_run(main)


@pytest.mark.parametrize("value,code,cls", [("a", "ERR_INVALID_ARG_TYPE", TypeError),
                                            (0, "ERR_OUT_OF_RANGE", ValueError),
                                            (-1, "ERR_OUT_OF_RANGE", ValueError)])
def test_min_dh_size(value, code, cls, node_run):
    def main():
        with pytest.raises(cls) as info:
            tls.connect({"port": 1, "minDHSize": value})
        assert info.value.code == code

    node_run(main)


@pytest.mark.parametrize("where", ["connect", "TLSSocket"])
def test_secure_context_must_be_a_secure_context(where, node_run):
    def main():
        with pytest.raises(TypeError) as info:
            if where == "connect":
                tls.connect({"port": 1, "secureContext": {}})
            else:
                tls.TLSSocket(None, {"secureContext": 5})
        assert info.value.code == "ERR_TLS_INVALID_CONTEXT"

    node_run(main)


def test_set_servername_validation(agent1, calls, node_run):
    def main():
        server = tls.createServer({"key": agent1["key"], "cert": agent1["cert"]})

        def on_secure(conn):
            with pytest.raises(tls.NodeError) as info:
                conn.setServername("x")
            assert info.value.code == "ERR_TLS_SNI_FROM_SERVER"
            conn.end()

        server.on("secureConnection", calls.must_call(on_secure))

        def listening():
            client = tls.connect({"port": server.address()["port"], "rejectUnauthorized": False})
            with pytest.raises(TypeError) as info:
                client.setServername(5)
            assert info.value.code == "ERR_INVALID_ARG_TYPE"
            client.on("end", calls.must_call(lambda *a: server.close()))

        server.listen(0, calls.must_call(listening))

    node_run(main)


def test_renegotiate_validation(agent1, calls, node_run):
    def main():
        server = tls.createServer({"key": agent1["key"], "cert": agent1["cert"]})

        def on_secure(conn):
            for bad in (None, 1, "x"):
                with pytest.raises(TypeError) as info:
                    conn.renegotiate(bad)
                assert info.value.code == "ERR_INVALID_ARG_TYPE"
            with pytest.raises(TypeError) as info:
                conn.renegotiate({}, 1)
            assert info.value.code == "ERR_INVALID_ARG_TYPE"

            # TLS 1.3 has no renegotiation: False, and the callback gets the error
            def on_result(err):
                assert err.code == "ERR_SSL_WRONG_SSL_VERSION"
                conn.end()

            assert conn.renegotiate({}, calls.must_call(on_result)) is False

        server.on("secureConnection", calls.must_call(on_secure))

        def listening():
            client = tls.connect({"port": server.address()["port"], "rejectUnauthorized": False})
            client.on("end", calls.must_call(lambda *a: server.close()))

        server.listen(0, calls.must_call(listening))

    node_run(main)


def test_connect_without_event_loop_says_where():
    with pytest.raises(tls.NodeError) as info:
        tls.connect({"port": 1})
    assert info.value.code == "ERR_NO_EVENT_LOOP"
