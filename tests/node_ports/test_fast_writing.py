"""Port of test/parallel/test-tls-fast-writing.js: a client writing 1 KiB chunks until
write() returns False gets 'drain' while the server receives Buffers.

Node ends the process with process.exit(0) once both happened; the port ends the
connection and the server instead (the same two conditions, checked the same way)."""
import tls


def test_write_until_full(self_signed, calls, node_run):
    state = {"chunk": False, "drain": False}

    def main():
        server = None
        conns = []

        def finish():
            for c in conns:
                c.destroy()
            server.close()

        def onconnection(conn):
            conns.append(conn)
            conn.on("error", lambda *a: None)   # destroyed mid-stream by finish()

            def on_data(c):
                state["chunk"] = True
                assert len(c)
                assert isinstance(c, bytes)
                if state["drain"]:
                    finish()

            conn.on("data", on_data)

        server = tls.createServer({"key": self_signed["key"], "cert": self_signed["cert"]}, onconnection)

        def listening():
            chunk = b"x" * 1024
            conn = None

            def write():
                while conn.write(chunk) is not False:
                    pass

            def ondrain():
                state["drain"] = True
                if state["chunk"]:
                    finish()
                    return
                write()

            def on_secure():
                conn.on("drain", ondrain)
                write()

            conn = tls.connect({"port": server.address()["port"], "rejectUnauthorized": False}, on_secure)
            conn.on("error", lambda *a: None)
            conns.append(conn)

        server.listen(0, listening)

    node_run(main)
    assert state["chunk"] and state["drain"]
