"""Port of test/parallel/test-tls-reuse-host-from-socket.js: tls.connect over a connected
net.Socket, no host given."""
import tls
from tls import net


def test_reuse_host_from_socket(agent1, calls, node_run):
    def main():
        server = tls.createServer({"key": agent1["key"], "cert": agent1["cert"]})

        def listening():
            socket = None

            def on_connect():
                secure_socket = None

                def on_secure():
                    secure_socket.destroy()
                    server.close()

                secure_socket = tls.connect({"socket": socket, "rejectUnauthorized": False},
                                            calls.must_call(on_secure))

            socket = net.connect(server.address()["port"], calls.must_call(on_connect))

        server.listen(0, calls.must_call(listening))

    node_run(main)
