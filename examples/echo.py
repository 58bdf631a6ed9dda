"""The spec's echo server and client, in one Node-style script.

Run:  python examples/echo.py

It makes self-signed server and client certificates with the openssl commands
the spec shows (in a temporary folder), starts the spec's server (client
certificate authentication, ``requestCert``), connects the spec's client to it,
sends a few lines instead of stdin, and prints what each side sees.  Add
``--pfx`` to use the PFX variants of both examples.
"""
from __future__ import annotations

import os
import subprocess
import sys
import tempfile

import tls


def make_identity(folder: str, name: str) -> dict:
    """openssl genrsa / req -x509 / pkcs12 -export, as in the spec's Concepts section."""
    key, cert, pfx = (os.path.join(folder, name + ext) for ext in ("-key.pem", "-cert.pem", ".pfx"))
    run = lambda *args: subprocess.run(["openssl", *args], check=True, capture_output=True)  # noqa: E731
    run("genrsa", "-out", key, "2048")
    run("req", "-new", "-x509", "-sha256", "-key", key, "-out", cert, "-days", "2",
        "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1")
    run("pkcs12", "-export", "-in", cert, "-inkey", key, "-out", pfx, "-passout", "pass:")
    read = lambda path: open(path, "rb").read()  # noqa: E731
    return {"key": read(key), "cert": read(cert), "pfx": read(pfx)}


def main(use_pfx: bool) -> None:
    folder = tempfile.mkdtemp(prefix="tls-echo-")
    server_id = make_identity(folder, "server")
    client_id = make_identity(folder, "client")

    server_options = {"requestCert": True, "ca": [client_id["cert"]]}
    client_options = {"ca": [server_id["cert"]]}
    if use_pfx:
        server_options["pfx"] = server_id["pfx"]
        client_options["pfx"] = client_id["pfx"]
    else:
        server_options.update(key=server_id["key"], cert=server_id["cert"])
        client_options.update(key=client_id["key"], cert=client_id["cert"])

    def on_secure_connection(socket):
        print("server connected", "authorized" if socket.authorized else "unauthorized")
        socket.write("welcome!\n")
        socket.setEncoding("utf8")
        socket.pipe(socket)

    server = tls.createServer(server_options, on_secure_connection)

    def on_listening():
        print("server bound")
        lines = ["hello\n", "echo me\n", "goodbye\n"]

        def on_connected():
            print("client connected", "authorized" if socket.authorized else "unauthorized",
                  socket.getProtocol(), socket.getCipher()["name"])
            for line in lines:
                socket.write(line)

        socket = tls.connect(server.address()["port"], "localhost", client_options, on_connected)
        socket.setEncoding("utf8")
        received = []

        def on_data(data):
            print("client got:", repr(data))
            received.append(data)
            if "".join(received) == "welcome!\n" + "".join(lines):
                socket.end()

        socket.on("data", on_data)
        socket.on("end", lambda: server.close())
        socket.on("close", lambda had_error: print("client closed, error:", had_error))

    server.listen(0, "127.0.0.1", on_listening)
    server.on("close", lambda: print("server closed"))


if __name__ == "__main__":
    tls.run(main, "--pfx" in sys.argv[1:])
