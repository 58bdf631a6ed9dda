"""Port of test/parallel/test-tls-client-resume.js (Node 20).

The session delivered by the first connection's 'session' event resumes the
second connection.  The session read right after 'secureConnect' is the same
bytes in TLS 1.2; in TLS 1.3 it is a session without a ticket (the tickets
come after the handshake, one 'session' each, two from OpenSSL's server), so
it differs.  Node's test runs with the default (TLS 1.3); the TLS 1.2 run
pins the server's maxVersion.
"""
import pytest

import tls


@pytest.mark.parametrize("max_version", ["TLSv1.3", "TLSv1.2"])
def test_session_from_session_event_resumes(max_version, self_signed, calls, node_run):
    tls13 = max_version == "TLSv1.3"

    def main():
        options = {"key": self_signed["key"], "cert": self_signed["cert"], "maxVersion": max_version}
        server = tls.Server(options, calls.must_call(lambda socket: socket.end("Goodbye"), 2))

        def listening():
            state = {"sessionx": None, "session1": None, "sessions": 0}
            client1 = None

            def on_secure1():
                assert client1.getProtocol() == max_version
                assert client1.isSessionReused() is False
                state["sessionx"] = client1.getSession()
                assert state["sessionx"]
                if state["session1"]:
                    reconnect()

            client1 = tls.connect({"port": server.address()["port"], "rejectUnauthorized": False},
                                  calls.must_call(on_secure1))
            client1.on("data", calls.must_call())

            def on_first_session(session):
                state["session1"] = session
                assert session
                if state["sessionx"]:
                    reconnect()

            client1.once("session", calls.must_call(on_first_session))

            def count_session(session):
                state["sessions"] += 1

            client1.on("session", count_session)

            def on_close1(*_):
                assert state["sessions"] == (2 if tls13 else 1)

            client1.on("close", calls.must_call(on_close1))

            def reconnect():
                sessionx, session1 = state["sessionx"], state["session1"]
                if tls13:
                    # Right after the handshake a TLS 1.3 session is a dummy
                    # that cannot be resumed; the 'session' one can.
                    assert sessionx != session1
                else:
                    assert sessionx == session1
                client2 = None

                def on_secure2():
                    assert client2.isSessionReused() is True

                client2 = tls.connect({"port": server.address()["port"], "rejectUnauthorized": False,
                                       "session": session1}, calls.must_call(on_secure2))
                client2.on("close", calls.must_call(lambda *a: server.close()))
                client2.resume()

            client1.resume()

        server.listen(0, calls.must_call(listening))

    node_run(main)
