"""The shared analysis of a piece of Python (``contractlint.python.analysis``): what
each name refers to — aliases, shadowing by locals, parameters and class attributes,
``global``/``nonlocal``, comprehensions, star imports, dotted imports, conditional
imports, ``del``, the walrus, match captures, annotations — checked against what
CPython's own symbol table says, and the one traversal rules read nodes from."""

from __future__ import annotations

import ast
import symtable
import textwrap
from pathlib import Path

import pytest

from contractlint.python.analysis import BUILTIN, FUNCTION_TYPES, IMPORT, LOCAL, Analysis, QualifiedName, ScopeError

REPO = Path(__file__).resolve().parents[1]


def analyse(source: str) -> tuple[Analysis, ast.Module]:
    tree = ast.parse(textwrap.dedent(source))
    return Analysis(tree), tree


def names_of(source: str, line: int, text: str) -> set[tuple[str, str]]:
    """(qualified name, source) of the expression ``text`` (a name or attribute chain)
    written on ``line``."""
    analysis, tree = analyse(source)
    found = [
        node for node in ast.walk(tree)
        if isinstance(node, (ast.Name, ast.Attribute)) and getattr(node, "lineno", None) == line
        and ast.unparse(node) == text
    ]
    assert found, f"{text!r} is not on line {line}"
    return {(name.name, name.source) for name in analysis.qualified_names(found[0])}


# -- aliases and imports --------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "text", "expected"),
    [
        ("import os as _os\n_os.getenv('A')\n", "_os.getenv", {("os.getenv", IMPORT)}),
        ("from os import getenv as ge\nge('A')\n", "ge", {("os.getenv", IMPORT)}),
        ("from os import environ as ENV\nENV.get('A')\n", "ENV.get", {("os.environ.get", IMPORT)}),
        ("import os.path\nos.path.join('a')\n", "os.path.join", {("os.path.join", IMPORT)}),
        ("import os.path\nos.getenv('A')\n", "os.getenv", {("os.getenv", IMPORT)}),  # `import os.path` binds os
        ("from .load import run\nrun()\n", "run", {(".load.run", IMPORT)}),
        ("from . import load\nload.run()\n", "load.run", {(".load.run", IMPORT)}),
        ("import pipelines.load as load\nload.run()\n", "load.run", {("pipelines.load.run", IMPORT)}),
        ("x = 1\nKeyError\n", "KeyError", {("builtins.KeyError", BUILTIN)}),
        ("def f():\n    pass\nf()\n", "f", {("f", LOCAL)}),
    ],
)
def test_imports_and_aliases(source: str, text: str, expected: set) -> None:
    assert names_of(source, 2 if source.count("\n") == 2 else 3, text) == expected


def test_conditional_imports_give_every_candidate() -> None:
    source = "try:\n    import ujson as json\nexcept ImportError:\n    import json\njson.loads('x')\n"
    assert names_of(source, 5, "json.loads") == {("ujson.loads", IMPORT), ("json.loads", IMPORT)}
    guarded = "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import os\nos.getenv('A')\n"
    assert names_of(guarded, 4, "os.getenv") == {("os.getenv", IMPORT)}


def test_star_import_binds_nothing_it_can_name() -> None:
    analysis, tree = analyse("from os import *\nenviron.get('A')\n")
    call = next(node for node in ast.walk(tree) if isinstance(node, ast.Call))
    assert analysis.qualified_names(call.func) == frozenset()  # environ.py resolves os's own names
    assert analysis.import_or_def_names is None  # anything may be bound
    assert analysis.module_scope.star_imports


# -- shadowing ------------------------------------------------------------------------


def test_locals_parameters_and_class_attributes_shadow_imports() -> None:
    source = """\
        import os

        def local():
            os = make()
            return os.getenv('A')

        def parameter(os):
            return os.getenv('A')

        class Settings:
            os = None
            value = os.getenv('A')

            def method(self):
                return os.getenv('A')
        """
    assert names_of(source, 5, "os.getenv") == {("local.<locals>.os.getenv", LOCAL)}
    assert names_of(source, 8, "os.getenv") == {("parameter.<locals>.os.getenv", LOCAL)}
    assert names_of(source, 12, "os.getenv") == {("Settings.os.getenv", LOCAL)}
    # A class body's names are not visible from its methods.
    assert names_of(source, 15, "os.getenv") == {("os.getenv", IMPORT)}


def test_annotations_defaults_and_decorators_belong_to_the_enclosing_scope() -> None:
    source = """\
        import os

        @os.fspath
        def f(os: os.PathLike = os.getcwd()) -> os.PathLike:
            return os
        fn = lambda os=os.sep: os
        """
    assert names_of(source, 3, "os.fspath") == {("os.fspath", IMPORT)}
    assert names_of(source, 4, "os.PathLike") == {("os.PathLike", IMPORT)}
    assert names_of(source, 4, "os.getcwd") == {("os.getcwd", IMPORT)}
    assert names_of(source, 5, "os") == {("f.<locals>.os", LOCAL)}
    assert names_of(source, 6, "os.sep") == {("os.sep", IMPORT)}


def test_an_annotation_alone_makes_a_local() -> None:
    source = "import os\n\ndef f():\n    os: object\n    return os.getenv('A')\n"
    assert names_of(source, 5, "os.getenv") == {("f.<locals>.os.getenv", LOCAL)}


def test_global_and_nonlocal_move_bindings_where_they_belong() -> None:
    source = """\
        from os import environ

        def reset():
            global environ
            environ = {}

        def url():
            return environ.get('A')

        def outer():
            count = 0
            def inner():
                nonlocal count
                count = count + 1
            return count
        """
    # The global rebound in reset() is one of the module's bindings of `environ`.
    assert names_of(source, 8, "environ.get") == {("os.environ.get", IMPORT), ("environ.get", LOCAL)}
    analysis, tree = analyse(source)
    outer = next(node for node in tree.body if isinstance(node, ast.FunctionDef) and node.name == "outer")
    scope = analysis.scope_of(outer.body[0])
    assert [binding.kind for binding in scope.bindings["count"]] == ["assign", "assign"]


def test_nonlocal_cpython_rejects_is_a_scope_error() -> None:
    with pytest.raises(ScopeError) as module_level:
        analyse("x = 1\nnonlocal x\n")
    assert module_level.value.node.lineno == 2
    with pytest.raises(ScopeError):
        analyse("def f():\n    nonlocal missing\n")
    with pytest.raises(ScopeError):
        analyse("class C:\n    nonlocal x\n")


def test_comprehensions_have_their_own_scope_but_not_their_first_iterable() -> None:
    source = """\
        import os

        names = [os for os in range(3)]
        first = [k for k in os.environ]

        class C:
            os = None
            inner = [os.getenv(k) for k in keys]
            outer = [k for k in os.environ]
        """
    assert names_of(source, 3, "os") == {("<comprehension>.os", LOCAL)}
    assert names_of(source, 4, "os.environ") == {("os.environ", IMPORT)}
    assert names_of(source, 8, "os.getenv") == {("os.getenv", IMPORT)}  # the class is not visible
    assert names_of(source, 9, "os.environ") == {("C.os.environ", LOCAL)}  # evaluated in the class


def test_walrus_in_a_comprehension_binds_in_the_function() -> None:
    source = "def g(xs):\n    found = [(last := x) for x in xs]\n    return last\n"
    assert names_of(source, 3, "last") == {("g.<locals>.last", LOCAL)}


def test_del_owns_the_name_but_gives_it_no_value() -> None:
    source = "import os\n\ndef f():\n    del os\n    return os.getenv('A')\n\ndel os\nos.getenv('B')\n"
    assert names_of(source, 5, "os.getenv") == set()
    assert names_of(source, 8, "os.getenv") == {("os.getenv", IMPORT)}


def test_match_captures_and_except_names_bind() -> None:
    source = """\
        import os

        match command:
            case [os, *rest]:
                pass
            case {"k": v, **others}:
                pass
        os.getenv('A')
        try:
            run()
        except Exception as sys:
            sys.exit(1)
        """
    assert names_of(source, 8, "os.getenv") == {("os.getenv", IMPORT), ("os.getenv", LOCAL)}
    analysis, _ = analyse(source)
    assert {"rest", "v", "others", "sys"} <= set(analysis.module_scope.bindings)
    assert names_of(source, 12, "sys.exit") == {("sys.exit", LOCAL)}


def test_names_read_at_module_level_see_what_is_bound_before_them() -> None:
    source = "average = total / (len(rows) or 1)\nlen = lambda rows: rows.count\nwidth = len(rows)\n"
    assert names_of(source, 1, "len") == {("builtins.len", BUILTIN)}
    assert names_of(source, 3, "len") == {("len", LOCAL)}
    # In a function every binding of a local counts, wherever it is.
    inside = "def f():\n    a = len(rows)\n    len = str\n"
    assert names_of(inside, 2, "len") == {("builtins.len", BUILTIN)}


# -- the traversal ----------------------------------------------------------------------


def test_nodes_by_kind_parents_and_scopes() -> None:
    analysis, tree = analyse("def f(a=g()):\n    return h(a)\nprint(f(1))\n")
    calls = analysis.nodes(ast.Call)
    assert sorted(ast.unparse(call) for call in calls) == ["f(1)", "g()", "h(a)", "print(f(1))"]
    inner = next(call for call in calls if ast.unparse(call) == "h(a)")
    assert isinstance(analysis.parent(inner), ast.Return)
    assert [type(node).__name__ for node in analysis.ancestors(inner)] == ["Return", "FunctionDef", "Module"]
    default = next(call for call in calls if ast.unparse(call) == "g()")
    assert analysis.scope_of(default) is analysis.module_scope  # defaults run where the def is
    assert analysis.scope_of(inner).kind == "function"


def test_deep_expressions_do_not_recurse() -> None:
    import sys

    depth = sys.getrecursionlimit() * 3
    tree = ast.Module(body=[], type_ignores=[])
    expression: ast.expr = ast.Name("x", ast.Load())
    for _ in range(depth):
        expression = ast.UnaryOp(ast.Not(), expression)
    tree.body.append(ast.Expr(expression))
    analysis = Analysis(tree)
    assert len(analysis.nodes(ast.UnaryOp)) == depth


# -- against CPython's symbol table ------------------------------------------------------


def _scopes(analysis: Analysis, tree: ast.Module):
    """(ast node, our scope) for every function and class."""
    for node in ast.walk(tree):
        if isinstance(node, (*FUNCTION_TYPES, ast.ClassDef)):
            body_scope = analysis.scope_of(node.body[0])
            yield node, body_scope


def _comprehensions_in(analysis: Analysis, scope):
    """The comprehension scopes whose nearest enclosing non-comprehension scope is ``scope``."""
    found = []
    for kind in (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp):
        for node in analysis.nodes(kind):
            inner = analysis.scope_of(node.generators[0].target)
            outer = inner.parent
            while outer is not None and outer.kind == "comprehension":
                outer = outer.parent
            if outer is scope:
                found.append(inner)
    return found


def _tables(table: symtable.SymbolTable):
    yield table
    for child in table.get_children():
        yield from _tables(child)


SAMPLES = sorted((REPO / "contractlint").rglob("*.py")) + sorted((REPO / "tests").glob("*.py"))
TRICKY = '''
import os, sys as system
from os import environ as ENV
x = 1
def outer(a, *args, b=x, **kw):
    global x
    x = 2
    count = 0
    class Inner:
        count = 5
        def method(self):
            nonlocal count
            count += 1
            return ENV, system
    def inner():
        return count, [y for y in args if (z := y)]
    del a
    try:
        pass
    except Exception as error:
        pass
    match kw:
        case {"k": [first, *rest]} if first:
            pass
        case Point(x=px) as point:
            pass
    with open("f") as (h1, h2):
        for i, j in h1:
            pass
    lam = lambda q, r=b: q + r
    annotated: int
    import json as js
    from json import loads
    return inner, z
'''


@pytest.mark.parametrize("path", [*SAMPLES, None], ids=lambda p: p.name if p else "tricky")
def test_local_names_agree_with_the_symbol_table(path: Path | None) -> None:
    source = path.read_text("utf-8") if path is not None else TRICKY
    tree = ast.parse(source)
    analysis = Analysis(tree)
    tables = {
        (table.get_name(), table.get_lineno()): table
        for table in _tables(symtable.symtable(source, "<sample>", "exec"))
        if table.get_type() in ("function", "class")
    }
    checked = 0
    for node, scope in _scopes(analysis, tree):
        line = node.decorator_list[0].lineno if node.decorator_list else node.lineno
        table = tables.get((node.name, node.lineno)) or tables.get((node.name, line))
        assert table is not None, (node.name, node.lineno)
        ours = {name for name in scope.bindings if "." not in name}
        theirs = {symbol.get_name() for symbol in table.get_symbols() if symbol.is_local()}
        # Python 3.12+ inlines comprehensions (PEP 709): the symbol table lists their
        # targets with the function's own names, though they stay invisible outside.
        inlined = {name for inner in _comprehensions_in(analysis, scope) for name in inner.bindings}
        assert ours <= theirs and theirs - ours <= inlined, (node.name, node.lineno)
        for symbol in table.get_symbols():
            if not symbol.is_referenced() or symbol.is_local() or symbol.get_name() == "__class__":
                continue
            found = analysis.lookup(symbol.get_name(), scope)
            owners = {binding.scope.kind for binding in found}
            if symbol.is_free():
                assert owners <= {"function"} and found, (node.name, symbol.get_name())
            elif symbol.is_global():
                assert owners <= {"module", "builtins"}, (node.name, symbol.get_name())
        checked += 1
    assert checked or path is not None


def test_qualified_name_is_a_value() -> None:
    assert QualifiedName("os.getenv", IMPORT) == QualifiedName("os.getenv", IMPORT)
