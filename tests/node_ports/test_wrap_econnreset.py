"""Ports of test/parallel/test-tls-wrap-econnreset*.js.

A peer that closes before the handshake: the tls.connect client gets
'error' ECONNRESET ("Client network socket disconnected before secure TLS
connection was established") carrying the connect options' path, host,
port and localAddress (None where Node has undefined), then 'close'.
Variants (checked against Node 20): TCP with a host, TCP with
localAddress, a Unix socket path, and a given socket (no address fields).
"""
import os
import tempfile

import tls
from tls import net

from support.node_style import assert_true


def _closing_server():
    def on_connection(c):
        # resume(): consume the ClientHello so the socket can end and close
        # (Node lets the process exit with it unread; see conftest).
        c.resume()
        c.end()
    return net.createServer(on_connection)


def test_tcp(calls, node_run):
    def main():
        server = _closing_server()

        def listening():
            port = server.address()["port"]
            errored = []

            def on_error(e):
                assert e.code == "ECONNRESET"
                assert e.path is None
                assert e.host == "127.0.0.1"
                assert e.port == port
                assert e.localAddress is None
                errored.append(e)
                server.close()

            sock = tls.connect(port, "127.0.0.1")
            sock.once("error", calls.must_call(on_error))
            sock.on("secureConnect", calls.must_not_call("secureConnect"))
            sock.on("close", calls.must_call(lambda had_error: assert_true(errored and had_error is True)))

        server.listen(calls.must_call(listening))

    node_run(main)


def test_local_address(calls, node_run):
    def main():
        server = _closing_server()

        def listening():
            port = server.address()["port"]

            def on_error(e):
                assert e.code == "ECONNRESET"
                assert e.path is None
                assert e.host == "127.0.0.1"
                assert e.port == port
                assert e.localAddress == "127.0.0.1"
                server.close()

            tls.connect({"port": port, "host": "127.0.0.1", "localAddress": "127.0.0.1"}).once(
                "error", calls.must_call(on_error))

        server.listen(0, "127.0.0.1", calls.must_call(listening))

    node_run(main)


def test_pipe(calls, node_run):
    path = os.path.join(tempfile.mkdtemp(), "wrap-econnreset.sock")

    def main():
        server = _closing_server()

        def listening():
            def on_error(e):
                assert e.code == "ECONNRESET"
                assert e.path == path
                assert e.host is None
                assert e.port is None
                assert e.localAddress is None
                server.close()

            tls.connect(path).once("error", calls.must_call(on_error))

        server.listen(path, calls.must_call(listening))

    node_run(main)


def test_given_socket(calls, node_run):
    def main():
        server = _closing_server()

        def listening():
            raw = net.connect(server.address()["port"], "127.0.0.1")

            def on_error(e):
                assert e.code == "ECONNRESET"
                for attr in ("path", "host", "port", "localAddress"):
                    assert getattr(e, attr) is None, attr
                server.close()

            tls.connect({"socket": raw}).once("error", calls.must_call(on_error))

        server.listen(0, "127.0.0.1", calls.must_call(listening))

    node_run(main)


def test_end_listener_runs_before_the_error(calls, node_run):
    """Node's onConnectEnd is an 'end' listener: 'end', then 'error', then 'close'."""
    order = []

    def main():
        server = _closing_server()

        def listening():
            sock = tls.connect(server.address()["port"], "127.0.0.1")
            sock.on("end", calls.must_call(lambda: order.append("end")))
            sock.on("error", calls.must_call(lambda e: order.append(e.code)))
            sock.on("close", calls.must_call(lambda *a: (order.append("close"), server.close())))

        server.listen(0, calls.must_call(listening))

    node_run(main)
    assert order == ["end", "ECONNRESET", "close"]


