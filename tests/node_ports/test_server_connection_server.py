"""Port of test/parallel/test-tls-server-connection-server.js: the raw socket of the
server's 'connection' event knows its server."""
import tls


def test_connection_socket_server(agent1, calls, node_run):
    def main():
        server = tls.createServer({"key": agent1["key"], "cert": agent1["cert"]}, lambda s: s.end("hello"))

        def on_connection(socket):
            assert socket.server is server
            server.close()

        def listening():
            server.on("connection", calls.must_call(on_connection))
            client = None

            def on_secure():
                client.end()

            client = tls.connect({"port": server.address()["port"], "rejectUnauthorized": False}, on_secure)
            client.resume()  # "hello" is not read in Node either: drain it (see support.node_style)

        server.listen(0, listening)

    node_run(main)
