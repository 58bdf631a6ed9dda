"""Port of test/parallel/test-tls-connect-given-socket.js.

tls.connect({socket}) over a net.Socket that is already connected or still
connecting both work; a TLS socket destroyed right away, or destroyed when
its TCP socket connects, never reaches 'secureConnect' (and takes the TCP
socket down with it).  Right after tls.connect() the socket is readable and
writable.
"""
import tls
from tls import net

from support.node_style import assert_equal


def _hello_server(self_signed, calls, expected):
    def on_secure(socket):
        socket.resume()  # drain what the client writes (see conftest)
        socket.end("Hello")
    return tls.createServer({"key": self_signed["key"], "cert": self_signed["cert"]},
                            calls.must_call(on_secure, expected))


def _establish(socket, calls, count, on_done):
    client = None

    def on_secure():
        data = []
        client.on("data", calls.must_call_at_least(lambda chunk: data.append(chunk)))

        def on_end():
            assert b"".join(data) == b"Hello"
            on_done()

        client.on("end", calls.must_call(on_end))

    client = tls.connect({"rejectUnauthorized": False, "socket": socket}, calls.must_call(on_secure, count))
    assert client.readable
    assert client.writable
    return client


def test_connect_given_socket(self_signed, calls, node_run):
    def main():
        server = _hello_server(self_signed, calls, 2)
        waiting = [2]

        def one_done():
            waiting[0] -= 1
            if waiting[0] == 0:
                server.close()

        def listening():
            port = server.address()["port"]

            # Immediate death socket
            immediate_death = net.connect(port)
            _establish(immediate_death, calls, 0, one_done).destroy()
            assert immediate_death.destroyed   # destroying TLS destroys the socket it wraps

            # Outliving
            def on_outliving_connect():
                outliving_tls.destroy()
                next_step()

            outliving_tcp = net.connect(port, calls.must_call(on_outliving_connect))
            outliving_tls = _establish(outliving_tcp, calls, 0, one_done)

            def next_step():
                # Already connected socket
                connected = None
                connected = net.connect(port, calls.must_call(lambda: _establish(connected, calls, 1, one_done)))
                # Connecting socket
                connecting = net.connect(port)
                _establish(connecting, calls, 1, one_done)

        server.listen(0, calls.must_call(listening))

    node_run(main)


def test_connecting_socket_reports_connect(self_signed, calls, node_run):
    """The TLS socket over a connecting net.Socket emits 'connect' when it connects."""
    def main():
        server = _hello_server(self_signed, calls, 1)

        def listening():
            raw = net.connect(server.address()["port"])
            client = tls.connect({"socket": raw, "rejectUnauthorized": False})
            assert client.connecting is True
            order = []
            client.on("connect", calls.must_call(lambda: order.append("connect")))

            def on_secure():
                order.append("secureConnect")
                assert order == ["connect", "secureConnect"]
                client.resume()

            client.on("secureConnect", calls.must_call(on_secure))
            client.on("end", calls.must_call(lambda *a: server.close()))

        server.listen(0, calls.must_call(listening))

    node_run(main)


def test_parent_close_destroys_the_tls_socket(self_signed, calls, node_run):
    def main():
        server = tls.createServer({"key": self_signed["key"], "cert": self_signed["cert"]})

        def listening():
            raw = None

            def on_connect():
                client = tls.connect({"socket": raw, "rejectUnauthorized": False})

                def on_secure():
                    raw.destroy()

                client.on("secureConnect", calls.must_call(on_secure))
                client.on("close", calls.must_call(lambda *a: server.close()))

            raw = net.connect(server.address()["port"], calls.must_call(on_connect))

        def on_secure_connection(conn):
            conn.resume()
            conn.on("error", lambda err: None)   # the client vanishes abruptly

        server.on("secureConnection", on_secure_connection)
        server.listen(0, calls.must_call(listening))

    node_run(main)


def test_standalone_client_socket(self_signed, calls, node_run):
    """new TLSSocket(socket) (not tls.connect): the handshake starts with the
    first write, 'secure' is emitted, 'secureConnect' is not, nothing is
    verified (authorized stays False).  Checked against Node 20."""
    def main():
        server = _hello_server(self_signed, calls, 1)

        def listening():
            raw = None

            def on_connect():
                sock = tls.TLSSocket(raw)

                def on_secure():
                    assert sock.authorized is False
                    assert sock.authorizationError is None

                sock.on("secure", calls.must_call(on_secure))
                sock.on("secureConnect", calls.must_not_call("secureConnect"))
                sock.on("data", calls.must_call(lambda data: assert_equal(data, b"Hello")))
                sock.on("close", calls.must_call(lambda *a: server.close()))
                sock.write("x")

            raw = net.connect(server.address()["port"], calls.must_call(on_connect))

        server.listen(0, calls.must_call(listening))

    node_run(main)


def test_bytes_the_socket_already_read_are_fed_to_tls(self_signed, calls, node_run):
    """Node's _init: whatever the wrapped socket buffered (here the client's
    ClientHello, read while the server's raw socket was paused) is the start
    of the TLS stream."""
    from tls._node import runtime as _runtime

    def main():
        ctx = tls.createSecureContext({"key": self_signed["key"], "cert": self_signed["cert"]})

        def on_connection(raw):
            raw.pause()

            def wrap_when_buffered():
                if raw.readableLength == 0:
                    _runtime.setImmediate(wrap_when_buffered)
                    return
                sock = tls.TLSSocket(raw, {"isServer": True, "secureContext": ctx})
                sock.on("secure", calls.must_call(lambda: sock.end("Hello")))

            wrap_when_buffered()

        server = net.createServer(on_connection)

        def listening():
            client = tls.connect({"port": server.address()["port"], "rejectUnauthorized": False},
                                 calls.must_call())
            client.on("data", calls.must_call(lambda data: assert_equal(data, b"Hello")))
            client.on("end", calls.must_call(lambda *a: server.close()))

        server.listen(0, calls.must_call(listening))

    node_run(main)
