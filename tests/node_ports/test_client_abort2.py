"""Port of test/parallel/test-tls-client-abort2.js: connecting to port 0 fails with 'error'."""
import tls


def test_connect_to_port_0_errors(calls, node_run):
    def main():
        conn = None

        def on_error(err):
            conn.destroy()

        conn = tls.connect(0, calls.must_not_call())
        conn.on("error", calls.must_call(on_error))

    node_run(main)
