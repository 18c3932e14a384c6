"""Contract 1 — thin inline scripts.

Flow YAML holds inputs, wiring, env injection and thin wrappers: fewer than 15
lines that import a module function, call it and emit its outputs. Logic lives in
Python modules, where it can be tested, reviewed and imported.
"""

from __future__ import annotations

import ast
import io
import tokenize
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from contractlint.diagnostics import Diagnostic, Fix, Span
from contractlint.python.pebble import env_name_for, pebble_value_path
from contractlint.rules.base import Invalid, Rule, RuleContext, Valid

if TYPE_CHECKING:
    from contractlint.python.code import PythonCode

FLOW_HEAD = "id: etl\nnamespace: company.team\ntasks:\n  - id: transform\n    type: io.kestra.plugin.scripts.python.Script\n"


def code_line_count(text: str) -> int:
    """Lines holding code: not blank and not only a comment (a ``#`` inside a
    string is code). Masked Pebble tags on their own lines are blank."""
    import warnings

    comment_or_blank: set[int] = set()
    code_lines: set[int] = set()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the script's own warnings are not lint output
            tokens = list(tokenize.generate_tokens(io.StringIO(text, newline=None).readline))
        for token in tokens:
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
    precision = "very-high"
    problem_severity = "recommendation"
    name = "inline-script-too-long"
    contract = "1"
    summary = "Inline Python with too many code lines (15 or more by default)"
    python_scope = ("inline",)
    needs_syntax_tree = False  # a script that does not parse is counted too
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
and reports a script with `max-lines` (15) or more, at its key. A script that does
not parse (CL003) is counted too.

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
        Invalid(
            FLOW_HEAD + "    script: |\n" + "".join(f"      x{i} = {i}\n" for i in range(14)) + "      print(x0\n",
            line=6,
            column=5,
            end_column=11,
            message="Inline script has 15 code lines (limit 15)",
            note="a script that does not parse is still counted (CL003 reports the syntax error)",
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
    precision = "very-high"
    problem_severity = "recommendation"
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
                line=7, column=7, end_column=15, message="Function definition 'main' in inline script"),
        Invalid(FLOW_HEAD + "    script: |\n      try:\n          import x\n      except ImportError:\n          raise\n",
                line=7, column=7, end_column=10, message="'try' block in inline script"),
        Invalid(FLOW_HEAD + "    script: |\n      async def main():\n          async for x in y():\n              pass\n",
                line=7, column=7, end_column=21, count=2, message="Function definition 'main'"),
        Invalid(FLOW_HEAD + "    script: |\n      if {{ inputs.go }}:\n          class Café:\n              pass\n",
                line=8, column=11, end_column=21, message="Class definition 'Café'",
                note="Pebble is masked; positions count characters, not bytes"),
    ]

    node_types = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.For, ast.AsyncFor, ast.While, ast.Try) + (
        (ast.TryStar,) if hasattr(ast, "TryStar") else ()
    )

    def check_node(self, node: ast.stmt, code: PythonCode, context: RuleContext) -> Iterable[Diagnostic]:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            name = _written_name(code, node)
            keyword = ("async def " if isinstance(node, ast.AsyncFunctionDef) else "def ") + name
            what = f"function definition '{name}'"
        elif isinstance(node, ast.ClassDef):
            name = _written_name(code, node)
            keyword, what = "class " + name, f"class definition '{name}'"
        elif isinstance(node, (ast.For, ast.AsyncFor)):
            keyword, what = ("async for" if isinstance(node, ast.AsyncFor) else "for"), "'for' loop"
        elif isinstance(node, ast.While):
            keyword, what = "while", "'while' loop"
        else:
            keyword, what = "try", "'try' block"
        # The keyword (and a definition's name), not the whole block: short enough for
        # a caret. Decorators come before `def`: start at the keyword itself.
        line, column = code.node_position(node)
        end = column + len(keyword)
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            name_start = _name_offset(code, node)
            line, name_column = code.code_position(name_start)
            end = name_column + len(name)
            column = end - len(keyword)
        yield self.code_diagnostic(
            code, Span(line, column, line, end), f"{what} in inline script; move the logic into a module function"
        )


def _name_offset(code: PythonCode, node: ast.AST) -> int:
    """Where the name of a ``def``/``class`` is written (after its keywords)."""
    from contractlint.python.lexical import skip_spaces

    index = code.node_offsets(node)[0]
    words = ("async", "def") if isinstance(node, ast.AsyncFunctionDef) else (
        ("def",) if isinstance(node, ast.FunctionDef) else ("class",)
    )
    for word in words:
        index = skip_spaces(code.text, index + len(word)) if code.text.startswith(word, index) else index
    return index


def _written_name(code: PythonCode, node: ast.AST) -> str:
    """The name as written (``ast`` keeps it NFKC-normalized)."""
    start = _name_offset(code, node)
    end = start
    text = code.text
    while end < len(text) and text[start : end + 1].isidentifier():
        end += 1
    return code.raw[start:end] or node.name


# -- CL103 -------------------------------------------------------------------------

# Tags that are part of a construct reported at its opening tag, or not templating at all.
_QUIET_TAGS = frozenset({"else", "elseif", "raw", "endraw", "verbatim", "endverbatim"})
_TAG_ADVICE = {
    "if": "move the branching into Python",
    "for": "move the loop into Python",
    "set": "compute the value in Python",
}
if TYPE_CHECKING:
    from contractlint.python.pebble import PebbleSpan


def _dotted(path: list[str]) -> str:
    return ".".join(path)


# CL103's fix, as its examples show it: a flow with typed inputs and one Script task.
_FLOW_WITH_INPUTS = (
    "id: etl\nnamespace: company.team\ninputs:\n  - id: table\n    type: STRING\n  - id: limit\n    type: INT\n"
    "  - id: bucket\n    type: STRING\ntasks:\n  - id: load\n    type: io.kestra.plugin.scripts.python.Script\n"
)
_IMPORT_LOAD = "      from pipelines.load import load\n"


def _moved(env: str, script: str) -> str:
    return _FLOW_WITH_INPUTS + env + "    script: |\n      import os\n" + _IMPORT_LOAD + script


def _unchanged(script: str, env: str = "") -> dict:
    code = _FLOW_WITH_INPUTS + env + script
    return {"code": code, "fixed": code}


_CRLF_FLOW = _FLOW_WITH_INPUTS + "    script: |\n" + _IMPORT_LOAD + "      load(\"a {{ inputs.table }} b\")\n"
_FIX_EXAMPLES = [
    Invalid(
        _FLOW_WITH_INPUTS + "    script: |\n" + _IMPORT_LOAD
        + "      load(f\"s3://{{ inputs.bucket }}/{os.sep}x\", '''{{ inputs.table }}''')\n",
        line=15, column=19, end_column=38, count=2,
        message="(code injection: `inputs.bucket` is a STRING input, free text chosen by whoever starts the "
                "execution)",
        fixed=_moved(
            "    env:\n      BUCKET: \"{{ inputs.bucket }}\"\n      TABLE: \"{{ inputs.table }}\"\n",
            "      load(f\"s3://{os.environ['BUCKET']}/{os.sep}x\", os.environ[\"TABLE\"])\n",
        ),
        note="fixed: the expression moves into a new `env`; an f-string keeps the rest of its text, a literal that "
             "is only the expression becomes the subscript",
    ),
    Invalid(
        _CRLF_FLOW.replace("\n", "\r\n"),
        line=15, column=15, end_column=33,
        fixed=_moved("    env:\n      TABLE: \"{{ inputs.table }}\"\n",
                     "      load(f\"a {os.environ['TABLE']} b\")\n").replace("\n", "\r\n"),
        note="a CRLF file keeps its line endings; the string becomes an f-string",
    ),
    Invalid(
        _FLOW_WITH_INPUTS + "    description: Résumé ✓\n    script: |\n" + _IMPORT_LOAD
        + "      load(\"Résumé ✓ {{ inputs.table }} – fin\", 'café')\n",
        line=16, column=22, end_column=40,
        fixed=(_FLOW_WITH_INPUTS + "    description: Résumé ✓\n    env:\n      TABLE: \"{{ inputs.table }}\"\n"
               "    script: |\n      import os\n" + _IMPORT_LOAD
               + "      load(f\"Résumé ✓ {os.environ['TABLE']} – fin\", 'café')\n"),
        note="multi-byte text: columns count characters",
    ),
    Invalid(
        _FLOW_WITH_INPUTS + "    script: |\n" + _IMPORT_LOAD
        + "      load(\"{{ inputs.table }}\", f\"{{ inputs.bucket }}/{{ inputs.table }}\", \"{{ inputs.limit }}\")\n",
        line=15, column=13, end_column=31, count=4,
        fixed=_moved(
            "    env:\n      TABLE: \"{{ inputs.table }}\"\n      BUCKET: \"{{ inputs.bucket }}\"\n"
            "      LIMIT: \"{{ inputs.limit }}\"\n",
            "      load(os.environ[\"TABLE\"], f\"{os.environ['BUCKET']}/{os.environ['TABLE']}\", "
            "os.environ[\"LIMIT\"])\n",
        ),
        note="several expressions on one line: one entry per value, reused where it repeats",
    ),
    Invalid(
        _FLOW_WITH_INPUTS + "    env:\n      # where the task writes\n      REGION: eu-west-1  # keep in sync\n"
        "      TABLE: \"{{ inputs.table }}\"\n    script: |\n" + _IMPORT_LOAD
        + "      load(\"{{ inputs.table }}\", \"{{ inputs.bucket }}\")\n",
        line=19, column=13, end_column=31, count=2,
        fixed=_moved(
            "    env:\n      # where the task writes\n      REGION: eu-west-1  # keep in sync\n"
            "      TABLE: \"{{ inputs.table }}\"\n      BUCKET: \"{{ inputs.bucket }}\"\n",
            "      load(os.environ[\"TABLE\"], os.environ[\"BUCKET\"])\n",
        ),
        note="an existing `env` keeps its comments; the entry that already gives the value is reused",
    ),
    Invalid(
        _FLOW_WITH_INPUTS + "    env: {REGION: eu-west-1}\n    script: |\n" + _IMPORT_LOAD
        + "      load(\"{{ inputs.bucket }}\")\n",
        line=16, column=13, end_column=32,
        fixed=_moved("    env: {REGION: eu-west-1, BUCKET: \"{{ inputs.bucket }}\"}\n",
                     "      load(os.environ[\"BUCKET\"])\n"),
        note="a flow-style `env` stays on its line",
    ),
    Invalid(
        _FLOW_WITH_INPUTS + "    env:\n      TABLE: orders\n    script: |\n      import os as system\n"
        "      print(b\"{{ inputs.table }}\", rb'\\d+{{ inputs.limit }}', u\"{}:{{ inputs.path }}\".format(1))\n",
        line=17, column=15, end_column=33, count=3,
        message="pass it through `env` as `INPUT_TABLE`",
        fixed=(_FLOW_WITH_INPUTS + "    env:\n      TABLE: orders\n      INPUT_TABLE: \"{{ inputs.table }}\"\n"
               "      LIMIT: \"{{ inputs.limit }}\"\n      INPUT_PATH: \"{{ inputs.path }}\"\n    script: |\n"
               "      import os as system\n      print(system.environ[\"INPUT_TABLE\"].encode(), "
               "(rb'\\d+' + system.environ[\"LIMIT\"].encode()), (u\"{}:\" + system.environ[\"INPUT_PATH\"])"
               ".format(1))\n"),
        note="bytes, and a string with braces of its own, become concatenations; a name already taken (TABLE, and "
             "PATH, which the runtime sets) gets the container's name",
    ),
    Invalid(
        "id: etl\nnamespace: company.team\ntasks:\n  - id: load\n    type: io.kestra.plugin.scripts.python.Script\n"
        "    script: |\n      open(\"{{ outputDir }}/out.csv\", \"w\").write(\"{{ trigger.body }}\")\n",
        line=7, column=13, end_column=28, count=2,
        message="(a quoting smell: `outputDir` is set by Kestra and cannot break the quoting)",
        fixed="id: etl\nnamespace: company.team\ntasks:\n  - id: load\n"
              "    type: io.kestra.plugin.scripts.python.Script\n    env:\n      TRIGGER_BODY: \"{{ trigger.body }}\"\n"
              "    script: |\n      import os\n"
              "      open(f\"{os.environ['OUTPUT_DIR']}/out.csv\", \"w\").write(os.environ[\"TRIGGER_BODY\"])\n",
        note="`outputDir` is Kestra's own `OUTPUT_DIR`; a trigger's payload is graded as injection",
    ),
    Invalid(
        "id: etl\nnamespace: company.team\ntasks:\n  - id: sync\n    type: io.kestra.plugin.scripts.python.Script\n"
        "    script: |\n      from pipelines.sync import sync\n      sync(token=\"{{ secret('API_TOKEN') }}\")\n",
        config={"kestra-version": "2.0"},
        line=8, column=19, end_column=44,
        message="(a secret leak: the rendered source holds the credential",
        fixed="id: etl\nnamespace: company.team\ntasks:\n  - id: sync\n"
              "    type: io.kestra.plugin.scripts.python.Script\n    env:\n      API_TOKEN: \"{{ secret('API_TOKEN') }}\"\n"
              "    script: |\n      import os\n      from pipelines.sync import sync\n"
              "      sync(token=os.environ[\"API_TOKEN\"])\n",
        note="Kestra 2.0 open source injects nothing centrally: a secret moves into the task's env too",
    ),
    Invalid(
        _FLOW_WITH_INPUTS + "    script: |\n" + _IMPORT_LOAD + "      load(limit={{ inputs.limit }}, every=0.5)\n",
        line=15, column=18, end_column=36,
        message="(a quoting smell: `inputs.limit` is an INT input, whose values cannot break the quoting)",
        fixed=_moved("    env:\n      LIMIT: \"{{ inputs.limit }}\"\n",
                     "      load(limit=int(os.environ[\"LIMIT\"]), every=0.5)\n"),
        note="an INT (or FLOAT) input in code renders as a number: `int()` of the env value is the same number",
    ),
    Invalid(
        **_unchanged("    script: |\n" + _IMPORT_LOAD + "      load(rows={{ outputs.query.rows }})\n"
                     "      # {{ inputs.table }}\n"),
        line=15, column=17, end_column=41, count=2,
        message="no automatic fix: it stands in code, not in a string",
        note="not fixed: Pebble in code (its value is Python syntax) and in a comment",
    ),
    Invalid(
        **_unchanged("    script: |\n" + _IMPORT_LOAD
                     + "      {% if inputs.table %}\n      load(\"{{ inputs.table }}\")\n      {% endif %}\n"),
        line=15, column=7, end_column=28, count=2,
        message="Pebble tag `{% if inputs.table %}` generates Python code",
        note="not fixed: inside a Pebble block the value exists only when the block renders",
    ),
    Invalid(
        **_unchanged("    script: |\n" + _IMPORT_LOAD + "      load(\"{{ inputs.table }}\")\n",
                     env="    env: \"{{ inputs.env }}\"\n"),
        line=16, column=13, end_column=31,
        message="no automatic fix: the task's `env` is a template, not a mapping",
        note="not fixed: an `env` written as a template",
    ),
    Invalid(
        **_unchanged("    script: |\n" + _IMPORT_LOAD + "      load(\"{{ inputs.table }}\")\n",
                     env="    env:\n      A: x\n      A: y\n"),
        line=18, column=13, end_column=31,
        message="no automatic fix: the task's `env` has duplicate keys",
        note="not fixed: duplicate env keys",
    ),
    Invalid(
        **_unchanged("    script: >\n      from pipelines.load import load\n\n      load(\"{{ inputs.table }}\")\n"),
        line=13, column=5, end_column=11,
        message="no automatic fix: the script is not a literal block (`|`)",
        note="not fixed: a folded script cannot be edited in place",
    ),
]


class TemplateInScript(Rule):
    code = "CL103"
    precision = "very-high"
    name = "template-in-script"
    contract = "1"
    summary = "A Pebble expression or tag inside inline Python: a value spliced into source code"
    python_scope = ("inline",)
    needs_syntax_tree = False  # Pebble is found in the text, parsed or not
    fix = "unsafe"
    explanation = """
## What it does
Reports every Pebble expression (`{{ … }}`) and tag (`{% if %}`, `{% for %}`,
`{% set %}`, …) inside inline Python — a Script task's `script` or a `*.py` entry
of `inputFiles` — at its exact position. Comments (`{# … #}`) and
`{% raw %}…{% endraw %}` blocks are not templating and are not reported; for an
`{% if %}…{% else %}…{% endif %}` construct only the opening tag is reported.
Scripts that do not parse (CL003) are checked too: Pebble is found in the text.
Expressions inside Python strings and comments count too: Kestra renders the
whole script, so a line break in the value turns a comment into code.

The message grades what is spliced, as zizmor grades GitHub Actions contexts, from
the flow's declared inputs and what the expression reads (the worst value wins):
**code injection** for free text a caller chooses (an input of type STRING, JSON,
YAML, URI, FILE, EMAIL or ARRAY, a SELECT that allows custom values, an input the flow
does not declare, a trigger's payload such as `trigger.body`, a label); a **secret
leak** for `secret()` and SECRET inputs (the rendered source holds the credential);
**unchecked data** for values produced at run time (task outputs, `kv()`, `read()`,
`taskrun.value`); a **quoting smell** for closed values (INT, FLOAT, BOOL, SELECT and
date inputs, `execution.id`, `flow.*`, `vars.*`, `now()`). In SARIF the grade is the
result's `level` (error, error, warning, note), its `rank`, and the properties
`contractlint/grade` and `security-severity`.

The message suggests an env name built from the value the expression reads, in
SCREAMING_SNAKE_CASE: the container variable (`inputs`, `vars`, `outputs`, `envs`,
`globals`, `labels`) is dropped and the first and last segments of the rest are
kept — `inputs.table` → `TABLE`, `outputs.extract.uri` → `EXTRACT_URI`,
`outputs.child.outputs.report` → `CHILD_REPORT`, `execution.id` → `EXECUTION_ID`,
`trigger.date` → `TRIGGER_DATE`; `secret('API_TOKEN')` and `kv('key')` use their
key. Any name will do; keep it task-specific (credentials belong in
`pluginDefaults`, see contract 2).

## Why is this bad?
Kestra renders the script with Pebble *before* Python sees it: the value is
pasted into source code. A quote, a newline or a backslash in an input breaks the
script with a syntax error far from its cause — or, with a crafted value, runs
code of the caller's choosing. Tags are worse: they generate different programs
per execution, so the code that ran is not the code anybody reviewed. A value
passed through `env` is data: it cannot change the program.

## Example
```yaml
- id: load
  type: io.kestra.plugin.scripts.python.Script
  script: |
    from pipelines.load import load
    load(table="{{ inputs.table }}")
```

## Use instead
```yaml
- id: load
  type: io.kestra.plugin.scripts.python.Script
  env:
    TABLE: "{{ inputs.table }}"
  script: |
    import os
    from pipelines.load import load
    load(table=os.environ["TABLE"])
```

## Fix
Unsafe (`--fix --unsafe-fixes`), for an expression that stands in a Python string
literal: it moves into the task's `env` and the literal reads it. A literal that is
wholly the expression becomes `os.environ["NAME"]` (`.encode()` for bytes); one with
other text becomes an f-string that keeps the rest exactly
(`f"s3://{os.environ['BUCKET']}/x"`: `r` and `f` prefixes kept, `u` dropped, the other
quote inside the field), or a concatenation in parentheses for bytes and for a literal
with braces of its own (doubling them would write `{{`, which Kestra renders). The
expressions of one literal move together. A flow input declared INT or FLOAT that
stands in code as an operand (`days = {{ inputs.days }}`) renders as a number
literal, so it becomes `int(os.environ["DAYS"])` (`float(…)`): the same number. `import os` is added where CL201's fix adds
it, unless the os module (or `environ`) is already imported. The env entry goes at the
end of the task's `env` — block or one-line flow style, comments and line endings kept
— or, when the task has none, in a new `env:` above the script; the name is the one
the message proposes, unique against the task's env, its plugin defaults or policies,
`runtime-env` and what the script reads (`INPUT_PATH`, then `TABLE_2`, …), and an
entry already holding the same expression is reused. `{{ outputDir }}` and
`{{ workingDir }}` read Kestra's own `OUTPUT_DIR` and `WORKING_DIR`.

It is unsafe because the script changes: the value arrives as data, so quotes,
backslashes and escapes in it no longer act on the code — which is the point, but a
script that relied on them (a filter that escaped the value, an escape sequence in
the value) behaves differently. No fix is offered, and the message says why, for
Pebble in other code positions (`rows = {{ outputs.q.rows }}`: the value is Python
syntax, and what type it has is a decision; a number input where its sign would bind
differently, `{{ inputs.n }} ** 2`), in comments, tags, `secret()` (it belongs in
`pluginDefaults` or a policy: contract 2 — on Kestra 2.x open source, where nothing
injects values centrally, it moves into the task's env like any value), expressions
inside a `{% if %}`/`{% for %}` block or reading a `{% set %}` variable, whitespace
control (`{{-`), filters that escape the value for Python source, docstrings, `case`
patterns, f-string replacement fields, and when the edit would be inexact: a script
that is not a literal block (`|`), an `env` that is a template, a shared anchor,
has duplicate or templated keys, or is a flow mapping over several lines.
"""
    VALID = [
        Valid(
            "id: load\nnamespace: company.team\ntasks:\n  - id: load\n    type: io.kestra.plugin.scripts.python.Script\n"
            '    env:\n      TABLE: "{{ inputs.table }}"\n    script: |\n      import os\n'
            "      from pipelines.load import load\n      load(table=os.environ[\"TABLE\"])\n",
            note="Pebble in `env` is fine: the script reads the value as data",
        ),
        Valid(
            FLOW_HEAD + "    script: |\n      {# rendered by Kestra: keep this script free of templating #}\n"
            "      from pipelines.transform import run\n      run()\n",
            note="Pebble comments are harmless",
        ),
        Valid(
            FLOW_HEAD + "    script: |\n      {% raw %}\n      template = \"Hello {{ name }}\"\n      {% endraw %}\n"
            "      print(template)\n",
            note="text inside `{% raw %}` is not Pebble",
        ),
        Valid(
            FLOW_HEAD + "    script: |\n      {% verbatim %}\n      template = \"Hello {{ name }}\"\n      {% endverbatim %}\n"
            "      print(template)\n",
            note="nor inside `{% verbatim %}`, Pebble's own name for it",
        ),
        Valid(
            "id: etl\nnamespace: company.team\ntasks:\n  - id: run\n    type: io.kestra.plugin.scripts.python.Commands\n"
            "    inputFiles:\n      main.py: \"{{ read('scripts/main.py') }}\"\n"
            "      helpers.py: \"{{ render(read('scripts/helpers.py')) }}\"\n"
            "      extra.py: nsfile:///scripts/extra.py\n    commands:\n      - python main.py\n",
            note="a namespace file included with read(), or named by its URI, is not Python written here",
        ),
    ]
    INVALID = [
        Invalid(
            FLOW_HEAD + "    script: |\n      from pipelines.load import load\n      load(table=\"{{ inputs.table }}\")\n",
            line=8, column=19, end_column=37,
            message="Pebble expression `{{ inputs.table }}` is pasted into the Python source before it runs",
            fixed=FLOW_HEAD + "    env:\n      TABLE: \"{{ inputs.table }}\"\n    script: |\n      import os\n"
            "      from pipelines.load import load\n      load(table=os.environ[\"TABLE\"])\n",
        ),
        Invalid(
            FLOW_HEAD + "    script: |\n      from pipelines.extract import parse\n"
            "      parse('{{ outputs.extract.uri }}', {{ inputs.limit }})\n",
            line=8, column=14, end_column=39, count=2,
            message="pass it through `env` as `EXTRACT_URI` and read `os.environ[\"EXTRACT_URI\"]`",
            note="every expression is reported; the env name keeps the task id and the output",
        ),
        Invalid(
            FLOW_HEAD + "    script: |\n      from pipelines.report import send\n      send(recipients={{ outputs.lookup[\n"
            "          'recipients'] | json }})\n",
            line=8, column=23, end_line=9, end_column=34,
            message="`{{ outputs.lookup[ 'recipients'] | json }}`",
            note="an expression spanning lines is reported over all of it",
        ),
        Invalid(
            FLOW_HEAD + "    script: |\n      label = \"{{ inputs.table\n                 | upper }}\"\n      print(label)\n",
            line=7, column=16, end_line=8, end_column=28,
            message="`{{ inputs.table | upper }}`",
            note="also inside a Python string, over lines: the script still parses",
        ),
        Invalid(
            FLOW_HEAD + "    script: |\n      from pipelines.report import build\n      {% if inputs.debug %}\n"
            "      build(verbose=True)\n      {% else %}\n      build()\n      {% endif %}\n",
            line=8, column=7, end_column=28,
            message="Pebble tag `{% if inputs.debug %}` generates Python code at render time; move the branching "
                    "into Python, reading `inputs.debug` from `env` as `DEBUG`",
            note="a tag on its own line; `else` and `endif` belong to the reported `if`",
        ),
        Invalid(
            "id: etl\nnamespace: company.team\ntasks:\n  - id: run\n    type: io.kestra.plugin.scripts.python.Commands\n"
            "    inputFiles:\n      main.py: |\n        from pipelines.sync import sync\n"
            "        sync(token=\"{{ secret('API_TOKEN') }}\")\n    commands:\n      - python main.py\n",
            line=9, column=21, end_column=46,
            message="provide it as `API_TOKEN` in the `env` of `pluginDefaults`",
            note="`*.py` input files too; a secret belongs in plugin defaults (contract 2)",
        ),
        Invalid(
            FLOW_HEAD + "    script: \"from pipelines.load import load\\nload('{{ inputs.table }}')\"\n",
            line=6, column=5, end_column=11,
            message="(script line 2)",
            note="a quoted script cannot be mapped exactly: the finding is at the key, naming the script line",
        ),
        Invalid(
            FLOW_HEAD + "    script: |\n      from pipelines.load import load\n"
            "      load(table=\"{{ inputs.table }}\", limit=\n",
            line=8, column=19, end_column=37,
            message="Pebble expression `{{ inputs.table }}` is pasted into the Python source",
            note="a script that does not parse is still checked (CL003 reports the syntax error)",
        ),
        *_FIX_EXAMPLES,
    ]

    def check_python(self, code: PythonCode, context: RuleContext) -> Iterable[Diagnostic]:
        import dataclasses

        from contractlint.rules.pebble_env import grade_expression

        found: list[Diagnostic] = []
        outcomes = _env_fixes(code, context.project) if any(p.kind == "expression" for p in code.pebble) else {}
        for pebble in code.pebble:
            outcome = outcomes.get(pebble.start)
            grade = grade_expression(pebble.inner, code.flow) if pebble.kind == "expression" else None
            message = self._message(pebble, outcome, grade, context.project)
            if message is None:
                continue
            line, column = code.code_position(pebble.start)
            end_line, end_column = code.code_position(pebble.end)
            fix = outcome.fix if outcome is not None else None
            diagnostic = self.code_diagnostic(code, Span(line, column, end_line, end_column), message, fix=fix)
            if grade is not None:
                diagnostic = dataclasses.replace(diagnostic, grade=grade.level)
            found.append(diagnostic)
        return found

    def _message(self, pebble: PebbleSpan, outcome: _Outcome | None, grade: Any, project: Any) -> str | None:
        import re

        shown = " ".join(pebble.text.split())
        if len(shown) > 60:
            shown = shown[:59].rstrip() + "…"
        if pebble.kind == "expression":
            from contractlint.flow.defaults import provider_kind

            path = pebble_value_path(pebble.inner)
            env = outcome.name if outcome is not None and outcome.name is not None else env_name_for(path)
            central = provider_kind(project)
            secret = re.search(r"(?<![\w.])secret\s*\(", pebble.inner) is not None
            if env is None:
                advice = "pass the value through `env` and read it from `os.environ`"
            elif secret and central is not None:
                # Credentials reach tasks through plugin defaults or policies (contract 2), not the task's env.
                where = f"`{central}`" if central == "pluginDefaults" else central
                advice = f"provide it as `{env}` in the `env` of {where} and read `os.environ[\"{env}\"]`"
            else:
                advice = f"pass it through `env` as `{env}` and read `os.environ[\"{env}\"]`"
            refused = ""
            if outcome is not None and outcome.reason is not None and not (secret and central is not None):
                refused = f"; no automatic fix: {outcome.reason}"
            return (
                f"Pebble expression `{shown}` is pasted into the Python source before it runs "
                f"({grade.clause}); {advice}{refused}"
            )
        if pebble.kind != "tag":
            return None  # comments render to nothing
        words = pebble.inner.split(None, 1)
        if not words:
            return None
        tag = words[0].lower()
        if tag in _QUIET_TAGS or tag.startswith("end"):
            return None
        rest = words[1] if len(words) > 1 else ""
        if tag == "for" and " in " in f" {rest} ":
            rest = f" {rest} ".split(" in ", 1)[1]
        elif tag == "set" and "=" in rest:
            rest = rest.split("=", 1)[1]
        path = pebble_value_path(rest)
        env = env_name_for(path)
        reading = f"reading `{_dotted(path)}` from `env` as `{env}`" if env else "reading the value from `env`"
        advice = _TAG_ADVICE.get(tag, "move the logic into Python")
        return f"Pebble tag `{shown}` generates Python code at render time; {advice}, {reading}"


# -- CL103's fix ---------------------------------------------------------------------


@dataclass(frozen=True)
class _Outcome:
    """CL103's fix of one expression, with the env name it gives it (the message names
    it), or why there is none."""

    fix: Fix | None = None
    name: str | None = None
    reason: str | None = None


def _env_fixes(code: PythonCode, project: Any) -> dict[int, _Outcome]:
    """For each Pebble expression of ``code`` (by start offset): the fix that moves it
    into the task's env, or why there is none. The expressions of one string literal
    share one fix (it rewrites the literal once)."""
    from contractlint.rules.pebble_env import EnvNames, Move, Refusal, expression_refusal, place_of, plan_move

    outcomes: dict[int, _Outcome] = {}
    planned: dict[int, Move | Refusal] = {}  # piece start → its move
    fixes: dict[int, Fix | Refusal] = {}
    names: EnvNames | None = None  # what the task's env already holds, read once
    for pebble in code.pebble:
        if pebble.kind != "expression":
            continue
        refusal = expression_refusal(code, pebble, project)
        if refusal is None and not code.code_map.exact:
            refusal = Refusal("the script is not a literal block (`|`), so its text cannot be edited in place")
        place = place_of(code, pebble) if refusal is None else refusal
        if isinstance(place, Refusal):
            outcomes[pebble.start] = _Outcome(reason=place.reason)
            continue
        key = place.key
        if key not in planned:
            names = names if names is not None else EnvNames.for_task(code, project)
            # Each literal's fix is applied on its own: it names against the env as it is.
            planned[key] = plan_move(code, place, names.fresh(), project)
            fixes[key] = _move_fix(code, planned[key]) if isinstance(planned[key], Move) else planned[key]
        move, fix = planned[key], fixes[key]
        if isinstance(fix, Refusal):
            outcomes[pebble.start] = _Outcome(reason=fix.reason)
            continue
        outcomes[pebble.start] = _Outcome(fix=fix, name=move.names[move.place.pebbles.index(pebble)])
    return outcomes


def _move_fix(code: PythonCode, move: Any) -> Fix | Any:
    """The file edits of ``move``: the env entries, ``import os``, the literal."""
    from contractlint.rules.environment import with_line_breaks
    from contractlint.rules.pebble_env import Refusal, env_edit

    yaml_edit = env_edit(code, move.entries)
    if isinstance(yaml_edit, Refusal):
        return yaml_edit
    edits = [yaml_edit] if yaml_edit is not None else []
    edits += [code.file_edit(at, at, with_line_breaks(code, at, text)) for at, text in move.insertions]
    edits += [code.file_edit(start, end, text, replaces_pebble=True) for start, end, text in move.edits]
    if any(edit is None for edit in edits):
        return Refusal("the script cannot be edited in place")
    shown = ", ".join(f"`{' '.join(p.text.split())}`" for p in move.place.pebbles)
    names = ", ".join(f"`{name}`" for name in dict.fromkeys(move.names))
    return Fix("unsafe", f"Move {shown} into the task's env as {names}; the script reads it from `os.environ`",
               tuple(edits))
