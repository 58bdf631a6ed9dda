"""Port of test/parallel/test-tls-socket-snicallback-without-server.js: a server-side
TLSSocket with an SNICallback and no server gets the name of a ClientHello written into
its stream.  Node writes a recorded ClientHello (fixtures/google_ssl_hello.bin); here a
client TLSSocket on the other end of the duplex pair writes one for the same name."""
import tls

from support.node_style import duplex_pair


def test_sni_callback_without_server(calls, node_run):
    def main():
        client_side, server_side = duplex_pair()
        sockets = []

        def sni(servername, cb):
            assert servername == "www.google.com"
            # Node's program ends with the callback never answered (no handle holds it);
            # these keep tls.run alive, so the port ends them (README.md: lifetime)
            for s in sockets:
                s.destroy()

        server = tls.TLSSocket(server_side, {"isServer": True, "SNICallback": calls.must_call(sni)})
        client = tls.connect({"socket": client_side, "servername": "www.google.com"})
        client.on("error", lambda *a: None)
        sockets.extend([server, client])

    node_run(main)
