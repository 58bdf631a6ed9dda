"""Port of test/parallel/test-tls-destroy-stream.js (and, under the ``tls12`` fixture,
test-tls-destroy-stream-12.js): a TLS server socket over one side of a duplex pair whose other
side is piped to and from a net connection (the first chunk read, then unshift()ed back a tick
later, as a server that peeks at the data to decide what to do) must emit 'close' when the
server's TLS socket is destroyed instead of ended, and the client sees 'close' with no error.
Refs: https://github.com/nodejs/node/issues/14605"""
import pytest

import tls
from tls import net
from tls._node import runtime as _runtime

from support.node_style import duplex_pair

CONTENT = "Hello World"


def _destroy_stream(agent1, calls, node_run):
    def main():
        def on_tls_connection(socket):
            socket.on("close", calls.must_call())
            socket.write(CONTENT)
            socket.destroy()

            def on_error(err):
                # destroy() is sync, write() is async: whether the write completes depends on the
                # protocol, it is not guaranteed by the stream API
                if getattr(err, "code", None) == "ERR_STREAM_DESTROYED":
                    return
                raise err

            socket.on("error", calls.must_call_at_least(on_error, 0))

        tls_server = tls.createServer({"key": agent1["key"], "cert": agent1["cert"], "ca": [agent1["ca"]]},
                                      calls.must_call(on_tls_connection))

        def on_connection(conn):
            conn.on("error", calls.must_not_call())

            def on_first_data(chunk):
                client_side, server_side = duplex_pair()
                server_side.on("close", calls.must_call(lambda: conn.destroy()))
                client_side.pipe(conn)
                conn.pipe(client_side)
                conn.on("close", calls.must_call(lambda: client_side.destroy()))
                client_side.on("close", calls.must_call(lambda: conn.destroy()))
                _runtime.nextTick(lambda: conn.unshift(chunk))
                tls_server.emit("connection", server_side)

            conn.once("data", calls.must_call(on_first_data))

        server = net.createServer(calls.must_call(on_connection))

        def listening():
            port = server.address()["port"]

            def on_secure():
                def on_data(data):
                    assert bytes(data).decode("utf8") == CONTENT

                conn.on("data", calls.must_call_at_least(on_data, 0))
                conn.on("error", calls.must_not_call())
                conn.on("close", calls.must_call(lambda: server.close()))

            conn = tls.connect({"port": port, "rejectUnauthorized": False}, calls.must_call(on_secure))

        server.listen(0, calls.must_call(listening))

    node_run(main, timeout=10)


def test_destroy_stream(agent1, calls, node_run, monkeypatch):
    monkeypatch.setattr(tls, "DEFAULT_MAX_VERSION", "TLSv1.3")  # as Node's test sets it
    _destroy_stream(agent1, calls, node_run)


def test_destroy_stream_12(agent1, calls, node_run, tls12):
    """test-tls-destroy-stream-12.js: the same under tls.DEFAULT_MAX_VERSION = 'TLSv1.2'."""
    _destroy_stream(agent1, calls, node_run)
