"""Every ```python block of the documentation runs, as a program of its own.

Collects the fenced ```python (or ```py) blocks of ``docs/**/*.md`` and ``README.md`` and runs each one
in a subprocess: ``python <block>`` with ``PYTHONPATH=src``, in a fresh temporary directory that holds the
certificate files of the documentation's convention (``docs/reference/index.md``, "Certificates for the
examples"): ``ca-cert.pem``, ``ca-key.pem``, ``server-key.pem``, ``server-cert.pem``, ``client-key.pem``,
``client-cert.pem``, ``server.pfx`` and ``client.pfx``. Those files are made by running the block titled
``make_certs.py`` on that page, so the script the page shows is the one the tests use.

A block passes when its program exits with status 0 within its timeout. The program's file has the block's
code at the same line numbers as in the Markdown file, so a traceback's line number is the Markdown line.

A block that is not a program (a signature, a fragment) starts with the line ``# doc: no-run (reason)``;
``pycon``, ``text``, ``sh`` ... blocks are never run. All blocks run concurrently in a thread pool, each
with a timeout, so the whole file takes the time of the slowest few blocks.
"""
from __future__ import annotations

import concurrent.futures
import dataclasses
import glob
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SRC = os.path.join(ROOT, "src")

TIMEOUT = 60.0              # seconds for one block (they all run at once)
NO_RUN = "# doc: no-run"
FIXTURE_TITLE = "make_certs.py"

_OPEN = re.compile(r"^(?P<indent>[ \t]*)(?P<fence>`{3,}|~{3,})[ \t]*(?P<info>[^`\n]*)$")
_LANGS = {"python", "py", "python3"}


@dataclasses.dataclass(frozen=True)
class Block:
    path: str           # relative to the repository root, with '/'
    line: int           # 1-based line of the opening fence
    code: str           # dedented, as many lines as the block has
    info: str           # the fence's info string (language and attributes)

    @property
    def id(self) -> str:
        return "%s:%d" % (self.path, self.line)

    @property
    def title(self):
        match = re.search(r'title="([^"]*)"', self.info)
        return match.group(1) if match else None

    @property
    def no_run(self) -> bool:
        first = next((line.strip() for line in self.code.splitlines() if line.strip()), "")
        return first.startswith(NO_RUN)

    def program(self) -> str:
        # blank lines first, so that line N of the program is line N of the Markdown file
        return "\n" * self.line + self.code


def doc_files():
    files = sorted(glob.glob(os.path.join(ROOT, "docs", "**", "*.md"), recursive=True))
    readme = os.path.join(ROOT, "README.md")
    if os.path.exists(readme):
        files.append(readme)
    return files


def parse_blocks(path: str, text: str):
    """The fenced python blocks of one Markdown text (fences may be indented, e.g. in a list item)."""
    lines = text.split("\n")
    blocks = []
    i = 0
    while i < len(lines):
        match = _OPEN.match(lines[i])
        if not match:
            i += 1
            continue
        indent, fence, info = match.group("indent"), match.group("fence"), match.group("info").strip()
        close = re.compile(r"^[ \t]*" + re.escape(fence[0]) + "{%d,}[ \t]*$" % len(fence))
        j = i + 1
        while j < len(lines) and not close.match(lines[j]):
            j += 1
        language = re.split(r"[\s{]", info, maxsplit=1)[0].lower() if info else ""
        if language in _LANGS:
            body = [line[len(indent):] if line.startswith(indent) else line.lstrip() for line in lines[i + 1:j]]
            blocks.append(Block(path, i + 1, "\n".join(body) + "\n", info))
        i = j + 1
    return blocks


def collect():
    blocks = []
    for filename in doc_files():
        rel = os.path.relpath(filename, ROOT).replace(os.sep, "/")
        with open(filename, encoding="utf-8") as handle:
            blocks.extend(parse_blocks(rel, handle.read()))
    return blocks


BLOCKS = collect()


@dataclasses.dataclass
class Result:
    returncode: object      # int, or 'timeout'
    stdout: str
    stderr: str
    seconds: float


def _env():
    env = dict(os.environ)
    for name in ("PYTHON_TLS_CIPHER_LIST", "NODE_TLS_REJECT_UNAUTHORIZED", "PYTHONSTARTUP"):
        env.pop(name, None)
    env["PYTHONPATH"] = SRC + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    env["PYTHONUNBUFFERED"] = "1"
    return env


def run_program(directory: str, filename: str, code: str, timeout: float) -> Result:
    with open(os.path.join(directory, filename), "w", encoding="utf-8") as handle:
        handle.write(code)
    start = time.monotonic()
    proc = subprocess.Popen([sys.executable, filename], cwd=directory, env=_env(), stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        out, err = proc.communicate(timeout=timeout)
        code_or_timeout: object = proc.returncode
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)     # the block's process group: it and what it started
        out, err = proc.communicate()
        code_or_timeout = "timeout"
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    return Result(code_or_timeout, out, err, time.monotonic() - start)


def _program_name(block: Block) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]", "_", block.path.replace("/", "__")) + ".py"


@pytest.fixture(scope="session")
def fixture_dir(tmp_path_factory):
    """The certificate files of the convention, made by the page's own make_certs.py block."""
    makers = [block for block in BLOCKS if block.title == FIXTURE_TITLE]
    assert len(makers) == 1, "exactly one ```python title=\"%s\" block must make the examples' certificates, " \
                             "found %s" % (FIXTURE_TITLE, [block.id for block in makers])
    directory = str(tmp_path_factory.mktemp("doc-certs"))
    result = run_program(directory, FIXTURE_TITLE, makers[0].program(), TIMEOUT)
    assert result.returncode == 0, "%s failed:\n%s" % (makers[0].id, result.stderr)
    os.remove(os.path.join(directory, FIXTURE_TITLE))
    return directory


@pytest.fixture(scope="session")
def results(request, fixture_dir, tmp_path_factory):
    """Start every runnable block that this session selected at once; block id -> Future[Result]."""
    base = str(tmp_path_factory.mktemp("doc-blocks"))
    selected = {item.callspec.params["block"].id for item in request.session.items
                if getattr(item, "callspec", None) is not None and "block" in item.callspec.params}
    runnable = [block for block in BLOCKS if not block.no_run and block.id in selected]
    workers = max(4, min(16, 4 * (os.cpu_count() or 2)))
    pool = concurrent.futures.ThreadPoolExecutor(max_workers=workers, thread_name_prefix="doc-block")

    def run(block: Block) -> Result:
        directory = tempfile.mkdtemp(prefix="block-", dir=base)
        for name in os.listdir(fixture_dir):
            shutil.copy(os.path.join(fixture_dir, name), directory)
        return run_program(directory, _program_name(block), block.program(), TIMEOUT)

    futures = {block.id: pool.submit(run, block) for block in runnable}
    yield futures
    pool.shutdown(wait=True)


def _tail(text: str, lines: int = 40) -> str:
    return "\n".join(text.rstrip().splitlines()[-lines:])


@pytest.mark.parametrize("block", [pytest.param(block, id=block.id) for block in BLOCKS])
def test_doc_block_runs(block, results):
    if block.no_run:
        reason = block.code.strip().splitlines()[0][len(NO_RUN):].strip(" :-()")
        assert reason, "%s: '%s' needs a reason, e.g. '%s (a signature)'" % (block.id, NO_RUN, NO_RUN)
        pytest.skip("%s: %s" % (block.id, reason))
    result = results[block.id].result()
    if result.returncode == "timeout":
        pytest.fail("%s: the block did not finish in %.0f s\n--- stdout ---\n%s\n--- stderr ---\n%s"
                    % (block.id, result.seconds, _tail(result.stdout), _tail(result.stderr)), pytrace=False)
    if result.returncode != 0:
        pytest.fail("%s: the block exited with status %s (traceback line numbers are lines of %s)\n"
                    "--- stdout ---\n%s\n--- stderr ---\n%s"
                    % (block.id, result.returncode, block.path, _tail(result.stdout), _tail(result.stderr)),
                    pytrace=False)


def test_blocks_were_found():
    paths = {block.path for block in BLOCKS}
    assert "docs/usage.md" in paths and "docs/async.md" in paths
    assert len(BLOCKS) >= 20


def test_no_run_blocks_are_rare():
    skipped = [block.id for block in BLOCKS if block.no_run]
    assert len(skipped) <= max(3, len(BLOCKS) // 20), "too many '%s' blocks: %s" % (NO_RUN, skipped)
