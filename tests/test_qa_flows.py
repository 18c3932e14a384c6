"""Adversarial QA of the flow side: realistic and exotic-but-valid flows from outside
this repository (regressions for what QA found)."""

from __future__ import annotations

from pathlib import Path

import pytest

from contractlint.config import CommandLine, settings_from_table
from contractlint.python.pebble import find_pebble, mask
from contractlint.runner import build_linter


def lint(root: Path, text: str, select: tuple[str, ...] = ("CL",), path: str = "flow.yaml") -> list[tuple]:
    """(line, column, end_line, end_column, code, message) of every diagnostic."""
    linter = build_linter(settings_from_table({}, root, None, CommandLine(select=select)))
    result = linter.lint_bytes(path, text.encode("utf-8"))
    return [(d.span.line, d.span.column, d.span.end_line, d.span.end_column, d.code, d.message)
            for d in result.diagnostics]


@pytest.fixture
def root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return tmp_path


# -- CL002: Kestra reads flows with Jackson, which coerces scalars -------------------------

NUMBERS = """\
id: 2024
namespace: company.team
description: 42
disabled: "false"
labels:
  version: 3
inputs:
  - id: 1
    type: INT
    defaults: 5
tasks:
  - id: 1
    type: io.kestra.plugin.core.log.Log
    message: one
  - id: 2
    type: io.kestra.plugin.core.log.Log
    message: 2
triggers:
  - id: 10
    type: io.kestra.plugin.core.trigger.Schedule
    cron: "@daily"
    disabled: "true"
pluginDefaults:
  - type: io.kestra.plugin.core.log.Log
    forced: "true"
    values:
      level: INFO
"""


def test_numbers_and_quoted_booleans_are_what_kestra_coerces(root: Path) -> None:
    # `id: 1` is the task id "1" and `disabled: "true"` is true for Jackson: valid.
    assert lint(root, NUMBERS, select=("CL002",)) == []


def test_coerced_scalars_are_still_checked_against_the_pattern_and_type(root: Path) -> None:
    flow = (
        "id: etl\nnamespace: company.team\nrevision: 0\ndisabled: maybe\ntasks:\n"
        "  - id: 1.5\n    type: io.kestra.plugin.core.log.Log\n    message: x\n"
        "  - id: ok\n    type: 12\n"
    )
    assert lint(root, flow, select=("CL002",)) == [
        (3, 11, 3, 12, "CL002", "'revision': 0 is less than the minimum of 1"),
        (4, 11, 4, 16, "CL002", "'disabled' must be true or false or empty, not a string"),
        (6, 9, 6, 12, "CL002",
         "Task '1.5' (tasks[0]) has an invalid id '1.5': must match ^[a-zA-Z0-9][a-zA-Z0-9_-]*$"),
        (10, 11, 10, 13, "CL002",
         "Task 'ok' (tasks[1]) has an invalid type '12': must match "
         "^[A-Za-z_$][A-Za-z0-9_$]*(\\.[A-Za-z_$][A-Za-z0-9_$]*)*$"),
    ]


def test_schema_messages_name_the_key_relative_to_its_task_and_give_a_subject(root: Path) -> None:
    flow = (
        "id: my flow\nnamespace: company.team\ninputs:\n  - id: \"my input\"\n    type: STRING\n"
        "tasks:\n  - id: seq\n    type: io.kestra.plugin.core.flow.Sequential\n    tasks:\n"
        "      - id: log\n        type: io.kestra.plugin.core.log.Log\n        errors: nope\n"
    )
    assert lint(root, flow, select=("CL002",)) == [
        (1, 5, 1, 12, "CL002", "Flow has an invalid id 'my flow': must match ^[a-zA-Z0-9][a-zA-Z0-9._-]*$"),
        (4, 9, 4, 19, "CL002", "'inputs[0]' has an invalid id 'my input': must match ^[a-zA-Z0-9][.a-zA-Z0-9_-]*$"),
        (12, 17, 12, 21, "CL002", "Task 'log' (tasks[0].tasks[0]) 'errors' must be a list or empty, not a string"),
    ]


# -- CL002: YAML aliases and merge keys, which Kestra does not expand ------------------------

MERGED = """\
id: anchors
namespace: company.team
variables:
  common: &common
    type: io.kestra.plugin.scripts.python.Script
    containerImage: python:3.11-slim
tasks:
  - <<: *common
    id: extract
    script: |
      from pipelines.extract import run
      run()
"""


def test_a_merge_key_is_named_with_the_missing_type(root: Path) -> None:
    assert lint(root, MERGED, select=("CL002",)) == [
        (8, 5, 8, 7, "CL002", "Task 'extract' (tasks[0]) is missing required key 'type'"),
        (8, 9, 8, 16, "CL002",
         "Merge key '<<: *common' is not expanded by Kestra (its YAML reader ignores merge keys), so this mapping "
         "does not get the keys of '&common'; write the keys out, or share them with pluginDefaults"),
    ]


def test_aliases_are_reported_where_they_are_used(root: Path) -> None:
    flow = (
        "id: aliases\nnamespace: company.team\nvariables:\n  img: &img python:3.11\n"
        "tasks:\n  - &log\n    id: b\n    type: io.kestra.plugin.core.log.Log\n    message: x\n"
        "  - *log\n"
        "  - {id: c, type: io.kestra.plugin.core.log.Log, message: *img}\n"
    )
    message = ("YAML alias '*{0}' is not expanded by Kestra: it reads the string '{0}' here instead of the value "
               "anchored as '&{0}'; write the value out, or share it with pluginDefaults or variables")
    assert lint(root, flow, select=("CL002",)) == [
        (10, 5, 10, 9, "CL002", message.format("log")),
        (11, 59, 11, 63, "CL002", message.format("img")),
    ]


def test_anchors_without_aliases_and_yaml_that_is_not_a_flow_are_fine(root: Path) -> None:
    flow = "id: a\nnamespace: company.team\ntasks:\n  - &t\n    id: b  # a * in a comment\n" \
           "    type: io.kestra.plugin.core.log.Log\n    message: \"2 * 3\"\n"
    assert lint(root, flow) == []
    compose = "x-env: &env\n  A: 1\nservices:\n  web:\n    environment: *env\n"
    assert lint(root, compose, path="docker-compose.yml") == []


# -- Pebble tags sharing a line with code (they render to nothing) ---------------------------


@pytest.mark.parametrize(
    ("script", "masked"),
    [
        ('{% raw %}x = "{{ n }}"{% endraw %}\n', '________;x = "{{ n }}"            \n'),
        ("value = {% if f %}True{% else %}False{% endif %}\n",
         "value = __________True__________False           \n"),
        ("x = 1 {%- if m %} + 2{% endif %}\n", "x = 1             + 2           \n"),
        ("if x:\n    {% if a %}import json{% endif %}\n", "if x:\n    _________;import json           \n"),
        ("print(1)  {# note #}\n", "print(1)            \n"),
        ("x = [1, {# c #} 2]\n", "x = [1,         2]\n"),
        ("foo({% if a %}1,{% endif %})\n", "foo(__________1,           )\n"),
    ],
)
def test_inline_tags_mask_to_python_that_parses(script: str, masked: str) -> None:
    assert mask(script, find_pebble(script)) == masked
    compile(masked, "<masked>", "exec")


def test_raw_block_sharing_a_line_with_code_parses(root: Path) -> None:
    flow = (
        "id: raw\nnamespace: company.team\ntasks:\n  - id: py\n    type: io.kestra.plugin.scripts.python.Script\n"
        "    script: |\n      {% raw %}x = \"{{ not pebble }}\"{% endraw %}\n      print(x)  {# shown #}\n"
    )
    assert lint(root, flow, select=("CL003", "CL103")) == []


def test_each_alias_in_a_list_is_reported_once_at_its_own_place(root: Path) -> None:
    flow = ("id: a\nnamespace: company.team\nvariables:\n  r: &r eu\n  regions: [*r, *r, us,\n    *r]\n"
            "tasks:\n  - id: b\n    type: io.kestra.plugin.core.log.Log\n    message: x\n")
    assert [(line, column, end) for line, column, _, end, _, _ in lint(root, flow, select=("CL002",))] == [
        (5, 13, 15), (5, 17, 19), (6, 5, 7),
    ]
