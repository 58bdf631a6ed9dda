"""Port of test/parallel/test-tls-timeout-server.js.

handshakeTimeout is a deadline: a client that connects and says nothing,
or trickles a ClientHello byte by byte, gets the server's 'tlsClientError'
ERR_TLS_HANDSHAKE_TIMEOUT once; the timeout itself does not destroy the
socket (the listener does).  Checked against Node 20.
"""
import tls
from tls import net
from tls._node import runtime as _runtime


def test_silent_client_times_out(agent1, calls, node_run):
    def main():
        server = tls.createServer({"key": agent1["key"], "cert": agent1["cert"], "handshakeTimeout": 50},
                                  calls.must_not_call("secureConnection"))
        server.on("error", calls.must_not_call("server 'error'"))

        def on_client_error(err, conn):
            assert err.code == "ERR_TLS_HANDSHAKE_TIMEOUT"
            assert conn.destroyed is False   # reported, not destroyed
            conn.destroy()
            server.close()

        server.on("tlsClientError", calls.must_call(on_client_error))

        def listening():
            raw = net.connect({"host": "127.0.0.1", "port": server.address()["port"]})
            raw.on("error", lambda err: None)
            raw.resume()  # consume, so the raw socket ends and closes (see conftest)

        server.listen(0, calls.must_call(listening))

    node_run(main)


def test_trickled_bytes_do_not_extend_the_deadline(agent1, calls, node_run):
    hello = bytes.fromhex("16030100c4010000c00303")   # a ClientHello that never completes
    timing = {}

    def main():
        loop = _runtime.get_loop()
        server = tls.createServer({"key": agent1["key"], "cert": agent1["cert"], "handshakeTimeout": 100},
                                  calls.must_not_call("secureConnection"))

        def on_client_error(err, conn):
            assert err.code == "ERR_TLS_HANDSHAKE_TIMEOUT"
            timing["elapsed"] = loop.time() - timing["start"]
            timing["sent"] = sent[0]
            conn.destroy()
            server.close()

        server.on("tlsClientError", calls.must_call(on_client_error))
        sent = [0]

        def listening():
            raw = None

            def trickle():
                if raw.destroyed or sent[0] >= len(hello):
                    _runtime.clearInterval(interval)
                    return
                raw.write(hello[sent[0]:sent[0] + 1])
                sent[0] += 1

            def on_connect():
                timing["start"] = loop.time()

            raw = net.connect({"host": "127.0.0.1", "port": server.address()["port"]}, on_connect)
            raw.on("error", lambda err: None)
            raw.on("close", lambda *a: _runtime.clearInterval(interval))
            raw.resume()
            interval = _runtime.setInterval(trickle, 20)

        server.listen(0, calls.must_call(listening))

    node_run(main)
    # bytes kept arriving every 20 ms, yet the timeout fired at ~100 ms
    assert timing["elapsed"] < 0.2, timing
    assert timing["sent"] < len(hello), timing


def test_timeout_after_secure_does_not_fire(agent1, calls, node_run):
    def main():
        server = tls.createServer({"key": agent1["key"], "cert": agent1["cert"], "handshakeTimeout": 50})
        server.on("tlsClientError", calls.must_not_call("tlsClientError"))

        def on_secure(conn):
            # outlive the handshake timeout, then finish
            _runtime.setTimeout(lambda: conn.end("bye"), 120)

        server.on("secureConnection", calls.must_call(on_secure))

        def listening():
            client = tls.connect({"port": server.address()["port"], "rejectUnauthorized": False})
            client.on("data", calls.must_call(lambda data: None))
            client.on("end", calls.must_call(lambda *a: server.close()))

        server.listen(0, calls.must_call(listening))

    node_run(main)
