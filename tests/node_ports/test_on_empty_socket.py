"""Port of test/parallel/test-tls-on-empty-socket.js: tls.connect over a net.Socket that
connects afterwards; the server's 'hello' arrives whole before 'end'."""
import tls
from tls import net


def test_connect_over_unconnected_socket(agent1, calls, node_run):
    out = []

    def main():
        server = tls.createServer({"key": agent1["key"], "cert": agent1["cert"]}, lambda c: c.end("hello"))

        def listening():
            socket = net.Socket()
            s = None

            def on_secure():
                s.on("data", lambda chunk: out.append(chunk))

                def on_end():
                    s.destroy()
                    server.close()

                s.on("end", calls.must_call(on_end))

            s = tls.connect({"socket": socket, "rejectUnauthorized": False}, calls.must_call(on_secure))
            socket.connect(server.address()["port"])

        server.listen(0, listening)

    node_run(main)
    assert b"".join(out) == b"hello"   # process.on('exit')
