"""Port of test/parallel/test-tls-ecdh-auto.js: ecdhCurve 'auto' with an ECDHE-RSA cipher,
reached by ``openssl s_client``, which prints the server's reply."""
import tls

from support.node_style import Proc
from support.openssl import OPENSSL

REPLY = b"I AM THE WALRUS"


def test_ecdh_curve_auto(self_signed, calls, node_run):
    options = {"key": self_signed["key"], "cert": self_signed["cert"], "ciphers": "-ALL:ECDHE-RSA-AES128-SHA256",
               "ecdhCurve": "auto", "maxVersion": "TLSv1.2"}

    def main():
        server = tls.createServer(options, lambda conn: conn.end(REPLY))

        def listening():
            def exited(code, stdout, stderr):
                assert code == 0, stderr
                assert REPLY in stdout
                server.close()

            proc = Proc([OPENSSL, "s_client", "-cipher", options["ciphers"],
                         "-connect", "127.0.0.1:%d" % server.address()["port"]], on_exit=calls.must_call(exited))
            proc.end()   # execFile() gives the child no stdin: s_client quits once the server closed

        server.listen(0, calls.must_call(listening))

    node_run(main)
