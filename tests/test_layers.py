"""The package's layers import one way, and the tree shows them (docs/architecture.md).

Every ``import`` of a tls module in src/tls is read with ``ast``, at module
level and inside functions alike (an in-function import that dodged a cycle
is still a cycle); imports under ``if TYPE_CHECKING:`` are for type checkers
only and are left out.  Each module belongs to the layer its folder names:

    0 _base      1 _binding   2 _engine   3 _protocol
    4 _node      5 _objects   6 _faces    7 the package itself and __main__

and the public modules stand where their implementation does (``tls.events``
and ``tls.net`` in the runtime, ``tls.streams`` in the faces, ``tls.errors``
in the base).  Rules: no import from a lower layer to a higher one, and no
import cycle.  The checker is also run on a made-up graph with one cycle and
one upward import, to show that it finds them.
"""
from __future__ import annotations

import ast
import os
import subprocess
import sys
from typing import Dict, List, Set, Tuple

import tls

PACKAGE = os.path.dirname(tls.__file__)
LAYERS = {"_base": 0, "_binding": 1, "_engine": 2, "_protocol": 3, "_node": 4, "_objects": 5, "_faces": 6}
PUBLIC = {"tls.errors": 0, "tls._openssl": 1, "tls.events": 4, "tls.net": 4, "tls.streams": 6, "tls.cluster": 6}


def module_names() -> Dict[str, str]:
    """Module name -> file, for every .py file of the package."""
    modules = {}
    for folder, dirs, files in os.walk(PACKAGE):
        dirs[:] = [d for d in dirs if d != "__pycache__"]
        for name in files:
            if name.endswith(".py"):
                path = os.path.join(folder, name)
                parts = ["tls"] + os.path.relpath(path, PACKAGE)[:-3].split(os.sep)
                if parts[-1] == "__init__":
                    parts.pop()
                modules[".".join(parts)] = path
    return modules


def layer_of(module: str) -> int:
    if module in PUBLIC:
        return PUBLIC[module]
    parts = module.split(".")
    if len(parts) > 1 and parts[1] in LAYERS:
        return LAYERS[parts[1]]
    return 7


def _type_checking_lines(tree: ast.AST) -> Set[int]:
    lines: Set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and getattr(node.test, "id", None) == "TYPE_CHECKING":
            for child in node.body:
                for inner in ast.walk(child):
                    if hasattr(inner, "lineno"):
                        lines.add(inner.lineno)
    return lines


def imports_of(module: str, path: str, known: Set[str]) -> List[Tuple[str, int]]:
    """(imported tls module, line) for each import in the file, TYPE_CHECKING blocks left out."""
    with open(path, encoding="utf-8") as f:
        tree = ast.parse(f.read(), path)
    skip = _type_checking_lines(tree)
    package = module if path.endswith("__init__.py") else module.rpartition(".")[0]
    found = []
    for node in ast.walk(tree):
        if getattr(node, "lineno", None) in skip:
            continue
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[:len(base) - (node.level - 1)] if node.level > 1 else base
                source = ".".join(base + ([node.module] if node.module else []))
            else:
                source = node.module or ""
            # "from pkg import mod" imports the module pkg.mod when there is one
            targets = [source + "." + alias.name if source + "." + alias.name in known else source
                       for alias in node.names]
        else:
            continue
        for target in targets:
            if target == "tls" or target.startswith("tls."):
                found.append((target, node.lineno))
    return found


def graph() -> Dict[str, Set[str]]:
    modules = module_names()
    known = set(modules) | set(PUBLIC)
    edges: Dict[str, Set[str]] = {name: set() for name in modules}
    for name, path in modules.items():
        for target, _ in imports_of(name, path, known):
            if target != name:
                edges[name].add(target)
    return edges


def problems(edges: Dict[str, Set[str]]) -> List[str]:
    """Upward imports and import cycles of a module graph."""
    found = []
    for source in sorted(edges):
        for target in sorted(edges[source]):
            # a package's __init__ may not reach into the layers above it; the package itself
            # (layer 7) imports downwards only
            if layer_of(target) > layer_of(source):
                found.append("upward import: %s (layer %d) imports %s (layer %d)"
                             % (source, layer_of(source), target, layer_of(target)))
    # cycles: Tarjan's strongly connected components
    index: Dict[str, int] = {}
    low: Dict[str, int] = {}
    stack: List[str] = []
    on_stack: Set[str] = set()
    counter = [0]

    def visit(node: str) -> None:
        index[node] = low[node] = counter[0]
        counter[0] += 1
        stack.append(node)
        on_stack.add(node)
        for target in edges.get(node, ()):
            if target not in edges:
                continue
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                found.append("import cycle: " + " -> ".join(sorted(component)))

    sys.setrecursionlimit(max(sys.getrecursionlimit(), 10000))
    for node in sorted(edges):
        if node not in index:
            visit(node)
    return found


def test_the_checker_finds_a_cycle_and_an_upward_import():
    made_up = {
        "tls._base.a": {"tls._node.events"},          # upward: base -> runtime
        "tls._node.events": {"tls._node.runtime"},
        "tls._node.runtime": {"tls._node.events"},    # cycle
        "tls._objects.x509": {"tls._binding"},        # fine: downward
        "tls._binding": set(),
    }
    found = problems(made_up)
    assert "upward import: tls._base.a (layer 0) imports tls._node.events (layer 4)" in found
    assert "import cycle: tls._node.events -> tls._node.runtime" in found
    assert len(found) == 2


def test_an_in_function_import_counts(tmp_path):
    source = tmp_path / "mod.py"
    source.write_text("def f():\n    from ..._node import events\n\nif TYPE_CHECKING:\n"
                      "    from ..._objects import x509\n")
    found = imports_of("tls._base.sub.mod", str(source), {"tls._node.events", "tls._objects.x509"})
    assert found == [("tls._node.events", 2)]


def test_imports_go_one_way_without_cycles():
    assert problems(graph()) == []


def test_every_module_is_in_a_layer_folder():
    """The tree shows the stack: only the package face, its public modules and __main__ live at the top."""
    top = sorted(name for name in module_names() if name.count(".") == 1 and name.split(".")[1] not in LAYERS)
    assert top == ["tls.__main__", "tls.cluster", "tls.errors", "tls.events", "tls.lifecycle", "tls.net",
                   "tls.openssl", "tls.sansio", "tls.stores", "tls.streams"]


def test_the_runtime_does_not_load_openssl():
    code = ("import sys, tls.net, tls.events, tls.errors\n"
            "s = tls.net.Socket if False else None\n"
            "print(sorted(m for m in sys.modules if m.startswith('tls._binding') or m == 'tls._openssl'))\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    assert out.stdout.strip() == "[]", out.stdout


def test_every_folder_is_a_package_the_wheel_ships():
    """pyproject.toml finds tls and tls.* packages: a folder of modules without __init__.py would be left out."""
    for folder, dirs, files in os.walk(PACKAGE):
        dirs[:] = [d for d in dirs if d != "__pycache__"]
        if any(name.endswith(".py") for name in files):
            assert "__init__.py" in files, folder


def test_the_node_objects_do_not_touch_openssl():
    """TLSSocket and Server speak to OpenSSL only through the engine and the protocol layer
    (tls._protocol.connection): neither imports ``ffi``/``lib`` nor anything of the binding."""
    modules = module_names()
    known = set(modules) | set(PUBLIC)
    for name in ("tls._objects.tlssocket", "tls._objects.server"):
        path = modules[name]
        binding = [(target, line) for target, line in imports_of(name, path, known)
                   if target == "tls._openssl" or target == "tls._binding" or target.startswith("tls._binding.")]
        assert binding == [], (name, binding)
        with open(path, encoding="utf-8") as f:
            tree = ast.parse(f.read(), path)
        names = [alias.asname or alias.name for node in ast.walk(tree)
                 if isinstance(node, (ast.Import, ast.ImportFrom)) for alias in node.names]
        assert "ffi" not in names and "lib" not in names, (name, names)
