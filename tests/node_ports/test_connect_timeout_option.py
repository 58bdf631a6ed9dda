"""Port of test/parallel/test-tls-connect-timeout-option.js: the ``timeout`` option is
readable as socket.timeout.  Node passes a no-op ``lookup`` so that nothing connects."""

import tls

def test_timeout_option(node_run):
    def main():
        socket = tls.connect({"port": 42, "lookup": lambda *args: None, "timeout": 1000})
        assert socket.timeout == 1000
        socket.destroy()

    node_run(main)
