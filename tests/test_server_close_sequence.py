"""A tls.Server connection's close sequence, as Node 20 orders it: the raw socket's 'close' (with a
nextTick and a setImmediate queued from its listener), the TLSSocket's 'close', the server's
'close' -- once for a connection closing while the server listens, once for the last connection
of a closed server.  The raw socket's and the TLSSocket's destroy steps share loop callbacks
(socket_closing.py, issue 14); the order must stay Node's."""
from __future__ import annotations

from support.oracle import node_and_ours

NODE = r"""
const tls = require('tls');
const fs = require('fs');
const [key, cert] = process.argv.slice(1, 3).map((f) => fs.readFileSync(f));
const log = (s) => console.log(s);
let n = 0;
const server = tls.createServer({ key, cert });
server.on('connection', (raw) => {
  const id = ++n;
  raw.on('close', (hadError) => {
    log(`${id} raw close ${hadError}`);
    process.nextTick(() => log(`${id} tick after raw close`));
    setImmediate(() => log(`${id} immediate after raw close`));
  });
});
server.on('secureConnection', (sock) => {
  const id = n;
  sock.on('end', () => { log(`${id} end`); sock.end(); });
  sock.on('finish', () => log(`${id} finish`));
  sock.on('close', (hadError) => {
    log(`${id} tls close ${hadError}`);
    process.nextTick(() => log(`${id} tick after tls close`));
    if (id === 1) connect(); else log('second done');
  });
  if (id === 2) server.close(() => log('server close'));
});
function connect() {
  const c = tls.connect(server.address().port, { rejectUnauthorized: false }, () => c.end());
  c.resume();
}
server.listen(0, '127.0.0.1', connect);
"""

OURS = r"""
import sys
import tls
from tls._node import runtime as rt
key, cert = (open(f, 'rb').read() for f in sys.argv[1:3])
log = print
state = {'n': 0}
def main():
    server = tls.createServer({'key': key, 'cert': cert})
    def on_connection(raw):
        state['n'] += 1
        id = state['n']
        def on_close(had_error):
            log('%d raw close %s' % (id, 'true' if had_error else 'false'))
            rt.nextTick(lambda: log('%d tick after raw close' % id))
            rt.setImmediate(lambda: log('%d immediate after raw close' % id))
        raw.on('close', on_close)
    server.on('connection', on_connection)
    def on_secure(sock):
        id = state['n']
        def on_end():
            log('%d end' % id)
            sock.end()
        sock.on('end', on_end)
        sock.on('finish', lambda: log('%d finish' % id))
        def on_close(had_error):
            log('%d tls close %s' % (id, 'true' if had_error else 'false'))
            rt.nextTick(lambda: log('%d tick after tls close' % id))
            if id == 1:
                connect()
            else:
                log('second done')
        sock.on('close', on_close)
        if id == 2:
            server.close(lambda *a: log('server close'))
    server.on('secureConnection', on_secure)
    def connect():
        c = tls.connect(server.address()['port'], {'rejectUnauthorized': False}, lambda: c.end())
        c.resume()
    server.listen(0, '127.0.0.1', connect)
tls.run(main)
"""


def test_raw_then_tls_then_server_close_as_node(pems):
    node, ours = node_and_ours(NODE, OURS, pems.path("key"), pems.path("cert"))
    assert ours.status == 0, ours.stderr
    assert ours.lines == node.lines, (node.lines, ours.lines)
    assert "2 raw close false" in node.lines and "server close" in node.lines
