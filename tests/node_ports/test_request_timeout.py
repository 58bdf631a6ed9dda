"""Port of test/parallel/test-tls-request-timeout.js: setTimeout(ms) on the server's
TLSSocket returns the socket; 'timeout' follows."""
import tls


def test_request_timeout(agent1, calls, node_run):
    def main():
        server = None

        def on_secure_connection(socket):
            s = socket.setTimeout(100)
            assert isinstance(s, tls.TLSSocket)

            def on_timeout(*args):
                socket.end()
                server.close()

            socket.on("timeout", calls.must_call(on_timeout))

        server = tls.Server({"key": agent1["key"], "cert": agent1["cert"]}, calls.must_call(on_secure_connection))

        def listening():
            tls.connect({"port": server.address()["port"], "rejectUnauthorized": False})

        server.listen(0, listening)

    node_run(main)
