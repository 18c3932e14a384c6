"""What a name in Python code refers to, from libcst's scope analysis: ``ge`` after
``from os import getenv as ge`` is ``os.getenv``; a local variable called ``os``
is not the os module. Static only: nothing is imported."""

from __future__ import annotations

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
    from libcst.metadata import QualifiedNameProvider, QualifiedNameSource

    names = code.metadata(QualifiedNameProvider, node, set())
    # A local definition shadowing an import is not the imported thing.
    return frozenset(n.name for n in names if n.source in (QualifiedNameSource.IMPORT, QualifiedNameSource.BUILTIN))


def refers_to(code: PythonCode, node: cst.CSTNode, *names: str) -> bool:
    return not qualified_names(code, node).isdisjoint(names)


def is_env_get_call(code: PythonCode, node: cst.CSTNode) -> bool:
    """``os.environ.get(…)``, ``os.getenv(…)`` or ``os.environ.setdefault(…)``, any alias."""
    import libcst as cst

    return isinstance(node, cst.Call) and refers_to(code, node.func, *ENV_GET_CALLS)


def is_env_read(code: PythonCode, node: cst.CSTNode) -> bool:
    """Any read of an environment variable: the calls above or ``os.environ[…]``."""
    import libcst as cst

    if is_env_get_call(code, node):
        return True
    return isinstance(node, cst.Subscript) and refers_to(code, node.value, ENVIRON)
