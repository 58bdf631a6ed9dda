"""AbortController / AbortSignal (tls._node.abort) and the ``signal`` option of net.Socket, net.connect,
tls.TLSSocket, tls.connect and server.listen, against Node 20 running the same program
(support.oracle): validation messages, the signal's reasons, events and listener counts, each
socket's events and its AbortError (name, code, message, cause) when aborted before or after it
connected, a timeout signal, and a listen() that closes.

Node's own test, test-tls-connect-abort-controller.js, is ported in
tests/node_ports/test_connect_abort_controller.py.
"""
from __future__ import annotations

import tls
from tls._node import runtime as _runtime

from support.node_style import CallTracker, run_program
from support.oracle import node_and_ours

NODE_PROGRAM = r'''
const tls = require('tls'); const net = require('net'); const fs = require('fs');
const { getEventListeners } = require('events');
const log = (...a) => console.log(a.map(String).join(' '));
const errline = (e) => [e.name, e.code, e.message].join(' | ');
for (const bad of ['x', 1]) {
  for (const [name, f] of [['net.connect', () => net.connect({port: 1, signal: bad})],
                           ['tls.connect', () => tls.connect({port: 1, signal: bad})],
                           ['net.Socket', () => new net.Socket({signal: bad})],
                           ['tls.TLSSocket', () => new tls.TLSSocket(undefined, {signal: bad})],
                           ['listen', () => net.createServer().listen({port: 0, signal: bad})]]) {
    try { f(); log(name, 'accepted'); } catch (e) { log(name, errline(e)); }
  }
}
for (const v of [false, 0, '', null]) { const s = new net.Socket({signal: v}); log('ignored', JSON.stringify(v), s.destroyed); s.destroy(); }
const ac0 = new AbortController();
log('fresh', ac0.signal.aborted, ac0.signal.reason);
ac0.abort(); const r = ac0.signal.reason;
log('default reason', r.name, r.code, r.message);
ac0.abort('again'); log('second abort keeps', ac0.signal.reason.name);
const ac1 = new AbortController(); ac1.abort('why'); log('reason', ac1.signal.reason);
try { ac1.signal.throwIfAborted(); } catch (e) { log('throwIfAborted', e); }
new AbortController().signal.throwIfAborted(); log('not aborted: no throw');
const s2 = AbortSignal.abort(); log('AbortSignal.abort()', s2.aborted, s2.reason.name, s2.reason.message);
log('AbortSignal.abort(42)', AbortSignal.abort(42).reason);
for (const v of [-1, 4294967296, '1']) { try { AbortSignal.timeout(v); } catch (e) { log('timeout', JSON.stringify(v), errline(e)); } }
try { new AbortSignal(); } catch (e) { log('new AbortSignal', errline(e)); }
const ac2 = new AbortController(); const order = [];
ac2.signal.onabort = (e) => order.push('onabort:' + e.type);
const l1 = (e) => order.push('l1:' + (e.target === ac2.signal));
ac2.signal.addEventListener('abort', l1);
ac2.signal.addEventListener('abort', l1);
ac2.signal.addEventListener('abort', () => order.push('once'), { once: true });
const l3 = () => order.push('removed');
ac2.signal.addEventListener('abort', l3); ac2.signal.removeEventListener('abort', l3);
log('listeners', getEventListeners(ac2.signal, 'abort').length);
ac2.abort('r'); ac2.abort('r2');
log('order', order.join(','), ac2.signal.reason, 'listeners after', getEventListeners(ac2.signal, 'abort').length);
const any = AbortSignal.any([new AbortController().signal, ac1.signal]); log('any', any.aborted, any.reason);
// sockets
const key = fs.readFileSync(process.argv[1]), cert = fs.readFileSync(process.argv[2]);
const tserver = tls.createServer({key, cert}, (s) => { s.on('error', () => {}); s.resume(); });
const nserver = net.createServer((s) => { s.on('error', () => {}); s.resume(); });
function watch(name, sock, signal) {
  return new Promise((resolve) => {
    const ev = [];
    for (const e of ['connect', 'secureConnect', 'error', 'close']) {
      sock.on(e, (a) => {
        ev.push(e);
        if (e === 'error') log(name, 'error', errline(a), 'cause', a.cause && (a.cause.name || a.cause), 'destroyed', sock.destroyed);
        if (e === 'close') { log(name, ev.join(','), 'listeners', getEventListeners(signal, 'abort').length); resolve(); }
      });
    }
  });
}
tserver.listen(0, '127.0.0.1', () => nserver.listen(0, '127.0.0.1', async () => {
  const tport = tserver.address().port, nport = nserver.address().port;
  { const ac = new AbortController(); const sock = tls.connect({port: tport, host: '127.0.0.1', signal: ac.signal, rejectUnauthorized: false});
    const p = watch('tls post', sock, ac.signal); ac.abort('because'); log('tls post destroyed at once', sock.destroyed); await p; }
  { const ac = new AbortController(); const sock = tls.connect({port: tport, host: '127.0.0.1', signal: ac.signal, rejectUnauthorized: false});
    const p = watch('tls secure', sock, ac.signal); sock.on('secureConnect', () => ac.abort()); await p; }
  { const ac = new AbortController(); const sock = net.connect({port: nport, host: '127.0.0.1', signal: ac.signal});
    const p = watch('net connected', sock, ac.signal); sock.on('connect', () => ac.abort()); await p; }
  { const ac = new AbortController(); const sock = new net.Socket({signal: ac.signal});
    const p = watch('net.Socket', sock, ac.signal); sock.connect(nport, '127.0.0.1', () => ac.abort()); await p; }
  { const sock = tls.connect({port: nport, host: '127.0.0.1', signal: AbortSignal.timeout(1), rejectUnauthorized: false});
    await new Promise((res) => { sock.on('error', (a) => log('tls timeout error', errline(a), 'cause', a.cause.name)); sock.on('close', res); }); }
  { const ac = new AbortController(); ac.abort(); const s = net.createServer(); const ev = [];
    s.on('listening', () => ev.push('listening')); s.listen({port: 0, signal: ac.signal});
    await new Promise((res) => s.on('close', () => { log('listen pre', ev.join(',') || '-', 'listening', s.listening); res(); })); }
  { const ac = new AbortController(); const s = net.createServer();
    await new Promise((res) => { s.on('close', () => { log('listen post closed', getEventListeners(ac.signal, 'abort').length); res(); });
      s.listen({port: 0, signal: ac.signal}, () => { log('listen post listeners', getEventListeners(ac.signal, 'abort').length); ac.abort(); log('listening after abort', s.listening); }); }); }
  tserver.close(); nserver.close();
}));
'''

OUR_PROGRAM = r'''
import json, sys
import tls
from tls import net, events
from tls._node import runtime as _runtime

def js(v):
    if v is None: return "undefined"
    if v is True: return "true"
    if v is False: return "false"
    return str(v)

def log(*a):
    print(" ".join(js(x) for x in a), flush=True)

def name_of(e):
    return getattr(e, "name", None) or ("TypeError" if isinstance(e, TypeError) else "RangeError" if isinstance(e, ValueError) else "Error")

def errline(e):
    return " | ".join([name_of(e), str(e.code), e.message])

def main():
    for bad in ["x", 1]:
        for name, f in [("net.connect", lambda: net.connect({"port": 1, "signal": bad})),
                        ("tls.connect", lambda: tls.connect({"port": 1, "signal": bad})),
                        ("net.Socket", lambda: net.Socket({"signal": bad})),
                        ("tls.TLSSocket", lambda: tls.TLSSocket(None, {"signal": bad})),
                        ("listen", lambda: net.createServer().listen({"port": 0, "signal": bad}))]:
            try:
                f(); log(name, "accepted")
            except Exception as e:
                log(name, errline(e))
    for v in [False, 0, "", None]:
        s = net.Socket({"signal": v}); log("ignored", "null" if v is None else json.dumps(v), s.destroyed); s.destroy()
    ac0 = tls.AbortController()
    log("fresh", ac0.signal.aborted, ac0.signal.reason)
    ac0.abort(); r = ac0.signal.reason
    log("default reason", r.name, r.code, r.message)
    ac0.abort("again"); log("second abort keeps", ac0.signal.reason.name)
    ac1 = tls.AbortController(); ac1.abort("why"); log("reason", ac1.signal.reason)
    try:
        ac1.signal.throwIfAborted()
    except Exception as e:
        log("throwIfAborted", e.cause)   # a reason that is not an exception: raised as an AbortError's cause
    tls.AbortController().signal.throwIfAborted(); log("not aborted: no throw")
    s2 = tls.AbortSignal.abort(); log("AbortSignal.abort()", s2.aborted, s2.reason.name, s2.reason.message)
    log("AbortSignal.abort(42)", tls.AbortSignal.abort(42).reason)
    for v in [-1, 4294967296, "1"]:
        try:
            tls.AbortSignal.timeout(v)
        except Exception as e:
            log("timeout", json.dumps(v), errline(e))
    try:
        tls.AbortSignal()
    except Exception as e:
        log("new AbortSignal", errline(e))
    ac2 = tls.AbortController(); order = []
    ac2.signal.onabort = lambda e: order.append("onabort:" + e.type)
    l1 = lambda e: order.append("l1:" + js(e.target is ac2.signal))
    ac2.signal.addEventListener("abort", l1)
    ac2.signal.addEventListener("abort", l1)
    ac2.signal.addEventListener("abort", lambda: order.append("once"), {"once": True})
    l3 = lambda: order.append("removed")
    ac2.signal.addEventListener("abort", l3); ac2.signal.removeEventListener("abort", l3)
    log("listeners", len(events.getEventListeners(ac2.signal, "abort")))
    ac2.abort("r"); ac2.abort("r2")
    log("order", ",".join(order), ac2.signal.reason, "listeners after", len(events.getEventListeners(ac2.signal, "abort")))
    any_ = tls.AbortSignal.any([tls.AbortController().signal, ac1.signal]); log("any", any_.aborted, any_.reason)

    key = open(sys.argv[1], "rb").read(); cert = open(sys.argv[2], "rb").read()
    def on_tls(s):
        s.on("error", lambda e: None); s.resume()
    tserver = tls.createServer({"key": key, "cert": cert}, on_tls)
    nserver = net.createServer(on_tls)

    def watch(name, sock, signal):
        fut = _runtime.get_loop().create_future()
        ev = []
        def on(e):
            def listener(a=None):
                ev.append(e)
                if e == "error":
                    cause = a.cause
                    log(name, "error", errline(a), "cause", getattr(cause, "name", None) or cause, "destroyed", sock.destroyed)
                if e == "close":
                    log(name, ",".join(ev), "listeners", len(events.getEventListeners(signal, "abort")))
                    fut.set_result(None)
            sock.on(e, listener)
        for e in ["connect", "secureConnect", "error", "close"]:
            on(e)
        return fut

    async def scenarios():
        tport = tserver.address()["port"]; nport = nserver.address()["port"]
        ac = tls.AbortController(); sock = tls.connect({"port": tport, "host": "127.0.0.1", "signal": ac.signal, "rejectUnauthorized": False})
        p = watch("tls post", sock, ac.signal); ac.abort("because"); log("tls post destroyed at once", sock.destroyed); await p
        ac = tls.AbortController(); sock = tls.connect({"port": tport, "host": "127.0.0.1", "signal": ac.signal, "rejectUnauthorized": False})
        p = watch("tls secure", sock, ac.signal); sock.on("secureConnect", lambda: ac.abort()); await p
        ac = tls.AbortController(); sock = net.connect({"port": nport, "host": "127.0.0.1", "signal": ac.signal})
        p = watch("net connected", sock, ac.signal); sock.on("connect", lambda: ac.abort()); await p
        ac2_ = tls.AbortController(); sock = net.Socket({"signal": ac2_.signal})
        p = watch("net.Socket", sock, ac2_.signal); sock.connect(nport, "127.0.0.1", lambda: ac2_.abort()); await p
        sock = tls.connect({"port": nport, "host": "127.0.0.1", "signal": tls.AbortSignal.timeout(1), "rejectUnauthorized": False})
        fut = _runtime.get_loop().create_future()
        sock.on("error", lambda a: log("tls timeout error", errline(a), "cause", a.cause.name))
        sock.on("close", lambda: fut.set_result(None))
        await fut
        ac = tls.AbortController(); ac.abort(); s = net.createServer(); ev = []
        s.on("listening", lambda: ev.append("listening")); s.listen({"port": 0, "signal": ac.signal})
        fut = _runtime.get_loop().create_future()
        s.on("close", lambda: (log("listen pre", ",".join(ev) or "-", "listening", s.listening), fut.set_result(None)))
        await fut
        ac = tls.AbortController(); s = net.createServer()
        fut = _runtime.get_loop().create_future()
        s.on("close", lambda: (log("listen post closed", len(events.getEventListeners(ac.signal, "abort"))), fut.set_result(None)))
        def listening():
            log("listen post listeners", len(events.getEventListeners(ac.signal, "abort"))); ac.abort(); log("listening after abort", s.listening)
        s.listen({"port": 0, "signal": ac.signal}, listening)
        await fut
        tserver.close(); nserver.close()

    tserver.listen(0, "127.0.0.1", lambda: nserver.listen(0, "127.0.0.1", scenarios))

tls.run(main)
'''


def test_signal_as_node(tmp_path, self_signed) -> None:
    key, cert = tmp_path / "key.pem", tmp_path / "cert.pem"
    key.write_bytes(self_signed["key"])
    cert.write_bytes(self_signed["cert"])
    theirs, ours = node_and_ours(NODE_PROGRAM, OUR_PROGRAM, str(key), str(cert))
    assert ours.status == 0, ours.stderr
    assert ours.lines == theirs.lines


def test_timeout_signal_keeps_nothing_alive() -> None:
    """AbortSignal.timeout's timer is unref'd (Node: a program waiting on nothing else exits)."""
    fired = []

    def main() -> None:
        signal = tls.AbortSignal.timeout(60_000)
        signal.addEventListener("abort", lambda: fired.append(True))

    run_program(main, CallTracker(), timeout=10)
    assert fired == []


def test_pre_aborted_connect_is_abandoned(self_signed) -> None:
    """A socket whose signal was aborted already fails on the next tick and starts no connection
    (Node 20.20 undoes that destroy in connect() and connects after 'close': not reproduced)."""
    seen = []
    calls = CallTracker()

    def main() -> None:
        server = tls.createServer({"key": self_signed["key"], "cert": self_signed["cert"]})
        server.on("connection", lambda sock: seen.append("server saw a connection"))

        def listening() -> None:
            ac = tls.AbortController()
            ac.abort()
            sock = tls.connect({"port": server.address()["port"], "host": "127.0.0.1", "signal": ac.signal,
                                "rejectUnauthorized": False})
            assert sock.destroyed is False          # the error comes on the next tick
            sock.on("connect", lambda: seen.append("connect"))
            sock.on("error", calls.must_call(lambda err: seen.append(err.code)))

            def closed() -> None:
                seen.append("close")
                # a connection would have been accepted before the client's 'close' (it started none)
                _runtime.setImmediate(server.close)

            sock.on("close", calls.must_call(closed))

        server.listen(0, "127.0.0.1", listening)

    run_program(main, calls)
    assert seen == ["ABORT_ERR", "close"]
