"""Port of test/parallel/test-tls-min-max-version.js: minVersion / maxVersion /
secureProtocol on both ends: the protocol agreed, or each end's error code.

The table is Node's list of test() calls, evaluated for this package's defaults
(tls.DEFAULT_MIN_VERSION 'TLSv1.2', DEFAULT_MAX_VERSION 'TLSv1.3') and OpenSSL 3.0 as Node's
test does: where TLS 1.0 / 1.1 is expected to work, both ends use 'ALL@SECLEVEL=0'.
Columns: client min, max, secureProtocol; server min, max, secureProtocol; ciphers;
the protocol expected, or the client's and the server's error codes."""
import pytest

import tls

from support.node_style import fixture_keys, tls_connect
from programs import min_max_version

CASES = [
    (None, None, None, None, None, None, None, 'TLSv1.3', None, None),
    (None, None, None, None, None, 'SSLv2_method', None, None, None, 'ERR_TLS_INVALID_PROTOCOL_METHOD'),
    (None, None, None, None, None, 'SSLv3_method', None, None, None, 'ERR_TLS_INVALID_PROTOCOL_METHOD'),
    (None, None, 'SSLv2_method', None, None, None, None, None, 'ERR_TLS_INVALID_PROTOCOL_METHOD', None),
    (None, None, 'SSLv3_method', None, None, None, None, None, 'ERR_TLS_INVALID_PROTOCOL_METHOD', None),
    (None, None, 'hokey-pokey', None, None, None, None, None, 'ERR_TLS_INVALID_PROTOCOL_METHOD', None),
    (None, None, None, None, None, 'hokey-pokey', None, None, None, 'ERR_TLS_INVALID_PROTOCOL_METHOD'),
    (None, None, None, None, None, '%s_method', None, None, None, 'ERR_TLS_INVALID_PROTOCOL_METHOD'),
    (None, None, None, None, 'TLSv1.2', 'TLS1_2_method', None, None, None, 'ERR_TLS_PROTOCOL_VERSION_CONFLICT'),
    (None, None, None, 'TLSv1.2', None, 'TLS1_2_method', None, None, None, 'ERR_TLS_PROTOCOL_VERSION_CONFLICT'),
    (None, 'TLSv1.2', 'TLS1_2_method', None, None, None, None, None, 'ERR_TLS_PROTOCOL_VERSION_CONFLICT', None),
    ('TLSv1.2', None, 'TLS1_2_method', None, None, None, None, None, 'ERR_TLS_PROTOCOL_VERSION_CONFLICT', None),
    (None, None, 'TLSv1_2_method', None, None, 'TLS_method', None, 'TLSv1.2', None, None),
    (None, None, 'TLSv1_1_method', None, None, 'TLS_method', 'ALL@SECLEVEL=0', 'TLSv1.1', None, None),
    (None, None, 'TLSv1_method', None, None, 'TLS_method', 'ALL@SECLEVEL=0', 'TLSv1', None, None),
    (None, None, 'TLS_method', None, None, 'TLSv1_2_method', None, 'TLSv1.2', None, None),
    (None, None, 'TLS_method', None, None, 'TLSv1_1_method', 'ALL@SECLEVEL=0', 'TLSv1.1', None, None),
    (None, None, 'TLS_method', None, None, 'TLSv1_method', 'ALL@SECLEVEL=0', 'TLSv1', None, None),
    (None, None, 'TLSv1_2_method', None, None, 'SSLv23_method', None, 'TLSv1.2', None, None),
    (None, None, 'TLSv1_1_method', None, None, 'SSLv23_method', None,
     None, 'ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION', 'ERR_SSL_UNSUPPORTED_PROTOCOL'),
    (None, None, 'TLSv1_method', None, None, 'SSLv23_method', None,
     None, 'ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION', 'ERR_SSL_UNSUPPORTED_PROTOCOL'),
    (None, None, 'SSLv23_method', None, None, 'TLSv1_1_method', 'ALL@SECLEVEL=0',
     None, 'ERR_SSL_UNSUPPORTED_PROTOCOL', 'ERR_SSL_WRONG_VERSION_NUMBER'),
    (None, None, 'SSLv23_method', None, None, 'TLSv1_method', 'ALL@SECLEVEL=0',
     None, 'ERR_SSL_UNSUPPORTED_PROTOCOL', 'ERR_SSL_WRONG_VERSION_NUMBER'),
    (None, None, 'TLSv1_2_method', None, None, 'TLSv1_2_method', None, 'TLSv1.2', None, None),
    (None, None, 'TLSv1_1_method', None, None, 'TLSv1_1_method', 'ALL@SECLEVEL=0', 'TLSv1.1', None, None),
    (None, None, 'TLSv1_method', None, None, 'TLSv1_method', 'ALL@SECLEVEL=0', 'TLSv1', None, None),
    (None, None, 'TLSv1_1_method', None, None, None, None,
     None, 'ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION', 'ERR_SSL_UNSUPPORTED_PROTOCOL'),
    (None, None, 'TLSv1_method', None, None, None, None,
     None, 'ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION', 'ERR_SSL_UNSUPPORTED_PROTOCOL'),
    (None, None, None, None, None, 'TLSv1_1_method', None,
     None, 'ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION', 'ERR_SSL_UNSUPPORTED_PROTOCOL'),
    (None, None, None, None, None, 'TLSv1_method', None,
     None, 'ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION', 'ERR_SSL_UNSUPPORTED_PROTOCOL'),
    ('TLSv1', 'TLSv1.2', None, None, None, 'TLSv1_method', 'ALL@SECLEVEL=0', 'TLSv1', None, None),
    ('TLSv1', 'TLSv1.2', None, None, None, 'TLSv1_1_method', 'ALL@SECLEVEL=0', 'TLSv1.1', None, None),
    ('TLSv1', 'TLSv1.2', None, None, None, 'TLSv1_2_method', None, 'TLSv1.2', None, None),
    ('TLSv1', 'TLSv1.2', None, None, None, 'TLS_method', None, 'TLSv1.2', None, None),
    (None, None, 'TLSv1_method', 'TLSv1', 'TLSv1.2', None, 'ALL@SECLEVEL=0', 'TLSv1', None, None),
    (None, None, 'TLSv1_1_method', 'TLSv1', 'TLSv1.2', None, 'ALL@SECLEVEL=0', 'TLSv1.1', None, None),
    (None, None, 'TLSv1_2_method', 'TLSv1', 'TLSv1.2', None, None, 'TLSv1.2', None, None),
    ('TLSv1', 'TLSv1.1', None, 'TLSv1', 'TLSv1.3', None, 'ALL@SECLEVEL=0', 'TLSv1.1', None, None),
    ('TLSv1', 'TLSv1.1', None, 'TLSv1', 'TLSv1.2', None, 'ALL@SECLEVEL=0', 'TLSv1.1', None, None),
    ('TLSv1', 'TLSv1.2', None, 'TLSv1', 'TLSv1.1', None, 'ALL@SECLEVEL=0', 'TLSv1.1', None, None),
    ('TLSv1', 'TLSv1.3', None, 'TLSv1', 'TLSv1.1', None, 'ALL@SECLEVEL=0', 'TLSv1.1', None, None),
    ('TLSv1', 'TLSv1', None, 'TLSv1', 'TLSv1.1', None, 'ALL@SECLEVEL=0', 'TLSv1', None, None),
    ('TLSv1', 'TLSv1.2', None, 'TLSv1', 'TLSv1', None, 'ALL@SECLEVEL=0', 'TLSv1', None, None),
    ('TLSv1', 'TLSv1.3', None, 'TLSv1', 'TLSv1', None, 'ALL@SECLEVEL=0', 'TLSv1', None, None),
    ('TLSv1.1', 'TLSv1.1', None, 'TLSv1', 'TLSv1.2', None, 'ALL@SECLEVEL=0', 'TLSv1.1', None, None),
    ('TLSv1', 'TLSv1.2', None, 'TLSv1.1', 'TLSv1.1', None, 'ALL@SECLEVEL=0', 'TLSv1.1', None, None),
    ('TLSv1', 'TLSv1.2', None, 'TLSv1', 'TLSv1.3', None, None, 'TLSv1.2', None, None),
    ('TLSv1', 'TLSv1.3', None, 'TLSv1.3', 'TLSv1.3', None, None, 'TLSv1.3', None, None),
    ('TLSv1', 'TLSv1.3', None, 'TLSv1.2', 'TLSv1.3', None, None, 'TLSv1.3', None, None),
    ('TLSv1', 'TLSv1.3', None, 'TLSv1.2', 'TLSv1.2', None, None, 'TLSv1.2', None, None),
    ('TLSv1', 'TLSv1.3', None, 'TLSv1.1', 'TLSv1.1', None, 'ALL@SECLEVEL=0', 'TLSv1.1', None, None),
    ('TLSv1', 'TLSv1.3', None, 'TLSv1', 'TLSv1', None, 'ALL@SECLEVEL=0', 'TLSv1', None, None),
    ('TLSv1.3', 'TLSv1.3', None, 'TLSv1', 'TLSv1.3', None, None, 'TLSv1.3', None, None),
    ('TLSv1.2', 'TLSv1.2', None, 'TLSv1', 'TLSv1.3', None, None, 'TLSv1.2', None, None),
    ('TLSv1.1', 'TLSv1.1', None, 'TLSv1', 'TLSv1.3', None, 'ALL@SECLEVEL=0', 'TLSv1.1', None, None),
    ('TLSv1', 'TLSv1', None, 'TLSv1', 'TLSv1.3', None, 'ALL@SECLEVEL=0', 'TLSv1', None, None),
]


@pytest.mark.parametrize("cmin,cmax,cprot,smin,smax,sprot,ciphers,proto,cerr,serr", CASES)
def test_min_max_version(cmin, cmax, cprot, smin, smax, sprot, ciphers, proto, cerr, serr, calls, node_run):
    assert (tls.DEFAULT_MIN_VERSION, tls.DEFAULT_MAX_VERSION) == ("TLSv1.2", "TLSv1.3")   # what the table assumes
    keys = fixture_keys()

    def connected(err, pair, cleanup):
        if not proto:
            if cerr:
                assert pair["client"].get("err")
                code = pair["client"]["err"].code
                expected = cerr
                if cerr == "ERR_SSL_UNSUPPORTED_PROTOCOL" and code == "ERR_SSL_VERSION_TOO_LOW":
                    expected = "ERR_SSL_VERSION_TOO_LOW"
                assert code == expected
            if serr:
                assert pair["server"].get("err")
                assert pair["server"]["err"].code == serr
            cleanup()
            return
        assert err is None
        assert pair["server"].get("err") is None
        assert pair["client"].get("err") is None
        assert pair["client"]["conn"].getProtocol() == proto
        assert pair["server"]["conn"].getProtocol() == proto
        cleanup()

    def main():
        tls_connect(calls, {
            "client": {"checkServerIdentity": lambda servername, cert: None,
                       "ca": keys["agent1"]["cert"] + b"\n" + keys["agent6"]["ca"],
                       "minVersion": cmin, "maxVersion": cmax, "secureProtocol": cprot, "ciphers": ciphers},
            "server": {"cert": keys["agent6"]["cert"], "key": keys["agent6"]["key"],
                       "minVersion": smin, "maxVersion": smax, "secureProtocol": sprot, "ciphers": ciphers},
        }, connected)

    node_run(main)


def test_table_is_the_programs():
    """programs/min_max_version.py computes Node's table for any defaults (the cli-version ports run
    it under the flags); for the default defaults it is this port's table."""
    assert min_max_version.cases("TLSv1.2", "TLSv1.3", *min_max_version.openssl_versions()) == CASES
