"""Port of test/parallel/test-tls-client-destroy-soon.js.

The server answers with 2 MiB and ``end()`` + ``destroySoon()``; the client
reads it in paused mode ('readable' + ``read()``) and sees all of it before
'end'.  The buffer far exceeds the high-water marks on both sides, so this
also runs the paused-mode backpressure: the client's transport stops at
``readableHighWaterMark`` and each ``read()`` starts it again.  Before
paused mode existed this hung.
"""
import tls

BIG = b"Y" * (2 * 1024 * 1024)


def test_client_destroy_soon(agent1, calls, node_run):
    counted = {"bytesRead": 0}

    def main():
        def on_secure(socket):
            socket.end(BIG)
            socket.destroySoon()

        server = tls.createServer({"key": agent1["key"], "cert": agent1["cert"]}, calls.must_call(on_secure))

        def listening():
            def connected():
                def on_readable():
                    d = client.read()
                    if d:
                        counted["bytesRead"] += len(d)

                client.on("readable", on_readable)

                def on_end():
                    server.close()
                    assert counted["bytesRead"] == len(BIG)

                client.on("end", calls.must_call(on_end))

            client = tls.connect({"port": server.address()["port"], "rejectUnauthorized": False},
                                 calls.must_call(connected))

        server.listen(0, calls.must_call(listening))

    node_run(main)
    assert counted["bytesRead"] == len(BIG)
