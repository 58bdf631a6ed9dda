"""Port of test/parallel/test-tls-socket-close.js: a net.Socket handed to a tls.Server by
emitting 'connection'; destroying the net socket closes the TLS socket on a later tick, and
the net socket's 'close' comes one tick after that."""
import tls
from tls import net
from tls._node import runtime as _runtime


def test_destroy_underlying_socket(self_signed, calls, node_run):
    def main():
        state = {"server_tls": None, "net_socket": None, "net_close": False, "count": 2}
        net_server = None

        def dec(*args):
            state["count"] -= 1
            if state["count"] == 0:
                net_server.close()

        def on_secure_connection(socket):
            state["server_tls"] = socket
            socket.on("close", dec)

        tls_server = tls.createServer({"cert": self_signed["cert"], "key": self_signed["key"]}, on_secure_connection)

        def on_connection(socket):
            state["net_socket"] = socket
            tls_server.emit("connection", socket)

            def on_close(*args):
                state["net_close"] = True
                assert state["server_tls"].destroyed is True

            socket.on("close", on_close)

        net_server = net.createServer(on_connection)

        def connect_client():
            client = tls.connect({"host": "localhost", "port": net_server.address()["port"],
                                  "rejectUnauthorized": False})

            def on_timeout():
                assert state["server_tls"]
                state["net_socket"].destroy()
                assert state["net_socket"].destroyed is True

                def tick1():
                    assert state["net_close"] is False
                    assert state["server_tls"].destroyed is False
                    _runtime.setImmediate(lambda: _true(state["net_close"]))

                _runtime.setImmediate(tick1)

            def written(*args):
                assert state["net_socket"]
                state["net_socket"].setTimeout(10, calls.must_call(on_timeout))

            client.write("foo", "utf8", calls.must_call(written))
            client.on("close", dec)
            client.on("error", lambda *a: None)  # Node's client sees ECONNRESET too, unchecked

        net_server.listen(0, calls.must_call(connect_client))

    node_run(main)


def _true(value):
    assert value is True
