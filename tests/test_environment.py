"""CL201 environ-default, CL202 environ-get and CL203 env-not-provided: every import
form and spelling, shadowed names, positions in modules and inline scripts, and the
sources of a task's environment (task env, flow and global plugin defaults,
runtime-env, and the project functions a script calls)."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import write
from contractlint.config import CommandLine, settings_from_table, validate_table
from contractlint.runner import build_linter

CL2 = ("CL201", "CL202", "CL203")
SCRIPT = "io.kestra.plugin.scripts.python.Script"


def lint(root: Path, target: str, files: dict[str, str | bytes], config: dict | None = None,
         select: tuple[str, ...] = CL2) -> list:
    """Lint ``target`` (one of ``files``) in a project at ``root`` (the working directory)."""
    for name, content in files.items():
        write(root, name, content)
    table = config or {}
    validate_table(table, "test configuration")
    linter = build_linter(settings_from_table(table, root, None, CommandLine(select=select)))
    return linter.lint_bytes(target, (root / target).read_bytes()).diagnostics


def spans(diagnostics: list) -> list[tuple[str, int, int, int, int]]:
    return [(d.code, d.span.line, d.span.column, d.span.end_line, d.span.end_column) for d in diagnostics]


def at(source: str, text: str, code: str, occurrence: int = 0) -> tuple[str, int, int, int, int]:
    """The expected finding spanning ``text`` (its ``occurrence``-th appearance) in ``source``:
    found by plain string search, independent of the linter."""
    index = -1
    for _ in range(occurrence + 1):
        index = source.index(text, index + 1)
    assert "\n" not in text
    line = source.count("\n", 0, index) + 1
    column = index - (source.rfind("\n", 0, index) + 1) + 1
    return (code, line, column, line, column + len(text))


@pytest.fixture(autouse=True)
def in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return tmp_path


# -- CL201 / CL202 in modules: import forms, spellings, shadowing --------------------------

# (module source, the reported expressions as (code, text[, occurrence]))
MODULE_CASES = {
    "import os": ('import os\nv = os.environ.get("K", "d")\n', [("CL201", 'os.environ.get("K", "d")')]),
    "import os as x": ("import os as x\nv = x.environ.get('K')\n", [("CL202", "x.environ.get('K')")]),
    "import os.path": ('import os.path\nv = os.getenv("K", "")\n', [("CL201", 'os.getenv("K", "")')]),
    "from os import environ": ('from os import environ\nv = environ.get("K")\n', [("CL202", 'environ.get("K")')]),
    "from os import getenv as ge": ('from os import getenv as ge\nv = ge("K", "d")\n', [("CL201", 'ge("K", "d")')]),
    "from os import environ as ENV": (
        'from os import environ as ENV\nv = ENV.setdefault("K", "d")\n', [("CL201", 'ENV.setdefault("K", "d")')]
    ),
    "from os import *": ('from os import *\nv = getenv("K", "d")\nw = environ.get("L")\n',
                         [("CL201", 'getenv("K", "d")'), ("CL202", 'environ.get("L")')]),
    "import in a function": (
        'def f():\n    import os as o\n    return o.getenv("K")\n', [("CL202", 'o.getenv("K")')]
    ),
    "or fallback": ('import os\nv = os.environ.get("K") or "d"\n', [("CL201", 'os.environ.get("K") or "d"')]),
    "getenv or fallback": ('import os\nv = os.getenv("K") or 0\n', [("CL201", 'os.getenv("K") or 0')]),
    "get with default, then or": (
        'import os\nv = os.environ.get("K", "a") or "b"\n', [("CL201", 'os.environ.get("K", "a") or "b"')]
    ),
    "or chain": (
        'import os\nv = x or os.getenv("K") or "d"\n', [("CL201", 'os.getenv("K")')]
    ),
    "keyword arguments": (
        'import os\nv = os.getenv(key="K", default="d")\nw = os.environ.get(key="L")\n',
        [("CL201", 'os.getenv(key="K", default="d")'), ("CL202", 'os.environ.get(key="L")')],
    ),
    "explicit None default": (
        'import os\nv = os.environ.get("K", None)\nw = os.getenv("L", default=None)\n',
        [("CL202", 'os.environ.get("K", None)'), ("CL202", 'os.getenv("L", default=None)')],
    ),
    "conditional expression": (
        'import os\nv = os.environ.get("K") if flag else "d"\n', [("CL202", 'os.environ.get("K")')]
    ),
    "non-literal key": ('import os\nv = os.environ.get(name, "d")\n', [("CL201", 'os.environ.get(name, "d")')]),
    "local variable os": ('import os\ndef f():\n    os = make()\n    return os.getenv("K", "d")\n', []),
    "parameter environ": ("def f(environ):\n    return environ.get('K', 'd')\n", []),
    "attribute self.environ": ("class C:\n    def f(self):\n        return self.environ.get('K', 'd')\n", []),
    "class attribute environ": (
        "from os import environ\nclass C:\n    environ = {}\n    v = environ.get('K', 'd')\n", []
    ),
    "enclosing function's os": (
        "import os\ndef f():\n    os = fake()\n    def g():\n        return os.getenv('K', 'd')\n    return g\n", []
    ),
    "global rebound in a function": (
        "from os import environ\ndef reset():\n    global environ\n    environ = {}\ndef f():\n"
        "    return environ.get('K', 'd')\n", []
    ),
    "global used, not rebound": (
        "from os import environ\ndef f():\n    global environ\n    return environ.get('K', 'd')\n",
        [("CL201", "environ.get('K', 'd')")],
    ),
    "other mappings": ('import os\nv = {}.get("K", "d")\nw = config.get("K", "d")\nz = dict(os.environ).get("K", "d")\n'
                       'y = os.environ.copy().get("K", "d")\n', []),
    "values of a read": (
        'import os\nv = os.environ["A"].get("K", "d")\nw = os.getenv("A")("b")\nz = json.loads(os.environ["C"]).get("K")\n',
        [("CL202", 'os.getenv("A")')],
    ),
    "no os import at all": ('v = getenv("K", "d")\nw = environ.get("L")\n', []),
    "star arguments": ('import os\nv = os.environ.get(*pair)\nw = os.getenv(**kwargs)\n', []),
    "subscript and pop are not CL201/202": (
        'import os\nv = os.environ["K"]\nw = os.environ.pop("L", None)\n', []
    ),
    "setdefault without default": ('import os\nos.environ.setdefault("K")\n', []),
}


@pytest.mark.parametrize(("source", "expected"), MODULE_CASES.values(), ids=MODULE_CASES.keys())
def test_module_reads(in_tmp: Path, source: str, expected: list) -> None:
    found = lint(in_tmp, "settings.py", {"settings.py": source})
    assert spans(found) == sorted(at(source, item[1], item[0], *item[2:]) for item in expected)


def test_or_fallback_is_reported_once_by_one_rule(in_tmp: Path) -> None:
    source = 'import os\nregion = os.environ.get("AWS_REGION") or "eu-west-1"\n'
    found = lint(in_tmp, "settings.py", {"settings.py": source}, select=("CL2", "CL3"))
    assert spans(found) == [at(source, 'os.environ.get("AWS_REGION") or "eu-west-1"', "CL201")]


def test_messages_name_the_variable_and_the_replacement(in_tmp: Path) -> None:
    source = (
        "import os as _os\nfrom os import environ as ENV\n\nKEY = 'DB_URL'\n"
        "a = _os.getenv('API_TOKEN', '')\nb = ENV.get(KEY)\nc = ENV.get('REGION') or 'eu'\n"
    )
    found = lint(in_tmp, "settings.py", {"settings.py": source})
    assert [d.message for d in found] == [
        "Environment variable 'API_TOKEN' is read with a default (_os.getenv(…, default)); use "
        "_os.environ['API_TOKEN'] so that a missing variable raises KeyError",
        "Environment variable KEY ('DB_URL') is read with ENV.get(…), which returns None when it is missing; "
        "use ENV[KEY] so that a missing variable raises KeyError",
        "Environment variable 'REGION' is read with an `or` fallback (ENV.get(…) or …); use ENV['REGION'] so "
        "that a missing variable raises KeyError",
    ]
    assert [d.fix.applicability for d in found] == ["unsafe"] * 3
    assert all(d.flow is None and d.task is None for d in found)


def test_multibyte_and_crlf_module_positions(in_tmp: Path) -> None:
    source = '# café\r\nimport os\r\nnom = "é" + os.getenv("NOM_€")\r\n'
    found = lint(in_tmp, "settings.py", {"settings.py": source})
    assert spans(found) == [("CL202", 3, 13, 3, 31)]


# -- inline scripts -----------------------------------------------------------------------

INLINE_FLOW = f"""id: etl
namespace: company.team
tasks:
  - id: parallel
    type: io.kestra.plugin.core.flow.Parallel
    tasks:
      - id: load
        type: {SCRIPT}
        env:
          CHANNEL_UUID: x
        script: |
          import os as _os
          from os import getenv as ge
          a = _os.environ.get("A", "x")  # é
          b = ge("B")
          c = _os.environ["CHANNEL_UUID"]
      - id: run
        type: io.kestra.plugin.scripts.python.Commands
        inputFiles:
          main.py: |
            import os
            print(os.environ["REPORT_DAY"] or "x", os.getenv("LOCALE") or "en")
        commands:
          - python main.py
"""


def test_inline_positions_cli(cli, in_tmp: Path) -> None:
    write(in_tmp, "flows/etl.yaml", INLINE_FLOW)
    write(in_tmp, "flows/etl_crlf.yaml", "\ufeff" + INLINE_FLOW.replace("\n", "\r\n"))
    result = cli("check", "flows", "--select", "CL2", "--no-color", cwd=in_tmp)
    expected = [
        "14:15: CL201 Environment variable \"A\" is read with a default (_os.environ.get(…, default)); use "
        "_os.environ[\"A\"] so that a missing variable raises KeyError",
        "15:15: CL202 Environment variable \"B\" is read with ge(…), which returns None when it is missing; use "
        "_os.environ[\"B\"] so that a missing variable raises KeyError",
        "22:19: CL203 Task 'run' does not provide environment variable 'REPORT_DAY': KeyError at run time; add "
        "it to the task's env or to pluginDefaults",
        "22:52: CL201 Environment variable \"LOCALE\" is read with an `or` fallback (os.getenv(…) or …); use "
        "os.environ[\"LOCALE\"] so that a missing variable raises KeyError",
    ]
    assert result.lines == [
        *(f"flows/etl.yaml:{line}" for line in expected),
        *(f"flows/etl_crlf.yaml:{line}" for line in expected),
        "Found 8 diagnostics in 2 files (6 hidden fixes can be enabled with --unsafe-fixes).",
    ]
    assert result.code == 1


def test_inline_json_spans_and_task(cli, in_tmp: Path) -> None:
    import json

    write(in_tmp, "flows/etl.yaml", INLINE_FLOW)
    result = cli("check", "flows", "--select", "CL202", "--format", "json", cwd=in_tmp)
    [diagnostic] = json.loads(result.stdout)["diagnostics"]
    assert (diagnostic["line"], diagnostic["column"], diagnostic["end_line"], diagnostic["end_column"]) == (
        15, 15, 15, 22)
    assert (diagnostic["flow"], diagnostic["task"]) == ("company.team.etl", "load")
    assert diagnostic["fix"]["applicability"] == "unsafe"
    assert diagnostic["fix"]["edits"] == [
        {"line": 15, "column": 15, "end_line": 15, "end_column": 22, "content": '_os.environ["B"]'}
    ]


def test_folded_script_points_at_the_key(in_tmp: Path) -> None:
    flow = (
        f"id: etl\nnamespace: company.team\ntasks:\n  - id: load\n    type: {SCRIPT}\n"
        '    script: "import os\\nprint(os.getenv(\'B\'))\\n"\n'
    )
    [found] = lint(in_tmp, "flows/etl.yaml", {"flows/etl.yaml": flow})
    assert spans([found]) == [("CL202", 6, 5, 6, 11)]
    assert found.message.endswith("(script line 2)")
    assert found.fix is None  # a quoted scalar cannot be edited in place


def test_pebble_in_the_key_is_reported_but_not_fixed(in_tmp: Path) -> None:
    flow = (
        f"id: etl\nnamespace: company.team\ntasks:\n  - id: load\n    type: {SCRIPT}\n    script: |\n"
        "      import os\n      v = os.getenv('{{ inputs.name }}')\n"
    )
    [found] = lint(in_tmp, "flows/etl.yaml", {"flows/etl.yaml": flow})
    assert found.message.startswith("Environment variable '{{ inputs.name }}' is read with os.getenv(…)")
    assert "use os.environ['{{ inputs.name }}']" in found.message
    assert found.fix is None


# -- CL203: where a task's environment comes from ------------------------------------------


def flow_with(script: str, *, env: str = "", head: str = "", tail: str = "", task_type: str = SCRIPT) -> str:
    indented = "".join(f"      {line}\n" if line else "\n" for line in script.splitlines())
    return (
        f"id: load_orders\nnamespace: company.sales\n{head}tasks:\n  - id: load\n    type: {task_type}\n"
        f"{env}    script: |\n{indented}{tail}"
    )


def cl203(root: Path, flow: str, files: dict | None = None, config: dict | None = None) -> list:
    return lint(root, "flows/f.yaml", {"flows/f.yaml": flow, **(files or {})}, config, select=("CL203",))


def keys(diagnostics: list) -> list[str]:
    return [d.message.split("environment variable '")[1].split("'")[0] for d in diagnostics]


READS = 'import os\nprint(os.environ["DB_URL"], os.environ["API_TOKEN"], os.environ["EXECUTION_ID"])'


def test_nothing_provided(in_tmp: Path) -> None:
    found = cl203(in_tmp, flow_with(READS))
    assert keys(found) == ["DB_URL", "API_TOKEN"]  # EXECUTION_ID: the default runtime-env
    assert spans(found) == [("CL203", 8, 13, 8, 33), ("CL203", 8, 35, 8, 58)]
    assert found[0].message == (
        "Task 'load' does not provide environment variable 'DB_URL': KeyError at run time; add it to the "
        "task's env or to pluginDefaults"
    )
    assert (found[0].flow, found[0].task, found[0].fix) == ("company.sales.load_orders", "load", None)


def test_task_env(in_tmp: Path) -> None:
    env = "    env:\n      DB_URL: x\n      API_TOKEN: \"{{ secret('T') }}\"\n"
    assert cl203(in_tmp, flow_with(READS, env=env)) == []


@pytest.mark.parametrize(
    ("default_type", "forced", "provided"),
    [
        (SCRIPT, False, True),  # exact type
        ("io.kestra.plugin.scripts.python", False, True),  # prefix
        ("io.kestra.plugin.scripts", True, True),  # shorter prefix, forced
        ("io.kestra.plugin.scripts.py", False, True),  # a plain string prefix, as Kestra matches
        ("io.kestra.plugin.scripts.shell", False, False),  # another plugin
        (SCRIPT + "Extra", False, False),  # longer than the task's type
    ],
)
def test_flow_plugin_defaults(in_tmp: Path, default_type: str, forced: bool, provided: bool) -> None:
    head = (
        f"pluginDefaults:\n  - type: {default_type}\n    forced: {str(forced).lower()}\n    values:\n"
        "      env:\n        DB_URL: x\n        API_TOKEN: y\n"
    )
    found = cl203(in_tmp, flow_with(READS, head=head))
    assert keys(found) == ([] if provided else ["DB_URL", "API_TOKEN"])
    if not provided:
        assert found[0].message.endswith(
            f"; the pluginDefaults entry for type '{default_type}' (flow pluginDefaults, line 4) provides it but "
            f"does not match type '{SCRIPT}'"
        )


def test_legacy_task_defaults_and_defaults_after_tasks(in_tmp: Path) -> None:
    head = "taskDefaults:\n  - type: io.kestra.plugin.scripts\n    values:\n      env:\n        DB_URL: x\n"
    tail = "pluginDefaults:\n  - type: io.kestra.plugin.scripts\n    values:\n      env:\n        API_TOKEN: y\n"
    assert keys(cl203(in_tmp, flow_with(READS, head=head))) == ["API_TOKEN"]
    assert keys(cl203(in_tmp, flow_with(READS, tail=tail))) == ["DB_URL"]


@pytest.mark.parametrize(
    "config_text",
    [
        "kestra:\n  plugins:\n    defaults:\n      - type: io.kestra.plugin.scripts.python\n        values:\n"
        "          env:\n            DB_URL: x\n            API_TOKEN: y\n",
        "kestra:\n  tasks:\n    defaults:\n      - type: io.kestra.plugin.scripts\n        forced: true\n"
        "        values:\n          env:\n            DB_URL: x\n            API_TOKEN: y\n",
        "kestra.plugins.defaults:\n  - type: " + SCRIPT + "\n    values:\n      env:\n        DB_URL: x\n"
        "        API_TOKEN: y\n",
    ],
    ids=["plugins.defaults", "tasks.defaults", "dotted key"],
)
def test_global_defaults_from_server_configuration(in_tmp: Path, config_text: str) -> None:
    files = {"kestra.yml": config_text}
    assert cl203(in_tmp, flow_with(READS), files, {"plugin-defaults": ["kestra.yml"]}) == []
    assert keys(cl203(in_tmp, flow_with(READS))) == ["DB_URL", "API_TOKEN"]  # without the config key


def test_global_default_for_another_type_is_named(in_tmp: Path) -> None:
    files = {"conf/kestra.yml": "kestra:\n  plugins:\n    defaults:\n      - type: io.kestra.plugin.dbt\n"
             "        values:\n          env:\n            DB_URL: x\n"}
    found = cl203(in_tmp, flow_with(READS), files, {"plugin-defaults": ["conf/kestra.yml"]})
    assert found[0].message.endswith(
        f"; the pluginDefaults entry for type 'io.kestra.plugin.dbt' (conf/kestra.yml:4) provides it but does "
        f"not match type '{SCRIPT}'"
    )


def test_runtime_env(in_tmp: Path) -> None:
    assert keys(cl203(in_tmp, flow_with(READS), config={"runtime-env": ["DB_URL", "API_TOKEN"]})) == [
        "EXECUTION_ID"  # the configured list replaces the default
    ]
    assert cl203(in_tmp, flow_with(READS), config={"runtime-env": ["DB_URL", "API_TOKEN", "EXECUTION_ID"]}) == []


def test_variables_every_script_task_has(in_tmp: Path) -> None:
    script = 'import os\nprint(os.environ["WORKING_DIR"], os.environ["OUTPUT_DIR"], os.environ["PATH"], os.environ["HOME"])'
    assert cl203(in_tmp, flow_with(script)) == []


@pytest.mark.parametrize(
    "env",
    [
        "    env: \"{{ inputs.env | json }}\"\n",
        "    env:\n      \"{{ inputs.name }}\": x\n",
    ],
    ids=["templated env", "templated key"],
)
def test_env_that_cannot_be_listed_is_not_judged(in_tmp: Path, env: str) -> None:
    assert cl203(in_tmp, flow_with(READS, env=env)) == []


def test_templated_env_of_a_default_is_not_judged(in_tmp: Path) -> None:
    head = "pluginDefaults:\n  - type: io.kestra.plugin.scripts\n    values:\n      env: \"{{ vars.env }}\"\n"
    assert cl203(in_tmp, flow_with(READS, head=head)) == []


@pytest.mark.parametrize(
    "script",
    [
        'import os\nif "DB_URL" in os.environ:\n    print(os.environ["DB_URL"])',
        'import os\nif "DB_URL" not in os.environ:\n    raise SystemExit("set DB_URL")\nprint(os.environ["DB_URL"])',
        'import os\ntry:\n    url = os.environ["DB_URL"]\nexcept KeyError:\n    raise SystemExit(1)',
        'import os\ntry:\n    url = os.environ["DB_URL"]\nexcept (ValueError, LookupError):\n    raise',
        'import os\nfrom contextlib import suppress\nwith suppress(KeyError):\n    url = os.environ["DB_URL"]',
        'import os\nos.environ["DB_URL"] = "sqlite://"\nprint(os.environ["DB_URL"])',
        'import os\nos.environ.setdefault("DB_URL", "sqlite://")\nprint(os.environ["DB_URL"])',
        'import os\nos.environ.update({"DB_URL": "x"})\nprint(os.environ["DB_URL"])',
        'import os\nfrom dotenv import load_dotenv\nload_dotenv()\nprint(os.environ["DB_URL"])',
        'import os\nos.environ.update(json.load(open("env.json")))\nprint(os.environ["DB_URL"])',
        'import os\nprint(os.environ.get("DB_URL", "x"), os.getenv("DB_URL"))',
        'import os\nprint(os.environ[name], os.environ[f"{PREFIX}_URL"])',
        'import os\ndel os.environ["DB_URL"]',
        'import os\nos.environ |= load_settings()\nprint(os.environ["DB_URL"])',
        'import os\nos.environ = dict(load_settings())\nprint(os.environ["DB_URL"])',
        'import os\nprint(os.environ["DB_URL"] if "DB_URL" in os.environ else None)',
    ],
    ids=["guarded if", "early exit", "except KeyError", "except LookupError", "suppress", "assigned",
         "setdefault", "update literal", "dotenv", "update unknown", "get forms", "non-literal keys", "del",
         "merged mapping", "replaced mapping", "conditional"],
)
def test_reads_that_do_not_raise_or_are_handled(in_tmp: Path, script: str) -> None:
    assert cl203(in_tmp, flow_with(script)) == []


@pytest.mark.parametrize(
    ("script", "expected"),
    [
        ('import os\ntry:\n    url = os.environ["DB_URL"]\nexcept ValueError:\n    raise', ["DB_URL"]),
        ('import os\nos.environ["PATH_EXTRA"] += ":/opt"', ["PATH_EXTRA"]),
        ('import os\nos.environ.pop("DB_URL")', ["DB_URL"]),
        ('from os import environ as env\nKEY = "DB_URL"\nprint(env[KEY])', ["DB_URL"]),
        ('import os\nos.environ.update({"A": "x"})\nprint(os.environ["A"], os.environ["B"])', ["B"]),
        ('import os\nKEY = "DB_URL"\nKEY = "OTHER"\nprint(os.environ[KEY])', []),  # rebound: not a constant
        ('import os\nprint(os.environ["CFG"]["nested"])', ["CFG"]),
        ('import os\ndef main():\n    os = fake()\n    return os.environ["SHADOWED"]', []),
        ('import os\nv = "X" in os.environ["Y"]', ["Y"]),
    ],
    ids=["other exception", "augmented", "pop", "constant key", "update then other", "rebound constant",
         "nested subscript", "shadowed os", "membership in an item"],
)
def test_reads_that_raise(in_tmp: Path, script: str, expected: list[str]) -> None:
    assert keys(cl203(in_tmp, flow_with(script))) == expected


def test_commands_task_input_file(in_tmp: Path) -> None:
    flow = (
        "id: f\nnamespace: n\ntasks:\n  - id: run\n    type: io.kestra.plugin.scripts.python.Commands\n"
        "    env:\n      DB_URL: x\n    inputFiles:\n      main.py: |\n        import os\n"
        "        print(os.environ['DB_URL'], os.environ['MISSING'])\n      data.csv: a,b\n"
        "    commands:\n      - python main.py\n"
    )
    found = cl203(in_tmp, flow)
    assert spans(found) == [("CL203", 11, 37, 11, 58)]
    assert found[0].message.startswith("Task 'run' does not provide environment variable 'MISSING'")


def test_nested_tasks_and_crlf(in_tmp: Path) -> None:
    flow = (
        "id: f\nnamespace: n\ntasks:\n  - id: branch\n    type: io.kestra.plugin.core.flow.If\n"
        "    condition: \"{{ inputs.go }}\"\n    then:\n      - id: inner\n        type: " + SCRIPT + "\n"
        "        script: |\n          import os\n          print('é', os.environ['DB_URL'])\n"
        "    else:\n      - id: other\n        type: " + SCRIPT + "\n        env:\n          DB_URL: x\n"
        "        script: |\n          import os\n          print(os.environ['DB_URL'])\n"
    )
    found = cl203(in_tmp, flow.replace("\n", "\r\n"))
    assert spans(found) == [("CL203", 12, 22, 12, 42)]
    assert found[0].task == "inner"


# -- CL203: following the script into the project -------------------------------------------

LOAD_MODULE = '''"""Loads orders."""
import os

from pipelines import db

TABLE = "ORDERS_TABLE"


def run():
    rows = extract()
    return db.connect(), rows


def extract():
    return os.environ[TABLE]


def unused():
    return os.environ["NEVER_READ"]


if __name__ == "__main__":
    print(os.environ["ONLY_WHEN_RUN_AS_SCRIPT"])
'''
DB_MODULE = 'import os\n\n\ndef connect():\n    return os.environ["DB_URL"]\n'
PROJECT = {"src/pipelines/__init__.py": "", "src/pipelines/load.py": LOAD_MODULE, "src/pipelines/db.py": DB_MODULE}
SRC = {"src": ["src"]}


@pytest.mark.parametrize(
    ("script", "call"),
    [
        ("from pipelines.load import run\nrun()", "run"),
        ("from pipelines.load import run as go\ngo()", "go"),
        ("import pipelines.load as ld\nld.run()", "ld.run"),
        ("import pipelines.load\npipelines.load.run()", "pipelines.load.run"),
        ("from pipelines import load\nload.run()", "load.run"),
    ],
    ids=["from import", "from import as", "import as", "import", "from package import module"],
)
def test_called_function_reads(in_tmp: Path, script: str, call: str) -> None:
    flow = flow_with(script)
    found = cl203(in_tmp, flow, PROJECT, SRC)
    line = 6 + len(script.splitlines())
    assert spans(found) == [("CL203", line, 7, line, 7 + len(call))] * 2
    assert [d.message for d in found] == [  # one position: sorted by message
        "Task 'load' does not provide environment variable 'DB_URL' read by src/pipelines/db.py:5 "
        "(run → connect): KeyError at run time; add it to the task's env or to pluginDefaults",
        "Task 'load' does not provide environment variable 'ORDERS_TABLE' read by src/pipelines/load.py:15 "
        "(run → extract): KeyError at run time; add it to the task's env or to pluginDefaults",
    ]


def test_called_function_reads_are_provided(in_tmp: Path) -> None:
    env = "    env:\n      ORDERS_TABLE: orders\n"
    head = "pluginDefaults:\n  - type: io.kestra.plugin.scripts\n    values:\n      env:\n        DB_URL: x\n"
    assert cl203(in_tmp, flow_with("from pipelines.load import run\nrun()", env=env, head=head), PROJECT, SRC) == []


def test_only_the_called_function_is_followed(in_tmp: Path) -> None:
    found = cl203(in_tmp, flow_with("from pipelines.load import unused, run\nunused()"), PROJECT, SRC)
    assert keys(found) == ["NEVER_READ"]
    assert "src/pipelines/load.py:19 (unused)" in found[0].message


def test_reexport_through_package(in_tmp: Path) -> None:
    files = {**PROJECT, "src/pipelines/__init__.py": "from .load import run as load_orders\n"}
    found = cl203(in_tmp, flow_with("from pipelines import load_orders\nload_orders()"), files, SRC)
    assert keys(found) == ["DB_URL", "ORDERS_TABLE"]


def test_import_time_reads(in_tmp: Path) -> None:
    files = {"src/pipelines/__init__.py": "", "src/pipelines/settings.py": 'import os\n\nDB_URL = os.environ["DB_URL"]\n',
             "src/pipelines/jobs.py": "from pipelines.settings import DB_URL\n\n\ndef go():\n    return DB_URL\n"}
    found = cl203(in_tmp, flow_with("from pipelines.jobs import go\ngo()"), files, SRC)
    assert spans(found) == [("CL203", 7, 12, 7, 26)]
    assert "read by src/pipelines/settings.py:3 (when pipelines.settings is imported)" in found[0].message


def test_dotenv_in_the_called_function(in_tmp: Path) -> None:
    files = {"src/pipelines/cfg.py": "import os\nimport dotenv\n\n\ndef load():\n    dotenv.load_dotenv()\n"
             "    return os.environ['DB_URL']\n\n\ndef plain():\n    return os.environ['DB_URL']\n"}
    assert cl203(in_tmp, flow_with("from pipelines.cfg import load\nload()"), files, SRC) == []
    assert keys(cl203(in_tmp, flow_with("from pipelines.cfg import plain\nplain()"), files, SRC)) == ["DB_URL"]


def test_unresolvable_imports_are_not_errors(in_tmp: Path) -> None:
    script = "from pipelines.missing import run\nimport requests\nfrom . import sibling\nrun()\nrequests.get('x')"
    broken = {"src/pipelines/broken.py": "def run(:\n"}
    assert cl203(in_tmp, flow_with(script), broken, SRC) == []
    assert cl203(in_tmp, flow_with("from pipelines.broken import run\nrun()"), broken, SRC) == []


def test_default_src_root_is_the_project_root(in_tmp: Path) -> None:
    files = {"pipelines/db.py": DB_MODULE}
    assert keys(cl203(in_tmp, flow_with("from pipelines.db import connect\nconnect()"), files)) == ["DB_URL"]


def test_recursion_between_functions_ends(in_tmp: Path) -> None:
    files = {"src/pipelines/loop.py": "import os\n\n\ndef a():\n    return b()\n\n\ndef b():\n"
             "    os.environ['LOOP']\n    return a()\n"}
    assert keys(cl203(in_tmp, flow_with("from pipelines.loop import a\na()"), files, SRC)) == ["LOOP"]


def test_modules_are_never_imported_or_run(in_tmp: Path) -> None:
    marker = in_tmp / "ran"
    files = {"src/pipelines/evil.py": f"open({str(marker)!r}, 'w').write('x')\nimport os\n\n\ndef run():\n"
             "    return os.environ['X']\n"}
    assert keys(cl203(in_tmp, flow_with("from pipelines.evil import run\nrun()"), files, SRC)) == ["X"]
    assert not marker.exists()


def test_module_read_and_inline_read_of_the_same_variable(in_tmp: Path) -> None:
    script = 'import os\nfrom pipelines.db import connect\nconnect()\nprint(os.environ["DB_URL"])'
    found = cl203(in_tmp, flow_with(script), PROJECT, SRC)
    assert spans(found) == [("CL203", 9, 7, 9, 14), ("CL203", 10, 13, 10, 33)]
    assert "read by src/pipelines/db.py:5 (connect)" in found[0].message
    assert "read by" not in found[1].message


def test_task_runner_is_not_the_task(in_tmp: Path) -> None:
    # A default for the runner's type applies to the runner, whose properties have no env.
    runner = "    taskRunner:\n      type: io.kestra.plugin.scripts.runner.docker.Docker\n      pullPolicy: IF_NOT_PRESENT\n"
    head = ("pluginDefaults:\n  - type: io.kestra.plugin.scripts.runner.docker\n    values:\n      env:\n"
            "        DB_URL: x\n")
    found = cl203(in_tmp, flow_with('import os\nprint(os.environ["DB_URL"])', env=runner, head=head))
    assert keys(found) == ["DB_URL"]
    assert spans(found) == [("CL203", 16, 13, 16, 33)]


def test_calls_are_followed_only_when_an_import_reaches_the_project(in_tmp: Path, monkeypatch) -> None:
    from contractlint.project import Project

    followed: list[str] = []
    original = Project.call_env

    def recording(self, qualified: str):
        followed.append(qualified)
        return original(self, qualified)

    monkeypatch.setattr(Project, "call_env", recording)
    script = 'import os\nimport requests\nrequests.get(os.environ["URL"])\nprint(len("x"))'
    found = cl203(in_tmp, flow_with(script), PROJECT, SRC)
    assert keys(found) == ["URL"]  # the script's own reads are still checked
    assert followed == []  # nothing it imports is in the project: no call is resolved
    cl203(in_tmp, flow_with("import requests\ndef later():\n    from pipelines.db import connect\n    connect()"),
          PROJECT, SRC)
    assert followed == ["pipelines.db.connect"]  # an import anywhere in the script counts
