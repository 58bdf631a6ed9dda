"""Port of test/parallel/test-tls-handshake-exception.js: an exception thrown by a
'secureConnection' listener (of a server fed a connection by emit('connection')) ends
the program with that error, not swallowed.  As in Node, the program runs as a child and
its stderr is checked.  Node wraps the socket in a hand-written stream.Duplex and uses
https.get as the client; the child here hands the net socket over as it is and connects
with tls.connect."""
from support.python import Script

CHILD = '''
import sys
import tls
from tls import net

KEY, CERT = open(sys.argv[1], "rb").read(), open(sys.argv[2], "rb").read()


def main():
    def fail(*args):
        raise Exception("eyecatcher")

    def onplaintext(c):
        tls.createServer({"key": KEY, "cert": CERT}, fail).emit("connection", c)

    server = net.createServer(onplaintext)
    server.listen(0, lambda: tls.connect({"port": server.address()["port"], "rejectUnauthorized": False}))


tls.run(main)
'''


def test_listener_exception_ends_the_program(self_signed, tmp_path):
    (tmp_path / "key.pem").write_bytes(self_signed["key"])
    (tmp_path / "cert.pem").write_bytes(self_signed["cert"])
    child = Script(CHILD, str(tmp_path / "key.pem"), str(tmp_path / "cert.pem"))
    try:
        child.wait(timeout=20)
        stderr = child.stderr()
    finally:
        child.close()
    assert "Exception: eyecatcher" in stderr, stderr
