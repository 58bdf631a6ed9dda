"""The ``onread`` option (tls._node.onread) of net.connect and tls.connect, as Node 20 runs it.

One program written for Node and for us, on net and on TLS: the server writes 'hello world' and
the client reads it into a small buffer of its own (a fixed one; a pool handed out by a function;
a callback that returns False, or calls pause(), then resume() / read() later; an empty buffer),
never as 'data'.  Each kernel read of a net socket fills at most the buffer (Node reads straight
into it), TLS cuts the decrypted record into buffer-sized pieces; both print the same lines.
Where Node says nothing (a malformed option, which it ignores) this package refuses with a code.
"""
from __future__ import annotations

import pytest

import tls
from tls import net

from support.node import same_lines_as_node

ONREAD_NODE = r"""
const tls = require('tls'), net = require('net'), fs = require('fs');
const [key, cert] = [fs.readFileSync(process.argv[2]), fs.readFileSync(process.argv[3])];
const isTls = process.argv[4] === 'tls';
const mod = isTls ? tls : net;
const log = (...a) => console.log(a.join(' '));
const s = mod.createServer(isTls ? {key, cert} : {}, (c) => {
  c.on('error', () => {});
  c.write('hello world');
  c.resume();
});
const show = (b, n) => Buffer.from(b.buffer, b.byteOffset, n).toString('latin1');
// done after k calls: a case that sets a timer ends once its socket closed and its timer ran
const gate = (k, done) => () => { if (--k === 0) done(); };

function client(label, onread, done) {
  const c = mod.connect({port: s.address().port, rejectUnauthorized: false, onread});
  c.on('data', (d) => log(label, 'data', d.length));
  c.on('error', (e) => log(label, 'error', e.code, e.syscall, e.message));
  c.on('close', () => { log(label, 'close', c.destroyed); done(); });
  return c;
}

function counting(label, then) {
  let got = 0;
  return (n, b, c) => {
    got += n;
    log(label, 'cb', n, show(b, n));
    const r = then ? then(got) : undefined;
    if (got === 11) c().destroy();
    return r;
  };
}

const cases = [
  (done) => {
    const buf = Buffer.alloc(4);
    let c;
    const cb = counting('static');
    c = client('static', {buffer: buf, callback: (n, b) => { log('static same', b === buf); return cb(n, b, () => c); }}, done);
  },
  (done) => {
    const pool = [Buffer.alloc(2), Buffer.alloc(2), Buffer.alloc(2)];
    let calls = 0, c;
    const cb = counting('pool');
    c = client('pool', {buffer: () => pool[calls++ % 3], callback: (n, b) => {
      log('pool is', pool.indexOf(b)); return cb(n, b, () => c); }}, done);
    c.on('close', () => log('pool calls', calls));
  },
  (done) => {
    let c, first = true;
    done = gate(2, done);
    const cb = counting('false', () => {
      if (!first) return true;
      first = false;
      setTimeout(() => { log('false resume'); c.resume(); done(); }, 50);
      return false;
    });
    c = client('false', {buffer: Buffer.alloc(4), callback: (n, b) => cb(n, b, () => c)}, done);
  },
  (done) => {
    let c, first = true;
    done = gate(2, done);
    const cb = counting('pause', () => {
      if (!first) return;
      first = false;
      c.pause();
      log('pause isPaused', c.isPaused());
      setTimeout(() => { log('pause read'); c.read(0); done(); }, 50);
    });
    c = client('pause', {buffer: Buffer.alloc(4), callback: (n, b) => cb(n, b, () => c)}, done);
  },
  (done) => {
    const c = client('empty', {buffer: Buffer.alloc(0), callback: () => log('empty cb')}, done);
  },
];
function run(i) {
  // TLS never gets an empty buffer here: Node 20's TLSWrap loops on it (no error, no progress)
  while (isTls && i < cases.length && i === 4) i++;
  if (i === cases.length) { s.close(); return; }
  cases[i](() => run(i + 1));
}
s.listen(0, () => run(0));
"""

ONREAD_OURS = r"""
import sys, tls
from tls import net
from tls._node import runtime
key, cert = open(sys.argv[1], 'rb').read(), open(sys.argv[2], 'rb').read()
is_tls = sys.argv[3] == 'tls'
mod = tls if is_tls else net

def fmt(x):
    return {True: 'true', False: 'false'}.get(x, x) if isinstance(x, bool) else ('' if x is None else str(x))

def log(*a):
    print(' '.join(fmt(x) for x in a), flush=True)

def show(b, n):
    return bytes(b[:n]).decode('latin1')

def gate(k, done):   # done after k calls: a case that sets a timer ends once closed and the timer ran
    left = [k]
    def call():
        left[0] -= 1
        if left[0] == 0:
            done()
    return call

def main():
    def on_conn(c):
        c.on('error', lambda e: None)
        c.write('hello world')
        c.resume()
    s = mod.createServer({'key': key, 'cert': cert} if is_tls else {}, on_conn)

    def client(label, onread, done):
        c = mod.connect({'port': s.address()['port'], 'rejectUnauthorized': False, 'onread': onread})
        c.on('data', lambda d: log(label, 'data', len(d)))
        c.on('error', lambda e: log(label, 'error', e.code, e.syscall, e.message))
        c.on('close', lambda *a: (log(label, 'close', c.destroyed), done()))
        return c

    def counting(label, then=None):
        got = [0]
        def cb(n, b, c):
            got[0] += n
            log(label, 'cb', n, show(b, n))
            r = then(got[0]) if then else None
            if got[0] == 11:
                c().destroy()
            return r
        return cb

    def static(done):
        buf = bytearray(4)
        cb = counting('static')
        c = client('static', {'buffer': buf, 'callback': lambda n, b: (log('static same', b is buf), cb(n, b, lambda: c))[1]}, done)

    def pool_case(done):
        pool = [bytearray(2), bytearray(2), bytearray(2)]
        calls = [0]
        def buffer():
            calls[0] += 1
            return pool[(calls[0] - 1) % 3]
        cb = counting('pool')
        def callback(n, b):
            log('pool is', next(i for i, p in enumerate(pool) if p is b))
            return cb(n, b, lambda: c)
        c = client('pool', {'buffer': buffer, 'callback': callback}, done)
        c.on('close', lambda *a: log('pool calls', calls[0]))

    def false_case(done):
        first = [True]
        done = gate(2, done)
        def then(got):
            if not first[0]:
                return True
            first[0] = False
            runtime.setTimeout(lambda: (log('false resume'), c.resume(), done()), 50)
            return False
        cb = counting('false', then)
        c = client('false', {'buffer': bytearray(4), 'callback': lambda n, b: cb(n, b, lambda: c)}, done)

    def pause_case(done):
        first = [True]
        done = gate(2, done)
        def then(got):
            if not first[0]:
                return None
            first[0] = False
            c.pause()
            log('pause isPaused', c.isPaused())
            runtime.setTimeout(lambda: (log('pause read'), c.read(0), done()), 50)
            return None
        cb = counting('pause', then)
        c = client('pause', {'buffer': bytearray(4), 'callback': lambda n, b: cb(n, b, lambda: c)}, done)

    def empty(done):
        client('empty', {'buffer': bytearray(0), 'callback': lambda n, b: log('empty cb')}, done)

    cases = [static, pool_case, false_case, pause_case, empty]
    def run(i):
        while is_tls and i < len(cases) and i == 4:
            i += 1
        if i == len(cases):
            s.close()
            return
        cases[i](lambda: run(i + 1))
    s.listen(0, lambda: run(0))

tls.run(main)
"""


@pytest.mark.parametrize("mode", ["net", "tls"])
def test_onread_as_node(pems, mode):
    lines = same_lines_as_node(ONREAD_NODE, ONREAD_OURS, pems.path("key"), pems.path("cert"), mode)
    # what the scenario is about, as Node printed it
    assert not [line for line in lines if " data " in line]
    assert "pool calls 7" in lines and "static cb 3 rld" in lines
    if mode == "net":
        # a net socket's callback returning False stops the reads at once
        assert lines.index("false resume") == lines.index("false cb 4 hell") + 1
        assert "empty error ENOBUFS read read ENOBUFS" in lines
    else:
        # TLS delivers the rest of the record it decrypted, paused or not
        assert lines.index("false resume") > lines.index("false cb 3 rld")
        assert lines.index("pause read") > lines.index("pause cb 3 rld")


def _cb(nread, buf):
    return None


@pytest.mark.parametrize("onread, code", [
    (5, "ERR_INVALID_ARG_TYPE"),
    ({"buffer": b"immutable", "callback": _cb}, "ERR_INVALID_ARG_TYPE"),
    ({"buffer": "text", "callback": _cb}, "ERR_INVALID_ARG_TYPE"),
    ({"buffer": bytearray(4)}, "ERR_INVALID_ARG_TYPE"),
    ({"buffer": bytearray(4), "callback": 5}, "ERR_INVALID_ARG_TYPE"),
    ({"buffer": lambda: 5, "callback": _cb}, "ERR_INVALID_RETURN_VALUE"),
    ({"buffer": lambda: b"immutable", "callback": _cb}, "ERR_INVALID_RETURN_VALUE"),
])
def test_a_malformed_onread_is_refused(onread, code):
    """Node ignores a malformed onread (its reads then go to 'data'); here it is an error (never
    dropped): at construction, in net.Socket, tls.TLSSocket, and the connect calls."""
    for make in (lambda: net.Socket({"onread": onread}), lambda: tls.TLSSocket(None, {"onread": onread}),
                 lambda: net.connect({"port": 1, "onread": onread}),
                 lambda: tls.connect({"port": 1, "onread": onread})):
        with pytest.raises(tls.NodeError) as caught:
            make()
        assert caught.value.code == code
        assert "onread" in str(caught.value)


def test_onread_with_a_given_socket_is_honoured(pems, node_run, calls):
    """Node ignores onread when tls.connect is given a socket; here it is honoured (never dropped):
    the plaintext goes to the callback, memoryview buffers too, and 'data' stays silent."""
    buf = bytearray(16)
    view = memoryview(buf)[4:12]    # a window of a larger buffer: reads land in that window
    got = []

    def main():
        def on_secure(sock):
            sock.end(b"inner plaintext!")
            server.close()

        server = tls.createServer({"key": pems.key, "cert": pems.cert}, on_secure)

        def listening():
            raw = net.connect(server.address()["port"])

            def callback(nread, b):
                assert b is view
                got.append(bytes(b[:nread]))

            client = tls.connect({"socket": raw, "rejectUnauthorized": False,
                                  "onread": {"buffer": view, "callback": callback}})
            client.on("data", calls.must_not_call("'data'"))
            client.on("end", calls.must_call())

        server.listen(0, listening)

    node_run(main, timeout=5)
    assert got == [b"inner pl", b"aintext!"]
    assert buf[:4] == bytearray(4) and buf[12:] == bytearray(4)
