"""Port of test/parallel/test-tls-max-send-fragment.js.

``setMaxSendFragment(size)`` is False outside 512..16384 and True for 768;
a 10000-byte ``end(buf)`` then reaches the client whole, followed by 'end'.
Node's test asserts that every 'data' chunk is at most 768 bytes, which holds
in Node because its TLS reader hands each record's plaintext to 'data'
separately.  Our reader delivers everything decrypted from one network read
as one chunk, so here the record sizes are checked where they are decided:
on the wire (a relay counts the TLS records), and with a Node client, whose
'data' chunks are single records.
"""
import json
import math

import pytest

import tls

from support.node_style import RecordTap, node

MAX_CHUNK = 768
SIZE = 10000
APPLICATION_DATA = 23
GCM_OVERHEAD = 8 + 16  # TLS 1.2 AES-GCM: explicit nonce + tag


def fragment_server(agent1, fragment=True, **extra):
    def on_connection(c):
        if fragment:
            # lower and upper limits
            assert c.setMaxSendFragment(511) is False
            assert c.setMaxSendFragment(16385) is False
            # correct fragment size
            assert c.setMaxSendFragment(MAX_CHUNK) is True
        c.end(bytes(SIZE))

    return tls.createServer({"key": agent1["key"], "cert": agent1["cert"], **extra}, on_connection)


def test_max_send_fragment(agent1, calls, node_run):
    received = [0]

    def main():
        server = fragment_server(agent1)

        def listening():
            def on_secure():
                def on_data(chunk):
                    received[0] += len(chunk)

                def on_end(*a):
                    c.destroy()
                    server.close()
                    assert received[0] == SIZE

                c.on("data", on_data)
                # ensure that we receive 'end' event anyway
                c.on("end", calls.must_call(on_end))

            c = tls.connect(server.address()["port"], {"rejectUnauthorized": False}, calls.must_call(on_secure))

        server.listen(0, calls.must_call(listening))

    node_run(main)
    assert received[0] == SIZE


def capture(agent1, calls, node_run, fragment, **server_extra):
    """Records (type, length) the server sent, seen by a relay."""
    taps = []

    def main():
        server = fragment_server(agent1, fragment, **server_extra)

        def listening():
            tap = RecordTap(server.address()["port"])
            taps.append(tap)
            c = tls.connect(tap.port, "127.0.0.1", {"rejectUnauthorized": False})
            got = [0]
            c.on("data", lambda chunk: got.__setitem__(0, got[0] + len(chunk)))

            def on_end(*a):
                assert got[0] == SIZE
                c.end()
                server.close()

            c.on("end", calls.must_call(on_end))

        server.listen(0, "127.0.0.1", listening)

    node_run(main)
    taps[0].join()
    return taps[0].records


def test_records_on_the_wire_tls12(agent1, calls, node_run):
    records = capture(agent1, calls, node_run, True, maxVersion="TLSv1.2",
                      ciphers="ECDHE-RSA-AES128-GCM-SHA256")
    payloads = [length - GCM_OVERHEAD for rtype, length in records if rtype == APPLICATION_DATA]
    assert sum(payloads) == SIZE
    assert max(payloads) == MAX_CHUNK
    assert len(payloads) == math.ceil(SIZE / MAX_CHUNK)


def test_records_on_the_wire_tls13(agent1, calls, node_run):
    records = capture(agent1, calls, node_run, True, maxVersion="TLSv1.3")
    # TLS 1.3 wraps every record after ServerHello as application_data
    # (plaintext + 1 content-type byte + 16-byte tag): the handshake flight
    # and tickets (sent before the limit was set), then the 10000 bytes in
    # 13 x 768 + 16, then close_notify (2 bytes).
    lengths = [length for rtype, length in records if rtype == APPLICATION_DATA]
    tail = [MAX_CHUNK + 17] * (SIZE // MAX_CHUNK) + [SIZE % MAX_CHUNK + 17, 2 + 17]
    assert lengths[-len(tail):] == tail
    assert max(lengths[:-len(tail)]) > MAX_CHUNK + 17  # the certificate flight was not limited


def test_default_records_are_not_split(agent1, calls, node_run):
    """Without setMaxSendFragment the same write is one record (the relay sees the difference)."""
    records = capture(agent1, calls, node_run, False, maxVersion="TLSv1.2",
                      ciphers="ECDHE-RSA-AES128-GCM-SHA256")
    payloads = [length - GCM_OVERHEAD for rtype, length in records if rtype == APPLICATION_DATA]
    assert payloads == [SIZE]


NODE_CLIENT = r"""
const tls = require('tls');
const c = tls.connect({port: +process.argv[1], host: '127.0.0.1', rejectUnauthorized: false});
let max = 0, total = 0;
c.on('data', (chunk) => { max = Math.max(max, chunk.length); total += chunk.length; });
c.on('end', () => { console.log(JSON.stringify({max, total})); c.end(); });
"""


def test_node_client_sees_small_records(agent1, calls, node_run):
    """Node's own assertion, with Node as the client: every 'data' chunk <= 768 bytes."""
    def main():
        server = fragment_server(agent1)

        def on_exit(code, out, err):
            assert code == 0, err
            result = json.loads(out.decode().strip().splitlines()[-1])
            assert result == {"max": MAX_CHUNK, "total": SIZE}
            server.close()

        server.listen(0, "127.0.0.1",
                      lambda: node(NODE_CLIENT, str(server.address()["port"]), on_exit=calls.must_call(on_exit)))

    node_run(main)


@pytest.mark.parametrize("value,code", [
    ("1", "ERR_INVALID_ARG_TYPE"), (None, "ERR_INVALID_ARG_TYPE"), (True, "ERR_INVALID_ARG_TYPE"),
    (1.5, "ERR_OUT_OF_RANGE"), (float("nan"), "ERR_OUT_OF_RANGE"), (2 ** 31, "ERR_OUT_OF_RANGE"),
])
def test_set_max_send_fragment_validation(value, code, agent1, calls, node_run):
    """validateInt32(size, 'size') as Node 20; -1 is a valid int32 that OpenSSL refuses (False)."""
    def main():
        def on_connection(c):
            with pytest.raises(tls.NodeError) as info:
                c.setMaxSendFragment(value)
            assert info.value.code == code
            assert c.setMaxSendFragment(-1) is False
            assert c.setMaxSendFragment(512) is True
            assert c.setMaxSendFragment(16384) is True
            c.end()

        server = tls.createServer({"key": agent1["key"], "cert": agent1["cert"]}, calls.must_call(on_connection))

        def listening():
            c = tls.connect(server.address()["port"], {"rejectUnauthorized": False})
            c.resume()
            c.on("end", calls.must_call(lambda *a: server.close()))

        server.listen(0, listening)

    node_run(main)
