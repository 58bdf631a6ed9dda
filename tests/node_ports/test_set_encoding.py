"""Port of test/parallel/test-tls-set-encoding.js: setEncoding('ascii') gives strings with
Node's ascii decoding (the high bit dropped), whole at 'close'."""
import tls

MESSAGE_UTF8 = "x\u221aab c"
MESSAGE_ASCII = "xb\b\u001aab c"


def test_ascii_encoding(self_signed, calls, node_run):
    def main():
        server = tls.Server({"key": self_signed["key"], "cert": self_signed["cert"]},
                            calls.must_call(lambda socket: socket.end(MESSAGE_UTF8)))

        def listening():
            client = tls.connect({"port": server.address()["port"], "rejectUnauthorized": False})
            buffer = []
            client.setEncoding("ascii")

            def on_data(d):
                assert isinstance(d, str)
                buffer.append(d)

            client.on("data", on_data)
            client.on("secureConnect", calls.must_call())

            def on_close(*args):
                assert client.readyState == "closed"
                assert "".join(buffer) != MESSAGE_UTF8
                assert "".join(buffer) == MESSAGE_ASCII
                server.close()

            client.on("close", calls.must_call(on_close))

        server.listen(0, listening)

    node_run(main)
