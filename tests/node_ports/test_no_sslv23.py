"""Port of test/parallel/test-tls-no-sslv23.js: secureProtocol names: unknown, SSLv2 and
SSLv3 methods refused, SSLv23 / TLSv1 / TLSv1_1 / TLSv1_2 methods accepted."""
import pytest

import tls


def test_secure_protocol_names(node_run):
    def main():
        with pytest.raises(Exception) as info:
            tls.createSecureContext({"secureProtocol": "blargh"})
        assert info.value.code == "ERR_TLS_INVALID_PROTOCOL_METHOD"
        assert info.value.message == "Unknown method: blargh"
        for version in ("SSLv2", "SSLv3"):
            for kind in ("", "_client", "_server"):
                with pytest.raises(Exception, match="%s methods disabled" % version):
                    tls.createSecureContext({"secureProtocol": "%s%s_method" % (version, kind)})
        for version in ("SSLv23", "TLSv1", "TLSv1_1", "TLSv1_2"):
            for kind in ("", "_client", "_server"):
                tls.createSecureContext({"secureProtocol": "%s%s_method" % (version, kind)})

    node_run(main)
