"""Port of test/parallel/test-tls-psk-server.js: a PSK server with an identity hint talks
to ``openssl s_client -psk``: 'hello' out, 'world' echoed back, s_client exits 0."""
import re

import tls

from support.node_style import Proc
from support.openssl import OPENSSL

CIPHERS = "PSK+HIGH"
KEY = "d731ef57be09e5204f0b205b60627028"
IDENTITY = "TestUser"


def test_psk_with_s_client(calls, node_run):
    state = {"gotHello": False, "sentWorld": False, "gotWorld": False, "out": ""}

    def psk(socket, identity):
        assert isinstance(socket, tls.TLSSocket)
        assert isinstance(identity, str)
        if identity == IDENTITY:
            return bytes.fromhex(KEY)
        return None

    def main():
        server = tls.createServer({"ciphers": CIPHERS, "pskIdentityHint": IDENTITY, "pskCallback": psk})
        server.on("connection", calls.must_call())

        def on_secure_connection(socket):
            socket.write("hello\r\n")
            socket.on("data", lambda data: socket.write(data))

        server.on("secureConnection", on_secure_connection)

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
                assert state["gotHello"] and state["sentWorld"] and state["gotWorld"]
                assert code == 0, stderr
                server.close()

            client = Proc([OPENSSL, "s_client", "-connect", "127.0.0.1:%d" % server.address()["port"],
                           "-cipher", CIPHERS, "-psk", KEY, "-psk_identity", IDENTITY],
                          on_exit=calls.must_call(exited), on_stdout_line=on_line)

        server.listen(0, listening)

    node_run(main)
