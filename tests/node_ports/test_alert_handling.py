"""Port of test/parallel/test-tls-alert-handling.js: an echo exchange of 20 messages goes
on while a second connection, after its handshake, has its TCP socket send a bad record:
the server socket's 'error' is ERR_SSL_WRONG_VERSION_NUMBER, the second client gets the
server's protocol_version alert; no 'tlsClientError', no server 'error'."""
import tls
from tls import net

MAX_ITER = 20
BAD_RECORD = bytes([0xFF] * 6)


def test_bad_record_mid_stream(self_signed, calls, node_run):
    state = {"clientClosed": False, "errorReceived": False, "iter": 0}

    def main():
        server = None

        def can_close():
            return state["clientClosed"] and state["errorReceived"]

        def error_handler(err):
            assert err.code == "ERR_SSL_WRONG_VERSION_NUMBER"
            assert err.library == "SSL routines"
            assert err.reason == "wrong version number"
            state["errorReceived"] = True
            if can_close():
                server.close()

        error_handler = calls.must_call(error_handler)

        def on_secure_connection(s):
            s.pipe(s)
            s.on("error", error_handler)

        server = tls.createServer({"key": self_signed["key"].decode(), "cert": self_signed["cert"].decode()},
                                  calls.must_call(on_secure_connection, 2))

        def send_bad_tls_record():
            socket = net.connect(server.address()["port"])
            client = None

            def on_secure():
                client.write("x")
                client.on("data", lambda data: socket.end(BAD_RECORD))

            client = tls.connect({"socket": socket, "rejectUnauthorized": False}, calls.must_call(on_secure))

            def on_error(err):
                assert err.code == "ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION"
                assert err.library == "SSL routines"
                assert err.reason == "tlsv1 alert protocol version"

            client.on("error", calls.must_call(on_error))

        def send_client():
            client = tls.connect(server.address()["port"], {"rejectUnauthorized": False})

            def on_data(*args):
                state["iter"] += 1
                if state["iter"] - 1 == 2:
                    send_bad_tls_record()
                if state["iter"] < MAX_ITER:
                    client.write("a")
                    return
                client.end()

            client.on("data", calls.must_call(on_data, MAX_ITER))
            client.write("a", calls.must_call())
            client.on("error", calls.must_not_call("client 'error'"))

            def on_close(*args):
                state["clientClosed"] = True
                if can_close():
                    server.close()

            client.on("close", calls.must_call(on_close))

        server.listen(0, calls.must_call(send_client))
        server.on("tlsClientError", calls.must_not_call("'tlsClientError'"))
        server.on("error", calls.must_not_call("server 'error'"))

    node_run(main)
