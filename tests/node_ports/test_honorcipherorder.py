"""Port of test/parallel/test-tls-honorcipherorder.js.

With honorCipherOrder (the tls.Server default, also when given as None
i.e. undefined) the server's cipher preference wins; with False the
client's does.  tls.DEFAULT_CIPHERS is read when tls.connect() runs.
"""
import pytest

import tls

SERVER_CIPHERS = "AES256-SHA256:AES128-GCM-SHA256:AES128-SHA256:ECDHE-RSA-AES128-GCM-SHA256"

CASES = [
    # (honorCipherOrder, client ciphers, expected, tls.DEFAULT_CIPHERS during connect)
    # The client's preference, explicitly.
    (False, "AES128-GCM-SHA256:AES256-SHA256:AES128-SHA256", "AES128-GCM-SHA256", None),
    # The server's preference: AES256-SHA256 is its top choice.
    (True, "AES128-GCM-SHA256:AES256-SHA256:AES128-SHA256", "AES256-SHA256", None),
    (None, "AES128-GCM-SHA256:AES256-SHA256:AES128-SHA256", "AES256-SHA256", None),
    # The server prefers AES128-GCM-SHA256 over AES128-SHA256.
    (True, "AES128-SHA256:AES128-GCM-SHA256", "AES128-GCM-SHA256", None),
    (None, "AES128-SHA256:AES128-GCM-SHA256", "AES128-GCM-SHA256", None),
    # One client cipher: no choice.
    (True, "AES128-SHA256", "AES128-SHA256", None),
    (None, "AES128-SHA256", "AES128-SHA256", None),
    # The client offers tls.DEFAULT_CIPHERS, which include all the server's.
    (True, "DEFAULT_CIPHERS", "AES256-SHA256", None),
    (True, None, "AES256-SHA256", None),
    (None, None, "AES256-SHA256", None),
    # A limited tls.DEFAULT_CIPHERS is what the client offers.
    (True, None, "ECDHE-RSA-AES128-GCM-SHA256", "ECDHE-RSA-AES128-GCM-SHA256"),
]


@pytest.mark.parametrize("honor,client_ciphers,expected,default_ciphers", CASES)
def test_honor_cipher_order(agent1, calls, node_run, honor, client_ciphers, expected, default_ciphers):
    if client_ciphers == "DEFAULT_CIPHERS":
        client_ciphers = tls.DEFAULT_CIPHERS

    def main():
        soptions = {"secureProtocol": "TLSv1_2_method", "key": agent1["key"], "cert": agent1["cert"],
                    "ciphers": SERVER_CIPHERS, "honorCipherOrder": honor}
        server = tls.createServer(soptions, calls.must_call(lambda conn: conn.end()))

        def listening():
            coptions = {"rejectUnauthorized": False, "secureProtocol": "TLSv1_2_method"}
            if client_ciphers:
                coptions["ciphers"] = client_ciphers
            saved = tls.DEFAULT_CIPHERS
            tls.DEFAULT_CIPHERS = default_ciphers or saved
            try:
                client = None

                def on_secure():
                    cipher = client.getCipher()
                    client.end()
                    server.close()
                    assert cipher["name"] == expected

                client = tls.connect(server.address()["port"], "127.0.0.1", coptions, calls.must_call(on_secure))
            finally:
                tls.DEFAULT_CIPHERS = saved

        server.listen(0, "127.0.0.1", calls.must_call(listening))

    node_run(main)
