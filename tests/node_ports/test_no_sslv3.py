"""Port of test/parallel/test-tls-no-sslv3.js: ``openssl s_client -ssl3`` is refused with
'version too low' and exits 1.  Where s_client has no -ssl3 (OpenSSL 3 builds without
SSLv3), Node's test checks only the exit code and prints a skip; so does the port."""
import re

import pytest

import tls

from support.node_style import Proc
from support.openssl import OPENSSL


def test_sslv3_refused(self_signed, calls, node_run):
    errors = []
    out = {}

    def main():
        server = tls.createServer({"cert": self_signed["cert"], "key": self_signed["key"]}, calls.must_not_call())

        def listening():
            address = "%s:%d" % (server.address()["address"], server.address()["port"])

            def exited(code, stdout, stderr):
                out["stderr"] = stderr.decode(errors="replace")
                assert code == 1
                server.close()

            Proc([OPENSSL, "s_client", "-ssl3", "-connect", address], on_exit=calls.must_call(exited)).end()

        server.listen(0, "127.0.0.1", listening)
        server.on("tlsClientError", lambda err, *rest: errors.append(err))

    node_run(main)
    if re.search(r"[Uu]nknown option:? -ssl3", out["stderr"]):
        pytest.skip("`openssl s_client -ssl3` not supported (Node prints the same skip)")
    assert len(errors) == 1
    assert re.search(r":version too low", str(errors[0]))
