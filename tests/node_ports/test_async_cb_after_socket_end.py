"""Port of test/parallel/test-tls-async-cb-after-socket-end.js (Node 20).

TLS 1.2 session-id resumption (tickets off) through 'newSession' /
'resumeSession': the 'resumeSession' callback is called only after the
client went away and the server socket is closed.  Node answers such a late
callback with destroy(ERR_SOCKET_CLOSED) on the already destroyed socket,
i.e. nothing happens -- above all no crash.  The extra test checks that the
late call really goes that way (the socket sees destroy(ERR_SOCKET_CLOSED))
and that a second call is answered with ERR_MULTIPLE_CALLBACK.
"""
import tls
from tls._node import runtime as _runtime

SSL_OP_NO_TICKET = 0x00004000


def _options(self_signed):
    return {"maxVersion": "TLSv1.2", "secureOptions": SSL_OP_NO_TICKET,
            "key": self_signed["key"], "cert": self_signed["cert"]}


def test_resume_session_callback_after_socket_end(self_signed, calls, node_run):
    def main():
        server = tls.createServer(_options(self_signed), calls.must_call())
        state = {"session_cb": None, "client": None}

        server.on("newSession", calls.must_call(lambda key, session, done: done()))

        def on_resume_session(sid, cb):
            state["session_cb"] = cb
            next_step()

        server.on("resumeSession", calls.must_call(on_resume_session))

        def listening():
            client_opts = {"maxVersion": "TLSv1.2", "port": server.address()["port"],
                           "rejectUnauthorized": False, "session": False}
            s1 = None

            def on_secure1():
                client_opts["session"] = s1.getSession()
                s1.destroy()
                s2 = None

                def on_secure2(*_):
                    s2.destroy()

                def on_connect2(*_):
                    state["client"] = s2
                    next_step()

                s2 = tls.connect(client_opts, on_secure2)
                s2.on("connect", calls.must_call(on_connect2))

            s1 = tls.connect(client_opts, calls.must_call(on_secure1))

        def next_step():
            if state["client"] is None or state["session_cb"] is None:
                return
            state["client"].destroy()

            def late():
                state["session_cb"]()
                server.close()

            _runtime.setTimeout(calls.must_call(late), 100)

        server.listen(0, calls.must_call(listening))

    node_run(main)


def test_late_and_repeated_resume_session_callbacks(self_signed, calls, node_run):
    destroyed_with = []

    def main():
        server = tls.createServer(_options(self_signed), calls.must_not_call("secureConnection"))
        state = {"session_cb": None, "server_socket": None}

        def on_resume_session(sid, cb):
            state["session_cb"] = cb
            client.destroy()  # the client goes away while the lookup is pending

        server.on("resumeSession", calls.must_call(on_resume_session))

        def on_client_error(err, socket):
            assert err.code == "ECONNRESET"  # socket hang up, before the callback came
            original = socket.destroy

            def spy(error=None):
                destroyed_with.append(getattr(error, "code", error))
                return original(error)

            socket.destroy = spy
            cb = state["session_cb"]
            cb(None, None)   # after the socket closed
            cb(None, None)   # and a second time
            server.close()

        server.on("tlsClientError", calls.must_call(on_client_error))

        client = None

        def listening():
            nonlocal client
            # A TLS 1.3-capable client sends a (random) session id: 'resumeSession' runs.
            client = tls.connect({"port": server.address()["port"], "rejectUnauthorized": False})
            client.on("error", lambda err: None)

        server.listen(0, calls.must_call(listening))

    node_run(main)
    assert destroyed_with == ["ERR_SOCKET_CLOSED", "ERR_MULTIPLE_CALLBACK"]
