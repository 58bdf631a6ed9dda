"""Port of test/parallel/test-tls-econnreset.js.

A TCP client that connects and closes before any TLS: the server hears
'tlsClientError' ECONNRESET "socket hang up", once, with the socket.
"""
import tls
from tls import net


def test_hang_up_before_handshake(agent1, calls, node_run):
    errors = []

    def main():
        server = tls.createServer({"cert": agent1["cert"], "key": agent1["key"]},
                                  calls.must_not_call("secureConnection"))
        server.on("error", calls.must_not_call("server 'error'"))

        def on_client_error(err, conn):
            assert not errors and conn is not None
            errors.append(err)
            server.close()

        server.on("tlsClientError", calls.must_call(on_client_error))

        def listening():
            def on_connect():
                # Destroy the socket once it is connected, so the server sees ECONNRESET.
                c.destroy()

            c = net.connect(server.address()["port"], calls.must_call(on_connect))
            c.on("error", calls.must_not_call("client 'error'"))

        server.listen(0, calls.must_call(listening))

    node_run(main)
    assert errors[0].code == "ECONNRESET"


def test_hang_up_during_handshake(agent1, calls, node_run):
    """Half a ClientHello, then FIN: still one 'tlsClientError' ECONNRESET."""
    def main():
        server = tls.createServer({"cert": agent1["cert"], "key": agent1["key"]},
                                  calls.must_not_call("secureConnection"))

        def on_client_error(err, conn):
            assert err.code == "ECONNRESET"
            server.close()

        server.on("tlsClientError", calls.must_call(on_client_error))

        def listening():
            c = None

            def on_connect():
                c.end(bytes.fromhex("16030100c4010000c00303"))

            c = net.connect(server.address()["port"], calls.must_call(on_connect))
            c.on("error", lambda err: None)
            c.resume()  # consume, so the raw socket ends and closes (see conftest)

        server.listen(0, calls.must_call(listening))

    node_run(main)
