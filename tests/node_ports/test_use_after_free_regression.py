"""Port of test/parallel/test-tls-use-after-free-regression.js: three pipelined requests on
one connection, the client destroying it at the first response bytes: the server handles
all three and nothing breaks.  Node's server is https.createServer(); the stand-in is a
minimal HTTP/1.1 server over tls (one response per request, keep-alive)."""
import tls
from tls._node import runtime as _runtime

K_MESSAGE = b"GET / HTTP/1.1\r\nHost: localhost\r\nConnection: Keep-alive\r\n\r\n"
RESPONSE = b"HTTP/1.1 200 OK\r\nContent-Length: 23\r\n\r\nboom goes the dynamite\n"


def test_pipelined_requests_then_destroy(ec_agent, calls, node_run):
    def main():
        handler = calls.must_call(lambda socket: socket.write(RESPONSE), 3)

        def on_secure_connection(socket):
            received = bytearray()
            socket.on("error", lambda *a: None)   # the client is gone while responses are written

            def on_data(chunk):
                received.extend(chunk)
                while b"\r\n\r\n" in received:
                    end = received.index(b"\r\n\r\n") + 4
                    del received[:end]
                    handler(socket)

            socket.on("data", on_data)

        server = tls.createServer({"key": ec_agent["key"], "cert": ec_agent["cert"]}, on_secure_connection)

        def listening():
            socket = None

            def on_secure():
                for _ in range(3):
                    socket.write(K_MESSAGE)

            socket = tls.connect(server.address()["port"], "localhost", {"rejectUnauthorized": False},
                                 calls.must_call(on_secure))
            socket.on("data", calls.must_call(lambda *a: socket.destroy()))
            socket.on("close", lambda *a: _runtime.setImmediate(lambda: server.close()))

        server.listen(0, calls.must_call(listening))

    node_run(main)
