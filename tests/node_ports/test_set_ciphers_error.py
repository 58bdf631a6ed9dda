"""Port of test/parallel/test-tls-set-ciphers-error.js."""
import pytest

import tls


@pytest.mark.parametrize("ciphers", ["aes256-sha", "FOOBARBAZ", "TLS_not_a_cipher"])
def test_no_cipher_match(ciphers, self_signed, calls, node_run):
    def main():
        options = {"key": self_signed["key"], "cert": self_signed["cert"], "ciphers": ciphers}
        with pytest.raises(Exception, match=r"(?i)no[_ ]cipher[_ ]match"):
            tls.createServer(options, calls.must_not_call())

    node_run(main)
