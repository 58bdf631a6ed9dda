"""Port of test/parallel/test-tls-socket-destroy.js: a server-side TLSSocket made over a net.Server's
connection is torn down at its first 'data' while the client is still writing 1 MiB (more than
a record holds), and nothing crashes; the client destroys itself on the error the server's close
gives it.  Node calls ``socket._destroySSL()`` (frees the TLSWrap's SSL) and then
``socket.destroy()``; the Python socket frees its engine in ``destroy()``, so the port calls that
(once for Node's two calls: the engine is gone after the first)."""
import tls
from tls import net


def test_socket_destroy(agent1, calls, node_run):
    def main():
        secure_context = tls.createSecureContext({"key": agent1["key"], "cert": agent1["cert"]})

        def on_connection(conn):
            socket = tls.TLSSocket(conn, {"isServer": True, "secureContext": secure_context, "server": server})

            def on_data(_data):
                socket.destroy()   # Node: socket._destroySSL() (should not crash), then socket.destroy()
                socket.destroy()
                server.close()

            socket.once("data", calls.must_call(on_data))

        server = net.createServer(calls.must_call(on_connection))

        def listening():
            def on_secure():
                client.write("*" * (1 << 20))   # Write more data than fits in a frame.
                client.on("error", lambda err: client.destroy())   # Server closes connection on us.

            client = tls.connect({"port": server.address()["port"], "rejectUnauthorized": False}, on_secure)

        server.listen(0, listening)

    node_run(main)
