"""Port of test/parallel/test-tls-keylog-tlsv13.js: five key-log lines on each side of a
TLS 1.3 handshake, as bytes; the server's 'keylog' names the (encrypted) socket."""
import tls


def test_keylog_lines(self_signed, calls, node_run):
    def main():
        server = tls.createServer({"key": self_signed["key"], "cert": self_signed["cert"],
                                   "minVersion": "TLSv1.3", "maxVersion": "TLSv1.3"})

        def listening():
            client = tls.connect({"port": server.address()["port"], "rejectUnauthorized": False})

            def on_server_keylog(line, tls_socket):
                assert isinstance(line, bytes)
                assert tls_socket.encrypted is True

            def on_client_keylog(line):
                assert isinstance(line, bytes)

            server.on("keylog", calls.must_call(on_server_keylog, 5))
            client.on("keylog", calls.must_call(on_client_keylog, 5))

            def on_secure():
                server.close()
                client.end()

            client.once("secureConnect", on_secure)

        server.listen(listening)

    node_run(main)
