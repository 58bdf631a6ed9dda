"""Port of test/parallel/test-tls-server-failed-handshake-emits-clienterror.js.

Junk instead of a ClientHello: the server emits 'tlsClientError' with the
OpenSSL error (ERR_SSL_WRONG_VERSION_NUMBER), once, and never 'error'.
The server has no key or certificate at all, as in Node's test.
"""
import tls
from tls import net

from support.node_style import assert_code, assert_true


def test_junk_emits_tls_client_error(calls, node_run):
    bonkers = bytes([42]) * 1024

    def main():
        server = tls.createServer({})
        server.on("secureConnection", calls.must_not_call("secureConnection"))
        server.on("error", calls.must_not_call("server 'error'"))

        def on_client_error(err, sock):
            assert isinstance(err, Exception)
            assert err.code == "ERR_SSL_WRONG_VERSION_NUMBER"
            assert err.library == "SSL routines"
            assert sock.destroyed
            server.close()

        server.on("tlsClientError", calls.must_call(on_client_error))

        def listening():
            c = None
            c = net.connect({"port": server.address()["port"]}, calls.must_call(lambda: c.write(bonkers)))
            c.on("error", lambda err: None)
            c.resume()  # consume, so the raw socket ends and closes (see conftest)

        server.listen(0, calls.must_call(listening))

    node_run(main)


def test_standalone_server_socket_reports_on_its_own_error(agent1, calls, node_run):
    """new TLSSocket(socket, {isServer: True}) without a server: its own 'error'."""
    def main():
        ctx = tls.createSecureContext({"key": agent1["key"], "cert": agent1["cert"]})

        def on_connection(raw):
            sock = tls.TLSSocket(raw, {"isServer": True, "secureContext": ctx})
            sock.on("secure", calls.must_not_call("secure"))
            sock.on("error", calls.must_call(lambda err: assert_code(err, "ERR_SSL_WRONG_VERSION_NUMBER")))
            sock.on("close", calls.must_call(lambda had_error: (assert_true(had_error), server.close())))

        server = net.createServer(on_connection)

        def listening():
            c = None
            c = net.connect({"port": server.address()["port"]}, lambda: c.write(b"*" * 100))
            c.on("error", lambda err: None)
            c.resume()  # consume, so the raw socket ends and closes (see conftest)

        server.listen(0, calls.must_call(listening))

    node_run(main)


def test_standalone_server_socket_without_error_listener_does_not_throw(agent1, calls, node_run):
    """Node keeps its internal '_tlsError' 'error' listener on a socket that
    never released control, so a failed handshake does not throw."""
    def main():
        ctx = tls.createSecureContext({"key": agent1["key"], "cert": agent1["cert"]})

        def on_connection(raw):
            sock = tls.TLSSocket(raw, {"isServer": True, "secureContext": ctx})
            sock.on("_tlsError", calls.must_call(lambda err: assert_code(err, "ERR_SSL_WRONG_VERSION_NUMBER")))
            sock.on("close", calls.must_call(lambda had_error: server.close()))

        server = net.createServer(on_connection)

        def listening():
            c = None
            c = net.connect({"port": server.address()["port"]}, lambda: c.write(b"*" * 100))
            c.on("error", lambda err: None)
            c.resume()  # consume, so the raw socket ends and closes (see conftest)

        server.listen(0, calls.must_call(listening))

    node_run(main)


