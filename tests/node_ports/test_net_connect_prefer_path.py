"""Port of test/parallel/test-tls-net-connect-prefer-path.js: given both ``path`` and
``port``, net.connect and tls.connect use the path."""
import tls
from tls import net


def test_path_wins_over_port(self_signed, calls, node_run, tmp_path):
    pipe = str(tmp_path / "prefer.sock")

    def lib_name(lib):
        return "net" if lib is net else "tls"

    def main():
        def mk_server(lib, tcp, cb):
            server = None

            def handler(socket):
                address = server.address()
                socket.write("%s:%s" % (lib_name(lib), address["port"] if isinstance(address, dict) else address))
                socket.end()

            if lib is tls:
                server = lib.createServer({"cert": self_signed["cert"], "key": self_signed["key"]}, handler)
            else:
                server = lib.createServer(handler)
            server.listen(0 if tcp else pipe, calls.must_call(lambda: cb(server)))

        def test_lib(lib, cb):
            def with_tcp(tcp_server):
                def with_unix(unix_server):
                    client = None

                    def on_connect():
                        bufs = []
                        client.on("data", calls.must_call(bufs.append))

                        def on_end():
                            assert b"".join(bufs).decode() == "%s:%s" % (lib_name(lib), unix_server.address())
                            tcp_server.close()
                            unix_server.close()
                            cb()

                        client.on("end", calls.must_call(on_end))

                    client = lib.connect({"path": unix_server.address(), "port": tcp_server.address()["port"],
                                          "host": "localhost", "rejectUnauthorized": False}, on_connect)

                mk_server(lib, False, with_unix)

            mk_server(lib, True, with_tcp)

        test_lib(net, calls.must_call(lambda: test_lib(tls, calls.must_call())))

    node_run(main)
