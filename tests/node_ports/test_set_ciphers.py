"""Port of test/parallel/test-tls-set-ciphers.js: client and server ``ciphers`` (TLS 1.2
names, TLS 1.3 suites, both, empty, null, invalid): the cipher both ends agree on and
exchange data with, or the errors each end reports."""
import pytest

from support.node_style import fixture_keys, tls_connect

U = None
REPLY = "So long and thanks for all the fish."
CASES = [
    (U, "AES256-SHA", "AES256-SHA", U, U, U),
    ("AES256-SHA", U, "AES256-SHA", U, U, U),
    (U, "TLS_AES_256_GCM_SHA384", "TLS_AES_256_GCM_SHA384", U, U, U),
    ("TLS_AES_256_GCM_SHA384", U, "TLS_AES_256_GCM_SHA384", U, U, U),
    ("TLS_AES_256_GCM_SHA384:!TLS_CHACHA20_POLY1305_SHA256", U, "TLS_AES_256_GCM_SHA384", U, U, U),
    ("TLS_AES_256_GCM_SHA384", "TLS_CHACHA20_POLY1305_SHA256", U, "ERR_SSL_SSLV3_ALERT_HANDSHAKE_FAILURE",
     "ERR_SSL_NO_SHARED_CIPHER", U),
    ("AES128-SHA", "AES256-SHA", U, "ERR_SSL_SSLV3_ALERT_HANDSHAKE_FAILURE", "ERR_SSL_NO_SHARED_CIPHER", U),
    ("AES128-SHA:TLS_AES_256_GCM_SHA384", "TLS_CHACHA20_POLY1305_SHA256:AES256-SHA", U,
     "ERR_SSL_SSLV3_ALERT_HANDSHAKE_FAILURE", "ERR_SSL_NO_SHARED_CIPHER", U),
    ("AES256-SHA:TLS_AES_256_GCM_SHA384", U, "TLS_AES_256_GCM_SHA384", U, U, U),
    (U, "AES256-SHA:TLS_AES_256_GCM_SHA384", "TLS_AES_256_GCM_SHA384", U, U, U),
    ("AES256-SHA", U, "TLS_AES_256_GCM_SHA384", U, U, {"maxVersion": "TLSv1.3"}),
    (U, "AES256-SHA", "TLS_AES_256_GCM_SHA384", U, U, {"maxVersion": "TLSv1.3"}),
    ("TLS_AES_128_CCM_8_SHA256", U, U, "ERR_SSL_SSLV3_ALERT_HANDSHAKE_FAILURE", "ERR_SSL_NO_SHARED_CIPHER", U),
    ("TLS_AES_128_CCM_8_SHA256", "TLS_AES_128_CCM_8_SHA256", "TLS_AES_128_CCM_8_SHA256", U, U, U),
    (9, "AES256-SHA", U, "ERR_INVALID_ARG_TYPE", U, U),
    ("AES256-SHA", 9, U, U, "ERR_INVALID_ARG_TYPE", U),
    (":", "AES256-SHA", U, "ERR_INVALID_ARG_VALUE", U, U),
    ("AES256-SHA", ":", U, U, "ERR_INVALID_ARG_VALUE", U),
    ("TLS_AES_256_GCM_SHA384", "", "TLS_AES_256_GCM_SHA384", U, U, U),
    ("", "TLS_AES_256_GCM_SHA384", "TLS_AES_256_GCM_SHA384", U, U, U),
    # Node's null and undefined are both None here: these two repeat the first two
    (None, "AES256-SHA", "AES256-SHA", U, U, U),
    ("AES256-SHA", None, "AES256-SHA", U, U, U),
]


def _max_tls_ver(ciphers, options):
    if options and "maxVersion" in options:
        return options["maxVersion"]
    if isinstance(ciphers, str) and len(ciphers) > 0 and "TLS_" not in ciphers:
        return "TLSv1.2"
    return "TLSv1.3"


@pytest.mark.parametrize("cciphers,sciphers,cipher,cerr,serr,options", CASES)
def test_ciphers(cciphers, sciphers, cipher, cerr, serr, options, calls, node_run):
    keys = fixture_keys()

    def connected(err, pair, cleanup):
        if not cipher:
            if cerr:
                assert pair["client"].get("err")
                assert pair["client"]["err"].code == cerr
            if serr:
                assert pair["server"].get("err")
                assert pair["server"]["err"].code == serr
            cleanup()
            return
        assert err is None
        assert pair["server"].get("err") is None
        assert pair["client"].get("err") is None
        assert pair["client"]["conn"].getCipher()["name"] == cipher
        assert pair["server"]["conn"].getCipher()["name"] == cipher
        pair["server"]["conn"].write(REPLY)

        def on_data(data):
            assert data.decode() == REPLY
            cleanup()

        pair["client"]["conn"].on("data", calls.must_call(on_data))

    def main():
        tls_connect(calls, {
            "client": {"checkServerIdentity": lambda servername, cert: None,
                       "ca": keys["agent1"]["cert"] + b"\n" + keys["agent6"]["ca"],
                       "ciphers": cciphers, "maxVersion": _max_tls_ver(cciphers, options)},
            "server": {"cert": keys["agent6"]["cert"], "key": keys["agent6"]["key"], "ciphers": sciphers,
                       "maxVersion": _max_tls_ver(sciphers, options)},
        }, connected)

    node_run(main)
