"""Port of test/parallel/test-tls-connect-allow-half-open-option.js: a client with
allowHalfOpen can still write after the server ended; without it, allowHalfOpen is False.
Node's first two blocks pass a no-op ``lookup`` so that nothing connects."""
import pytest

import tls
from tls._node import runtime as _runtime


@pytest.mark.parametrize("extra", [{}, {"allowHalfOpen": False}])
def test_default_is_not_half_open(extra, node_run):
    def main():
        socket = tls.connect({"port": 42, "lookup": lambda *a: None, **extra})
        assert socket.allowHalfOpen is False
        socket.destroy()

    node_run(main)


def test_client_writes_after_end(agent1, calls, node_run):
    def main():
        server = None

        def on_secure_connection(socket):
            server.close()
            state = {"message": ""}
            socket.setEncoding("utf8")

            def on_data(chunk):
                state["message"] += chunk
                if state["message"] == "Hello":
                    socket.end(state["message"])
                    state["message"] = ""

            socket.on("data", on_data)
            socket.on("end", calls.must_call(lambda: _eq(state["message"], "Bye")))

        server = tls.createServer({"key": agent1["key"], "cert": agent1["cert"]},
                                  calls.must_call(on_secure_connection))

        def listening():
            socket = None
            received = []

            def on_secure():
                socket.on("data", received.append)

                def on_end():
                    assert "".join(received) == "Hello"

                    def later():
                        assert socket.writable
                        assert socket.write("Bye")
                        socket.end()

                    _runtime.setTimeout(later, 50)

                socket.on("end", calls.must_call(on_end))
                socket.write("Hello")

            socket = tls.connect({"port": server.address()["port"], "rejectUnauthorized": False,
                                  "allowHalfOpen": True}, calls.must_call(on_secure))
            socket.setEncoding("utf8")

        server.listen(0, calls.must_call(listening))

    node_run(main)


def _eq(a, b):
    assert a == b, (a, b)
