"""Port of test/parallel/test-tls-finished.js: getFinished() / getPeerFinished() are None
before the handshake, bytes after, and each side's equals the other's peer's."""
import tls


def test_finished_messages(agent1, calls, node_run):
    msg = {}

    def main():
        server = None

        def on_secure_connection(alice):
            msg["server"] = {"alice": alice.getFinished(), "bob": alice.getPeerFinished()}
            server.close()

        server = tls.createServer({"key": agent1["key"], "cert": agent1["cert"]},
                                  calls.must_call(on_secure_connection))

        def listening():
            bob = None

            def on_secure():
                msg["client"] = {"alice": bob.getPeerFinished(), "bob": bob.getFinished()}
                bob.end()

            bob = tls.connect({"port": server.address()["port"], "rejectUnauthorized": False},
                              calls.must_call(on_secure))
            msg["before"] = {"alice": bob.getPeerFinished(), "bob": bob.getFinished()}

        server.listen(0, calls.must_call(listening))

    node_run(main)
    # process.on('exit')
    assert msg["before"]["alice"] is None
    assert msg["before"]["bob"] is None
    for side in ("server", "client"):
        for who in ("alice", "bob"):
            assert isinstance(msg[side][who], bytes)
            assert len(msg[side][who]) > 0
    assert msg["server"]["alice"] == msg["client"]["alice"]
    assert msg["server"]["bob"] == msg["client"]["bob"]
