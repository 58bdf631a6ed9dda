"""bytesRead / bytesWritten of TLSSockets count plaintext, as Node 20's do (the network's bytes are the
server's getCounters()); the same program run by Node and by us prints the same numbers."""
from __future__ import annotations

import subprocess

from support.python import Script

NODE = """
const tls = require('tls'), fs = require('fs');
const [key, cert] = [fs.readFileSync(process.argv[1]), fs.readFileSync(process.argv[2])];
const s = tls.createServer({key, cert}, (c) => {
  c.on('data', (d) => c.write(Buffer.concat([d, d, d]))); c.on('end', () => c.end());
  c.on('close', () => { console.log('server', c.bytesRead, c.bytesWritten); s.close(); });
});
s.listen(0, () => {
  const c = tls.connect(s.address().port, {rejectUnauthorized: false}, () => {
    console.log('client at secure', c.bytesRead, c.bytesWritten); c.write('hello');
  });
  c.on('data', () => { console.log('client data', c.bytesRead, c.bytesWritten); c.end(); });
  c.on('close', () => console.log('client close', c.bytesRead, c.bytesWritten));
});
"""

OURS = """
import sys, tls
key, cert = open(sys.argv[1], 'rb').read(), open(sys.argv[2], 'rb').read()
def main():
    def on_conn(c):
        c.on('data', lambda d: c.write(d * 3)); c.on('end', lambda: c.end())
        c.on('close', lambda *a: (print('server', c.bytesRead, c.bytesWritten), s.close()))
    s = tls.createServer({'key': key, 'cert': cert}, on_conn)
    def go():
        c = tls.connect(s.address()['port'], {'rejectUnauthorized': False})
        c.on('secureConnect', lambda: (print('client at secure', c.bytesRead, c.bytesWritten), c.write(b'hello')))
        c.on('data', lambda d: (print('client data', c.bytesRead, c.bytesWritten), c.end()))
        c.on('close', lambda *a: print('client close', c.bytesRead, c.bytesWritten))
    s.listen(0, go)
tls.run(main)
"""


def test_tls_socket_byte_counts_match_node(pems):
    node = subprocess.run(["node", "-e", NODE, pems.path("key"), pems.path("cert")], capture_output=True,
                          text=True, timeout=30)
    assert node.returncode == 0, node.stderr
    ours = Script(OURS, pems.path("key"), pems.path("cert"))
    try:
        assert ours.wait() == 0, ours.stderr()
    finally:
        ours.close()
    assert sorted(ours.seen) == sorted(node.stdout.split("\n")[:-1])
    assert "client data 15 5" in ours.seen and "server 5 15" in ours.seen
