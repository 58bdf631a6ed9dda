"""Port of test/parallel/test-tls-connect-pipe.js: a tls.Server on a Unix socket path and
tls.connect(path, options, cb)."""
import tls


def test_connect_over_a_pipe(agent1, calls, node_run, tmp_path):
    pipe = str(tmp_path / "tls.sock")

    def main():
        server = None
        server = tls.Server({"key": agent1["key"], "cert": agent1["cert"]},
                            calls.must_call(lambda socket: server.close()))

        def listening():
            client = None

            def on_secure():
                client.end()

            client = tls.connect(pipe, {"rejectUnauthorized": False}, calls.must_call(on_secure))

        server.listen(pipe, calls.must_call(listening))

    node_run(main)
