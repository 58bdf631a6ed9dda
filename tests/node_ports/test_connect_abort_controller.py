"""Port of test/parallel/test-tls-connect-abort-controller.js: the ``signal`` option of
``tls.connect`` and ``new tls.TLSSocket(None, options)`` -- aborted after the call, before it, or
on a later iteration (setImmediate) -- makes the socket fail with an error named 'AbortError'
before 'close' (``await events.once(socket, 'close')`` raises it); the signal has one 'abort'
listener while the socket waits on it, none when it was aborted already."""
import tls
from tls import events
from tls._node import runtime as _runtime


def test_connect_abort_controller(agent1, calls, node_run):
    def main():
        server = tls.createServer({"key": agent1["key"], "cert": agent1["cert"]})

        async def listening():
            port = server.address()["port"]
            host = "localhost"

            def connect_options(signal):
                return {"port": port, "host": host, "signal": signal, "rejectUnauthorized": False}

            async def assert_abort(socket, test_name):
                try:
                    await events.once(socket, "close")
                except Exception as err:
                    assert getattr(err, "name", None) == "AbortError", (test_name, err)
                else:
                    raise AssertionError("close %s should have thrown" % test_name)

            async def post_abort():
                ac = tls.AbortController()
                signal = ac.signal
                socket = tls.connect(connect_options(signal))
                assert len(events.getEventListeners(signal, "abort")) == 1
                ac.abort()
                await assert_abort(socket, "postAbort")

            async def pre_abort():
                ac = tls.AbortController()
                signal = ac.signal
                ac.abort()
                socket = tls.connect(connect_options(signal))
                assert len(events.getEventListeners(signal, "abort")) == 0
                await assert_abort(socket, "preAbort")

            async def tick_abort():
                ac = tls.AbortController()
                signal = ac.signal
                socket = tls.connect(connect_options(signal))
                _runtime.setImmediate(lambda: ac.abort())
                assert len(events.getEventListeners(signal, "abort")) == 1
                await assert_abort(socket, "tickAbort")

            async def test_constructor():
                ac = tls.AbortController()
                signal = ac.signal
                ac.abort()
                socket = tls.TLSSocket(None, connect_options(signal))
                assert len(events.getEventListeners(signal, "abort")) == 0
                await assert_abort(socket, "testConstructor")

            async def test_constructor_post():
                ac = tls.AbortController()
                signal = ac.signal
                socket = tls.TLSSocket(None, connect_options(signal))
                assert len(events.getEventListeners(signal, "abort")) == 1
                ac.abort()
                await assert_abort(socket, "testConstructorPost")

            async def test_constructor_post_tick():
                ac = tls.AbortController()
                signal = ac.signal
                socket = tls.TLSSocket(None, connect_options(signal))
                _runtime.setImmediate(lambda: ac.abort())
                assert len(events.getEventListeners(signal, "abort")) == 1
                await assert_abort(socket, "testConstructorPostTick")

            await post_abort()
            await pre_abort()
            await tick_abort()
            await test_constructor()
            await test_constructor_post()
            await test_constructor_post_tick()

            server.close(calls.must_call())

        server.listen(0, calls.must_call(listening))

    node_run(main)
