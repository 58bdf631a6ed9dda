"""SIGTERM during traffic: the server stops accepting, open connections finish, then tls.run ends (exit 0)."""
from __future__ import annotations

import json
import signal
import socket
import ssl

import pytest

from support.python import Script

SERVER = """
import json, sys, tls
key, cert = open(sys.argv[1], 'rb').read(), open(sys.argv[2], 'rb').read()
def main():
    server = tls.createServer({'key': key, 'cert': cert})
    def on_secure(s):
        s.on('data', s.write)
        s.on('end', s.end)
    server.on('secureConnection', on_secure)
    def stop(name, number):
        server.close(lambda *a: print('closed', json.dumps(server.getCounters()), flush=True))
        print('stopping', flush=True)
    tls.process.on('SIGTERM', stop)
    server.listen(0, '127.0.0.1', lambda: print('listening', server.address()['port'], flush=True))
tls.run(main)
print('ended', flush=True)
"""


def test_sigterm_during_traffic_lets_open_connections_finish(pems):
    script = Script(SERVER, pems.path("key"), pems.path("cert"))
    try:
        port = int(script.expect("listening").split()[1])
        ctx = ssl.create_default_context(cafile=pems.path("ca"))
        conn = ctx.wrap_socket(socket.create_connection(("127.0.0.1", port), timeout=10),
                               server_hostname="localhost")
        conn.sendall(b"before")
        assert conn.recv(100) == b"before"

        script.send_signal(signal.SIGTERM)
        script.expect("stopping")
        with pytest.raises(ConnectionRefusedError):      # no new connection once closing
            socket.create_connection(("127.0.0.1", port), timeout=10)
        for n in range(20):                              # the open one keeps working
            message = b"during %d" % n
            conn.sendall(message)
            assert conn.recv(100) == message
        conn.unwrap()                                    # close_notify: the server ends its side too
        conn.close()

        closed = script.expect("closed")
        assert script.wait() == 0, script.stderr()
    finally:
        script.close()
    counters = json.loads(closed.split(" ", 1)[1])
    assert counters["handshakes"] == {"full": 1, "resumed": 0}
    assert counters["connections"] == 0
    assert counters["bytesRead"] > len(b"before") + 20 * len(b"during 10")
    assert script.seen[-1] == "ended"
