"""Port of test/parallel/test-tls-handshake-error.js: a bad cipher list throws in connect()."""
import pytest

import tls


def test_no_such_cipher_throws(agent1, calls, node_run):
    def main():
        server = tls.createServer({"key": agent1["key"], "cert": agent1["cert"], "rejectUnauthorized": True},
                                  lambda c: None)

        def listening():
            with pytest.raises(Exception, match=r"(?i)no cipher match"):
                tls.connect({"port": server.address()["port"], "ciphers": "no-such-cipher"},
                            calls.must_not_call())
            server.close()

        server.listen(0, calls.must_call(listening))

    node_run(main)
