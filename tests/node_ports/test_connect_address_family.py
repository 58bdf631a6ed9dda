"""Port of test/parallel/test-tls-connect-address-family.js: family 6 with host 'localhost'
reaches a server on ::1 (skipped, as Node's test is, where localhost has no ::1)."""
import socket

import pytest

import tls


def _localhost_has_ipv6_loopback() -> bool:
    try:
        return any(info[4][0] == "::1" for info in socket.getaddrinfo("localhost", None, socket.AF_INET6))
    except OSError:
        return False


@pytest.mark.skipif(not _localhost_has_ipv6_loopback(), reason="localhost does not resolve to ::1 (Node skips too)")
def test_family_6(agent1, calls, node_run):
    def main():
        server = tls.createServer({"cert": agent1["cert"], "key": agent1["key"]})
        server.on("connection", calls.must_call(lambda *a: server.close()))

        def listening():
            client = None

            def on_secure():
                assert client.remoteAddress == "::1"
                client.destroy()

            client = tls.connect({"host": "localhost", "port": server.address()["port"], "family": 6,
                                  "rejectUnauthorized": False})
            client.once("secureConnect", calls.must_call(on_secure))

        server.listen(0, "::1", calls.must_call(listening))

    node_run(main)
