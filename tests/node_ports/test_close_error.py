"""Port of test/parallel/test-tls-close-error.js: a client that fails verification gets
'error' then 'close' with hadError true."""
import tls


def test_close_after_error_has_had_error(agent1, calls, node_run):
    def main():
        server = tls.createServer({"key": agent1["key"], "cert": agent1["cert"]}, lambda c: None)

        def listening():
            c = tls.connect(server.address()["port"], calls.must_not_call())
            c.on("error", calls.must_call())

            def on_close(err):
                assert err
                server.close()

            c.on("close", calls.must_call(on_close))

        server.listen(0, calls.must_call(listening))

    node_run(main)
