"""Port of test/parallel/test-tls-junk-server.js: a plain TCP server answering the
ClientHello with text; the client fails with 'wrong version number'.  Node's client is
https.request(); the stand-in is tls.connect, which https.request runs underneath."""
import re

import tls
from tls import net


def test_junk_answer(calls, node_run):
    def main():
        def on_connection(s):
            s.once("data", lambda *a: s.end("I was waiting for you, hello!", lambda *a: s.destroy()))

        server = net.createServer(on_connection)

        def listening():
            req = tls.connect({"port": server.address()["port"]})

            def on_error(err):
                assert re.search("wrong version number", str(err)), err
                server.close()

            req.once("error", calls.must_call(on_error))

        server.listen(0, listening)

    node_run(main)
