"""Sessions, tickets and the session events of tls (our client against our server).

What Node 20 does, measured with the same scenarios (see also the ports in
tests/node_ports/test_{client_resume,session_cache,ticket,...}.py and the
interop tests in tests/test_sessions_interop.py):

* event order, TLS 1.3: client 'secureConnect' -> server 'secureConnection'
  -> 'newSession' x2 -> client 'data' -> 'session' x2; TLS 1.2 (tickets
  off): 'newSession' -> 'secureConnection' -> 'secureConnect' -> 'session'
  -> 'data';
* 'newSession' holds the server's output (and in TLS 1.2 'secureConnection')
  until done();
* 'resumeSession' pauses the handshake until its callback; the guards answer
  a second call with ERR_MULTIPLE_CALLBACK, an error with tlsClientError;
* the wiring happens only for connections that arrive while a listener
  exists; a server without listeners never calls Python for sessions.
"""
from __future__ import annotations

import os
from typing import Any, Callable, List

import pytest

import tls
from tls._node import runtime as _runtime

from support.node_style import run_program

SSL_OP_NO_TICKET = 0x00004000


@pytest.fixture
def opts(server_options: dict) -> dict:
    return dict(server_options)


@pytest.fixture
def client_opts(ca_pem: bytes) -> dict:
    return {"ca": ca_pem, "servername": "localhost"}


def _order_program(opts: dict, client_opts: dict, log: List[str]) -> Callable[[], None]:
    """Two connections; the second resumes with the last 'session'."""
    def main() -> None:
        store: dict = {}

        def on_secure(s: Any) -> None:
            log.append("server secureConnection")
            s.end("hello")

        server = tls.createServer(opts, on_secure)

        def on_new_session(sid: bytes, data: bytes, done: Callable[[], None]) -> None:
            log.append("server newSession")
            store[sid.hex()] = data
            done()

        def on_resume_session(sid: bytes, cb: Callable[..., None]) -> None:
            log.append("server resumeSession %s" % ("hit" if sid.hex() in store else "miss"))
            cb(None, store.get(sid.hex()))

        server.on("newSession", on_new_session)
        server.on("resumeSession", on_resume_session)
        state = {"session": None, "n": 0}

        def connect() -> None:
            c = None

            def on_secure_connect() -> None:
                log.append("client secureConnect reused=%s" % c.isSessionReused())

            c = tls.connect({**client_opts, "port": server.address()["port"], "session": state["session"]},
                            on_secure_connect)

            def on_session(session: bytes) -> None:
                log.append("client session")
                state["session"] = session

            c.on("session", on_session)
            c.on("data", lambda d: log.append("client data %s" % bytes(d).decode()))

            def on_close(*_: Any) -> None:
                state["n"] += 1
                if state["n"] < 2:
                    log.append("--")
                    connect()
                else:
                    server.close()

            c.on("close", on_close)

        server.listen(0, connect)

    return main


def test_event_order_tls13(opts, client_opts):
    log: List[str] = []
    run_program(_order_program(opts, client_opts, log))
    assert log == [
        # A TLS 1.3 client sends a random legacy session id: one miss.
        "server resumeSession miss",
        "client secureConnect reused=False",
        "server secureConnection",
        "server newSession", "server newSession",
        "client data hello",
        "client session", "client session",
        "--",
        "server resumeSession miss",
        "client secureConnect reused=True",
        "server secureConnection",
        "client data hello",
    ]


def test_event_order_tls12_session_id(opts, client_opts):
    log: List[str] = []
    opts.update(maxVersion="TLSv1.2", secureOptions=SSL_OP_NO_TICKET)
    run_program(_order_program(opts, client_opts, log))
    assert log == [
        "server resumeSession miss",
        "server newSession",
        "server secureConnection",
        "client secureConnect reused=False",
        "client session",
        "client data hello",
        "--",
        "server resumeSession hit",
        "client secureConnect reused=True",
        "server secureConnection",
        "client data hello",
    ]


def test_event_order_tls12_tickets(opts, client_opts):
    """With tickets OpenSSL resumes by ticket without asking the store."""
    log: List[str] = []
    opts.update(maxVersion="TLSv1.2")
    run_program(_order_program(opts, client_opts, log))
    assert log == [
        "server resumeSession miss",
        "server secureConnection",
        "client secureConnect reused=False",
        "client session",
        "client data hello",
        "--",
        "client secureConnect reused=True",
        "server secureConnection",
        "client data hello",
    ]


@pytest.mark.parametrize("max_version", ["TLSv1.2", "TLSv1.3"])
def test_new_session_holds_output_until_done(max_version, opts, client_opts):
    """Output (and in TLS 1.2 'secureConnection') waits for done(); end() too."""
    log: List[str] = []
    opts.update(maxVersion=max_version, secureOptions=SSL_OP_NO_TICKET)

    def main() -> None:
        def on_secure(s: Any) -> None:
            log.append("secureConnection")
            s.end("after done")

        server = tls.createServer(opts, on_secure)

        def on_new_session(sid: bytes, data: bytes, done: Callable[[], None]) -> None:
            log.append("newSession")

            def later() -> None:
                log.append("done")
                done()
                done()  # a second call is ignored

            # (Like Node, any done() releases the output: TLS 1.3 has two tickets.)
            _runtime.setTimeout(later, 50)

        server.on("newSession", on_new_session)

        def listening() -> None:
            c = tls.connect({**client_opts, "port": server.address()["port"]},
                            lambda: log.append("secureConnect"))
            c.on("data", lambda d: log.append("data %s" % bytes(d).decode()))
            c.on("end", lambda *a: log.append("end"))
            c.on("close", lambda *a: server.close())

        server.listen(0, listening)

    run_program(main)
    if max_version == "TLSv1.2":
        assert log == ["newSession", "done", "secureConnection", "secureConnect", "data after done", "end"]
    else:
        assert log[:4] == ["secureConnect", "secureConnection", "newSession", "newSession"]
        assert log[4] == "done"     # nothing reached the client before
        assert sorted(log[5:]) == ["data after done", "done", "end"]
        assert log.index("data after done") < log.index("end")


@pytest.mark.parametrize("sync_done", [True, False])
def test_end_while_output_is_held_sends_fin_after_it(sync_done, opts, client_opts, monkeypatch):
    """TLS 1.3: end() in 'secureConnection' comes before the tickets' done();
    the close_notify and the FIN go out after the held output (Node sends the
    FIN first and loses that output)."""
    log: List[str] = []
    server_sockets: List[Any] = []
    original = tls.net.Socket._shutdown_write

    def spy(self: Any) -> None:
        if self in server_sockets:
            log.append("server FIN")
        original(self)

    monkeypatch.setattr(tls.net.Socket, "_shutdown_write", spy)

    def main() -> None:
        def on_secure(s: Any) -> None:
            server_sockets.append(s)
            s.end("bye")

        server = tls.createServer(opts, on_secure)

        def on_new_session(sid: bytes, data: bytes, done: Callable[[], None]) -> None:
            log.append("newSession")
            if sync_done:
                done()
            else:
                _runtime.setImmediate(lambda: (log.append("done"), done()))

        server.on("newSession", on_new_session)

        def listening() -> None:
            c = tls.connect({**client_opts, "port": server.address()["port"], "allowHalfOpen": True})
            c.on("data", lambda d: log.append("data %s" % bytes(d).decode()))
            c.on("end", lambda *a: (log.append("end"), c.end()))
            c.on("close", lambda *a: server.close())

        server.listen(0, listening)

    run_program(main)
    assert log.count("server FIN") == 1
    assert log.index("server FIN") > log.index("newSession") + 1
    if not sync_done:
        assert log.index("server FIN") > log.index("done")
    assert log.index("data bye") < log.index("end")


def test_listeners_wired_only_for_later_connections(opts, client_opts):
    opts.update(maxVersion="TLSv1.2", secureOptions=SSL_OP_NO_TICKET)
    seen: List[Any] = []

    def main() -> None:
        server = tls.createServer(opts, lambda s: (seen.append((s._conn.sessions, s._conn.hello_parser)), s.end()))

        def on_connection(raw: Any) -> None:
            # The TLS socket for this connection already exists: too late for it.
            if not server.listenerCount("newSession"):
                server.on("newSession", lambda sid, data, done: (seen.append("newSession"), done()))

        server.on("connection", on_connection)
        state = {"n": 0}

        def connect() -> None:
            c = tls.connect({**client_opts, "port": server.address()["port"]})
            c.resume()

            def on_close(*_: Any) -> None:
                state["n"] += 1
                if state["n"] < 2:
                    connect()
                else:
                    server.close()

            c.on("close", on_close)

        server.listen(0, connect)

    run_program(main)
    # first connection: nothing wired (no Python per handshake); second: wired
    assert seen[0] == (None, None)
    assert seen[1] == "newSession"
    assert seen[2][0] is not None


def test_client_without_session_listener_is_not_wired(opts, client_opts):
    sockets: List[Any] = []

    def main() -> None:
        server = tls.createServer(opts, lambda s: (sockets.append(s), s.end("x")))

        def listening() -> None:
            c = tls.connect({**client_opts, "port": server.address()["port"]})
            sockets.append(c)
            c.on("data", lambda d: None)
            c.on("close", lambda *a: server.close())
            assert c._conn.sessions is None
            c.on("session", lambda s: None)
            assert c._conn.sessions is not None  # wired by the 'session' listener

        server.listen(0, listening)

    run_program(main)
    assert sockets[1]._conn.sessions is None and sockets[1]._conn.hello_parser is None


def test_garbage_session_option_means_full_handshake(opts, client_opts):
    result: List[Any] = []

    def main() -> None:
        server = tls.createServer(opts, lambda s: s.end())

        def listening() -> None:
            c = None
            c = tls.connect({**client_opts, "port": server.address()["port"], "session": b"garbage" * 20},
                            lambda: result.append(c.isSessionReused()))
            c.resume()
            c.on("close", lambda *a: server.close())

        server.listen(0, listening)

    run_program(main)
    assert result == [False]


@pytest.mark.parametrize("session", [True, 5, "a string", {"x": 1}])
def test_session_option_must_be_a_buffer(session, client_opts):
    def main() -> None:
        with pytest.raises(tls.NodeError) as info:
            tls.connect({**client_opts, "port": 1, "session": session})
        assert info.value.code == "ERR_INVALID_ARG_TYPE"
        assert info.value.message == "Session must be a buffer"

    run_program(main)


def test_set_session_takes_latin1_strings_and_getters_after_destroy(client_opts):
    def main() -> None:
        sock = tls.TLSSocket(None, {})
        sock.setSession("garbage, ignored")     # a str is latin-1 bytes; not a session: ignored
        assert sock.getSession() is None and sock.getTLSTicket() is None
        assert sock.isSessionReused() is False
        with pytest.raises(tls.NodeError) as info:
            sock.setSession(42)
        assert info.value.code == "ERR_INVALID_ARG_TYPE"
        sock.destroy()
        assert sock.getSession() is None and sock.getTLSTicket() is None and sock.isSessionReused() is None

    run_program(main)


def test_ticket_keys_option_and_accessors(opts):
    keys = os.urandom(48)

    def main() -> None:
        server = tls.createServer({**opts, "ticketKeys": keys})
        assert server.getTicketKeys() == keys
        new = os.urandom(48)
        server.setTicketKeys(bytearray(new))
        assert server.getTicketKeys() == new
        with pytest.raises(tls.NodeError) as info:
            server.setTicketKeys(b"x" * 47)
        assert info.value.code == "ERR_INTERNAL_ASSERTION"
        with pytest.raises(tls.NodeError) as info:
            server.setTicketKeys("x" * 48)
        assert info.value.code == "ERR_INVALID_ARG_TYPE"
        for bad in (b"", b"x" * 47, b"x" * 49):
            with pytest.raises(tls.NodeError) as info:
                tls.createServer({**opts, "ticketKeys": bad})
            assert info.value.code == "ERR_INVALID_ARG_VALUE"
        assert len(tls.createServer(opts).getTicketKeys()) == 48  # random per context

    run_program(main)


@pytest.mark.parametrize("max_version", ["TLSv1.2", "TLSv1.3"])
def test_rotating_ticket_keys_forces_full_handshake_and_new_ticket(max_version, opts, client_opts):
    keys1, keys2 = os.urandom(48), os.urandom(48)
    results: List[Any] = []

    def main() -> None:
        server = tls.createServer({**opts, "ticketKeys": keys1, "maxVersion": max_version}, lambda s: s.end("x"))
        state: dict = {"session": None, "round": 0}

        def connect() -> None:
            c = None
            c = tls.connect({**client_opts, "port": server.address()["port"], "session": state["session"]},
                            lambda: results.append(("reused", state["round"], c.isSessionReused())))

            def on_session(session: bytes) -> None:
                if state["session"] is None or state["round"] == 1:
                    results.append(("ticket", state["round"], c.getTLSTicket()[:16]))
                state["session"] = session

            c.on("session", on_session)
            c.on("data", lambda d: None)

            def on_close(*_: Any) -> None:
                state["round"] += 1
                if state["round"] == 1:
                    server.setTicketKeys(keys2)   # rotation: the old ticket no longer opens
                if state["round"] < 3:
                    connect()
                else:
                    server.close()

            c.on("close", on_close)

        server.listen(0, connect)

    run_program(main)
    reused = [r[2] for r in results if r[0] == "reused"]
    assert reused == [False, False, True]
    names = [r[2] for r in results if r[0] == "ticket"]
    assert names[0] == keys1[:16]
    assert names[-1] == keys2[:16]


def test_resume_session_error_destroys_socket(opts, client_opts):
    errors: List[Any] = []
    boom = tls.NodeError("store failed", "ESTORE")

    def main() -> None:
        server = tls.createServer(opts, lambda s: errors.append("secureConnection"))
        server.on("resumeSession", lambda sid, cb: cb(boom))
        server.on("tlsClientError", lambda err, sock: errors.append(("tlsClientError", err)))

        def listening() -> None:
            c = tls.connect({**client_opts, "port": server.address()["port"]})
            c.on("error", lambda err: errors.append(("client", getattr(err, "code", None))))
            c.on("close", lambda *a: server.close())

        server.listen(0, listening)

    run_program(main)
    assert errors[0] == ("tlsClientError", boom)
    assert errors[1] == ("client", "ECONNRESET")
    assert "secureConnection" not in errors


def test_resume_session_callback_twice_is_multiple_callback(opts, client_opts):
    errors: List[Any] = []

    def main() -> None:
        server = tls.createServer(opts, lambda s: errors.append("secureConnection"))

        def on_resume(sid: bytes, cb: Callable[..., None]) -> None:
            cb(None, None)
            cb(None, None)

        server.on("resumeSession", on_resume)
        server.on("tlsClientError", lambda err, sock: errors.append(err.code))

        def listening() -> None:
            c = tls.connect({**client_opts, "port": server.address()["port"]})
            c.on("error", lambda err: None)
            c.on("close", lambda *a: server.close())

        server.listen(0, listening)

    run_program(main)
    assert errors == ["ERR_MULTIPLE_CALLBACK"]


def test_spec_session_store_example(opts, client_opts):
    """The spec's tlsSessionStore example, translated: session-id resumption (TLS 1.2, no tickets)."""
    reused: List[bool] = []

    def main() -> None:
        server = tls.createServer({**opts, "maxVersion": "TLSv1.2", "secureOptions": SSL_OP_NO_TICKET},
                                  lambda s: s.end("x"))
        tlsSessionStore = {}

        def on_new_session(id: bytes, data: bytes, cb: Callable[[], None]) -> None:
            tlsSessionStore[id.hex()] = data
            cb()

        def on_resume_session(id: bytes, cb: Callable[..., None]) -> None:
            cb(None, tlsSessionStore.get(id.hex()) or None)

        server.on("newSession", on_new_session)
        server.on("resumeSession", on_resume_session)
        state: dict = {"session": None, "n": 0}

        def connect() -> None:
            c = None
            c = tls.connect({**client_opts, "port": server.address()["port"], "session": state["session"]},
                            lambda: reused.append(c.isSessionReused()))
            c.on("session", lambda s: state.__setitem__("session", s))
            c.on("data", lambda d: None)

            def on_close(*_: Any) -> None:
                state["n"] += 1
                if state["n"] < 3:
                    connect()
                else:
                    server.close()

            c.on("close", on_close)

        server.listen(0, connect)

    run_program(main)
    assert reused == [False, True, True]


def test_request_cert_sessions_resume_with_default_session_id_context(opts, client_opts, client_cert):
    """requestCert needs a session id context: tls.Server sets Node's default."""
    reused: List[bool] = []
    cert = b"".join(blob.bytes() for blob in client_cert.cert_chain_pems)
    key = client_cert.private_key_pem.bytes()

    def main() -> None:
        server = tls.createServer({**opts, "requestCert": True, "ca": client_opts["ca"], "maxVersion": "TLSv1.2",
                                   "secureOptions": SSL_OP_NO_TICKET}, lambda s: s.end("x"))
        store = {}
        server.on("newSession", lambda sid, data, done: (store.__setitem__(sid, data), done()))
        server.on("resumeSession", lambda sid, cb: cb(None, store.get(sid)))
        state: dict = {"session": None, "n": 0}

        def connect() -> None:
            c = None
            c = tls.connect({**client_opts, "port": server.address()["port"], "session": state["session"],
                             "key": key, "cert": cert}, lambda: reused.append(c.isSessionReused()))
            c.on("session", lambda s: state.__setitem__("session", s))
            c.on("data", lambda d: None)

            def on_close(*_: Any) -> None:
                state["n"] += 1
                if state["n"] < 2:
                    connect()
                else:
                    server.close()

            c.on("close", on_close)

        server.listen(0, connect)

    run_program(main)
    assert reused == [False, True]


def test_no_session_event_when_the_server_is_rejected(opts, client_opts):
    events: List[str] = []

    def main() -> None:
        server = tls.createServer({**opts, "maxVersion": "TLSv1.2"}, lambda s: s.end("x"))
        server.on("tlsClientError", lambda *a: None)

        def listening() -> None:
            # no 'ca': the server's certificate is not trusted
            c = tls.connect({"port": server.address()["port"], "servername": "localhost"})
            c.on("session", lambda s: events.append("session"))
            c.on("error", lambda err: events.append(err.code))
            c.on("close", lambda *a: server.close())

        server.listen(0, listening)

    run_program(main)
    assert events == ["UNABLE_TO_VERIFY_LEAF_SIGNATURE"]


@pytest.mark.parametrize("max_version", ["TLSv1.2", "TLSv1.3"])
def test_session_id_context_must_match_to_resume(max_version, opts, client_opts):
    """Two servers sharing ticket keys resume each other's tickets only within one sessionIdContext."""
    keys = os.urandom(48)
    reused: List[Any] = []

    def main() -> None:
        def make(sid_ctx: str) -> Any:
            return tls.createServer({**opts, "maxVersion": max_version, "ticketKeys": keys,
                                     "sessionIdContext": sid_ctx}, lambda s: s.end("x"))

        issuer, same, other = make("ctx-a"), make("ctx-a"), make("ctx-b")
        state: dict = {"session": None}
        plan = [issuer, same, other]

        def connect() -> None:
            server = plan.pop(0)
            c = None
            c = tls.connect({**client_opts, "port": server.address()["port"], "session": state["session"]},
                            lambda: reused.append(c.isSessionReused()))
            c.on("session", lambda s: state.__setitem__("session", state["session"] or s))
            c.on("data", lambda d: None)

            def on_close(*_: Any) -> None:
                if plan:
                    connect()
                else:
                    for srv in (issuer, same, other):
                        srv.close()

            c.on("close", on_close)

        pending = [3]

        def listening() -> None:
            pending[0] -= 1
            if pending[0] == 0:
                connect()

        for srv in (issuer, same, other):
            srv.listen(0, listening)

    run_program(main)
    assert reused == [False, True, False]


@pytest.mark.parametrize("where", ["resumeSession", "newSession", "newSession-late-done", "session"])
@pytest.mark.parametrize("max_version", ["TLSv1.2", "TLSv1.3"])
def test_destroy_from_session_listeners_never_crashes(where, max_version, opts, client_opts):
    """A listener destroys the socket (OpenSSL has returned by then); late callbacks are no-ops."""
    log: List[str] = []

    def main() -> None:
        def on_secure(s: Any) -> None:
            s.on("error", lambda err: None)  # the client may be gone (ECONNRESET)
            s.end("x")

        server = tls.createServer({**opts, "maxVersion": max_version, "secureOptions": SSL_OP_NO_TICKET}, on_secure)
        server.on("tlsClientError", lambda err, sock: log.append("tlsClientError"))

        def on_resume(sid: bytes, cb: Callable[..., None]) -> None:
            if where == "resumeSession":
                client.destroy()
                _runtime.setTimeout(lambda: (cb(None, b"junk"), cb(None, None), log.append("late cb")), 20)
            else:
                cb(None, None)

        def on_new_session(sid: bytes, data: bytes, done: Callable[[], None]) -> None:
            if where == "newSession":
                client.destroy()
                done()
            elif where == "newSession-late-done":
                client.destroy()
                _runtime.setTimeout(lambda: (done(), done(), log.append("late done")), 20)
            else:
                done()

        server.on("resumeSession", on_resume)
        server.on("newSession", on_new_session)
        client = None

        def listening() -> None:
            nonlocal client
            client = tls.connect({**client_opts, "port": server.address()["port"]})
            if where == "session":
                client.on("session", lambda s: (log.append("session"), client.destroy()))
            client.on("error", lambda err: None)
            client.on("data", lambda d: None)
            client.on("close", lambda *a: _runtime.setTimeout(server.close, 50))

        server.listen(0, listening)

    run_program(main)
    if where == "resumeSession":
        assert "late cb" in log
    elif where == "newSession-late-done":
        assert "late done" in log
    elif where == "session":
        assert log.count("session") == 1
