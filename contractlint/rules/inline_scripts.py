"""Contract 1 — thin inline scripts.

Flow YAML holds inputs, wiring, env injection and thin wrappers: fewer than 15
lines that import a module function, call it and emit its outputs. Logic lives in
Python modules, where it can be tested, reviewed and imported.
"""

from __future__ import annotations

import io
import tokenize
from collections.abc import Iterable
from typing import TYPE_CHECKING

from contractlint.diagnostics import Diagnostic, Span
from contractlint.rules.base import Invalid, Rule, RuleContext, Valid

if TYPE_CHECKING:
    from contractlint.python.code import PythonCode

FLOW_HEAD = "id: etl\nnamespace: company.team\ntasks:\n  - id: transform\n    type: io.kestra.plugin.scripts.python.Script\n"


def code_line_count(text: str) -> int:
    """Lines holding code: not blank and not only a comment (a ``#`` inside a
    string is code). Masked Pebble tags on their own lines are blank."""
    comment_or_blank: set[int] = set()
    code_lines: set[int] = set()
    try:
        for token in tokenize.generate_tokens(io.StringIO(text).readline):
            if token.type in (tokenize.COMMENT, tokenize.NL, tokenize.NEWLINE, tokenize.INDENT,
                              tokenize.DEDENT, tokenize.ENDMARKER):
                comment_or_blank.add(token.start[0])
                continue
            code_lines.update(range(token.start[0], token.end[0] + 1))
    except (tokenize.TokenError, SyntaxError):
        # Tokenizing stops at what the parser rejects; count the plain way then.
        return sum(1 for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#"))
    return len(code_lines)


class InlineScriptTooLong(Rule):
    code = "CL101"
    name = "inline-script-too-long"
    contract = "1"
    summary = "Inline Python with too many code lines (15 or more by default)"
    python_scope = ("inline",)
    options = {
        "max-lines": {
            "type": "integer",
            "minimum": 1,
            "default": 15,
            "description": "Reported when a script has this many code lines or more.",
        }
    }
    explanation = """
## What it does
Counts the code lines of an inline Python script (a Script task's `script`, or a
`*.py` entry of `inputFiles`) — blank lines and comment-only lines don't count —
and reports a script with `max-lines` (15) or more, at its key.

## Why is this bad?
A long inline script is business logic hidden in YAML: no tests, no imports from
it, no type checking, and a diff reviewers skim. When it fails, the stack trace
points at a temporary file on a worker. A thin wrapper that calls a module
function keeps the logic where tools and people can read it.

## Example
```yaml
- id: transform
  type: io.kestra.plugin.scripts.python.Script
  script: |
    import csv, os
    rows = list(csv.DictReader(open(os.environ["INPUT"])))
    # … 20 more lines of cleaning and aggregation …
```

## Use instead
```yaml
- id: transform
  type: io.kestra.plugin.scripts.python.Script
  script: |
    import os
    from pipelines.transform import run
    run(os.environ["INPUT"])
```
"""
    VALID = [
        Valid(
            FLOW_HEAD + "    script: |\n      import os\n      from pipelines.transform import run\n\n"
            "      # comments and blank lines do not count\n      run(os.environ['INPUT'])\n"
        ),
        Valid(
            FLOW_HEAD + "    script: |\n" + "".join(f"      x{i} = {i}\n" for i in range(3)),
            config={"rules": {"CL101": {"max-lines": 4}}},
            note="with max-lines = 4, three code lines pass",
        ),
    ]
    INVALID = [
        Invalid(
            FLOW_HEAD + "    script: |\n" + "".join(f"      x{i} = {i}\n" for i in range(15)),
            line=6,
            column=5,
            end_column=11,
            message="Inline script has 15 code lines (limit 15)",
        ),
        Invalid(
            "id: etl\nnamespace: company.team\ntasks:\n  - id: run\n    type: io.kestra.plugin.scripts.python.Commands\n"
            "    inputFiles:\n      main.py: |\n" + "".join(f"        x{i} = {i}\n" for i in range(4))
            + "    commands:\n      - python main.py\n",
            config={"rules": {"CL101": {"max-lines": 4}}},
            line=7,
            column=7,
            end_column=14,
            message="Inline script inputFiles.main.py has 4 code lines (limit 4)",
        ),
    ]

    def check_python(self, code: PythonCode, context: RuleContext) -> Iterable[Diagnostic]:
        limit = context.options["max-lines"]
        count = code_line_count(code.text)
        if count >= limit:
            label = "" if code.label == "script" else f" {code.label}"
            yield self.code_diagnostic_at_key(
                code, f"Inline script{label} has {count} code lines (limit {limit}); move the logic into a module"
            )

    def code_diagnostic_at_key(self, code: PythonCode, message: str) -> Diagnostic:
        return Diagnostic(
            code=self.code,
            name=self.name,
            message=message,
            path=code.file.path,
            span=code.code_map.anchor,
            flow=code.flow.ref if code.flow else None,
            task=code.task.id if code.task else None,
            fingerprint_text=code.label,
        )


class InlineScriptLogic(Rule):
    code = "CL102"
    name = "inline-script-logic"
    contract = "1"
    summary = "A def, class, for, while or try in inline Python: logic that belongs in a module"
    python_scope = ("inline",)
    explanation = """
## What it does
Reports function and class definitions, `for` and `while` loops and `try` blocks
in inline Python (async forms included), at the keyword.

## Why is this bad?
A thin wrapper imports a function, calls it and emits outputs: it has no
control flow of its own. Loops, error handling and definitions are logic, and
logic inside YAML cannot be unit-tested or reused, and fails far from its source.

## Example
```yaml
script: |
  import requests
  for page in range(10):
      rows = requests.get(f"https://api.example.com/items?page={page}").json()
```

## Use instead
```yaml
script: |
  from pipelines.items import fetch_all_items
  fetch_all_items()
```
"""
    VALID = [
        Valid(FLOW_HEAD + "    script: |\n      from pipelines.items import fetch_all_items\n      rows = [r for r in fetch_all_items()]\n",
              note="a comprehension is an expression, not a loop statement"),
        Valid("def helper():\n    for x in range(3):\n        pass\n", note="modules may hold logic"),
    ]
    INVALID = [
        Invalid(FLOW_HEAD + "    script: |\n      import os\n      for name in os.listdir('.'):\n          print(name)\n",
                line=8, column=7, end_column=10, message="'for' loop in inline script"),
        Invalid(FLOW_HEAD + "    script: |\n      def main():\n          pass\n      main()\n",
                line=7, column=7, end_column=15, message="function definition 'main' in inline script"),
        Invalid(FLOW_HEAD + "    script: |\n      try:\n          import x\n      except ImportError:\n          raise\n",
                line=7, column=7, end_column=10, message="'try' block in inline script"),
        Invalid(FLOW_HEAD + "    script: |\n      async def main():\n          async for x in y():\n              pass\n",
                line=7, column=7, end_column=21, count=2, message="function definition 'main'"),
        Invalid(FLOW_HEAD + "    script: |\n      if {{ inputs.go }}:\n          class Café:\n              pass\n",
                line=8, column=11, end_column=21, message="class definition 'Café'",
                note="Pebble is masked; positions count characters, not bytes"),
    ]

    def check_python(self, code: PythonCode, context: RuleContext) -> Iterable[Diagnostic]:
        import libcst as cst
        from libcst.metadata import PositionProvider

        found: list[Diagnostic] = []

        def report(node: cst.CSTNode, keyword_end: int, what: str) -> None:
            start = code.metadata(PositionProvider, node).start
            # Span the keyword (and, for definitions, the name): short enough for a caret.
            span = Span(start.line, start.column + 1, start.line, start.column + 1 + keyword_end)
            found.append(
                self.code_diagnostic(code, span, f"{what} in inline script; move the logic into a module function")
            )

        class Finder(cst.CSTVisitor):
            def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
                prefix = "async def " if node.asynchronous else "def "
                report(node, len(prefix) + len(node.name.value), f"function definition '{node.name.value}'")

            def visit_ClassDef(self, node: cst.ClassDef) -> None:
                report(node, len("class ") + len(node.name.value), f"class definition '{node.name.value}'")

            def visit_For(self, node: cst.For) -> None:
                report(node, len("async for") if node.asynchronous else 3, "'for' loop")

            def visit_While(self, node: cst.While) -> None:
                report(node, 5, "'while' loop")

            def visit_Try(self, node: cst.Try) -> None:
                report(node, 3, "'try' block")

            def visit_TryStar(self, node: cst.CSTNode) -> None:
                report(node, 3, "'try' block")

        code.module.visit(Finder())
        return found
