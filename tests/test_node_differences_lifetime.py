"""Program lifetime (issue 12), against the same program run on Node 20 (support.oracle).

* A program whose only socket holds data nobody reads after its peer ended (and destroyed its side)
  ends: Node's handle stops reading at EOF and is inactive unless it writes.  (While the peer's
  socket is still open in the same program, both keep running: that socket is still reading.)
* An exception thrown by a 'data' listener ends the program at once: the socket's 'error' and
  'close' listeners never run, the status is 1.
"""
from __future__ import annotations

import pytest

from support.oracle import node, ours

NODE = r"""
const [kind, mode, keyFile, certFile] = process.argv.slice(1);
const fs = require('fs'), mod = require(kind);
const opts = kind === 'tls' ? {key: fs.readFileSync(keyFile), cert: fs.readFileSync(certFile)} : {};
const s = mod.createServer(opts, (c) => { c.end('hello', () => c.destroy()); s.close(); });
s.listen(0, () => {
  const c = mod.connect({port: s.address().port, rejectUnauthorized: false}, () => console.log('connected'));
  c.on('end', () => console.log('end'));
  c.on('close', () => console.log('close'));
  if (mode === 'pause') c.pause();
  if (mode === 'throw') {
    c.on('data', () => { throw new Error('boom'); });
    c.on('error', (e) => console.log('error listener', e.message));
  }
});
"""

OURS = r"""
import sys, tls
from tls import net
kind, mode, key_file, cert_file = sys.argv[1:]
mod = tls if kind == 'tls' else net
opts = {'key': open(key_file, 'rb').read(), 'cert': open(cert_file, 'rb').read()} if kind == 'tls' else {}
def main():
    s = mod.createServer(opts, lambda c: (c.end(b'hello', lambda: c.destroy()), s.close()))
    def listening():
        connect_opts = {'port': s.address()['port']}
        if kind == 'tls':
            connect_opts['rejectUnauthorized'] = False
        c = mod.connect(connect_opts, lambda: print('connected'))
        c.on('end', lambda: print('end'))
        c.on('close', lambda: print('close'))
        if mode == 'pause':
            c.pause()
        if mode == 'throw':
            def boom(data):
                raise RuntimeError('boom')
            c.on('data', boom)
            c.on('error', lambda e: print('error listener', e))
    s.listen(0, listening)
tls.run(main)
"""


@pytest.mark.parametrize("kind", ["tls", "net"])
@pytest.mark.parametrize("mode", ["unread", "pause", "throw"])
def test_program_lifetime_matches_node(pems, kind, mode):
    args = (kind, mode, pems.path("key"), pems.path("cert"))
    expected, got = node(NODE, *args, timeout=20), ours(OURS, *args, timeout=20)
    assert (got.status, got.lines) == (expected.status, expected.lines), got.stderr
    assert expected.lines == ["connected"]
    assert expected.status == (1 if mode == "throw" else 0)
    if mode == "throw":
        assert "boom" in expected.stderr and "boom" in got.stderr
