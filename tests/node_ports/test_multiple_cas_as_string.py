"""Port of test/parallel/test-tls-multiple-cas-as-string.js: ``ca`` as a list of PEM strings
and as one string of two PEMs, in createServer, addContext and connect."""
import pytest

import tls

from support.certs import node_keys


@pytest.mark.parametrize("as_list", [True, False])
def test_multiple_cas(as_list, calls, node_run):
    k = node_keys()
    ca1, ca2 = k["ca1"].decode(), k["ca2"].decode()
    cert, key = k["agent3"]["cert"].decode(), k["agent3"]["key"].decode()
    ca = [ca1, ca2] if as_list else "%s\n%s" % (ca1, ca2)

    def main():
        server = tls.createServer({"ca": ca, "cert": cert, "key": key})
        server.addContext("agent3", {"ca": ca, "cert": cert, "key": key})
        host = "127.0.0.1"

        def listening():
            socket = None

            def on_secure():
                socket.end()

            socket = tls.connect({"servername": "agent3", "host": host, "port": server.address()["port"],
                                  "ca": ca}, calls.must_call(on_secure))
            socket.on("close", lambda *a: server.close())

        server.listen(0, host, calls.must_call(listening))

    node_run(main)
