"""snake_case aliases of Node's camelCase names, made by one mechanism.

Node's names stay the primary ones (``getPeerCertificate``, ``createServer``,
``'secureConnect'``); every camelCase method, property and attribute of the
public classes, and every camelCase function of the public modules, also
answers to its snake_case spelling (``get_peer_certificate``,
``create_server``).  Event names are not translated: they are data, and stay
Node's.  Option keys have snake_case aliases too, made by the same
:func:`snake_name` but applied by ``tls._options`` (the one option rule).

Classes: :class:`SnakeCaseAliases` is a base class (of ``EventEmitter`` and
``SecureContext``) whose ``__init_subclass__`` runs :func:`add_aliases` on
every class derived from it, user subclasses included.  The aliases are plain
entries of the class ``__dict__``:

* a method, property, classmethod or staticmethod is aliased to the *same
  object* (``TLSSocket.get_peer_certificate is TLSSocket.getPeerCertificate``),
  so a call through the alias costs exactly what the camelCase call costs;
* a data attribute (a class-level default such as ``allowHalfOpen = False``,
  or an instance attribute a method assigns, such as ``self.maxConnections``)
  gets a small data descriptor that reads and writes the camelCase attribute,
  so ``server.max_connections = 10`` sets ``server.maxConnections``.

Nothing is added to attribute lookup itself (no ``__getattr__`` or
``__getattribute__`` on the classes): the camelCase names are found exactly as
before.  A subclass that overrides ``getX`` gets its own ``get_x`` pointing to
the override; a snake_case name the class defines itself is never replaced.

Instance attributes are found by reading the ``STORE_ATTR`` instructions of
the class's functions (a scan of their bytecode, not ``dis``, which would cost
tens of milliseconds per import).

Modules: :func:`module_getattr` builds a module ``__getattr__`` that resolves
``create_server`` to the module's ``createServer`` on first use and caches it
as a module attribute.  ``import tls`` does not import this module; the first
snake_case lookup does.
"""
from __future__ import annotations

import re
import sys
import types
import weakref
from typing import Any, Callable, Dict, Iterable, Iterator, Optional, Set, Tuple

__all__ = ["SnakeCaseAliases", "add_aliases", "snake_name", "module_getattr", "camel_for"]

# a word boundary: lower/digit -> Upper ("getPeer"), or the last capital of an
# acronym before a capitalised word ("ALPNProtocols", "setECDHCurve")
_BOUNDARY = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")
_WORD = re.compile(r"[A-Za-z][A-Za-z0-9]*\Z")


def snake_name(name: str) -> Optional[str]:
    """The snake_case alias of a camelCase name, or None when ``name`` is not one.

    ``getPeerCertificate`` -> ``get_peer_certificate``, ``ALPNProtocols`` ->
    ``alpn_protocols``, ``isIPv4`` -> ``is_ipv4``, ``loadPKCS12`` ->
    ``load_pkcs12``.  Private names, snake_case names, all-caps constants and
    CapWords class names (``Socket``, ``EventEmitter``) have no alias.
    """
    if name[:1] == "_" or not _WORD.match(name) or name.islower() or name.isupper():
        return None
    if name[0].isupper() and name[1:2].islower():
        return None  # CapWords: a class name
    return _BOUNDARY.sub("_", name.replace("IPv", "Ipv")).lower()


class _AttributeAlias:
    """``obj.snake`` reads, writes and deletes ``obj.camel`` (on a class: ``cls.camel``)."""

    __slots__ = ("camel",)

    def __init__(self, camel: str) -> None:
        self.camel = camel

    def __get__(self, obj: Any, owner: Any = None) -> Any:
        return getattr(owner if obj is None else obj, self.camel)

    def __set__(self, obj: Any, value: Any) -> None:
        setattr(obj, self.camel, value)

    def __delete__(self, obj: Any) -> None:
        delattr(obj, self.camel)

    def __repr__(self) -> str:
        return "<alias of %r>" % self.camel


# The names an add_aliases call put in a class, so a later subclass can tell
# its own aliases (replaceable) from a snake_case name someone defined.
_MADE = "_snake_case_aliases_"

_STORE_ATTR = None
_EXTENDED_ARG = None


def _stored_attributes(code: types.CodeType) -> Iterator[str]:
    """The attribute names ``code`` assigns (its STORE_ATTR instructions)."""
    global _STORE_ATTR, _EXTENDED_ARG
    if _STORE_ATTR is None:
        import opcode
        _STORE_ATTR = opcode.opmap["STORE_ATTR"]
        _EXTENDED_ARG = opcode.opmap["EXTENDED_ARG"]
    raw = code.co_code
    names = code.co_names
    position = raw.find(_STORE_ATTR)
    while position != -1:
        if not position & 1:  # an opcode (even offset), not an argument byte
            arg = raw[position + 1]
            back, shift = position - 2, 8
            while back >= 0 and raw[back] == _EXTENDED_ARG:
                arg |= raw[back + 1] << shift
                back, shift = back - 2, shift + 8
            if arg < len(names):
                yield names[arg]
        position = raw.find(_STORE_ATTR, position + 1)


def _functions(value: Any) -> Iterator[types.FunctionType]:
    if isinstance(value, (staticmethod, classmethod)):
        value = value.__func__
    if isinstance(value, types.FunctionType):
        yield value
    elif isinstance(value, property):
        for accessor in (value.fget, value.fset):
            if isinstance(accessor, types.FunctionType):
                yield accessor


def _resolve(mro: Iterable[type], name: str) -> Any:
    """``name`` as the class's MRO defines it (the raw ``__dict__`` entry), or a miss."""
    for klass in mro:
        namespace = klass.__dict__
        if name in namespace:
            return klass, namespace[name]
    return None, None


_scanned: "weakref.WeakKeyDictionary[type, Tuple[Tuple[str, ...], Tuple[str, ...]]]" = weakref.WeakKeyDictionary()


def _own_names(klass: type) -> Tuple[Tuple[str, ...], Tuple[str, ...]]:
    """(camelCase names in ``klass.__dict__``, camelCase attributes its functions assign); cached."""
    found = _scanned.get(klass)
    if found is None:
        namespace = klass.__dict__
        members = tuple(name for name in namespace if snake_name(name) is not None)
        stored = []
        for value in list(namespace.values()):
            for function in _functions(value):
                for name in _stored_attributes(function.__code__):
                    if name not in stored and snake_name(name) is not None:
                        stored.append(name)
        found = _scanned[klass] = (members, tuple(stored))
    return found


def add_aliases(cls: type) -> type:
    """Give ``cls`` a snake_case alias for each camelCase name it has (see the module docstring)."""
    mro = cls.__mro__[:-1] if cls.__mro__[-1] is object else cls.__mro__
    made: Set[str] = set()
    seen: Set[str] = set()
    # class attributes through the MRO (the first definition of a name wins),
    # then instance attributes that the classes' own functions assign
    for phase in (0, 1):
        for klass in mro:
            for name in _own_names(klass)[phase]:
                if name not in seen:
                    seen.add(name)
                    snake = snake_name(name)
                    assert snake is not None  # _own_names keeps only the names that have one
                    _alias(cls, mro, name, snake, made, klass.__dict__[name] if phase == 0 else None)
    type.__setattr__(cls, _MADE, frozenset(made))
    return cls


def _alias(cls: type, mro: Any, camel: str, snake: str, made: Set[str], value: Any) -> None:
    owner, current = _resolve(mro, snake)
    if owner is not None and snake not in owner.__dict__.get(_MADE, ()):
        return  # a snake_case name defined by hand wins
    if value is None or not hasattr(type(value), "__get__"):
        if isinstance(current, _AttributeAlias) and current.camel == camel:
            return  # the inherited alias does the same
        alias: Any = _AttributeAlias(camel)
    else:
        if current is value:
            return  # inherited, and still the right object
        alias = value
    type.__setattr__(cls, snake, alias)
    made.add(snake)


class SnakeCaseAliases:
    """Base class: each subclass gets snake_case aliases of its camelCase names."""

    __slots__ = ()

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        add_aliases(cls)


# -- modules -----------------------------------------------------------------------------

_module_maps: Dict[str, Dict[str, str]] = {}


def camel_for(name: str, names: Iterable[str]) -> Optional[str]:
    """The camelCase name among ``names`` whose snake_case alias is ``name``."""
    for candidate in names:
        if snake_name(candidate) == name:
            return candidate
    return None


def module_getattr(module_name: str, extra_names: Callable[[], Iterable[str]] = tuple) -> Callable[[str], Any]:
    """A module ``__getattr__``: ``module.create_server`` is ``module.createServer``.

    The camelCase names are the module's globals (plus ``extra_names()``, for
    names the module makes lazily); a resolved alias is cached as a module
    attribute when its target is one (so later lookups skip this function).
    """
    def __getattr__(name: str) -> Any:
        module = sys.modules[module_name]
        namespace = module.__dict__
        camel = None
        if "_" in name and name[:1] != "_":
            table = _module_maps.get(module_name)
            camel = table.get(name) if table is not None else None
            if camel is None:
                table = _module_maps[module_name] = {}
                for candidate in list(namespace) + list(extra_names()):
                    # functions and values start lower case; classes keep their names
                    snake = snake_name(candidate) if candidate[:1].islower() else None
                    if snake is not None:
                        table.setdefault(snake, candidate)
                camel = table.get(name)
        if camel is None:
            raise AttributeError("module %r has no attribute %r" % (module_name, name))
        value = getattr(module, camel)
        if camel in namespace:
            namespace[name] = value
        return value

    return __getattr__
