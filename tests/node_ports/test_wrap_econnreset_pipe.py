"""Port of test/parallel/test-tls-wrap-econnreset-pipe.js: over a Unix socket path the
ECONNRESET carries the path, no port / host / localAddress.  (Node forks a child to get a
fresh tmpdir; a pytest tmp_path does the same here.)"""
import tls
from tls import net


def test_econnreset_over_pipe(calls, node_run, tmp_path):
    pipe = str(tmp_path / "tls.sock")

    def main():
        # c.resume(): the ClientHello is never read, which keeps tls.run alive (see support.node_style)
        server = net.createServer(lambda c: c.resume().end())
        state = {"errored": False}

        def listening():
            def on_error(e):
                assert e.code == "ECONNRESET"
                assert e.path == pipe
                for name in ("port", "host", "localAddress"):
                    assert getattr(e, name, None) is None, name
                server.close()
                state["errored"] = True

            sock = tls.connect({"path": pipe})
            sock.once("error", calls.must_call(on_error))
            sock.on("close", calls.must_call(lambda *a: _true(state["errored"])))

        server.listen(pipe, calls.must_call(listening))

    node_run(main)


def _true(value):
    assert value is True
