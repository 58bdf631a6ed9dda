"""Port of test/parallel/test-tls-env-extra-ca.js: certificates in NODE_EXTRA_CA_CERTS are used
for peer validation.  A child (Node forks itself; here a fresh interpreter) connects with the
default trust store plus ca1, which issued the server's agent1 certificate, and must succeed
(an 'error' with nobody listening ends it with a non-zero status)."""
import textwrap

import tls

from support.certs import node_keys
from support.node_style import fork

CHILD = textwrap.dedent("""
    import os, tls

    def main():
        copts = {'port': int(os.environ['PORT']), 'checkServerIdentity': lambda *args: None}
        client = tls.connect(copts, lambda: client.end('hi'))

    tls.run(main)
""")


def test_env_extra_ca(calls, node_run):
    keys = node_keys()

    def main():
        def on_connection(s):
            s.end("bye")
            server.close()

        server = tls.createServer({"key": keys["agent1"]["key"], "cert": keys["agent1"]["cert"]},
                                  on_connection)

        def listening():
            env = {"CHILD": "yes", "PORT": str(server.address()["port"]),
                   "NODE_EXTRA_CA_CERTS": keys["paths"]["ca1-cert"]}

            def on_exit(status, stdout, stderr):
                assert status == 0, "client did not succeed in connecting: %r" % stderr

            fork(CHILD, env=env, on_exit=calls.must_call(on_exit))

        server.listen(0, calls.must_call(listening))

    node_run(main)
