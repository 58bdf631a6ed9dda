"""Port of test/parallel/test-tls-connect-simple.js: two clients; the server closes after
the second, with close(cb) and 'close' both called."""
import tls


def test_two_clients(agent1, calls, node_run):
    def main():
        state = {"connected": 0}
        server = None

        def on_secure_connection(socket):
            state["connected"] += 1
            if state["connected"] == 2:
                server.close(calls.must_call())
                server.on("close", calls.must_call())

        server = tls.Server({"key": agent1["key"], "cert": agent1["cert"]}, calls.must_call(on_secure_connection, 2))

        def listening():
            port = server.address()["port"]
            client1 = None

            def on_secure1():
                client1.end()

            client1 = tls.connect({"port": port, "rejectUnauthorized": False}, calls.must_call(on_secure1))
            client2 = tls.connect({"port": port, "rejectUnauthorized": False})
            client2.on("secureConnect", calls.must_call(lambda: client2.end()))

        server.listen(0, listening)

    node_run(main)
