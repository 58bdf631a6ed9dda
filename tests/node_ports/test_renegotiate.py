"""``tlsSocket.renegotiate()`` beyond Node's own tests (each behaviour checked
against Node 20): TLS 1.3 refuses it, a destroyed socket returns None, a
server obtains a client certificate after the handshake, application data
written while a renegotiation is in progress waits for it (in order, with
``end()`` after it), and renegotiations with Node 20 as the peer in both
directions ('secure' again on both sides, 'secureConnect' again on a client).
"""
import json

import pytest

import tls
from tls._binding import lib

from support.node_style import assert_code, assert_equal, node


# Renegotiation as a protocol feature was dropped after TLS 1.2.
pytestmark = pytest.mark.usefixtures("tls12")


def test_renegotiate_in_tls13(agent1, calls, node_run, monkeypatch):
    """TLS 1.3 has no renegotiation: False, and the callback gets ERR_SSL_WRONG_SSL_VERSION next tick."""
    monkeypatch.setattr(tls, "DEFAULT_MAX_VERSION", "TLSv1.3")

    def main():
        def on_connection(socket):
            sync = [True]

            def on_result(err):
                assert not sync[0]
                assert err.code == "ERR_SSL_WRONG_SSL_VERSION"
                socket.end()

            assert socket.renegotiate({}, calls.must_call(on_result)) is False
            sync[0] = False

        server = tls.createServer({"key": agent1["key"], "cert": agent1["cert"]}, calls.must_call(on_connection))

        def listening():
            def on_secure():
                assert client.getProtocol() == "TLSv1.3"
                assert client.renegotiate({}, calls.must_call(
                    lambda err: assert_code(err, "ERR_SSL_WRONG_SSL_VERSION"))) is False

            client = tls.connect({"port": server.address()["port"], "rejectUnauthorized": False},
                                 calls.must_call(on_secure))
            client.resume()
            client.on("end", calls.must_call(lambda *a: server.close()))

        server.listen(0, listening)

    node_run(main)


def test_renegotiate_on_destroyed_socket(agent1, calls, node_run):
    def main():
        server = tls.createServer({"key": agent1["key"], "cert": agent1["cert"]}, lambda s: s.end())

        def listening():
            def on_secure():
                client.destroy()
                assert client.renegotiate({}, calls.must_not_call("callback")) is None
                server.close()

            client = tls.connect({"port": server.address()["port"], "rejectUnauthorized": False},
                                 calls.must_call(on_secure))

        server.listen(0, listening)

    node_run(main)


def test_server_requests_client_certificate(agent1, rsa_ca, calls, node_run):
    """renegotiate({requestCert: true}) after the handshake obtains the client's certificate
    (the server turns tickets off, or the renegotiation resumes and asks nothing: Node does the same)."""
    client_leaf = rsa_ca.issue_cert("client.example", common_name="client")

    def main():
        def on_connection(socket):
            assert socket.getPeerCertificate() == {}
            assert socket.authorized is False

            def renegotiated(err):
                assert err is None
                cert = socket.getPeerCertificate()
                assert cert["subject"]["CN"] == "client"
                assert socket.authorized is True
                assert socket.authorizationError is None
                socket.end("authorized")

            assert socket.renegotiate({"requestCert": True, "rejectUnauthorized": True},
                                      calls.must_call(renegotiated)) is True

        server = tls.createServer({"key": agent1["key"], "cert": agent1["cert"], "ca": [agent1["ca"]],
                                   "secureOptions": lib.SSL_OP_NO_TICKET}, calls.must_call(on_connection))

        def listening():
            client = tls.connect({"port": server.address()["port"], "rejectUnauthorized": False,
                                  "key": client_leaf.private_key_pem.bytes(),
                                  "cert": client_leaf.cert_chain_pems[0].bytes()})
            # the server's renegotiation: 'secure' and 'secureConnect' once more on the client
            client.on("secure", calls.must_call(None, 2))
            client.on("secureConnect", calls.must_call(None, 2))
            data = []
            client.on("data", data.append)
            client.on("end", calls.must_call(lambda *a: (server.close(), assert_equal(b"".join(data), b"authorized"))))

        server.listen(0, listening)

    node_run(main)


def test_writes_during_renegotiation_wait_for_it(agent1, calls, node_run):
    """Data written while the server's renegotiation runs reaches the client in order; end() after it."""
    chunks = [bytes([65 + i]) * 5000 for i in range(8)]

    def main():
        def on_connection(socket):
            def renegotiated(err):
                _none(err)
                socket.end(b"!")

            assert socket.renegotiate({}, calls.must_call(renegotiated)) is True
            for chunk in chunks:
                socket.write(chunk, calls.must_call())

        server = tls.createServer({"key": agent1["key"], "cert": agent1["cert"]}, on_connection)

        def listening():
            client = tls.connect({"port": server.address()["port"], "rejectUnauthorized": False})
            data = []
            client.on("data", data.append)
            client.on("secure", calls.must_call(None, 2))

            def on_end(*a):
                assert b"".join(data) == b"".join(chunks) + b"!"
                server.close()

            client.on("end", calls.must_call(on_end))

        server.listen(0, listening)

    node_run(main)


def _none(err):
    assert err is None, err


def test_client_writes_during_its_renegotiation(agent1, calls, node_run):
    def main():
        def on_connection(socket):
            data = []
            socket.on("data", data.append)
            socket.on("end", calls.must_call(lambda *a: (assert_equal(b"".join(data), b"before-during-after"),
                                                         socket.end())))

        server = tls.createServer({"key": agent1["key"], "cert": agent1["cert"]}, on_connection)

        def listening():
            def on_secure():
                client.write("before-")
                client.renegotiate({}, calls.must_call(lambda err: client.end("after")))
                client.write("during-")

            client = tls.connect({"port": server.address()["port"], "rejectUnauthorized": False},
                                 calls.must_call(on_secure))
            client.on("close", calls.must_call(lambda *a: server.close()))
            client.resume()

        server.listen(0, listening)

    node_run(main)


NODE_CLIENT = r"""
const tls = require('tls');
let secure = 0, secureConnect = 0, data = '';
const c = tls.connect({port: +process.argv[1], host: '127.0.0.1', rejectUnauthorized: false,
                       maxVersion: 'TLSv1.2'});
c.on('secure', () => secure++);
c.on('secureConnect', () => { secureConnect++; c.write('hello'); });
c.on('data', (d) => { data += d; });
c.on('end', () => { console.log(JSON.stringify({secure, secureConnect, data})); c.end(); });
"""


def test_our_server_renegotiates_with_node(agent1, calls, node_run):
    def main():
        def on_connection(socket):
            def on_data(d):
                socket.renegotiate({}, calls.must_call(lambda err: socket.end("renegotiated")))

            socket.once("data", on_data)
            socket.on("secure", calls.must_call())  # the renegotiation

        server = tls.createServer({"key": agent1["key"], "cert": agent1["cert"]}, on_connection)

        def on_exit(code, out, err):
            assert code == 0, err
            assert json.loads(out.decode()) == {"secure": 2, "secureConnect": 2, "data": "renegotiated"}
            server.close()

        server.listen(0, "127.0.0.1", lambda: node(NODE_CLIENT, str(server.address()["port"]),
                                                   on_exit=calls.must_call(on_exit)))

    node_run(main)


NODE_SERVER = r"""
const tls = require('tls');
let secure = 0;
const server = tls.createServer({key: process.env.KEY, cert: process.env.CERT, maxVersion: 'TLSv1.2'}, (s) => {
  s.on('secure', () => secure++);
  s.on('data', (d) => s.write(d));
  s.on('end', () => { console.log(JSON.stringify({secure})); s.end(); server.close(); });
});
server.listen(0, '127.0.0.1', () => console.log(server.address().port));
"""


def test_our_client_renegotiates_with_node(agent1, calls, node_run, monkeypatch):
    monkeypatch.setenv("KEY", agent1["key"].decode())
    monkeypatch.setenv("CERT", agent1["cert"].decode())
    results = []

    def main():
        def on_line(line):
            if not results:
                results.append(int(line))
                start(int(line))
            else:
                results.append(json.loads(line))

        def start(port):
            secure_connects = []

            def on_secure():
                secure_connects.append(1)
                if len(secure_connects) == 1:
                    assert client.renegotiate({}, calls.must_call(lambda err: client.write("x"))) is True

            client = tls.connect({"port": port, "host": "127.0.0.1", "rejectUnauthorized": False})
            client.on("secureConnect", on_secure)
            client.on("data", calls.must_call(lambda d: client.end()))
            client.on("close", calls.must_call(lambda *a: assert_equal(len(secure_connects), 2)))

        node(NODE_SERVER, on_stdout_line=on_line, on_exit=calls.must_call(lambda code, out, err: assert_equal(code, 0)))

    node_run(main)
    assert results[1] == {"secure": 1}  # the Node server's 'secure' listener only sees the renegotiation
