"""State Node 20 shows (issue 12): ``socket.servername`` inside 'tlsClientError' when the SNICallback
fails is the name sent; ``isSessionReused()`` answers false / true after 'end' and null once the socket
is destroyed.  The expected lines come from the same program run on Node 20 (support.oracle)."""
from __future__ import annotations

import pytest

from support.oracle import node_and_ours

NODE = r"""
const tls = require('tls'), fs = require('fs');
const key = fs.readFileSync(process.argv[1]), cert = fs.readFileSync(process.argv[2]);
const s = tls.createServer({key, cert, maxVersion: process.argv[3], SNICallback: (name, cb) => {
  console.log('sni', name); if (name === 'bad.example') cb(new Error('no context')); else cb(null, null); }}, (c) => {
  c.end('bye');
});
s.on('tlsClientError', (err, sock) => console.log('tlsClientError', err.code, err.message, sock.servername));
s.listen(0, () => {
  const port = s.address().port;
  const bad = tls.connect({port, servername: 'bad.example', rejectUnauthorized: false});
  bad.on('error', (e) => console.log('client error', e.code));
  bad.on('close', () => {
    let session;
    const c1 = tls.connect({port, servername: 'good.example', rejectUnauthorized: false});
    c1.on('session', (sess) => session = sess);
    c1.on('data', () => {});
    c1.on('end', () => console.log('c1 end reused', c1.isSessionReused()));
    c1.on('close', () => {
      console.log('c1 close reused', c1.isSessionReused());
      const c2 = tls.connect({port, servername: 'good.example', session, rejectUnauthorized: false});
      c2.on('data', () => {});
      c2.on('end', () => console.log('c2 end reused', c2.isSessionReused()));
      c2.on('close', () => { console.log('c2 close reused', c2.isSessionReused()); s.close(); });
    });
  });
});
"""

OURS = r"""
import sys, tls
key, cert = open(sys.argv[1], 'rb').read(), open(sys.argv[2], 'rb').read()
def js(v):
    return {None: 'null', True: 'true', False: 'false'}.get(v, v) if not isinstance(v, str) else v
def main():
    def sni(name, cb):
        print('sni', name)
        if name == 'bad.example':
            cb(Exception('no context'))
        else:
            cb(None, None)
    s = tls.createServer({'key': key, 'cert': cert, 'maxVersion': sys.argv[3], 'SNICallback': sni}, lambda c: c.end(b'bye'))
    s.on('tlsClientError', lambda err, sock: print('tlsClientError', getattr(err, 'code', 'undefined') or 'undefined', err, js(sock.servername)))
    def go():
        port = s.address()['port']
        bad = tls.connect({'port': port, 'servername': 'bad.example', 'rejectUnauthorized': False})
        bad.on('error', lambda e: print('client error', e.code))
        def after_bad(*_):
            state = {}
            c1 = tls.connect({'port': port, 'servername': 'good.example', 'rejectUnauthorized': False})
            c1.on('session', lambda sess: state.update(session=sess))
            c1.on('data', lambda d: None)
            c1.on('end', lambda: print('c1 end reused', js(c1.isSessionReused())))
            def c1_close(*_):
                print('c1 close reused', js(c1.isSessionReused()))
                c2 = tls.connect({'port': port, 'servername': 'good.example', 'session': state['session'], 'rejectUnauthorized': False})
                c2.on('data', lambda d: None)
                c2.on('end', lambda: print('c2 end reused', js(c2.isSessionReused())))
                c2.on('close', lambda *_: (print('c2 close reused', js(c2.isSessionReused())), s.close()))
            c1.on('close', c1_close)
        bad.on('close', after_bad)
    s.listen(0, go)
tls.run(main)
"""


@pytest.mark.parametrize("version", ["TLSv1.2", "TLSv1.3"])
def test_servername_in_tls_client_error_and_session_reuse_after_end(pems, version):
    args = (pems.path("key"), pems.path("cert"), version)
    node, ours = node_and_ours(NODE, OURS, *args)
    assert ours.status == 0, ours.stderr
    # Node asks the SNICallback only when a certificate is chosen, so not on a resumed handshake; we ask
    # on every handshake that sends a name (docs/spec-status.md, known difference 3): the "sni" lines are
    # left out.
    assert [line for line in ours.lines if not line.startswith("sni")] == \
        [line for line in node.lines if not line.startswith("sni")]
    assert "tlsClientError undefined no context bad.example" in node.lines
    assert node.lines[-4:] == ["c1 end reused false", "c1 close reused null",
                               "c2 end reused true", "c2 close reused null"]
