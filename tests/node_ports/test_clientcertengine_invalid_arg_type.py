"""Port of test/parallel/test-tls-clientcertengine-invalid-arg-type.js."""
import re

import pytest

import tls


def test_client_cert_engine_must_be_a_string(node_run):
    def main():
        with pytest.raises(TypeError) as info:
            tls.createSecureContext({"clientCertEngine": 0})
        assert info.value.code == "ERR_INVALID_ARG_TYPE"
        assert re.search(r" Received type number \(0\)", str(info.value))

    node_run(main)
