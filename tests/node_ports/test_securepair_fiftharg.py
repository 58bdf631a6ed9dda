"""Port of test/parallel/test-tls-securepair-fiftharg.js.

The fifth argument of createSecurePair reaches the TLSSocket: its
SNICallback is called with the server name of a client hello written into
``pair.encrypted``.  Node's fixture is a ClientHello a browser sent to
www.google.com; here one is made by another TLS stack (CPython's ssl over
memory BIOs) with the same server name.  Nothing ever answers the
callback, and, as in Node, the pair does not keep the program alive.
"""
import ssl
import warnings

import pytest

import tls


@pytest.fixture(scope="module")
def ssl_hello() -> bytes:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
    obj = ctx.wrap_bio(incoming, outgoing, server_hostname="www.google.com")
    with pytest.raises(ssl.SSLWantReadError):
        obj.do_handshake()
    return outgoing.read()


def test_securepair_fiftharg(self_signed, ssl_hello, calls, node_run):
    def main():
        sslcontext = tls.createSecureContext({"cert": self_signed["cert"], "key": self_signed["key"]})

        def sni_callback(servername, cb):
            assert servername == "www.google.com"

        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            pair = tls.createSecurePair(sslcontext, True, False, False,
                                        {"SNICallback": calls.must_call(sni_callback)})

        pair.encrypted.write(ssl_hello)

    node_run(main)
