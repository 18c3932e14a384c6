"""Contract 3 — fail fast over fallbacks.

No synthetic data, no silent fallbacks: a missing prompt or field crashes with an
error that names it. ``get_prompt("x") or "hard-coded"`` and a broad
``except Exception: return default`` turn a failure into wrong output that looks
right, so they are defects wherever they are: in modules and in inline scripts.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from contractlint.diagnostics import Diagnostic, Span
from contractlint.rules.base import Invalid, Rule, RuleContext, Valid

if TYPE_CHECKING:
    import libcst as cst

    from contractlint.python.code import PythonCode

FLOW_HEAD = "id: etl\nnamespace: company.team\ntasks:\n  - id: summarize\n    type: io.kestra.plugin.scripts.python.Script\n"

# Longest excerpt of code quoted in a message.
EXCERPT_LIMIT = 60


def excerpt(text: str, limit: int = EXCERPT_LIMIT) -> str:
    """Code quoted in a message: whitespace runs collapsed, long text cut with "…"."""
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"


def outer_offsets(code: PythonCode, node: cst.CSTNode) -> tuple[int, int]:
    """Offsets of ``node`` in ``code.text`` including its own parentheses (libcst's
    positions leave them out)."""
    start, end = code.node_offsets(node)
    # A paren's position spans its own whitespace: `(` starts it, `)` ends it.
    lpar, rpar = getattr(node, "lpar", ()), getattr(node, "rpar", ())
    if lpar:
        start = code.node_offsets(lpar[0])[0]
    if rpar:
        end = code.node_offsets(rpar[-1])[1]
    return start, end


def offsets_span(code: PythonCode, start: int, end: int) -> Span:
    """A span in code coordinates for offsets in ``code.text``."""
    line, column = code.code_position(start)
    end_line, end_column = code.code_position(end)
    return Span(line, column, end_line, end_column)


# -- CL301 -------------------------------------------------------------------------


def truthy_literal_kind(node: cst.CSTNode) -> str | None:
    """What kind of literal ``node`` is when it is a literal that is true — a
    non-empty string, bytes, f-string, container, a non-zero number or ``True`` —
    else None. Falsy literals (``""``, ``0``, ``[]``, ``{}``, ``()``, ``None``,
    ``False``) are "nothing" defaults, not synthetic values."""
    import libcst as cst

    if isinstance(node, cst.SimpleString):
        body = node.raw_value
        if not body:
            return None
        return "bytes literal" if "b" in node.prefix.lower() else "string"
    if isinstance(node, cst.ConcatenatedString):
        kinds = [truthy_literal_kind(part) for part in (node.left, node.right)]
        found = [kind for kind in kinds if kind]
        return found[0] if found else None
    if isinstance(node, cst.FormattedString):
        return "f-string" if node.parts else None
    if isinstance(node, (cst.Integer, cst.Float, cst.Imaginary)):
        try:
            return "number" if node.evaluated_value else None
        except (ValueError, SyntaxError, OverflowError):
            return "number"
    if isinstance(node, cst.UnaryOperation) and isinstance(node.operator, (cst.Minus, cst.Plus)):
        return "number" if isinstance(node.expression, (cst.Integer, cst.Float, cst.Imaginary)) and truthy_literal_kind(node.expression) else None
    if isinstance(node, cst.List):
        return "list" if node.elements else None
    if isinstance(node, cst.Tuple):
        return "tuple" if node.elements else None
    if isinstance(node, cst.Set):
        return "set" if node.elements else None
    if isinstance(node, cst.Dict):
        return "dict" if node.elements else None
    if isinstance(node, cst.Name) and node.value == "True":
        return "True"
    return None


def _or_operands(node: cst.CSTNode, inner: set[int]) -> list[cst.CSTNode]:
    """The operands of a chain of ``or`` (``a or b or c``, parenthesised parts
    included), left to right; every nested ``or`` node is recorded in ``inner``."""
    import libcst as cst

    if isinstance(node, cst.BooleanOperation) and isinstance(node.operator, cst.Or):
        inner.add(id(node))
        return _or_operands(node.left, inner) + _or_operands(node.right, inner)
    return [node]


def _receiver_chain(node: cst.CSTNode) -> Iterable[cst.CSTNode]:
    """``node`` and what it is read from: ``os.environ.get("A", "").strip()`` yields
    the whole call, ``os.environ.get("A", "").strip``, ``os.environ.get("A", "")``, …"""
    import libcst as cst

    while True:
        yield node
        if isinstance(node, cst.Call):
            node = node.func
        elif isinstance(node, (cst.Attribute, cst.Subscript)):
            node = node.value
        elif isinstance(node, cst.Await):
            node = node.expression
        else:
            return


# Builtins whose result is computed, never a missing value: `len(rows) or 1` guards a
# division, it does not invent data.
COMPUTING_BUILTINS = frozenset({
    "abs", "all", "any", "bin", "bool", "bytes", "callable", "chr", "complex", "dict", "divmod", "float",
    "format", "frozenset", "hash", "hex", "id", "int", "isinstance", "issubclass", "len", "list", "max", "min",
    "oct", "ord", "pow", "range", "repr", "round", "set", "sorted", "str", "sum", "tuple",
})


def _is_computed(code: PythonCode, node: cst.CSTNode) -> bool:
    """A call of a builtin that computes a value (``len(x)``, ``sum(x)``, ``int(x)``)."""
    import libcst as cst

    from contractlint.python.names import qualified_names

    if not (isinstance(node, cst.Call) and isinstance(node.func, cst.Name) and node.func.value in COMPUTING_BUILTINS):
        return False
    return qualified_names(code, node.func) == {f"builtins.{node.func.value}"}


def _is_lookup(code: PythonCode, node: cst.CSTNode) -> bool:
    """A call, attribute or subscript whose value may be missing — but not a read of
    an environment variable (CL201 reports those, directly or through a method
    called on the value read), nor a builtin that computes its value (``len(x)``)."""
    import libcst as cst

    from contractlint.python.names import is_env_read

    target = node.expression if isinstance(node, cst.Await) else node
    if not isinstance(target, (cst.Call, cst.Attribute, cst.Subscript)) or _is_computed(code, target):
        return False
    return not any(is_env_read(code, part) for part in _receiver_chain(target))


class FallbackOr(Rule):
    code = "CL301"
    name = "fallback-or"
    contract = "3"
    summary = "A call, attribute or subscript that falls back to a hard-coded literal with `or`"
    explanation = """
## What it does
Reports `<call, attribute or subscript> or <literal>` where the literal is a value
of its own: a non-empty string, bytes or f-string, a non-zero number, `True`, or a
non-empty list, dict, tuple or set — in modules and inline scripts. In a chain
(`a.b or c() or "x"`) the chain is reported once, from its first operand through
the literal.

Not reported:
- falsy "nothing" defaults: `or ""`, `or 0`, `or []`, `or {}`, `or ()`, `or None`,
  `or False` — they normalise a missing value to empty, they do not invent one;
- a plain name on the left (`timeout or 30`): it is a local whose origin the rule
  cannot see;
- a builtin that computes its value (`len(rows) or 1`, `sum(x) or 1`, `int(n) or 60`):
  a zero guard, not a missing value;
- environment reads (`os.environ.get("K") or "d"`, `os.getenv("K", "").strip() or
  "d"`): CL201 reports those.

Subscripts (`row["title"] or "Untitled"`) are reported like attributes: a field
of a payload read with `[]` is the same defect as one read with `.`.

## Why is this bad?
The fallback hides the failure it was written for. When `get_prompt("summarize")`
returns nothing because the prompt was renamed or the database is empty, the
pipeline quietly runs on a hard-coded prompt that nobody reviews, and produces
plausible but wrong output. A missing value must crash, with an error that names
it.

## Example
```python
prompt = get_prompt("summarize") or "You are a helpful assistant."
retries = config.retries or 3
```

## Use instead
```python
prompt = get_prompt("summarize")  # raises when the prompt is missing
retries = config.retries
```
or fail explicitly with a message:
```python
prompt = get_prompt("summarize")
if not prompt:
    raise LookupError("prompt 'summarize' is missing from the prompts table")
```
"""
    VALID = [
        Valid('tags = record.get("tags") or []\nname = user.nickname or ""\ncount = stats.count or 0\n',
              note="falsy defaults (empty string, 0, empty containers, None) are not synthetic data"),
        Valid("timeout = timeout or 30\n", note="a plain name on the left is not reported"),
        Valid('import os\nregion = os.environ.get("REGION") or "eu-west-1"\n',
              note="an environment read with a fallback is CL201's, never reported twice"),
        Valid('from os import getenv as env\nlevel = env("LOG_LEVEL", "").lower() or "info"\n',
              note="also through an import alias and a method called on the value read"),
        Valid('prompt = get_prompt("summarize")\nif not prompt:\n    raise LookupError("prompt \'summarize\' is missing")\n'),
        Valid('ready = job.done() or job.cancelled()\n', note="both sides are lookups, no literal"),
        Valid("mean = total / (len(rows) or 1)\n", note="a builtin that computes a value (len, sum, int…) is not a lookup"),
        Valid(FLOW_HEAD + '    script: |\n      from pipelines.summary import run\n      run(items or [])\n'),
    ]
    INVALID = [
        Invalid('prompt = get_prompt("summarize") or "You are a helpful assistant."\n',
                line=1, column=10, end_column=67,
                message='`get_prompt("summarize") or "You are a helpful assistant."` replaces a missing value '
                        "with a hard-coded string"),
        Invalid("retries = config.retries or 3\n", line=1, column=11, end_column=30,
                message="`config.retries or 3` replaces a missing value with a hard-coded number"),
        Invalid("offset = settings.window.offset or -1\n", line=1, column=10, end_column=38,
                message="hard-coded number", note="negative numbers and dotted attributes"),
        Invalid('title = row["title"] or "Untitled"\n', line=1, column=9, end_column=35,
                message='`row["title"] or "Untitled"`', note="a subscript is a field read, like an attribute"),
        Invalid('model = override or cfg.model or get_default() or "gpt-4o"\n',
                line=1, column=9, end_column=59, count=1,
                message='`override or cfg.model or get_default() or "gpt-4o"`',
                note="a chain is reported once, from its first operand to the literal"),
        Invalid('headers = client.headers() or {"Accept": "application/json"}\n', line=1, column=11, end_column=61,
                message="hard-coded dict"),
        Invalid('label = item.label or (\n    "unnamed "\n    "item"\n)\n', line=1, column=9, end_line=4, end_column=2,
                message="hard-coded string", note="a literal spanning lines, parentheses included"),
        Invalid('name = (await fetch_name(uid)) or f"user-{uid}"\n', line=1, column=8, end_column=48,
                message="hard-coded f-string"),
        Invalid(FLOW_HEAD + '    script: |\n      from pipelines.summary import run, get_prompt\n'
                '      run(get_prompt("summarize") or "Summarize the text.")\n',
                line=8, column=11, end_column=59, message='`get_prompt("summarize") or "Summarize the text."`',
                note="inline scripts too, at the exact place in the YAML file"),
    ]

    def check_python(self, code: PythonCode, context: RuleContext) -> Iterable[Diagnostic]:
        import libcst as cst

        found: list[Diagnostic] = []
        inner: set[int] = set()
        rule = self

        class Finder(cst.CSTVisitor):
            def visit_BooleanOperation(self, node: cst.BooleanOperation) -> None:
                if not isinstance(node.operator, cst.Or) or id(node) in inner:
                    return
                operands = _or_operands(node, inner)
                diagnostic = rule._check_chain(code, operands)
                if diagnostic is not None:
                    found.append(diagnostic)

        code.module.visit(Finder())
        return found

    def _check_chain(self, code: PythonCode, operands: Sequence[cst.CSTNode]) -> Diagnostic | None:
        for index, operand in enumerate(operands):
            if index == 0:
                continue
            kind = truthy_literal_kind(operand)
            if kind is None:
                continue
            # Operands after a true literal never run: the first one decides.
            if not any(_is_lookup(code, previous) for previous in operands[:index]):
                return None
            start = outer_offsets(code, operands[0])[0]
            literal_start, end = outer_offsets(code, operand)
            shown = excerpt(code.raw[start:end])
            message = (
                f"`{shown}` replaces a missing value with a hard-coded {kind}; drop the fallback so that a "
                "missing value fails, or raise an error that names it"
            )
            return self.code_diagnostic(code, offsets_span(code, start, end), message)
        return None


# -- CL302 -------------------------------------------------------------------------

BROAD_EXCEPTIONS = frozenset({"builtins.Exception", "builtins.BaseException"})
# Calls that end the process: a handler ending in one of these does not swallow.
EXIT_CALLS = frozenset({"sys.exit", "os._exit", "os.abort", "posix._exit", "builtins.exit", "builtins.quit"})
# Library functions that never return: they raise (pytest's outcomes, assert_never).
RAISING_CALLS = frozenset({
    "pytest.fail", "pytest.exit", "pytest.skip", "pytest.xfail",
    "typing.assert_never", "typing_extensions.assert_never",
})
# Return annotations of a function that never returns.
NO_RETURN = frozenset({"NoReturn", "Never"})
# How many helper calls deep a "does this helper always raise?" question is followed.
MAX_HELPER_DEPTH = 4


class Termination:
    """Whether a block of statements always ends in ``raise`` or an exit — statement by
    statement, in order: the block terminates when some statement does and no statement
    before it can leave the block another way (``return``, ``break``, ``continue``).

    A statement terminates when it is ``raise``, a call of an exit function, or a call
    of a helper that never returns: a function of the same module or of a project
    module (resolved through the ``src`` roots) whose body terminates, or one
    annotated ``-> NoReturn`` / ``-> Never``. An ``if`` terminates when both branches
    do, ``with`` when its body does, ``try`` when its body (or ``else``) and all its
    handlers do or its ``finally`` does, ``match`` when every case does and the last one
    matches anything, ``while True`` when its body does.
    """

    def __init__(self, project: Any = None) -> None:
        self.project = project
        self._helpers: dict[int, bool] = {}

    def block(self, code: PythonCode, block: Any, depth: int = 0) -> bool:
        import libcst as cst

        statements = block.body if isinstance(block, (cst.SimpleStatementSuite, cst.IndentedBlock)) else block
        for statement in statements:
            if self.statement(code, statement, depth):
                return True
            if _escapes(statement):
                return False
        return False

    def statement(self, code: PythonCode, statement: Any, depth: int = 0) -> bool:
        import libcst as cst

        if isinstance(statement, (cst.SimpleStatementLine, cst.SimpleStatementSuite)):
            for small in statement.body:
                if self.small(code, small, depth):
                    return True
                if isinstance(small, (cst.Return, cst.Break, cst.Continue)):
                    return False
            return False
        if not isinstance(statement, cst.BaseCompoundStatement):
            return self.small(code, statement, depth)
        if isinstance(statement, cst.If):
            if not self.block(code, statement.body, depth) or statement.orelse is None:
                return False
            if isinstance(statement.orelse, cst.If):
                return self.statement(code, statement.orelse, depth)
            return self.block(code, statement.orelse.body, depth)
        if isinstance(statement, cst.With):
            return self.block(code, statement.body, depth)
        if isinstance(statement, (cst.Try, cst.TryStar)):
            if statement.finalbody is not None and self.block(code, statement.finalbody.body, depth):
                return True
            body_ends = self.block(code, statement.body, depth) or (
                statement.orelse is not None and self.block(code, statement.orelse.body, depth)
            )
            return body_ends and all(self.block(code, handler.body, depth) for handler in statement.handlers)
        if isinstance(statement, cst.Match):
            last = statement.cases[-1] if statement.cases else None
            return (
                last is not None and _irrefutable(last)
                and all(self.block(code, case.body, depth) for case in statement.cases)
            )
        if isinstance(statement, cst.While):
            forever = isinstance(statement.test, cst.Name) and statement.test.value == "True"
            return forever and statement.orelse is None and not _breaks(statement.body) and self.block(
                code, statement.body, depth
            )
        return False

    def small(self, code: PythonCode, small: Any, depth: int) -> bool:
        import libcst as cst

        if isinstance(small, cst.Raise):
            return True
        if isinstance(small, cst.Expr) and isinstance(small.value, cst.Call):
            return self.call(code, small.value, depth)
        return False

    def call(self, code: PythonCode, call: Any, depth: int) -> bool:
        """``call`` never returns: an exit, a raising library function, or a helper
        whose body always raises."""
        from contractlint.python.names import qualified_names

        if not _may_name_a_function(code, call.func):
            return False
        names = qualified_names(code, call.func)
        if names & (EXIT_CALLS | RAISING_CALLS):
            return True
        if depth >= MAX_HELPER_DEPTH or not _may_name_a_function(code, call.func, builtin=False):
            return False
        helpers = self._definitions(code, call.func)
        return bool(helpers) and all(self._helper(helper_code, helper, depth + 1) for helper_code, helper in helpers)

    def _helper(self, code: PythonCode, function: Any, depth: int) -> bool:
        key = id(function)
        if key not in self._helpers:
            self._helpers[key] = False  # recursion: assume it returns while it is being decided
            annotation = function.returns.annotation if function.returns is not None else None
            self._helpers[key] = _annotation_name(annotation) in NO_RETURN or self.block(code, function.body, depth)
        return self._helpers[key]

    def _definitions(self, code: PythonCode, func: Any) -> list[tuple[PythonCode, Any]]:
        """The ``def``s a called name refers to: every binding of a local name (all must
        be function definitions), or the function an import names in a project module."""
        import libcst as cst
        from libcst.metadata import QualifiedNameProvider, QualifiedNameSource, ScopeProvider

        if not isinstance(func, (cst.Name, cst.Attribute)):
            return []
        names = code.metadata(QualifiedNameProvider, func, set())
        if len(names) != 1:
            return []
        name = next(iter(names))
        if name.source == QualifiedNameSource.LOCAL and isinstance(func, cst.Name):
            scope = code.metadata(ScopeProvider, func)
            if scope is None:
                return []
            bindings = list(scope[func.value])
            if not bindings or not all(isinstance(b.node, cst.FunctionDef) for b in bindings):
                return []
            return [(code, binding.node) for binding in bindings]
        if name.source == QualifiedNameSource.IMPORT and self.project is not None:
            return self._project_function(code, name.name)
        return []

    def _project_function(self, code: PythonCode, qualified: str) -> list[tuple[PythonCode, Any]]:
        import libcst as cst

        from contractlint.python.environ import absolute_name

        if qualified.startswith("."):
            package = self.project.package_of(code)
            absolute = absolute_name(qualified, package) if package is not None else None
        else:
            absolute = qualified
        found = self.project.resolve_function(absolute) if absolute else None
        if found is None:
            return []
        info, function_name = found
        definitions = [
            statement for statement in info.code.module.body
            if isinstance(statement, cst.FunctionDef) and statement.name.value == function_name
        ]
        return [(info.code, definitions[-1])] if definitions else []


def _may_name_a_function(code: PythonCode, func: Any, builtin: bool = True) -> bool:
    """Syntactically what may be an exit call or a helper worth reading: a builtin, or a
    name chain rooted at a name an ``import`` or a ``def`` binds (``log.warning`` is
    not) — only those need scope analysis, which is slow on big files."""
    import builtins

    import libcst as cst

    from contractlint.python.names import import_or_def_names

    while isinstance(func, cst.Attribute):
        func = func.value
    if not isinstance(func, cst.Name):
        return False
    candidates = import_or_def_names(code)
    return candidates is None or func.value in candidates or (builtin and hasattr(builtins, func.value))


def _annotation_name(annotation: Any) -> str | None:
    """``NoReturn`` for ``NoReturn``, ``typing.NoReturn`` or ``"NoReturn"``."""
    import libcst as cst

    if isinstance(annotation, cst.Attribute):
        return annotation.attr.value
    if isinstance(annotation, cst.Name):
        return annotation.value
    if isinstance(annotation, cst.SimpleString):
        return annotation.raw_value.rpartition(".")[2]
    return None


def _irrefutable(case: Any) -> bool:
    """``case _:`` or ``case name:`` without a guard: the case matches anything."""
    import libcst as cst

    return case.guard is None and isinstance(case.pattern, cst.MatchAs) and case.pattern.pattern is None


def _escapes(statement: Any) -> bool:
    """``statement`` may leave the enclosing block early: a ``return`` anywhere in it
    (not in a nested definition), or a ``break``/``continue`` outside its own loops."""
    return _escape(statement) is not None


def _escape(statement: Any) -> Any:
    """The first ``return``, ``break`` or ``continue`` by which ``statement`` may leave
    the enclosing block (see ``_escapes``), or None."""
    import libcst as cst

    class Finder(cst.CSTVisitor):
        def __init__(self) -> None:
            super().__init__()
            self.found: Any = None
            self.loops = 0

        def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
            return False

        def visit_ClassDef(self, node: cst.ClassDef) -> bool:
            return False

        def visit_Lambda(self, node: cst.Lambda) -> bool:
            return False

        def visit_For(self, node: cst.For) -> None:
            self.loops += 1

        def leave_For(self, node: cst.For) -> None:
            self.loops -= 1

        def visit_While(self, node: cst.While) -> None:
            self.loops += 1

        def leave_While(self, node: cst.While) -> None:
            self.loops -= 1

        def visit_Return(self, node: cst.Return) -> None:
            self.found = self.found or node

        def visit_Break(self, node: cst.Break) -> None:
            if self.loops == 0:
                self.found = self.found or node

        def visit_Continue(self, node: cst.Continue) -> None:
            if self.loops == 0:
                self.found = self.found or node

    finder = Finder()
    statement.visit(finder)
    return finder.found


def _breaks(block: Any) -> bool:
    """A ``break`` that leaves the loop whose body is ``block``."""
    import libcst as cst

    return any(_escapes_with_break(statement) for statement in block.body) if isinstance(
        block, cst.IndentedBlock
    ) else any(isinstance(small, cst.Break) for small in block.body)


def _escapes_with_break(statement: Any) -> bool:
    import libcst as cst

    class Finder(cst.CSTVisitor):
        def __init__(self) -> None:
            super().__init__()
            self.found = False

        def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
            return False

        def visit_ClassDef(self, node: cst.ClassDef) -> bool:
            return False

        def visit_For(self, node: cst.For) -> bool:
            return False  # its own breaks

        def visit_While(self, node: cst.While) -> bool:
            return False

        def visit_Break(self, node: cst.Break) -> None:
            self.found = True

    finder = Finder()
    statement.visit(finder)
    return finder.found


def _ending(code: PythonCode, block: Any) -> str:
    """How a swallowing handler ends, for the message."""
    import libcst as cst

    statements = list(block.body)
    for index, statement in enumerate(statements):
        early = _escape(statement)
        if early is None:
            continue
        if any(Termination().statement(code, later) for later in statements[index + 1 :]):
            shown = excerpt(code.module.code_for_node(early).strip(), 40)
            return f"the handler leaves with `{shown}` on some paths"
        break
    if isinstance(block, cst.SimpleStatementSuite):
        last = block.body[-1]
    else:
        statement = block.body[-1]
        if not isinstance(statement, cst.SimpleStatementLine):
            return "the handler carries on"
        last = statement.body[-1]
    if isinstance(last, cst.Pass):
        return "the handler only does `pass`" if _is_single(block) else "the handler ends with `pass`"
    if isinstance(last, cst.Return):
        return f"the handler ends with `{excerpt(code.module.code_for_node(last).strip(), 40)}`"
    if isinstance(last, (cst.Continue, cst.Break)):
        keyword = "continue" if isinstance(last, cst.Continue) else "break"
        return f"the handler ends with `{keyword}`"
    return "the handler carries on"


def _is_single(block: Any) -> bool:
    import libcst as cst

    if isinstance(block, cst.SimpleStatementSuite):
        return len(block.body) == 1
    return len(block.body) == 1 and isinstance(block.body[0], cst.SimpleStatementLine) and len(block.body[0].body) == 1


class SwallowedException(Rule):
    code = "CL302"
    name = "swallowed-exception"
    contract = "3"
    summary = "A bare `except:` or `except Exception` whose handler neither re-raises nor exits"
    explanation = """
## What it does
Reports a bare `except:`, `except Exception` or `except BaseException` (alone or
inside a tuple, `except*` included; `builtins.Exception` and import aliases are
resolved, a class of your own that happens to be named `Exception` is not it)
whose handler does not re-raise or exit. It is reported at the `except` clause.

A handler re-raises or exits when every path through it ends in a `raise`
statement (`raise`, `raise X`, `raise X from e`), a call to `sys.exit`,
`os._exit`, `os.abort`, `exit` or `quit` (any import alias: `import sys as
system; system.exit(1)`, `from sys import exit`), `pytest.fail` or
`assert_never`, or a call to a helper that always raises: a function of the same
module, or of a project module (resolved through the `src` roots, relative
imports included), whose body always raises or exits, or one annotated
`-> NoReturn` / `-> Never`. Statements are read in order: the handler ends when
one of them does and no statement before it can leave with `return`, `break` or
`continue`. An `if` ends when both its branches do (an `if` without `else` does
not), a `with` when its body does, a `try` when its body (or `else`) and all its
handlers do, or its `finally` does, a `match` when every case does and the last
is a catch-all (`case _:`), `while True:` when its body does and never breaks.
Anything else — `return`, `continue`, `pass`, logging, a method such as
`self.fail()` the rule cannot resolve — is swallowing (`raise` at the call site
instead, or suppress the line with `# noqa: CL302`).

Catching specific exceptions (`except KeyError:`) is never reported.

## Why is this bad?
Logging is not handling. `except Exception: log.warning(...); return {}` turns a
crash that names its cause into an empty result that flows downstream and
surfaces hours later as wrong data, with the original traceback gone. Kestra
marks the task successful, so nobody is alerted.

## Example
```python
def load_prompt(name):
    try:
        return prompts.get(name)
    except Exception as error:
        log.warning("prompt %s unavailable: %s", name, error)
        return {}
```

## Use instead
```python
def load_prompt(name):
    try:
        return prompts.get(name)
    except PromptNotFound:
        log.error("prompt %s is missing", name)
        raise
```
"""
    VALID = [
        Valid("try:\n    row = fetch_row(key)\nexcept KeyError:\n    row = None\n",
              note="catching a specific exception is a decision, not a swallow"),
        Valid('try:\n    run()\nexcept Exception:\n    log.exception("run failed")\n    raise\n'),
        Valid('try:\n    run()\nexcept Exception as error:\n    raise PipelineError("run failed") from error\n'),
        Valid('import sys as system\n\ntry:\n    run()\nexcept BaseException:\n    log.exception("fatal")\n    system.exit(1)\n',
              note="exiting ends the run loudly; aliased `sys` is resolved"),
        Valid('from sys import exit\n\ntry:\n    run()\nexcept:\n    exit(2)\n'),
        Valid('import os\n\ntry:\n    run()\nexcept Exception:\n    os._exit(1)\n'),
        Valid('try:\n    run()\nexcept Exception as error:\n    if retryable(error):\n        raise RetryLater() from error\n'
              '    else:\n        raise\n', note="every branch re-raises"),
        Valid("class Exception(Exception):\n    pass\n\ntry:\n    run()\nexcept Exception:\n    pass\n",
              note="a local class named Exception is not the builtin"),
        Valid('def fail(message):\n    log.error(message)\n    raise PipelineError(message)\n\n\n'
              'try:\n    run()\nexcept Exception as error:\n    fail(f"run failed: {error}")\n',
              note="a helper of the module (or of a project module) that always raises"),
        Valid('try:\n    run()\nexcept* Exception as group:\n    log.error("%d failures", len(group.exceptions))\n    raise\n'),
    ]
    INVALID = [
        Invalid('def load_prompt(name):\n    try:\n        return prompts.get(name)\n    except Exception as error:\n'
                '        log.warning("prompt %s unavailable: %s", name, error)\n        return {}\n',
                line=4, column=5, end_column=21,
                message="`except Exception` swallows the exception: the handler ends with `return {}`"),
        Invalid("try:\n    import ujson as json\nexcept:\n    pass\n", line=3, column=1, end_column=7,
                message="Bare `except` swallows every exception (KeyboardInterrupt and SystemExit included): "
                        "the handler only does `pass`"),
        Invalid("try:\n    send(batch)\nexcept (ConnectionError, Exception):\n    log.warning('send failed')\n",
                line=3, column=1, end_column=36, message="`except (ConnectionError, Exception)` swallows",
                note="a broad exception inside a tuple"),
        Invalid("import builtins\n\ntry:\n    run()\nexcept builtins.BaseException:\n    cleanup()\n",
                line=5, column=1, end_column=30, message="`except builtins.BaseException` swallows every exception"),
        Invalid("for item in items:\n    try:\n        process(item)\n    except Exception:\n        continue\n",
                line=4, column=5, end_column=21, message="the handler ends with `continue`"),
        Invalid('try:\n    run()\nexcept Exception as error:\n    if fatal(error):\n        raise\n    log.warning("ignored: %s", error)\n',
                line=3, column=1, end_column=17, message="`except Exception` swallows",
                note="an `if` without `else` re-raises on one path only"),
        Invalid('def load(strict):\n    try:\n        return fetch()\n    except Exception:\n        if not strict:\n'
                '            return {}\n        raise\n', line=4, column=5, end_column=21,
                message="the handler leaves with `return {}` on some paths",
                note="a `raise` after an early `return` does not cover that path"),
        Invalid("try:\n    run()\nexcept* Exception:\n    pass\n", line=3, column=1, end_column=18,
                message="`except* Exception` swallows"),
        Invalid(FLOW_HEAD + '    script: |\n      from pipelines.summary import run\n      try:\n          run()\n'
                '      except Exception as e:\n          print(e)\n',
                line=10, column=7, end_column=23, message="`except Exception` swallows the exception",
                note="inline scripts too (CL102 also reports the `try`)"),
    ]

    def check_python(self, code: PythonCode, context: RuleContext) -> Iterable[Diagnostic]:
        import libcst as cst

        found: list[Diagnostic] = []
        rule = self
        termination = Termination(context.project)

        class Finder(cst.CSTVisitor):
            def visit_ExceptHandler(self, node: cst.ExceptHandler) -> None:
                rule._check_handler(code, node, found, termination)

            def visit_ExceptStarHandler(self, node: cst.ExceptStarHandler) -> None:
                rule._check_handler(code, node, found, termination)

        code.module.visit(Finder())
        return found

    def _check_handler(
        self, code: PythonCode, handler: Any, found: list[Diagnostic], termination: Termination
    ) -> None:
        import libcst as cst

        from contractlint.python.names import qualified_names

        kind = handler.type
        if kind is None:
            caught = None
        else:
            broad: set[str] = set()
            pending = [kind]
            while pending:  # `except (ValueError, (OSError, Exception))`: tuples nest
                candidate = pending.pop()
                if isinstance(candidate, cst.Tuple):
                    pending.extend(element.value for element in candidate.elements)
                else:
                    broad |= qualified_names(code, candidate) & BROAD_EXCEPTIONS
            if not broad:
                return
            caught = "builtins.BaseException" if "builtins.BaseException" in broad else "builtins.Exception"
        if termination.block(code, handler.body):
            return
        start = code.node_offsets(handler)[0]
        end = start + len("except") if kind is None else outer_offsets(code, kind)[1]
        header = excerpt(code.raw[start:end])
        if caught == "builtins.Exception":
            what = f"`{header}` swallows the exception"
        elif caught is None:
            what = "Bare `except` swallows every exception (KeyboardInterrupt and SystemExit included)"
        else:
            what = f"`{header}` swallows every exception (KeyboardInterrupt and SystemExit included)"
        message = (
            f"{what}: {_ending(code, handler.body)} instead of re-raising or exiting; catch the specific "
            "exceptions you expect, or end the handler with `raise`"
        )
        found.append(self.code_diagnostic(code, offsets_span(code, start, end), message))
