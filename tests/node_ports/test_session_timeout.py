"""Port of test/parallel/test-tls-session-timeout.js and its validation part (Node 20).

Three ``openssl s_client`` connections with ``-sess_out`` / ``-sess_in``
against a TLS 1.2 server with ``sessionTimeout: 1``:

* the first is new (no session yet; Node feeds s_client a fixture session
  file, here the first run only writes one);
* the second resumes the ticket saved by the first;
* the third, 2 s later, is new again: the ticket has timed out.

Negative timeouts are refused with ERR_OUT_OF_RANGE.
"""
import asyncio
import re

import pytest

import tls
from tls._node import runtime as _runtime

SESSION_TIMEOUT = 1


@pytest.mark.parametrize("session_timeout", [-1, -100, -(2 ** 31)])
def test_negative_session_timeout_is_out_of_range(session_timeout, agent1, node_run):
    def main():
        with pytest.raises(tls.NodeError) as info:
            tls.createServer({"key": agent1["key"], "cert": agent1["cert"], "ca": [agent1["cert"]],
                              "sessionTimeout": session_timeout, "maxVersion": "TLSv1.2"})
        assert info.value.code == "ERR_OUT_OF_RANGE"
        assert info.value.message == ('The value of "options.sessionTimeout" is out of range. It must be >= 0 && '
                                   '<= 2147483647. Received %d' % session_timeout)

    node_run(main)


def test_session_times_out(agent1, tmp_path, calls, node_run):
    session_file = str(tmp_path / "tls-session-ticket.txt")
    seen = []

    def main():
        options = {"key": agent1["key"], "cert": agent1["cert"], "ca": [agent1["cert"]],
                   "sessionTimeout": SESSION_TIMEOUT, "maxVersion": "TLSv1.2"}

        def on_secure(cleartext):
            def on_error(err):
                if getattr(err, "code", None) != "ECONNRESET":
                    raise err

            cleartext.on("error", on_error)
            cleartext.end()

        server = tls.createServer(options, on_secure)

        async def client(first):
            flags = ["openssl", "s_client", "-connect", "localhost:%d" % server.address()["port"],
                     "-sess_out", session_file]
            if not first:
                flags += ["-sess_in", session_file]
            proc = await asyncio.create_subprocess_exec(*flags, stdin=asyncio.subprocess.DEVNULL,
                                                        stdout=asyncio.subprocess.PIPE,
                                                        stderr=asyncio.subprocess.DEVNULL)
            out, _ = await proc.communicate()
            assert proc.returncode == 0
            match = re.search(r"(New|Reused), ", out.decode(errors="replace"))
            assert match, "unexpected output from openssl client"
            return match.group(1)

        def run_client(first, then):
            task = _runtime.spawn(client(first))
            task.add_done_callback(lambda t: then(t.result()) if not t.cancelled() and not t.exception() else None)

        def third(connection_type):
            seen.append(connection_type)
            server.close()

        def second(connection_type):
            seen.append(connection_type)
            _runtime.setTimeout(calls.must_call(lambda: run_client(False, third)),
                                (SESSION_TIMEOUT + 1) * 1000)

        def first(connection_type):
            seen.append(connection_type)
            run_client(False, second)

        server.listen(0, calls.must_call(lambda: run_client(True, first)))

    node_run(main)
    assert seen == ["New", "Reused", "New"]
