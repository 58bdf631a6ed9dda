"""Port of test/parallel/test-tls-socket-default-options.js: a client ``new tls.TLSSocket(None,
options).connect(port)`` verifies the server's certificate with what its options give -- nothing
(Node's default CAs: 'unable to verify the first certificate'), ``{}``, a ``secureContext`` with the
CA, the ``ca`` option, or a ``secureContext`` without it plus ``ca`` (the context wins) -- but, not
being tls.connect, neither fails nor sets ``authorizationError``: the caller checks.  The server
reads the client's 'hello' and 'end' whatever the client thought of it.

Node reads the result with ``this.ssl.verifyError()``, a method of the socket's TLSWrap handle;
the Python socket has no handle object, and its own reading of the same OpenSSL result is
``_verify_error()`` (what tls.connect turns into ``authorizationError``), which the port calls
instead.  ``authorized`` / ``authorizationError`` are checked to stay False / None, as Node's do."""
import pytest

import tls

from support.node_style import fixture_keys, tls_connect

FIRST_CERT = "unable to verify the first certificate"


@pytest.mark.parametrize("client,expected", [
    (None, FIRST_CERT),
    ({}, FIRST_CERT),
    ("secureContext with ca", None),
    ("ca", None),
    ("secureContext without ca, and ca", FIRST_CERT),
])
def test_socket_default_options(client, expected, calls, node_run):
    keys = fixture_keys()
    if client == "secureContext with ca":
        client = {"secureContext": tls.createSecureContext({"ca": keys["agent1"]["ca"]})}
    elif client == "ca":
        client = {"ca": keys["agent1"]["ca"]}
    elif client == "secureContext without ca, and ca":
        client = {"secureContext": tls.createSecureContext(), "ca": keys["agent1"]["ca"]}

    def callback(err):
        if expected is None:
            assert err is None
        else:
            assert err.message == expected

    callback = calls.must_call(callback)

    def main():
        def connected(err, pair, cleanup):
            assert err.message == FIRST_CERT
            recv = []

            def on_secure_connection(conn):
                conn.on("data", lambda data: recv.append(bytes(data)))

                def on_end():
                    # Server sees nothing wrong with connection, even though the client's
                    # authentication of the server cert failed.
                    assert b"".join(recv) == b"hello"
                    cleanup()

                conn.on("end", calls.must_call(on_end))

            pair["server"]["server"].once("secureConnection", calls.must_call(on_secure_connection))

            # A TLSSocket has no 'secureConnect' on the client side and does not fail when the
            # authentication failed: the caller checks.
            sock = tls.TLSSocket(None, client).connect(pair["server"]["server"].address()["port"])

            def on_secure():
                assert (sock.authorized, sock.authorizationError) == (False, None)
                callback(sock._verify_error())

            sock.on("connect", calls.must_call(lambda: sock.end("hello")))
            sock.on("secure", calls.must_call(on_secure))

        tls_connect(calls, {"server": {"key": keys["agent1"]["key"], "cert": keys["agent1"]["cert"]}},
                    connected)

    node_run(main)
