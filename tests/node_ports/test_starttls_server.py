"""Port of test/parallel/test-tls-starttls-server.js: a server-side TLSSocket made over a
net server's socket, with SNICallback(null, null) keeping the default context and a
client asking for OCSP."""
import tls
from tls import net


def test_starttls_server(agent1, calls, node_run):
    def main():
        server = None

        def on_connection(s):
            def sni(hostname, callback):
                assert hostname == "test.test"
                callback(None, None)

            tls_socket = tls.TLSSocket(s, {"isServer": True, "server": server,
                                           "secureContext": tls.createSecureContext({"key": agent1["key"],
                                                                                     "cert": agent1["cert"]}),
                                           "SNICallback": calls.must_call(sni)})

            def on_secure():
                tls_socket.end()
                server.close()

            tls_socket.on("secure", calls.must_call(on_secure))

        server = net.createServer(calls.must_call(on_connection))

        def listening():
            client = None

            def on_secure():
                client.end()

            client = tls.connect({"servername": "test.test", "port": server.address()["port"],
                                  "rejectUnauthorized": False, "requestOCSP": True}, on_secure)

        server.listen(0, listening)

    node_run(main)
