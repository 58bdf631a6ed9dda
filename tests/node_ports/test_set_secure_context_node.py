"""Port of test/parallel/test-tls-set-secure-context.js (named _node: tests/test_set_secure_context.py
exists, and test modules need distinct basenames): server.setSecureContext() changes
the credentials of the connections that follow, never of one already open.

Node's test is an https server; the stand-in is the same exchange as a minimal HTTP/1.1
request / response over tls (the request carries its ``id`` header, the response is
``Connection: close``, its body read to the end).  Request 1's response stays open while
the others run; its body is written in four steps around the context switches."""
import tls
from tls._node import runtime as _runtime

from support.certs import node_keys

HEAD = b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n"


def test_set_secure_context(calls, node_run):
    k = node_keys()
    credentials = [{"key": k["agent1"]["key"], "cert": k["agent1"]["cert"], "ca": k["ca1"]},
                   {"key": k["agent2"]["key"], "cert": k["agent2"]["cert"], "ca": k["ca2"]}]
    results = {}

    def main():
        state = {"first": None}

        def on_secure_connection(socket):
            received = bytearray()

            def on_data(chunk):
                received.extend(chunk)
                if b"\r\n\r\n" not in received:
                    return
                socket.removeListener("data", on_data)
                headers = dict(line.split(b": ", 1) for line in bytes(received).split(b"\r\n")[1:] if b": " in line)
                ident = int(headers[b"id"])
                socket.write(HEAD)
                if ident == 1:
                    state["first"] = socket
                    socket.write("multi-")
                    return
                if ident == 4:
                    state["first"].write("success-")
                socket.end("success")

            socket.on("data", on_data)

        server = tls.createServer(credentials[0], on_secure_connection)

        def make_request(ident, cb):
            """https.get(...) with rejectUnauthorized, ca1, servername agent1: cb(err, body)."""
            body = bytearray()
            client = tls.connect({"port": server.address()["port"], "host": "localhost", "servername": "agent1",
                                  "ca": credentials[0]["ca"], "rejectUnauthorized": True})
            client.write(b"GET / HTTP/1.1\r\nHost: localhost\r\nid: %d\r\n\r\n" % ident)
            client.on("data", body.extend)
            client.on("end", lambda: cb(None, bytes(body).split(b"\r\n\r\n", 1)[1].decode()))
            client.on("error", lambda err: cb(err, None))

        def expect_body(expected, then):
            def cb(err, body):
                assert err is None, err
                assert body == expected
                then()
            return calls.must_call(cb)

        def expect_error(then):
            def cb(err, body):
                assert err.message == "self-signed certificate", err
                then()
            return calls.must_call(cb)

        def listening():
            make_request(1, calls.must_call(lambda err, body: results.update(first=(err, body))))

            def wait_first():
                if state["first"] is None:
                    _runtime.setImmediate(wait_first)
                    return
                make_request(2, expect_body("success", step3))

            def step3():
                server.setSecureContext(credentials[1])
                state["first"].write("request-")
                make_request(3, expect_error(step4))

            def step4():
                server.setSecureContext(credentials[0])
                make_request(4, expect_body("success", step5))

            def step5():
                server.setSecureContext(credentials[1])
                state["first"].end("fun!")
                make_request(5, expect_error(lambda: server.close()))

            wait_first()

        server.listen(0, calls.must_call(listening))

    node_run(main)
    assert results["first"] == (None, "multi-request-success-fun!")
