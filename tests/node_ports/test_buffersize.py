"""Port of test/parallel/test-tls-buffersize.js: a client's bufferSize is 0 after the handshake,
i after i one-byte writes in the same tick, and 0 again at 'finish'; the server reads the nine
bytes whole."""
import tls

ITER = 10


def test_buffersize(agent1, calls, node_run):
    def main():
        def on_connection(socket):
            received = []
            socket.setEncoding("utf-8")
            socket.on("data", received.append)

            def on_end():
                assert "".join(received) == "a" * (ITER - 1)
                server.close()

            socket.on("end", calls.must_call(on_end))

        server = tls.createServer({"key": agent1["key"], "cert": agent1["cert"]},
                                  calls.must_call(on_connection))

        def listening():
            def on_connect():
                assert client.bufferSize == 0
                for i in range(1, ITER):
                    client.write("a")
                    assert client.bufferSize == i
                client.on("finish", calls.must_call(lambda: _assert_zero(client)))
                client.end()

            client = tls.connect({"port": server.address()["port"], "rejectUnauthorized": False},
                                 calls.must_call(on_connect))

        server.listen(0, calls.must_call(listening))

    node_run(main)


def _assert_zero(client):
    assert client.bufferSize == 0
