"""Port of test/parallel/test-tls-ticket.js (Node 20).

Three tls.Server instances share ``ticketKeys``; one TCP server hands each
connection to the next of them in turn (server 0, 1, 2, 0, 1, 2, 0, 1, 2),
so every resumption is by a server that did not issue the ticket.  After its
first connection each server switches to random keys (so the next connection
it gets does a full handshake and receives a new ticket), after its second it
goes back to the shared keys (so the old ticket works again).  In TLS 1.2
tickets are made before the handshake completes, in TLS 1.3 after it: the
keys are rotated only once the client holds its ticket.  Node's test runs
with the default (TLS 1.3); the TLS 1.2 run pins the client's maxVersion.
"""
import os

import pytest

import tls
from tls import net


@pytest.mark.parametrize("max_version", ["TLSv1.3", "TLSv1.2"])
def test_servers_sharing_ticket_keys(max_version, agent1, calls, node_run):
    keys = os.urandom(48)
    server_log = []
    ticket_log = []
    current = {"s": None}

    def create_server(server_id):
        state = {"counter": 0, "previous": None}
        server = None

        def on_secure(c):
            server_log.append(server_id)
            c.end("x")
            state["counter"] += 1

            def set_ticket_keys(new_keys):
                if c.isSessionReused():
                    server.setTicketKeys(new_keys)
                else:
                    current["s"].once("session", lambda *a: server.setTicketKeys(new_keys))

            if state["counter"] == 1:
                state["previous"] = server.getTicketKeys()
                assert state["previous"] == keys
                set_ticket_keys(os.urandom(48))
            elif state["counter"] == 2:
                set_ticket_keys(state["previous"])
            elif state["counter"] == 3:
                pass  # the keys of counter 2
            else:
                raise AssertionError("UNREACHABLE")

        server = tls.createServer({"key": agent1["key"], "cert": agent1["cert"], "ticketKeys": keys}, on_secure)
        return server

    # 'session' events only occur for new sessions.  The first connection is
    # new; then, in each round of 3, the middle connection meets a server
    # with random keys: its ticket is ignored and a new one is sent.
    def on_new_session(s, session):
        assert session
        assert session == s.getSession()

    on_new_session = calls.must_call(on_new_session, 4)

    def main():
        natural = [create_server(0), create_server(1), create_server(2)]
        servers = natural * 3
        shared = None

        def on_connection(c):
            servers.pop(0).emit("connection", c)

        def start(callback):
            state = {"sess": None, "left": len(servers)}

            def connect():
                s = None

                def on_secure():
                    if s.isSessionReused():
                        ticket_log.append(s.getTLSTicket().hex())

                s = tls.connect(shared.address()["port"], {"session": state["sess"], "rejectUnauthorized": False,
                                                           "maxVersion": max_version}, on_secure)
                current["s"] = s
                s.on("data", lambda *a: s.end())

                def on_close(*_):
                    state["left"] -= 1
                    if state["left"] == 0:
                        callback()
                    else:
                        connect()

                s.on("close", on_close)

                def keep(session):
                    state["sess"] = state["sess"] or session

                s.on("session", keep)
                s.once("session", lambda session: on_new_session(s, session))
                s.once("session", lambda *a: ticket_log.append(s.getTLSTicket().hex()))

            connect()

        shared = net.createServer(on_connection)
        shared.listen(0, lambda: start(lambda: shared.close()))

    node_run(main)

    assert len(ticket_log) == len(server_log) == 9
    n = 3  # natural servers
    for i in range(n - 1):
        assert server_log[i] != server_log[i + 1]
        assert ticket_log[i] == ticket_log[i + 1]
        # the 2nd round's connection got a different ticket (random keys)
        assert ticket_log[i] != ticket_log[i + n]
        # the 3rd round's resumed with the first ticket again
        assert ticket_log[i] == ticket_log[i + n * 2]
    # Node's ticket format: the first 16 bytes are the key name.
    assert bytes.fromhex(ticket_log[0])[:16] == keys[:16]
