"""Port of test/parallel/test-tls-destroy-whilst-write.js: destroy() a TLS client whose
stream (a user-defined Duplex whose write calls back on a later tick) still holds the
ClientHello write: nothing crashes and the program ends."""
import tls
from tls._node import runtime as _runtime

from support.node_style import Duplex


def test_destroy_while_write_pending(node_run):
    log = []

    def main():
        def write(stream, data, encoding, cb):
            log.append("pending")

            def later():
                log.append("done")
                cb()

            _runtime.setImmediate(later)

        delay = Duplex(read=lambda stream: None, write=write)
        secure = tls.connect({"socket": delay})
        _runtime.setImmediate(lambda: secure.destroy())

    node_run(main)
    assert log[:1] == ["pending"]
