"""Port of test/parallel/test-tls-connect-hwm-option.js: tls.connect's highWaterMark sets the
socket's readableHighWaterMark (128000; undefined -> the default, 16 KiB in Node 20 (64 KiB from
Node 22); 0 stays 0); the server closes after the third connection."""
import tls


def test_connect_hwm_option(agent1, calls, node_run):
    def main():
        clients = [0]

        def on_connection(*args):
            clients[0] -= 1
            if clients[0] == 0:
                server.close()

        server = tls.createServer({"key": agent1["key"], "cert": agent1["cert"]},
                                  calls.must_call(on_connection, 3))

        def connect(hwm, expected):
            clients[0] += 1

            def on_connect():
                assert bob.readableHighWaterMark == expected
                bob.end()

            bob = tls.connect({"port": server.address()["port"], "rejectUnauthorized": False,
                               "highWaterMark": hwm}, calls.must_call(on_connect))

        def listening():
            connect(128000, 128000)  # highBob
            connect(None, 16 * 1024)  # defaultHighBob (highWaterMark: undefined)
            connect(0, 0)  # zeroHighBob

        server.listen(0, calls.must_call(listening))

    node_run(main)
