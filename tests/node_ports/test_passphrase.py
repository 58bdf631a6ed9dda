"""Port of test/parallel/test-tls-passphrase.js.

An encrypted key (``openssl pkey -aes256``) works with ``passphrase`` given
at the top level or per key object ({pem, passphrase}), as Buffer/str and
as lists; a ``passphrase`` given with an unencrypted key is ignored.  A
missing or wrong passphrase throws ERR_OSSL_BAD_DECRYPT synchronously from
tls.connect().
"""
import pytest

import tls

from support.node_style import assert_true


def _variants(pass_key, raw_key, cert):
    s = lambda b: b.decode()   # the str form of a PEM
    return [
        # bytes
        {"key": pass_key, "passphrase": "passphrase", "cert": cert},
        {"key": raw_key, "cert": cert},
        {"key": raw_key, "passphrase": "ignored", "cert": cert},
        # bytes[]
        {"key": [pass_key], "passphrase": "passphrase", "cert": [cert]},
        {"key": [raw_key], "cert": [cert]},
        {"key": [raw_key], "passphrase": "ignored", "cert": [cert]},
        # str
        {"key": s(pass_key), "passphrase": "passphrase", "cert": s(cert)},
        {"key": s(raw_key), "cert": s(cert)},
        {"key": s(raw_key), "passphrase": "ignored", "cert": s(cert)},
        # str[]
        {"key": [s(pass_key)], "passphrase": "passphrase", "cert": [s(cert)]},
        {"key": [s(raw_key)], "cert": [s(cert)]},
        {"key": [s(raw_key)], "passphrase": "ignored", "cert": [s(cert)]},
        # object[]
        {"key": [{"pem": pass_key, "passphrase": "passphrase"}], "cert": cert},
        {"key": [{"pem": pass_key, "passphrase": "passphrase"}], "passphrase": "ignored", "cert": cert},
        {"key": [{"pem": pass_key}], "passphrase": "passphrase", "cert": cert},
        {"key": [{"pem": s(pass_key), "passphrase": "passphrase"}], "cert": cert},
        {"key": [{"pem": raw_key, "passphrase": "ignored"}], "cert": cert},
        {"key": [{"pem": s(raw_key), "passphrase": "ignored"}], "cert": cert},
        {"key": [{"pem": raw_key}], "passphrase": "ignored", "cert": cert},
        {"key": [{"pem": s(raw_key)}], "passphrase": "ignored", "cert": cert},
        {"key": [{"pem": raw_key}], "cert": cert},
        {"key": [{"pem": s(raw_key)}], "cert": cert},
    ]


def test_encrypted_keys_connect(pass_key, self_signed, calls, node_run):
    raw_key, cert = self_signed["key"], self_signed["cert"]
    variants = _variants(pass_key, raw_key, cert)

    def main():
        server = tls.Server({"key": pass_key, "passphrase": "passphrase", "cert": cert, "ca": [cert],
                             "requestCert": True, "rejectUnauthorized": True},
                            calls.must_call(lambda s: (assert_true(s.authorized), s.end()), len(variants)))
        server.on("tlsClientError", calls.must_not_call("tlsClientError"))

        def listening():
            for options in variants:
                client = tls.connect({"port": server.address()["port"], "rejectUnauthorized": False, **options},
                                     calls.must_call())
                client.on("error", calls.must_not_call("client 'error' with %r" % sorted(options)))

        server.listen(0, calls.must_call(listening))
        server.unref()

    node_run(main)


def _bad_variants(pass_key, cert):
    return [
        # missing passphrase
        {"key": pass_key, "cert": cert},
        {"key": [pass_key], "cert": cert},
        {"key": [{"pem": pass_key}], "cert": cert},
        # invalid passphrase
        {"key": pass_key, "passphrase": "invalid", "cert": cert},
        {"key": [pass_key], "passphrase": "invalid", "cert": cert},
        {"key": [{"pem": pass_key}], "passphrase": "invalid", "cert": cert},
        {"key": [{"pem": pass_key, "passphrase": "invalid"}], "passphrase": "passphrase", "cert": cert},
    ]


@pytest.mark.parametrize("index", range(7))
def test_bad_passphrase_throws(index, pass_key, self_signed, node_run):
    options = _bad_variants(pass_key, self_signed["cert"])[index]

    def main():
        with pytest.raises(tls.NodeError) as info:
            tls.connect({"port": 1, "rejectUnauthorized": False, **options})
        assert info.value.code == "ERR_OSSL_BAD_DECRYPT"

    node_run(main)


