"""A tls.Server whose only 'connection' listener is its own accepts straight into the TLSSocket
(issue 14): the raw net.Socket under it (Node's _parent) is made on first access, in the state
the eager one has -- same addresses, detached, destroyed with the TLSSocket, its 'close' right
before the TLSSocket's, also when first asked for after the destroy -- and a 'connection'
listener of the user's still gets the raw socket itself."""
import tls
from tls import net


def _serve_one(agent1, node_run, calls, on_secure, on_connection=None):
    log = []

    def main():
        server = tls.createServer({"key": agent1["key"], "cert": agent1["cert"]})
        if on_connection is not None:
            server.on("connection", calls.must_call(lambda raw: on_connection(raw, log)))

        def secure(sock):
            on_secure(sock, log, server)
            sock.on("close", lambda *a: (log.append("tls close"), server.close()))

        server.on("secureConnection", calls.must_call(secure))

        def listening():
            client = tls.connect({"port": server.address()["port"], "host": "127.0.0.1",
                                  "rejectUnauthorized": False}, lambda: client.end())
            client.on("error", lambda err: None)
            client.resume()

        server.listen(0, "127.0.0.1", calls.must_call(listening))

    node_run(main)
    return log


def test_parent_made_on_access_with_the_eager_state_and_close_order(agent1, node_run, calls):
    def on_secure(sock, log, server):
        assert sock._parent_socket is None   # nothing made yet
        raw = sock._parent
        assert type(raw) is net.Socket and sock._parent is raw
        assert (raw.remoteAddress, raw.remotePort, raw.localPort) == \
            (sock.remoteAddress, sock.remotePort, sock.localPort)
        assert raw.destroyed is False and raw.server is server
        server.getConnections(lambda err, n: log.append("connections %d" % n))
        raw.on("close", lambda *a: log.append("raw close %s" % raw.destroyed))
        sock.on("end", lambda: sock.end())

    log = _serve_one(agent1, node_run, calls, on_secure)
    assert log == ["connections 1", "raw close True", "tls close"], log


def test_parent_first_asked_for_after_the_destroy(agent1, node_run, calls):
    def on_secure(sock, log, server):
        def on_end():
            sock.destroy()
            raw = sock._parent
            assert raw.destroyed is True
            raw.on("close", lambda *a: log.append("raw close"))
        sock.on("end", on_end)

    log = _serve_one(agent1, node_run, calls, on_secure)
    assert log == ["raw close", "tls close"], log


def test_never_asked_for_never_made(agent1, node_run, calls):
    def on_secure(sock, log, server):
        sock.on("end", lambda: sock.end())
        sock.on("close", lambda *a: log.append(sock._parent_socket))

    log = _serve_one(agent1, node_run, calls, on_secure)
    assert log == [None, "tls close"], log


def test_a_connection_listener_gets_the_raw_socket_itself(agent1, node_run, calls):
    seen = {}

    def on_connection(raw, log):
        seen["raw"] = raw
        raw.on("close", lambda *a: log.append("raw close"))

    def on_secure(sock, log, server):
        assert sock._parent is seen["raw"]
        sock.on("end", lambda: sock.end())

    log = _serve_one(agent1, node_run, calls, on_secure, on_connection)
    assert log == ["raw close", "tls close"], log
