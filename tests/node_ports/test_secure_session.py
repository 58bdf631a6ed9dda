"""Port of test/parallel/test-tls-secure-session.js: in TLS 1.2 (secureProtocol
TLSv1_2_method) the client's 'session' comes after 'secureConnect', once."""
import tls


def test_session_after_secure_connect(agent1, calls, node_run):
    def main():
        server = tls.createServer({"key": agent1["key"], "cert": agent1["cert"],
                                   "secureProtocol": "TLSv1_2_method"},
                                  calls.must_call(lambda socket: socket.end()))
        state = {"connected": False, "session": None}

        def listening():
            client = None

            def on_secure():
                assert not state["connected"]
                assert not state["session"]
                state["connected"] = True

            def on_session(new_session):
                assert state["connected"]
                assert not state["session"]
                state["session"] = new_session
                client.end()
                server.close()

            client = tls.connect({"rejectUnauthorized": False, "port": server.address()["port"]},
                                 calls.must_call(on_secure))
            client.on("session", calls.must_call(on_session))

        server.listen(0, calls.must_call(listening))

    node_run(main)
