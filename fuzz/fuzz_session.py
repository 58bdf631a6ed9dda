"""Fuzz target (d): session bytes, on both sides of a resumption.

The input is the ``session`` option of a TLSSocket (the tls.connect path:
decoded by tls._protocol.sessions, set on the client's SSL) and also what a server's
'resumeSession' callback hands back (csrc/sessions.c tls_sessions_load, the
session the server's lookup returns next).  Then the client and a server
engine run the handshake to its end, so the decoded session is not only
parsed but offered (ClientHello) and resumed from (server).  Byte 0 picks the
configuration (the tls12-session-id one resumes by session id, i.e. from the
loaded session; the others from a ticket, sealed with the fixed ticket keys of
_common so that recorded tickets open); the rest is the session DER.
"""
from __future__ import annotations

import _common
from _common import lib, tls


def _handshake(data: bytes, config: int) -> None:
    sock = tls.TLSSocket(None, {"session": data, "secureContext": _common.context(config, server=False)})
    server = _common.engine(config, server=True)
    try:
        client = sock._engine
        if client is None:
            return
        if lib.tls_sessions_enable(server.ssl, 0) != 1:
            raise MemoryError("tls_sessions_enable failed")
        lib.tls_sessions_load(server.ssl, data, len(data))
        client.handshake()
        try:
            _common.pump(client, server)
        except Exception as exc:
            _common.note_error("session", exc)
            raise
        _common.note("session", config, client.handshake_done, server.handshake_done,
                     client.session_reused(), server.session_reused(), client.protocol())
    finally:
        server.free()
        sock.destroy()


def test_one(data: bytes) -> None:
    if not data:
        return
    config = data[0] % len(_common.CONFIGS)
    try:
        _common.in_loop(lambda: _handshake(data[1:], config))
    except Exception as exc:
        _common.guarded(exc)


if __name__ == "__main__":
    _common.main(test_one)
