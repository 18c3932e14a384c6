"""CL103's fix (Pebble into env) and grade beyond the rule's own examples: every fixed
example re-lints without the CL103 it fixed, the fixed script does what the rendered
one did (run here on code the test wrote), each refusal says why, the YAML edits keep
every other byte, and SARIF places a graded finding by its grade."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import write
from contractlint.flow import yaml_nodes as yn
from contractlint.rules.inline_scripts import TemplateInScript
from contractlint.rules.pebble_env import grade_expression, references
from contractlint.source import SourceFile
from contractlint.testing import run_example

SCRIPT = "io.kestra.plugin.scripts.python.Script"


def flow(script: str, inputs: str = "", task: str = "") -> str:
    body = "".join(f"      {line}\n" for line in script.split("\n"))
    return f"id: etl\nnamespace: company.team\n{inputs}tasks:\n  - id: load\n    type: {SCRIPT}\n{task}    script: |\n{body}"


# -- every fixed example re-lints clean of what it fixed ----------------------------------------------

FIXED = [
    (index, example) for index, example in enumerate(TemplateInScript.INVALID)
    if example.fixed is not None and example.fixed != example.code
]


@pytest.mark.parametrize(("index", "example"), FIXED, ids=[f"invalid-{index}" for index, _ in FIXED])
def test_fixed_examples_parse_and_lose_the_fixed_findings(index: int, example, tmp_path: Path) -> None:
    from contractlint.rules.base import Invalid

    before = run_example(TemplateInScript, example, tmp_path / "before")
    after = run_example(TemplateInScript, Invalid(example.fixed, config=example.config), tmp_path / "after")
    assert after.fixed == example.fixed  # nothing left to fix
    unfixed = [d.message for d in before.diagnostics if d.fix is None]
    assert [d.message for d in after.diagnostics] == unfixed
    for diagnostic in before.diagnostics:
        assert diagnostic.fix is None or diagnostic.fix.applicability == "unsafe"


def test_fix_results_parse(cli, tmp_path: Path) -> None:
    path = write(tmp_path, "flows/etl.yaml", TemplateInScript.INVALID[0].code)
    result = cli("check", "--select", "CL103,CL003", "--fix", "--unsafe-fixes", cwd=tmp_path)
    assert (result.code, result.stdout) == (0, "Fixed 1 diagnostic.\nAll checks passed!\n")
    assert "import os\n      from pipelines.load import load\n      load(table=os.environ[\"TABLE\"])\n" in path.read_text()


# -- the fixed script does what the rendered one did ------------------------------------------------

BEHAVIOUR = '''import os as system
print("{{ inputs.table }}")
print(f"s3://{{ inputs.bucket }}/{len('ab')}x")
print("a {} b {{ inputs.table }}".format(1), r"C:\\{{ inputs.table }}\\n", b"<{{ inputs.table }}>")
print(\'\'\'multi
{{ inputs.table }} line\'\'\', u"{{ inputs.bucket }}-{{ inputs.table }}", ("x" "{{ inputs.table }}"))
print(int("{{ inputs.limit }}") + {{ inputs.limit }} * 2, -{{ inputs.limit }}, [{{ inputs.ratio }}])
print(f"{'é'} {{ execution.id }} ✓")'''


def rendered(script: str, values: dict[str, str]) -> str:
    return re.sub(r"\{\{\s*(.*?)\s*\}\}", lambda match: values[match.group(1)], script)


def run(folder: Path, script: str, env: dict[str, str]) -> str:
    write(folder, "main.py", script)
    environment = {"PATH": os.environ["PATH"], "PYTHONIOENCODING": "utf-8", **env}
    process = subprocess.run([sys.executable, "main.py"], cwd=folder, capture_output=True, env=environment, check=False)
    assert process.returncode == 0, process.stderr.decode()
    return process.stdout.decode("utf-8")


def test_fixed_script_behaves_as_the_rendered_one(cli, tmp_path: Path) -> None:
    inputs = (
        "inputs:\n  - id: table\n    type: STRING\n  - id: bucket\n    type: STRING\n  - id: limit\n    type: INT\n"
        "  - id: ratio\n    type: FLOAT\n"
    )
    path = write(tmp_path, "flows/etl.yaml", flow(BEHAVIOUR, inputs))
    result = cli("check", "--select", "CL103", "--fix", "--unsafe-fixes", cwd=tmp_path)
    assert result.code == 0, result.stdout + result.stderr
    source = SourceFile.from_bytes("etl.yaml", path.read_bytes())
    task = yn.elements(yn.get_value(yn.compose_documents(source)[0], "tasks"))[0]
    fixed = yn.get_value(task, "script").value
    assert "{{" not in fixed
    env = {yn.scalar_text(k): yn.scalar_text(v) for k, v in yn.items(yn.get_value(task, "env"))}
    values = {"inputs.table": "orders_2024", "inputs.bucket": "lake", "inputs.limit": "-7", "inputs.ratio": "1.0E3",
              "execution.id": "7fGh"}
    task_env = {name: rendered(value, values) for name, value in env.items()}
    assert run(tmp_path / "after", fixed, task_env) == run(tmp_path / "before", rendered(BEHAVIOUR, values), {})
    # What the fix is for: a value that breaks the rendered script is data to the fixed one.
    hostile = dict(task_env, TABLE='x"); import this; ("')
    assert 'x"); import this; ("' in run(tmp_path / "hostile", fixed, hostile)


# -- refusals ---------------------------------------------------------------------------------------------

REFUSED = [
    ('"""Loads {{ inputs.table }}."""\nprint(1)', "it is in a docstring or a string statement"),
    ('match x:\n    case "{{ inputs.table }}":\n        pass', "it is in a `case` pattern"),
    ("print(f\"{'{{ inputs.table }}'.upper()}\")", "it is inside an f-string replacement field"),
    ('print("{{- inputs.table }}")', "whitespace control"),
    ("""print('{{ inputs.table | replace("'", "\\\\'") }}')""", "its filter escapes the value for Python source"),
    ('{% set t = inputs.table %}\nprint("{{ t }}")', "it is inside `{% set t %}`"),
    ('print("{{ inputs.table }} {{ secret(\'TOKEN\') }}")', "the same string holds `{{ secret('TOKEN') }}`"),
    ('print("{{ \'x\' }}")', "no env name can be made from it"),
    ('print("C:\\\\\\{{ inputs.table }}")', "a backslash before it escapes its first character"),
    ('print(b"a" b"{{ inputs.table }}")', "it is in a bytes literal that is part of an implicit concatenation"),
    ('os = 1\nprint(os, "{{ inputs.table }}")', "the name `os` means something else"),
    ('print({{ inputs.table }} ** 2)', "it stands in code, not in a string"),
]


@pytest.mark.parametrize(("script", "reason"), REFUSED, ids=[reason.split()[-1] for _, reason in REFUSED])
def test_refusals_say_why(inprocess_cli, tmp_path: Path, script: str, reason: str) -> None:
    write(tmp_path, "flows/etl.yaml", flow(script, "inputs:\n  - id: table\n    type: INT\n"))
    result = inprocess_cli("check", "--select", "CL103", "--output-format", "json", cwd=tmp_path)
    messages = [d["message"] for d in json.loads(result.stdout)["diagnostics"] if "inputs.table" in d["message"]
                or "'x'" in d["message"] or "{{ t }}" in d["message"]]
    assert messages and any(f"no automatic fix: {reason}" in m for m in messages), messages
    assert all(d["fix"] is None for d in json.loads(result.stdout)["diagnostics"])


@pytest.mark.parametrize(
    ("task", "reason"),
    [
        ("    env: &shared\n      A: x\n", None),
        ("    <<: *base\n", "the task merges keys from an anchor (`<<`)"),
        ("    env: {A: x,\n      B: y}\n", "the task's `env` is a flow mapping written over several lines"),
        ("    env: ~\n", "the task's `env` is null"),
        ("    env:\n      \"{{ inputs.k }}\": x\n", "the task's `env` has templated or merged keys"),
    ],
    ids=["anchor-unused", "merge-key", "multi-line-flow", "null", "templated-key"],
)
def test_env_refusals(inprocess_cli, tmp_path: Path, task: str, reason: str | None) -> None:
    head = "base: &base\n  type: x\n" if "*base" in task else ""
    write(tmp_path, "flows/etl.yaml", head + flow('print("{{ inputs.table }}")', task=task))
    result = inprocess_cli("check", "--select", "CL103", "--output-format", "json", cwd=tmp_path)
    (diagnostic,) = json.loads(result.stdout)["diagnostics"]
    if reason is None:
        assert diagnostic["fix"] is not None  # an anchor nothing else uses is the task's own
    else:
        assert diagnostic["fix"] is None and diagnostic["message"].endswith(f"no automatic fix: {reason}")


def test_shared_env_anchor_is_refused(inprocess_cli, tmp_path: Path) -> None:
    text = (
        "id: etl\nnamespace: company.team\ntasks:\n  - id: a\n    type: " + SCRIPT + "\n    env: &env\n      A: x\n"
        "    script: |\n      print(\"{{ inputs.table }}\")\n  - id: b\n    type: " + SCRIPT + "\n    env: *env\n"
        "    script: |\n      print(1)\n"
    )
    write(tmp_path, "flows/etl.yaml", text)
    result = inprocess_cli("check", "--select", "CL103", "--output-format", "json", cwd=tmp_path)
    (diagnostic,) = json.loads(result.stdout)["diagnostics"]
    assert diagnostic["message"].endswith("no automatic fix: the task's `env` is an anchor other places use")


# -- the YAML side --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("task", "expected"),
    [
        ("", "    env:\n      TABLE: \"{{ inputs.table }}\"\n    # the loader\n    script: |\n"),
        ("    env:\n", "    env:\n      TABLE: \"{{ inputs.table }}\"\n    # the loader\n    script: |\n"),
        ("    env:  # per task\n", "    env:  # per task\n      TABLE: \"{{ inputs.table }}\"\n    # the loader\n"),
        ("    env: {}\n", "    env: {TABLE: \"{{ inputs.table }}\"}\n    # the loader\n"),
    ],
    ids=["no-env", "empty-env", "empty-env-comment", "empty-flow-env"],
)
def test_env_entry_placement(inprocess_cli, tmp_path: Path, task: str, expected: str) -> None:
    text = flow('print("{{ inputs.table }}")', task=task).replace("    script: |", "    # the loader\n    script: |")
    path = write(tmp_path, "flows/etl.yaml", text)
    result = inprocess_cli("check", "--select", "CL103", "--fix", "--unsafe-fixes", cwd=tmp_path)
    assert result.code == 0, result.stdout
    assert expected in path.read_text()


def test_task_opening_on_the_script_key(inprocess_cli, tmp_path: Path) -> None:
    text = (
        "id: etl\nnamespace: company.team\ntasks:\n  - script: |\n      print(\"{{ inputs.table }}\")\n"
        f"    id: load\n    type: {SCRIPT}\n"
    )
    path = write(tmp_path, "flows/etl.yaml", text.replace("\n", "\r\n"))
    result = inprocess_cli("check", "--select", "CL103", "--fix", "--unsafe-fixes", cwd=tmp_path)
    assert result.code == 0, result.stdout
    assert path.read_bytes().decode() == (
        "id: etl\r\nnamespace: company.team\r\ntasks:\r\n  - script: |\r\n      import os\r\n"
        "      print(os.environ[\"TABLE\"])\r\n"
        f"    id: load\r\n    type: {SCRIPT}\r\n    env:\r\n      TABLE: \"{{{{ inputs.table }}}}\"\r\n"
    )


def test_only_edit_spans_change(inprocess_cli, tmp_path: Path) -> None:
    """Every byte outside the fix's edits stays: the JSON edits, applied to the file,
    give exactly the fixed file."""
    from contractlint.diagnostics import Edit, Span
    from contractlint.fixes import apply_edits

    text = flow('x = ("{{ inputs.table }}", f"é{{ inputs.table }}✓")  # tail\ny = 1', task="    env: {A: b}  # c\n")
    path = write(tmp_path, "flows/etl.yaml", text)
    result = inprocess_cli("check", "--select", "CL103", "--unsafe-fixes", "--output-format", "json", cwd=tmp_path)
    first = json.loads(result.stdout)["diagnostics"][0]["fix"]
    source = SourceFile.from_bytes("etl.yaml", path.read_bytes())
    edits = [
        Edit(source.offset(e["line"], e["column"]), source.offset(e["end_line"], e["end_column"]), e["content"],
             Span(1, 1, 1, 1))
        for e in first["edits"]
    ]
    assert apply_edits(text, edits) == flow(
        'x = (os.environ["TABLE"], f"é{{ inputs.table }}✓")  # tail\ny = 1',
        task="    env: {A: b, TABLE: \"{{ inputs.table }}\"}  # c\n",
    ).replace("    script: |\n", "    script: |\n      import os\n")


# -- grading -------------------------------------------------------------------------------------------

INPUTS = (
    "id: f\nnamespace: n\ninputs:\n  - id: query\n    type: STRING\n  - id: n\n    type: INT\n"
    "  - id: mode\n    type: SELECT\n    values: [a, b]\n  - id: free\n    type: SELECT\n    values: [a]\n"
    "    allowCustomValue: true\n  - id: token\n    type: SECRET\n  - name: legacy\n    type: JSON\n"
    "  - id: days\n    type: ARRAY\n    itemType: INT\n  - id: untyped\ntasks: []\n"
)


@pytest.mark.parametrize(
    ("inner", "level", "fragment"),
    [
        ("inputs.query", "injection", "`inputs.query` is a STRING input"),
        ("inputs.n", "smell", "`inputs.n` is an INT input"),
        ("inputs.mode", "smell", "a SELECT input"),
        ("inputs.free", "injection", "a SELECT input that allows custom values"),
        ("inputs.token", "leak", "a SECRET input"),
        ("inputs.legacy | json", "injection", "a JSON input"),
        ("inputs.days", "smell", "an ARRAY of INT"),
        ("inputs.untyped", "injection", "an input without a type"),
        ("inputs.missing", "injection", "no declared input"),
        ("inputs['query'] ~ '-' ~ inputs.n", "injection", "`inputs.query`"),
        ("trigger.body.customerId", "injection", "the trigger's payload"),
        ("trigger.date | date('yyyy')", "smell", "`trigger.date` is set by Kestra"),
        ("labels.team", "injection", "a label"),
        ("secret('API_TOKEN')", "leak", "a secret leak"),
        ("outputs.fetch.body", "data", "`outputs.fetch.body` is produced at run time"),
        ("kv('getVMIndex', errorOnMissing = false) ?? 1", "data", "`kv()` is read at run time"),
        ("taskrun.value", "data", "`taskrun.value`"),
        ("execution.id", "smell", "`execution.id` is set by Kestra"),
        ("vars.bucket", "smell", "written in the flow"),
        ("now() | date('yyyyMMdd')", "smell", "`now()` is computed by Kestra"),
        ("'constant'", "smell", "reads no value a caller chooses"),
    ],
)
def test_grades(inner: str, level: str, fragment: str) -> None:
    from contractlint.flow.model import build_flow

    source = SourceFile("f.yaml", INPUTS)
    graded = grade_expression(inner, build_flow(source, yn.compose_documents(source)[0]))
    assert graded.level == level
    assert fragment in graded.clause


def test_references() -> None:
    assert references("kv('getVMIndex', errorOnMissing = false) ?? inputs.x | default(vars.y)") == (
        [["inputs", "x"], ["vars", "y"]], ["kv"]
    )  # `default` is a filter: what it reads counts, not its name


def test_sarif_places_graded_results(tmp_path: Path, monkeypatch) -> None:
    from click.testing import CliRunner

    from conftest import SARIF_SCHEMA
    from contractlint.cli import main

    script = 'print("{{ inputs.query }}", "{{ secret(\'T\') }}", "{{ outputs.a.b }}", "{{ execution.id }}")'
    write(tmp_path, "flows/etl.yaml", flow(script, "inputs:\n  - id: query\n    type: STRING\n"))
    monkeypatch.chdir(tmp_path)
    for key in [k for k in os.environ if k.startswith("CONTRACTLINT_")]:
        monkeypatch.delenv(key)
    result = CliRunner().invoke(main, ["check", "--select", "CL103", "--output-format", "sarif"], catch_exceptions=False)
    log = json.loads(result.stdout)
    placed = [
        (r["level"], r["rank"], r["properties"].get("contractlint/grade"), r["properties"].get("security-severity"),
         r["properties"].get("tags"))
        for r in log["runs"][0]["results"]
    ]
    assert placed == [
        ("error", 90.0, "injection", "8.0", ["security"]),
        ("error", 80.0, "leak", "7.0", ["security"]),
        ("warning", 50.0, "data", None, None),
        ("note", 10.0, "smell", None, None),
    ]
    if SARIF_SCHEMA.is_file():
        from jsonschema import Draft4Validator

        errors = list(Draft4Validator(json.loads(SARIF_SCHEMA.read_text("utf-8"))).iter_errors(log))
        assert errors == []
