"""Port of test/parallel/test-tls-server-parent-constructor-options.js: allowHalfOpen and
pauseOnConnect reach net.Server and the server's TLSSockets."""

import tls


def _run(agent1, calls, node_run, extra, half_open, paused):
    def main():
        def on_secure_connection(socket):
            assert socket.allowHalfOpen is half_open
            assert socket.isPaused() is paused
            if half_open:
                socket.on("end", lambda *a: socket.end())

        server = tls.createServer({**extra, "key": agent1["key"], "cert": agent1["cert"]},
                                  calls.must_call(on_secure_connection))
        assert server.allowHalfOpen is half_open
        assert server.pauseOnConnect is paused

        def listening():
            socket = None

            def on_secure():
                socket.end()

            socket = tls.connect({"port": server.address()["port"], "rejectUnauthorized": False},
                                 calls.must_call(on_secure))
            socket.on("close", lambda *a: server.close())

        server.listen(0, calls.must_call(listening))

    node_run(main)


def test_defaults(agent1, calls, node_run):
    _run(agent1, calls, node_run, {}, False, False)


def test_half_open_and_pause_on_connect(agent1, calls, node_run):
    _run(agent1, calls, node_run, {"allowHalfOpen": True, "pauseOnConnect": True}, True, True)
