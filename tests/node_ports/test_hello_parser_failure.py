"""Port of test/parallel/test-tls-hello-parser-failure.js: 2 MiB of junk instead of a
ClientHello: the server drops the client, whose 'close' has hadError true."""
import tls
from tls import net
from tls._node import runtime as _runtime


def test_junk_hello(self_signed, calls, node_run):
    bonkers = bytes([42]) * (1024 * 1024)

    def main():
        server = tls.createServer({"key": self_signed["key"], "cert": self_signed["cert"]}, lambda c: None)

        def listening():
            client = None
            client = net.connect(server.address()["port"], calls.must_call(lambda: client.write(bonkers)))
            write_again = _runtime.setImmediate(lambda: client.write(bonkers))

            def on_error(err):
                _runtime.clearImmediate(write_again)
                client.destroy()
                server.close()

            client.once("error", calls.must_call(on_error))
            client.on("close", calls.must_call(lambda had_error: _eq(had_error, True)))

        server.listen(0, calls.must_call(listening))

    node_run(main)


def _eq(a, b):
    assert a == b, (a, b)
