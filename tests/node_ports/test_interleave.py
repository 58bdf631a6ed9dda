"""Port of test/parallel/test-tls-interleave.js.

The server writes three strings as the connection is made; the client, in
paused mode ('readable' + the synchronous ``read()``), finds them in order
(however they were cut into chunks), then ends.  Before paused mode existed
this hung: ``read()`` was a coroutine and 'readable' never came.

Node's test ends by the program exiting: after ``c.end()`` the server's
socket holds the unread 'some client data' with its peer ended, and Node
treats such a handle as inactive.  That is issue 12's "program lifetime"
item (fixed on another branch); until it lands the faithful port hangs at
the end (strict xfail, a short watchdog), and a second test runs the same
exchange with the server's socket reading its input, so the paused-mode
part is checked today.
"""
import pytest

import tls

WRITES = ["some server data", "and a separate packet", "and one more"]


@pytest.mark.xfail(raises=TimeoutError, strict=True,
                   reason="program lifetime: a socket whose peer ended with unread data keeps tls.run alive")
def test_interleave(agent1, calls, node_run):
    _interleave(agent1, calls, node_run, server_reads=False, timeout=3)


def test_interleave_server_reading(agent1, calls, node_run):
    _interleave(agent1, calls, node_run, server_reads=True)


def _interleave(agent1, calls, node_run, server_reads, timeout=15):
    received = []

    def main():
        def on_secure(c):
            for text in WRITES:
                c.write(text)
            if server_reads:
                c.resume()

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

    node_run(main, timeout=timeout)
    assert received == WRITES
