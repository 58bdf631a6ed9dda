"""Port of test/parallel/test-tls-over-http-tunnel.js: an HTTP CONNECT proxy (net) opens a
tunnel to a TLS server; the client runs TLS over the tunnelled socket.  Node's client is
http.request(CONNECT) then https.get({socket}); the stand-in writes the same CONNECT
request on a net socket, then tls.connect({socket}) and a minimal HTTP/1.1 GET over it."""
import tls
from tls import net


def test_tls_over_connect_tunnel(agent1, calls, node_run):
    def main():
        def on_request(socket):
            socket.once("data", lambda *a: socket.end(
                b"HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\nConnection: close\r\n\r\nhello world\n"))

        server = tls.createServer({"key": agent1["key"], "cert": agent1["cert"]}, calls.must_call(on_request))
        proxy = None

        def on_client(client_socket):
            state = {"server_socket": None}

            def on_data(chunk):
                if state["server_socket"] is None:
                    assert chunk.decode() == ("CONNECT localhost:%d HTTP/1.1\r\nProxy-Connections: keep-alive\r\n"
                                              "Host: localhost:%d\r\nConnection: keep-alive\r\n\r\n"
                                              % (server.address()["port"], proxy.address()["port"]))

                    def connected():
                        client_socket.write("HTTP/1.1 200 OK\r\nProxy-Connections: keep-alive\r\n"
                                            "Connections: keep-alive\r\nVia: localhost:%d\r\n\r\n"
                                            % proxy.address()["port"])

                    server_socket = net.connect(server.address()["port"], calls.must_call(connected))
                    state["server_socket"] = server_socket
                    server_socket.on("data", lambda data: client_socket.write(data))
                    server_socket.on("end", calls.must_call(lambda: client_socket.destroy()))
                else:
                    state["server_socket"].write(chunk)

            client_socket.on("data", on_data)
            client_socket.on("end", lambda: state["server_socket"].destroy())

        proxy = net.createServer(on_client)
        server.listen(0)

        def proxy_listening():
            socket = net.connect(proxy.address()["port"])
            socket.write("CONNECT localhost:%d HTTP/1.1\r\nProxy-Connections: keep-alive\r\n"
                         "Host: localhost:%d\r\nConnection: keep-alive\r\n\r\n"
                         % (server.address()["port"], proxy.address()["port"]))

            def on_connect_response(chunk):
                assert chunk.startswith(b"HTTP/1.1 200 ")
                socket.removeAllListeners("data")
                body = bytearray()
                secure = tls.connect({"socket": socket, "key": agent1["key"], "cert": agent1["cert"],
                                      "rejectUnauthorized": False})
                secure.write(b"GET /foo HTTP/1.1\r\nHost: localhost\r\n\r\n")
                secure.on("data", body.extend)

                def on_end():
                    head, payload = bytes(body).split(b"\r\n\r\n", 1)
                    assert head.startswith(b"HTTP/1.1 200 OK")
                    assert payload == b"hello world\n"
                    proxy.close()
                    server.close()

                secure.on("end", calls.must_call(on_end))
                secure.on("error", lambda er: _reset_only(er))

            socket.once("data", on_connect_response)

        proxy.listen(0, calls.must_call(proxy_listening))

    node_run(main)


def _reset_only(er):
    if er.code != "ECONNRESET":
        raise er
