"""Contract 3 — fail fast over fallbacks.

No synthetic data, no silent fallbacks: a missing prompt or field crashes with an
error that names it. ``get_prompt("x") or "hard-coded"`` and a broad
``except Exception: return default`` turn a failure into wrong output that looks
right, so they are defects wherever they are: in modules and in inline scripts.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from contractlint.diagnostics import Diagnostic
from contractlint.rules.base import Invalid, Rule, RuleContext, Valid

if TYPE_CHECKING:
    from contractlint.python.code import PythonCode

FLOW_HEAD = "id: etl\nnamespace: company.team\ntasks:\n  - id: summarize\n    type: io.kestra.plugin.scripts.python.Script\n"

# Longest excerpt of code quoted in a message.
EXCERPT_LIMIT = 60


def excerpt(text: str, limit: int = EXCERPT_LIMIT) -> str:
    """Code quoted in a message: whitespace runs collapsed, long text cut with "…"."""
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"


def truthy_literal_kind(code: PythonCode, node: ast.AST) -> str | None:
    """What kind of literal ``node`` is when it is a literal that is true — a
    non-empty string, bytes or f-string, container, a non-zero number or ``True`` —
    else None. Falsy literals (``""``, ``0``, ``[]``, ``{}``, ``()``, ``None``,
    ``False``) are "nothing" defaults, not synthetic values. An implicit
    concatenation is the kind of its first literal that is not empty, as written."""
    if isinstance(node, ast.Constant):
        value = node.value
        if value is True:
            return "True"
        if isinstance(value, (str, bytes)):
            kind = "bytes literal" if isinstance(value, bytes) else "string"
            return kind if value else _written_kind(code, node)
        if isinstance(value, (int, float, complex)) and not isinstance(value, bool):
            return "number" if value else None
        return None
    if isinstance(node, ast.JoinedStr):
        return _written_kind(code, node)
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        operand = node.operand
        is_number = isinstance(operand, ast.Constant) and isinstance(operand.value, (int, float, complex))
        return "number" if is_number and not isinstance(operand.value, bool) and operand.value else None
    if isinstance(node, (ast.List, ast.Tuple, ast.Set)):
        return {ast.List: "list", ast.Tuple: "tuple", ast.Set: "set"}[node.__class__] if node.elts else None
    if isinstance(node, ast.Dict):
        return "dict" if node.keys else None
    return None


def _written_kind(code: PythonCode, node: ast.AST) -> str | None:
    """The kind of the first string literal with something between its quotes (an
    f-string's placeholders count; ``"\\<newline>"`` is empty text but not empty)."""
    from contractlint.python.lexical import string_pieces

    start, end = code.node_offsets(node)
    if isinstance(node, ast.Constant) and code.text[start:end].lstrip("rRbBuU") in ('""', "''"):
        return None  # `""`, `b''`: nothing between the quotes
    for prefix, has_body in string_pieces(code.text, start, end):
        if has_body:
            return "f-string" if "f" in prefix else "bytes literal" if "b" in prefix else "string"
    return None


def _or_operands(node: ast.BoolOp) -> list[tuple[ast.AST, ast.BoolOp, int]]:
    """The operands of a chain of ``or`` (``a or b or c``, parenthesized parts
    included), left to right, each with the operation it belongs to and its index."""
    found: list[tuple[ast.AST, ast.BoolOp, int]] = []
    pending: list[tuple[ast.BoolOp, int]] = [(node, 0)]
    while pending:
        operation, index = pending.pop()
        while index < len(operation.values):
            value = operation.values[index]
            if isinstance(value, ast.BoolOp) and isinstance(value.op, ast.Or):
                pending.append((operation, index + 1))
                operation, index = value, 0
                continue
            found.append((value, operation, index))
            index += 1
    return found


def _receiver_chain(node: ast.AST) -> Iterable[ast.AST]:
    """``node`` and what it is read from: ``os.environ.get("A", "").strip()`` yields
    the whole call, ``os.environ.get("A", "").strip``, ``os.environ.get("A", "")``, …"""
    while True:
        yield node
        if isinstance(node, ast.Call):
            node = node.func
        elif isinstance(node, (ast.Attribute, ast.Subscript)):
            node = node.value
        elif isinstance(node, ast.Await):
            node = node.value
        else:
            return


# Builtins whose result is computed, never a missing value: `len(rows) or 1` guards a
# division, it does not invent data.
COMPUTING_BUILTINS = frozenset({
    "abs", "all", "any", "bin", "bool", "bytes", "callable", "chr", "complex", "dict", "divmod", "float",
    "format", "frozenset", "hash", "hex", "id", "int", "isinstance", "issubclass", "len", "list", "max", "min",
    "oct", "ord", "pow", "range", "repr", "round", "set", "sorted", "str", "sum", "tuple",
})


def _is_computed(code: PythonCode, node: ast.AST) -> bool:
    """A call of a builtin that computes a value (``len(x)``, ``sum(x)``, ``int(x)``)."""
    from contractlint.python.names import qualified_names

    if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in COMPUTING_BUILTINS):
        return False
    return qualified_names(code, node.func) == {f"builtins.{node.func.id}"}


def _is_lookup(code: PythonCode, node: ast.AST) -> bool:
    """A call, attribute or subscript whose value may be missing — but not a read of
    an environment variable (CL201 reports those, directly or through a method
    called on the value read), nor a builtin that computes its value (``len(x)``)."""
    from contractlint.python.names import is_env_read

    target = node.value if isinstance(node, ast.Await) else node
    if not isinstance(target, (ast.Call, ast.Attribute, ast.Subscript)) or _is_computed(code, target):
        return False
    return not any(is_env_read(code, part) for part in _receiver_chain(target))


class FallbackOr(Rule):
    code = "CL301"
    precision = "medium"
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

    node_types = (ast.BoolOp,)

    def check_node(self, node: ast.BoolOp, code: PythonCode, context: RuleContext) -> Iterable[Diagnostic]:
        if not isinstance(node.op, ast.Or):
            return
        parent = code.analysis.parent(node)
        if isinstance(parent, ast.BoolOp) and isinstance(parent.op, ast.Or):
            return  # part of the chain around it, checked as a whole
        diagnostic = self._check_chain(code, _or_operands(node))
        if diagnostic is not None:
            yield diagnostic

    def _check_chain(self, code: PythonCode, operands: Sequence[tuple[ast.AST, ast.BoolOp, int]]) -> Diagnostic | None:
        for index, (operand, operation, position) in enumerate(operands):
            if index == 0:
                continue
            kind = truthy_literal_kind(code, operand)
            if kind is None:
                continue
            # Operands after a true literal never run: the first one decides.
            if not any(_is_lookup(code, previous) for previous, _, _ in operands[:index]):
                return None
            _, first_operation, first_position = operands[0]
            start = code.operand_offsets(first_operation, first_position)[0]
            end = code.operand_offsets(operation, position)[1]
            shown = excerpt(code.raw[start:end])
            message = (
                f"`{shown}` replaces a missing value with a hard-coded {kind}; drop the fallback so that a "
                "missing value fails, or raise an error that names it"
            )
            return self.code_diagnostic(code, code.offsets_span(start, end), message)
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
    annotated ``-> NoReturn`` / ``-> Never`` (``return sys.exit(2)`` too: the call never
    returns). An ``if`` terminates when both branches do, ``with`` when its body does,
    ``try`` when its body (or ``else``) and all its handlers do or its ``finally`` does,
    ``match`` when every case does and the last one matches anything, ``while True``
    when its body does.
    """

    def __init__(self, project: Any = None) -> None:
        self.project = project
        self._helpers: dict[int, bool] = {}

    def block(self, code: PythonCode, statements: list[ast.stmt], depth: int = 0) -> bool:
        for statement in statements:
            if self.statement(code, statement, depth):
                return True
            if _escapes(statement):
                return False
        return False

    def line(self, code: PythonCode, statements: list[ast.stmt], depth: int = 0) -> bool:
        """A line of statements (``a(); raise``): the first that ends or leaves decides."""
        for statement in statements:
            if self.statement(code, statement, depth):
                return True
            if isinstance(statement, (ast.Return, ast.Break, ast.Continue)):
                return False
        return False

    def statement(self, code: PythonCode, statement: ast.stmt, depth: int = 0) -> bool:
        if isinstance(statement, ast.Raise):
            return True
        if isinstance(statement, (ast.Expr, ast.Return)) and isinstance(statement.value, ast.Call):
            return self.call(code, statement.value, depth)
        if isinstance(statement, ast.If):
            return bool(statement.orelse) and self.block(code, statement.body, depth) and self.block(
                code, statement.orelse, depth
            )
        if isinstance(statement, (ast.With, ast.AsyncWith)):
            return self.block(code, statement.body, depth)
        if isinstance(statement, TRY_TYPES):
            if statement.finalbody and self.block(code, statement.finalbody, depth):
                return True
            body_ends = self.block(code, statement.body, depth) or (
                bool(statement.orelse) and self.block(code, statement.orelse, depth)
            )
            return body_ends and all(self.block(code, handler.body, depth) for handler in statement.handlers)
        if isinstance(statement, ast.Match):
            last = statement.cases[-1] if statement.cases else None
            return (
                last is not None and _irrefutable(last)
                and all(self.block(code, case.body, depth) for case in statement.cases)
            )
        if isinstance(statement, ast.While):
            forever = isinstance(statement.test, ast.Constant) and statement.test.value is True
            return forever and not statement.orelse and not _breaks(statement.body) and self.block(
                code, statement.body, depth
            )
        return False

    def call(self, code: PythonCode, call: ast.Call, depth: int) -> bool:
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
            self._helpers[key] = _annotation_name(function.returns) in NO_RETURN or self.block(
                code, function.body, depth
            )
        return self._helpers[key]

    def _definitions(self, code: PythonCode, func: Any) -> list[tuple[PythonCode, Any]]:
        """The ``def``s a called name refers to: every binding of a local name (all must
        be function definitions), or the function an import names in a project module."""
        from contractlint.python.analysis import IMPORT, LOCAL

        if not isinstance(func, (ast.Name, ast.Attribute)):
            return []
        names = code.analysis.qualified_names(func)
        if len(names) != 1:
            return []
        name = next(iter(names))
        if name.source == LOCAL and isinstance(func, ast.Name):
            bindings = code.analysis.bindings_of(func)
            if not bindings or not all(binding.kind == "def" for binding in bindings):
                return []
            return [(code, binding.node) for binding in bindings]
        if name.source == IMPORT and self.project is not None:
            return self._project_function(code, name.name)
        return []

    def _project_function(self, code: PythonCode, qualified: str) -> list[tuple[PythonCode, Any]]:
        from contractlint.python.analysis import FUNCTION_TYPES
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
            statement for statement in info.code.tree.body
            if isinstance(statement, FUNCTION_TYPES) and statement.name == function_name
        ]
        return [(info.code, definitions[-1])] if definitions else []


TRY_TYPES = tuple(getattr(ast, name) for name in ("Try", "TryStar") if hasattr(ast, name))
LOOP_TYPES = (ast.For, ast.AsyncFor, ast.While)
DEFINITION_TYPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)


def _may_name_a_function(code: PythonCode, func: Any, builtin: bool = True) -> bool:
    """Syntactically what may be an exit call or a helper worth reading: a builtin, or a
    name chain rooted at a name an ``import`` or a ``def`` binds (``log.warning`` is
    not)."""
    import builtins

    from contractlint.python.names import import_or_def_names

    while isinstance(func, ast.Attribute):
        func = func.value
    if not isinstance(func, ast.Name):
        return False
    candidates = import_or_def_names(code)
    return candidates is None or func.id in candidates or (builtin and hasattr(builtins, func.id))


def _annotation_name(annotation: Any) -> str | None:
    """``NoReturn`` for ``NoReturn``, ``typing.NoReturn`` or ``"NoReturn"``."""
    if isinstance(annotation, ast.Attribute):
        return annotation.attr
    if isinstance(annotation, ast.Name):
        return annotation.id
    if isinstance(annotation, ast.Constant) and isinstance(annotation.value, str):
        return annotation.value.rpartition(".")[2]
    return None


def _irrefutable(case: ast.match_case) -> bool:
    """``case _:`` or ``case name:`` without a guard: the case matches anything."""
    return case.guard is None and isinstance(case.pattern, ast.MatchAs) and case.pattern.pattern is None


def _child_blocks(statement: ast.stmt) -> list[list[ast.stmt]]:
    """The statement lists inside a compound statement, in source order."""
    if isinstance(statement, TRY_TYPES):
        return [statement.body, *(handler.body for handler in statement.handlers), statement.orelse, statement.finalbody]
    if isinstance(statement, ast.Match):
        return [case.body for case in statement.cases]
    return [getattr(statement, name) for name in ("body", "orelse") if isinstance(getattr(statement, name, None), list)]


def _escapes(statement: ast.stmt) -> bool:
    """``statement`` may leave the enclosing block early: a ``return`` anywhere in it
    (not in a nested definition), or a ``break``/``continue`` outside its own loops."""
    return _escape(statement) is not None


def _escape(statement: ast.stmt) -> ast.stmt | None:
    """The first ``return``, ``break`` or ``continue`` by which ``statement`` may leave
    the enclosing block (see ``_escapes``), or None."""
    pending: list[tuple[ast.stmt, bool]] = [(statement, False)]  # (statement, inside a loop of its own)
    while pending:
        current, in_loop = pending.pop()
        if isinstance(current, ast.Return) or (isinstance(current, (ast.Break, ast.Continue)) and not in_loop):
            return current
        if isinstance(current, DEFINITION_TYPES):
            continue
        in_loop = in_loop or isinstance(current, LOOP_TYPES)
        for block in reversed(_child_blocks(current)):
            pending.extend((child, in_loop) for child in reversed(block))
    return None


def _breaks(statements: list[ast.stmt]) -> bool:
    """A ``break`` that leaves the loop whose body is ``statements``."""
    pending = list(statements)
    while pending:
        current = pending.pop()
        if isinstance(current, ast.Break):
            return True
        if isinstance(current, (*DEFINITION_TYPES, *LOOP_TYPES)):
            continue  # their own breaks
        for block in _child_blocks(current):
            pending.extend(block)
    return False


def _ending(code: PythonCode, handler: ast.ExceptHandler) -> str:
    """How a swallowing handler ends, for the message."""
    from contractlint.python.lexical import previous_significant

    body = handler.body
    # A handler on the `except` line (`except E: a(); return`) is read statement by
    # statement, an indented one line by line.
    on_one_line = code.text[previous_significant(code.text, code.node_offsets(body[0])[0])] == ":"
    lines = [[statement] for statement in body] if on_one_line else code.statement_lines(body)
    for index, line in enumerate(lines):
        early = next((found for found in map(_escape, line) if found is not None), None)
        if early is None:
            continue
        if any(Termination().line(code, later) for later in lines[index + 1 :]):
            shown = excerpt(code.statement_text(early).strip(), 40)
            return f"the handler leaves with `{shown}` on some paths"
        break
    last = body[-1]
    if isinstance(last, ast.Pass):
        return "the handler only does `pass`" if len(body) == 1 else "the handler ends with `pass`"
    if isinstance(last, ast.Return):
        return f"the handler ends with `{excerpt(code.statement_text(last).strip(), 40)}`"
    if isinstance(last, (ast.Continue, ast.Break)):
        keyword = "continue" if isinstance(last, ast.Continue) else "break"
        return f"the handler ends with `{keyword}`"
    return "the handler carries on"


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
statement (`raise`, `raise X`, `raise X from e`, `raise SystemExit(2)`), a call
to `sys.exit`, `os._exit`, `os.abort`, `exit` or `quit` (any import alias:
`import sys as system; system.exit(1)`, `from sys import exit`; also returned,
`return sys.exit(2)`), `pytest.fail` or
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
        Valid('import os\nimport sys\n\n\ndef main():\n    try:\n        run()\n    except Exception:\n'
              '        log.exception("run failed")\n        return sys.exit(2)\n\n\ndef child():\n    try:\n'
              '        run()\n    except BaseException:\n        return os._exit(1)\n',
              note="`return sys.exit(2)` ends the handler with an exit: the call never returns"),
        Valid('try:\n    run()\nexcept Exception as error:\n    log.error("run failed: %s", error)\n'
              '    raise SystemExit(2) from error\n', note="raising SystemExit is exiting"),
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

    node_types = (ast.ExceptHandler,)  # `except*` handlers too

    def check_node(self, node: ast.ExceptHandler, code: PythonCode, context: RuleContext) -> Iterable[Diagnostic]:
        from contractlint.python.lexical import skip_trivia
        from contractlint.python.names import qualified_names

        kind = node.type
        if kind is None:
            caught = None
        else:
            broad: set[str] = set()
            pending = [kind]
            while pending:  # `except (ValueError, (OSError, Exception))`: tuples nest
                candidate = pending.pop()
                if isinstance(candidate, ast.Tuple):
                    pending.extend(candidate.elts)
                else:
                    broad |= qualified_names(code, candidate) & BROAD_EXCEPTIONS
            if not broad:
                return
            caught = "builtins.BaseException" if "builtins.BaseException" in broad else "builtins.Exception"
        if Termination(context.project).block(code, node.body):
            return
        start = code.node_offsets(node)[0]
        if kind is None:
            end = start + len("except")
        else:
            gap = skip_trivia(code.text, start + len("except"))
            gap += code.text.startswith("*", gap)  # except*
            end = code.outer_offsets(kind, gap)[1]
        header = excerpt(code.raw[start:end])
        if caught == "builtins.Exception":
            what = f"`{header}` swallows the exception"
        elif caught is None:
            what = "Bare `except` swallows every exception (KeyboardInterrupt and SystemExit included)"
        else:
            what = f"`{header}` swallows every exception (KeyboardInterrupt and SystemExit included)"
        message = (
            f"{what}: {_ending(code, node)} instead of re-raising or exiting; catch the specific "
            "exceptions you expect, or end the handler with `raise`"
        )
        yield self.code_diagnostic(code, code.offsets_span(start, end), message)
