"""Port of test/parallel/test-tls-delayed-attach.js: a server TLSSocket attached 200 ms
after the client connected still handshakes and reads the client's data."""
import tls
from tls import net
from tls._node import runtime as _runtime

SENT = "hello world"


def test_delayed_attach(agent1, calls, node_run):
    received = []

    def main():
        server = None

        def on_connection(c):
            def attach():
                s = tls.TLSSocket(c, {"isServer": True, "secureContext": tls.createSecureContext(
                    {"key": agent1["key"], "cert": agent1["cert"]})})
                s.on("data", lambda chunk: received.append(chunk.decode()))

                def on_end():
                    server.close()
                    s.destroy()

                s.on("end", calls.must_call(on_end))

            _runtime.setTimeout(attach, 200)

        server = net.createServer(calls.must_call(on_connection))

        def listening():
            c = None
            c = tls.connect(server.address()["port"], {"rejectUnauthorized": False}, lambda: c.end(SENT))

        server.listen(0, calls.must_call(listening))

    node_run(main)
    assert "".join(received) == SENT
