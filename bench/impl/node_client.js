// Client under test: Node's tls, against the fixed C server.  Prints one JSON result line.
//   node node_client.js --scenario bulk|hs|resume13|echo --port P --duration S [--conns N] --ca FILE
'use strict';
const tls = require('tls');
const fs = require('fs');

const args = { host: '127.0.0.1', duration: '2', conns: '0' };
for (let i = 2; i < process.argv.length; i += 2) args[process.argv[i].replace(/^--/, '')] = process.argv[i + 1];
const scenario = args.scenario;
const duration = Number(args.duration);
let conns = Number(args.conns) || ({ bulk: 1, echo: 1 }[scenario] || 8);
if (scenario === 'bulk') conns = 1;
const ACK = 1 << 20;
const STALL = 5;

function cpuSeconds() {
  const text = fs.readFileSync('/proc/self/stat', 'utf8');
  const f = text.slice(text.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) / 100;   // USER_HZ is 100 on Linux
}
const now = () => performance.now() / 1000;

const st = { ops: 0, reused: 0, errors: 0, bytes: 0, t0: 0, t1: 0, cpu0: 0, cpu1: 0, last: now(), error: null };
// one SecureContext for all connections (passing `ca` to every connect() would build one per connection)
const secureContext = tls.createSecureContext({
  ca: fs.readFileSync(args.ca), minVersion: 'TLSv1.3', maxVersion: 'TLSv1.3', ciphers: 'TLS_AES_128_GCM_SHA256',
});
const base = { host: args.host, port: Number(args.port), servername: 'localhost', secureContext };
function start() { st.t0 = now(); st.cpu0 = cpuSeconds(); st.last = st.t0; }
function progress() { st.last = now(); }
let finished = false;
function finish() {
  if (finished) return;
  finished = true;
  st.t1 = now(); st.cpu1 = cpuSeconds();
  const secs = st.t1 - st.t0;
  let out;
  if (st.error || st.ops === 0 || secs <= 0) {
    out = { ok: false, error: st.error || 'no operation completed', ops: st.ops, errors: st.errors };
  } else {
    out = { ok: true, scenario, ops: st.ops, secs: +secs.toFixed(6),
      rate: +(scenario === 'bulk' ? st.bytes / 1e6 / secs : st.ops / secs).toFixed(3), bytes: st.bytes,
      reused: st.reused, errors: st.errors, cpu: +(st.cpu1 - st.cpu0).toFixed(4), conns };
  }
  process.stdout.write(JSON.stringify(out) + '\n');
  process.exit(0);
}
function fail(why) { st.error = why; finish(); }
const watchdog = setInterval(() => { if (now() - st.last > STALL) fail('stalled: no progress'); }, 250);
function connErr(err) {
  st.errors++;
  if (st.errors <= 3) process.stderr.write(`connection error: ${err && err.message}\n`);
  if (st.errors > 200) fail('too many connection errors');
}

function bulk() {
  const chunk = Buffer.alloc(16384, 'b');
  let sent = 0, acks = 0, stop = false, deadline = 0;
  const s = tls.connect(base, () => {
    start(); deadline = st.t0 + duration; pump();
  });
  s.setNoDelay(true);
  function check() {
    if (stop && acks * ACK >= sent) { st.bytes = sent; st.ops = sent / ACK; finish(); }
  }
  function pump() {
    for (;;) {
      if (sent % ACK === 0 && now() >= deadline) { stop = true; check(); return; }
      sent += chunk.length;
      if (!s.write(chunk)) { s.once('drain', pump); return; }
    }
  }
  s.on('data', (d) => { acks += d.length; progress(); check(); });
  s.on('error', (e) => fail('bulk connection error: ' + e.message));
}

function handshakes(resume) {
  let latest, deadline, active = conns;
  if (resume) {
    // one priming connection brings the first ticket: every measured handshake can resume
    const s = tls.connect(base, () => s.write('h'));
    s.on('session', (sess) => { latest = sess; });
    s.once('data', () => { s.end(); go(); });
    s.on('error', (e) => fail('priming connection error: ' + e.message));
  } else {
    go();
  }
  function go() {
    start(); deadline = st.t0 + duration;
    for (let i = 0; i < conns; i++) slot();
  }
  function slot() {
    if (now() >= deadline) { if (--active === 0) finish(); return; }
    const opts = resume && latest ? { ...base, session: latest } : base;
    let done = false;
    const s = tls.connect(opts, () => {
      if (s.isSessionReused()) st.reused++;
      s.write('h');
    });
    s.setNoDelay(true);
    if (resume) s.on('session', (sess) => { latest = sess; });
    s.once('data', () => {
      if (done) return;
      done = true; st.ops++; progress(); s.end(); slot();
    });
    s.on('error', (e) => { if (done) return; done = true; connErr(e); slot(); });
  }
}

function echo() {
  const msg = Buffer.alloc(64, 'e');
  const sockets = [];
  let up = 0, active = conns, deadline;
  for (let i = 0; i < conns; i++) {
    const s = tls.connect(base, () => { if (++up === conns) go(); });
    s.setNoDelay(true);
    s.on('error', (e) => fail('echo connection error: ' + e.message));
    sockets.push(s);
  }
  function go() {
    start(); deadline = st.t0 + duration;
    for (const s of sockets) {
      let got = 0;
      s.on('data', (d) => {
        got += d.length;
        while (got >= 64) {
          got -= 64; st.ops++;
          if (now() >= deadline) { s.end(); if (--active === 0) { st.bytes = st.ops * 64; finish(); } return; }
          s.write(msg);
        }
        progress();
      });
      s.write(msg);
    }
  }
}

if (scenario === 'bulk') bulk();
else if (scenario === 'hs') handshakes(false);
else if (scenario === 'resume13') handshakes(true);
else if (scenario === 'echo') echo();
else { console.error('unknown scenario ' + scenario); process.exit(2); }
