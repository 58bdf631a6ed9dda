"""Port of test/parallel/test-tls-connect-no-host.js: no host -> 'localhost', which the
certificate (CN=localhost, trusted as its own CA) matches."""
import tls


def test_no_host_means_localhost(self_signed, calls, node_run):
    def main():
        server = tls.createServer({"key": self_signed["key"], "cert": self_signed["cert"]})

        def listening():
            socket = None

            def on_secure():
                assert socket.authorized is True
                socket.destroy()
                server.close()

            socket = tls.connect({"port": server.address()["port"], "ca": self_signed["cert"]},
                                 calls.must_call(on_secure))

        server.listen(0, calls.must_call(listening))

    node_run(main)
