"""Port of test/parallel/test-tls-ocsp-callback.js.

A client with ``requestOCSP`` makes the server emit 'OCSPRequest'
(certificate DER, issuer DER, callback); the callback may answer later (here
100 ms, "to ensure that async really works"); ``callback(None, resp)``
staples ``resp`` and the client gets 'OCSPResponse' with those bytes before
'secureConnect' (it destroys the socket there, so there is no
'secureConnect' nor 'secureConnection'); ``callback(None, None)`` staples
nothing and the client gets 'OCSPResponse' None; without ``requestOCSP`` no
event fires on either side.  The same with a PFX server identity.

Beyond the port (each checked against Node 20): ``callback(err)`` -> the
server's 'tlsClientError' with ``err``; a second call -> ERR_MULTIPLE_CALLBACK;
a non-buffer response -> ERR_INVALID_ARG_TYPE thrown by the callback; a call
after the client went away does nothing; the listener is wired only when it
existed when the connection arrived; the issuer is None for a certificate
whose issuer is unknown; event order in TLS 1.2 and 1.3; Node as the client
and as the server.
"""
import json

import pytest

import tls
from tls._node import runtime as _runtime
from tls._binding import lib

from support.node_style import assert_equal, node
from support.openssl import openssl


@pytest.fixture(scope="module")
def pfx(agent1, tmp_path_factory):
    d = tmp_path_factory.mktemp("pfx")
    (d / "key.pem").write_bytes(agent1["key"])
    (d / "cert.pem").write_bytes(agent1["cert"])
    (d / "ca.pem").write_bytes(agent1["ca"])
    openssl("pkcs12", "-export", "-in", str(d / "cert.pem"), "-inkey", str(d / "key.pem"),
            "-certfile", str(d / "ca.pem"), "-passout", "pass:sample", "-out", str(d / "agent1.pfx"))
    return (d / "agent1.pfx").read_bytes()


def run_test(test_options, agent1, calls, node_run):
    def main():
        options = {"key": agent1["key"], "cert": agent1["cert"], "ca": [agent1["ca"]]}
        request_count = 0 if test_options.get("response") else 1
        if not test_options["ocsp"]:
            assert test_options.get("response") is None
        if test_options.get("pfx"):
            del options["key"], options["cert"]
            options["pfx"] = test_options["pfx"]
            options["passphrase"] = test_options["passphrase"]

        def on_secure_connection(cleartext):
            def on_error(er):
                # ECONNRESET is fine here (timing-dependent); anything else is a failure
                if er.code != "ECONNRESET":
                    raise er

            cleartext.on("error", on_error)
            cleartext.end()

        server = tls.createServer(options, calls.must_call(on_secure_connection, request_count))

        if not test_options["ocsp"]:
            server.on("OCSPRequest", calls.must_not_call("OCSPRequest"))
        else:
            def on_request(cert, issuer, callback):
                assert isinstance(cert, bytes)
                assert isinstance(issuer, bytes)
                # callback a little later to ensure that async really works
                response = test_options.get("response")
                return _runtime.setTimeout(callback, 100, None, response.encode() if response else None)

            server.on("OCSPRequest", calls.must_call(on_request))

        def listening():
            client = tls.connect({"port": server.address()["port"], "requestOCSP": test_options["ocsp"],
                                  "secureOptions": 0 if test_options["ocsp"] else lib.SSL_OP_NO_TICKET,
                                  "rejectUnauthorized": False}, calls.must_call(None, request_count))

            def on_response(resp):
                if test_options.get("response"):
                    assert resp.decode() == test_options["response"]
                    client.destroy()
                else:
                    assert resp is None

            client.on("OCSPResponse", calls.must_call(on_response, 0 if test_options["ocsp"] is False else 1))
            client.on("close", calls.must_call(lambda *a: server.close()))

        server.listen(0, listening)

    node_run(main)


def test_ocsp_without_response(agent1, calls, node_run):
    run_test({"ocsp": True, "response": False}, agent1, calls, node_run)


def test_ocsp_with_response(agent1, calls, node_run):
    run_test({"ocsp": True, "response": "hello world"}, agent1, calls, node_run)


def test_no_ocsp(agent1, calls, node_run):
    run_test({"ocsp": False}, agent1, calls, node_run)


def test_ocsp_with_pfx(agent1, pfx, calls, node_run):
    run_test({"ocsp": True, "response": "hello pfx", "pfx": pfx, "passphrase": "sample"}, agent1, calls, node_run)


# -- beyond the port ---------------------------------------------------------------

def ocsp_case(agent1, calls, node_run, on_request, expect_client_error=None, expect_tls_client_error=None,
              server_extra=None, expect_response=b"x"):
    """A server whose 'OCSPRequest' listener is on_request; a requestOCSP client."""
    def main():
        server = tls.createServer({"key": agent1["key"], "cert": agent1["cert"], **(server_extra or {})},
                                  lambda s: s.end("ok"))
        server.on("OCSPRequest", calls.must_call(lambda *args: on_request(server, *args)))
        if expect_tls_client_error:
            server.on("tlsClientError", calls.must_call(
                lambda err, sock: _check(err, expect_tls_client_error)))

        def listening():
            client = tls.connect({"port": server.address()["port"], "requestOCSP": True,
                                  "rejectUnauthorized": False})
            if expect_client_error:
                client.on("error", calls.must_call(lambda err: _check(err, expect_client_error)))
            else:
                client.on("OCSPResponse", calls.must_call(lambda resp: assert_equal(resp, expect_response)))
                client.resume()
            client.on("close", calls.must_call(lambda *a: server.close()))

        server.listen(0, listening)

    node_run(main)


def _check(err, expected):
    if isinstance(expected, str):
        assert err.code == expected, err
    else:
        assert err is expected


def test_callback_error_destroys(agent1, calls, node_run):
    boom = Exception("boom")
    ocsp_case(agent1, calls, node_run, lambda server, cert, issuer, cb: cb(boom),
              expect_client_error="ECONNRESET", expect_tls_client_error=boom)


def test_callback_twice(agent1, calls, node_run):
    def on_request(server, cert, issuer, cb):
        cb(None, None)
        cb(None, None)

    ocsp_case(agent1, calls, node_run, on_request, expect_client_error="ECONNRESET",
              expect_tls_client_error="ERR_MULTIPLE_CALLBACK")


def test_synchronous_callback(agent1, calls, node_run):
    ocsp_case(agent1, calls, node_run, lambda server, cert, issuer, cb: cb(None, b"sync"),
              expect_response=b"sync")


def test_empty_response_staples_nothing(agent1, calls, node_run):
    """An empty buffer is a response in JavaScript, but Node copies it into OPENSSL_malloc(0)
    (NULL): nothing is stapled and the client gets None (measured on Node 20)."""
    ocsp_case(agent1, calls, node_run, lambda server, cert, issuer, cb: cb(None, b""), expect_response=None)


def test_response_must_be_a_buffer(agent1, calls, node_run):
    def main():
        server = tls.createServer({"key": agent1["key"], "cert": agent1["cert"]}, calls.must_not_call("secure"))

        def on_request(cert, issuer, cb):
            with pytest.raises(TypeError) as info:
                cb(None, "a string")
            assert info.value.code == "ERR_INVALID_ARG_TYPE"
            assert info.value.message == "OCSP response must be a buffer"
            # Node leaves the handshake waiting (a later call is a second call)
            cb(None, b"late")
            server.close()

        server.on("OCSPRequest", calls.must_call(on_request))
        server.on("tlsClientError", calls.must_call(lambda err, sock: _check(err, "ERR_MULTIPLE_CALLBACK")))

        def listening():
            client = tls.connect({"port": server.address()["port"], "requestOCSP": True,
                                  "rejectUnauthorized": False})
            client.on("error", calls.must_call(lambda err: _check(err, "ECONNRESET")))

        server.listen(0, listening)

    node_run(main)


def test_callback_after_client_left(agent1, calls, node_run):
    """The client goes away while the server waits: a late callback is harmless (no crash, no event)."""
    def main():
        server = tls.createServer({"key": agent1["key"], "cert": agent1["cert"]}, calls.must_not_call("secure"))
        server.on("tlsClientError", calls.must_call(lambda err, sock: _check(err, "ECONNRESET")))

        def on_request(cert, issuer, cb):
            client.destroy()
            _runtime.setTimeout(lambda: (cb(None, b"too late"), server.close()), 50)

        server.on("OCSPRequest", calls.must_call(on_request))
        client = None

        def listening():
            nonlocal client
            client = tls.connect({"port": server.address()["port"], "requestOCSP": True,
                                  "rejectUnauthorized": False})
            client.on("OCSPResponse", calls.must_not_call("OCSPResponse"))

        server.listen(0, listening)

    node_run(main)


def test_listener_added_after_connection(agent1, calls, node_run):
    """Like Node: an 'OCSPRequest' listener added once the connection arrived is not used for it."""
    def main():
        server = tls.createServer({"key": agent1["key"], "cert": agent1["cert"]}, lambda s: s.end())
        server.on("connection", lambda raw: server.on("OCSPRequest", calls.must_not_call("OCSPRequest")))

        def listening():
            client = tls.connect({"port": server.address()["port"], "requestOCSP": True,
                                  "rejectUnauthorized": False}, calls.must_call())
            client.on("OCSPResponse", calls.must_call(lambda resp: assert_equal(resp, None)))
            client.on("close", calls.must_call(lambda *a: server.close()))
            client.resume()

        server.listen(0, listening)

    node_run(main)


def test_issuer_unknown_is_none(agent1, calls, node_run):
    """Without ``ca`` the issuer of agent1 is not known to the server context: None (Node 20)."""
    def on_request(server, cert, issuer, cb):
        assert isinstance(cert, bytes) and issuer is None
        cb(None, b"x")

    ocsp_case(agent1, calls, node_run, on_request)


def test_certificate_and_issuer_der(agent1, calls, node_run):
    from cryptography import x509
    from cryptography.hazmat.primitives.serialization import Encoding

    leaf = x509.load_pem_x509_certificate(agent1["cert"]).public_bytes(Encoding.DER)
    root = x509.load_pem_x509_certificate(agent1["ca"]).public_bytes(Encoding.DER)

    def on_request(server, cert, issuer, cb):
        assert cert == leaf and issuer == root
        cb(None, b"x")

    ocsp_case(agent1, calls, node_run, on_request, server_extra={"ca": [agent1["ca"]]})


@pytest.mark.parametrize("version,order", [
    ("TLSv1.3", ["OCSPRequest", "OCSPResponse", "secureConnect", "secureConnection"]),
    ("TLSv1.2", ["OCSPRequest", "OCSPResponse", "secureConnection", "secureConnect"]),
])
def test_event_order(version, order, agent1, calls, node_run):
    """The order Node 20 gives (measured with the same scenario in Node)."""
    seen = []

    def main():
        server = tls.createServer({"key": agent1["key"], "cert": agent1["cert"], "maxVersion": version},
                                  lambda s: (seen.append("secureConnection"), s.end("hi")))
        server.on("OCSPRequest", lambda c, i, cb: (seen.append("OCSPRequest"),
                                                   _runtime.setTimeout(cb, 20, None, b"hello world")))

        def listening():
            client = tls.connect({"port": server.address()["port"], "requestOCSP": True,
                                  "rejectUnauthorized": False}, lambda: seen.append("secureConnect"))
            client.on("OCSPResponse", lambda resp: seen.append("OCSPResponse"))
            client.on("data", calls.must_call(lambda d: None))
            client.on("close", calls.must_call(lambda *a: server.close()))

        server.listen(0, listening)

    node_run(main)
    assert seen == order


NODE_CLIENT = r"""
const tls = require('tls');
const c = tls.connect({port: +process.argv[1], requestOCSP: true, rejectUnauthorized: false,
                       maxVersion: process.argv[2]}, () => { c.end(); });
const out = {};
c.on('OCSPResponse', (resp) => { out.response = resp && resp.toString('hex'); out.before = !c.authorized; });
c.on('close', () => console.log(JSON.stringify(out)));
"""


@pytest.mark.parametrize("version", ["TLSv1.2", "TLSv1.3"])
def test_node_client_gets_our_staple(version, agent1, calls, node_run):
    def main():
        server = tls.createServer({"key": agent1["key"], "cert": agent1["cert"], "ca": [agent1["ca"]]},
                                  lambda s: s.resume())
        server.on("OCSPRequest", calls.must_call(
            lambda c, i, cb: _runtime.setTimeout(cb, 20, None, b"stapled by python")))

        def on_exit(code, out, err):
            assert code == 0, err
            assert json.loads(out.decode().strip()) == {"response": b"stapled by python".hex(), "before": True}
            server.close()

        server.listen(0, lambda: node(NODE_CLIENT, str(server.address()["port"]), version,
                                      on_exit=calls.must_call(on_exit)))

    node_run(main)


NODE_SERVER = r"""
const tls = require('tls');
const server = tls.createServer({key: process.env.KEY, cert: process.env.CERT}, (s) => s.end('hi'));
server.on('OCSPRequest', (cert, issuer, cb) => setTimeout(cb, 20, null, Buffer.from('stapled by node')));
server.listen(0, '127.0.0.1', () => console.log(server.address().port));
process.stdin.on('end', () => process.exit(0)); process.stdin.resume();
"""


@pytest.mark.parametrize("version", ["TLSv1.2", "TLSv1.3"])
def test_node_server_staples_for_us(version, agent1, calls, node_run, monkeypatch):
    monkeypatch.setenv("KEY", agent1["key"].decode())
    monkeypatch.setenv("CERT", agent1["cert"].decode())
    seen = []

    def main():
        def on_port(line):
            client = tls.connect({"port": int(line), "host": "127.0.0.1", "requestOCSP": True,
                                  "rejectUnauthorized": False, "maxVersion": version},
                                 lambda: seen.append("secureConnect"))
            client.on("OCSPResponse", calls.must_call(lambda resp: seen.append(resp)))
            client.resume()
            client.on("close", calls.must_call(lambda *a: proc.end()))

        proc = node(NODE_SERVER, on_stdout_line=calls.must_call(on_port))

    node_run(main)
    assert seen == [b"stapled by node", "secureConnect"]


@pytest.mark.parametrize("how", ["addContext", "SNICallback"])
def test_ocsp_after_sni(how, agent1, ec_agent, calls, node_run):
    """'OCSPRequest' runs after SNI and reports the certificate of the context SNI chose
    (both steps pause the handshake; the SNICallback answers asynchronously)."""
    from cryptography import x509
    from cryptography.hazmat.primitives.serialization import Encoding

    sni_der = x509.load_pem_x509_certificate(ec_agent["cert"]).public_bytes(Encoding.DER)
    seen = []

    def main():
        sni_context = tls.createSecureContext({"key": ec_agent["key"], "cert": ec_agent["cert"]})
        options = {"key": agent1["key"], "cert": agent1["cert"]}
        if how == "SNICallback":
            def sni_callback(servername, cb):
                seen.append(("SNICallback", servername))
                _runtime.setTimeout(cb, 20, None, sni_context)

            options["SNICallback"] = sni_callback
        server = tls.createServer(options, lambda s: s.end())
        if how == "addContext":
            server.addContext("sni.example", sni_context)

        def on_request(cert, issuer, cb):
            seen.append(("OCSPRequest", cert == sni_der))
            _runtime.setTimeout(cb, 20, None, b"for sni")

        server.on("OCSPRequest", calls.must_call(on_request))

        def listening():
            client = tls.connect({"port": server.address()["port"], "servername": "sni.example",
                                  "requestOCSP": True, "rejectUnauthorized": False},
                                 calls.must_call(lambda: seen.append(("secureConnect",
                                                                      client.getPeerCertificate()["raw"] == sni_der))))
            client.on("OCSPResponse", calls.must_call(lambda resp: seen.append(("OCSPResponse", resp))))
            client.on("close", calls.must_call(lambda *a: server.close()))
            client.resume()

        server.listen(0, listening)

    node_run(main)
    expected = [("OCSPRequest", True), ("OCSPResponse", b"for sni"), ("secureConnect", True)]
    if how == "SNICallback":
        expected.insert(0, ("SNICallback", "sni.example"))
    assert seen == expected
