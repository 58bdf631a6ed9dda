"""Port of test/parallel/test-tls-client-default-ciphers.js.

``tls.connect`` calls ``tls.createSecureContext`` as the module has it when it runs (a program that
replaces it sees its replacement called), with ``tls.DEFAULT_CIPHERS`` as the ciphers; the same
holds for ``new TLSSocket``, ``server.setSecureContext`` / ``addContext`` and the default
``checkServerIdentity``.
"""
import pytest

import tls


class Done(Exception):
    pass


def test_connect_calls_the_module_create_secure_context(monkeypatch):
    seen = {}

    def replacement(options):
        seen["ciphers"] = options["ciphers"]
        raise Done()

    monkeypatch.setattr(tls, "createSecureContext", replacement)
    with pytest.raises(Done):
        tls.connect()
    assert seen["ciphers"] == tls.DEFAULT_CIPHERS


def test_server_and_tlssocket_call_it_too(monkeypatch, agent1, node_run):
    made = []
    original = tls.createSecureContext

    def counting(options):
        made.append(sorted(k for k, v in options.items() if v is not None and k in ("key", "cert")))
        return original(options)

    monkeypatch.setattr(tls, "createSecureContext", counting)

    def main():
        server = tls.createServer({"key": agent1["key"], "cert": agent1["cert"]})
        assert made == [["cert", "key"]]  # setSecureContext
        server.addContext("a.example", {"key": agent1["key"], "cert": agent1["cert"]})
        assert len(made) == 2
        tls.TLSSocket(None).destroy()
        assert len(made) == 3

    node_run(main)


def test_the_default_check_server_identity_is_the_module_one(monkeypatch, agent1, calls, node_run):
    def refuse(host, cert):
        return tls.NodeError("replaced", "ERR_REPLACED")

    monkeypatch.setattr(tls, "checkServerIdentity", refuse)

    def main():
        server = tls.createServer({"key": agent1["key"], "cert": agent1["cert"]})

        def listening():
            client = tls.connect({"port": server.address()["port"], "ca": agent1["ca"], "servername": "agent1"})

            def on_error(err):
                assert err.code == "ERR_REPLACED"
                server.close()

            client.on("error", calls.must_call(on_error))

        server.listen(0, listening)

    node_run(main)
