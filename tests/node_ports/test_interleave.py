"""Port of test/parallel/test-tls-interleave.js.

The server writes three strings as the connection is made; the client, in
paused mode ('readable' + the synchronous ``read()``), finds them in order
(however they were cut into chunks), then ends.  Before paused mode existed
this hung: ``read()`` was a coroutine and 'readable' never came.

Node's test ends by the program exiting: the server's socket reads (``c.resume()``, as in
Node's file), so both ends see the other's end and close.  (Without that ``resume()`` Node 20
does not exit either -- the server's socket keeps the unread 'some client data' and never
ends, and the client waits for it: checked against ``node``; an earlier form of this port
left it out and was marked as failing on "program lifetime".)
"""
import tls

WRITES = ["some server data", "and a separate packet", "and one more"]


def test_interleave(agent1, calls, node_run):
    received = []

    def main():
        def on_secure(c):
            c.resume()
            for text in WRITES:
                c.write(text)

        server = tls.createServer({"key": agent1["key"], "cert": agent1["cert"], "ca": [agent1["ca"]]},
                                  on_secure)

        def listening():
            def connected():
                c.write("some client data")

                def on_readable():
                    data = c.read()
                    if data is None:
                        return
                    data = data.decode()
                    while data:
                        expected = WRITES[len(received)]
                        assert data.index(expected) == 0
                        data = data[len(expected):]
                        received.append(expected)
                        if len(received) == len(WRITES):
                            c.end()
                            server.close()

                c.on("readable", on_readable)

            c = tls.connect(server.address()["port"], {"rejectUnauthorized": False}, connected)

        server.listen(0, calls.must_call(listening))

    node_run(main)
    assert received == WRITES
