"""Port of test/parallel/test-tls-transport-destroy-after-own-gc.js (a regression test for
nodejs/node#17475): the last reference to a TLSSocket over a stream (one end of a duplex pair)
is dropped and a collection runs while its transport lives on; then the transport's is dropped
and a collection runs again.  Nothing may crash (Node's C++ TLSWrap used to be freed under its
stream), and here the end state is checked too: the TLSSocket, its engine (the native SSL*) and
the transport were all collected.  Node: ``--expose-gc`` and ``global.gc()``; here
``gc.collect()`` and weak references.

Node's TLSSocket over a JavaScript stream holds no libuv handle, so nothing but the program keeps
it; here a TLSSocket over a stream is a referenced handle of ``tls.run`` (kept alive, and keeping
the program alive, until destroyed: the README's convention), so the port calls ``unref()`` on it,
which leaves it held only by the program as in Node.  As in Node, the stream's listeners reach the
socket, so the socket goes with its transport, not before it."""
import gc
import weakref

import tls
from tls._node import runtime as _runtime

from support.node_style import duplex_pair


def test_transport_destroy_after_own_gc(calls, node_run):
    refs = {}

    def main():
        client_side, _server_side = duplex_pair()
        client_tls = tls.TLSSocket(client_side, {"isServer": False})
        client_tls.unref()   # Node's JS-stream TLSSocket holds no handle (see above)
        refs.update(tls=weakref.ref(client_tls), engine=weakref.ref(client_tls._conn.engine),
                    side=weakref.ref(client_side))
        state = {"client_tls": client_tls, "client_side": client_side}
        del client_tls, client_side, _server_side

        def first():
            state["client_tls"] = None
            gc.collect()

            def second():
                state["client_side"] = None
                gc.collect()

            _runtime.setImmediate(calls.must_call(second))

        _runtime.setImmediate(calls.must_call(first))

    node_run(main)
    gc.collect()
    assert {name: ref() is None for name, ref in refs.items()} == {"tls": True, "engine": True, "side": True}
