"""Port of test/parallel/test-tls-zero-clear-in.js: end('') before the handshake, then
destroy(): no 'error'."""
import tls
from tls._node import runtime as _runtime


def test_end_with_empty_string(self_signed, calls, node_run):
    def main():
        server = None

        def on_secure_connection(c):
            def later():
                c.end()
                server.close()

            _runtime.setTimeout(later, 20)

        server = tls.createServer({"cert": self_signed["cert"], "key": self_signed["key"]}, on_secure_connection)

        def listening():
            conn = None

            def on_secure():
                _runtime.setTimeout(lambda: conn.destroy(), 20)

            conn = tls.connect({"cert": self_signed["cert"], "key": self_signed["key"], "rejectUnauthorized": False,
                                "port": server.address()["port"]}, on_secure)
            conn.end("")
            conn.on("error", calls.must_not_call("'error'"))

        server.listen(0, calls.must_call(listening))

    node_run(main)
