"""Malformed ALPN / NPN wire-format lists are refused where they enter.

A server hands its list to ``SSL_select_next_proto``, which reads past the
buffer on OpenSSL 3.0.0-3.0.14 / 3.1-3.3 before their fixes when a length
byte runs past its end (CVE-2024-5535).  Measured on Node 20.20: a server
stores such a buffer unchecked and a client aborts the whole process
(``Assertion failed: (0) == (SSL_set_alpn_protos(...))``), so there is no
Node code to match; we raise ERR_INVALID_ARG_VALUE (a TypeError, as Node's)
at the call, before any socket exists.  Valid buffers still negotiate against
real peers (tests/test_negotiation_interop.py).
"""
import warnings

import pytest

import tls

from support.aio import run_async
from support.certs import node_keys

BAD = [
    pytest.param(b"http/1.1", id="name-as-buffer"),        # 'h' = 104: runs past the 8 bytes
    pytest.param(bytearray(b"\x03ab"), id="short-bytearray"),
    pytest.param(memoryview(b"\x02h2\x00"), id="zero-length-memoryview"),
    pytest.param(b"\x02h2\x09http/1.1", id="last-runs-past"),
    pytest.param(["", "h2"], id="empty-name-in-list"),
]

MESSAGE = ("The property 'options.%s' must be a wire-format protocol list (each name 1 to 255 bytes, "
           "prefixed with its length) or a list of names. Received %r")


def _server(options):
    return tls.createServer(options)


def _server_class(options):
    return tls.Server(options)


def _connect(options):
    # no server: a valid list would get ECONNREFUSED later, a bad one never gets that far
    sock = tls.connect(dict(options, port=1, host="127.0.0.1"))
    sock.on("error", lambda err: None)
    return sock


def _client_socket(options):
    return tls.TLSSocket(None, options)


def _server_socket(options):
    return tls.TLSSocket(None, dict(options, isServer=True))


def _secure_pair(options):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # DEP0064
        keys = node_keys()["agent1"]
        context = tls.createSecureContext({"key": keys["key"], "cert": keys["cert"]})
        return tls.createSecurePair(context, True, False, False, options)


ENTRY_POINTS = [_server, _server_class, _connect, _client_socket, _server_socket, _secure_pair]


def _shown(value):
    return bytes(value) if isinstance(value, memoryview) else value


@pytest.mark.parametrize("key", ["ALPNProtocols", "NPNProtocols"])
@pytest.mark.parametrize("entry", ENTRY_POINTS, ids=lambda f: f.__name__.strip("_"))
@pytest.mark.parametrize("value", BAD)
def test_malformed_list_is_refused_at_the_call(entry, key, value):
    async def main():
        with pytest.raises(TypeError) as info:
            entry({key: value})
        assert isinstance(info.value, tls.NodeError)
        assert info.value.code == "ERR_INVALID_ARG_VALUE"
        assert info.value.message == MESSAGE % (key, _shown(value))

    run_async(main())


@pytest.mark.parametrize("value", [b"", [], b"\x02h2\x08http/1.1", bytearray(b"\x01a"), memoryview(b"\x01a\x01b"),
                                   ["h2", b"http/1.1"], [b"x" * 255]],
                         ids=["empty-buffer", "empty-list", "two", "bytearray", "memoryview", "list", "longest"])
@pytest.mark.parametrize("entry", ENTRY_POINTS, ids=lambda f: f.__name__.strip("_"))
def test_well_formed_lists_are_accepted(entry, value):
    async def main():
        made = entry({"ALPNProtocols": value, "NPNProtocols": value})
        destroy = getattr(made, "destroy", None)
        if destroy is not None:
            destroy()

    run_async(main())


def test_convert_alpn_protocols_stays_unchecked():
    """Node's tls.convertALPNProtocols copies a buffer as it is; the options check it."""
    out = {}
    tls.convertALPNProtocols(b"http/1.1", out)
    assert out["ALPNProtocols"] == b"http/1.1"
