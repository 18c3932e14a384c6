"""Real repositories (issue 17): every flow of a file, what is a flow, where Kestra keeps
tasks and what only looks like a task, namespace files included with read(), and Pebble
inside Python strings and comments."""

from __future__ import annotations

import ast
import json
from pathlib import Path

import pytest

from conftest import write
from contractlint.config import CommandLine, settings_from_table
from contractlint.flow import yaml_nodes as yn
from contractlint.flow.model import build_flow, document_extents, is_flow_root, is_placeholder
from contractlint.project import Project
from contractlint.python.inline import Include, include_of, inline_python
from contractlint.python.pebble import find_pebble, mask
from contractlint.runner import build_linter
from contractlint.source import SourceFile


def flows_of(text: str):
    source = SourceFile.from_bytes("f.yaml", text.encode("utf-8"))
    roots = yn.compose_documents(source)
    return [build_flow(source, root, extent) for root, extent in zip(roots, document_extents(source, roots))
            if is_flow_root(root)]


def task_ids(text: str) -> list[str | None]:
    (flow,) = flows_of(text)
    return [task.id for task in flow.tasks]


# -- what is a flow (which documents are: tests/test_flow_model.py) ------------------------------

TASKS = "tasks:\n  - id: a\n    type: io.kestra.plugin.core.log.Log\n    message: hi\n"


@pytest.mark.parametrize(
    ("text", "expected"),
    [("${namespace}", True), (" ${var.flow_id} ", True), ("${a}-${b}", False), ("${x}suffix", False),
     ("prefix${x}", False), ("${", False), ("{{ secret('X') }}", False), ("${jsonencode({a = 1})}", True)],
)
def test_a_whole_placeholder(text: str, expected: bool) -> None:
    assert is_placeholder(text) is expected


def test_every_document_is_a_flow_of_its_own_in_file_coordinates() -> None:
    text = "# header\nid: one\nnamespace: a\n" + TASKS + "---\nname: not a flow\n---\nid: two\nnamespace: a\n" + TASKS + "---\n"
    first, second = flows_of(text)
    assert (first.ref, second.ref) == ("a.one", "a.two")
    assert [t.node.start_mark.line + 1 for t in second.tasks] == [14]
    assert first.holds(text.index("# header")) and not first.holds(text.index("name:"))
    assert not second.holds(text.index("name:"))  # the document between is not a flow
    assert second.holds(text.index("id: two")) and not first.holds(text.index("id: two"))


# -- where tasks are ----------------------------------------------------------------------------

LISTENERS = """\
id: legacy
namespace: company.team
tasks:
  - id: main
    type: io.kestra.plugin.core.log.Log
    message: hi
listeners:
  - conditions:
      - id: on_failure
        type: io.kestra.plugin.core.condition.ExecutionStatusCondition
        in: [FAILED]
    tasks:
      - id: alert
        type: io.kestra.plugin.notifications.slack.SlackIncomingWebhook
        url: https://hooks.slack.com/x
      - id: cleanup
        type: io.kestra.plugin.core.flow.Sequential
        tasks:
          - id: cleanup_step
            type: io.kestra.plugin.core.log.Log
            message: bye
"""


def test_listener_tasks_are_tasks_and_their_conditions_are_not() -> None:
    (flow,) = flows_of(LISTENERS)
    by_id = {task.id: task for task in flow.tasks}
    assert list(by_id) == ["main", "alert", "cleanup", "cleanup_step"]
    assert by_id["alert"].location == "listeners[0].tasks[0]"
    assert by_id["cleanup_step"].parent is by_id["cleanup"]


NOT_TASKS = """\
id: gates
namespace: company.team
inputs:
  - id: table
    type: STRING
outputs:
  - id: result
    type: STRING
    value: "{{ outputs.run.value }}"
tasks:
  - id: qa
    type: io.kestra.plugin.core.flow.Pause
    onResume:
      - id: approved
        type: BOOLEAN
      - id: reason
        type: STRING
  - id: ops
    type: io.kestra.plugin.core.flow.Pause
    onResume:
      - id: approved
        type: BOOLEAN
  - id: child
    type: io.kestra.plugin.core.flow.Subflow
    namespace: company.team
    flowId: child
    inputs:
      steps:
        - id: step
          type: io.kestra.plugin.core.log.Log
  - id: triggers_from_a_task
    type: io.kestra.plugin.kestra.flows.Update
    conditions:
      - id: multiple
        type: io.kestra.plugin.core.condition.MultipleCondition
"""


def test_inputs_outputs_on_resume_subflow_inputs_and_conditions_are_not_tasks() -> None:
    assert task_ids(NOT_TASKS) == ["qa", "ops", "child", "triggers_from_a_task"]


def test_task_lists_a_plugin_names_its_own_way_are_found_at_any_depth() -> None:
    text = (
        "id: agent\nnamespace: company.team\ntasks:\n  - id: agent\n    type: io.kestra.plugin.ai.agent.AIAgent\n"
        "    tools:\n      - type: io.kestra.plugin.ai.tool.KestraTask\n        tasks:\n"
        "          - id: fetch\n            type: io.kestra.plugin.scripts.python.Script\n            script: print(1)\n"
        "    taskRunner:\n      type: io.kestra.plugin.core.runner.Process\n"
    )
    (flow,) = flows_of(text)
    assert [(t.id, t.location) for t in flow.tasks] == [("agent", "tasks[0]"), ("fetch", "tasks[0].tools[0].tasks[0]")]
    assert [code.task.id for code in inline_python(flow)] == ["fetch"]


def test_every_task_list_of_the_model_is_walked() -> None:
    text = (
        "id: all\nnamespace: company.team\ntasks:\n  - id: pause\n    type: io.kestra.plugin.core.flow.Pause\n"
        "    tasks:\n      - id: paused\n        type: io.kestra.plugin.core.log.Log\n"
        "  - id: loop\n    type: io.kestra.plugin.core.flow.ForEach\n    values: [1]\n    tasks:\n"
        "      - id: body\n        type: io.kestra.plugin.core.log.Log\n    errors:\n"
        "      - id: on_error\n        type: io.kestra.plugin.core.log.Log\n    finally:\n"
        "      - id: always\n        type: io.kestra.plugin.core.log.Log\n"
    )
    assert task_ids(text) == ["pause", "paused", "loop", "body", "on_error", "always"]


# -- Pebble inside strings and comments --------------------------------------------------------


@pytest.mark.parametrize(
    "script",
    [
        'label = "{{ inputs.table\n           | upper }}"\nprint(label)\n',
        "label = '{{ inputs.table\n\t| upper }}' + \"{{ x }}\"\n",
        'label = f"{n} {{ inputs.a\r\n | b }}"\r\nprint(label)\r\n',
        "x = 1  # {{ inputs.a\n  | upper }} and more\ny = 2\n",
        "# {% if inputs.a\n   %}\nz = 3\n",
        'q = """\n{{ inputs.a\n | b }} "" \n"""\n',
        "s = 'a{# a\n multi-line comment #}b'\n",
        "{% verbatim %}x = '{{ literal }}'{% endverbatim %}\nprint(x)\n",
        "a = 'é{{ inputs.ü\n }}ö'\n",
    ],
)
def test_pebble_spanning_lines_in_strings_and_comments_masks_to_python_that_parses(script: str) -> None:
    masked = mask(script, find_pebble(script))
    assert len(masked) == len(script)
    spans = find_pebble(script)
    outside = [i for i in range(len(script)) if not any(s.start <= i < s.end for s in spans)]
    assert all(masked[i] == script[i] for i in outside)  # every other character in place
    assert [i for i, c in enumerate(masked) if c in "\r\n"] == [i for i, c in enumerate(script) if c in "\r\n"]
    ast.parse(masked)


def test_verbatim_is_literal_text() -> None:
    assert [s.text for s in find_pebble("{% verbatim %}{{ a }}{% endverbatim %}{{ b }}")] == [
        "{% verbatim %}", "{% endverbatim %}", "{{ b }}",
    ]
    # `endraw` does not end a verbatim block, nor the other way round
    assert [s.text for s in find_pebble("{%- verbatim -%}{% endraw %}{{ a }}{% endverbatim %}")] == [
        "{%- verbatim -%}", "{% endverbatim %}",
    ]


def test_a_string_broken_by_pebble_on_an_empty_line_is_left_to_the_parser() -> None:
    script = 'x = "{{ a\n\n}}"\n'
    with pytest.raises(SyntaxError):
        ast.parse(mask(script, find_pebble(script)))


# -- includes ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("{{ read('scripts/main.py') }}", Include("scripts/main.py", False)),
        ('{{- read("/scripts/main.py") -}}\n', Include("scripts/main.py", False)),
        ("{{ render(read('main.py')) }}", Include("main.py", True)),
        ("{{ read(inputs.script) }}", Include(None, False)),
        ("nsfile:///scripts/main.py", Include("scripts/main.py", False)),
        ("nsfile://company.other/main.py", Include("main.py", False, "company.other")),
        ("{{ read('lib.py', namespace='shared') }}", Include("lib.py", False, "shared")),
        ("{{ read('lib.py', 'shared') }}", Include("lib.py", False, "shared")),
        ("{{ read('lib.py', namespace=flow.namespace) }}", Include(None, False, None)),
        ("file:///opt/scripts/main.py", Include(None, False)),
        ("{{ read('a.py') }}\nprint(1)\n", None),
        ("print('{{ read(\"a.py\") }}')", None),
        ("{{ read('a.py') | trim }}", None),
        ("{{ inputs.code }}", None),
        ("import os\n", None),
    ],
)
def test_what_is_an_include(value: str, expected: Include | None) -> None:
    assert include_of(value) == expected


def test_namespace_files_are_found_in_folder_order_and_never_outside(tmp_path: Path) -> None:
    write(tmp_path, "_files/etl.py", "")
    write(tmp_path, "etl.py", "")
    write(tmp_path, "scripts/company.team/load.py", "")
    project = Project(root=tmp_path, namespace_files=(tmp_path / "scripts/{namespace}", tmp_path / "_files", tmp_path))
    assert project.find_namespace_file("company.team", "etl.py") == tmp_path / "_files/etl.py"
    assert project.find_namespace_file("company.team", "load.py") == tmp_path / "scripts/company.team/load.py"
    assert project.find_namespace_file("company.other", "load.py") is None
    assert project.find_namespace_file("company.team", "../etl.py") is None
    assert project.find_namespace_file(None, "missing.py") is None
    # Another namespace's file: only the folder per namespace can hold it.
    assert project.find_namespace_file("company.other", "load.py", "company.team") == (
        tmp_path / "scripts/company.team/load.py"
    )
    assert project.find_namespace_file("company.other", "etl.py", "company.team") is None


def test_default_namespace_files_are_underscore_files_then_the_root(tmp_path: Path) -> None:
    settings = settings_from_table({}, tmp_path, None, CommandLine())
    assert settings.namespace_files == (tmp_path / "_files", tmp_path / ".")


INCLUDING = """\
id: load
namespace: company.team
tasks:
  - id: py
    type: io.kestra.plugin.scripts.python.Script
    env:
      TABLE: orders
    script: "{{ read('etl.py') }}"
  - id: cmd
    type: io.kestra.plugin.scripts.python.Commands
    inputFiles:
      main.py: "{{ render(read('etl.py')) }}"
    commands:
      - python main.py
"""
ETL = 'import os\n\nprint(os.environ["TABLE"])  # noqa: CL201\nprint(os.environ["DB_URL"])  # noqa: CL203\nos.environ["TOKEN"]\n'


def test_an_include_is_linted_as_each_including_task_in_its_own_file(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    write(tmp_path, "_files/etl.py", ETL)
    linter = build_linter(settings_from_table({}, tmp_path, None, CommandLine(select=("CL",))))
    result = linter.lint_bytes("flows/load.yaml", INCLUDING.encode())
    found = [(d.path, d.span.line, d.span.column, d.code, d.task) for d in result.diagnostics]
    # No CL103 for the includes; the noqa of the included file is honoured; `cmd` lacks TABLE too.
    assert found == [
        ("_files/etl.py", 3, 7, "CL203", "cmd"),
        ("_files/etl.py", 5, 1, "CL203", "cmd"),
        ("_files/etl.py", 5, 1, "CL203", "py"),
    ]
    assert [source.path for source in result.included] == ["_files/etl.py"]
    module = linter.lint_bytes("_files/etl.py", ETL.encode())
    # Its own lint reports no CL203, and CL900 leaves the CL203 code alone (not the CL201 one).
    assert [(d.span.line, d.code, d.message[:23]) for d in module.diagnostics] == [
        (3, "CL900", "Unused noqa code CL201:")
    ]


def test_an_include_that_does_not_resolve_or_parse_is_skipped(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    write(tmp_path, "_files/broken.py", "def (:\n")
    flow = INCLUDING.replace("etl.py", "broken.py").replace("render(read('broken.py'))", "read('nowhere.py')")
    linter = build_linter(settings_from_table({}, tmp_path, None, CommandLine(select=("CL",))))
    assert linter.lint_bytes("flows/load.yaml", flow.encode()).diagnostics == []


# -- the command line ---------------------------------------------------------------------------

MULTI = """\
id: first
namespace: acme
tasks:
  - id: py  # noqa: CL402
    type: io.kestra.plugin.scripts.python.Script
    env:
      API_TOKEN: "{{ secret('API_TOKEN') }}"
    script: |
      import os
      print(os.environ.get("TABLE"))
---
# the second flow, with the same task id
id: second
namespace: acme
tasks:
  - id: py
    type: io.kestra.plugin.scripts.python.Script
    env:
      API_TOKEN: "{{ secret('API_TOKEN') }}"  # noqa: CL402
    script: |
      import os
      print(os.environ.get("TABLE"))  # noqa: CL202
      print(os.environ.get("NAME"), "{{ inputs.name }}")
---
"""


def test_every_flow_of_a_file_is_linted_with_its_positions_flow_and_noqa(inprocess_cli, tmp_path: Path) -> None:
    write(tmp_path, "flows/two.yaml", MULTI)
    result = inprocess_cli("check", "--extend-select", "CL900", "--format", "json", cwd=tmp_path)
    found = [(d["line"], d["column"], d["end_column"], d["code"], d["flow"], d["task"])
             for d in json.loads(result.stdout)["diagnostics"]]
    assert found == [
        (10, 13, 36, "CL202", "acme.first", "py"),
        (23, 13, 35, "CL202", "acme.second", "py"),
        (23, 38, 55, "CL103", "acme.second", "py"),
    ]
    assert result.code == 1


def test_a_fix_in_the_second_document(inprocess_cli, tmp_path: Path) -> None:
    path = write(tmp_path, "flows/two.yaml", MULTI)
    result = inprocess_cli("check", "--select", "CL202", "--fix", "--unsafe-fixes", cwd=tmp_path)
    assert (result.code, result.lines) == (0, ["Fixed 2 diagnostics.", "All checks passed!"])
    expected = MULTI.replace('print(os.environ.get("TABLE"))\n---', 'print(os.environ["TABLE"])\n---').replace(
        'os.environ.get("NAME")', 'os.environ["NAME"]'
    )
    assert path.read_text() == expected
    assert expected.count('os.environ.get("TABLE")') == 1  # the suppressed one is left alone


def test_diff_covers_every_document(inprocess_cli, tmp_path: Path) -> None:
    write(tmp_path, "flows/two.yaml", MULTI)
    result = inprocess_cli("check", "--select", "CL202", "--diff", "--unsafe-fixes", cwd=tmp_path)
    changed = [line for line in result.lines if line[:1] in "+-" and not line.startswith(("---", "+++"))]
    assert changed == [
        '-      print(os.environ.get("TABLE"))',
        '+      print(os.environ["TABLE"])',
        '-      print(os.environ.get("NAME"), "{{ inputs.name }}")',
        '+      print(os.environ["NAME"], "{{ inputs.name }}")',
    ]


def test_a_baseline_holds_the_findings_of_every_document(inprocess_cli, tmp_path: Path) -> None:
    path = write(tmp_path, "flows/two.yaml", MULTI)
    written = inprocess_cli("check", "--select", "CL202", "--write-baseline", "b.json", cwd=tmp_path)
    assert written.code == 0
    path.write_text(MULTI.replace('      import os\n      print(os.environ.get("TABLE"))  #',
                                  '      import os\n      print(os.environ.get("LIMIT"))\n      print(os.environ.get("TABLE"))  #'))
    result = inprocess_cli("check", "--select", "CL202", "--baseline", "b.json", cwd=tmp_path)
    assert [line.split(" is read")[0] for line in result.lines] == [
        'flows/two.yaml:22:13: CL202 Environment variable "LIMIT"',
        "Found 1 diagnostic in 1 file (1 hidden fix can be enabled with --unsafe-fixes).",
        "2 diagnostics hidden by the baseline.",
    ]


BROKEN = """\
id: draft
namepsace: acme
tasks:
  - id: py
    type: io.kestra.plugin.scripts.python.Script
    env:
      DB_PASSWORD: hunter22
    script: |
      import os
      print(os.environ.get("TABLE", "orders"))
"""


def test_a_broken_flow_read_from_stdin_is_linted_as_a_flow(cli, tmp_path: Path) -> None:
    result = cli("check", "--stdin-filename", "flows/draft.yaml", "--select", "CL002,CL201,CL403", "-",
                 cwd=tmp_path, stdin=BROKEN.encode())
    assert result.lines == [
        "flows/draft.yaml:2:1: CL002 Flow is missing required key 'namespace' (found 'namepsace': did you mean "
        "'namespace'?)",
        "flows/draft.yaml:7:20: CL403 Hardcoded secret in env key 'DB_PASSWORD' of task 'py'; use "
        "\"{{ secret('DB_PASSWORD') }}\" and store the value in Kestra's secrets",
        "flows/draft.yaml:10:13: CL201 Environment variable \"TABLE\" is read with a default "
        "(os.environ.get(…, default)); use os.environ[\"TABLE\"] so that a missing variable raises KeyError",
        "Found 3 diagnostics in 1 file (1 hidden fix can be enabled with --unsafe-fixes).",
    ]
    assert result.code == 1


def test_an_included_file_is_shown_and_reported_once(inprocess_cli, tmp_path: Path) -> None:
    write(tmp_path, "flows/load.yaml", INCLUDING)
    write(tmp_path, "_files/etl.py", ETL)
    result = inprocess_cli("check", "--select", "CL2,CL900", "--show-source", "--extend-select", "CL900",
                           cwd=tmp_path)
    assert [line for line in result.lines if line.startswith(("_files", "flows"))] == [
        "_files/etl.py:3:7: CL203 Task 'cmd' of flow company.team.load (flows/load.yaml:9), which includes this "
        "file, does not provide environment variable 'TABLE': KeyError at run time; add it to the task's env or to "
        "pluginDefaults",
        "_files/etl.py:3:37: CL900 Unused noqa code CL201: no CL201 (environ-default) diagnostic on this line",
        "_files/etl.py:5:1: CL203 Task 'cmd' of flow company.team.load (flows/load.yaml:9), which includes this "
        "file, does not provide environment variable 'TOKEN': KeyError at run time; add it to the task's env or to "
        "pluginDefaults",
        "_files/etl.py:5:1: CL203 Task 'py' of flow company.team.load (flows/load.yaml:4), which includes this "
        "file, does not provide environment variable 'TOKEN': KeyError at run time; add it to the task's env or to "
        "pluginDefaults",
    ]
    assert '5 | os.environ["TOKEN"]' in result.stdout  # the excerpt is the included file's
    alone = inprocess_cli("check", "flows", "--select", "CL203", "--show-source", cwd=tmp_path)
    assert [line for line in alone.lines if line.startswith("_files")] == [
        line for line in result.lines if line.startswith("_files") and "CL900" not in line
    ]
    assert '5 | os.environ["TOKEN"]' in alone.stdout  # shown though the file itself was not linted


def test_the_including_task_s_noqa_covers_its_include_and_is_used(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    write(tmp_path, "_files/etl.py", ETL)
    flow = INCLUDING.replace("  - id: cmd\n", "  - id: cmd  # noqa: CL203\n")
    linter = build_linter(settings_from_table({}, tmp_path, None, CommandLine(select=("CL",))))
    result = linter.lint_bytes("flows/load.yaml", flow.encode())
    assert [(d.path, d.span.line, d.code, d.task) for d in result.diagnostics] == [("_files/etl.py", 5, "CL203", "py")]


def test_a_rendered_include_is_masked_like_an_inline_script(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    write(tmp_path, "_files/tpl.py", 'import os\n{% if inputs.verbose %}\nprint(os.environ["B"])\n{% endif %}\n')
    flow = INCLUDING.replace("read('etl.py')", "read('tpl.py')")  # `py` reads it, `cmd` renders it
    linter = build_linter(settings_from_table({}, tmp_path, None, CommandLine(select=("CL",))))
    result = linter.lint_bytes("flows/load.yaml", flow.encode())
    assert [(d.path, d.span.line, d.span.column, d.code, d.task) for d in result.diagnostics] == [
        ("_files/tpl.py", 3, 7, "CL203", "cmd")
    ]


def test_an_unused_noqa_names_the_flow_of_its_document(inprocess_cli, tmp_path: Path) -> None:
    write(tmp_path, "flows/two.yaml", MULTI.replace("namespace: acme\ntasks:\n  - id: py\n",
                                                   "namespace: acme\ntasks:\n  - id: py  # noqa: CL101\n"))
    result = inprocess_cli("check", "--extend-select", "CL900", "--format", "json", cwd=tmp_path)
    found = [(d["line"], d["column"], d["code"], d["flow"], d["task"]) for d in json.loads(result.stdout)["diagnostics"]
             if d["code"] == "CL900"]
    assert found == [(16, 21, "CL900", "acme.second", "py")]
