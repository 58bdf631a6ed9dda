"""tls.openssl: the binding's ffi / lib in public, the native handles, the error helper (docs/openssl.md).

The native handles are checked against real peers: an option set through ``SSL_CTX*`` /
``SSL*`` is seen by ``openssl s_client`` / ``s_server`` (groups, signature algorithms), a
verify flag set through ``SSL_get0_param`` changes what our client accepts from s_server, and
an OCSP request and response built through ``lib`` are read by ``openssl ocsp``.
"""
from __future__ import annotations

import os
import re
from typing import Any, List

import pytest

import tls
import tls.openssl as ossl
from tls.errors import NodeError
from tls.openssl import check, ffi, keep, lib
from tls.sansio import Connection

from support.aio import Recorder, async_test
from support.loopback import close_server, listen
from support.openssl import OpenSSLPeer, openssl, s_server
from support.sansio import pump

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DOC = os.path.join(ROOT, "docs", "openssl.md")


def s_client_args(pems: Any, port: int, *extra: str) -> list:
    return ["s_client", "-connect", "127.0.0.1:%d" % port, "-servername", "localhost",
            "-CAfile", pems.path("ca"), "-verify_return_error", *extra]


# -- the declared surface ------------------------------------------------------------------------

def test_every_surface_name_is_declared():
    assert ossl.missing() == []
    assert all(ossl.declared(name) for names in ossl.SURFACE.values() for name in names)
    assert not ossl.declared("SSL_no_such_function")


def _doc_surface() -> dict:
    """docs/openssl.md's table: ``| area | `name`, `name` |`` rows between the surface markers."""
    with open(DOC, encoding="utf-8") as f:
        text = f.read()
    block = text.split("<!-- surface:start -->")[1].split("<!-- surface:end -->")[0]
    areas = {}
    for line in block.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 2 and "`" in cells[1]:
            areas[cells[0]] = tuple(re.findall(r"`([A-Za-z0-9_]+)`", cells[1]))
    return areas


def test_docs_list_exactly_the_surface():
    assert _doc_surface() == ossl.SURFACE


def test_ffi_and_lib_are_the_packages_own():
    from tls import _openssl
    assert ossl.ffi is _openssl.ffi and ossl.lib is _openssl.lib
    assert ossl.OPENSSL_VERSION.startswith("OpenSSL 3")


# -- native handles seen by openssl s_client / s_server ------------------------------------------

@async_test(15)
async def test_context_native_groups_list_seen_by_s_client(pems):
    """SSL_CTX_set1_groups_list on secureContext.native: s_client's key exchange is secp384r1."""
    context = tls.createSecureContext(pems.server_options())
    check(lib.SSL_CTX_set1_groups_list(context.native, b"secp384r1"), "SSL_CTX_set1_groups_list")
    # (a tls.Server makes its own context from its options, as Node's does: the context given
    # is used by TLSSockets made over a net.Server's connections)

    def on_connection(raw: Any) -> None:
        sock = tls.TLSSocket(raw, {"isServer": True, "secureContext": context})
        sock.on("secure", lambda: sock.end(b"hello\n"))

    server = tls.net.createServer(on_connection)
    port = await listen(server)
    try:
        async with await OpenSSLPeer().start(s_client_args(pems, port, "-ign_eof")) as client:
            await client.until(b"hello\n")
            out = await client.read_rest()
            # without the call: X25519, OpenSSL's first group
            assert re.search(rb"Server Temp Key: ECDH, secp384r1, 384 bits", out), out
    finally:
        close_server(server)


@async_test(15)
async def test_server_native_groups_list_seen_by_s_client(pems):
    """A tls.Server's own context (made from its options, as Node's): server.native."""
    server = tls.createServer(pems.server_options(), lambda sock: sock.end(b"hello\n"))
    check(lib.SSL_CTX_set1_groups_list(server.native, b"secp521r1"), "SSL_CTX_set1_groups_list")
    port = await listen(server)
    try:
        async with await OpenSSLPeer().start(s_client_args(pems, port, "-ign_eof")) as client:
            await client.until(b"hello\n")
            out = await client.read_rest()
            assert re.search(rb"Server Temp Key: ECDH, secp521r1, 521 bits", out), out
    finally:
        close_server(server)


@async_test(15)
async def test_socket_native_groups_and_sigalgs_seen_by_s_server(pems):
    """SSL_set1_groups_list / SSL_set1_sigalgs_list on tlsSocket.native, right after connect()."""
    server, port = await s_server(["-key", pems.path("key"), "-cert", pems.path("cert"), "-naccept", "1"])
    async with server:
        client = tls.connect(port, "localhost", {"ca": pems.ca})
        check(lib.SSL_set1_groups_list(client.native, b"secp521r1:secp384r1"), "SSL_set1_groups_list")
        check(lib.SSL_set1_sigalgs_list(client.native, b"ECDSA+SHA384:ECDSA+SHA256"), "SSL_set1_sigalgs_list")
        rec = Recorder(client, "secureConnect", "error")
        await rec.wait("secureConnect")
        await server.until(b"Shared groups:")
        assert b"Supported groups: secp521r1:secp384r1\n" in server.stdout
        assert b"Signature Algorithms: ECDSA+SHA384:ECDSA+SHA256\n" in server.stdout
        assert client.getEphemeralKeyInfo()["name"] == "secp521r1"
        group = lib.SSL_get_negotiated_group(client.native)
        assert ffi.string(lib.SSL_group_to_name(client.native, group)) == b"secp521r1"
        client.destroy()


@async_test(15)
async def test_verify_flag_through_the_socket_param(pems):
    """X509_V_FLAG_PARTIAL_CHAIN via SSL_get0_param(native): trusting the leaf alone is enough."""
    server, port = await s_server(["-key", pems.path("key"), "-cert", pems.path("cert"), "-naccept", "2"])
    async with server:
        results = []
        for partial in (False, True):
            client = tls.connect(port, "localhost", {"ca": pems.cert, "rejectUnauthorized": False})
            if partial:
                param = lib.SSL_get0_param(client.native)
                check(lib.X509_VERIFY_PARAM_set_flags(param, lib.X509_V_FLAG_PARTIAL_CHAIN), "set_flags")
                assert lib.X509_VERIFY_PARAM_get_flags(param) & lib.X509_V_FLAG_PARTIAL_CHAIN
            rec = Recorder(client, "secureConnect", "error")
            await rec.wait("secureConnect")
            results.append((client.authorized, client.authorizationError))
            client.destroy()
        assert results == [(False, "UNABLE_TO_VERIFY_LEAF_SIGNATURE"), (True, None)]


# -- lifetime: borrowed pointers, None once the owner is gone, keep() ------------------------------

@async_test(15)
async def test_native_is_none_once_the_socket_is_destroyed_and_keep_outlives_it(pems):
    server = tls.createServer(pems.server_options())
    seen = []
    # read while the server socket lives (its pointer is borrowed)
    server.on("secureConnection", lambda sock: (seen.append(lib.SSL_is_server(sock.native)), sock.end()))
    port = await listen(server)
    try:
        client = tls.connect(port, "localhost", {"ca": pems.ca})
        assert ffi.typeof(client.native).cname == "SSL *"
        rec = Recorder(client, "secureConnect", "end", "close", "error")
        await rec.wait("secureConnect")
        kept = keep(client.native)
        await rec.wait("end")  # the server's end(): after its 'secureConnection'
        assert seen == [1] and lib.SSL_is_server(client.native) == 0
        client.destroy()
        await rec.wait("close")
        assert client.native is None
        # the kept reference is still a live SSL (its own reference count)
        assert ffi.string(lib.SSL_get_version(kept)) == b"TLSv1.3"
        del kept
    finally:
        close_server(server)


def test_context_native_is_none_once_closed_and_keep_outlives_it(pems):
    context = tls.createSecureContext(pems.server_options())
    native = context.native
    assert ffi.typeof(native).cname == "SSL_CTX *"
    assert lib.SSL_CTX_get_security_level(native) == 1   # the package's level (docs/security.md)
    kept = keep(native)
    context.close()
    assert context.native is None and context.native is None
    assert lib.SSL_CTX_get_security_level(kept) == 1
    assert lib.SSL_CTX_get0_certificate(kept) != ffi.NULL


def test_keep_refuses_what_it_cannot_keep():
    with pytest.raises(NodeError) as err:
        keep(b"not a pointer")
    assert err.value.code == "ERR_INVALID_ARG_TYPE"
    with pytest.raises(NodeError) as err:
        keep(ffi.new("int *"))
    assert err.value.code == "ERR_INVALID_ARG_TYPE" and "int *" in str(err.value)
    with pytest.raises(NodeError) as err:
        keep(ffi.cast("SSL *", 0))
    assert err.value.code == "ERR_INVALID_ARG_VALUE"


def test_ex_data_slots_of_your_own(pems):
    """SSL_CTX_get_ex_new_index / SSL_get_ex_new_index: data of the user's on the package's objects."""
    context = tls.createSecureContext(pems.server_options())
    index = lib.SSL_CTX_get_ex_new_index(0, ffi.NULL, ffi.NULL, ffi.NULL, ffi.NULL)
    assert index > 0
    mine = ffi.new_handle({"tenant": "a"})
    check(lib.SSL_CTX_set_ex_data(context.native, index, mine), "SSL_CTX_set_ex_data")
    assert ffi.from_handle(lib.SSL_CTX_get_ex_data(context.native, index)) == {"tenant": "a"}
    client = Connection(secureContext=context)
    ssl_index = lib.SSL_get_ex_new_index(0, ffi.NULL, ffi.NULL, ffi.NULL, ffi.NULL)
    check(lib.SSL_set_ex_data(client.native, ssl_index, mine), "SSL_set_ex_data")
    assert lib.SSL_get_ex_data(client.native, ssl_index) == mine
    # the package's own slot is untouched: the connection still works
    assert client.dataToSend()[:1] == b"\x16"


# -- errors ------------------------------------------------------------------------------------

def test_check_raises_the_queue_as_a_node_error(pems):
    context = tls.createSecureContext(pems.server_options())
    with pytest.raises(NodeError) as err:
        check(lib.SSL_CTX_set_cipher_list(context.native, b"NO-SUCH-CIPHER"), "SSL_CTX_set_cipher_list")
    assert err.value.code == "ERR_SSL_NO_CIPHER_MATCH"
    assert err.value.library == "SSL routines"
    assert lib.ERR_peek_error() == 0  # the queue was emptied
    with pytest.raises(NodeError) as err:
        check(lib.BIO_new_mem_buf(ffi.NULL, 0), "BIO_new_mem_buf")
    assert check(1) == 1
    empty = ossl.error("nothing queued")
    assert str(empty) == "nothing queued" and getattr(empty, "code", None) is None


# -- OCSP built through lib, read by openssl ocsp ----------------------------------------------------

def _x509(pem: bytes) -> Any:
    bio = ffi.gc(check(lib.BIO_new_mem_buf(pem, len(pem)), "BIO_new_mem_buf"), lib.BIO_free)
    return ffi.gc(check(lib.PEM_read_bio_X509(bio, ffi.NULL, ffi.NULL, ffi.NULL), "PEM_read_bio_X509"),
                  lib.X509_free)


def _key(pem: bytes) -> Any:
    bio = ffi.gc(check(lib.BIO_new_mem_buf(pem, len(pem)), "BIO_new_mem_buf"), lib.BIO_free)
    return ffi.gc(check(lib.PEM_read_bio_PrivateKey(bio, ffi.NULL, ffi.NULL, ffi.NULL), "PEM_read_bio_PrivateKey"),
                  lib.EVP_PKEY_free)


def _der(i2d: Any, obj: Any) -> bytes:
    out = ffi.new("unsigned char **")
    n = check(i2d(obj, out), "i2d")
    try:
        return bytes(ffi.buffer(out[0], n))
    finally:
        lib.OPENSSL_free(out[0])


def test_ocsp_request_and_response_built_through_lib(pems, ca, tmp_path):
    leaf, issuer, ca_key = _x509(pems.cert), _x509(pems.ca), _key(ca.private_key_pem.bytes())
    # the request: one certificate id and a nonce
    request = ffi.gc(lib.OCSP_REQUEST_new(), lib.OCSP_REQUEST_free)
    check(lib.OCSP_request_add0_id(request, check(lib.OCSP_cert_to_id(ffi.NULL, leaf, issuer), "cert_to_id")),
          "OCSP_request_add0_id")
    check(lib.OCSP_request_add1_nonce(request, ffi.NULL, -1), "OCSP_request_add1_nonce")
    (tmp_path / "req.der").write_bytes(_der(lib.i2d_OCSP_REQUEST, request))
    text = openssl("ocsp", "-reqin", str(tmp_path / "req.der"), "-req_text").decode()
    assert "Certificate ID:" in text and "OCSP Nonce" in text

    # the response: 'good' for that id, signed by the CA, valid for a day
    basic = ffi.gc(lib.OCSP_BASICRESP_new(), lib.OCSP_BASICRESP_free)
    cid = ffi.gc(lib.OCSP_cert_to_id(ffi.NULL, leaf, issuer), lib.OCSP_CERTID_free)
    now = ffi.gc(lib.X509_gmtime_adj(ffi.NULL, 0), lib.ASN1_TIME_free)
    later = ffi.gc(lib.X509_gmtime_adj(ffi.NULL, 86400), lib.ASN1_TIME_free)
    check(lib.OCSP_basic_add1_status(basic, cid, lib.V_OCSP_CERTSTATUS_GOOD, 0, ffi.NULL, now, later),
          "OCSP_basic_add1_status")
    assert lib.OCSP_check_nonce(request, basic) == -1  # -1: a nonce in the request only (hence -no_nonce)
    check(lib.OCSP_basic_sign(basic, issuer, ca_key, lib.EVP_sha256(), ffi.NULL, 0), "OCSP_basic_sign")
    response = ffi.gc(lib.OCSP_response_create(lib.OCSP_RESPONSE_STATUS_SUCCESSFUL, basic), lib.OCSP_RESPONSE_free)
    (tmp_path / "resp.der").write_bytes(_der(lib.i2d_OCSP_RESPONSE, response))
    out = openssl("ocsp", "-respin", str(tmp_path / "resp.der"), "-CAfile", pems.path("ca"),
                  "-issuer", pems.path("ca"), "-cert", pems.path("cert"), "-no_nonce").decode()
    assert re.search(r"cert\.pem: good", out), out

    # and read back through lib
    assert lib.OCSP_response_status(response) == lib.OCSP_RESPONSE_STATUS_SUCCESSFUL
    got = ffi.gc(check(lib.OCSP_response_get1_basic(response), "get1_basic"), lib.OCSP_BASICRESP_free)
    status = ffi.new("int *")
    check(lib.OCSP_resp_find_status(got, cid, status, ffi.NULL, ffi.NULL, ffi.NULL, ffi.NULL), "find_status")
    assert ffi.string(lib.OCSP_cert_status_str(status[0])) == b"good"


# -- custom extensions ----------------------------------------------------------------------------

@async_test(15)
async def test_custom_extension_seen_by_s_server(pems):
    """add_custom_extension on a client context: the bytes are in the ClientHello s_server dumps."""
    context = tls.createSecureContext({"ca": pems.ca})
    asked = []

    def add(sock: Any, where: int) -> bytes:
        asked.append((sock, where))
        return b"hello"

    ossl.add_custom_extension(context, 0xFF00, add=add)
    # -msg dumps the ClientHello in hex (-tlsextdebug names only the extensions s_server knows)
    server, port = await s_server(["-key", pems.path("key"), "-cert", pems.path("cert"), "-naccept", "1", "-msg"])
    async with server:
        client = tls.connect(port, "localhost", {"secureContext": context})
        rec = Recorder(client, "secureConnect", "error")
        await rec.wait("secureConnect")
        await server.until(b"CIPHER is ")
        dump = server.stdout.split(b"ClientHello\n", 1)[1]
        hexlines = []
        for line in dump.splitlines():
            if not re.fullmatch(rb"\s+([0-9a-f]{2} ?)+", line):
                break
            hexlines.append(line)
        hello = bytes.fromhex(b"".join(hexlines).decode())
        assert b"\xff\x00\x00\x05hello" in hello   # type 0xff00, length 5, our bytes
        assert asked == [(client, lib.SSL_EXT_CLIENT_HELLO)]
        client.destroy()


def test_custom_extension_both_ways_in_memory(pems):
    got: List[Any] = []
    server_context = tls.createSecureContext({"key": pems.key, "cert": pems.cert})
    client_context = tls.createSecureContext({"ca": pems.ca})
    ossl.add_custom_extension(client_context, 0xFA01, add=lambda sock, where: b"from client",
                              parse=lambda sock, where, data: got.append(("client", where, data)))
    ossl.add_custom_extension(server_context, 0xFA01, add=lambda sock, where: b"from server",
                              parse=lambda sock, where, data: got.append(("server", where, data)))
    server = Connection(isServer=True, secureContext=server_context)
    client = Connection(secureContext=client_context)
    client.setServername("localhost")
    pump(client, server)
    assert got == [("server", lib.SSL_EXT_CLIENT_HELLO, b"from client"),
                   ("client", lib.SSL_EXT_TLS1_3_ENCRYPTED_EXTENSIONS, b"from server")]
    assert lib.SSL_CTX_has_client_custom_ext(client_context.native, 0xFA01) == 1


def test_a_refused_or_failing_custom_extension_ends_the_handshake(pems):
    server_context = tls.createSecureContext({"key": pems.key, "cert": pems.cert})
    client_context = tls.createSecureContext({"ca": pems.ca})
    ossl.add_custom_extension(client_context, 0xFA02, add=lambda sock, where: b"x")
    ossl.add_custom_extension(server_context, 0xFA02, parse=lambda sock, where, data: False)
    server = Connection(isServer=True, secureContext=server_context)
    client = Connection(secureContext=client_context)
    errors: List[Any] = []
    server.on("error", errors.append)
    client.on("error", errors.append)
    pump(client, server)
    assert server.destroyed and client.destroyed
    assert [e.code for e in errors] == ["ERR_SSL_BAD_EXTENSION", "ERR_SSL_SSLV3_ALERT_ILLEGAL_PARAMETER"]

    boom = ValueError("no extension today")
    failing = tls.createSecureContext({"ca": pems.ca})
    ossl.add_custom_extension(failing, 0xFA03, add=lambda sock, where: (_ for _ in ()).throw(boom))
    client = Connection(secureContext=failing)
    seen: List[Any] = []
    client.on("error", seen.append)
    assert client.dataToSend() == b""   # destroyed inside the callback: nothing was sent
    assert seen == [boom] and client.destroyed


def test_add_custom_extension_refuses_bad_input(pems):
    context = tls.createSecureContext()
    cases = [
        ((object(), 0xFF00), {"add": lambda s, w: b""}, "ERR_INVALID_ARG_TYPE"),
        ((context, "x"), {"add": lambda s, w: b""}, "ERR_INVALID_ARG_TYPE"),
        ((context, 70000), {"add": lambda s, w: b""}, "ERR_OUT_OF_RANGE"),
        ((context, 0xFF00), {"add": 3}, "ERR_INVALID_ARG_TYPE"),
        ((context, 0xFF00), {}, "ERR_MISSING_ARGS"),
        ((context, 0), {"add": lambda s, w: b""}, "ERR_INVALID_ARG_VALUE"),   # server_name: OpenSSL's own
    ]
    for args, kwargs, code in cases:
        with pytest.raises(NodeError) as err:
            ossl.add_custom_extension(*args, **kwargs)
        assert err.value.code == code, (args, kwargs)
    ossl.add_custom_extension(context, 0xFA04, add=lambda s, w: b"")
    with pytest.raises(NodeError) as err:
        ossl.add_custom_extension(context, 0xFA04, add=lambda s, w: b"")
    assert err.value.code == "ERR_INVALID_ARG_VALUE"
    context.close()
    with pytest.raises(NodeError) as err:
        ossl.add_custom_extension(context, 0xFA05, add=lambda s, w: b"")
    assert err.value.code == "ERR_INVALID_ARG_TYPE"   # closed: no SSL_CTX any more

