"""Port of test/parallel/test-tls-exportkeyingmaterial.js: exportKeyingMaterial() refused
before the handshake, then lengths, contexts and argument errors."""
import pytest

import tls
from tls import net


def test_export_keying_material(agent1, calls, node_run):
    def main():
        server = None

        def on_connection(s):
            tls_socket = tls.TLSSocket(s, {"isServer": True, "server": server,
                                           "secureContext": tls.createSecureContext({"key": agent1["key"],
                                                                                     "cert": agent1["cert"]})})
            with pytest.raises(Exception) as info:
                tls_socket.exportKeyingMaterial(128, "label")
            assert info.value.message == "TLS socket connection must be securely established"
            assert info.value.code == "ERR_TLS_INVALID_STATE"

            def on_secure():
                label = "client finished"
                valid = tls_socket.exportKeyingMaterial(128, label)
                assert len(valid) == 128
                with_context = tls_socket.exportKeyingMaterial(128, label, bytes([0, 1, 2, 3]))
                assert len(with_context) == 128
                assert valid is not with_context
                assert len(tls_socket.exportKeyingMaterial(128, label, b"")) == 128
                for args, kind, code in [((128, label, "stringAsContextNotSupported"), TypeError,
                                          "ERR_INVALID_ARG_TYPE"),
                                         ((128, label, 1234), TypeError, "ERR_INVALID_ARG_TYPE"),
                                         ((10, None), TypeError, "ERR_INVALID_ARG_TYPE"),
                                         (("length", 1234), TypeError, "ERR_INVALID_ARG_TYPE"),
                                         ((-3, "a"), ValueError, "ERR_OUT_OF_RANGE"),
                                         ((0, "a"), ValueError, "ERR_OUT_OF_RANGE")]:
                    with pytest.raises(kind) as info:
                        tls_socket.exportKeyingMaterial(*args)
                    assert info.value.code == code, args
                tls_socket.end()
                server.close()

            tls_socket.on("secure", calls.must_call(on_secure))

        server = net.createServer(calls.must_call(on_connection))

        def listening():
            client = None

            def on_secure():
                client.end()

            client = tls.connect({"port": server.address()["port"], "rejectUnauthorized": False},
                                 calls.must_call(on_secure))

        server.listen(0, listening)

    node_run(main)
