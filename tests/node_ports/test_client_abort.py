"""Port of test/parallel/test-tls-client-abort.js: destroy() right after connect()."""
import tls


def test_destroy_before_connecting(self_signed, calls, node_run):
    def main():
        conn = tls.connect({"cert": self_signed["cert"], "key": self_signed["key"], "port": 0},
                           calls.must_not_call())
        conn.on("error", lambda *a: None)
        conn.destroy()

    node_run(main)
