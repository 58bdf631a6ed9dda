"""The Node ``net`` scripts of the tls.net tests and the Python twin of their event recorder.

A script gets its settings as ``A`` (argv[1], JSON), reports with ``out({...})``
one JSON line on stdout and takes commands as JSON lines on stdin
(``commands``); run it with ``NodePeer(script, settings, prelude=False)``
(the ``node`` fixture in tests/conftest.py does).  ``record`` in JS and in
Python attach the same listeners and log the same strings, so the two logs
compare as lists.
"""
from __future__ import annotations

from typing import Any, Callable, Dict, List

JS_PRELUDE = r"""
const net = require('net'), crypto = require('crypto'), readline = require('readline');
const out = (o) => process.stdout.write(JSON.stringify(o) + '\n');
const A = JSON.parse(process.argv[1] || '{}');
const commands = [];
readline.createInterface({input: process.stdin}).on('line', (l) => { const m = JSON.parse(l); for (const f of commands) f(m); });
process.stdin.unref && process.stdin.unref();
const errFields = (e) => ({message: e.message, code: e.code, errno: e.errno, syscall: e.syscall,
                           address: e.address, port: e.port, hostname: e.hostname});
function record(sock, log, withData = true) {
  sock.on('lookup', () => log.push('lookup'));
  for (const e of ['connect', 'ready', 'end', 'finish', 'timeout', 'drain']) sock.on(e, () => log.push(e));
  if (withData) sock.on('data', (d) => {
    const t = typeof d === 'string' ? d : d.toString('latin1');
    if (log.length && log[log.length - 1].startsWith('data:')) log[log.length - 1] += t; else log.push('data:' + t);
  });
  sock.on('error', (e) => log.push('error:' + e.code));
  sock.on('close', (h) => log.push('close:' + h));
}
const wcb = (log, tag) => (e) => log.push(tag + ':' + (e ? e.code : 'ok'));
"""

# A server: per connection, record the socket's events, run A.onConnection /
# A.onEnd (JS source, with `s`, `log`, `srv` in scope), report {events} at 'close'.
SERVER_JS = JS_PRELUDE + r"""
const srv = net.createServer(A.serverOptions || {}, (s) => {
  const log = [];
  if (A.pauseFirst) s.pause();
  record(s, log, A.recordData !== false);
  if (A.onConnection) eval(A.onConnection);
  if (A.onEnd) s.on('end', () => eval(A.onEnd));
  s.on('close', () => setImmediate(() => out({events: log})));
});
srv.listen(A.listenPort || 0, A.host || '127.0.0.1', () => out({port: srv.address().port}));
"""

# A client: connect with A.options, run A.pre right away, A.onConnect / A.onEnd
# on those events, report {events} after 'close'.
CLIENT_JS = JS_PRELUDE + r"""
const log = [];
const c = net.connect(A.options);
record(c, log, A.recordData !== false);
if (A.pre) eval(A.pre);
if (A.onConnect) c.on('connect', () => eval(A.onConnect));
if (A.onEnd) c.on('end', () => eval(A.onEnd));
c.on('close', () => setImmediate(() => { out({events: log}); process.exit(0); }));
"""


def record(sock: Any, log: List[str], with_data: bool = True) -> None:
    """The Python twin of the JS ``record``: same listeners, same strings."""
    sock.on("lookup", lambda *a: log.append("lookup"))
    for name in ("connect", "ready", "end", "finish", "timeout", "drain"):
        sock.on(name, lambda *a, name=name: log.append(name))
    if with_data:
        def on_data(chunk: Any) -> None:
            text = chunk if isinstance(chunk, str) else chunk.decode("latin-1")
            if log and log[-1].startswith("data:"):
                log[-1] += text
            else:
                log.append("data:" + text)
        sock.on("data", on_data)
    sock.on("error", lambda err: log.append("error:%s" % getattr(err, "code", None)))
    sock.on("close", lambda had: log.append("close:%s" % ("true" if had else "false")))


def wcb(log: List[str], tag: str) -> Callable[..., None]:
    return lambda err=None: log.append("%s:%s" % (tag, err.code if err else "ok"))


def err_fields(err: Any, keys: Any) -> Dict[str, Any]:
    """The Python twin of the JS ``errFields``: the ``keys`` our error has, as Node names them.

    Node's ``errno`` (libuv's negative number) is our ``nodeErrno``: an error that is also a Python
    ``OSError`` has Python's positive number in ``errno`` (see tls._base.error_kinds)."""
    fields = {}
    for key in keys:
        value = getattr(err, "nodeErrno" if key == "errno" else key, None)
        if value is not None:
            fields[key] = value
    return fields
