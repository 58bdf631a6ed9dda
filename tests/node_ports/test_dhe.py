"""Port of test/parallel/test-tls-dhe.js.

A server with ``dhparam`` negotiates DHE with ``openssl s_client`` using a
DH key of that size ("Server Temp Key: DH, <n> bits"); 'auto' picks a size
matching the certificate key (2048); an invalid dhparam is ignored (the
handshake falls back to ECDHE); below 1024 bits createSecureContext throws;
below 2048 a SecurityWarning is issued.  As in Node's test the server is
TLS 1.2 and s_client runs at @SECLEVEL=1 (Debian's default level 2 refuses
1024-bit DH itself).  Expected outputs were checked against Node 20.
"""
import re
import warnings

import pytest

import tls
from tls._engine.context import SecurityWarning

from support.node_style import s_client

CIPHERS = "DHE-RSA-AES128-SHA256:ECDHE-RSA-AES128-SHA256"


@pytest.mark.parametrize("keylen,temp_key,cipher", [
    (1024, "DH, 1024 bits", "DHE-RSA-AES128-SHA256"),
    (2048, "DH, 2048 bits", "DHE-RSA-AES128-SHA256"),
    ("auto", "DH, 2048 bits", "DHE-RSA-AES128-SHA256"),
    ("error", "X25519, 253 bits", "ECDHE-RSA-AES128-SHA256"),
], ids=["1024", "2048", "auto", "error"])
def test_dhe(keylen, temp_key, cipher, dhparams, self_signed, calls, node_run):
    def main():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", SecurityWarning)
            server = tls.createServer({"key": self_signed["key"], "cert": self_signed["cert"], "ciphers": CIPHERS,
                                       "dhparam": dhparams[keylen], "maxVersion": "TLSv1.2"},
                                      lambda conn: conn.end())
        server.on("close", calls.must_call())

        def on_exit(code, out, err):
            text = out.decode("latin-1")
            assert code == 0, err
            assert re.search(r"Cipher    : %s\b" % re.escape(cipher), text), text
            assert "Server Temp Key: %s" % temp_key in text, text
            server.close()

        def listening():
            proc = s_client(server.address()["port"], "-cipher", CIPHERS + ":@SECLEVEL=1",
                            on_exit=calls.must_call(on_exit))
            proc.end()

        server.listen(0, "127.0.0.1", listening)

    node_run(main)


def test_dhparam_512_throws(dhparams, node_run):
    def main():
        with pytest.raises(tls.NodeError) as info:
            tls.createServer({"ciphers": CIPHERS, "dhparam": dhparams[512]})
        assert info.value.code == "ERR_INVALID_ARG_VALUE"
        assert info.value.message == "DH parameter is less than 1024 bits"

    node_run(main)


def test_dhparam_1024_warns(dhparams):
    with pytest.warns(SecurityWarning, match="DH parameter is less than 2048 bits"):
        tls.createSecureContext({"dhparam": dhparams[1024]})


def test_dhparam_2048_does_not_warn(dhparams):
    with warnings.catch_warnings():
        warnings.simplefilter("error", SecurityWarning)
        tls.createSecureContext({"dhparam": dhparams[2048]})
