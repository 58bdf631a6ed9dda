"""Port of test/parallel/test-tls-client-reject.js.

A server with a self-signed certificate echoes; a client that does not
reject gets in unauthorized, a default client is refused with the verify
error, a client trusting the certificate gets in authorized.
"""
import tls

from support.node_style import assert_equal


def _echo_server(self_signed):
    def on_secure(socket):
        socket.pipe(socket)
        socket.on("end", lambda *a: socket.end())
    return tls.createServer({"key": self_signed["key"], "cert": self_signed["cert"]}, on_secure)


def test_unauthorized_client_gets_through(self_signed, calls, node_run):
    def main():
        server = _echo_server(self_signed)

        def listening():
            socket = None

            def on_secure():
                assert socket.authorized is False
                assert socket.authorizationError == "DEPTH_ZERO_SELF_SIGNED_CERT"
                socket.on("data", calls.must_call(lambda data: assert_equal(data, b"ok")))
                socket.on("end", calls.must_call(lambda *a: server.close()))

            socket = tls.connect({"port": server.address()["port"], "servername": "localhost",
                                  "rejectUnauthorized": False}, calls.must_call(on_secure))
            socket.on("error", calls.must_not_call("client 'error'"))
            socket.end("ok")

        server.listen(0, calls.must_call(listening))

    node_run(main)


def test_default_client_rejects_self_signed(self_signed, calls, node_run):
    def main():
        server = _echo_server(self_signed)

        def listening():
            socket = tls.connect(server.address()["port"], {"servername": "localhost"},
                                 calls.must_not_call("secureConnect"))
            socket.on("data", calls.must_not_call("client 'data'"))

            def on_error(err):
                assert err.code == "DEPTH_ZERO_SELF_SIGNED_CERT"
                assert socket.authorized is False
                assert socket.authorizationError == "DEPTH_ZERO_SELF_SIGNED_CERT"
                server.close()

            socket.on("error", calls.must_call(on_error))
            socket.on("close", calls.must_call(lambda had_error: assert_equal(had_error, True)))
            socket.end("ng")

        server.listen(0, calls.must_call(listening))

    node_run(main)


def test_client_trusting_the_cert_is_authorized(self_signed, calls, node_run):
    def main():
        server = _echo_server(self_signed)

        def listening():
            socket = None

            def on_secure():
                assert socket.authorized is True
                assert socket.authorizationError is None
                socket.on("data", calls.must_call(lambda data: assert_equal(data, b"ok")))
                socket.on("end", calls.must_call(lambda *a: server.close()))

            socket = tls.connect(server.address()["port"], {"ca": [self_signed["cert"]], "servername": "localhost"},
                                 calls.must_call(on_secure))
            socket.on("error", calls.must_not_call("client 'error'"))
            socket.end("ok")

        server.listen(0, calls.must_call(listening))

    node_run(main)


