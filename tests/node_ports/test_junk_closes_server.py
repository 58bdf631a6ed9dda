"""Port of test/parallel/test-tls-junk-closes-server.js.

Plain-text junk on a TLS server: the server closes the connection (the
client sees 'end'), 'secureConnection' never happens.
"""
import tls
from tls import net


def test_junk_closes_the_connection(agent1, calls, node_run):
    _junk_closes(agent1, calls, node_run, consume=True)


def test_junk_closes_the_connection_unconsumed(agent1, calls, node_run):
    """Exactly Node's test: the net client has no 'data' listener, yet sees 'end'."""
    _junk_closes(agent1, calls, node_run, consume=False)


def _junk_closes(agent1, calls, node_run, consume):
    def main():
        server = tls.createServer({"key": agent1["key"], "cert": agent1["cert"]},
                                  calls.must_not_call("secureConnection"))

        def listening():
            c = net.createConnection(server.address()["port"])
            c.on("connect", calls.must_call(lambda: c.write("blah\nblah\nblah\n")))
            c.on("end", calls.must_call(lambda *a: server.close()))
            if consume:
                c.resume()

        server.listen(0, calls.must_call(listening))

    node_run(main)
