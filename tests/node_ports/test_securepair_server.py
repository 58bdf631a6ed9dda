"""Port of test/parallel/test-tls-securepair-server.js: a SecurePair piped to a net socket
serves ``openssl s_client``: 'hello' out, 'world' echoed back, s_client exits 0.
(Node's context.setCiphers() list keeps what OpenSSL 3 still has.)"""
import re
import warnings

import tls
from tls import net

from support.node_style import Proc
from support.openssl import OPENSSL


def test_secure_pair_server(self_signed, calls, node_run):
    state = {"gotHello": False, "sentWorld": False, "gotWorld": False, "out": ""}

    def main():
        def on_connection(socket):
            sslcontext = tls.createSecureContext({"key": self_signed["key"], "cert": self_signed["cert"]})
            sslcontext.context.setCiphers("RC4-SHA:AES128-SHA:AES256-SHA")
            pair = tls.createSecurePair(sslcontext, True)
            assert pair.encrypted.writable
            assert pair.cleartext.writable
            pair.encrypted.pipe(socket)
            socket.pipe(pair.encrypted)
            pair.on("secure", lambda: pair.cleartext.write("hello\r\n"))
            pair.cleartext.on("data", lambda data: pair.cleartext.write(data))
            for emitter in (pair.cleartext, pair.encrypted, socket, pair):
                emitter.on("error", lambda err: socket.destroy())

        server = net.createServer(calls.must_call(on_connection))

        def listening():
            client = None

            def on_line(line):
                state["out"] += line.decode(errors="replace") + "\n"
                if not state["gotHello"] and re.search("hello", state["out"]):
                    state["gotHello"] = True
                    client.write(b"world\r\n")
                    state["sentWorld"] = True
                if not state["gotWorld"] and re.search("world", state["out"]):
                    state["gotWorld"] = True
                    client.end()

            def exited(code, stdout, stderr):
                assert code == 0, stderr
                server.close()

            client = Proc([OPENSSL, "s_client", "-connect", "127.0.0.1:%d" % server.address()["port"]],
                          on_exit=calls.must_call(exited), on_stdout_line=on_line)

        server.listen(0, calls.must_call(listening))

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)   # createSecurePair's DEP0064
        node_run(main)
    assert state["gotHello"] and state["sentWorld"] and state["gotWorld"]
