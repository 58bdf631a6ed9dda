"""The public API's type hints, as a user's type checker sees them.

mypy (``--strict``) checks small programs written against ``import tls``: a
correct one must pass, and each line marked ``# E`` of a wrong one must be
reported (the hints are real types, not ``Any``).  The package itself is
checked by ``python -m mypy`` in .ci/run (the [tool.mypy] settings of
pyproject.toml).

The listener overloads of ``TLSSocket.on`` / ``tls.Server.on`` (event name ->
listener shape) must be visible to type checkers.  A listener of another
shape is not an error: the last overload takes any event and any callable
(custom events), so like TypeScript's @types/node they describe and infer
rather than reject.
"""
from __future__ import annotations

import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from support.extras import need_module

need_module("mypy", "lint")

SRC = Path(__file__).resolve().parents[1] / "src"


@pytest.fixture(scope="module")
def mypy_run(tmp_path_factory):
    """Run mypy --strict on a program; (exit status, output).  One cache for the module."""
    base = tmp_path_factory.mktemp("typing")
    config = base / "mypy.ini"
    config.write_text(textwrap.dedent("""\
        [mypy]
        strict = True
        mypy_path = {src}
        cache_dir = {cache}
        # only the example is judged: the package is checked on its own (.ci/run)
        follow_imports = silent
        """).format(src=SRC, cache=base / "cache"))
    counter = [0]

    def run(program: str):
        counter[0] += 1
        path = base / ("example%d.py" % counter[0])
        path.write_text(textwrap.dedent(program))
        env = dict(os.environ)
        env.pop("MYPYPATH", None)
        result = subprocess.run(
            [sys.executable, "-m", "mypy", "--config-file", str(config), "--no-error-summary",
             "--hide-error-context", "--no-pretty", str(path)],
            capture_output=True, text=True, timeout=120, cwd=str(base), env=env)
        return result.returncode, result.stdout + result.stderr, path

    return run


GOOD = """\
    from typing import Any, Dict, List, Optional, Tuple, Union

    import tls
    from tls import events, net


    def on_data(chunk: Union[bytes, str]) -> None:
        print(chunk)


    def client(port: int) -> tls.TLSSocket:
        s = tls.connect(port, "localhost", {"rejectUnauthorized": False})
        s.on("secureConnect", lambda: None).on("data", on_data).once("close", lambda had_error: None)
        s.on("error", lambda err: print(err.args))
        s.on("session", lambda session: print(session.hex()))
        s.on("my-own-event", lambda *args: None)
        cert: Optional[Dict[str, Any]] = s.getPeerCertificate(True)
        protocol: Optional[str] = s.getProtocol()
        cipher: Optional[Dict[str, str]] = s.getCipher()
        ok: bool = s.write(b"hello")
        same: tls.TLSSocket = s.setNoDelay(True).setTimeout(1000).setEncoding("utf8").pause().resume()
        s.end(b"bye")
        print(cert, protocol, cipher, ok)
        return same


    def server(ctx: tls.SecureContext) -> tls.Server:
        srv = tls.createServer({"secureContext": ctx}, lambda sock: sock.end("bye"))
        srv.on("secureConnection", lambda sock: print(sock.getPeerCertificate()))
        srv.on("tlsClientError", lambda err, sock: sock.destroy())
        srv.on("newSession", lambda session_id, data, done: done())
        srv.on("resumeSession", lambda session_id, done: done(None, None))
        srv.on("keylog", lambda line, sock: None)
        listening: tls.Server = srv.listen(0, "127.0.0.1")
        return listening


    async def aio() -> None:
        sock: tls.TLSSocket = await tls.connectAsync(443, "example.com")
        data = await sock.readAsync()
        async with tls.createServer() as srv:
            await srv.listen(0)
        raw: net.Socket = await net.connectAsync(80, "example.com")
        err: Optional[tls.NodeError] = tls.checkServerIdentity("example.com", {"subject": {"CN": "x"}})
        ciphers: List[str] = tls.getCiphers()
        roots: Tuple[str, ...] = tls.rootCertificates
        ctx: tls.SecureContext = tls.createSecureContext({"minVersion": "TLSv1.2"})
        print(data, raw, err, ciphers, roots, ctx, srv)


    def run_sync() -> int:
        return tls.run(lambda: 5)


    def run_async() -> str:
        async def main() -> str:
            return "done"
        return tls.run(main)


    def emitters() -> None:
        e = events.EventEmitter()
        e.on("x", lambda *a: None).emit("x", 1, 2)
        n: int = e.listenerCount("x")
        srv = net.createServer(lambda sock: sock.pipe(sock))
        srv.listen(0).on("listening", lambda: print(n))
    """


def test_a_correct_program_passes(mypy_run):
    status, output, _ = mypy_run(GOOD)
    assert status == 0, output


BAD = """\
    import tls
    from tls import net


    def f(s: tls.TLSSocket, srv: tls.Server) -> None:
        n: int = s.getProtocol()  # E
        s.getProtocol() + 1  # E
        s.setNoDelay("yes")  # E
        s.on("data")  # E
        s.on("data", 5)  # E
        s.getPeerCertificate(True).keys()  # E
        srv.listen(0).getPeerCertificate()  # E
        tls.connect(443).write(b"x").hex()  # E
        ctx: tls.SecureContext = tls.createSecureContext()
        ctx.getTicketKeys().no_such_method()  # E
        net.createServer().address().anything  # (address() is loosely typed: no error)
        tls.no_such_function()  # E
        net.creatServer()  # E
    """


def test_wrong_uses_are_reported(mypy_run):
    status, output, path = mypy_run(BAD)
    assert status == 1, output
    lines = textwrap.dedent(BAD).splitlines()
    expected = {i + 1 for i, line in enumerate(lines) if line.endswith("# E")}
    reported = {int(m.group(1)) for m in re.finditer(re.escape(path.name) + r":(\d+): error:", output)}
    assert reported == expected, output


def test_module_snake_case_aliases_are_typed(mypy_run):
    """Every module-level snake_case alias (tls._base.aliases) is declared for type checkers."""
    from tls import events, net
    from tls._base import aliases as _aliases
    import tls

    uses = []
    for module, prefix in ((tls, "tls"), (net, "net"), (events, "events")):
        names = tls.__all__ if module is tls else [n for n in vars(module) if not n.startswith("_")]
        for name in names:
            snake = _aliases.snake_name(name)
            if snake is not None and snake != name and hasattr(module, snake):
                uses.append("print(%s.%s)" % (prefix, snake))
    assert len(uses) >= 20
    status, output, _ = mypy_run("import tls\nfrom tls import events, net\n\n" + "\n".join(uses) + "\n")
    assert status == 0, output


def test_listener_overloads_are_visible(mypy_run):
    status, output, _ = mypy_run("""\
        import tls

        reveal_type(tls.TLSSocket.on)
        reveal_type(tls.Server.once)
        """)
    assert status == 0, output
    socket_on, server_once = [line for line in output.splitlines() if "Revealed type" in line]
    assert "Overload(" in socket_on
    for event in ("'secureConnect'", "'data'", "'error'", "'close'", "'session'"):
        assert event in socket_on, (event, socket_on)
    data_listener = r"Literal\['data'\], listener: def \((Union\[)?(builtins\.)?bytes(, | \| )(builtins\.)?str\]?\)"
    assert re.search(data_listener, socket_on), socket_on
    for event in ("'secureConnection'", "'tlsClientError'", "'newSession'", "'resumeSession'",
                  "'OCSPRequest'", "'keylog'"):
        assert event in server_once, (event, server_once)


def test_awaiting_what_connect_and_listen_return(mypy_run):
    """``await tls.connect(...)`` is a TLSSocket, ``await net.connect(...)`` a net.Socket, ``await
    server.listen(...)`` the server; Path inputs type-check (tests/test_await_connect.py)."""
    status, output, _ = mypy_run("""\
        from pathlib import Path

        import tls
        from tls import net


        async def main() -> None:
            sock = await tls.connect(443, "example.com", ca=Path("ca.pem"))
            reveal_type(sock)
            raw = await net.connect(80, "example.com")
            reveal_type(raw)
            server = await tls.createServer().listen(0)
            reveal_type(server)
        """)
    assert status == 0, output
    revealed = [line for line in output.splitlines() if "Revealed type" in line]
    assert [line.split("Revealed type is ")[1] for line in revealed] == \
        ['"tls._objects.tlssocket.TLSSocket"', '"tls._node.socket.Socket"', '"tls._objects.server.Server"']
