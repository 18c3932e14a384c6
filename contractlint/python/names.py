"""What a name in Python code refers to, from libcst's scope analysis: ``ge`` after
``from os import getenv as ge`` is ``os.getenv``; a local variable called ``os``
is not the os module. Static only: nothing is imported."""

from __future__ import annotations

import weakref
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import libcst as cst

    from contractlint.python.code import PythonCode

# Calls that read an environment variable and return something other than raising
# when it is missing.
ENV_GET_CALLS = frozenset({"os.environ.get", "os.getenv", "os.environ.setdefault"})
ENVIRON = "os.environ"


def qualified_names(code: PythonCode, node: cst.CSTNode) -> frozenset[str]:
    """Fully qualified names ``node`` may refer to (empty when unknown or local)."""
    import builtins

    import libcst as cst
    from libcst.metadata import QualifiedNameProvider, QualifiedNameSource

    if isinstance(node, cst.Name) and hasattr(builtins, node.value):
        bound = bound_names(code)
        if bound is not None and node.value not in bound:
            # A builtin name the module never binds: no scope analysis needed.
            return frozenset({f"builtins.{node.value}"})
    names = code.metadata(QualifiedNameProvider, node, set())
    # A local definition shadowing an import is not the imported thing.
    return frozenset(n.name for n in names if n.source in (QualifiedNameSource.IMPORT, QualifiedNameSource.BUILTIN))


def refers_to(code: PythonCode, node: cst.CSTNode, *names: str) -> bool:
    return not qualified_names(code, node).isdisjoint(names)


def is_env_get_call(code: PythonCode, node: cst.CSTNode) -> bool:
    """``os.environ.get(…)``, ``os.getenv(…)`` or ``os.environ.setdefault(…)``, any alias."""
    import libcst as cst

    return isinstance(node, cst.Call) and _may_be_os(code, node.func) and refers_to(code, node.func, *ENV_GET_CALLS)


def is_env_read(code: PythonCode, node: cst.CSTNode) -> bool:
    """Any read of an environment variable: the calls above or ``os.environ[…]``."""
    import libcst as cst

    if is_env_get_call(code, node):
        return True
    return isinstance(node, cst.Subscript) and _may_be_os(code, node.value) and refers_to(code, node.value, ENVIRON)


def _may_be_os(code: PythonCode, node: cst.CSTNode) -> bool:
    """Syntactically a name chain rooted at a name some import binds to the os module
    or something in it: only those need scope analysis (which is slow on big files)."""
    import libcst as cst

    from contractlint.python.environ import import_bound_names

    while isinstance(node, cst.Attribute):
        node = node.value
    return isinstance(node, cst.Name) and node.value in import_bound_names(code)


_BOUND: weakref.WeakKeyDictionary[PythonCode, tuple[frozenset[str] | None, frozenset[str] | None]] = (
    weakref.WeakKeyDictionary()
)


def bound_names(code: PythonCode) -> frozenset[str] | None:
    """Every name the code binds anywhere (assignment, definition, parameter, import,
    ``as``, ``global``, ``del``…), from CPython's fast parser; None when that cannot be
    told (CPython does not parse it, or a ``from x import *`` may bind anything)."""
    return _bindings(code)[0]


def import_or_def_names(code: PythonCode) -> frozenset[str] | None:
    """Names bound anywhere by an ``import`` or a ``def``; None when unknown (as above)."""
    return _bindings(code)[1]


def _bindings(code: PythonCode) -> tuple[frozenset[str] | None, frozenset[str] | None]:
    if code not in _BOUND:
        _BOUND[code] = _bound_names(code.text)
    return _BOUND[code]


def _bound_names(text: str) -> tuple[frozenset[str] | None, frozenset[str] | None]:
    import ast

    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None, None
    names: set[str] = set()
    imported: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and not isinstance(node.ctx, ast.Load):
            names.add(node.id)
        elif isinstance(node, ast.arg):
            names.add(node.arg)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
            if not isinstance(node, ast.ClassDef):
                imported.add(node.name)
        elif isinstance(node, ast.alias):
            if node.name == "*":
                return None, None
            names.add(node.asname or node.name.split(".")[0])
            imported.add(node.asname or node.name.split(".")[0])
        elif isinstance(node, (ast.ExceptHandler, ast.MatchAs, ast.MatchStar)) and node.name:
            names.add(node.name)
        elif isinstance(node, ast.MatchMapping) and node.rest:
            names.add(node.rest)
        elif isinstance(node, (ast.Global, ast.Nonlocal)):
            names.update(node.names)
    return frozenset(names), frozenset(imported)
