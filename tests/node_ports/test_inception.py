"""Port of test/parallel/test-tls-inception.js.

TLS inside TLS: a client's TLS connection to server ``a`` carries, as plaintext, a second TLS
connection to server ``b`` (``a`` pipes its plaintext to a TCP connection to ``b``).
``tls.connect({'socket': tlsSocket})`` runs the inner handshake over the outer socket's plaintext
stream, as Node does, never over its TCP connection.
"""
import tls
from tls import net

BODY = "A" * 40000


def test_inception(agent1, calls, node_run):
    options = {"key": agent1["key"], "cert": agent1["cert"]}

    def main():
        servers = {}

        def proxy(socket):  # the "proxy" server
            dest = net.connect({"host": "127.0.0.1", "port": servers["b"].address()["port"]})
            dest.pipe(socket)
            socket.pipe(dest)
            dest.on("end", lambda: socket.destroy())

        servers["a"] = a = tls.createServer(options, proxy)
        # the "target" server
        servers["b"] = b = tls.createServer(options, lambda socket: socket.end(BODY))

        def a_listening():
            def b_listening():
                socket = tls.connect({"host": "127.0.0.1", "port": a.address()["port"],
                                      "rejectUnauthorized": False})
                ssl = tls.connect({"socket": socket, "rejectUnauthorized": False})
                ssl.setEncoding("utf8")
                buf = []
                ssl.on("data", buf.append)

                def on_end():
                    assert "".join(buf) == BODY
                    ssl.end()
                    a.close()
                    b.close()

                ssl.on("end", calls.must_call(on_end))

            b.listen(0, calls.must_call(b_listening))

        a.listen(0, calls.must_call(a_listening))

    node_run(main)
