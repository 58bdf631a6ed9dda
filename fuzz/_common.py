"""What the fuzz targets share: the throwaway PKI, contexts, the engine pump and the verdict.

Every target is a libFuzzer program (atheris) that hands one input to one
part of the package and applies one rule (:func:`expected`): bad input may
raise a Node-style error carrying a ``.code`` (``tls.errors.NodeError``
family), nothing else.  A raw ``TypeError``/``ValueError``/``SystemError``,
a cffi error, a hang or a crash of the process is a finding.

The key material lives in ``fuzz/corpus/pki/`` (written by make_corpus.py),
not made afresh per process: the recorded handshakes of the seed corpus are
only meaningful against the keys they were recorded with (a recorded RSA
ClientKeyExchange decrypts under the same server key).
"""
from __future__ import annotations

import asyncio
import os
import sys
import zlib
from typing import Any, Callable, Dict, Iterator, List, Optional, Sequence, Tuple

import atheris

# Instrument the package's Python code for coverage feedback.  OpenSSL and
# csrc/ are not instrumented (the extension is a plain build): the fuzzer is
# steered by the Python paths the input reaches, and anything that breaks C
# memory is caught by the crash (or by scripts/sanitize.sh for the tests).
with atheris.instrument_imports(include=["tls"]):
    import tls
    import tls._engine.engine
    import tls._engine.context
    import tls._protocol.sessions
    import tls._objects.tlssocket
    import tls._objects.connect
    import tls._objects.server
    import tls._objects.x509
    import tls.errors

from tls._binding import ffi, lib
from tls._engine.engine import READ_MORE, TLSEngine
from tls.errors import NodeError

# for the targets and make_corpus.py
__all__ = ["CONFIGS", "CORPUS", "PASSPHRASE", "PKI_DIR", "context", "drive", "engine", "expected", "ffi",
           "guarded", "in_loop", "lib", "main", "note", "note_error", "note_records", "pki", "pump",
           "split_records", "step", "tls"]

HERE = os.path.dirname(os.path.abspath(__file__))
CORPUS = os.path.join(HERE, "corpus")
PKI_DIR = os.path.join(CORPUS, "pki")
PASSPHRASE = b"fuzz-secret"

# Client and server configurations a record input can pick (its first byte).
# Each is (name, server options, client options); the seed corpus records a
# real handshake for each.
CONFIGS: List[Tuple[str, Dict[str, Any], Dict[str, Any]]] = [
    ("tls13-ec", {"key": "ec.key", "cert": "ec.crt"}, {"ca": "ca.crt"}),
    ("tls12-ecdhe-rsa", {"key": "rsa.key", "cert": "rsa.crt", "maxVersion": "TLSv1.2"},
     {"ca": "ca.crt", "maxVersion": "TLSv1.2"}),
    # RSA key exchange: the server decrypts a ClientKeyExchange from the input
    ("tls12-rsa-kx", {"key": "rsa.key", "cert": "rsa.crt", "maxVersion": "TLSv1.2",
                      "ciphers": "AES128-GCM-SHA256:AES256-SHA"},
     {"ca": "ca.crt", "maxVersion": "TLSv1.2", "ciphers": "AES128-GCM-SHA256:AES256-SHA"}),
    # the server asks for a client certificate (Node's requestCert)
    ("tls13-client-cert", {"key": "ec.key", "cert": "ec.crt", "ca": "ca.crt", "requestCert": True,
                           "sessionIdContext": "fuzz"},  # as tls.createServer sets one
     {"ca": "ca.crt", "key": "client.key", "cert": "client.crt"}),
    # no tickets: sessions are resumed by id, from what a 'resumeSession' callback loaded
    ("tls12-session-id", {"key": "rsa.key", "cert": "rsa.crt", "maxVersion": "TLSv1.2",
                          "secureOptions": lib.SSL_OP_NO_TICKET},
     {"ca": "ca.crt", "maxVersion": "TLSv1.2"}),
]
# Every server context encrypts its tickets with these keys, so that the
# tickets of the recorded sessions (seed corpus) decrypt in a later process.
TICKET_KEYS = bytes(range(48))


def pki(name: str) -> bytes:
    path = os.path.join(PKI_DIR, name)
    if not os.path.exists(path):
        sys.exit("fuzz: %s is missing; run python fuzz/make_corpus.py first" % path)
    with open(path, "rb") as f:
        return f.read()


def _context_options(spec: Dict[str, Any]) -> Dict[str, Any]:
    opts = {}
    for key, value in spec.items():
        if key in ("key", "cert", "ca"):
            value = pki(value)
        if key != "requestCert":
            opts[key] = value
    return opts


_contexts: Dict[Tuple[int, bool], Any] = {}


def context(config: int, server: bool) -> Any:
    """The SecureContext of one side of CONFIGS[config] (made once per process)."""
    key = (config, server)
    if key not in _contexts:
        _, server_spec, client_spec = CONFIGS[config]
        ctx = tls.createSecureContext(_context_options(server_spec if server else client_spec))
        if server:
            ctx.setTicketKeys(TICKET_KEYS)
        _contexts[key] = ctx
    return _contexts[key]


def engine(config: int, server: bool) -> TLSEngine:
    """A fresh engine set up as TLSSocket._set_verify_mode sets its own."""
    eng = TLSEngine(context(config, server)._ctx, server)
    if not server or CONFIGS[config][1].get("requestCert"):
        lib.SSL_set_verify(eng.ssl, lib.SSL_VERIFY_PEER, lib.tls_verify_accept_all)
    if not server:
        eng.set_servername("localhost")
    return eng


# -- OpenSSL's progress as coverage ------------------------------------------------------
# libFuzzer only sees the instrumented Python code, not OpenSSL (a system
# library) or csrc/: an input that takes OpenSSL somewhere new looks like
# any other.  What OpenSSL does is visible from outside, though: the records
# it answers with (their types and lengths, an alert's description) and the
# error it ends with.  note() turns each such observation into one of 4096
# branches of an instrumented decision tree, so a new answer is new coverage.

_FEATURE_BITS = 12
_LEAF_BITS = 4     # one small instrumented function per 16 buckets: atheris instruments
                   # a single 4096-branch function in minutes, 256 small ones in a second


def _feature_tree() -> List[Callable[[int], int]]:
    lines = ["def bucket(v):"]

    def node(lo: int, hi: int, depth: int) -> None:
        pad = "    " * depth
        if hi - lo == 1:
            lines.append("%sreturn %d" % (pad, lo))
            return
        mid = (lo + hi) // 2
        lines.append("%sif v < %d:" % (pad, mid))
        node(lo, mid, depth + 1)
        lines.append("%selse:" % pad)
        node(mid, hi, depth + 1)
    node(0, 1 << _LEAF_BITS, 1)
    code = compile("\n".join(lines), "<fuzz-features>", "exec")
    functions = []
    for _ in range(1 << (_FEATURE_BITS - _LEAF_BITS)):
        namespace: Dict[str, Any] = {}
        exec(code, namespace)      # a new function object each time, instrumented on its own
        functions.append(atheris.instrument_func(namespace["bucket"]))
    return functions


_buckets = _feature_tree()


def note(*observation: Any) -> None:
    """Count ``observation`` (a tuple of small values) as coverage."""
    value = zlib.crc32(repr(observation).encode()) & ((1 << _FEATURE_BITS) - 1)
    _buckets[value >> _LEAF_BITS](value & ((1 << _LEAF_BITS) - 1))


def note_records(side: str, out: bytes) -> None:
    """The shape of what an engine sent: each record's type, length class and, for a
    plaintext alert, its level and description."""
    previous = None
    offset = 0
    while offset + 5 <= len(out) and offset < 4096:
        kind, length = out[offset], int.from_bytes(out[offset + 3:offset + 5], "big")
        shape: Tuple[Any, ...] = (kind, length.bit_length())
        if kind == 21 and length == 2:
            shape = (kind, out[offset + 5:offset + 7])
        note(side, previous, shape)
        previous = shape
        offset += 5 + length


def note_error(side: str, exc: BaseException) -> None:
    note(side, type(exc).__name__, getattr(exc, "code", None), getattr(exc, "reason", None))


def step(eng: TLSEngine) -> bytes:
    """One TLSConnection.cycle: handshake while not done, then read all; the plaintext.

    What the engine wants to send stays in it (the caller's outgoing()).
    """
    if not eng.handshake_done and not eng.handshake():
        return b""
    plaintext = []
    while True:
        data, status = eng.read()
        plaintext.append(data)
        if status != READ_MORE:
            break
    return b"".join(plaintext)


def drive(eng: TLSEngine, chunks: Iterator[bytes]) -> None:
    """Feed ``chunks`` as network reads, cycling after each, then the transport's EOF."""
    side = "server" if eng.is_server else "client"
    try:
        for chunk in chunks:
            eng.feed(chunk)
            plaintext = step(eng)
            note_records(side, eng.outgoing())
            if eng.handshake_done:
                note(side, "done", eng.protocol(), eng.session_reused(), len(plaintext).bit_length())
                eng.encrypt(b"reply")   # what an echo would do: exercises the write side too
                eng.outgoing()
        eng.feed_eof()
        step(eng)
    except Exception as exc:
        note_error(side, exc)
        note_records(side, eng.outgoing())   # the alert that goes with the error
        raise


def split_records(data: bytes) -> Tuple[int, Iterator[bytes]]:
    """A record input: byte 0 picks the configuration, byte 1 the read size (0: one read)."""
    if len(data) < 2:
        return 0, iter(())
    config = data[0] % len(CONFIGS)
    size = data[1] * 3
    body = data[2:]
    if size == 0:
        return config, iter((body,) if body else ())
    return config, (body[i:i + size] for i in range(0, len(body), size))


def pump(a: TLSEngine, b: TLSEngine, limit: int = 20) -> None:
    """Move records both ways until neither side has anything to say."""
    for _ in range(limit):
        moved = False
        for src, dst in ((a, b), (b, a)):
            out = src.outgoing()
            note_records("server" if src.is_server else "client", out)
            if out:
                dst.feed(out)
                moved = True
            step(dst)
        if not moved:
            return


def expected(exc: BaseException, codeless_ok: bool = False) -> bool:
    """The rule: a NodeError with a ``.code`` (or, where Node throws a code-less Error -- the
    PKCS#12 loader -- a code-less NodeError when ``codeless_ok``)."""
    if not isinstance(exc, NodeError):
        return False
    return exc.code is not None or codeless_ok


def guarded(exc: BaseException, codeless_ok: bool = False) -> None:
    """Re-raise ``exc`` (a finding: libFuzzer stops with its traceback) unless it is expected."""
    if not expected(exc, codeless_ok):
        raise exc


_loop: Optional[asyncio.AbstractEventLoop] = None


def in_loop(fn: Callable[[], Any]) -> Any:
    """Run ``fn`` inside a running event loop (what sockets need), then let its callbacks run."""
    global _loop
    if _loop is None:
        _loop = asyncio.new_event_loop()

    async def body() -> Any:
        result = fn()
        await asyncio.sleep(0)   # the callbacks it queued (destroy's 'close' ...)
        return result
    return _loop.run_until_complete(body())


def main(test_one: Callable[[bytes], None], argv: Optional[Sequence[str]] = None) -> None:
    atheris.Setup(list(argv if argv is not None else sys.argv), test_one)
    atheris.Fuzz()
