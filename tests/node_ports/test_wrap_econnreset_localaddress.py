"""Port of test/parallel/test-tls-wrap-econnreset-localaddress.js: a TCP server that ends at
once gives the TLS client ECONNRESET with port and localAddress, no path / host."""
import tls
from tls import net


def test_econnreset_with_local_address(calls, node_run):
    def main():
        # c.resume(): the ClientHello is never read, which keeps tls.run alive (see support.node_style)
        server = net.createServer(lambda c: c.resume().end())
        state = {"errored": False}

        def listening():
            port = server.address()["port"]

            def on_error(e):
                assert e.code == "ECONNRESET"
                assert getattr(e, "path", None) is None
                assert getattr(e, "host", None) is None
                assert e.port == port
                assert e.localAddress == "127.0.0.1"
                server.close()
                state["errored"] = True

            def on_close(*args):
                assert state["errored"] is True

            sock = tls.connect({"port": port, "family": 4, "localAddress": "127.0.0.1"}, "127.0.0.1")
            sock.once("error", calls.must_call(on_error))
            sock.on("close", calls.must_call(on_close))

        server.listen(calls.must_call(listening))

    node_run(main)
