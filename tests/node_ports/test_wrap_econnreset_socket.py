"""Port of test/parallel/test-tls-wrap-econnreset-socket.js: over a given net.Socket the
ECONNRESET carries no port / localAddress (the TLS layer never knew them)."""
import tls
from tls import net


def test_econnreset_over_given_socket(calls, node_run):
    def main():
        # c.resume(): the ClientHello is never read, which keeps tls.run alive (see support.node_style)
        server = net.createServer(lambda c: c.resume().end())
        state = {"errored": False}

        def listening():
            port = server.address()["port"]
            socket = net.Socket()

            def on_error(e):
                assert e.code == "ECONNRESET"
                for name in ("path", "host", "port", "localAddress"):
                    assert getattr(e, name, None) is None, name
                state["errored"] = True
                server.close()

            def on_close(*args):
                assert state["errored"] is True

            sock = tls.connect({"socket": socket})
            sock.once("error", calls.must_call(on_error))
            sock.on("close", calls.must_call(on_close))
            socket.connect(port)

        server.listen(calls.must_call(listening))

    node_run(main)
