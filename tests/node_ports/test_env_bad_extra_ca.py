"""Port of test/parallel/test-tls-env-bad-extra-ca.js: NODE_EXTRA_CA_CERTS naming a file that does
not exist gives Node's warning on stderr (``Warning: Ignoring extra certs from `<file>`, load
failed: ... No such file or directory``) and the child still exits 0.  The child (a fresh
interpreter, where Node forks itself) makes a server with a default context, which reads the
extra certificates."""
import re
import textwrap

import tls

from support.node_style import fork

CHILD = textwrap.dedent("""
    import tls

    # this will try to load the extra CA certs, and warn when it fails
    tls.createServer({})
""")


def test_env_bad_extra_ca(tmp_path, calls, node_run):
    missing = str(tmp_path / "no-such-file-exists-\U0001F422")

    def main():
        def on_exit(status, stdout, stderr):
            assert status == 0, "client did not succeed in connecting: %r" % stderr
            text = stderr.decode("utf-8")
            assert re.search(r"Warning: Ignoring extra certs from.*no-such-file-exists-\U0001F422.* load failed:"
                             r".*No such file or directory", text), text

        fork(CHILD, env={"CHILD": "yes", "NODE_EXTRA_CA_CERTS": missing}, on_exit=calls.must_call(on_exit))

    node_run(main)
