"""TLSSocket's life (tls._objects.life): the transition table is complete and enforced.

The sockets' observable behaviour under these states is what the rest of the suite
checks against Node; here: every state has a row, the table's moves are the ones the
socket makes, and a move outside it is an AssertionError (a bug, never silence).
"""
import pytest

from tls._objects.life import SECURED, TRANSITIONS, UNSTARTED, Life, Route, check


def test_every_state_has_a_row_and_rows_name_states_of_the_same_machine():
    assert set(TRANSITIONS) == set(Life) | set(Route)
    for state, targets in TRANSITIONS.items():
        assert all(type(target) is type(state) for target in targets), state


def test_the_handshake_moves_one_way():
    assert check(Life.NEW, Life.HANDSHAKING) is Life.HANDSHAKING
    assert check(Life.NEW, Life.WAITING) is Life.WAITING
    assert check(Life.WAITING, Life.HANDSHAKING) is Life.HANDSHAKING
    assert check(Life.HANDSHAKING, Life.SECURE) is Life.SECURE
    assert check(Life.SECURE, Life.SECURE) is Life.SECURE  # a renegotiation: 'secure' again
    assert check(Life.SECURE, Life.ERRORED) is Life.ERRORED
    for state in (Life.NEW, Life.WAITING, Life.HANDSHAKING):
        assert check(state, Life.FAILED) is Life.FAILED
    assert SECURED == {Life.SECURE, Life.ERRORED} and UNSTARTED == {Life.NEW, Life.WAITING}


@pytest.mark.parametrize("old,new", [
    (Life.SECURE, Life.HANDSHAKING), (Life.FAILED, Life.SECURE), (Life.ERRORED, Life.FAILED),
    (Life.NEW, Life.SECURE), (Life.SECURE, Life.FAILED), (Route.RELEASED, Route.HELD),
    (Route.REPORTED, Route.REPORTED), (Route.RELEASED, Route.REPORTED),
])
def test_a_move_outside_the_table_is_an_assertion_error(old, new):
    with pytest.raises(AssertionError, match="illegal TLSSocket transition"):
        check(old, new)


def test_error_routing_moves():
    assert check(Route.HELD, Route.REPORTED) is Route.REPORTED
    assert check(Route.HELD, Route.RELEASED) is Route.RELEASED
    assert check(Route.REPORTED, Route.RELEASED) is Route.RELEASED  # tlsClientError, then 'secureConnection'
