"""Port of test/parallel/test-tls-handshake-nohang.js: createSecurePair() with no context
must not keep the program alive."""
import tls


def test_secure_pairs_do_not_hang(node_run):
    def main():
        tls.createSecurePair(None, False, False, False)
        tls.createSecurePair(None, True, False, False)

    node_run(main)
