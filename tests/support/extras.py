"""Tests that need a tool from an extra other than ``test`` (mypy from ``lint``, cibuildwheel and pyyaml
from ``wheels``).

``pip install -e '.[test]'`` (the README's test command) brings only what the behaviour tests need, so
these tests skip there and say which extra runs them.  ``.ci/run`` installs the extras and sets
``TLS_TEST_REQUIRE_EXTRAS=1``: then a missing tool is a failure, never a silent skip.
"""
from __future__ import annotations

import importlib
import os
import shutil
from types import ModuleType

import pytest

REQUIRED = os.environ.get("TLS_TEST_REQUIRE_EXTRAS") == "1"


def _missing(what: str, extra: str) -> None:
    message = "%s comes with the '%s' extra: pip install -e '.[%s]'" % (what, extra, extra)
    if REQUIRED:
        pytest.fail(message + " (TLS_TEST_REQUIRE_EXTRAS=1: required here)", pytrace=False)
    pytest.skip(message + " (.ci/run runs this test with it)", allow_module_level=True)


def need_module(name: str, extra: str) -> ModuleType:
    """Import ``name`` or skip (fail under TLS_TEST_REQUIRE_EXTRAS=1) naming the extra that brings it."""
    try:
        return importlib.import_module(name)
    except ImportError:
        _missing("the module %r" % name, extra)
        raise  # not reached: _missing skips or fails


def need_command(name: str, extra: str) -> str:
    """The path of a command, or skip (fail under TLS_TEST_REQUIRE_EXTRAS=1) naming its extra."""
    path = shutil.which(name)
    if path is None:
        _missing("the command %r" % name, extra)
        raise AssertionError("not reached")
    return path
