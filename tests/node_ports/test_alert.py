"""Port of test/parallel/test-tls-alert.js: a TLS 1.2-only server answers an
``openssl s_client -tls1_1`` with alert 70 (protocol_version); s_client exits 1."""
import re

import tls

from support.node_style import Proc
from support.openssl import OPENSSL


def test_protocol_version_alert(self_signed, calls, node_run):
    def main():
        server = tls.Server({"secureProtocol": "TLSv1_2_server_method", "key": self_signed["key"],
                             "cert": self_signed["cert"]}, None)

        def listening():
            def exited(code, stdout, stderr):
                assert code == 1
                assert re.search(rb"SSL alert number 70", stderr), stderr
                server.close()

            Proc([OPENSSL, "s_client", "-quiet", "-tls1_1", "-cipher", "DEFAULT:@SECLEVEL=0",
                  "-connect", "127.0.0.1:%d" % server.address()["port"]], on_exit=calls.must_call(exited))

        server.listen(0, calls.must_call(listening))

    node_run(main)
