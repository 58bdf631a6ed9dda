"""Port of test/parallel/test-tls-ticket-invalid-arg.js.

JavaScript's values map to Python's: null/undefined -> None, 1n -> a big int,
Symbol() -> object(), {} -> dict, [] -> list, '' -> str, () => {} -> a function;
Uint8Array / Buffer / DataView of the wrong length -> bytearray / bytes / memoryview.
"""
import pytest

import tls


@pytest.mark.parametrize("arg", [None, 0, 1, 2 ** 70, object(), {}, [], True, False, "", lambda: None])
def test_not_a_buffer(arg, node_run):
    def main():
        server = tls.Server()
        with pytest.raises(TypeError) as info:
            server.setTicketKeys(arg)
        assert info.value.code == "ERR_INVALID_ARG_TYPE"

    node_run(main)


@pytest.mark.parametrize("arg", [bytearray(1), bytes([1]), memoryview(bytes(2))])
def test_wrong_length(arg, node_run):
    def main():
        server = tls.Server()
        with pytest.raises(Exception, match="Session ticket keys must be a 48-byte buffer"):
            server.setTicketKeys(arg)

    node_run(main)
