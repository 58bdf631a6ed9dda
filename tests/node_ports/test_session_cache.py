"""Port of test/parallel/test-tls-session-cache.js (Node 20).

``openssl s_client -reconnect`` connects 6 times (an initial request and 5
reconnects) to a server with an external session store behind asynchronous
'newSession' / 'resumeSession' listeners (setImmediate, as in Node's test):

* without tickets the store resumes every reconnect: 5 'resumeSession',
  1 'newSession';
* with tickets OpenSSL resumes from the ticket: no store callback at all;
* when the store hands back garbage the handshake falls back to a full one
  each time (and does not crash): 5 'resumeSession', 6 'newSession'.

As in Node's test the client speaks TLS 1.0 with RSA key exchange at
security level 0 (the server allows it with secureProtocol 'TLS_method'),
presents a client certificate (requestCert: the session id context Node's
tls.Server sets by default makes those sessions resumable).
"""
import asyncio

import pytest

import tls
from tls._node import runtime as _runtime


@pytest.mark.parametrize("variant", ["no_tickets", "tickets", "invalid_session"])
def test_session_cache(variant, agent1, tmp_pem, calls, node_run):
    tickets = variant == "tickets"
    invalid_session = variant == "invalid_session"
    key_file = tmp_pem("agent1-key.pem", agent1["key"])
    cert_file = tmp_pem("agent1-cert.pem", agent1["cert"])
    counts = {"request": 0, "resume": 0, "new_session": 0}
    store = {"session": None}

    def main():
        options = {"key": agent1["key"], "cert": agent1["cert"], "ca": [agent1["ca"]],
                   "requestCert": True, "rejectUnauthorized": False,
                   "secureProtocol": "TLS_method", "ciphers": "RSA@SECLEVEL=0"}

        def on_secure(cleartext):
            def on_error(err):
                # ECONNRESET is timing dependent and fine; anything else fails.
                if getattr(err, "code", None) != "ECONNRESET":
                    raise err

            cleartext.on("error", on_error)
            counts["request"] += 1
            cleartext.end("")

        server = tls.createServer(options, on_secure)

        def on_new_session(sid, data, cb):
            counts["new_session"] += 1

            def store_it():  # an asynchronous store
                assert store["session"] is None
                store["session"] = (sid, data)
                cb()

            _runtime.setImmediate(store_it)

        def on_resume_session(sid, callback):
            counts["resume"] += 1
            assert store["session"] is not None
            assert store["session"][0].hex() == sid.hex()
            data = store["session"][1]
            if invalid_session:
                # An invalid session must not crash the server.
                data = b"INVALID SESSION"
                store["session"] = None
            _runtime.setImmediate(callback, None, data)

        server.on("newSession", on_new_session)
        server.on("resumeSession", on_resume_session)

        async def client(port):
            args = ["openssl", "s_client", "-tls1", "-cipher", "DEFAULT:@SECLEVEL=0",
                    "-connect", "localhost:%d" % port, "-servername", "ohgod",
                    "-key", key_file, "-cert", cert_file, "-reconnect"]
            if not tickets:
                args.append("-no_ticket")
            proc = await asyncio.create_subprocess_exec(*args, stdin=asyncio.subprocess.DEVNULL,
                                                        stdout=asyncio.subprocess.PIPE,
                                                        stderr=asyncio.subprocess.PIPE)
            out, err = await proc.communicate()
            on_exit(proc.returncode, out, err)

        def on_exit(code, out, err):
            assert code == 0, err.decode(errors="replace")
            server.close(calls.must_call())

        def listening():
            _runtime.spawn(client(server.address()["port"]))

        server.listen(0, "127.0.0.1", listening)

    node_run(main)

    # An initial request and 5 reconnects.
    assert counts["request"] == 6
    if tickets:
        # No session cache callbacks are called.
        assert counts["resume"] == 0
        assert counts["new_session"] == 0
    elif invalid_session:
        # The resume callback was called, but each connection established a
        # fresh session.
        assert counts["resume"] == 5
        assert counts["new_session"] == 6
    else:
        # The resume callback was called, and only the initial connection
        # establishes a fresh session.
        assert store["session"] is not None
        assert counts["resume"] == 5
        assert counts["new_session"] == 1
