"""Port of test/parallel/test-tls-error-servername.js: setServername() wants a string
(undefined and null are both None here) and is refused on a server-side socket."""
import pytest

import tls

from support.node_style import duplex_pair


def test_set_servername_errors(agent1, rsa_ca, node_run):
    def main():
        client_side, server_side = duplex_pair()
        client = tls.connect({"socket": client_side, "ca": rsa_ca.cert_pem.bytes(), "host": "agent1"})
        for value in (None, 1, True, {}):
            with pytest.raises(TypeError) as info:
                client.setServername(value)
            assert info.value.code == "ERR_INVALID_ARG_TYPE"
            assert info.value.message.startswith('The "name" argument must be of type string. Received ')

        server = tls.TLSSocket(server_side, {"isServer": True, "key": agent1["key"], "cert": agent1["cert"],
                                             "ca": rsa_ca.cert_pem.bytes()})
        with pytest.raises(Exception) as info:
            server.setServername("localhost")
        assert info.value.code == "ERR_TLS_SNI_FROM_SERVER"
        assert info.value.message == "Cannot issue SNI from a TLS server-side socket"
        # Node's program ends here (the pair holds no handle); these two would keep
        # tls.run alive (README.md: lifetime), so the port ends them
        client.destroy()
        server.destroy()

    node_run(main)
