"""Port of test/parallel/test-tls-retain-handle-no-abort.js: a client ``new tls.TLSSocket()``
connects, writes and ends; the server ends and destroys its side; after the program ended, what
the program kept of the client is inspected and nothing crashes.

Node keeps the socket's TLSWrap handle (``c.ssl``) and ``util.inspect``s it at exit (a C++ abort
if its stream pointer was not cleared).  The Python socket has no handle object: the port keeps
the socket itself, and at exit takes its ``repr`` and calls each method that reads the native SSL*
(freed by then); each gives what Node 20 gives for the closed socket (null)."""
import tls

SENT = "hello world"
SSL_METHODS = ["getCipher", "getProtocol", "getPeerCertificate", "getCertificate", "getSession", "getTLSTicket",
               "getFinished", "getPeerFinished", "isSessionReused", "getEphemeralKeyInfo", "getSharedSigalgs",
               "getPeerX509Certificate", "getX509Certificate"]


def test_retain_handle_no_abort(agent1, calls, node_run):
    kept = {}

    def main():
        def on_secure_connection(s):
            s.on("data", lambda data: None)

            def on_end():
                server.close()
                s.destroy()

            s.on("end", on_end)

        server = tls.createServer({"isServer": True, "key": agent1["key"], "cert": agent1["cert"]},
                                  on_secure_connection)

        def listening():
            c = kept["c"] = tls.TLSSocket()
            c.connect(server.address()["port"], lambda: c.end(SENT))

        server.listen(0, listening)

    node_run(main)
    # Node's process.on('exit'): the kept object is inspected
    c = kept["c"]
    assert repr(c)
    assert c.destroyed is True
    # node -e: each of these is null on the closed socket (undefined for the X509 ones)
    assert {name: getattr(c, name)() for name in SSL_METHODS} == {name: None for name in SSL_METHODS}
