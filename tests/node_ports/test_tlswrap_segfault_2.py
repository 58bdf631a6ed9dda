"""Port of test/parallel/test-tls-tlswrap-segfault-2.js: listeners for 'keylog' / 'session'
added after a failed connect()'s 'close' are never called (and do not crash)."""
import tls


def test_listeners_after_close(calls, node_run):
    def main():
        key_log = tls.connect("cause-error")       # a string is a path: ENOENT
        key_log.on("error", calls.must_call())
        key_log.on("close", calls.must_call(lambda *a: key_log.on("keylog", calls.must_not_call())))

        session = tls.connect("cause-error-2")
        session.on("error", calls.must_call())
        session.on("close", calls.must_call(lambda *a: session.on("session", calls.must_not_call())))

    node_run(main)
