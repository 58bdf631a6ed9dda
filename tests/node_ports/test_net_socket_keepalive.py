"""Port of test/parallel/test-tls-net-socket-keepalive.js: a TLS client over a half-open
net.Socket that connects afterwards; both sides write, end and close."""
import tls
from tls import net


def test_over_half_open_net_socket(agent1, rsa_ca, calls, node_run):
    def main():
        def on_secure_connection(conn):
            conn.write("hello", calls.must_call())
            conn.on("data", calls.must_call())
            conn.on("end", calls.must_call())
            conn.on("data", calls.must_call())
            conn.on("close", calls.must_call())
            conn.end()

        server = tls.createServer({"key": agent1["key"], "cert": agent1["cert"], "ca": [rsa_ca.cert_pem.bytes()]},
                                  calls.must_call(on_secure_connection))

        def listening():
            net_socket = net.Socket({"allowHalfOpen": True})
            socket = tls.connect({"socket": net_socket, "rejectUnauthorized": False})
            address = server.address()
            net_socket.connect({"port": address["port"], "host": address["address"]})
            socket.on("secureConnect", calls.must_call())
            socket.on("end", calls.must_call())
            socket.on("data", calls.must_call())
            socket.on("close", calls.must_call(lambda *a: server.close()))
            socket.write("hello")
            socket.end()

        server.listen(0, calls.must_call(listening))

    node_run(main)
