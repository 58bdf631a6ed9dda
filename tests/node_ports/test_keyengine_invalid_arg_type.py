"""Port of test/parallel/test-tls-keyengine-invalid-arg-type.js."""
import re

import pytest

import tls


@pytest.mark.parametrize("options", [
    {"privateKeyEngine": 0, "privateKeyIdentifier": "key"},
    {"privateKeyEngine": "engine", "privateKeyIdentifier": 0},
])
def test_engine_and_identifier_must_be_strings(options, node_run):
    def main():
        with pytest.raises(TypeError) as info:
            tls.createSecureContext(options)
        assert info.value.code == "ERR_INVALID_ARG_TYPE"
        assert re.search(r" Received type number \(0\)$", str(info.value))

    node_run(main)
