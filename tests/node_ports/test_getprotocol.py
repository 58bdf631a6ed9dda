"""Port of test/parallel/test-tls-getprotocol.js.

getProtocol() names the negotiated version ('TLSv1' .. 'TLSv1.2') and is
None once the socket closed.  TLS 1.0/1.1 need the server's
'RSA@SECLEVEL=0' as in Node's test (checked against Node 20 on this
OpenSSL 3.0, where the clients' 'DEFAULT' suffices).
"""
import tls

CLIENT_CONFIGS = [
    {"secureProtocol": "TLSv1_method", "version": "TLSv1", "ciphers": "DEFAULT"},
    {"secureProtocol": "TLSv1_1_method", "version": "TLSv1.1", "ciphers": "DEFAULT"},
    {"secureProtocol": "TLSv1_2_method", "version": "TLSv1.2", "ciphers": None},
]


def test_get_protocol(agent1, calls, node_run):
    def main():
        server = tls.createServer({"secureProtocol": "TLS_method", "ciphers": "RSA@SECLEVEL=0",
                                   "key": agent1["key"], "cert": agent1["cert"]},
                                  calls.must_call(None, len(CLIENT_CONFIGS)))
        connected = [0]

        def listening():
            for v in CLIENT_CONFIGS:
                def on_secure(v=v, box=[]):
                    client = box[0]
                    assert client.getProtocol() == v["version"]
                    client.on("end", calls.must_call())
                    client.on("close", calls.must_call(lambda *a: assert_none(client.getProtocol())))
                    client.end()
                    connected[0] += 1
                    if connected[0] == len(CLIENT_CONFIGS):
                        server.close()

                box = []
                client = tls.connect({"host": "127.0.0.1", "port": server.address()["port"],
                                      "ciphers": v["ciphers"], "rejectUnauthorized": False,
                                      "secureProtocol": v["secureProtocol"]},
                                     calls.must_call(lambda box=box, v=v: on_secure(v, box)))
                box.append(client)
                client.on("error", calls.must_not_call("client 'error' (%s)" % v["version"]))

        server.listen(0, "127.0.0.1", listening)

    node_run(main)


def assert_none(value):
    assert value is None, value
