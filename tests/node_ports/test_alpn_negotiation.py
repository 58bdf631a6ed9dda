"""ALPN through tls.connect / tls.createServer (the ALPNProtocols option
that basic-validations' convertALPNProtocols feeds), checked against
Node 20: the server's preference wins; no overlap fails the handshake
(server ERR_SSL_NO_APPLICATION_PROTOCOL, client
ERR_SSL_TLSV1_ALERT_NO_APPLICATION_PROTOCOL); alpnProtocol is False when
none was negotiated."""
import pytest

import tls

from support.node_style import assert_code


@pytest.mark.parametrize("server_protos,client_protos,expected", [
    (["a", "b", "c"], ["c", "b"], "b"),
    (None, ["a"], False),
    (["a"], None, False),
])
def test_alpn_selected(agent1, calls, node_run, server_protos, client_protos, expected):
    def main():
        server = tls.createServer({"key": agent1["key"], "cert": agent1["cert"], "ALPNProtocols": server_protos})

        def on_secure(conn):
            assert conn.alpnProtocol == expected
            conn.end()

        server.on("secureConnection", calls.must_call(on_secure))

        def listening():
            client = None

            def on_connect():
                assert client.alpnProtocol == expected

            client = tls.connect({"port": server.address()["port"], "rejectUnauthorized": False,
                                  "ALPNProtocols": client_protos}, calls.must_call(on_connect))
            client.on("end", calls.must_call(lambda *a: server.close()))

        server.listen(0, calls.must_call(listening))

    node_run(main)


def test_alpn_without_overlap_fails(agent1, calls, node_run):
    def main():
        server = tls.createServer({"key": agent1["key"], "cert": agent1["cert"], "ALPNProtocols": ["a"]})
        server.on("secureConnection", calls.must_not_call("secureConnection"))
        server.on("tlsClientError", calls.must_call(
            lambda err, sock: assert_code(err, "ERR_SSL_NO_APPLICATION_PROTOCOL")))

        def listening():
            client = tls.connect({"port": server.address()["port"], "rejectUnauthorized": False,
                                  "ALPNProtocols": ["b"]}, calls.must_not_call("secureConnect"))

            def on_error(err):
                assert_code(err, "ERR_SSL_TLSV1_ALERT_NO_APPLICATION_PROTOCOL")
                server.close()

            client.on("error", calls.must_call(on_error))

        server.listen(0, calls.must_call(listening))

    node_run(main)


