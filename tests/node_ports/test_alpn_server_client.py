"""Port of Node 20's test/parallel/test-tls-alpn-server-client.js.

runTest connects the clients one after the other to one server and records
``alpnProtocol`` on both sides (or the client's error).  Node 20: the
server's preference wins, ``false`` when nothing was negotiated, no overlap
fails the handshake with a fatal no_application_protocol alert (TLS alert
120), and the ``ALPNCallback`` server option picks the protocol itself
(``undefined`` refuses them all; a protocol the client did not offer ->
ERR_TLS_ALPN_CALLBACK_INVALID_RESULT); ``ALPNCallback`` and
``ALPNProtocols`` together -> ERR_TLS_ALPN_CALLBACK_WITH_PROTOCOLS.
"""
import asyncio

import pytest

import tls

from support.aio import run_async
from support.certs import node_keys
from support.openssl import run_openssl

SERVER_IP = "127.0.0.1"
RESET_OR_ALERT = ("ECONNRESET", "ERR_SSL_TLSV1_ALERT_NO_APPLICATION_PROTOCOL")


def run_test(node_run, clients_options, server_options):
    """Node's runTest: the results of each client, in order."""
    keys = node_keys()
    server_options = dict(server_options, key=keys["agent2"]["key"], cert=keys["agent2"]["cert"])
    results = []
    counters = {"client": 0, "server": 0}

    def main():
        def on_secure(c):
            results[counters["server"]]["server"] = {"ALPN": c.alpnProtocol}
            counters["server"] += 1

        server = tls.createServer(server_options, on_secure)
        options = list(clients_options)

        def connect_client():
            opt = dict(options.pop(0), port=server.address()["port"], host=SERVER_IP, rejectUnauthorized=False)
            results.append({})

            def start_next_client():
                if options:
                    counters["client"] += 1
                    connect_client()
                else:
                    server.close()

            client = None

            def on_secure_connect():
                results[counters["client"]]["client"] = {"ALPN": client.alpnProtocol}
                client.end()
                start_next_client()

            def on_error(err):
                results[counters["client"]]["client"] = {"error": err}
                start_next_client()

            client = tls.connect(opt, on_secure_connect)
            client.on("error", on_error)

        server.listen(0, SERVER_IP, connect_client)

    node_run(main)
    return results


def check_results(result, expected):
    assert result["server"]["ALPN"] == expected["server"]["ALPN"]
    assert result["client"]["ALPN"] == expected["client"]["ALPN"]


def both(protocol):
    return {"server": {"ALPN": protocol}, "client": {"ALPN": protocol}}


# Server: ALPN, Client: ALPN
def test_server_alpn_client_alpn(node_run):
    results = run_test(node_run, [
        {"ALPNProtocols": ["a", "b", "c"]},
        {"ALPNProtocols": ["c", "b", "e"]},
        {"ALPNProtocols": ["x", "y", "c"]},
    ], {"ALPNProtocols": ["a", "b", "c"]})
    check_results(results[0], both("a"))  # 'a' is selected by ALPN
    check_results(results[1], both("b"))  # 'b' is selected by ALPN (server preference)
    check_results(results[2], both("c"))


# Server: ALPN, Client: Nothing
def test_server_alpn_client_nothing(node_run):
    results = run_test(node_run, [{}, {}, {}], {"ALPNProtocols": ["a", "b", "c"]})
    for result in results:
        check_results(result, both(False))


# Server: Nothing, Client: ALPN
def test_server_nothing_client_alpn(node_run):
    # Node's test also passes {"ALPNrotocols": [...]} (sic), which Node ignores;
    # this package refuses a near-miss option key instead (tls._base.options).
    with pytest.raises(tls.NodeError) as caught:
        tls.connect({"port": 1, "ALPNrotocols": ["a", "b", "c"]})
    assert caught.value.code == "ERR_INVALID_ARG_VALUE" and "ALPNProtocols" in str(caught.value)
    results = run_test(node_run, [
        {},
        {"ALPNProtocols": ["c", "b", "e"]},
        {"ALPNProtocols": ["first-priority-unsupported", "x", "y"]},
    ], {})
    for result in results:
        check_results(result, both(False))


# Server: Nothing, Client: Nothing
def test_server_nothing_client_nothing(node_run):
    results = run_test(node_run, [{}, {}, {}], {})
    for result in results:
        check_results(result, both(False))


def test_fatal_alert(calls, node_run):
    """No overlap: the client fails with the server's no_application_protocol alert."""
    keys = node_keys()

    def main():
        server = tls.createServer({"ALPNProtocols": ["foo"], "key": keys["agent2"]["key"],
                                   "cert": keys["agent2"]["cert"]}, calls.must_not_call("secureConnection"))

        def listening():
            port = server.address()["port"]
            client = tls.connect({"host": SERVER_IP, "port": port, "rejectUnauthorized": False,
                                  "ALPNProtocols": ["bar"]}, calls.must_not_call("secureConnect"))

            def on_error(err):
                assert err.code in RESET_OR_ALERT
                server.close()

            client.on("error", calls.must_call(on_error))

        server.listen(0, SERVER_IP, calls.must_call(listening))

    node_run(main)


def test_fatal_alert_seen_by_s_client():
    """OpenSSL's s_client reports the TLS alert number: 120, no_application_protocol."""
    keys = node_keys()

    async def main():
        server = tls.createServer({"ALPNProtocols": ["foo"], "key": keys["agent2"]["key"],
                                   "cert": keys["agent2"]["cert"]})
        errors = []
        server.on("tlsClientError", lambda err, sock: errors.append(err.code))
        listening = asyncio.get_running_loop().create_future()
        server.listen(0, SERVER_IP, lambda: listening.set_result(None))
        await listening
        addr = "%s:%d" % (SERVER_IP, server.address()["port"])
        code, out, err = await run_openssl("s_client", "-alpn", "bar", "-connect", addr)
        server.close()
        assert b"SSL alert number 120" in err, err
        assert errors == ["ERR_SSL_NO_APPLICATION_PROTOCOL"]

    run_async(main())


def test_alpn_callback(calls, node_run):
    """Server always selects the client's 2nd preference."""
    def alpn_callback(info):
        return info["protocols"][1] if len(info["protocols"]) > 1 else None

    results = run_test(node_run, [
        {"ALPNProtocols": ["a", "b", "c"]},
        {"ALPNProtocols": ["a"]},
    ], {"ALPNCallback": calls.must_call(alpn_callback, exact=2)})
    # Callback picks 2nd preference => picks 'b'
    check_results(results[0], both("b"))
    # Callback picks 2nd preference => undefined => ALPN rejected:
    assert "server" not in results[1]
    assert results[1]["client"]["error"].code in RESET_OR_ALERT


def test_bad_alpn_callback(calls, node_run):
    """Server always returns a fixed invalid value: the handshake fails."""
    keys = node_keys()
    errors = []

    def main():
        server = tls.createServer({"key": keys["agent2"]["key"], "cert": keys["agent2"]["cert"],
                                   "ALPNCallback": calls.must_call(lambda info: "http/5")},
                                  calls.must_not_call("secureConnection"))
        server.on("tlsClientError", calls.must_call(lambda err, sock: errors.append(err)))

        def listening():
            client = tls.connect({"port": server.address()["port"], "host": SERVER_IP,
                                  "rejectUnauthorized": False, "ALPNProtocols": ["http/1", "h2"]},
                                 calls.must_not_call("secureConnect"))

            def on_error(err):
                # Callback returns 'http/5' => doesn't match client ALPN => error & reset
                assert err.code in RESET_OR_ALERT
                server.close()

            client.on("error", calls.must_call(on_error))

        server.listen(0, SERVER_IP, listening)

    node_run(main)
    assert errors[0].code == "ERR_TLS_ALPN_CALLBACK_INVALID_RESULT"
    assert isinstance(errors[0], TypeError)
    assert errors[0].message == ("ALPN callback returned a value (http/5) that did not match any of the "
                              "client's offered protocols (http/1, h2)")


def test_alpn_options_callback(node_run):
    """Server sets two incompatible ALPN options."""
    def main():
        with pytest.raises(TypeError) as info:
            tls.createServer({"ALPNCallback": lambda info: "a", "ALPNProtocols": ["b", "c"]})
        assert info.value.code == "ERR_TLS_ALPN_CALLBACK_WITH_PROTOCOLS"

    node_run(main)
