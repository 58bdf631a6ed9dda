"""Port of test/parallel/test-tls-socket-constructor-alpn-options-parsing.js: ALPNProtocols
as a list in new TLSSocket(), with no socket and on the server side."""
import tls
from tls import net


def test_alpn_list_in_constructor(agent1, calls, node_run):
    def main():
        tls.TLSSocket(None, {"ALPNProtocols": ["http/1.1"]}).destroy()  # must not throw
        server = None

        def on_connection(s):
            tls_socket = tls.TLSSocket(s, {"isServer": True, "server": server, "key": agent1["key"],
                                           "cert": agent1["cert"], "ALPNProtocols": ["http/1.1"]})

            def on_secure():
                assert tls_socket.alpnProtocol == "http/1.1"
                tls_socket.end()
                server.close()

            tls_socket.on("secure", calls.must_call(on_secure))

        server = net.createServer(calls.must_call(on_connection))

        def listening():
            client = None

            def on_secure():
                client.end()

            client = tls.connect({"port": server.address()["port"], "rejectUnauthorized": False,
                                  "ALPNProtocols": ["h2", "http/1.1"]}, calls.must_call(on_secure))

        server.listen(0, calls.must_call(listening))

    node_run(main)
