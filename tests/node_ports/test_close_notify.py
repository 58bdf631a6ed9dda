"""Port of test/parallel/test-tls-close-notify.js.

A close_notify alone, with the TCP connection left open, is enough for the
receiving side to see 'end'.  Node's test reaches into the handle
(``c._handle.shutdown``); here the engine queues close_notify and it is
flushed, nothing else.
"""
import tls


def _send_close_notify_only(sock):
    sock._engine.shutdown()
    sock._conn.flush()
    assert sock._transport is not None and not sock._transport.is_closing()


def test_server_sees_end_after_client_close_notify(agent1, calls, node_run):
    def main():
        def on_secure(c):
            # Ensure that we receive 'end' event anyway.
            c.on("end", calls.must_call(lambda *a: server.close()))

        server = tls.createServer({"key": agent1["key"], "cert": agent1["cert"]}, calls.must_call(on_secure))

        def listening():
            c = None
            c = tls.connect(server.address()["port"], {"rejectUnauthorized": False},
                            calls.must_call(lambda: _send_close_notify_only(c)))
            c.on("error", calls.must_not_call("client 'error'"))
            c.on("close", calls.must_call())

        server.listen(0, calls.must_call(listening))

    node_run(main)


def test_client_sees_end_after_server_close_notify(agent1, calls, node_run):
    def main():
        server = tls.createServer({"key": agent1["key"], "cert": agent1["cert"]},
                                  calls.must_call(_send_close_notify_only))

        def listening():
            c = None

            def on_secure():
                c.on("end", calls.must_call(lambda *a: (c.destroy(), server.close())))

            c = tls.connect(server.address()["port"], {"rejectUnauthorized": False}, calls.must_call(on_secure))

        server.listen(0, calls.must_call(listening))

    node_run(main)
