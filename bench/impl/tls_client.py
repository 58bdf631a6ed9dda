"""Client under test: this project's `tls` package (Node's API), against the fixed C server.

    python tls_client.py --scenario bulk|hs|resume13|echo --port P --duration S [--conns N] --ca FILE

The same program as node_client.js, line for line, in Python.
"""
from __future__ import annotations

import asyncio
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402
from common import ACK_UNIT, BULK_CHUNK, ECHO_SIZE, now  # noqa: E402

import tls  # noqa: E402


def main(a) -> None:
    st = common.Stats(a.scenario, a.conns)
    # one SecureContext for all connections (passing `ca` to every connect() would build one per connection)
    context = tls.createSecureContext({"ca": open(a.ca, "rb").read(), "minVersion": "TLSv1.3",
                                       "maxVersion": "TLSv1.3", "ciphers": "TLS_AES_128_GCM_SHA256"})
    base = {"host": a.host, "port": a.port, "servername": "localhost", "secureContext": context}
    finished = [False]

    def finish() -> None:
        if finished[0]:
            return
        finished[0] = True
        st.stop()
        st.emit()
        os._exit(0)

    def fail(why: str) -> None:
        st.error_text = why
        finish()

    def watchdog() -> None:
        if now() - st.last_progress > common.STALL_SECS:
            fail("stalled: no progress")
        asyncio.get_running_loop().call_later(0.25, watchdog)   # not a Node timer: keeps no ref

    def conn_error(err) -> None:
        st.errors += 1
        if st.errors <= 3:
            print("connection error:", err, file=sys.stderr)
        if st.errors > 200:
            fail("too many connection errors")

    def bulk() -> None:
        chunk = b"b" * BULK_CHUNK
        state = {"sent": 0, "acks": 0, "stop": False, "deadline": 0.0}

        def check() -> None:
            if state["stop"] and state["acks"] * ACK_UNIT >= state["sent"]:
                st.bytes = state["sent"]
                st.ops = state["sent"] // ACK_UNIT
                finish()

        def pump(*_) -> None:
            deadline = state["deadline"]
            while True:
                if state["sent"] % ACK_UNIT == 0 and now() >= deadline:
                    state["stop"] = True
                    check()
                    return
                state["sent"] += len(chunk)
                if not s.write(chunk):
                    s.once("drain", pump)
                    return

        def on_connect() -> None:
            st.start()
            state["deadline"] = st.t0 + a.duration
            pump()

        def on_data(d) -> None:
            state["acks"] += len(d)
            st.progress()
            check()

        s = tls.connect(base, on_connect)
        s.setNoDelay(True)
        s.on("data", on_data)
        s.on("error", lambda e: fail("bulk connection error: %s" % (e,)))

    def handshakes(resume: bool) -> None:
        state = {"latest": None, "active": a.conns, "deadline": 0.0}

        def go() -> None:
            st.start()
            state["deadline"] = st.t0 + a.duration
            for _ in range(a.conns):
                slot()

        def slot() -> None:
            if now() >= state["deadline"]:
                state["active"] -= 1
                if state["active"] == 0:
                    finish()
                return
            opts = dict(base, session=state["latest"]) if resume and state["latest"] is not None else base
            done = [False]

            def on_connect() -> None:
                if s.isSessionReused():
                    st.reused += 1
                s.write(b"h")

            def on_data(_d) -> None:
                if done[0]:
                    return
                done[0] = True
                st.ops += 1
                st.progress()
                s.end()
                slot()

            def on_error(e) -> None:
                if done[0]:
                    return
                done[0] = True
                conn_error(e)
                slot()

            s = tls.connect(opts, on_connect)
            s.setNoDelay(True)
            if resume:
                s.on("session", lambda sess: state.__setitem__("latest", sess))
            s.once("data", on_data)
            s.on("error", on_error)

        if resume:
            # one priming connection brings the first ticket: every measured handshake can resume
            p = tls.connect(base, lambda: p.write(b"h"))
            p.on("session", lambda sess: state.__setitem__("latest", sess))
            p.once("data", lambda _d: (p.end(), go()))
            p.on("error", lambda e: fail("priming connection error: %s" % (e,)))
        else:
            go()

    def echo() -> None:
        msg = b"e" * ECHO_SIZE
        sockets = []
        state = {"up": 0, "active": a.conns}

        def go() -> None:
            st.start()
            deadline = st.t0 + a.duration
            for s in sockets:
                attach(s, deadline)
                s.write(msg)

        def attach(s, deadline) -> None:
            got = [0]

            def on_data(d) -> None:
                got[0] += len(d)
                while got[0] >= ECHO_SIZE:
                    got[0] -= ECHO_SIZE
                    st.ops += 1
                    if now() >= deadline:
                        s.end()
                        state["active"] -= 1
                        if state["active"] == 0:
                            st.bytes = st.ops * ECHO_SIZE
                            finish()
                        return
                    s.write(msg)
                st.progress()

            s.on("data", on_data)

        def on_up() -> None:
            state["up"] += 1
            if state["up"] == a.conns:
                go()

        for _ in range(a.conns):
            s = tls.connect(base, on_up)
            s.setNoDelay(True)
            s.on("error", lambda e: fail("echo connection error: %s" % (e,)))
            sockets.append(s)

    {"bulk": bulk, "hs": lambda: handshakes(False), "resume13": lambda: handshakes(True),
     "echo": echo}[a.scenario]()
    watchdog()


if __name__ == "__main__":
    args = common.client_args()
    if args.uvloop:
        import uvloop
        asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())  # tls.run makes its loop from the policy
    try:
        tls.run(main, args)
    except BaseException as exc:  # noqa: BLE001 - the failure becomes the result line
        import json
        print(json.dumps({"ok": False, "error": "%s: %s" % (type(exc).__name__, exc)}), flush=True)
        os._exit(0)
    print('{"ok": false, "error": "tls.run returned before the scenario finished"}', flush=True)
