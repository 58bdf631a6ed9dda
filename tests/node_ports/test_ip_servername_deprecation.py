"""Port of test/parallel/test-tls-ip-servername-deprecation.js: an IP address as servername
warns with DEP0123 (once per process, as Node's common.expectWarning checks)."""
import warnings

import tls
from tls._protocol import negotiation as _negotiation


def test_ip_servername_warns(agent1, calls, node_run, monkeypatch):
    monkeypatch.setattr(_negotiation, "_ip_servername_warned", False)

    def main():
        server = tls.createServer({"key": agent1["key"], "cert": agent1["cert"]}, lambda s: s.end("hello"))

        def listening():
            client = None

            def on_secure():
                client.end()

            client = tls.connect({"port": server.address()["port"], "rejectUnauthorized": False,
                                  "servername": "127.0.0.1"}, on_secure)
            client.resume()  # "hello" is not read in Node either (see support.node_style)

        server.listen(0, listening)
        server.on("connection", calls.must_call(lambda socket: server.close()))

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        node_run(main)
    deprecations = [w for w in caught if issubclass(w.category, DeprecationWarning)]
    assert [str(w.message) for w in deprecations] == [
        "[DEP0123] Setting the TLS ServerName to an IP address is not permitted by RFC 6066. "
        "This will be ignored in a future version."]
