"""Port of test/parallel/test-tls-client-verify.js: a client with ``ca`` lists of ca1, none,
and ca1+ca2 against servers of agent1 (ca1), agent2 (self-signed) and agent3 (ca2): which
are authorized (a name mismatch counts as authorized, as in Node's test)."""
import pytest

import tls

from support.certs import node_keys

CASES = [
    (["ca1"], [("agent1", True), ("agent2", False), ("agent3", False)]),
    ([], [("agent1", False), ("agent2", False), ("agent3", False)]),
    (["ca1", "ca2"], [("agent1", True), ("agent2", False), ("agent3", True)]),
]


@pytest.mark.parametrize("cas,servers", CASES)
def test_client_verify(cas, servers, calls, node_run):
    k = node_keys()
    client_options = {"ca": [k[name] for name in cas], "key": k["agent2"]["key"], "cert": k["agent2"]["cert"],
                      "rejectUnauthorized": False}
    done = []

    def main():
        def test_servers(index, cb):
            if index == len(servers):
                cb()
                return
            name, ok = servers[index]
            server = tls.createServer({"key": k[name]["key"], "cert": k[name]["cert"]},
                                      calls.must_call(lambda s: s.end("hello world\n")))

            def listening():
                received = []
                client = None

                def on_secure():
                    authorized = client.authorized or client.authorizationError == "ERR_TLS_CERT_ALTNAME_INVALID"
                    assert authorized is ok, (name, client.authorizationError)
                    server.close()

                client = tls.connect({**client_options, "port": server.address()["port"]}, calls.must_call(on_secure))
                client.on("data", lambda d: received.append(d.decode()))
                client.on("end", calls.must_call(lambda: _eq("".join(received), "hello world\n")))
                client.on("close", calls.must_call(lambda *a: test_servers(index + 1, cb)))

            server.listen(0, calls.must_call(listening))

        test_servers(0, calls.must_call(lambda: done.append(True)))

    node_run(main)
    assert done == [True]


def _eq(a, b):
    assert a == b, (a, b)
