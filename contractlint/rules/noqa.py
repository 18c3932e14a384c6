"""CL900 unused-noqa: ``# noqa`` codes that suppress nothing.

The rule has no ``check_*`` method: whether a code was used is only known once every
other rule has run, so ``contractlint.suppressions`` produces its diagnostics while it
applies the ``noqa`` comments (when CL900 is enabled).
"""

from __future__ import annotations

from contractlint.rules.base import Invalid, Rule, Valid

_HEAD = "id: etl\nnamespace: company.team\ntasks:\n"
_SCRIPT_TASK = "  - id: transform\n    type: io.kestra.plugin.scripts.python.Script\n"


class UnusedNoqa(Rule):
    code = "CL900"
    precision = "very-high"
    problem_severity = "recommendation"
    name = "unused-noqa"
    contract = "—"
    summary = "A `# noqa: CODE` comment whose code suppresses nothing there (off by default)"
    fix = "safe"
    default_enabled = False
    explanation = """
## What it does
Reports each code of a `# noqa: CODE` comment that suppressed no diagnostic: the
finding it was written for was fixed or moved, the code is misspelt or unknown
(`CL999`), it is a prefix (`# noqa: CL1` — noqa takes full codes), it names a rule
that is not enabled, it is listed twice, or `per-file-ignores` already ignores it.
The finding points at the code inside the comment. Off by default: enable it with
`--extend-select CL900` (or `extend-select = ["CL900"]`).

How `noqa` comments work (this is what CL900 checks against):

- `# noqa: CL102` (codes separated by commas or spaces, any case for `noqa`, a
  reason may follow: `# noqa: CL102 -- legacy flow`) at the end of a line suppresses
  those codes for diagnostics that *start* on that line: in Python modules, in
  inline Python (a Python comment on the script line) and on YAML lines (an `env`
  entry, a property, a block scalar's `script: |` header line — where findings in
  a folded `>` or quoted script are reported). In Python, a
  diagnostic inside a string spanning several lines, or on a backslash-continued
  line, belongs to the last line of that string or statement, as in ruff.
- On the line of a task's `id:` key it suppresses the codes for the whole task:
  its properties, its inline script and its nested tasks.
- Only real comments count: a `# noqa` inside a string or a YAML quoted or block
  scalar is text. A bare `# noqa` without codes suppresses nothing (and is not
  reported: it may be there for another tool). Codes that do not start with `CL`
  belong to other tools and are left alone.
- A comment that lists `CL900` itself is never reported.

## Why is this bad?
A stale `noqa` hides the next real finding on that line or task: the comment was
written for one problem and silently swallows a new one. Unknown codes and
prefixes suppress nothing, so the author believes a finding is silenced (or
justified) when it is not.

## Example
```yaml
tasks:
  - id: transform  # noqa: CL102 -- the loop moved to pipelines.transform
    type: io.kestra.plugin.scripts.python.Script
    script: |
      from pipelines.transform import run
      run()
```

## Use instead
```yaml
tasks:
  - id: transform
    type: io.kestra.plugin.scripts.python.Script
    script: |
      from pipelines.transform import run
      run()
```
"""
    VALID = [
        Valid(
            _HEAD + _SCRIPT_TASK + '    script: |\n      print("# noqa: CL102 is text in a string")\n',
            note="a `# noqa` inside a string is not a comment",
        ),
        Valid(
            _HEAD + "  - id: notify\n    type: io.kestra.plugin.core.log.Log\n"
            '    message: "retry # noqa: CL002"\n',
            note="nor is one inside a quoted YAML scalar",
        ),
        Valid(
            "from pipelines.setup import configure  # noqa: E402\n\nconfigure()\n",
            note="codes of other tools are left alone",
        ),
        Valid("import pipelines.plugins  # noqa\n", note="a bare `# noqa` suppresses nothing and is not reported"),
        Valid(
            _HEAD + _SCRIPT_TASK + "    script: |\n      from pipelines.transform import run\n"
            "      run()  # noqa: CL102, CL900 -- kept while the loop is being moved\n",
            note="a comment that names CL900 is exempt",
        ),
    ]
    INVALID = [
        Invalid(
            _HEAD + _SCRIPT_TASK + "    script: |\n      from pipelines.transform import run\n"
            "      run()  # noqa: CL102\n",
            line=8,
            column=22,
            end_column=27,
            message="Unused noqa code CL102",
            fixed=_HEAD + _SCRIPT_TASK + "    script: |\n      from pipelines.transform import run\n      run()\n",
            note="the loop it silenced moved into a module; only CL900 runs here, so CL102 is 'not enabled'",
        ),
        Invalid(
            _HEAD + "  - id: transform  # noqa: CL101, CL102 -- legacy script\n"
            "    type: io.kestra.plugin.scripts.python.Script\n"
            "    script: |\n      from pipelines.transform import run\n      run()\n",
            line=4,
            column=28,
            end_column=33,
            count=2,
            message="Unused noqa code CL101",
            fixed=_HEAD + "  - id: transform\n    type: io.kestra.plugin.scripts.python.Script\n"
            "    script: |\n      from pipelines.transform import run\n      run()\n",
            note="on a task's `id:` line the comment covers the whole task",
        ),
        Invalid(
            "from pipelines.setup import configure  # noqa: CL1, E402\n\nconfigure()\n",
            line=1,
            column=48,
            end_column=51,
            message="Unknown rule code CL1 in noqa comment: noqa takes full codes, not prefixes",
            fixed="from pipelines.setup import configure  # noqa: E402\n\nconfigure()\n",
            note="a prefix is not a code; the other tool's code stays",
        ),
        Invalid(
            "import os\n\nTABLE = os.environ['TABLE']  # noqa: CL999\n",
            line=3,
            column=38,
            end_column=43,
            message="Unknown rule code CL999 in noqa comment",
            fixed="import os\n\nTABLE = os.environ['TABLE']\n",
        ),
    ]
