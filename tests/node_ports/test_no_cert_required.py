"""Port of test/parallel/test-tls-no-cert-required.js: servers without a certificate can
listen; options that are not a dict are refused."""
import pytest

import tls


def test_servers_without_certificates(calls, node_run):
    def main():
        def listen(server):
            server.listen(0, calls.must_call(lambda: server.close()))

        listen(tls.createServer({"ciphers": "AECDH-NULL-SHA"}))
        listen(tls.createServer(calls.must_not_call("secureConnectionListener")))   # assert.fail
        listen(tls.createServer({}))
        with pytest.raises(TypeError) as info:
            tls.createServer("this is not valid")
        assert info.value.code == "ERR_INVALID_ARG_TYPE"
        assert info.value.message == ('The "options" argument must be of type object. '
                                   "Received type string ('this is not valid')")
        listen(tls.createServer())

    node_run(main)
