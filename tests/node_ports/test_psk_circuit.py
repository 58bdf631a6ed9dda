"""Port of test/parallel/test-tls-psk-circuit.js: PSK identities chosen by the client's
pskCallback, looked up by the server's; TLS 1.2 and 1.3; an unknown identity and a wrong
key fail with the alerts Node reports."""
import os

import pytest

import tls

CIPHERS = "PSK+HIGH:TLS_AES_128_GCM_SHA256"
USERS = {"UserA": os.urandom(128), "UserB": bytes.fromhex("82072606b502b0f4025e90eb75fe137d")}
TEST_DATA = "x"


def _server_psk(socket, identity):
    assert isinstance(socket, tls.TLSSocket)
    assert isinstance(identity, str)
    return USERS.get(identity)


@pytest.mark.parametrize("secret,opts,error", [
    ({"psk": USERS["UserA"], "identity": "UserA"}, {}, None),
    ({"psk": USERS["UserA"], "identity": "UserA"}, {"maxVersion": "TLSv1.2"}, None),
    ({"psk": USERS["UserA"], "identity": "UserA"}, {"minVersion": "TLSv1.3"}, None),
    ({"psk": USERS["UserB"], "identity": "UserB"}, {}, None),
    ({"psk": USERS["UserB"], "identity": "UserB"}, {"minVersion": "TLSv1.3"}, None),
    ({"psk": USERS["UserB"], "identity": "UserC"}, {}, "ERR_SSL_SSLV3_ALERT_HANDSHAKE_FAILURE"),
    ({"psk": USERS["UserA"], "identity": "UserB"}, {}, "ERR_SSL_SSLV3_ALERT_ILLEGAL_PARAMETER"),
])
def test_psk(secret, opts, error, calls, node_run):
    def main():
        cb = calls.must_call(lambda c: c.pipe(c)) if not error else calls.must_not_call()
        server = tls.createServer({"ciphers": CIPHERS, "pskCallback": _server_psk}, cb)

        def listening():
            options = {"port": server.address()["port"], "ciphers": CIPHERS, "checkServerIdentity": lambda *a: None,
                       "pskCallback": calls.must_call(lambda *a: secret), **opts}
            if not error:
                client = None

                def on_secure():
                    client.end(TEST_DATA)
                    client.on("data", calls.must_call(lambda data: _eq(data.decode(), TEST_DATA)))
                    client.on("close", calls.must_call(lambda *a: server.close()))

                client = tls.connect(options, calls.must_call(on_secure))
            else:
                client = tls.connect(options, calls.must_not_call())

                def on_error(err):
                    assert err.code == error
                    server.close()

                client.on("error", calls.must_call(on_error))

        server.listen(0, calls.must_call(listening))

    node_run(main)


def _eq(a, b):
    assert a == b, (a, b)
