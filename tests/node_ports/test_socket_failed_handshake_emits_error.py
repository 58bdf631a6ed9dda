"""Port of test/parallel/test-tls-socket-failed-handshake-emits-error.js: a server-side
TLSSocket attached late to a socket that sent junk emits 'error' (wrong version number)."""
import re

import tls
from tls import net
from tls._node import runtime as _runtime


def test_junk_emits_error(calls, node_run):
    bonkers = bytes([42]) * 1024

    def main():
        server = None

        def on_connection(c):
            def attach():
                s = tls.TLSSocket(c, {"isServer": True, "server": server})

                def on_error(e):
                    assert isinstance(e, Exception)
                    assert re.search(r"SSL routines:[^:]*:wrong version number", str(e)), str(e)

                s.on("error", calls.must_call(on_error))

                def on_close(*args):
                    server.close()
                    s.destroy()

                s.on("close", on_close)

            _runtime.setTimeout(attach, 200)

        server = net.createServer(on_connection)

        def listening():
            c = None

            def on_connect():
                c.write(bonkers)

            c = net.connect({"port": server.address()["port"]}, on_connect)
            c.on("error", lambda *a: None)   # reset by the server; Node's test does not look
            c.resume()

        server.listen(0, listening)

    node_run(main)
