"""Construction without a loop (issue 12): ``tls.createServer`` / ``net.createServer`` (and
``new net.Socket``) validate their options synchronously anywhere and bind the loop at ``listen()``
(``connect()``), as Node builds them at a module's top level.  Expected output from Node 20."""
from __future__ import annotations

from support.oracle import node_and_ours

NODE = r"""
const tls = require('tls'), net = require('net'), fs = require('fs');
const [key, cert] = process.argv.slice(1, 3).map((f) => fs.readFileSync(f));
for (const [label, make] of [['tls key', () => tls.createServer({key: 5})],
                             ['tls handshakeTimeout', () => tls.createServer({handshakeTimeout: 'x'})],
                             ['net highWaterMark', () => new net.Socket({highWaterMark: -1})]]) {
  try { make(); console.log(label, 'ok'); } catch (e) { console.log(label, e.code, e.message); }
}
// made before anything runs; listening later, on the loop then running
const server = tls.createServer({key, cert}, (c) => c.end('hi'));
const plain = net.createServer((c) => c.end('plain'));
const sock = new net.Socket();
setImmediate(() => {
  server.listen(0, () => {
    const c = tls.connect(server.address().port, {rejectUnauthorized: false});
    c.on('data', (d) => console.log('tls data', d.toString()));
    c.on('close', () => {
      server.close();
      plain.listen(0, () => {
        sock.connect(plain.address().port);
        sock.on('data', (d) => console.log('net data', d.toString()));
        sock.on('close', () => plain.close());
      });
    });
  });
});
"""

OURS = r"""
import sys, tls
from tls import net
key, cert = (open(f, 'rb').read() for f in sys.argv[1:3])
for label, make in [('tls key', lambda: tls.createServer({'key': 5})),
                    ('tls handshakeTimeout', lambda: tls.createServer({'handshakeTimeout': 'x'})),
                    ('net highWaterMark', lambda: net.Socket({'highWaterMark': -1}))]:
    try:
        make(); print(label, 'ok')
    except Exception as e:
        print(label, e.code, e.message)
# made before any loop exists; listening later, inside tls.run
server = tls.createServer({'key': key, 'cert': cert}, lambda c: c.end(b'hi'))
plain = net.createServer(lambda c: c.end(b'plain'))
sock = net.Socket()
def main():
    def listening():
        c = tls.connect(server.address()['port'], {'rejectUnauthorized': False})
        c.on('data', lambda d: print('tls data', d.decode()))
        def on_close():
            server.close()
            def plain_listening():
                sock.connect(plain.address()['port'])
                sock.on('data', lambda d: print('net data', d.decode()))
                sock.on('close', lambda: plain.close())
            plain.listen(0, plain_listening)
        c.on('close', on_close)
    server.listen(0, listening)
tls.run(main)
"""


def test_servers_and_sockets_made_before_any_loop(pems):
    node, ours = node_and_ours(NODE, OURS, pems.path("key"), pems.path("cert"))
    assert ours.status == 0, ours.stderr
    assert ours.lines == node.lines
    assert node.lines[-2:] == ["tls data hi", "net data plain"]
