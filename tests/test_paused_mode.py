"""Node's Readable paused mode on net.Socket and tls.TLSSocket (tls._node.readable): 'readable', the
synchronous read([size]), unshift, setEncoding, readableFlowing / isPaused transitions, 'pause' / 'resume'.

Every expected line comes from Node 20: each scenario is one program written twice, for Node and for us,
run over loopback on net and on TLS; the printed event sequences must be equal.  The backpressure test
checks bounds instead (how far past the mark the buffer goes depends on the kernel's read sizes).
"""
from __future__ import annotations

import asyncio

import pytest

import tls

from support.node import JS_LOG_PRELUDE, same_lines_as_node


def _same_as_node(node_js: str, ours_py: str, pems, mode: str) -> None:
    same_lines_as_node(node_js, ours_py, pems.path("key"), pems.path("cert"), mode)


READ_NODE = r"""
const tls = require('tls'), net = require('net'), fs = require('fs');
const isTls = process.argv[4] === 'tls';
const [key, cert] = [fs.readFileSync(process.argv[2]), fs.readFileSync(process.argv[3])];
const mod = isTls ? tls : net;
const log = (...a) => console.log(a.map((x) => x === null ? 'null' : x === undefined ? 'undefined' : String(x)).join(' '));
const show = (c) => c === null ? 'null' : c.toString();
const s = mod.createServer(isTls ? {key, cert} : {}, (c) => {
  let n = 0;
  c.on('data', (d) => {
    n++;
    if (n === 1) c.write('hello');
    else if (n === 2) c.write('wörld');
    else if (n === 3) c.end('bye');
  });
  c.on('end', () => {}); c.on('close', () => s.close());
});
s.listen(0, () => {
  const c = mod.connect({port: s.address().port, rejectUnauthorized: false});
  c.write('go');
  log('start', c.readableFlowing, c.isPaused(), c.readableLength, c.readableEnded);
  let round = 0;
  const onReadable = () => {
    log('readable', c.readableLength, c.readableFlowing);
    round++;
    if (round === 1) {
      log('read(2)', show(c.read(2)), c.readableLength);
      log('read(10)', show(c.read(10)), c.readableLength);
      log('read(0)', show(c.read(0)), c.readableLength);
      const all = c.read();
      log('read()', show(all), c.readableLength);
      log('unshift', c.unshift(all.slice(1)), c.readableLength);
      log('read(1)', show(c.read(1)), c.readableLength);
      log('read()', show(c.read()), c.readableLength);
      log('read()', show(c.read()), c.readableLength);
      c.write('more');
    } else if (round === 2) {
      c.setEncoding('utf8');
      log('encoded', c.readableLength);
      log('read(2)', show(c.read(2)), c.readableLength);
      log('read()', show(c.read()), c.readableLength);
      c.write('last');
    } else {
      let r;
      while ((r = c.read()) !== null) log('loop', show(r), c.readableLength, c.readableEnded);
      log('loop done', c.readableLength, c.readableEnded);
    }
  };
  c.on('readable', onReadable);
  log('on readable', c.readableFlowing, c.isPaused());
  c.on('data', (d) => log('data', show(d)));
  log('on data', c.readableFlowing, c.isPaused());
  c.on('end', () => log('end', c.readableEnded, c.readableLength));
  c.on('close', () => log('close'));
});
"""

READ_OURS = JS_LOG_PRELUDE + r"""
import sys, tls
from tls import net
key, cert = open(sys.argv[1], 'rb').read(), open(sys.argv[2], 'rb').read()
is_tls = sys.argv[3] == 'tls'
mod = tls if is_tls else net


def main():
    def on_conn(c):
        n = [0]
        def on_data(d):
            n[0] += 1
            if n[0] == 1: c.write('hello')
            elif n[0] == 2: c.write('wörld')
            elif n[0] == 3: c.end('bye')
        c.on('data', on_data)
        c.on('end', lambda: None)
        c.on('close', lambda *a: s.close())
    s = mod.createServer({'key': key, 'cert': cert} if is_tls else {}, on_conn)

    def go():
        opts = {'port': s.address()['port']}
        if is_tls: opts['rejectUnauthorized'] = False
        c = mod.connect(opts)
        c.write('go')
        log('start', c.readableFlowing, c.isPaused(), c.readableLength, c.readableEnded)
        state = {'round': 0}
        def on_readable():
            log('readable', c.readableLength, c.readableFlowing)
            state['round'] += 1
            r = state['round']
            if r == 1:
                log('read(2)', c.read(2), c.readableLength)
                log('read(10)', c.read(10), c.readableLength)
                log('read(0)', c.read(0), c.readableLength)
                everything = c.read()
                log('read()', everything, c.readableLength)
                log('unshift', c.unshift(everything[1:]), c.readableLength)
                log('read(1)', c.read(1), c.readableLength)
                log('read()', c.read(), c.readableLength)
                log('read()', c.read(), c.readableLength)
                c.write('more')
            elif r == 2:
                c.setEncoding('utf8')
                log('encoded', c.readableLength)
                log('read(2)', c.read(2), c.readableLength)
                log('read()', c.read(), c.readableLength)
                c.write('last')
            else:
                while True:
                    chunk = c.read()
                    if chunk is None: break
                    log('loop', chunk, c.readableLength, c.readableEnded)
                log('loop done', c.readableLength, c.readableEnded)
        c.on('readable', on_readable)
        log('on readable', c.readableFlowing, c.isPaused())
        c.on('data', lambda d: log('data', d))
        log('on data', c.readableFlowing, c.isPaused())
        c.on('end', lambda: log('end', c.readableEnded, c.readableLength))
        c.on('close', lambda *a: log('close'))
    s.listen(0, go)

tls.run(main)
"""

FLOW_NODE = r"""
const tls = require('tls'), net = require('net'), fs = require('fs');
const isTls = process.argv[4] === 'tls';
const [key, cert] = [fs.readFileSync(process.argv[2]), fs.readFileSync(process.argv[3])];
const mod = isTls ? tls : net;
const log = (...a) => console.log(a.map((x) => x === null ? 'null' : String(x)).join(' '));
const s = mod.createServer(isTls ? {key, cert} : {}, (c) => {
  c.once('data', () => c.end('hello'));
  c.on('close', () => s.close());
});
s.listen(0, () => {
  const c = mod.connect({port: s.address().port, rejectUnauthorized: false});
  c.on('pause', () => log('event pause', c.readableFlowing));
  c.on('resume', () => log('event resume', c.readableFlowing));
  log('start', c.readableFlowing, c.isPaused());
  c.on('data', (d) => log('data', d.toString(), c.readableFlowing));
  log('on data', c.readableFlowing, c.isPaused());
  c.pause();
  log('pause', c.readableFlowing, c.isPaused());
  c.resume();
  log('resume', c.readableFlowing, c.isPaused());
  const r = () => log('readable', c.readableLength);
  c.on('readable', r);
  log('on readable', c.readableFlowing, c.isPaused());
  c.resume();
  log('resume with readable', c.readableFlowing, c.isPaused());
  c.removeListener('readable', r);
  log('off readable', c.readableFlowing, c.isPaused());
  setImmediate(() => {
    log('later', c.readableFlowing, c.isPaused());
    c.pause();
    log('paused again', c.readableFlowing, c.isPaused());
    c.write('go');
    const t = setInterval(() => { if (c.readableLength < 5) return; clearInterval(t); log('before resume', c.readableLength, c.readableFlowing); c.resume(); }, 5);
  });
  c.on('end', () => log('end', c.readableEnded));
  c.on('close', () => log('close'));
});
"""

FLOW_OURS = JS_LOG_PRELUDE + r"""
import asyncio, sys, tls
from tls import net
key, cert = open(sys.argv[1], 'rb').read(), open(sys.argv[2], 'rb').read()
is_tls = sys.argv[3] == 'tls'
mod = tls if is_tls else net


def main():
    def on_conn(c):
        c.once('data', lambda d: c.end('hello'))
        c.on('close', lambda *a: s.close())
    s = mod.createServer({'key': key, 'cert': cert} if is_tls else {}, on_conn)

    def go():
        opts = {'port': s.address()['port']}
        if is_tls: opts['rejectUnauthorized'] = False
        c = mod.connect(opts)
        c.on('pause', lambda: log('event pause', c.readableFlowing))
        c.on('resume', lambda: log('event resume', c.readableFlowing))
        log('start', c.readableFlowing, c.isPaused())
        c.on('data', lambda d: log('data', d, c.readableFlowing))
        log('on data', c.readableFlowing, c.isPaused())
        c.pause()
        log('pause', c.readableFlowing, c.isPaused())
        c.resume()
        log('resume', c.readableFlowing, c.isPaused())
        r = lambda: log('readable', c.readableLength)
        c.on('readable', r)
        log('on readable', c.readableFlowing, c.isPaused())
        c.resume()
        log('resume with readable', c.readableFlowing, c.isPaused())
        c.removeListener('readable', r)
        log('off readable', c.readableFlowing, c.isPaused())

        def later():
            log('later', c.readableFlowing, c.isPaused())
            c.pause()
            log('paused again', c.readableFlowing, c.isPaused())
            c.write('go')
            def poll():
                if c.readableLength < 5:
                    loop.call_later(0.005, poll)
                    return
                log('before resume', c.readableLength, c.readableFlowing)
                c.resume()
            poll()
        loop = asyncio.get_running_loop()
        loop.call_later(0.01, later)  # after the callbacks queued now (Node: setImmediate after nextTicks)
        c.on('end', lambda: log('end', c.readableEnded))
        c.on('close', lambda *a: log('close'))
    s.listen(0, go)

tls.run(main)
"""


@pytest.mark.parametrize("mode", ["net", "tls"])
def test_read_size_unshift_set_encoding_and_end_as_node(pems, mode):
    """read(2) / read(10) -> None / read(0) / read() / unshift / read(1), setEncoding on a buffered
    'wörld', the read() loop to the end, 'readable' at the end, 'end' after the last read()."""
    _same_as_node(READ_NODE, READ_OURS, pems, mode)


@pytest.mark.parametrize("mode", ["net", "tls"])
def test_flowing_transitions_pause_resume_as_node(pems, mode):
    """readableFlowing / isPaused() through on('data'), pause(), resume(), on('readable') (paused even
    when resumed), removeListener('readable') (flows again: a 'data' listener), 'pause' / 'resume'
    events, data held while paused and delivered on resume()."""
    _same_as_node(FLOW_NODE, FLOW_OURS, pems, mode)


def test_paused_mode_backpressure_reaches_the_peer(agent1, calls, node_run):
    """Nobody reads: the client's buffer stops at about readableHighWaterMark (its transport stops
    reading, so the server's writes back up: writableLength > 0, writableNeedDrain false after
    end() as in Node); each read() restarts the transport,
    and the whole 8 MiB arrives, then 'end'."""
    total = 8 << 20
    seen = {"peak": 0, "read": 0}

    def main():
        loop = asyncio.get_running_loop()
        accepted = []

        def on_secure(sock):
            accepted.append(sock)
            sock.end(b"z" * total)

        server = tls.createServer({"key": agent1["key"], "cert": agent1["cert"]}, calls.must_call(on_secure))

        def listening():
            client = tls.connect(server.address()["port"], {"rejectUnauthorized": False})
            client.on("readable", lambda: None)          # paused mode, nothing read yet

            def held_back():
                # the transport stopped at the mark and the server's data is waiting for us
                if not (accepted and client.readableLength >= client.readableHighWaterMark
                        and accepted[0].writableLength > 0):
                    loop.call_later(0.01, held_back)
                    return
                seen["peak"] = client.readableLength
                assert accepted[0].writableNeedDrain is False   # ending (Node: 'needDrain false')
                client.removeAllListeners("readable")

                def drain():
                    while True:
                        chunk = client.read()
                        if chunk is None:
                            return
                        seen["read"] += len(chunk)
                        seen["peak"] = max(seen["peak"], client.readableLength)

                client.on("readable", drain)
                drain()

            held_back()
            client.on("end", calls.must_call(lambda: server.close()))

        server.listen(0, calls.must_call(listening))

    node_run(main)
    assert seen["read"] == total
    # one transport read (64 KiB, a TLS record's plaintext at most 16 KiB each) past the mark, not megabytes
    assert 16384 <= seen["peak"] <= 16384 + 256 * 1024, seen


SIZES_NODE = r"""
const net = require('net');
const s = new net.Socket();
const log = (...a) => console.log(a.map((x) => x === null ? 'null' : String(x)).join(' '));
log('hwm', s.readableHighWaterMark, s.readableFlowing, s.isPaused(), s.readableLength, s.bufferSize, s.readableEncoding);
log('read0', s.read(0)); log('hwm', s.readableHighWaterMark);
log('read', s.read(20000)); log('hwm', s.readableHighWaterMark);
log('read-1', s.read(-1));
try { s.read(2 ** 30 + 1); } catch (e) { log('err', e.code, e.message, e instanceof RangeError); }
s.setEncoding('hex'); log('enc', s.readableEncoding);
s.destroy();
"""

SIZES_OURS = JS_LOG_PRELUDE + r"""
import tls
from tls import net
def main():
    s = net.Socket()
    log('hwm', s.readableHighWaterMark, s.readableFlowing, s.isPaused(), s.readableLength,
        'undefined' if s.bufferSize is None else s.bufferSize, s.readableEncoding)  # undefined in Node
    log('read0', s.read(0)); log('hwm', s.readableHighWaterMark)
    log('read', s.read(20000)); log('hwm', s.readableHighWaterMark)
    log('read-1', s.read(-1))
    try:
        s.read(2 ** 30 + 1)
    except Exception as e:
        log('err', e.code, e.message, isinstance(e, ValueError))
    s.setEncoding('hex'); log('enc', s.readableEncoding)
    s.destroy()
tls.run(main)
"""


def test_read_size_rules_as_node():
    """read(0) / read(n) / read(-1) on a socket with nothing buffered: None; read(20000) raises
    readableHighWaterMark to the next power of two; more than 1 GiB is ERR_OUT_OF_RANGE; the state of a
    new socket (flowing None, bufferSize None before connect()) and readableEncoding."""
    same_lines_as_node(SIZES_NODE, SIZES_OURS)


UNSHIFT_AFTER_END_NODE = r"""
const tls = require('tls'), net = require('net'), fs = require('fs');
const isTls = process.argv[4] === 'tls';
const [key, cert] = [fs.readFileSync(process.argv[2]), fs.readFileSync(process.argv[3])];
const mod = isTls ? tls : net;
const log = (...a) => console.log(a.map((x) => x === null ? 'null' : String(x)).join(' '));
const s = mod.createServer(isTls ? {key, cert} : {}, (c) => { c.end('hi'); c.on('close', () => s.close()); c.resume(); });
s.listen(0, () => {
  const c = mod.connect({port: s.address().port, rejectUnauthorized: false});
  c.setEncoding('utf8');
  c.on('data', (d) => log('data', d, c.readableEncoding));
  c.on('end', () => { log('end', c.readableEnded, c.readable); log('unshift', c.unshift('x'), c.destroyed); });
  c.on('error', (e) => log('error', e.code, e.message));
  c.on('close', (h) => log('close', h));
});
"""

UNSHIFT_AFTER_END_OURS = JS_LOG_PRELUDE + r"""
import sys, tls
from tls import net
key, cert = open(sys.argv[1], 'rb').read(), open(sys.argv[2], 'rb').read()
is_tls = sys.argv[3] == 'tls'
mod = tls if is_tls else net


def main():
    def on_conn(c):
        c.end('hi'); c.on('close', lambda *a: s.close()); c.resume()
    s = mod.createServer({'key': key, 'cert': cert} if is_tls else {}, on_conn)

    def go():
        opts = {'port': s.address()['port']}
        if is_tls: opts['rejectUnauthorized'] = False
        c = mod.connect(opts)
        c.setEncoding('utf8')
        c.on('data', lambda d: log('data', d, c.readableEncoding))
        def on_end():
            log('end', c.readableEnded, c.readable)
            log('unshift', c.unshift('x'), c.destroyed)
        c.on('end', on_end)
        c.on('error', lambda e: log('error', e.code, e.message))
        c.on('close', lambda h: log('close', h))
    s.listen(0, go)

tls.run(main)
"""


@pytest.mark.parametrize("mode", ["net", "tls"])
def test_unshift_after_end_destroys_with_its_code_as_node(pems, mode):
    """setEncoding before data (readableEncoding), readableEnded / readable at 'end', then unshift()
    after 'end': False, the socket destroyed with ERR_STREAM_UNSHIFT_AFTER_END_EVENT, 'close' (true)."""
    _same_as_node(UNSHIFT_AFTER_END_NODE, UNSHIFT_AFTER_END_OURS, pems, mode)


def test_flowing_sockets_never_touch_the_paused_mode_state(agent1, calls, node_run):
    """The flowing data path is the one it was before paused mode: a socket that only flows (a 'data'
    listener) stores none of the per-chunk paused-mode state (it stays at the class defaults: no
    'readable' bookkeeping per chunk); only resume()'s kPaused is stored, once.  2 MiB arrive."""
    total = 2 << 20
    seen = {"bytes": 0}
    paused_state = ("_need_readable", "_emitted_readable", "_readable_listening", "_resume_scheduled",
                    "_encoding")

    def main():
        server = tls.createServer({"key": agent1["key"], "cert": agent1["cert"]},
                                  calls.must_call(lambda sock: sock.end(b"f" * total)))

        def listening():
            client = tls.connect(server.address()["port"], {"rejectUnauthorized": False})
            client.on("data", lambda d: seen.__setitem__("bytes", seen["bytes"] + len(d)))

            def on_end():
                seen["stored"] = sorted(set(vars(client)) & set(paused_state))
                server.close()

            client.on("end", calls.must_call(on_end))

        server.listen(0, calls.must_call(listening))

    node_run(main)
    assert seen["bytes"] == total
    assert seen["stored"] == []
