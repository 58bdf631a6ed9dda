"""Smoke test of an installed tls wheel: a loopback TLS handshake and an echo.

Run:  python tests/wheel_smoke.py   (from any folder; needs only the wheel)

It is cibuildwheel's test-command and the last step of
scripts/check_static_wheel.sh, so it imports nothing but tls and the standard
library, and it must not pick tls up from a source tree: it fails if the
imported tls lives next to a ``src/_tls_build.py``.  It checks:

* the interpreter's own ``ssl`` module is loaded first (in a wheel whose
  OpenSSL is linked in statically, both OpenSSLs then live in one process);
* a server and a client on 127.0.0.1 complete a handshake, the client
  verifies the server against ``ca``, and 64 KiB echo back unchanged;
* a client without ``ca`` verifies the same server through ``SSL_CERT_FILE``
  (the default trust store, tls._engine.ca_store);
* with TLS_EXPECT_STATIC=1, that OpenSSL is linked in statically;
* every name of ``tls.openssl.SURFACE`` (docs/openssl.md) is in the binding: the static link
  keeps them, reachable through ``tls.openssl.lib`` although no OpenSSL symbol is exported.

It prints what it checked and exits non-zero on any failure.
"""
from __future__ import annotations

import asyncio
import os
import ssl  # first: the interpreter's OpenSSL is loaded before ours
import sys
import tempfile

# Self-signed (CA:TRUE) P-256 certificate for localhost and 127.0.0.1, valid
# from 2000 to 2999: a test-only identity, never trusted anywhere else.
KEY = b"""-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg3sWFdKzNuz/toZ8r
IRVQ7OmZuBvjEyAgpMO7/kTdgnehRANCAASSB+H3Dnev/RD+d3FTKFYeqlxQanmt
HerpTiSoCssowXHOEn0tJFVSQ7+8rIw5aZytl9rdfSIcycXc0b2mMm/B
-----END PRIVATE KEY-----
"""
CERT = b"""-----BEGIN CERTIFICATE-----
MIIBWzCCAQGgAwIBAgIUQWrh3hT84N0ZmMBce+rWuOzdcSkwCgYIKoZIzj0EAwIw
FDESMBAGA1UEAwwJbG9jYWxob3N0MCAXDTAwMDEwMTAwMDAwMFoYDzI5OTkxMjMx
MDAwMDAwWjAUMRIwEAYDVQQDDAlsb2NhbGhvc3QwWTATBgcqhkjOPQIBBggqhkjO
PQMBBwNCAASSB+H3Dnev/RD+d3FTKFYeqlxQanmtHerpTiSoCssowXHOEn0tJFVS
Q7+8rIw5aZytl9rdfSIcycXc0b2mMm/Boy8wLTAPBgNVHRMBAf8EBTADAQH/MBoG
A1UdEQQTMBGCCWxvY2FsaG9zdIcEfwAAATAKBggqhkjOPQQDAgNIADBFAiAqe9h/
urzpqBHJSQYQvQT5zTJ6F3FDZkW342j07oJNBgIhAIkI5sga2sI+82Ns3QtLijdB
ftFiqWBG81Gq3bTN9/lB
-----END CERTIFICATE-----
"""
PAYLOAD = bytes(range(256)) * 256  # 64 KiB


def _shared_libcrypto_function():
    """Address of OpenSSL_version_num in the system's shared libcrypto, if any."""
    import ctypes
    import ctypes.util
    for name in ("libcrypto.so.3", ctypes.util.find_library("crypto")):
        if not name:
            continue
        try:
            func = ctypes.CDLL(name).OpenSSL_version_num
        except (OSError, AttributeError):
            continue
        return ctypes.cast(func, ctypes.c_void_p).value
    return None


def check(ok: bool, what: str) -> None:
    print(("ok    " if ok else "FAIL  ") + what, flush=True)
    if not ok:
        raise SystemExit(1)


async def echo_once(tls, client_options: dict) -> dict:
    from tls.events import once

    def on_secure_connection(socket):
        socket.pipe(socket)  # echo

    server = tls.createServer({"key": KEY, "cert": CERT}, on_secure_connection)
    server.listen(0, "127.0.0.1")
    await once(server, "listening")
    try:
        client = tls.connect(dict(client_options, port=server.address()["port"], host="127.0.0.1",
                                  servername="localhost"))
        await once(client, "secureConnect")
        result = {"authorized": client.authorized, "error": client.authorizationError,
                  "protocol": client.getProtocol(), "cipher": client.getCipher()["name"]}
        chunks = []

        def on_data(data):
            chunks.append(data)
            if sum(map(len, chunks)) >= len(PAYLOAD):
                client.end()

        client.on("data", on_data)
        client.write(PAYLOAD)
        await once(client, "close")
        result["echo"] = b"".join(chunks)
        return result
    finally:
        server.close()


def main() -> int:
    # the root store is read on first use: point it at the test certificate
    # before anything uses it (the second handshake relies on it)
    folder = tempfile.mkdtemp(prefix="tls-smoke-")
    bundle = os.path.join(folder, "bundle.pem")
    with open(bundle, "wb") as f:
        f.write(CERT)
    system_env = {k: v for k, v in os.environ.items() if k not in ("SSL_CERT_FILE", "SSL_CERT_DIR")}
    os.environ["SSL_CERT_FILE"] = bundle
    os.environ["SSL_CERT_DIR"] = os.path.join(folder, "no-such-dir")

    import tls
    from tls import _binding
    from tls._engine import ca_store as _ca_store

    where = os.path.dirname(os.path.abspath(tls.__file__))
    print("tls from", where)
    if os.environ.get("TLS_SMOKE_ALLOW_SOURCE") != "1":  # set only by tests/test_static_wheel.py
        check(not os.path.exists(os.path.join(where, "..", "_tls_build.py")),
              "tls is the installed one, not a source tree")
    print("python", sys.version.split()[0], "| ssl module:", ssl.OPENSSL_VERSION)
    print("tls OpenSSL:", _binding.OPENSSL_VERSION, "| static:", _binding.STATIC_OPENSSL,
          "| built against 0x%08x" % _binding.BUILT_OPENSSL_VERSION_NUMBER)
    if os.environ.get("TLS_EXPECT_STATIC") == "1":
        check(_binding.STATIC_OPENSSL, "OpenSSL is linked in statically")
        check(_binding.lib.OpenSSL_version_num() == _binding.BUILT_OPENSSL_VERSION_NUMBER,
              "the OpenSSL answering is the linked-in one")
        shared = _shared_libcrypto_function()
        if shared is not None:  # the system's libcrypto, loaded as the ssl module may have it
            ours = int(_binding.ffi.cast("uintptr_t", _binding.ffi.addressof(_binding.lib, "OpenSSL_version_num")))
            check(ours != shared, "tls calls its own OpenSSL_version_num, not the shared libcrypto's")
    import tls.openssl
    surface = sum(map(len, tls.openssl.SURFACE.values()))
    check(tls.openssl.missing() == [],
          "tls.openssl: the %d names of its declared surface are in the binding (%s)"
          % (surface, ", ".join(tls.openssl.missing()[:5]) or "none missing"))
    # and callable: a function only the public surface declares (the package never calls it)
    request = tls.openssl.check(tls.openssl.lib.OCSP_REQUEST_new(), "OCSP_REQUEST_new")
    tls.openssl.lib.OCSP_REQUEST_free(request)
    check(True, "tls.openssl.lib.OCSP_REQUEST_new / OCSP_REQUEST_free run in the linked-in OpenSSL")
    found = _ca_store.locations(system_env)
    print("default trust store without SSL_CERT_*: source=%s file=%s dirs=%s"
          % (found.source, found.cafile or "-", ",".join(found.capaths) or "-"))

    with_ca = asyncio.run(asyncio.wait_for(echo_once(tls, {"ca": [CERT]}), 30))
    print("handshake:", with_ca["protocol"], with_ca["cipher"])
    check(with_ca["authorized"] is True, "client with ca verified the server")
    check(with_ca["echo"] == PAYLOAD, "64 KiB echoed back unchanged")

    default = asyncio.run(asyncio.wait_for(echo_once(tls, {}), 30))
    check(default["authorized"] is True,
          "client without ca verified the server through SSL_CERT_FILE (%s)" % default["error"])
    check(default["echo"] == PAYLOAD, "echo through the default trust store")

    # the interpreter's ssl still works next to ours in one process
    ctx = ssl.create_default_context(cafile=bundle)
    check(ctx.cert_store_stats()["x509_ca"] == 1, "the interpreter's ssl module still works")
    print("wheel smoke test passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
