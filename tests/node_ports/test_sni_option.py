"""Port of Node's test/parallel/test-tls-sni-option.js.

An asynchronous SNICallback (answering after 100 ms) picks the context by
server name: its certificate is served (the client sees the wrong host name
for it: ERR_TLS_CERT_ALTNAME_INVALID) and its CA store verifies the client
certificate (requestCert, rejectUnauthorized false).  ``cb(null, null)``
keeps the default context; a context that is no SecureContext (``{}``) fails
the handshake: 'tlsClientError' TypeError "Invalid SNI context", and the
client sees the connection close before secure.

Certificates are trustme stand-ins for Node's keys (support.certs.node_keys).
"""
import pytest

import tls
from tls._node import runtime as _runtime

from support.certs import node_keys

SNI_CONTEXTS = {
    "a.example.com": lambda k: {"key": k["agent1"]["key"], "cert": k["agent1"]["cert"], "ca": [k["ca2"]]},
    "b.example.com": lambda k: {"key": k["agent3"]["key"], "cert": k["agent3"]["cert"]},
    "c.another.com": lambda k: {"emptyRegression": True},
}

# (client identity, client ca, servername, clientResult, serverResult, clientError, serverError)
CASES = {
    "a-untrusted-client": ("agent1", "ca1", "a.example.com", True,
                           {"sni": "a.example.com", "authorized": False}, None, None),
    "a-trusted-client": ("agent4", "ca1", "a.example.com", True,
                         {"sni": "a.example.com", "authorized": True}, None, None),
    "b": ("agent2", "ca2", "b.example.com", True, {"sni": "b.example.com", "authorized": False}, None, None),
    "default-context": ("agent3", "ca1", "c.wrong.com", False,
                        {"sni": "c.wrong.com", "authorized": False}, None, None),
    "invalid-context": ("agent3", "ca1", "c.another.com", False, None,
                        "Client network socket disconnected before secure TLS connection was established",
                        "Invalid SNI context"),
}


def server_options(keys):
    def sni_callback(servername, callback):
        make = SNI_CONTEXTS.get(servername)
        context = make(keys) if make else None

        # Just to test asynchronous callback
        def later():
            if context:
                if context.get("emptyRegression"):
                    callback(None, {})
                else:
                    callback(None, tls.createSecureContext(context))
            else:
                callback(None, None)

        _runtime.setTimeout(later, 100)

    return {"key": keys["agent2"]["key"], "cert": keys["agent2"]["cert"], "requestCert": True,
            "rejectUnauthorized": False, "SNICallback": sni_callback}


@pytest.mark.parametrize("case", list(CASES))
def test_sni_option(calls, node_run, case):
    keys = node_keys()
    identity, ca, servername, client_result, server_result, client_error, server_error = CASES[case]

    def main():
        def on_secure(c):
            assert server_result == {"sni": c.servername, "authorized": c.authorized}

        server = tls.createServer(server_options(keys), calls.must_call(on_secure) if server_result
                                  else calls.must_not_call("secureConnection"))
        if server_result:
            assert not server_error
            server.on("tlsClientError", calls.must_not_call("tlsClientError"))
        else:
            assert server_error

            def on_tls_client_error(err, sock):
                assert err.message == server_error
                assert isinstance(err, TypeError)

            server.on("tlsClientError", calls.must_call(on_tls_client_error))

        def listening():
            client = None

            def on_secure_connect():
                result = bool(client.authorizationError) and \
                    client.authorizationError == "ERR_TLS_CERT_ALTNAME_INVALID"
                assert result == client_result
                client.end()

            client = tls.connect({"port": server.address()["port"], "key": keys[identity]["key"],
                                  "cert": keys[identity]["cert"], "ca": [keys[ca]], "servername": servername,
                                  "rejectUnauthorized": False}, on_secure_connect)
            client.on("close", calls.must_call(lambda *a: server.close()))
            if client_error:
                def on_error(err):
                    assert err.message == client_error
                    assert err.code == "ECONNRESET"

                client.on("error", calls.must_call(on_error))
            else:
                client.on("error", calls.must_not_call("client error"))

        server.listen(0, listening)

    node_run(main)
