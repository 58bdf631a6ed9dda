"""Port of test/parallel/test-tls-generic-stream.js: tls.connect over one end of a duplex pair and a
server TLSSocket over the other are not 'connecting'; once secure, the client writes 'foobar':
right after the write it is still queued, and in the write's callback the server's synchronous
``read()`` gives it and nothing is queued any more.

Node reads the queue as ``clientTLS._handle.writeQueueSize`` (the TLSWrap handle's bytes of TLS
records not yet taken by the stream: 457 after the write, 0 in the callback); the Python socket
has no handle, so the port reads the public ``writableLength`` (Node 20: 6, then 0; node -e on
the same exchange).  The duplex pair is Node's test/common/duplexpair.js (support.node_style)."""
import tls

from support.node_style import duplex_pair


def test_generic_stream(agent1, calls, node_run):
    seen = {}

    def main():
        client_side, server_side = duplex_pair()
        client_tls = tls.connect({"socket": client_side, "ca": agent1["ca"], "host": "localhost"})
        server_tls = tls.TLSSocket(server_side, {"isServer": True, "key": agent1["key"], "cert": agent1["cert"],
                                                 "ca": agent1["ca"]})
        assert client_tls.connecting is False
        assert server_tls.connecting is False

        def on_secure_connect():
            def written(*_):
                seen["read"] = server_tls.read()
                seen["queued in callback"] = client_tls.writableLength
                client_tls.destroy()
                server_tls.destroy()

            client_tls.write("foobar", calls.must_call(written))
            seen["queued after write"] = client_tls.writableLength

        client_tls.on("secureConnect", calls.must_call(on_secure_connect))

    node_run(main)
    assert seen["queued after write"] == 6   # Node 20: writableLength 6 ('foobar' not yet written)
    assert seen["read"] is not None and bytes(seen["read"]) == b"foobar"
    assert seen["queued in callback"] == 0
