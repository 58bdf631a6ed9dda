"""The writable side of net.Socket / tls.TLSSocket as Node 20 counts it: writableLength of queued writes
(1..9 before the connection, still 9 at a TLS socket's 'secureConnect', 0 at 'finish'), bufferSize
(undefined -> None once closed), writableHighWaterMark, writableNeedDrain, cork() / uncork() /
writableCorked (nested corks, end() uncorking, the held writes sent in one write, their callbacks).

Every expected line comes from Node 20: each scenario is one program written twice (for Node, for us),
run over loopback on net and on TLS; the printed sequences must be equal.
"""
from __future__ import annotations

import pytest

import tls

from support.node import JS_LOG_PRELUDE, same_lines_as_node


def _same_as_node(node_js: str, ours_py: str, pems, mode: str) -> None:
    same_lines_as_node(node_js, ours_py, pems.path("key"), pems.path("cert"), mode)

QUEUED_NODE = r"""
const tls = require('tls'), net = require('net'), fs = require('fs');
const [key, cert] = [fs.readFileSync(process.argv[2]), fs.readFileSync(process.argv[3])];
const mod = process.argv[4] === 'tls' ? tls : net;
const opts = process.argv[4] === 'tls' ? {key, cert} : {};
const s = mod.createServer(opts, (c) => { c.resume(); c.on('end', () => c.end()); });
s.listen(0, () => {
  const c = mod.connect(Object.assign({port: s.address().port, rejectUnauthorized: false}));
  const out = [];
  out.push('init ' + [c.writableLength, c.bufferSize, c.writableHighWaterMark, c.writableNeedDrain].join(' '));
  for (let i = 0; i < 9; i++) { c.write('x'); out.push('w' + i + ' ' + c.writableLength + ' ' + c.bufferSize); }
  c.on('connect', () => out.push('connect ' + c.writableLength + ' ' + c.bufferSize));
  c.on('secureConnect', () => out.push('secure ' + c.writableLength + ' ' + c.bufferSize));
  c.on('ready', () => { out.push('ready ' + c.writableLength + ' ' + c.bufferSize); });
  c.end(() => out.push('endcb ' + c.writableLength));
  c.on('finish', () => out.push('finish ' + c.writableLength + ' ' + c.bufferSize + ' ' + c.writableNeedDrain));
  c.on('close', () => { out.push('close ' + c.writableLength + ' ' + c.bufferSize); console.log(out.join('\n')); s.close(); });
  c.resume();
});
"""

QUEUED_OURS = r"""
import sys, tls
from tls import net
key, cert = open(sys.argv[1], 'rb').read(), open(sys.argv[2], 'rb').read()
mod = tls if sys.argv[3] == 'tls' else net
opts = {'key': key, 'cert': cert} if sys.argv[3] == 'tls' else {}
_print = print
def print(text):
    _print(text.replace('False', 'false').replace('True', 'true').replace('None', 'undefined'), flush=True)
def main():
    def on_conn(c):
        c.resume(); c.on('end', lambda: c.end())
    s = mod.createServer(opts, on_conn)
    def go():
        c = mod.connect({'port': s.address()['port'], 'rejectUnauthorized': False} if mod is tls else {'port': s.address()['port']})
        out = []
        out.append('init %s %s %s %s' % (c.writableLength, c.bufferSize, c.writableHighWaterMark, c.writableNeedDrain))
        for i in range(9):
            c.write('x'); out.append('w%d %s %s' % (i, c.writableLength, c.bufferSize))
        c.on('connect', lambda: out.append('connect %s %s' % (c.writableLength, c.bufferSize)))
        c.on('secureConnect', lambda: out.append('secure %s %s' % (c.writableLength, c.bufferSize)))
        c.on('ready', lambda: out.append('ready %s %s' % (c.writableLength, c.bufferSize)))
        c.end(lambda: out.append('endcb %s' % c.writableLength))
        c.on('finish', lambda: out.append('finish %s %s %s' % (c.writableLength, c.bufferSize, c.writableNeedDrain)))
        c.on('close', lambda *a: (out.append('close %s %s' % (c.writableLength, c.bufferSize)), print('\n'.join(out)), s.close()))
        c.resume()
    s.listen(0, go)
tls.run(main)
"""

CORK_NODE = r"""
const tls = require('tls'), net = require('net'), fs = require('fs');
const isTls = process.argv[4] === 'tls';
const [key, cert] = [fs.readFileSync(process.argv[2]), fs.readFileSync(process.argv[3])];
const mod = isTls ? tls : net;
const log = (...a) => console.log(a.map((x) => x === null ? 'null' : x === undefined ? 'undefined' : String(x)).join(' '));
const s = mod.createServer(isTls ? {key, cert} : {}, (c) => {
  const got = [];
  c.on('data', (d) => { got.push(d.toString()); if (d.toString().endsWith('!')) c.write('ok'); });
  c.on('end', () => { log('server got', got.join('')); c.end(); });
  c.on('close', () => s.close());
});
s.listen(0, () => {
  const c = mod.connect({port: s.address().port, rejectUnauthorized: false});
  const w = (d) => c.write(d, () => log('cb', d, c.writableLength));
  log('fresh', c.writableLength, c.writableCorked, c.bufferSize, c.writableNeedDrain, c.writableHighWaterMark);
  c.cork();
  w('a'); w('b');
  log('corked before connect', c.writableLength, c.writableCorked, c.bufferSize);
  c.on(isTls ? 'secureConnect' : 'connect', () => {
    log('connected', c.writableLength, c.writableCorked, c.bufferSize);
    c.uncork();
    log('uncorked', c.writableLength, c.writableCorked, c.bufferSize);
    c.cork(); c.cork();
    w('c'); w('d!');
    log('corked twice', c.writableLength, c.writableCorked);
    c.uncork();
    log('uncork once', c.writableLength, c.writableCorked);
    c.uncork();
    log('uncork twice', c.writableLength, c.writableCorked);
    c.uncork();
    log('uncork extra', c.writableLength, c.writableCorked);
  });
  c.once('data', (d) => {
    log('client got', d.toString());
    c.cork();
    w('e'); w('f');
    log('corked', c.writableLength, c.writableCorked);
    c.end('g', () => log('end cb', c.writableLength, c.writableCorked));
    log('ended', c.writableLength, c.writableCorked, c.writableEnded, c.writableFinished);
  });
  c.on('finish', () => log('finish', c.writableLength, c.writableCorked, c.bufferSize));
  c.on('close', () => log('close', c.writableLength, c.bufferSize));
});
"""

CORK_OURS = JS_LOG_PRELUDE + r"""
import sys, tls
from tls import net
key, cert = open(sys.argv[1], 'rb').read(), open(sys.argv[2], 'rb').read()
is_tls = sys.argv[3] == 'tls'
mod = tls if is_tls else net

NONE = 'undefined'

def main():
    def on_conn(c):
        got = []
        def on_data(d):
            got.append(d.decode())
            if d.endswith(b'!'):
                c.write('ok')
        c.on('data', on_data)
        c.on('end', lambda: (log('server got', ''.join(got)), c.end()))
        c.on('close', lambda *a: s.close())
    s = mod.createServer({'key': key, 'cert': cert} if is_tls else {}, on_conn)

    def go():
        opts = {'port': s.address()['port']}
        if is_tls: opts['rejectUnauthorized'] = False
        c = mod.connect(opts)
        def w(d):
            c.write(d, lambda *e: log('cb', d, c.writableLength))
        log('fresh', c.writableLength, c.writableCorked, c.bufferSize, c.writableNeedDrain, c.writableHighWaterMark)
        c.cork()
        w('a'); w('b')
        log('corked before connect', c.writableLength, c.writableCorked, c.bufferSize)
        def connected():
            log('connected', c.writableLength, c.writableCorked, c.bufferSize)
            c.uncork()
            log('uncorked', c.writableLength, c.writableCorked, c.bufferSize)
            c.cork(); c.cork()
            w('c'); w('d!')
            log('corked twice', c.writableLength, c.writableCorked)
            c.uncork()
            log('uncork once', c.writableLength, c.writableCorked)
            c.uncork()
            log('uncork twice', c.writableLength, c.writableCorked)
            c.uncork()
            log('uncork extra', c.writableLength, c.writableCorked)
        c.on('secureConnect' if is_tls else 'connect', connected)
        def first(d):
            log('client got', d)
            c.cork()
            w('e'); w('f')
            log('corked', c.writableLength, c.writableCorked)
            c.end('g', lambda *e: log('end cb', c.writableLength, c.writableCorked))
            log('ended', c.writableLength, c.writableCorked, c.writableEnded, c.writableFinished)
        c.once('data', first)
        c.on('finish', lambda: log('finish', c.writableLength, c.writableCorked, c.bufferSize))
        c.on('close', lambda *a: log('close', c.writableLength, c.bufferSize))
    s.listen(0, go)

tls.run(main)
"""


# Writes on a connected socket.  Node's TLS write completes a tick later (one write in flight, the
# ones made meanwhile go out together when it completes): writableLength counts them until then, a
# burst returns False at the high-water mark and 'drain' follows; net's writes go to the kernel at once.
CONNECTED_NODE = r"""
const tls = require('tls'), net = require('net'), fs = require('fs');
const [key, cert] = [fs.readFileSync(process.argv[2]), fs.readFileSync(process.argv[3])];
const isTls = process.argv[4] === 'tls';
const mod = isTls ? tls : net;
const log = (...a) => console.log(a.join(' '));
const s = mod.createServer(isTls ? {key, cert} : {}, (c) => {
  let n = 0;
  c.on('data', (d) => { n += d.length; });
  c.on('end', () => { log('server got', n); c.end(); });
  c.on('close', () => s.close());
});
s.listen(0, () => {
  const c = mod.connect({port: s.address().port, rejectUnauthorized: false});
  c.on(isTls ? 'secureConnect' : 'connect', () => {
    log('connected', c.writableLength, c.bufferSize);
    for (let i = 1; i <= 9; i++) {
      c.write('x', () => log('cb', i, c.writableLength));
      log('w' + i, c.writableLength, c.bufferSize);
    }
    setImmediate(() => {
      log('next', c.writableLength);
      const block = Buffer.alloc(1024, 'b');
      let i = 0, ret = true;
      while (ret && i < 64) { ret = c.write(block); i++; }
      log('burst', i, ret, c.writableLength, c.writableNeedDrain);
      const after = () => {
        c.write('y', () => log('cb y', c.writableLength));
        c.end('z', () => log('end cb', c.writableLength));
        log('ended', c.writableLength, c.writableFinished);
      };
      if (ret) setImmediate(after);
      else c.once('drain', () => { log('drain', c.writableLength, c.writableNeedDrain); after(); });
    });
  });
  c.on('finish', () => log('finish', c.writableLength, c.bufferSize));
  c.on('close', () => log('close', c.bufferSize));
  c.resume();
});
"""

CONNECTED_OURS = r"""
import sys, tls
from tls import net
from tls._node import runtime
key, cert = open(sys.argv[1], 'rb').read(), open(sys.argv[2], 'rb').read()
is_tls = sys.argv[3] == 'tls'
mod = tls if is_tls else net

def fmt(x):   # as JavaScript's Array.join: undefined and null print as nothing
    return {None: '', True: 'true', False: 'false'}.get(x, x) if x is None or isinstance(x, bool) else str(x)

def log(*a):
    print(' '.join(fmt(x) for x in a), flush=True)

def main():
    def on_conn(c):
        n = [0]
        c.on('data', lambda d: n.__setitem__(0, n[0] + len(d)))
        c.on('end', lambda: (log('server got', n[0]), c.end()))
        c.on('close', lambda *a: s.close())
    s = mod.createServer({'key': key, 'cert': cert} if is_tls else {}, on_conn)

    def go():
        c = mod.connect({'port': s.address()['port'], 'rejectUnauthorized': False})
        def connected():
            log('connected', c.writableLength, c.bufferSize)
            for i in range(1, 10):
                c.write('x', lambda *e, i=i: log('cb', i, c.writableLength))
                log('w%d' % i, c.writableLength, c.bufferSize)
            def later():
                log('next', c.writableLength)
                block = b'b' * 1024
                i, ret = 0, True
                while ret and i < 64:
                    ret = c.write(block)
                    i += 1
                log('burst', i, ret, c.writableLength, c.writableNeedDrain)
                def after():
                    c.write('y', lambda *e: log('cb y', c.writableLength))
                    c.end('z', lambda *e: log('end cb', c.writableLength))
                    log('ended', c.writableLength, c.writableFinished)
                if ret:
                    runtime.setImmediate(after)
                else:
                    c.once('drain', lambda: (log('drain', c.writableLength, c.writableNeedDrain), after()))
            runtime.setImmediate(later)
        c.on('secureConnect' if is_tls else 'connect', connected)
        c.on('finish', lambda: log('finish', c.writableLength, c.bufferSize))
        c.on('close', lambda *a: log('close', c.bufferSize))
        c.resume()
    s.listen(0, go)

tls.run(main)
"""


# Writes made in a 'data' listener (the echo's path, where the hold is released when the dispatch
# returns rather than by a callback of its own: write_hold.py, "The hold"): still counted right after the
# write, 0 on the next tick; a write that returns False still gets its 'drain' before a setImmediate
# queued after it; a write to another socket from the listener is held and released the same way, and
# its callback, behind a held write and before a burst, sees them all released after the 'drain'.
DISPATCH_NODE = r"""
const tls = require('tls'), net = require('net'), fs = require('fs');
const [key, cert] = [fs.readFileSync(process.argv[2]), fs.readFileSync(process.argv[3])];
const isTls = process.argv[4] === 'tls';
const mod = isTls ? tls : net;
const log = (...a) => console.log(a.join(' '));
let other = null;
const s = mod.createServer(isTls ? {key, cert} : {}, (c) => {
  if (other === null) { other = c; c.on('close', () => s.close()); return; }
  let n = 0;
  c.on('data', (d) => {
    n++;
    if (n === 1) {
      c.write('12'); log('w1', c.writableLength, c.bufferSize);
      c.write('345'); log('w2', c.writableLength, c.writableNeedDrain);
      setImmediate(() => log('immediate', c.writableLength));
    } else if (n === 2) {
      const ret = c.write(Buffer.alloc(17000, 'b'));
      log('big', ret, c.writableLength, c.writableNeedDrain);
      c.once('drain', () => log('drain', c.writableLength, c.writableNeedDrain));
      setImmediate(() => log('immediate big', c.writableLength));
    } else {
      other.write('p1'); other.write('p2', () => log('other cb', other.writableLength));
      log('other', other.writableLength, c.writableLength);
      const r = other.write(Buffer.alloc(17000, 'o'));
      log('other big', r, other.writableLength, other.writableNeedDrain);
      other.once('drain', () => log('other drain', other.writableLength, other.writableNeedDrain));
      setImmediate(() => { log('immediate other', other.writableLength); c.end(); other.end(); });
    }
  });
});
s.listen(0, () => {
  const opts = {port: s.address().port, rejectUnauthorized: false};
  const p = mod.connect(opts);
  p.resume();
  p.on(isTls ? 'secureConnect' : 'connect', () => {
    const c = mod.connect(opts);
    let got = 0;
    c.on(isTls ? 'secureConnect' : 'connect', () => c.write('a'));
    c.on('data', (d) => {
      const before = got; got += d.length;
      if (before < 5 && got >= 5) c.write('b');
      if (before < 17005 && got >= 17005) c.write('c');
    });
    c.on('end', () => log('client got', got));
  });
});
"""

DISPATCH_OURS = r"""
import sys, tls
from tls import net
from tls._node import runtime
key, cert = open(sys.argv[1], 'rb').read(), open(sys.argv[2], 'rb').read()
is_tls = sys.argv[3] == 'tls'
mod = tls if is_tls else net

def fmt(x):   # as JavaScript's Array.join
    return {None: '', True: 'true', False: 'false'}.get(x, x) if x is None or isinstance(x, bool) else str(x)

def log(*a):
    print(' '.join(fmt(x) for x in a), flush=True)

def main():
    state = {'other': None}
    def on_conn(c):
        if state['other'] is None:
            state['other'] = c
            c.on('close', lambda *a: s.close())
            return
        other = state['other']
        n = [0]
        def on_data(d):
            n[0] += 1
            if n[0] == 1:
                c.write('12'); log('w1', c.writableLength, c.bufferSize)
                c.write('345'); log('w2', c.writableLength, c.writableNeedDrain)
                runtime.setImmediate(lambda: log('immediate', c.writableLength))
            elif n[0] == 2:
                ret = c.write(b'b' * 17000)
                log('big', ret, c.writableLength, c.writableNeedDrain)
                c.once('drain', lambda: log('drain', c.writableLength, c.writableNeedDrain))
                runtime.setImmediate(lambda: log('immediate big', c.writableLength))
            else:
                other.write('p1'); other.write('p2', lambda *e: log('other cb', other.writableLength))
                log('other', other.writableLength, c.writableLength)
                r = other.write(b'o' * 17000)
                log('other big', r, other.writableLength, other.writableNeedDrain)
                other.once('drain', lambda: log('other drain', other.writableLength, other.writableNeedDrain))
                def fin():
                    log('immediate other', other.writableLength); c.end(); other.end()
                runtime.setImmediate(fin)
        c.on('data', on_data)
    s = mod.createServer({'key': key, 'cert': cert} if is_tls else {}, on_conn)

    def go():
        opts = {'port': s.address()['port'], 'rejectUnauthorized': False}
        p = mod.connect(opts)
        p.resume()
        def second():
            c = mod.connect(opts)
            got = [0]
            c.on('secureConnect' if is_tls else 'connect', lambda: c.write('a'))
            def on_data(d):
                before = got[0]; got[0] += len(d)
                if before < 5 <= got[0]: c.write('b')
                if before < 17005 <= got[0]: c.write('c')
            c.on('data', on_data)
            c.on('end', lambda: log('client got', got[0]))
        p.on('secureConnect' if is_tls else 'connect', second)
    s.listen(0, go)

tls.run(main)
"""


@pytest.mark.parametrize("mode", ["net", "tls"])
def test_writable_length_of_writes_in_a_data_listener_as_node(pems, mode):
    lines = same_lines_as_node(DISPATCH_NODE, DISPATCH_OURS, pems.path("key"), pems.path("cert"), mode)
    if mode == "tls":   # what the scenario is about, as Node printed it
        assert lines[:3] == ["w1 2 2", "w2 5 false", "immediate 0"], lines
        assert "big false 17000 true" in lines and "drain 0 false" in lines and "immediate big 0" in lines
        assert "other 4 0" in lines and "immediate other 0" in lines
        # the write with a callback behind a held one, then a burst: the callback sees all released
        assert lines.index("other big false 17004 true") < lines.index("other drain 0 false") \
            < lines.index("other cb 0"), lines


@pytest.mark.parametrize("mode", ["net", "tls"])
def test_writable_length_of_writes_on_a_connected_socket_as_node(pems, mode):
    lines = same_lines_as_node(CONNECTED_NODE, CONNECTED_OURS, pems.path("key"), pems.path("cert"), mode)
    if mode == "tls":   # what the scenario is about, as Node printed it
        assert "w9 9 9" in lines and "cb 1 8" in lines and "cb 9 0" in lines
        assert "burst 16 false 16384 true" in lines and "drain 0 false" in lines

@pytest.mark.parametrize("mode", ["net", "tls"])
def test_writable_length_of_writes_before_connect_as_node(pems, mode):
    _same_as_node(QUEUED_NODE, QUEUED_OURS, pems, mode)


@pytest.mark.parametrize("mode", ["net", "tls"])
def test_cork_uncork_as_node(pems, mode):
    _same_as_node(CORK_NODE, CORK_OURS, pems, mode)


def test_drain_after_writes_queued_before_tls_is_ready(agent1, calls, node_run):
    """A TLS 1.3 server's writes in 'secureConnection' are queued until the listeners return; once
    flushed they still count in writableLength for a tick (as Node's).  A writer that waits for
    'drain' after write() returned False must get it when they are released."""
    total = 1 << 20
    block = b"q" * 65536
    got = {"bytes": 0}

    def main():
        def on_secure(sock):
            sent = [0]

            def pump(*_):
                while sent[0] < total:
                    sent[0] += len(block)
                    if not sock.write(block):
                        sock.once("drain", calls.must_call(pump))
                        return
                sock.end()

            pump()

        server = tls.createServer({"key": agent1["key"], "cert": agent1["cert"]}, calls.must_call(on_secure))

        def listening():
            client = tls.connect(server.address()["port"], {"rejectUnauthorized": False})
            client.on("data", lambda d: got.__setitem__("bytes", got["bytes"] + len(d)))
            client.on("end", calls.must_call(lambda: server.close()))

        server.listen(0, calls.must_call(listening))

    node_run(main, timeout=10)
    assert got["bytes"] == total
