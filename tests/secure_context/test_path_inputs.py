"""Files as inputs: an ``os.PathLike`` for key, cert, ca, pfx, crl and dhparam is read (alone, in
a list, as an object's ``pem`` / ``buf``); a ``str`` that names a file is refused with
ERR_INVALID_ARG_VALUE and the hint, where Node takes it as PEM text and fails later (Node's
behaviour is checked here too: the difference is deliberate, docs/spec-status.md)."""
from __future__ import annotations

import subprocess
from pathlib import Path, PurePath

import pytest

import tls

from support.aio import async_test
from support.loopback import listen
from support.node import NODE


def _ctx(**options):
    return tls.createSecureContext(options)


def test_key_and_cert_paths_load_the_same_certificate(materials, f):
    by_bytes = _ctx(key=f("key.pem"), cert=f("cert.pem"))
    by_path = _ctx(key=Path(materials("key.pem")), cert=Path(materials("cert.pem")))
    assert by_path.context.getCertificate() == by_bytes.context.getCertificate() is not None


def test_any_pathlike_is_read(materials, f):
    class Custom:   # os.PathLike by protocol only
        def __init__(self, path):
            self.path = path

        def __fspath__(self):
            return self.path

    ctx = _ctx(key=Custom(materials("key.pem")), cert=Custom(materials("cert.pem").encode()))
    assert ctx.context.getCertificate() == _ctx(key=f("key.pem"), cert=f("cert.pem")).context.getCertificate()


def test_pfx_paths_alone_and_as_objects(materials, f):
    want = _ctx(pfx=f("p.pfx"), passphrase="secret").context.getCertificate()
    assert _ctx(pfx=Path(materials("p.pfx")), passphrase="secret").context.getCertificate() == want
    assert _ctx(pfx=[{"buf": Path(materials("p.pfx")), "passphrase": "secret"}]).context.getCertificate() == want


def test_key_objects_take_a_path_as_pem(materials, f):
    ctx = _ctx(cert=Path(materials("cert.pem")),
               key=[{"pem": Path(materials("enckey.pem")), "passphrase": "secret"}])
    assert ctx.context.getCertificate() == _ctx(key=f("key.pem"), cert=f("cert.pem")).context.getCertificate()


def test_dhparam_path_is_checked_like_its_bytes(materials, f):
    with pytest.raises(tls.NodeError) as by_bytes:
        _ctx(dhparam=f("dh512.pem"))
    with pytest.raises(tls.NodeError) as by_path:
        _ctx(dhparam=Path(materials("dh512.pem")))
    assert by_path.value.code == by_bytes.value.code and by_path.value.code
    _ctx(dhparam=Path(materials("dh2048.pem")))   # a good one loads


@async_test(15)
async def test_ca_and_crl_paths_decide_a_real_handshake(materials):
    server = tls.createServer({"key": Path(materials("key.pem")), "cert": Path(materials("cert.pem"))},
                              lambda sock: sock.end(b"hi"))
    server.on("tlsClientError", lambda *_: None)
    port = await listen(server)
    try:
        # ca in a list, mixed with PEM text; an empty CRL changes nothing
        sock = await tls.connect(port, "localhost", ca=[Path(materials("otherca.pem")), Path(materials("ca.pem"))],
                                 crl=PurePath(materials("empty.crl")))
        assert sock.authorized
        sock.destroy()
        with pytest.raises(tls.NodeError) as revoked:
            await tls.connect(port, "localhost", ca=Path(materials("ca.pem")),
                              crl=[Path(materials("revoked.crl"))])
        assert revoked.value.code == "CERT_REVOKED"
    finally:
        server.close()


@pytest.mark.parametrize("option", ["key", "cert", "ca", "crl", "pfx", "dhparam"])
def test_a_path_string_is_refused_with_the_hint(materials, option):
    path = materials("ca.pem")
    with pytest.raises(tls.NodeError) as info:
        _ctx(**{option: path})
    err = info.value
    assert err.code == "ERR_INVALID_ARG_VALUE"
    # .message: str(err) may add to it (the code, notes), the message is Node-style
    assert err.message.startswith("The property 'options.%s' is the name of a file, not its contents" % option)
    assert "pathlib.Path(%r)" % path in err.message and err.message.endswith("Received %r" % path)


@pytest.mark.parametrize("options", [
    lambda p: {"ca": [b"", p]},
    lambda p: {"key": [{"pem": p, "passphrase": "x"}]},
    lambda p: {"pfx": [{"buf": p}]},
])
def test_a_path_string_in_a_list_or_object_is_refused(materials, options):
    with pytest.raises(tls.NodeError) as info:
        _ctx(**options(materials("ca.pem")))
    assert info.value.code == "ERR_INVALID_ARG_VALUE"


def test_every_entry_point_refuses_it(materials):
    # the refusal comes from the one place every secure context is made in
    with pytest.raises(tls.NodeError, match="is the name of a file") as info:
        tls.connect(1, "localhost", ca=materials("ca.pem"))
    assert info.value.code == "ERR_INVALID_ARG_VALUE"
    with pytest.raises(tls.NodeError, match="is the name of a file"):
        tls.createServer(key=materials("key.pem"), cert=materials("cert.pem"))


def test_text_that_is_no_file_name_goes_to_openssl_as_before(materials, s):
    _ctx(ca=s("ca.pem"), cert=s("cert.pem"), key=s("key.pem"))      # PEM text as str still works
    _ctx(dhparam="auto")
    with pytest.raises(tls.NodeError) as info:
        _ctx(cert=materials("ca.pem") + ".missing")                 # names no file: Node's PEM error
    assert info.value.code == "ERR_OSSL_PEM_NO_START_LINE"


def test_a_missing_file_is_node_fs_error(tmp_path):
    missing = tmp_path / "nope.pem"
    with pytest.raises(tls.NodeError) as info:
        _ctx(ca=missing)
    err = info.value
    # Node's errno is -2; the error is also Python's FileNotFoundError, whose errno is 2 (docs/errors.md)
    assert isinstance(err, FileNotFoundError)
    assert (err.code, err.nodeErrno, err.errno, err.syscall, err.path) == ("ENOENT", -2, 2, "open", str(missing))
    assert err.message == "ENOENT: no such file or directory, open '%s'" % missing


def test_node_takes_the_path_string_silently(materials):
    """The difference is deliberate: Node accepts ca=<path> (and fails every verification later)."""
    script = ("const tls = require('tls');"
              "tls.createSecureContext({ca: process.argv[1]});"
              "tls.createSecureContext({dhparam: process.argv[1]});"
              "try { tls.createSecureContext({cert: process.argv[1]}); } catch (e) { console.log(e.code); }"
              "console.log('accepted');")
    out = subprocess.run([NODE, "-e", script, materials("ca.pem")], capture_output=True, timeout=30,
                         check=True).stdout.decode().split()
    assert out == ["ERR_OSSL_PEM_NO_START_LINE", "accepted"]
