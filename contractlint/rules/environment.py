"""Contract 4 — ``os.environ["KEY"]``, never ``.get(KEY, default)`` — and the run-time
half of contract 2: a script that reads a variable its task is not given.

A missing variable must raise a ``KeyError`` that names it, at the first line that
needs it, not run on a default nobody chose for this deployment. CL201 and CL202
find the reads that do not raise; CL203 finds the reads that will.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any

from contractlint.diagnostics import Diagnostic, Fix
from contractlint.rules.base import Invalid, Rule, RuleContext, Valid

if TYPE_CHECKING:
    from contractlint.python.code import PythonCode
    from contractlint.python.environ import EnvRead

# Variables every script task's process has whatever the flow says: Kestra sets
# WORKING_DIR and OUTPUT_DIR for script tasks, and any container or worker process
# has these POSIX basics.
ALWAYS_PROVIDED = frozenset({"WORKING_DIR", "OUTPUT_DIR", "PATH", "HOME", "HOSTNAME", "PWD"})

SCRIPT = "io.kestra.plugin.scripts.python.Script"
FLOW_HEAD = f"id: load_orders\nnamespace: company.sales\ntasks:\n  - id: load\n    type: {SCRIPT}\n"


# -- CL201 / CL202 ----------------------------------------------------------------------------


def _key_text(code: PythonCode, read: EnvRead) -> str:
    """The variable as the message names it: the key as written, and the value of a
    module-level constant."""
    from contractlint.python.environ import source_text

    text = source_text(code, read.key_node)
    if "\n" in text:
        text = " ".join(text.split())  # a key expression written over several lines
    if len(text) > 60:
        text = text[:57] + "..."
    if read.key_is_constant:
        return f"{text} ({read.key!r})"
    return text


def _callee(code: PythonCode, read: EnvRead) -> str:
    from contractlint.python.environ import source_text

    return "".join(source_text(code, read.access.func).split())


def _written(code: PythonCode, offsets: tuple[int, int]) -> str:
    start, end = offsets
    return code.text[start:end]


def _replacement(code: PythonCode, read: EnvRead) -> tuple[str, list[tuple[int, str]]] | None:
    """The subscript to write instead of ``read``, in the import style already in scope,
    and the insertions it needs (``import os`` when only ``getenv`` is imported)."""
    import ast

    from contractlint.python.environ import resolves_to, source_text, touches_pebble

    func = read.access.func
    # As written (with its own parentheses); where Pebble is masked, the raw text (for
    # the message: no fix then).
    if touches_pebble(code, read.key_node):
        key = source_text(code, read.key_node)
    else:
        key = _written(code, code.argument_offsets(read.access, read.key_node))
    if read.kind in ("get", "setdefault", "pop"):
        if not isinstance(func, ast.Attribute):
            return None
        return f"{_receiver(code, func)}[{key}]", []
    if isinstance(func, ast.Attribute):  # os.getenv, x.getenv
        if not resolves_to(code, func.value, "os"):
            return None
        return f"{_receiver(code, func)}.environ[{key}]", []
    found = environ_at(code, read.access)
    if found is None:
        return None
    environ, insertions = found
    return f"{environ}[{key}]", insertions


def environ_at(code: PythonCode, node: Any) -> tuple[str, list[tuple[int, str]]] | None:
    """How code at ``node`` (an expression) names ``os.environ``: with names bound
    there (``os.environ``, ``environ``, ``_os.environ``), or as ``os.environ`` with the
    ``import os`` it needs, as (offset in the code, text) insertions; None when neither
    can be done (the name ``os`` means something else there)."""
    found = _environ_in_scope(code, node)
    if found is not None:
        return found, []
    offset = _import_offset(code, node)
    if offset is None:
        return None
    return "os.environ", [(offset, "import os\n")]


def _scope_node(node: Any) -> Any:
    """The node whose scope names are looked up in: a call is judged where its callee
    is written (a default value's call belongs to the enclosing scope)."""
    import ast

    from contractlint.python.analysis import root_name

    return root_name(node.func) if isinstance(node, ast.Call) else node


def _receiver(code: PythonCode, attribute) -> str:
    """``os.environ`` of ``os.environ.get``, as written (its parentheses included)."""
    return _written(code, code.outer_offsets(attribute.value, code.node_offsets(attribute)[0]))


def _environ_in_scope(code: PythonCode, node: Any) -> str | None:
    """An expression for ``os.environ`` made of names bound at ``node``: a name
    imported as ``os.environ`` (``environ``) or as the os module (``os.environ``)."""
    from contractlint.python.analysis import IMPORT
    from contractlint.python.environ import imports_os_star

    analysis = code.analysis
    scope = analysis.scope_of(_scope_node(node))
    environ_names: list[str] = []
    os_names: list[str] = []
    for current in analysis.scope_chain(scope):
        # Only imported names can be the os module: the other bindings are skipped.
        imported = {name for name, bindings in current.bindings.items() if any(b.is_import for b in bindings)}
        for name in sorted(imported):
            names = analysis.qualified_names_of(name, scope)
            if not names or any(n.source != IMPORT for n in names):
                continue
            if scope.kind == "module" and not _bound_before(analysis.lookup(name, scope), node):
                continue  # module-level code: the import must come first
            qualified = {n.name for n in names}
            if qualified == {"os.environ"}:
                environ_names.append(name)
            elif qualified == {"os"}:
                os_names.append(name)
    if environ_names:
        return sorted(set(environ_names), key=lambda n: (n != "environ", n))[0]
    if os_names:
        return sorted(set(os_names), key=lambda n: (n != "os", n))[0] + ".environ"
    if imports_os_star(code) and not analysis.is_bound("environ", scope):
        return "environ"  # bound by `from os import *`
    return None


def _bound_before(bindings: Any, node: Any) -> bool:
    for binding in bindings:
        where = binding.statement if binding.statement is not None else binding.node
        if getattr(where, "lineno", None) is None or where.lineno >= node.lineno:
            return False
    return True


def _import_offset(code: PythonCode, node: Any) -> int | None:
    """Where ``import os`` goes: before the first statement after the module docstring
    and ``__future__`` imports — when the name ``os`` is free and that is before ``node``."""
    import ast

    analysis = code.analysis
    if analysis.is_bound("os", analysis.scope_of(_scope_node(node))):
        return None
    for index, line in enumerate(code.statement_lines(code.tree.body)):
        first = line[0]
        is_docstring = index == 0 and isinstance(first, ast.Expr) and _is_string(code, first.value)
        is_future = any(isinstance(small, ast.ImportFrom) and small.module == "__future__" for small in line)
        if is_docstring or is_future:
            continue
        # A decorated definition starts at its first decorator.
        start = first.decorator_list[0] if getattr(first, "decorator_list", None) else first
        offset = code.code_offset(start.lineno, 1)
        return offset if offset <= code.node_offsets(node)[0] else None
    return None


def _is_string(code: PythonCode, node: Any) -> bool:
    """A string or bytes literal, as a docstring is written (an f-string only when
    concatenated with another string)."""
    import ast

    from contractlint.python.lexical import string_pieces

    if isinstance(node, ast.Constant):
        return isinstance(node.value, (str, bytes))
    return isinstance(node, ast.JoinedStr) and len(string_pieces(code.text, *code.node_offsets(node))) > 1


def _fix(code: PythonCode, read: EnvRead) -> tuple[str | None, Fix | None]:
    """(the suggested subscript, the fix) — the fix is None where it would lose a
    comment, change more than the read, or edit Pebble."""
    from contractlint.python.environ import touches_pebble

    replacement = _replacement(code, read) if read.key_node is not None else None
    if replacement is None:
        return None, None
    text, insertions = replacement
    if (
        read.has_comment
        or (read.kind == "setdefault" and read.discarded)  # sets a default for others: not a read
        or (read.fallback is not None and not read.fallback_is_whole)
        or touches_pebble(code, read.node)
    ):
        return text, None
    start, end = code.node_offsets(read.node)
    edits = [code.file_edit(offset, offset, with_line_breaks(code, offset, content)) for offset, content in insertions]
    edits.append(code.file_edit(start, end, text))
    if any(edit is None for edit in edits):
        return text, None
    return text, Fix("unsafe", f"Replace with `{text}`", tuple(edits))


def with_line_breaks(code: PythonCode, offset: int, content: str) -> str:
    """``content`` with the line ending of the code it goes into. Inline code is
    re-indented, with the file's line endings, by ``file_edit``."""
    if code.is_inline:
        return content
    return content.replace("\n", code.file.newline_at(offset))  # a module: its text is the file's


class EnvironDefault(Rule):
    code = "CL201"
    precision = "very-high"
    name = "environ-default"
    contract = "4"
    summary = "An environment variable read with a default: os.environ.get(K, d), os.getenv(K, d), ... or d"
    fix = "unsafe"
    explanation = """
## What it does
Reports reads of an environment variable that fall back to a value when the
variable is missing: `os.environ.get(K, d)`, `os.getenv(K, d)` (also with
`default=` as a keyword), `os.environ.get(K) or d` (also `getenv`, and `d`
after a longer `or` chain), and `os.environ.setdefault(K, d)` — through any
import alias (`import os as _os`, `from os import environ as ENV`,
`from os import getenv as ge`, and a module-level alias `ENV = os.environ`
assigned once). A name that is not the os module's (a local
variable called `os` or `environ`, `self.environ`, any other mapping's `.get`)
is not reported; neither is a read of a copy (`dict(os.environ).get(K, d)`,
`os.environ.copy().get(K, d)`). An explicit `None` default
(`os.environ.get(K, None)`) is CL202's: it behaves as no default.

## Why is this bad?
A default hides a deployment mistake: the task runs, against the wrong
database or with an empty token, and fails far away, or worse, succeeds on
wrong data. `os.environ["K"]` fails at once with `KeyError: 'K'`, which names
the variable to add to the task's `env` or to `pluginDefaults`.

## Example
```python
import os

DB_URL = os.getenv("DB_URL", "postgresql://localhost/dev")
region = os.environ.get("AWS_REGION") or "eu-west-1"
```

## Use instead
```python
import os

DB_URL = os.environ["DB_URL"]
region = os.environ["AWS_REGION"]
```

## Fix
Unsafe (`--fix --unsafe-fixes`): the read becomes the subscript form in the
import style already in scope (`environ["K"]` after `from os import environ`,
`_os.environ["K"]` after `import os as _os`; where only `getenv` is imported,
`import os` is added after the docstring and `__future__` imports), keeping the
key as written. It is unsafe because it changes behaviour when the variable is
missing (a `KeyError` instead of the default) — which is the point, but a person
should make sure the variable is provided. No fix is offered when it would drop a
comment, for a `setdefault` whose value is unused (it sets a default for other
code, not a read), for a read in the middle of a longer `or` chain, or when the
expression contains Pebble.
"""
    VALID = [
        Valid('import os\n\nDB_URL = os.environ["DB_URL"]\n'),
        Valid(
            "def connect(os, environ):\n    # parameters named like the module are not it\n"
            '    return os.environ.get("DB_URL", "x"), environ.get("DB_URL", "x")\n',
            note="local names called os and environ",
        ),
        Valid(
            "import os\n\nclass Settings:\n    def __init__(self, environ):\n        self.environ = environ\n\n"
            '    def url(self):\n        return self.environ.get("DB_URL", "x")\n',
            note="an attribute called environ",
        ),
        Valid(
            'import os\n\nsnapshot = dict(os.environ).get("DB_URL", "x")\n'
            'copied = os.environ.copy().get("DB_URL", "x")\n'
            'headers = {"a": 1}.get("DB_URL", "x")\n',
            note="copies of the environment and other mappings",
        ),
        Valid(
            "from os import environ\n\ndef reset():\n    global environ\n    environ = {}\n\n"
            'def url():\n    return environ.get("DB_URL", "x")\n',
            note="a global rebound elsewhere: not provably the os mapping",
        ),
        Valid('import os\n\nurl = os.environ.get("DB_URL")\n', note="no default: CL202"),
        Valid('import os\n\nurl = os.environ.get("DB_URL", None)\n', note="explicit None: CL202"),
    ]
    INVALID = [
        Invalid(
            'import os\n\nDB_URL = os.environ.get("DB_URL", "postgresql://localhost/dev")\n',
            line=3, column=10, end_column=64,
            message="Environment variable \"DB_URL\" is read with a default (os.environ.get(…, default)); "
            "use os.environ[\"DB_URL\"]",
            fixed='import os\n\nDB_URL = os.environ["DB_URL"]\n',
        ),
        Invalid(
            "import os as _os\n\ntoken = _os.getenv('API_TOKEN', '')\n",
            line=3, column=9, end_column=36, message="'API_TOKEN' is read with a default (_os.getenv(…, default))",
            fixed="import os as _os\n\ntoken = _os.environ['API_TOKEN']\n",
            note="import os as _os; the key keeps its quotes",
        ),
        Invalid(
            'from os import environ\n\nregion = environ.get("AWS_REGION") or "eu-west-1"\n',
            line=3, column=10, end_column=50, message='"AWS_REGION" is read with an `or` fallback',
            fixed='from os import environ\n\nregion = environ["AWS_REGION"]\n',
            note="`or` fallback: one finding, at the whole expression",
        ),
        Invalid(
            'from os import environ as ENV\n\nENV.setdefault("TZ", "UTC")\nzone = ENV.setdefault("TZ", "UTC")\n',
            line=3, column=1, end_column=28, count=2, message='"TZ" is read with a default (ENV.setdefault',
            fixed='from os import environ as ENV\n\nENV.setdefault("TZ", "UTC")\nzone = ENV["TZ"]\n',
            note="a setdefault whose value is unused sets a default for others: reported, not fixed",
        ),
        Invalid(
            '"""Settings."""\nfrom __future__ import annotations\n\nfrom os import getenv as ge\n\n'
            'PORT = int(ge("PORT", "8080"))\n',
            line=6, column=12, end_column=30, message='"PORT" is read with a default (ge(…, default))',
            fixed='"""Settings."""\nfrom __future__ import annotations\n\nimport os\nfrom os import getenv as ge\n\n'
            'PORT = int(os.environ["PORT"])\n',
            note="only getenv imported: the fix adds `import os`",
        ),
        Invalid(
            'import os\n\nuser = os.getenv(key="DB_USER", default="admin")\n',
            line=3, column=8, end_column=49, fixed='import os\n\nuser = os.environ["DB_USER"]\n',
            note="keyword arguments",
        ),
        Invalid(
            'import os\n\nurl = os.getenv("DB_URL") or os.getenv("DATABASE_URL") or "sqlite://"\n',
            line=3, column=7, end_column=55, count=2,
            message='"DB_URL" is read with an `or` fallback',
            note="an `or` chain: both reads fall back; no fix (which variable is meant is a choice)",
        ),
        Invalid(
            'import os\n\nENV = os.environ\n\nbucket = ENV.get("S3_BUCKET", "raw-data")\n',
            line=5, column=10, end_column=42, message='"S3_BUCKET" is read with a default (ENV.get(…, default))',
            fixed='import os\n\nENV = os.environ\n\nbucket = ENV["S3_BUCKET"]\n',
            note="a module-level alias of os.environ",
        ),
        Invalid(
            'import os\n\nKEY = "DB_URL"\n\ndef url():\n    return os.environ.get(KEY, "sqlite://")\n',
            line=6, column=12, end_column=44, message="KEY ('DB_URL') is read with a default",
            fixed='import os\n\nKEY = "DB_URL"\n\ndef url():\n    return os.environ[KEY]\n',
        ),
        Invalid(
            FLOW_HEAD + "    script: |\n      import os\n      from pipelines.load import run\n"
            '      run(os.environ.get("BATCH_SIZE", "500"))\n',
            line=9, column=11, end_column=46,
            fixed=FLOW_HEAD + "    script: |\n      import os\n      from pipelines.load import run\n"
            '      run(os.environ["BATCH_SIZE"])\n',
            note="inline scripts: positions and fixes in the flow file",
        ),
    ]

    def check_python(self, code: PythonCode, context: RuleContext) -> Iterable[Diagnostic]:
        from contractlint.python.environ import env_facts

        for read in env_facts(code).reads:
            if read.kind == "pop" or read.kind == "subscript" or not read.has_default:
                continue
            suggestion, fix = _fix(code, read)
            callee = _callee(code, read)
            if read.fallback is not None:
                how = f"an `or` fallback ({callee}(…) or …)"
            else:
                how = f"a default ({callee}(…, default))"
            use = suggestion if suggestion is not None else f"os.environ[{_key_text(code, read)}]"
            yield self.code_diagnostic(
                code,
                read.node,
                f"Environment variable {_key_text(code, read)} is read with {how}; use {use} so that a missing "
                "variable raises KeyError",
                fix=fix,
            )


class EnvironGet(Rule):
    code = "CL202"
    precision = "very-high"
    name = "environ-get"
    contract = "4"
    summary = "os.environ.get(K) / os.getenv(K) without a default: None when the variable is missing"
    fix = "unsafe"
    explanation = """
## What it does
Reports `os.environ.get(K)` and `os.getenv(K)` without a default — or with an
explicit `None` default, which is the same — through any import alias. Reads
that fall back with `or` are CL201's, reported once there.

## Why is this bad?
A missing variable becomes `None`, which travels on until something fails far
from the cause (`'NoneType' object has no attribute 'split'`, a connection to
`None`), or is written to a database as `"None"`. `os.environ["K"]` raises
`KeyError: 'K'` on the line that needs the variable.

## Example
```python
import os

bucket = os.environ.get("S3_BUCKET")
```

## Use instead
```python
import os

bucket = os.environ["S3_BUCKET"]
```

If the variable is optional by design, test for it explicitly:
`if "S3_BUCKET" in os.environ:`.

## Fix
Unsafe (`--fix --unsafe-fixes`), in the import style in scope, as for CL201: a
missing variable then raises `KeyError` instead of giving `None`, a change of
behaviour for code that handles `None`.
"""
    VALID = [
        Valid('import os\n\nbucket = os.environ["S3_BUCKET"]\noptional = "S3_PREFIX" in os.environ\n'),
        Valid('import os\n\nbucket = os.environ.get("S3_BUCKET") or "raw"\n', note="an `or` fallback is CL201's"),
        Valid(
            'import os\n\ndef handler(event, os=None):\n    return os.getenv("S3_BUCKET")\n',
            note="a parameter called os",
        ),
    ]
    INVALID = [
        Invalid(
            'import os\n\nbucket = os.environ.get("S3_BUCKET")\n',
            line=3, column=10, end_column=37,
            message='Environment variable "S3_BUCKET" is read with os.environ.get(…), which returns None when it is '
            'missing; use os.environ["S3_BUCKET"]',
            fixed='import os\n\nbucket = os.environ["S3_BUCKET"]\n',
        ),
        Invalid(
            "from os import getenv, environ\n\nbucket = getenv('S3_BUCKET', None)\n",
            line=3, column=10, end_column=35, message="'S3_BUCKET' is read with getenv(…)",
            fixed="from os import getenv, environ\n\nbucket = environ['S3_BUCKET']\n",
            note="explicit None; `environ` already imported",
        ),
        Invalid(
            'import os\n\nif os.getenv("DEBUG"):\n    level = "debug"\nelse:\n    level = "info"\n'
            'mode = os.environ.get("MODE") if os.environ.get("STRICT") else "lenient"\n',
            line=3, column=4, end_column=22, count=3,
            note="a conditional is not a default: each read is reported",
        ),
        Invalid(
            "import os\n\ndef bucket():\n    from os import getenv\n    return getenv('S3_BUCKET')\n",
            line=5, column=12, end_column=31,
            fixed="import os\n\ndef bucket():\n    from os import getenv\n    return os.environ['S3_BUCKET']\n",
            note="getenv imported in the function, os at the top",
        ),
        Invalid(
            FLOW_HEAD + "    script: |\n      from os import getenv\n      from pipelines.load import run\n"
            "      run(getenv('CHANNEL_UUID'))\n",
            line=9, column=11, end_column=33,
            fixed=FLOW_HEAD + "    script: |\n      import os\n      from os import getenv\n"
            "      from pipelines.load import run\n      run(os.environ['CHANNEL_UUID'])\n",
            note="inline script: `import os` added at the script's first line",
        ),
    ]

    def check_python(self, code: PythonCode, context: RuleContext) -> Iterable[Diagnostic]:
        from contractlint.python.environ import env_facts

        for read in env_facts(code).reads:
            if read.kind not in ("get", "getenv") or read.has_default:
                continue
            suggestion, fix = _fix(code, read)
            use = suggestion if suggestion is not None else f"os.environ[{_key_text(code, read)}]"
            yield self.code_diagnostic(
                code,
                read.node,
                f"Environment variable {_key_text(code, read)} is read with {_callee(code, read)}(…), which returns "
                f"None when it is missing; use {use} so that a missing variable raises KeyError",
                fix=fix,
            )


# -- CL203 -----------------------------------------------------------------------------------


class EnvNotProvided(Rule):
    code = "CL203"
    problem_severity = "error"
    name = "env-not-provided"
    contract = "2, 4"  # the variable nobody provides (2) is the KeyError of contract 4
    summary = "Inline Python (or the project function it calls) reads os.environ[K] but the task is not given K"
    # "include": also the namespace files a task includes (`{{ read('etl.py') }}`).
    python_scope = ("inline", "include")
    kestra_targets = (
        "every Kestra version; the providers follow the target: plugin defaults on 1.x, Policies named by "
        "`policies` on 2.x Enterprise Edition, only the task's own env on 2.x open source."
    )
    explanation = """
## What it does
For every task with inline Python, lists the variables its process is given —
its own `env`; the `env` of every flow-level `pluginDefaults` (or older
`taskDefaults`) entry and every global default from the Kestra configuration
files named in `plugin-defaults` whose type equals the task's type or is a
prefix of it, forced or not; the configured `runtime-env`; and what Kestra and
any container give every script task (`WORKING_DIR`, `OUTPUT_DIR`, `PATH`,
`HOME`, `HOSTNAME`, `PWD`) — and reports every read that raises `KeyError` when
the variable is missing (`os.environ["K"]`, `os.environ.pop("K")`, any import
alias, a literal key or a module-level constant `KEY = "K"`) of a variable that
is not in that list.

It follows the script into the project: when the script imports a project module
(resolved through the `src` roots), the reads that run at import time; when it
calls a project function (`from pipelines.load import run; run()`,
`import pipelines.load as load; load.run()`, also through re-exports such as
`from .load import run` or `from .load import *` in a package's `__init__.py`),
the reads in that function and in the project functions it calls, a few levels
deep. Those are reported at the
import or the call, naming the module, line and function that read the variable.
Modules are read, never imported or run; an import that cannot be resolved is
not an error.

A task whose Python is a namespace file (`script: "{{ read('etl.py') }}"`, an
`inputFiles` entry `main.py: "{{ read('scripts/main.py') }}"`, optionally inside
`render(…)`, or `nsfile:///scripts/main.py`) is checked the same way when the file is
in the repository: it is looked up under the `namespace-files` folders, in order
(default `["_files", "."]`: `_files` is where Kestra's git tasks keep namespace
files; `{namespace}` in a folder stands for the flow's namespace). Its reads are
reported in that file, at the read, naming the flow and task that include it; a
`# noqa: CL203` there, or on the including task's `id:` line, applies. The file's
other rules run when it is linted as a module, so nothing is reported twice. An
include that is not found is skipped.

Not reported: reads with a default or `.get()` (CL201/CL202: they do not raise),
reads inside `try`/`except KeyError` or `contextlib.suppress(KeyError)`,
variables the code tests with `"K" in os.environ` or sets itself
(`os.environ["K"] = …`, `setdefault`, `update({...})`), and tasks whose
environment cannot be listed: an `env` written as a template, a template key,
or code that loads variables from elsewhere (`dotenv`, `os.environ.update(x)`).

## Why is this bad?
The script fails with `KeyError: 'DB_URL'` on a worker, after the flow was
deployed and dispatched, and the failure is found in the run's logs. The flow
already says which variables the task gets; checking the script against it
catches the mistake before the flow runs.

## Example
```yaml
pluginDefaults:
  - type: io.kestra.plugin.scripts.python
    values:
      env:
        DB_URL: "{{ secret('DB_URL') }}"
tasks:
  - id: load
    type: io.kestra.plugin.scripts.python.Script
    script: |
      import os
      from pipelines.load import run
      run(os.environ["CHANNEL_UUID"])  # CHANNEL_UUID is not provided
```

## Use instead
```yaml
tasks:
  - id: load
    type: io.kestra.plugin.scripts.python.Script
    env:
      CHANNEL_UUID: "{{ inputs.channel_uuid }}"
    script: |
      import os
      from pipelines.load import run
      run(os.environ["CHANNEL_UUID"])
```
Credentials and shared values (tokens, database hosts) belong in `pluginDefaults`
(contract 2); add task-specific values to the task's `env`, and variables the
runtime gives every task to `runtime-env` in the configuration.

On a Kestra 2.x target `pluginDefaults` are not applied (2.0 removes them). In the
Enterprise Edition what a task is given comes from the `Add` rules of the Policies
named by `policies` (minus what a `Delete` rule removes), as Kestra applies them; in
open source, only from the task's own `env` and `runtime-env`.
"""
    VALID = [
        Valid(
            FLOW_HEAD + "    env:\n      CHANNEL_UUID: \"{{ inputs.channel_uuid }}\"\n    script: |\n      import os\n"
            "      from pipelines.load import run\n"
            "      run(os.environ[\"CHANNEL_UUID\"], os.environ['EXECUTION_ID'])\n",
            note="the task's env, and EXECUTION_ID from the default runtime-env",
        ),
        Valid(
            "id: load_orders\nnamespace: company.sales\npluginDefaults:\n  - type: io.kestra.plugin.scripts\n"
            "    values:\n      env:\n        DB_URL: \"{{ secret('DB_URL') }}\"\n  - type: " + SCRIPT + "\n"
            "    forced: true\n    values:\n      env:\n        API_TOKEN: \"{{ secret('API_TOKEN') }}\"\n"
            "tasks:\n  - id: load\n    type: " + SCRIPT + "\n    script: |\n      import os\n"
            "      print(os.environ[\"DB_URL\"], os.environ[\"API_TOKEN\"])\n",
            note="flow-level pluginDefaults: a prefix type and an exact, forced one",
        ),
        Valid(
            FLOW_HEAD + "    script: |\n      import os\n      print(os.environ[\"DB_URL\"])\n",
            files={
                "kestra.yml": "kestra:\n  plugins:\n    defaults:\n      - type: io.kestra.plugin.scripts.python\n"
                "        values:\n          env:\n            DB_URL: \"{{ secret('DB_URL') }}\"\n"
            },
            config={"plugin-defaults": ["kestra.yml"]},
            note="a global default from the Kestra configuration",
        ),
        Valid(
            FLOW_HEAD + "    script: |\n      import os\n"
            "      print(os.environ[\"DB_URL\"], os.environ[\"EXECUTION_ID\"])\n",
            config={"runtime-env": ["DB_URL", "EXECUTION_ID"]},
            note="runtime-env",
        ),
        Valid(
            FLOW_HEAD + "    env: \"{{ inputs.env }}\"\n    script: |\n      import os\n"
            "      print(os.environ[\"DB_URL\"])\n",
            note="an env written as a template cannot be listed: nothing is reported",
        ),
        Valid(
            FLOW_HEAD + "    script: |\n      import os\n      if \"DEBUG\" in os.environ:\n"
            "          print(os.environ[\"DEBUG\"])\n"
            "      try:\n          dsn = os.environ[\"SENTRY_DSN\"]\n      except KeyError:\n          dsn = None\n",
            note="reads the script guards itself",
        ),
        Valid(
            FLOW_HEAD + "    env:\n      DB_URL: \"{{ secret('DB_URL') }}\"\n    script: |\n"
            "      from pipelines.load import run\n      run()\n",
            files={"src/pipelines/__init__.py": "", "src/pipelines/load.py": (
                "import os\n\n\ndef run():\n    return connect()\n\n\n"
                "def connect():\n    return os.environ[\"DB_URL\"]\n"
                "\n\ndef unused():\n    return os.environ[\"NOT_CALLED\"]\n")},
            config={"src": ["src"]},
            note="only the function called, and what it calls, is followed",
        ),
        Valid(
            FLOW_HEAD.replace(SCRIPT, "io.kestra.plugin.scripts.python.Commands")
            + "    env:\n      TABLE: orders\n    inputFiles:\n      main.py: \"{{ read('etl/main.py') }}\"\n"
            "      other.py: \"{{ read('etl/missing.py') }}\"\n    commands:\n      - python main.py\n",
            files={"scripts/company.sales/etl/main.py": "import os\n\nprint(os.environ[\"TABLE\"])\n"},
            config={"namespace-files": ["scripts/{namespace}"]},
            note="one folder per namespace; an include that is not in the repository is skipped",
        ),
        Valid(
            FLOW_HEAD + "    script: |\n      import os\n      print(os.environ[\"DB_URL\"])\n",
            files={"policies/warehouse.yaml": (
                "id: warehouse\nrules:\n  - type: io.kestra.plugin.ee.rules.Add\n    on: PLUGIN\n    where:\n"
                "      - field: type\n        operator: STARTS_WITH\n        value: io.kestra.plugin.scripts.python\n"
                "    values:\n      env:\n        DB_URL: \"{{ secret('DB_URL') }}\"\n")},
            config={"kestra-version": "2.0", "edition": "ee", "policies": ["policies/warehouse.yaml"]},
            note="Kestra 2.0 Enterprise: an ACTIVE policy's Add rule gives the task DB_URL",
        ),
    ]
    INVALID = [
        Invalid(
            FLOW_HEAD + "    env:\n      CHANNEL_UUID: \"{{ inputs.channel_uuid }}\"\n    script: |\n      import os\n"
            "      from pipelines.load import run\n      run(os.environ[\"CHANNEL_UUID\"], os.environ[\"DB_URL\"])\n",
            line=11, column=39, end_column=59,
            message="Task 'load' does not provide environment variable 'DB_URL': KeyError at run time; add it to "
            "the task's env or to pluginDefaults",
        ),
        Invalid(
            FLOW_HEAD + "    script: |\n      from pipelines.load import run\n\n      run()\n",
            files={"src/pipelines/__init__.py": "", "src/pipelines/load.py": (
                "import os\n\nDSN_KEY = \"DB_URL\"\n\n\ndef run():\n    return connect()\n\n\n"
                "def connect():\n    return os.environ[DSN_KEY]\n")},
            config={"src": ["src"]},
            line=9, column=7, end_column=10,
            message="does not provide environment variable 'DB_URL' read by src/pipelines/load.py:11 (run → connect)",
            note="a project function called by the script: reported at the call",
        ),
        Invalid(
            "id: load_orders\nnamespace: company.sales\npluginDefaults:\n  - type: io.kestra.plugin.scripts.shell\n"
            "    values:\n      env:\n        DB_URL: \"{{ secret('DB_URL') }}\"\n"
            "tasks:\n  - id: load\n    type: " + SCRIPT + "\n    script: |\n      import os\n"
            "      print(os.environ[\"DB_URL\"])\n",
            line=13, column=13, end_column=33,
            message="the pluginDefaults entry for type 'io.kestra.plugin.scripts.shell' (flow pluginDefaults, line 4) "
            "provides it but does not match",
            note="a default for another type does not apply",
        ),
        Invalid(
            FLOW_HEAD + "    script: |\n      import pipelines.settings as settings\n      print(settings.DB_URL)\n",
            files={"src/pipelines/settings.py": "import os\n\nDB_URL = os.environ[\"DB_URL\"]\n"},
            config={"src": ["src"]},
            line=7, column=14, end_column=32,
            message="read by src/pipelines/settings.py:3 (when pipelines.settings is imported)",
            note="a module that reads the variable when it is imported: reported at the import",
        ),
        Invalid(
            "id: load_orders\nnamespace: company.sales\ntasks:\n  - id: load\n"
            "    type: io.kestra.plugin.scripts.python.Commands\n    env:\n      TABLE: orders\n"
            "    inputFiles:\n      main.py: \"{{ read('scripts/main.py') }}\"\n    commands:\n      - python main.py\n",
            files={"_files/scripts/main.py": "import os\n\nprint(os.environ[\"TABLE\"], os.environ[\"DB_URL\"])\n"},
            line=3, column=28, end_column=48,
            message="Task 'load' of flow company.sales.load_orders (flows/example.yaml:4), which includes this file, "
            "does not provide environment variable 'DB_URL'",
            note="a namespace file the task includes with read() (found under `namespace-files`): reported in that file",
        ),
        Invalid(
            "id: load_orders\nnamespace: company.sales\npluginDefaults:\n  - type: io.kestra.plugin.scripts\n"
            "    values:\n      env:\n        DB_URL: \"{{ secret('DB_URL') }}\"\n"
            "tasks:\n  - id: load\n    type: " + SCRIPT + "\n    script: |\n      import os\n"
            "      print(os.environ[\"DB_URL\"])\n",
            config={"kestra-version": "2.0"},
            line=13, column=13, end_column=33,
            message="Task 'load' does not provide environment variable 'DB_URL': KeyError at run time; add it to "
            "the task's env",
            note="Kestra 2.0 open source: the flow's pluginDefaults are not applied, and nothing else injects env",
        ),
        Invalid(
            FLOW_HEAD + "    script: |\n      import os\n      print(os.environ[\"DB_URL\"])\n",
            files={"policies/warehouse.yaml": (
                "id: warehouse\nenforcement: REFERENCE\nrules:\n  - type: io.kestra.plugin.ee.rules.Add\n"
                "    on: PLUGIN\n    values:\n      env:\n        DB_URL: \"{{ secret('DB_URL') }}\"\n")},
            config={"kestra-version": "2.0", "edition": "ee", "policies": ["policies/warehouse.yaml"]},
            line=8, column=13, end_column=33,
            message="add it to the task's env or to a Policy `Add` rule; policy 'warehouse' "
            "(policies/warehouse.yaml:4) provides it: list 'warehouse' in the flow's or the task's `policyRefs`",
            note="Kestra 2.0 Enterprise: a REFERENCE policy the flow does not list in policyRefs",
        ),
    ]

    def check_python(self, code: PythonCode, context: RuleContext) -> Iterable[Diagnostic]:
        from contractlint.flow.defaults import env_is_open, provided_env
        from contractlint.python.environ import env_facts

        task, flow, project = code.task, code.flow, context.project
        if task is None or flow is None or env_is_open(task, flow, project):
            return
        provided = provided_env(task, flow, project)
        if any("{{" in key or "{%" in key for key in provided):
            return  # a templated key: the env cannot be listed
        facts = env_facts(code)
        followed = list(self._followed(code, project))
        if facts.opened or any(env.opened for _, env in followed):
            return
        known = provided | ALWAYS_PROVIDED | facts.assigned
        for _, env in followed:
            known |= env.assigned
        found: list[tuple[int, Diagnostic]] = []
        for read in facts.reads:
            unprovided = read.key is not None and read.key not in known | facts.membership_tested
            if read.raises and unprovided and not read.guarded:
                message = self._message(code, project, read.key, None)
                found.append((code.node_offsets(read.access)[0], self.code_diagnostic(code, read.access, message)))
        reported: set[str] = set()
        for node, env in followed:
            for use in env.uses:
                if use.key in known or use.key in reported:
                    continue
                reported.add(use.key)
                message = self._message(code, project, use.key, use.where)
                found.append((code.node_offsets(node)[0], self.code_diagnostic(code, node, message)))
        for _, diagnostic in sorted(found, key=lambda pair: pair[0]):
            yield diagnostic

    def _followed(self, code: PythonCode, project: Any) -> Iterator[tuple[Any, Any]]:
        """(node of the script to report at, what the project code behind it does), in
        document order: imports (import-time reads), then calls of project functions —
        only when some import of the script can reach a project module."""
        import ast

        from contractlint.python.environ import all_imported_modules, imported_modules, position_key, resolved_names

        for node, modules in imported_modules(code):
            yield node, project.import_env(tuple(modules))
        if not any(project.find_module(name) is not None for name in all_imported_modules(code)):
            return  # no call can reach the project
        for node in sorted(code.analysis.nodes(ast.Call), key=position_key):
            names = resolved_names(code, node.func)
            if len(names) == 1:
                followed = project.call_env(next(iter(names)))
                if followed is not None:
                    yield node.func, followed

    def _message(self, code: PythonCode, project: Any, key: str, where: str | None) -> str:
        from contractlint.flow.defaults import provider_kind, unmatched_provider_hint

        task, flow = code.task, code.flow
        who = f"Task '{task.id}'" if task.id is not None else f"The task at {task.location}"
        if code.file is not flow.source:
            # A namespace file the task includes: say which flow's task, and where.
            line = task.node.start_mark.line + 1
            who += f" of flow {flow.ref or flow.id or flow.namespace} ({flow.source.path}:{line}), which includes this file,"
        read = f" read by {where}" if where is not None else ""
        # Where shared values go depends on the Kestra target (pluginDefaults, a Policy, or nowhere).
        central = provider_kind(project)
        destination = f"the task's env or to {central}" if central is not None else "the task's env"
        hint = unmatched_provider_hint(task, flow, project, key)
        return (
            f"{who} does not provide environment variable '{key}'{read}: KeyError at run time; "
            f"add it to {destination}{hint}"
        )
