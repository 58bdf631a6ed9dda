"""Port of test/parallel/test-tls-client-renegotiation-limit.js.

For each ``tls.CLIENT_RENEG_LIMIT`` in [0, 1, 2, 3, 5, 10, 16] a client
renegotiates in a loop; the server lets LIMIT renegotiations through, the
next one makes the server socket emit 'error' ERR_TLS_SESSION_ATTACK ("TLS
session renegotiation attack detected"), its listener destroys the socket
and the client closes without an error after LIMIT + 1 attempts.

Beyond the port, the ways the spec and the issue name: ``openssl s_client``
sending ``R`` lines, a Node 20 client renegotiating in a loop against our
server, ``tls.CLIENT_RENEG_WINDOW`` resetting the count, both limits read
live from the ``tls`` module, and the error emitted outside OpenSSL's stack.
"""
import inspect
import json

import pytest

import tls
from tls._engine.engine import TLSEngine

from support.node_style import node, s_client

LIMITS = [0, 1, 2, 3, 5, 10, 16]


# Renegotiation as a protocol feature was dropped after TLS 1.2.
pytestmark = pytest.mark.usefixtures("tls12")


def attack_server(agent1, calls, on_attack=None):
    def on_connection(conn):
        def on_error(err):
            assert err.code == "ERR_TLS_SESSION_ATTACK"
            assert "TLS session renegotiation attack" in err.message
            if on_attack is not None:
                on_attack(conn)
            conn.destroy()

        conn.on("error", calls.must_call(on_error))
        conn.pipe(conn)

    return tls.createServer({"key": agent1["key"], "cert": agent1["cert"]}, on_connection)


@pytest.mark.parametrize("limit", LIMITS)
def test_client_renegotiation_limit(limit, agent1, calls, node_run, monkeypatch):
    monkeypatch.setattr(tls, "CLIENT_RENEG_LIMIT", limit)

    def main():
        server = attack_server(agent1, calls)

        def listening():
            renegs = [0]

            def spam():
                client.write("")

                def done(err):
                    assert err is None
                    assert renegs[0] <= tls.CLIENT_RENEG_LIMIT
                    spam()

                client.renegotiate({}, done)
                renegs[0] += 1

            client = tls.connect({"host": "127.0.0.1", "port": server.address()["port"],
                                  "rejectUnauthorized": False}, spam)

            def on_close(had_error=False):
                assert had_error is False
                assert renegs[0] == tls.CLIENT_RENEG_LIMIT + 1
                server.close()

            client.on("close", calls.must_call(on_close))
            client.on("error", calls.must_not_call("client 'error'"))

        server.listen(0, "127.0.0.1", listening)

    node_run(main)


@pytest.mark.parametrize("limit", [0, 2, 3])
def test_s_client_r_lines(limit, agent1, calls, node_run, monkeypatch):
    """The spec's recipe: ``openssl s_client`` and one ``R`` line per renegotiation."""
    monkeypatch.setattr(tls, "CLIENT_RENEG_LIMIT", limit)
    done_renegotiations = [0]

    def main():
        procs = []

        def on_connection(conn):
            proc = procs[0]

            def on_secure():
                # one renegotiation finished: ask for the next
                done_renegotiations[0] += 1
                proc.write(b"R\n")

            def on_error(err):
                assert err.code == "ERR_TLS_SESSION_ATTACK"
                conn.destroy()

            conn.on("secure", on_secure)
            conn.on("error", calls.must_call(on_error))
            conn.resume()
            proc.write(b"R\n")

        server = tls.createServer({"key": agent1["key"], "cert": agent1["cert"]}, calls.must_call(on_connection))

        def on_exit(code, out, err):
            assert b"RENEGOTIATING" in err
            server.close()

        server.listen(0, "127.0.0.1",
                      lambda: procs.append(s_client(server.address()["port"], "-tls1_2",
                                                    on_exit=calls.must_call(on_exit))))

    node_run(main)
    assert done_renegotiations[0] == limit


NODE_SPAMMER = r"""
const tls = require('tls');
let renegs = 0;
const client = tls.connect({port: +process.argv[1], host: '127.0.0.1', rejectUnauthorized: false,
                            maxVersion: 'TLSv1.2'}, spam);
function spam() {
  client.write('');
  client.renegotiate({}, (err) => { if (err) throw err; spam(); });
  renegs++;
}
client.on('error', (err) => { console.log(JSON.stringify({error: err.code})); });
client.on('close', (hadErr) => { console.log(JSON.stringify({renegs, hadErr})); });
"""


@pytest.mark.parametrize("limit", [0, 3])
def test_node_client_renegotiating_in_a_loop(limit, agent1, calls, node_run, monkeypatch):
    monkeypatch.setattr(tls, "CLIENT_RENEG_LIMIT", limit)

    def main():
        server = attack_server(agent1, calls)

        def on_exit(code, out, err):
            assert code == 0, err
            lines = [json.loads(line) for line in out.decode().splitlines()]
            assert lines == [{"renegs": limit + 1, "hadErr": False}]
            server.close()

        server.listen(0, "127.0.0.1", lambda: node(NODE_SPAMMER, str(server.address()["port"]),
                                                   on_exit=calls.must_call(on_exit)))

    node_run(main)


def renegotiate_attempts(agent1, calls, node_run, n, on_each=None):
    """A client renegotiates up to n times, then ends (the server may drop it
    first); returns the codes of the server socket's errors."""
    errors = []

    def main():
        def on_connection(conn):
            conn.on("error", lambda err: (errors.append(err.code), conn.destroy()))
            conn.pipe(conn)

        server = tls.createServer({"key": agent1["key"], "cert": agent1["cert"]}, on_connection)

        def listening():
            count = [0]

            def again(err=None):
                assert err is None
                if on_each is not None:
                    on_each(count[0])
                if count[0] == n:
                    client.end()
                    return
                count[0] += 1
                assert client.renegotiate({}, again) is True

            client = tls.connect({"host": "127.0.0.1", "port": server.address()["port"],
                                  "rejectUnauthorized": False}, again)
            client.on("close", calls.must_call(lambda *a: server.close()))
            client.on("error", calls.must_not_call("client 'error'"))
            client.resume()

        server.listen(0, "127.0.0.1", listening)

    node_run(main)
    return errors


def test_window_resets_the_count(agent1, calls, node_run, monkeypatch):
    """CLIENT_RENEG_WINDOW 0: every renegotiation starts a new window (count 1 <= LIMIT 1)."""
    monkeypatch.setattr(tls, "CLIENT_RENEG_LIMIT", 1)
    monkeypatch.setattr(tls, "CLIENT_RENEG_WINDOW", 0)
    assert renegotiate_attempts(agent1, calls, node_run, 5) == []


def test_limit_is_read_live(agent1, calls, node_run, monkeypatch):
    """Lowering tls.CLIENT_RENEG_LIMIT during a connection applies to its next renegotiation."""
    monkeypatch.setattr(tls, "CLIENT_RENEG_LIMIT", 10)

    def on_each(done):
        if done == 2:
            tls.CLIENT_RENEG_LIMIT = 2

    assert renegotiate_attempts(agent1, calls, node_run, 5, on_each) == ["ERR_TLS_SESSION_ATTACK"]


def test_error_is_emitted_outside_openssl(agent1, calls, node_run, monkeypatch):
    monkeypatch.setattr(tls, "CLIENT_RENEG_LIMIT", 0)

    # Not from the info callback (Python on OpenSSL's stack), and not while
    # the engine is inside SSL_read / SSL_do_handshake.
    engine_calls = {TLSEngine.read.__code__, TLSEngine.handshake.__code__, TLSEngine.renegotiate.__code__}

    def check(conn):
        frames = inspect.stack()
        assert not any(f.function == "_on_reneg_event" for f in frames)
        assert not any(f.frame.f_code in engine_calls for f in frames)

    def main():
        server = attack_server(agent1, calls, on_attack=check)

        def listening():
            client = tls.connect({"host": "127.0.0.1", "port": server.address()["port"],
                                  "rejectUnauthorized": False}, lambda: client.renegotiate({}))
            client.on("close", calls.must_call(lambda *a: server.close()))

        server.listen(0, "127.0.0.1", listening)

    node_run(main)
