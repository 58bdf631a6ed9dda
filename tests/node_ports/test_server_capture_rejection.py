"""Port of test/parallel/test-tls-server-capture-rejection.js: with captureRejections, an
async 'secureConnection' listener that raises has its error emitted as the socket's 'error'.

Node sets ``events.captureRejections = true`` for the process; the port sets the class
default for the test only (monkeypatch)."""
import tls
from tls import events


def test_async_listener_rejection_goes_to_socket_error(self_signed, calls, node_run, monkeypatch):
    monkeypatch.setattr(events.EventEmitter, "captureRejections", True)

    def main():
        server = None
        boom = Exception("kaboom")

        async def on_secure_connection(sock):
            server.close()
            sock.on("error", calls.must_call(lambda err: _same(err, boom)))
            raise boom

        server = tls.createServer({"cert": self_signed["cert"], "key": self_signed["key"]},
                                  calls.must_call(on_secure_connection))

        def listening():
            sock = tls.connect({"port": server.address()["port"], "host": server.address().get("host"),
                                "rejectUnauthorized": False})
            sock.on("close", calls.must_call())
            sock.on("error", lambda *a: None)  # Node's client dies on ECONNRESET too; not what is tested

        server.listen(0, calls.must_call(listening))

    node_run(main)


def _same(err, expected):
    assert err is expected
