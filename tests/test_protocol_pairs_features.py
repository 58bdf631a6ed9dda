"""Level 1 for the protocol features: their hooks run with no TLSSocket at all.

The feature modules (tls._protocol.negotiation, sessions, extras) take a
``TLSConnection`` and reach their socket only through ``ConnectionOwner``;
OpenSSL's hooks find the connection itself (the engine's owner).  Here the
owner is tests/support/pairs.py's bare ``Owner`` (it records what it is asked
to emit), there is no event loop, and the test moves the bytes (``pump``):
an ALPNCallback choosing, the keylog lines, and a client's 'session' event
whose bytes resume the next connection all work on the connections alone.
"""
from __future__ import annotations

from typing import Any, Dict, List

import pytest

from tls._protocol import extras as _extras
from tls._protocol import negotiation as _negotiation
from tls._protocol import sessions as _sessions

from support.pairs import ConnPair

TLS13_LABELS = sorted([b"CLIENT_HANDSHAKE_TRAFFIC_SECRET", b"SERVER_HANDSHAKE_TRAFFIC_SECRET",
                       b"CLIENT_TRAFFIC_SECRET_0", b"SERVER_TRAFFIC_SECRET_0", b"EXPORTER_SECRET"])


def _handshake(pair: ConnPair) -> None:
    pair.client.cycle()  # the ClientHello
    pair.pump()
    assert pair.client.secure and pair.server.secure
    assert pair.client_owner.events.count("secure") == 1 and pair.server_owner.events.count("secure") == 1


def test_alpn_callback_chooses_on_a_bare_connection(server_options):
    asked: List[Dict[str, Any]] = []

    def choose(info: Dict[str, Any]) -> str:
        asked.append(info)
        return "http/1.1"

    pair = ConnPair(server_options)
    _negotiation.configure(pair.server, {"ALPNCallback": choose})
    _negotiation.configure(pair.client, {"ALPNProtocols": ["h2", "http/1.1"]})
    pair.client.cycle()
    pair.server.on_raw_data(pair.client_owner.take_wire())
    # the ClientHello paused the handshake: the callback waits for the next tick, outside OpenSSL
    assert asked == [] and pair.server.engine.paused and not pair.server_owner.wire
    pair.pump()
    assert asked == [{"servername": False, "protocols": ["h2", "http/1.1"]}]
    assert pair.client.secure and pair.server.secure
    # what the owner is handed for its alpnProtocol / npnProtocol (NPN not wired: False)
    assert _negotiation.negotiated(pair.server) == ("http/1.1", False)
    assert _negotiation.negotiated(pair.client) == ("http/1.1", False)


def test_alpn_callback_error_destroys_the_owner(server_options):
    def refuse(info: Dict[str, Any]) -> str:
        raise ValueError("no protocol for you")

    pair = ConnPair(server_options)
    _negotiation.configure(pair.server, {"ALPNCallback": refuse})
    _negotiation.configure(pair.client, {"ALPNProtocols": ["h2"]})
    pair.client.cycle()
    pair.pump()
    [(kind, err)] = [e for e in pair.server_owner.events if isinstance(e, tuple)]
    assert kind == "destroy" and isinstance(err, ValueError)
    assert pair.server.engine is None and not pair.client.secure  # the server never answered


@pytest.mark.parametrize("version", ["TLSv1.2", "TLSv1.3"])
def test_keylog_lines_reach_the_owner_before_secure(server_options, version):
    pair = ConnPair(dict(server_options, maxVersion=version))
    for conn in (pair.client, pair.server):
        _extras.enable_keylog(conn)
    _handshake(pair)
    lines = {}
    for name, owner in (("client", pair.client_owner), ("server", pair.server_owner)):
        secure_at = owner.events.index("secure")
        keylog = [(i, e[1]) for i, e in enumerate(owner.events) if isinstance(e, tuple) and e[0] == "keylog"]
        # handshake secrets are out before 'secure' (Node's order), none is emitted twice
        assert keylog and all(i < secure_at for i, _ in keylog), (name, owner.events)
        lines[name] = sorted(line for _, line in keylog)
    labels = sorted(line.split(b" ")[0] for line in lines["client"])
    assert labels == (TLS13_LABELS if version == "TLSv1.3" else [b"CLIENT_RANDOM"])
    assert lines["client"] == lines["server"]   # the same secrets on both ends
    assert all(line.endswith(b"\n") for line in lines["client"])


@pytest.mark.parametrize("version", ["TLSv1.2", "TLSv1.3"])
def test_session_event_on_a_bare_connection_resumes_the_next_one(server_options, version):
    options = dict(server_options, maxVersion=version)
    first = ConnPair(options)
    _sessions.configure(first.client, {})
    assert first.client.sessions is None           # nothing reaches Python before a listener
    first.client_owner.listen("session")           # Node's first 'session' listener
    assert first.client.sessions is not None
    _handshake(first)
    sessions = [e[1] for e in first.client_owner.events if isinstance(e, tuple) and e[0] == "session"]
    assert sessions and all(isinstance(s, bytes) and s for s in sessions)
    assert _sessions.get_session(first.client)     # the live session, read from the connection
    assert first.client.engine.session_reused() is False

    second = ConnPair(options, server_context=first.server_context)
    _sessions.configure(second.client, {"session": sessions[-1]})
    _handshake(second)
    assert second.client.engine.session_reused() is True
    assert second.server.engine.session_reused() is True
    assert second.client.engine.protocol() == version
