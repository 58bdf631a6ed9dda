"""A tls.Server's handshake timeouts share one loop timer (tls._node.timer_list, issue 14).

Over loopback: silent clients opened one after another each get their own
ERR_TLS_HANDSHAKE_TIMEOUT, in the order they connected, while clients that finish the
handshake in between get none; then the list itself: cancelled entries do not pile up behind a
live head, and a raising callback is reported while the others due with it still run.
"""
import asyncio

import tls
from tls import net
from tls._node import runtime as _runtime
from tls._node.timer_list import TimerList, cancel


def test_silent_clients_time_out_in_order_finished_ones_do_not(agent1, calls, node_run):
    timed_out = []

    def main():
        server = tls.createServer({"key": agent1["key"], "cert": agent1["cert"], "handshakeTimeout": 150})
        server.on("error", calls.must_not_call("server 'error'"))
        raws = []
        secured = []

        def on_client_error(err, conn):
            assert err.code == "ERR_TLS_HANDSHAKE_TIMEOUT"
            timed_out.append(conn.remotePort)
            conn.destroy()
            if len(timed_out) == 3:
                assert len(secured) == 2
                server.close()

        server.on("tlsClientError", calls.must_call(on_client_error, 3))
        server.on("secureConnection", calls.must_call(lambda conn: conn.end(), 2))

        def silent():
            raw = net.connect({"host": "127.0.0.1", "port": server.address()["port"]})
            raw.on("error", lambda err: None)
            raw.resume()
            raws.append(raw)

        def talker():
            client = tls.connect({"port": server.address()["port"], "rejectUnauthorized": False})
            client.on("secureConnect", calls.must_call(lambda: secured.append(client)))
            client.on("error", lambda err: None)
            client.resume()

        def listening():
            # silent, talker, silent, talker, silent: 20 ms apart, so the deadlines differ
            steps = [silent, talker, silent, talker, silent]
            for i, step in enumerate(steps):
                _runtime.setTimeout(step, 20 * i)
            _runtime.setTimeout(lambda: timed_out.append(tuple(r.localPort for r in raws)), 110)

        server.listen(0, "127.0.0.1", calls.must_call(listening))

    node_run(main)
    order, reported = timed_out[0], timed_out[1:]
    assert tuple(reported) == order   # each silent client once, in the order they connected


def test_cancelled_entries_do_not_pile_up_and_errors_are_reported():
    async def body():
        loop = asyncio.get_running_loop()
        reported = []
        loop.set_exception_handler(lambda loop, context: reported.append(context["exception"]))
        # a live head and a long tail of finished ones: the tail is dropped in passes, not kept
        timers = TimerList(loop, 60.0)
        head = timers.start(lambda: None)
        for _ in range(1000):
            cancel(timers.start(lambda: None))
        assert len(timers._entries) < 130
        cancel(head)
        assert len(timers._entries) < 130
        cancel(head)   # idempotent
        # due together: the raising one is reported, the next still runs, in order
        quick = TimerList(loop, 0.01)
        ran = []
        quick.start(lambda: ran.append(1))
        quick.start(lambda: 1 / 0)
        done = loop.create_future()
        quick.start(lambda: (ran.append(3), done.set_result(None)))
        dropped = quick.start(lambda: ran.append("cancelled"))
        cancel(dropped)
        await asyncio.wait_for(done, 5)
        assert ran == [1, 3]
        assert len(reported) == 1 and isinstance(reported[0], ZeroDivisionError)
        assert not quick._entries and quick._handle is None
        timers._handle.cancel()

    asyncio.run(body())
