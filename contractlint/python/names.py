"""What a name in Python code refers to, from the shared analysis
(``contractlint.python.analysis``): ``ge`` after ``from os import getenv as ge`` is
``os.getenv``; a local variable called ``os`` is not the os module. Static only:
nothing is imported."""

from __future__ import annotations

import ast
from typing import TYPE_CHECKING

from contractlint.python.analysis import BUILTIN, IMPORT

if TYPE_CHECKING:
    from contractlint.python.code import PythonCode

# Calls that read an environment variable and return something other than raising
# when it is missing.
ENV_GET_CALLS = frozenset({"os.environ.get", "os.getenv", "os.environ.setdefault"})
ENVIRON = "os.environ"


def qualified_names(code: PythonCode, node: ast.AST) -> frozenset[str]:
    """Fully qualified names ``node`` may refer to, through imports and builtins (a
    local definition shadowing an import is not the imported thing)."""
    return frozenset(
        name.name for name in code.analysis.qualified_names(node) if name.source in (IMPORT, BUILTIN)
    )


def refers_to(code: PythonCode, node: ast.AST, *names: str) -> bool:
    return not qualified_names(code, node).isdisjoint(names)


def is_env_get_call(code: PythonCode, node: ast.AST) -> bool:
    """``os.environ.get(…)``, ``os.getenv(…)`` or ``os.environ.setdefault(…)``, any alias."""
    return isinstance(node, ast.Call) and _may_be_os(code, node.func) and refers_to(code, node.func, *ENV_GET_CALLS)


def is_env_read(code: PythonCode, node: ast.AST) -> bool:
    """Any read of an environment variable: the calls above or ``os.environ[…]``."""
    if is_env_get_call(code, node):
        return True
    return isinstance(node, ast.Subscript) and _may_be_os(code, node.value) and refers_to(code, node.value, ENVIRON)


def _may_be_os(code: PythonCode, node: ast.AST) -> bool:
    """Syntactically a name chain rooted at a name some import binds to the os module
    or something in it: only those are worth resolving."""
    from contractlint.python.environ import import_bound_names

    while isinstance(node, ast.Attribute):
        node = node.value
    return isinstance(node, ast.Name) and node.id in import_bound_names(code)


def import_or_def_names(code: PythonCode) -> frozenset[str] | None:
    """Names bound anywhere by an ``import`` or a ``def``; None when unknown (a
    ``from x import *`` may bind anything)."""
    return code.analysis.import_or_def_names
