"""Port of test/parallel/test-tls-disable-renegotiation.js.

Renegotiation works until the server socket calls ``disableRenegotiation()``;
the client's next renegotiation then makes the server socket emit 'error'
ERR_TLS_RENEGOTIATION_DISABLED ("TLS session renegotiation disabled for this
socket"), and the client's callback is never called.  ``renegotiate()``
validates its arguments (ERR_INVALID_ARG_TYPE).  A renegotiation emits
'secure' again on both sides, and 'secureConnect' again on the client (as
Node 20 does).  More of ``renegotiate()`` is in tests/test_renegotiation.py.

Difference kept: Node also rejects ``renegotiate({}, null)``; here None is
JavaScript's undefined (no callback), so it is accepted.
"""
import pytest

import tls


# Renegotiation as a protocol feature was dropped after TLS 1.2.
pytestmark = pytest.mark.usefixtures("tls12")


def test_disable_renegotiation(agent1, calls, node_run):
    def main():
        def on_connection(socket):
            def on_error(err):
                assert type(err) is tls.NodeError
                assert err.code == "ERR_TLS_RENEGOTIATION_DISABLED"
                assert err.message == "TLS session renegotiation disabled for this socket"
                socket.destroy()
                server.close()

            socket.on("error", calls.must_call(on_error))

            # Disable renegotiation after the first chunk of data received.
            # Demonstrates that renegotiation works successfully up until
            # disableRenegotiation is called.
            def on_data(chunk):
                socket.write(chunk)
                socket.disableRenegotiation()

            socket.on("data", calls.must_call(on_data))

            def on_secure():
                assert socket._conn.reneg.handshakes < 2, "Too many handshakes [%d]" % socket._conn.reneg.handshakes

            socket.on("secure", calls.must_call(on_secure))

        server = tls.Server({"key": agent1["key"], "cert": agent1["cert"]}, calls.must_call(on_connection))

        def listening():
            port = server.address()["port"]
            options = {"rejectUnauthorized": False, "port": port}

            def on_secure_connect():
                for args in [(), (calls.must_not_call("renegotiate callback"),), ({}, False), ({}, 1)]:
                    with pytest.raises(TypeError) as info:
                        client.renegotiate(*args)
                    assert info.value.code == "ERR_INVALID_ARG_TYPE"

                # Renegotiation is still permitted for this first attempt.
                def renegotiated(err):
                    assert err is None
                    # Once renegotiation completes, write some data, which
                    # triggers 'data' on the server, which then calls
                    # disableRenegotiation().
                    def written(*a):
                        # This second attempt fails and its callback is never
                        # invoked: the server drops the connection after
                        # emitting the error.
                        ok2 = client.renegotiate(options, calls.must_not_call("second renegotiate callback"))
                        assert ok2 is True

                    client.write("data", calls.must_call(written))

                ok = client.renegotiate(options, calls.must_call(renegotiated))
                assert ok is True
                client.on("secureConnect", calls.must_call())
                client.on("secure", calls.must_call())

            client = tls.connect(options, calls.must_call(on_secure_connect))
            client.resume()

        server.listen(0, calls.must_call(listening))

    node_run(main)


def test_disable_before_first_renegotiation(agent1, calls, node_run):
    """disableRenegotiation() right away: the first renegotiation is refused."""
    def main():
        def on_connection(socket):
            socket.disableRenegotiation()

            def on_error(err):
                assert err.code == "ERR_TLS_RENEGOTIATION_DISABLED"
                socket.destroy()

            socket.on("error", calls.must_call(on_error))
            socket.on("secure", calls.must_not_call("server 'secure' after disableRenegotiation"))

        server = tls.createServer({"key": agent1["key"], "cert": agent1["cert"]}, on_connection)

        def listening():
            client = tls.connect({"port": server.address()["port"], "rejectUnauthorized": False},
                                 lambda: client.renegotiate({}, calls.must_not_call("renegotiate callback")))
            client.on("error", calls.must_not_call("client 'error'"))
            client.on("close", calls.must_call(lambda had_error=False: server.close()))

        server.listen(0, listening)

    node_run(main)
