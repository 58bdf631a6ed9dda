"""Port of test/parallel/test-tls-js-stream.js: tls.connect over a user-defined stream.Duplex
(support.node_style.PullDuplex) whose read() pulls a net socket in paused mode ('readable',
synchronous read()) and whose write() writes to it; the handshake completes, both ends send and
end, and the client's socket closes."""
import tls
from tls import net

from support.node_style import PullDuplex


def test_js_stream(agent1, calls, node_run):
    def main():
        def on_connection(c):
            c.resume()
            c.end("ohai")

        server = tls.createServer({"key": agent1["key"], "cert": agent1["cert"]}, calls.must_call(on_connection))

        def listening():
            raw = net.connect(server.address()["port"])
            state = {"pending": False}

            raw.on("readable", lambda: p._read() if state["pending"] else None)
            raw.on("end", lambda: p.push(None))

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
                socket.resume()
                socket.end("hello")

            socket = tls.connect({"socket": p, "rejectUnauthorized": False}, calls.must_call(on_secure))
            socket.once("close", lambda *args: server.close())

        server.listen(0, calls.must_call(listening))

    node_run(main, timeout=10)
