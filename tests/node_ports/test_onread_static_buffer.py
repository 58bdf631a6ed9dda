"""Port of test/parallel/test-tls-onread-static-buffer.js: ``onread: {buffer, callback}``
reads into the caller's buffer (a fixed one, or one a function hands out per read) instead
of emitting 'data'; pause() from the callback, or the callback returning False, pauses it.
Node's Buffer and Uint8Array are both a bytearray here, so the six cases are four."""
import pytest

import tls
from tls._node import runtime as _runtime

SMALL = b"hello world"
LARGE = (b"hello world" * (64 * 1024 // 11 + 1))[:64 * 1024]


@pytest.mark.parametrize("case", ["static", "pool", "pause", "return-false"])
def test_onread(case, self_signed, calls, node_run):
    message = LARGE if case in ("pause", "return-false") else SMALL
    received = []
    state = {"pool_usage": 0, "pool_idx": -1, "paused": False}
    pool = [bytearray(2), bytearray(2), bytearray(2)]
    sock_buf = bytearray(64 if message is LARGE else 8)

    def main():
        server = None

        def on_secure_connection(socket):
            server.close()
            socket.end(message)

        server = tls.createServer({"key": self_signed["key"], "cert": self_signed["cert"]},
                                  calls.must_call(on_secure_connection))

        def listening():
            client = None

            def buffer():
                state["pool_usage"] += 1
                state["pool_idx"] = (state["pool_idx"] + 1) % len(pool)
                return pool[state["pool_idx"]]

            def callback(nread, buf):
                assert buf is (pool[state["pool_idx"]] if case == "pool" else sock_buf)
                received.append(bytes(buf[:nread]))
                if case == "pause" and not state["paused"]:
                    state["paused"] = True
                    client.pause()
                    _runtime.setTimeout(lambda: client.resume(), 100)
                if case == "return-false":
                    if not state["paused"]:
                        state["paused"] = True
                        _runtime.setTimeout(lambda: client.resume(), 100)
                        return False
                    return True
                return None

            def on_end():
                assert b"".join(received) == message
                if case == "pool":
                    assert state["pool_usage"] == 7

            client = tls.connect({"port": server.address()["port"], "rejectUnauthorized": False,
                                  "onread": {"buffer": buffer if case == "pool" else sock_buf, "callback": callback}})
            client.on("data", calls.must_not_call("'data'"))
            client.on("end", calls.must_call(on_end))

        server.listen(0, listening)

    node_run(main, timeout=5)
