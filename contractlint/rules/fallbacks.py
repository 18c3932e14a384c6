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


def _is_lookup(code: PythonCode, node: cst.CSTNode) -> bool:
    """A call, attribute or subscript whose value may be missing — but not a read of
    an environment variable (CL201 reports those, directly or through a method
    called on the value read)."""
    import libcst as cst

    from contractlint.python.names import is_env_read

    target = node.expression if isinstance(node, cst.Await) else node
    if not isinstance(target, (cst.Call, cst.Attribute, cst.Subscript)):
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


def _block_terminates(code: PythonCode, block: Any) -> bool:
    """True when every path through ``block`` ends in ``raise`` or an exit call:
    some statement of the block (statements after it are dead code) does."""
    import libcst as cst

    if isinstance(block, cst.SimpleStatementSuite):
        return any(_small_terminates(code, small) for small in block.body)
    return any(_statement_terminates(code, statement) for statement in block.body)


def _small_terminates(code: PythonCode, small: Any) -> bool:
    import libcst as cst

    from contractlint.python.names import refers_to

    if isinstance(small, cst.Raise):
        return True
    if isinstance(small, cst.Expr):
        value = small.value
        return isinstance(value, cst.Call) and refers_to(code, value.func, *EXIT_CALLS)
    return False


def _statement_terminates(code: PythonCode, statement: Any) -> bool:
    import libcst as cst

    if isinstance(statement, cst.SimpleStatementLine):
        return any(_small_terminates(code, small) for small in statement.body)
    if isinstance(statement, cst.If):
        if not _block_terminates(code, statement.body) or statement.orelse is None:
            return False
        if isinstance(statement.orelse, cst.If):
            return _statement_terminates(code, statement.orelse)
        return _block_terminates(code, statement.orelse.body)
    if isinstance(statement, cst.With):
        return _block_terminates(code, statement.body)
    if isinstance(statement, (cst.Try, cst.TryStar)):
        if statement.finalbody is not None and _block_terminates(code, statement.finalbody.body):
            return True
        body_ends = _block_terminates(code, statement.body) or (
            statement.orelse is not None and _block_terminates(code, statement.orelse.body)
        )
        return body_ends and all(_block_terminates(code, handler.body) for handler in statement.handlers)
    return False


def _ending(code: PythonCode, block: Any) -> str:
    """How a swallowing handler ends, for the message."""
    import libcst as cst

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
statement (`raise`, `raise X`, `raise X from e`) or a call to `sys.exit`,
`os._exit`, `os.abort`, `exit` or `quit` (any import alias: `import sys as
system; system.exit(1)`, `from sys import exit`). Precisely: some statement of
the handler's body does; an `if` does when both its branches do (an `if` without
`else` does not), a `with` when its body does, a `try` when its body (or `else`)
and all its handlers do, or its `finally` does. Anything else — `return`,
`continue`, `pass`, logging, a call to a helper function that raises — is
swallowing: the rule cannot see inside the helper (`raise` at the call site
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

        class Finder(cst.CSTVisitor):
            def visit_ExceptHandler(self, node: cst.ExceptHandler) -> None:
                rule._check_handler(code, node, found)

            def visit_ExceptStarHandler(self, node: cst.ExceptStarHandler) -> None:
                rule._check_handler(code, node, found)

        code.module.visit(Finder())
        return found

    def _check_handler(self, code: PythonCode, handler: Any, found: list[Diagnostic]) -> None:
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
        if _block_terminates(code, handler.body):
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
