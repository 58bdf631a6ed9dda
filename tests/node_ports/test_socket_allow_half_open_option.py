"""Port of test/parallel/test-tls-socket-allow-half-open-option.js: a TLSSocket over a given
socket or stream is never half-open; one without ``allowHalfOpen`` neither.

Node's ``new stream.Duplex({allowHalfOpen: false})`` is the package's in-memory duplex
(support.node_style.duplex_pair) with ``allowHalfOpen`` set to False: over a stream the
TLSSocket takes the stream's allowHalfOpen, as Node does."""
import tls
from tls import net

from support.node_style import duplex_pair


def test_allow_half_open(node_run):
    def main():
        over_socket = tls.TLSSocket(net.Socket(), {"allowHalfOpen": True})
        assert over_socket.allowHalfOpen is False

        duplex, _other = duplex_pair()
        duplex.allowHalfOpen = False   # new stream.Duplex({allowHalfOpen: false})
        over_duplex = tls.TLSSocket(duplex, {"allowHalfOpen": True})
        assert over_duplex.allowHalfOpen is False

        socket = tls.TLSSocket()
        assert socket.allowHalfOpen is False

        socket = tls.TLSSocket(None, {"allowHalfOpen": True})
        assert socket.allowHalfOpen is True

        # Node exits with these two never connected; here they keep tls.run alive (a
        # lifetime difference, listed in README.md), so the port destroys them
        over_socket.destroy()
        over_duplex.destroy()

    node_run(main)
