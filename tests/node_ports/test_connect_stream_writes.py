"""Port of test/parallel/test-tls-connect-stream-writes.js: fifty writes and an end() on a TLS
socket over a user-defined stream.Duplex (support.node_style.PullDuplex) that pulls a net socket
in paused mode all reach the server, in order (checked at exit, as Node's process.on('exit'))."""
import tls
from tls import net

from support.node_style import PullDuplex

CONTENT = "hello world"


def test_connect_stream_writes(agent1, calls, node_run):
    recv_bufs = []
    sent = []

    def main():
        options = {"key": agent1["key"], "cert": agent1["cert"], "ca": [agent1["ca"]],
                   "ciphers": "AES256-GCM-SHA384"}
        server = tls.createServer(options, lambda s: s.on("data", recv_bufs.append))

        def listening():
            raw = net.connect(server.address()["port"])
            state = {"pending": False}
            raw.on("readable", lambda: p._read() if state["pending"] else None)

            def read(this):
                state["pending"] = False
                chunk = raw.read()
                if chunk:
                    this.push(chunk)
                else:
                    state["pending"] = True

            def write(this, data, enc, cb):
                raw.write(data, enc, cb)

            p = PullDuplex(read=read, write=write)

            def on_secure():
                for _ in range(50):
                    socket.write(CONTENT)
                    sent.append(CONTENT)
                socket.end()
                server.close()

            socket = tls.connect({"socket": p, "rejectUnauthorized": False}, on_secure)

        server.listen(0, listening)

    node_run(main, timeout=10)
    assert b"".join(recv_bufs).decode() == "".join(sent)
    assert sent  # the connect callback ran
