"""``dir()`` of the public modules (and of ``tls.cluster`` / ``tls.process``, Node's modules as
objects) shows their API: ``__all__`` (and a package's public submodules), no ``typing`` names,
no ``TYPE_CHECKING`` / ``annotations``, no private modules or helpers."""
from __future__ import annotations

import pytest

import tls

NOISE = {"Any", "Dict", "List", "Optional", "Callable", "TYPE_CHECKING", "annotations", "sys", "asyncio",
         "_base", "_node", "_objects", "_importlib", "_LAZY"}
SUBMODULES = {"cluster", "errors", "events", "lifecycle", "net", "process", "stores", "streams"}


def _api(names):
    return {name for name in names if not (name.startswith("__") and name.endswith("__"))}


def test_dir_tls_is_all_and_the_public_submodules():
    shown = _api(dir(tls))
    assert shown == set(tls.__all__) | SUBMODULES
    assert not shown & NOISE
    assert "__doc__" in dir(tls)                 # the dunders tools read stay
    for name in shown:                           # and everything shown is there
        assert getattr(tls, name) is not None


@pytest.mark.parametrize("name", ["streams", "net", "events", "errors", "lifecycle", "stores"])
def test_dir_of_each_public_module_is_its_all(name):
    module = getattr(tls, name)
    shown = _api(dir(module))
    assert shown == set(module.__all__), shown ^ set(module.__all__)
    assert not shown & NOISE
    for attr in shown:
        getattr(module, attr)
    assert module.__dir__ is not None and "Any" not in dir(module)


def test_hidden_names_still_resolve():
    # dir() is what is listed, not what exists: the implementation's imports are untouched
    assert tls.streams.asyncio is __import__("asyncio")
    assert tls.net.connect is tls.net.createConnection


@pytest.mark.parametrize("name", ["cluster", "process"])
def test_dir_of_the_node_module_objects_has_no_private_names(name):
    shown = dir(getattr(tls, name))
    assert shown and not [attr for attr in shown if attr.startswith("_")]
    assert {"on", "emit"} <= set(shown)
    assert ("fork" in shown) if name == "cluster" else ("kill" in shown)
