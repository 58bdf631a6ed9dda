"""Port of test/parallel/test-tls-delayed-attach-error.js: a TLSSocket attached 200 ms after
the peer sent junk sees the junk and fails ('_tlsError')."""
import tls
from tls import net
from tls._node import runtime as _runtime


def test_junk_before_attach(agent1, calls, node_run):
    bonkers = bytes([42]) * 1024

    def main():
        options = {"key": agent1["key"], "cert": agent1["cert"]}
        server = None

        def on_connection(c):
            def attach():
                s = tls.TLSSocket(c, {"isServer": True, "secureContext": tls.createSecureContext(options)})
                s.on("_tlsError", calls.must_call())

                def on_close(*args):
                    server.close()
                    s.destroy()

                s.on("close", on_close)

            _runtime.setTimeout(calls.must_call(attach), 200)

        server = net.createServer(calls.must_call(on_connection))

        def listening():
            c = None

            def on_connect():
                c.write(bonkers)

            c = net.connect({"port": server.address()["port"]}, on_connect)
            c.on("error", lambda *a: None)  # the server resets it; Node's test does not look
            c.resume()

        server.listen(0, listening)

    node_run(main)
