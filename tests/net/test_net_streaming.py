"""tls.net (Node's net): bulk transfer, backpressure and encodings, against Node 20 over loopback.

16 MiB both ways against Node and ourselves, write() returning false and
'drain' against a paused Node reader, setEncoding / write encodings compared
with Node.  Same harness as tests/net/test_net_event_order.py.
"""
from __future__ import annotations

import asyncio
import hashlib
import json
import os
import random
from typing import Any, Dict, List

import pytest

from tls import net
from tls.errors import NodeError

from support.aio import arun, future_event, settle, wait, when
from support.net_scripts import CLIENT_JS, JS_PRELUDE, SERVER_JS, record, wcb

MiB = 1024 * 1024


# -- 16 MiB both ways ------------------------------------------------------------------------

BULK_JS = JS_PRELUDE + r"""
function duplex(sock) {
  const N = A.size, rh = crypto.createHash('sha256'), wh = crypto.createHash('sha256');
  let rn = 0, wn = 0, wdone = false, rdone = false;
  const finish = () => { if (wdone && rdone) out({sent: wh.digest('hex'), recv: rh.digest('hex'), recvBytes: rn,
                                                  bytesRead: sock.bytesRead, bytesWritten: sock.bytesWritten}); };
  sock.on('data', (d) => { rh.update(d); rn += d.length; });
  sock.on('end', () => { rdone = true; finish(); });
  const go = () => {
    while (wn < N) {
      const n = Math.min(N - wn, 1 + crypto.randomInt(A.maxChunk));
      const b = crypto.randomBytes(n); wh.update(b); wn += n;
      if (!sock.write(b)) { sock.once('drain', go); return; }
    }
    sock.end(() => { wdone = true; finish(); });
  };
  go();
}
if (A.port) {
  const c = net.connect({port: A.port, host: A.host, allowHalfOpen: true}, () => duplex(c));
} else {
  const srv = net.createServer({allowHalfOpen: true}, (s) => { duplex(s); s.on('close', () => srv.close()); });
  srv.listen(0, A.host, () => out({port: srv.address().port}));
}
"""


async def _py_duplex(sock: net.Socket, size: int, max_chunk: int, respect_backpressure: bool = True) -> Dict[str, Any]:
    """Send ``size`` random bytes in random-size writes while hashing what comes in."""
    recv_hash = hashlib.sha256()
    counts = {"recv": 0, "false": 0, "drain": 0}
    ended = asyncio.get_running_loop().create_future()

    def on_data(chunk: bytes) -> None:
        recv_hash.update(chunk)
        counts["recv"] += len(chunk)

    sock.on("data", on_data)
    sock.on("end", lambda: ended.set_result(None))
    sock.on("drain", lambda: counts.__setitem__("drain", counts["drain"] + 1))
    sent_hash = hashlib.sha256()
    sent = 0
    rng = random.Random()
    while sent < size:
        n = min(size - sent, rng.randint(1, max_chunk))
        chunk = rng.randbytes(n)
        sent_hash.update(chunk)
        sent += n
        if not sock.write(chunk):
            counts["false"] += 1
            assert sock.writableLength >= sock.writableHighWaterMark
            if respect_backpressure:
                await wait(when(sock, "drain"), 20)
        else:
            assert sock.writableLength < sock.writableHighWaterMark
    finished = future_event(sock, "finish")
    sock.end()
    await wait(finished, 20)
    await wait(ended, 20)
    return {"sent": sent_hash.hexdigest(), "recv": recv_hash.hexdigest(), "recvBytes": counts["recv"],
            "false": counts["false"], "drain": counts["drain"]}


SIZE = 16 * MiB


def test_16mib_both_ways_with_node_server(node):
    async def body():
        peer = node(BULK_JS, {"size": SIZE, "maxChunk": 200000, "host": "127.0.0.1"})
        port = (await peer.recv())["port"]
        c = net.connect({"port": port, "host": "127.0.0.1", "allowHalfOpen": True})
        await wait(when(c, "connect"))
        closed = future_event(c, "close")
        ours = await _py_duplex(c, SIZE, 200000)
        theirs = await peer.recv()
        await wait(closed)
        assert ours["recvBytes"] == SIZE == theirs["recvBytes"]
        assert ours["recv"] == theirs["sent"]
        assert ours["sent"] == theirs["recv"]
        assert c.bytesRead == SIZE and c.bytesWritten == SIZE
        assert ours["drain"] == ours["false"]  # every False was followed by one 'drain'

    arun(body, limit=60)


def test_16mib_both_ways_with_node_client(node):
    async def body():
        results: "asyncio.Future[Any]" = asyncio.get_running_loop().create_future()

        def on_connection(s):
            task = asyncio.ensure_future(_py_duplex(s, SIZE, 100000))
            task.add_done_callback(lambda t: results.set_result((s, t.result())))

        srv = net.createServer({"allowHalfOpen": True}, on_connection)
        srv.listen(0, "127.0.0.1")
        await wait(when(srv, "listening"))
        peer = node(BULK_JS, {"size": SIZE, "maxChunk": 100000, "host": "127.0.0.1",
                              "port": srv.address()["port"]})
        s, ours = await wait(results, 60)
        theirs = await peer.recv(30)
        assert ours["recv"] == theirs["sent"] and ours["sent"] == theirs["recv"]
        assert s.bytesRead == SIZE == s.bytesWritten == theirs["bytesRead"] == theirs["bytesWritten"]
        srv.close()
        await wait(when(srv, "close"))

    arun(body, limit=60)


def test_16mib_both_ways_ours_to_ours_ignoring_backpressure():
    """Our server and client; the client writes everything at once (all buffered)."""
    async def body():
        server_result: "asyncio.Future[Any]" = asyncio.get_running_loop().create_future()

        def on_connection(s):
            task = asyncio.ensure_future(_py_duplex(s, SIZE, 300000))
            task.add_done_callback(lambda t: server_result.set_result(t.result()))

        srv = net.createServer({"allowHalfOpen": True}, on_connection)
        srv.listen(0, "127.0.0.1")
        await wait(when(srv, "listening"))
        c = net.connect({"port": srv.address()["port"], "host": "127.0.0.1", "allowHalfOpen": True})
        client = await _py_duplex(c, SIZE, 70000, respect_backpressure=False)
        server = await wait(server_result, 30)
        assert client["recv"] == server["sent"] and client["sent"] == server["recv"]
        # write() said False, but end() came before the buffer emptied: no 'drain' (as in Node)
        assert client["false"] > 0 and client["drain"] == 0
        srv.close()
        await wait(when(srv, "close"))

    arun(body, limit=60)


# -- backpressure ------------------------------------------------------------------------------

def test_write_returns_false_then_drain_with_a_paused_node_reader(node):
    """write() is False once 16 KiB are not taken by the kernel; 'drain' comes when
    the peer reads again; write callbacks run once the bytes are in the kernel."""
    async def body():
        server = node(SERVER_JS, {"pauseFirst": True, "recordData": False, "onConnection": r"""
            const h = crypto.createHash('sha256'); let n = 0;
            s.on('data', (d) => { h.update(d); n += d.length; });
            s.pause();
            commands.push((m) => { if (m.resume) s.resume(); });
            s.on('end', () => out({sha: h.digest('hex'), n}));
            out({accepted: true});
        """})
        port = (await server.recv())["port"]
        c = net.connect(port, "127.0.0.1")
        assert c.writableHighWaterMark == 16384
        log: List[str] = []
        await wait(when(c, "connect"))
        # Node's connection listener has run (under load it may come after the writes below): a 'resume'
        # command sent before it wired its command handler would be lost, the reader paused for good
        await server.recv_key("accepted")
        assert c.write(b"x") is True
        h = hashlib.sha256(b"x")
        chunk = os.urandom(64 * 1024)
        writes = 0
        while True:
            writes += 1
            h.update(chunk)
            if not c.write(chunk, wcb(log, "cb%d" % writes)):
                break
            assert writes < 2000, "the kernel never pushed back"
            await asyncio.sleep(0)  # let the transport flush into the kernel
        assert c.writableLength >= 16384 and c.writableNeedDrain
        drained = asyncio.get_running_loop().create_future()
        c.on("drain", lambda: (log.append("drain"), drained.set_result(c.writableLength)))
        await settle(20)
        if not drained.done():
            # Still held here: the last callback waits for the kernel. (Under load the kernel may grow the
            # paused reader's receive buffer meanwhile and take it all: then 'drain' came first, as below.)
            assert "cb%d:ok" % writes not in log
        server.send({"resume": True})
        assert await wait(drained) == 0
        await settle()
        assert log.index("drain") < log.index("cb%d:ok" % writes)  # Node: 'drain', then the last callback
        assert log[-1] == "cb%d:ok" % writes
        assert [x for x in log if x.startswith("cb")] == ["cb%d:ok" % i for i in range(1, writes + 1)]
        closed = future_event(c, "close")
        c.end()
        result = await server.recv_key("sha")
        assert result == {"sha": h.hexdigest(), "n": 1 + writes * len(chunk)}
        await wait(closed)

    arun(body)


def test_writes_before_connect_count_and_drain(node):
    """Queued before connect: writableLength counts them, False past 16 KiB,
    'drain' once they are flushed."""
    async def body():
        server = node(SERVER_JS, {"onConnection": "s.resume()", "recordData": False})
        port = (await server.recv())["port"]
        ref = node(CLIENT_JS, {"options": {"port": port, "host": "127.0.0.1"}, "recordData": False, "pre": r"""
            log.push('w1:' + c.write('a'), 'len:' + c.writableLength,
                     'w2:' + c.write(Buffer.alloc(20000)), 'len:' + c.writableLength, 'need:' + c.writableNeedDrain);
            c.on('connect', () => { log.push('len:' + c.writableLength); c.end(); });
        """})
        expected = (await ref.recv())["events"]
        c = net.Socket()
        log: List[str] = []
        record(c, log, with_data=False)
        closed = future_event(c, "close")
        c.connect(port, "127.0.0.1")
        log += ["w1:%s" % str(c.write("a")).lower(), "len:%d" % c.writableLength,
                "w2:%s" % str(c.write(bytes(20000))).lower(), "len:%d" % c.writableLength,
                "need:%s" % str(c.writableNeedDrain).lower()]
        c.on("connect", lambda: (log.append("len:%d" % c.writableLength), c.end()))
        await wait(closed)
        assert log == expected
        # 'connect' first here: record()'s listener was added before the
        # writes, and Node flushes them from a 'connect' listener of its own
        assert expected[:7] == ["w1:true", "len:1", "w2:false", "len:20001", "need:true", "connect", "drain"]
        assert c.bytesWritten == 20001

    arun(body)


def test_pause_stops_reading_and_the_peer_feels_it(node):
    """pause(): nothing is read past 16 KiB, the Node writer stalls; resume(): all of it arrives."""
    size = 32 * MiB

    async def body():
        server = node(SERVER_JS, {"recordData": False, "onConnection": r"""
            const buf = crypto.randomBytes(A.size);
            out({sha: crypto.createHash('sha256').update(buf).digest('hex')});
            s.write(buf, () => out({flushed: true}));
            s.end();
            let last = -1, same = 0;
            const iv = setInterval(() => {
              const w = s.writableLength;
              if (w > 0 && w === last) { if (++same === 4) out({stalled: w}); } else same = 0;
              last = w;
            }, 40);
            s.on('close', () => clearInterval(iv));
        """, "size": size})
        port = (await server.recv())["port"]
        c = net.connect(port, "127.0.0.1")
        c.pause()
        chunks: List[bytes] = []
        c.on("data", chunks.append)  # a 'data' listener does not resume an explicitly paused socket
        sha = (await server.recv())["sha"]
        stalled = await server.recv_key("stalled")
        assert stalled["stalled"] > 0
        assert chunks == [] and c.isPaused()
        # we buffered at most about one read past the 16 KiB mark, the kernel holds the rest
        assert 0 < c.readableLength == c.bytesRead <= 16384 + 256 * 1024
        read_before = c.bytesRead
        await settle(20)
        assert c.bytesRead == read_before
        ended = future_event(c, "end")
        c.resume()
        await wait(ended, 20)
        data = b"".join(chunks)
        assert len(data) == size == c.bytesRead
        assert hashlib.sha256(data).hexdigest() == sha
        await server.recv_key("flushed")

    arun(body, limit=60)


# -- encodings ---------------------------------------------------------------------------------

# '€' (e2 82 ac) and '😀' (f0 9f 98 80) split over several TCP segments.
PARTS = ["e2", "82acf0", "9f", "988041", "c3", "bc0a", "ff"]


@pytest.mark.parametrize("encoding", ["utf8", "hex", "base64", "latin1", "ucs2"])
def test_set_encoding_across_chunks_matches_node(node, encoding):
    async def body():
        server = node(SERVER_JS, {"parts": PARTS, "onConnection": r"""
            s.setNoDelay(true);
            const parts = A.parts.map((h) => Buffer.from(h, 'hex'));
            let i = 0;
            const next = () => { if (i < parts.length) { s.write(parts[i++]); setTimeout(next, 15); } else s.end(); };
            next();
        """})
        port = (await server.recv())["port"]
        ref = node(CLIENT_JS, {"options": {"port": port, "host": "127.0.0.1"},
                               "pre": "c.setEncoding(%s)" % json.dumps(encoding)})
        expected = (await ref.recv())["events"]
        c = net.connect(port, "127.0.0.1")
        log: List[str] = []
        c.setEncoding(encoding)
        kinds = set()
        c.on("data", lambda d: kinds.add(type(d)))
        record(c, log)
        closed = future_event(c, "close")
        await wait(closed)
        assert log == expected
        assert kinds == {str}
        return expected

    expected = arun(body)
    whole = bytes.fromhex("".join(PARTS))
    text = expected[2][len("data:"):]
    if encoding == "utf8":
        assert text == "€😀A\u00fc\n\ufffd"
    elif encoding == "hex":
        assert text == whole.hex()
    elif encoding == "latin1":
        assert text == whole.decode("latin-1")


WRITES = [("héllo €", None), ("68656c6c6fzz", "hex"), ("aGk=", "base64"), ("aGk_-w", "base64url"),
          ("\u00ff\u0100x", "latin1"), ("ab", "ucs2"), ("\ud83d\ude00|\ud800|", "utf8")]


def test_write_encodings_match_node(node):
    """write(str, encoding) puts the same bytes on the wire as Node's."""
    async def body():
        server = node(SERVER_JS, {"recordData": False, "onConnection": r"""
            const got = []; s.on('data', (d) => got.push(d)); s.on('end', () => out({hex: Buffer.concat(got).toString('hex')}));
        """})
        port = (await server.recv())["port"]
        js_writes = "; ".join("c.write(%s%s)" % (json.dumps(text), ", %s" % json.dumps(enc) if enc else "")
                              for text, enc in WRITES)
        node(CLIENT_JS, {"options": {"port": port, "host": "127.0.0.1"}, "onConnect": js_writes + "; c.end()"})
        expected = (await server.recv_key("hex"))["hex"]
        c = net.connect(port, "127.0.0.1")
        for text, enc in WRITES:
            c.write(text, enc) if enc else c.write(text)
        c.end()
        c.resume()
        got = (await server.recv_key("hex"))["hex"]
        assert got == expected
        assert bytes.fromhex(got).startswith("héllo €".encode() + b"hello")
        await wait(when(c, "close"))

    arun(body)


def test_set_encoding_unknown_raises():
    async def body():
        s = net.Socket()
        with pytest.raises(NodeError) as info:
            s.setEncoding("klingon")
        assert info.value.code == "ERR_UNKNOWN_ENCODING"
        s.destroy()

    arun(body)
