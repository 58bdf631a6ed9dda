"""Port of test/parallel/test-tls-close-event-after-write.js: the server ends with 1 MiB;
the client ends once it has read it all; the server socket's 'close' follows."""
import tls


def test_close_after_big_end(agent1, calls, node_run):
    buffer_size = 1024 * 1024

    def main():
        state = {"cconn": None, "sconn": None, "read": 0}

        def test():
            if state["cconn"] is not None and state["sconn"] is not None:
                state["cconn"].resume()
                state["sconn"].resume()
                state["sconn"].end(bytes(buffer_size))

        server = None

        def on_secure_connection(c):
            c.on("close", calls.must_call(lambda *a: server.close()))
            state["sconn"] = c
            test()

        server = tls.createServer({"key": agent1["key"], "cert": agent1["cert"]}, on_secure_connection)

        def listening():
            cconn = None

            def on_secure():
                state["cconn"] = cconn

                def on_data(d):
                    state["read"] += len(d)
                    if state["read"] == buffer_size:
                        cconn.end()

                cconn.on("data", on_data)
                test()

            cconn = tls.connect(server.address()["port"], {"rejectUnauthorized": False}, calls.must_call(on_secure))

        server.listen(0, calls.must_call(listening))

    node_run(main)
