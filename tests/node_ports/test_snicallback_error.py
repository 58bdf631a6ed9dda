"""Port of Node's test/parallel/test-tls-snicallback-error.js: an SNICallback
that is not a function is refused by tls.createServer."""
import re

import pytest

import tls


@pytest.mark.parametrize("value", ["fhqwhgads", 42, {}, []], ids=["string", "number", "object", "array"])
def test_snicallback_must_be_a_function(node_run, value):
    def main():
        with pytest.raises(TypeError) as info:
            tls.createServer({"SNICallback": value})
        assert info.value.code == "ERR_INVALID_ARG_TYPE"
        assert re.search(r"\boptions\.SNICallback\b", str(info.value))

    node_run(main)
