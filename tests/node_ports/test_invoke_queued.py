"""Port of test/parallel/test-tls-invoke-queued.js: writes queued from a write callback
keep their order; destroy() in the last-but-one callback still sends both."""
import tls


def test_queued_writes(agent1, calls, node_run):
    def main():
        received = []

        def on_secure_connection(c):
            def first(*args):
                c.write("world!", None, calls.must_call(lambda *a: c.destroy()))
                c.write(" gosh", None, calls.must_call())

            c.write("hello ", None, calls.must_call(first))
            server.close()

        server = tls.createServer({"key": agent1["key"], "cert": agent1["cert"]},
                                  calls.must_call(on_secure_connection))

        def listening():
            c = None

            def on_secure():
                c.on("data", lambda chunk: received.append(chunk.decode()))
                c.on("end", calls.must_call(lambda: _eq("".join(received), "hello world! gosh")))

            c = tls.connect(server.address()["port"], {"rejectUnauthorized": False}, calls.must_call(on_secure))

        server.listen(0, calls.must_call(listening))

    node_run(main)


def _eq(a, b):
    assert a == b, (a, b)
