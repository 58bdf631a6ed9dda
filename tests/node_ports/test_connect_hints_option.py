"""Port of test/parallel/test-tls-connect-hints-option.js: ``hints`` reaches lookup()."""
import socket as _socket

import tls


def test_hints_reach_lookup(calls, node_run):
    hints = 512
    assert hints not in (_socket.AI_ADDRCONFIG, _socket.AI_V4MAPPED, _socket.AI_ALL)

    def lookup(host, options, *rest):
        assert host == "localhost"
        assert options == {"family": None, "hints": hints, "all": True}

    def main():
        sock = tls.connect({"port": 42, "lookup": calls.must_call(lookup), "hints": hints})
        sock.on("error", lambda *a: None)

    node_run(main)
