"""Port of test/parallel/test-tls-pause.js: a paused client writes 1 MiB buffers (a tick apart)
until write() returns false, then resumes; the server echoes (socket.pipe(socket)), and no data
arrives before the resume; the client ends once it got back all it sent."""
import tls
from tls._node import runtime as _runtime

BUF_SIZE = 1024 * 1024


def test_pause(self_signed, calls, node_run):
    state = {"sent": 0, "received": 0, "resumed": False}

    def main():
        def on_connection(socket):
            socket.pipe(socket)
            socket.on("data", lambda c: None)

        server = tls.Server({"key": self_signed["key"], "cert": self_signed["cert"]}, on_connection)

        def listening():
            def send():
                ret = client.write(bytes(BUF_SIZE))
                state["sent"] += BUF_SIZE
                if ret is not False:
                    assert state["sent"] < 100 * 1024 * 1024  # max 100MB
                    _runtime.nextTick(send)
                    return
                state["resumed"] = True
                client.resume()

            def on_connect():
                client.pause()
                send()

            client = tls.connect({"port": server.address()["port"], "rejectUnauthorized": False},
                                 calls.must_call(on_connect))

            def on_data(data):
                assert state["resumed"]
                state["received"] += len(data)
                if state["received"] >= state["sent"]:
                    client.end()
                    server.close()

            client.on("data", on_data)

        server.listen(0, listening)

    node_run(main)
    assert state["sent"] == state["received"]
