"""tls.connect's default server-identity check keeps its successes by (hostname, certificate DER)
(tls._objects.connect, issue 14): a reconnecting client is verified as before, and the same
certificate under another name still fails with Node's error and its .cert, every time."""
import tls
from tls._objects import connect as _connect


def test_the_kept_success_is_per_name_and_certificate(agent1, calls, node_run):
    outcomes = []

    def main():
        server = tls.createServer({"key": agent1["key"], "cert": agent1["cert"]}, lambda conn: conn.end())
        names = ["localhost", "localhost", "example.com", "localhost", "example.com"]

        def next_one():
            if not names:
                server.close()
                return
            name = names.pop(0)
            client = tls.connect({"port": server.address()["port"], "host": "127.0.0.1", "servername": name,
                                  "ca": agent1["ca"]})

            def on_secure():
                outcomes.append((name, client.authorized, None, None))
                client.resume()

            def on_error(err):
                outcomes.append((name, client.authorized, err.code, err.cert["subject"]["CN"]))

            client.on("secureConnect", on_secure)
            client.on("error", on_error)
            client.on("close", lambda *a: next_one())

        server.listen(0, "127.0.0.1", calls.must_call(next_one))

    node_run(main)
    ok = ("localhost", True, None, None)
    bad = ("example.com", False, "ERR_TLS_CERT_ALTNAME_INVALID", "agent1")
    assert outcomes == [ok, ok, bad, ok, bad], outcomes
    assert any(key[0] == "localhost" for key in _connect._IDENTITY_OK)
    assert not any(key[0] == "example.com" for key in _connect._IDENTITY_OK)
