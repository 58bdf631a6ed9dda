"""Port of test/parallel/test-tls-timeout-server-2.js: setTimeout(ms, cb) on the server's
TLSSocket returns the socket and calls back after idling."""
import tls


def test_server_socket_timeout(agent1, calls, node_run):
    def main():
        server = None

        def on_secure_connection(cleartext):
            def on_timeout(*args):
                cleartext.destroy()
                server.close()

            s = cleartext.setTimeout(50, on_timeout)
            assert isinstance(s, tls.TLSSocket)

        server = tls.createServer({"key": agent1["key"], "cert": agent1["cert"]},
                                  calls.must_call(on_secure_connection))

        def listening():
            client = tls.connect({"host": "127.0.0.1", "port": server.address()["port"], "rejectUnauthorized": False})
            client.on("error", lambda *a: None)  # the server destroys it; Node's test does not look

        server.listen(0, calls.must_call(listening))

    node_run(main)
