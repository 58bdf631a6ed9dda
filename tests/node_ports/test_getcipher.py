"""Port of test/parallel/test-tls-getcipher.js.

getCipher() -> {name, standardName, version}; ``version`` is the minimum
protocol of the cipher (SSL_CIPHER_get_version), e.g. 'TLSv1.2' for the
TLS 1.2 suites and 'TLSv1.3' for the TLS 1.3 ones.
"""
import pytest

import tls


def _one_connection(server_options, client_options, check, calls, node_run):
    def main():
        server = tls.createServer(server_options, calls.must_call(lambda conn: server.close()))

        def listening():
            client = None

            def on_secure():
                check(client.getCipher())
                client.end()

            client = tls.connect({"host": "127.0.0.1", "port": server.address()["port"],
                                  "rejectUnauthorized": False, **client_options}, calls.must_call(on_secure))
            client.on("error", calls.must_not_call("client 'error'"))

        server.listen(0, "127.0.0.1", calls.must_call(listening))

    node_run(main)


@pytest.mark.parametrize("cipher,standard", [
    ("AES128-SHA256", "TLS_RSA_WITH_AES_128_CBC_SHA256"),
    ("ECDHE-RSA-AES128-GCM-SHA256", "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"),
])
def test_tls12_cipher(agent1, calls, node_run, cipher, standard):
    def check(c):
        assert c == {"name": cipher, "standardName": standard, "version": "TLSv1.2"}

    _one_connection({"key": agent1["key"], "cert": agent1["cert"], "honorCipherOrder": True},
                    {"ciphers": cipher, "maxVersion": "TLSv1.2"}, check, calls, node_run)


def test_tls13_cipher(agent1, calls, node_run):
    def check(c):
        assert c == {"name": "TLS_AES_128_CCM_8_SHA256", "standardName": "TLS_AES_128_CCM_8_SHA256",
                     "version": "TLSv1.3"}

    _one_connection({"key": agent1["key"], "cert": agent1["cert"],
                     "ciphers": "TLS_CHACHA20_POLY1305_SHA256:TLS_AES_128_CCM_8_SHA256", "maxVersion": "TLSv1.3"},
                    {"ciphers": "TLS_AES_128_CCM_8_SHA256", "maxVersion": "TLSv1.3"}, check, calls, node_run)


def test_getcipher_is_none_after_destroy(agent1, calls, node_run):
    def main():
        server = tls.createServer({"key": agent1["key"], "cert": agent1["cert"]}, lambda conn: conn.end())

        def listening():
            client = None

            def on_secure():
                assert client.getCipher()["version"] == "TLSv1.3"
                client.destroy()
                assert client.getCipher() is None
                server.close()

            client = tls.connect({"port": server.address()["port"], "rejectUnauthorized": False},
                                 calls.must_call(on_secure))

        server.listen(0, calls.must_call(listening))

    node_run(main)
