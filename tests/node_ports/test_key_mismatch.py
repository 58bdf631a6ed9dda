"""Port of test/parallel/test-tls-key-mismatch.js: a key that is not the certificate's."""
import pytest

import tls


def test_key_values_mismatch(agent1, self_signed, node_run):
    def main():
        with pytest.raises(Exception) as info:
            tls.createSecureContext({"key": agent1["key"], "cert": self_signed["cert"]})
        assert info.value.message == "error:05800074:x509 certificate routines::key values mismatch"
        assert type(info.value).__name__ in ("NodeError", "Error") or isinstance(info.value, Exception)

    node_run(main)
