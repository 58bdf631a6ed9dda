"""A bulk writer's 'drain's chain within one loop turn, as Node's do (write_hold.py, "The release pass").

Node reports a TLS write that the kernel took at once done from a native immediate, and runs the native
immediates queued meanwhile in the same pass: a writer that writes again in 'drain' gets its next 'drain'
without the loop polling, until the kernel pushes back.  Each scenario is one program written for Node and
for tls; they print the same lines.  The counts themselves depend on the kernel's buffers, so the programs
print what Node guarantees: several 'drain's between two setImmediate callbacks, the loop still turning
(the chain ends), and a timer firing while a paused reader holds the writer back.
"""
from __future__ import annotations

import socket
import ssl
import threading

import tls
from tls._node import write_hold as _write_hold

from support.node import same_lines_as_node

CHAIN_NODE = r"""
const tls = require('tls'), fs = require('fs');
const [key, cert] = [fs.readFileSync(process.argv[2]), fs.readFileSync(process.argv[3])];
const s = tls.createServer({key, cert}, (c) => { c.resume(); c.on('end', () => c.end()); });
s.listen(0, () => {
  const c = tls.connect({port: s.address().port, rejectUnauthorized: false}, () => {
    let drains = 0, ticks = 0, run = 0, maxrun = 0;
    const chunk = Buffer.alloc(16384, 98);
    function tick() { ticks++; maxrun = Math.max(maxrun, run); run = 0; if (drains < 600) setImmediate(tick); }
    setImmediate(tick);
    function pump() {
      for (;;) {
        if (drains >= 600) {
          maxrun = Math.max(maxrun, run);
          console.log('chained ' + (maxrun >= 4));
          console.log('loop turned ' + (ticks >= 2));
          c.end(); c.on('close', () => s.close());
          return;
        }
        if (!c.write(chunk)) { c.once('drain', () => { drains++; run++; pump(); }); return; }
      }
    }
    pump();
  });
  c.resume();
});
"""

CHAIN_OURS = r"""
import sys, tls
from tls._node import runtime
key, cert = open(sys.argv[1], 'rb').read(), open(sys.argv[2], 'rb').read()

def main():
    def on_conn(c):
        c.resume(); c.on('end', lambda: c.end())
    s = tls.createServer({'key': key, 'cert': cert}, on_conn)
    def go():
        st = {'drains': 0, 'ticks': 0, 'run': 0, 'maxrun': 0}
        chunk = b'b' * 16384
        def tick():
            st['ticks'] += 1; st['maxrun'] = max(st['maxrun'], st['run']); st['run'] = 0
            if st['drains'] < 600:
                runtime.setImmediate(tick)
        def on_drain():
            st['drains'] += 1; st['run'] += 1; pump()
        def pump():
            while True:
                if st['drains'] >= 600:
                    st['maxrun'] = max(st['maxrun'], st['run'])
                    print('chained ' + ('true' if st['maxrun'] >= 4 else 'false'), flush=True)
                    print('loop turned ' + ('true' if st['ticks'] >= 2 else 'false'), flush=True)
                    c.end(); c.on('close', lambda *a: s.close())
                    return
                if not c.write(chunk):
                    c.once('drain', on_drain)
                    return
        def secure():
            runtime.setImmediate(tick)
            pump()
        c = tls.connect({'port': s.address()['port'], 'rejectUnauthorized': False}, secure)
        c.resume()
    s.listen(0, go)

tls.run(main)
"""

PAUSED_NODE = r"""
const tls = require('tls'), fs = require('fs');
const [key, cert] = [fs.readFileSync(process.argv[2]), fs.readFileSync(process.argv[3])];
let peer;
const s = tls.createServer({key, cert}, (c) => { peer = c; c.pause(); c.on('end', () => c.end()); });
s.listen(0, () => {
  const c = tls.connect({port: s.address().port, rejectUnauthorized: false}, () => {
    const chunk = Buffer.alloc(16384, 98);
    let drained = 0, stopped = false;
    function pump() {
      while (!stopped) {
        if (!c.write(chunk)) { c.once('drain', () => { drained++; pump(); }); return; }
      }
    }
    pump();
    setTimeout(() => {
      stopped = true;
      console.log('timer fired while held ' + c.writableNeedDrain);
      c.once('drain', () => { console.log('drain once the reader reads'); c.end(); });
      peer.resume();
    }, 100);
  });
  c.resume();
  c.on('close', () => s.close());
});
"""

PAUSED_OURS = r"""
import sys, tls
from tls._node import runtime
key, cert = open(sys.argv[1], 'rb').read(), open(sys.argv[2], 'rb').read()

def main():
    st = {'peer': None, 'stopped': False}
    def on_conn(c):
        st['peer'] = c; c.pause(); c.on('end', lambda: c.end())
    s = tls.createServer({'key': key, 'cert': cert}, on_conn)
    def go():
        chunk = b'b' * 16384
        def pump():
            while not st['stopped']:
                if not c.write(chunk):
                    c.once('drain', pump)
                    return
        def later():
            st['stopped'] = True
            print('timer fired while held ' + ('true' if c.writableNeedDrain else 'false'), flush=True)
            def drained():
                print('drain once the reader reads', flush=True); c.end()
            c.once('drain', drained)
            st['peer'].resume()
        def secure():
            pump()
            runtime.setTimeout(later, 100)
        c = tls.connect({'port': s.address()['port'], 'rejectUnauthorized': False}, secure)
        c.resume()
        c.on('close', lambda *a: s.close())
    s.listen(0, go)

tls.run(main)
"""


def test_drains_chain_within_a_loop_turn_as_node(pems):
    lines = same_lines_as_node(CHAIN_NODE, CHAIN_OURS, pems.path("key"), pems.path("cert"))
    assert lines == ["chained true", "loop turned true"], lines


def test_the_chain_ends_when_the_reader_stops_as_node(pems):
    lines = same_lines_as_node(PAUSED_NODE, PAUSED_OURS, pems.path("key"), pems.path("cert"))
    assert lines == ["timer fired while held true", "drain once the reader reads"], lines


def test_a_release_pass_is_bounded(server_cert, ca):
    """A reader as fast as the writer (a Python ssl client in a thread reading as fast as it can) never
    pushes back: a pass stops after RELEASE_PASS_LIMIT 'drain's and the loop turns in between."""
    key = server_cert.private_key_pem.bytes()
    cert = b"".join(blob.bytes() for blob in server_cert.cert_chain_pems)
    client_ctx = ssl.create_default_context(cadata=ca.cert_pem.bytes().decode())
    total = 6 * _write_hold.RELEASE_PASS_LIMIT * 16384
    runs = []

    def reader(port: int) -> None:
        with socket.create_connection(("127.0.0.1", port)) as raw:
            with client_ctx.wrap_socket(raw, server_hostname="localhost") as s:
                while s.recv(1 << 20):   # to the server's close_notify
                    pass

    def main():
        state = {"sent": 0, "run": 0}

        def on_conn(c):
            chunk = b"r" * 16384

            def tick():
                runs.append(state["run"])
                state["run"] = 0
                if state["sent"] < total:
                    tls._node.runtime.setImmediate(tick)

            def on_drain():
                state["run"] += 1
                pump()

            def pump():
                while state["sent"] < total:
                    state["sent"] += len(chunk)
                    if not c.write(chunk):
                        c.once("drain", on_drain)
                        return
                c.end()
                server.close()

            tls._node.runtime.setImmediate(tick)
            pump()

        server = tls.createServer({"key": key, "cert": cert}, on_conn)

        def listening():
            threading.Thread(target=reader, args=(server.address()["port"],), daemon=True).start()

        server.listen(0, "127.0.0.1", listening)

    tls.run(main)
    assert sum(runs) > 0 and len(runs) >= 6, runs
    assert max(runs) <= _write_hold.RELEASE_PASS_LIMIT, runs
