"""Port of test/parallel/test-tls-connect-memleak.js: the listener ``tls.connect`` adds for its
callback is added with ``once()``, so once it ran it holds nothing alive: an object only the
callback references is collected while the socket is still open.  Node: ``--expose-gc``,
``global.gc()`` and common/ongc.js; here ``gc.collect()`` and ``weakref.finalize``."""
import gc
import weakref

import tls
from tls._node import runtime as _runtime


class GCObject:
    """Node's ``{}`` (a plain object cannot be weakly referenced in Python)."""


def test_connect_memleak(self_signed, calls, node_run):
    collected = []
    holder = {}

    def main():
        server = tls.createServer({"cert": self_signed["cert"], "key": self_signed["key"]})

        def listening():
            # Node's block: gcObject is referenced by the connect callback only
            gc_object = GCObject()
            weakref.finalize(gc_object, collected.append, True)   # onGC(gcObject, gcListener)

            def on_connect():
                assert gc_object is gc_object   # keep a reference in the callback
                assert collected == []
                _runtime.setImmediate(done, holder["sock"])

            holder["sock"] = tls.connect(server.address()["port"], {"rejectUnauthorized": False},
                                         calls.must_call(on_connect))

        def done(sock):
            gc.collect()

            def later():
                assert collected == [True]
                sock.end()
                server.close()

            _runtime.setImmediate(later)

        server.listen(0, listening)

    node_run(main)
    assert collected == [True]
