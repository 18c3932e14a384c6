"""The flow model: which YAML is a flow, where tasks are found, and hostile YAML."""

from __future__ import annotations

import time

import pytest

from contractlint.flow import yaml_nodes as yn
from contractlint.flow.model import build_flow, is_flow_root
from contractlint.source import SourceFile, UndecodableFile

NESTED = """\
id: nested
namespace: company.team
inputs:
  - id: table
    type: STRING
tasks:
  - id: parallel
    type: io.kestra.plugin.core.flow.Parallel
    tasks:
      - id: p1
        type: io.kestra.plugin.core.log.Log
        message: one
  - id: switch
    type: io.kestra.plugin.core.flow.Switch
    value: "{{ inputs.table }}"
    cases:
      A:
        - id: case_a
          type: io.kestra.plugin.core.log.Log
          message: a
    defaults:
      - id: fallback_case
        type: io.kestra.plugin.core.log.Log
        message: d
  - id: dag
    type: io.kestra.plugin.core.flow.Dag
    tasks:
      - task:
          id: dag_step
          type: io.kestra.plugin.core.log.Log
          message: s
        dependsOn: []
  - id: wd
    type: io.kestra.plugin.core.flow.WorkingDirectory
    tasks:
      - id: if
        type: io.kestra.plugin.core.flow.If
        condition: "{{ true }}"
        then:
          - id: then_step
            type: io.kestra.plugin.core.log.Log
            message: t
        else:
          - id: else_step
            type: io.kestra.plugin.core.log.Log
            message: e
    errors:
      - id: wd_error
        type: io.kestra.plugin.core.log.Log
        message: x
  - id: custom
    type: io.kestra.plugin.example.Unknown
    steps:
      - id: custom_child
        type: io.kestra.plugin.core.log.Log
        message: c
errors:
  - id: flow_error
    type: io.kestra.plugin.core.log.Log
    message: err
finally:
  - id: flow_finally
    type: io.kestra.plugin.core.log.Log
    message: fin
afterExecution:
  - id: after
    type: io.kestra.plugin.core.log.Log
    message: after
triggers:
  - id: daily
    type: io.kestra.plugin.core.trigger.Schedule
    cron: "0 9 * * *"
"""


TASKS = "tasks:\n  - id: a\n    type: io.kestra.plugin.core.log.Log\n    message: hi\n"


def load(text: str):
    source = SourceFile.from_bytes("f.yaml", text.encode("utf-8"))
    root = yn.compose_documents(source)[0]
    return build_flow(source, root)


def test_every_nesting_kestra_uses_is_walked_and_inputs_are_not_tasks() -> None:
    flow = load(NESTED)
    assert [t.id for t in flow.tasks] == [
        "parallel", "p1", "switch", "case_a", "fallback_case", "dag", "dag_step", "wd", "if", "then_step",
        "else_step", "wd_error", "custom", "custom_child", "flow_error", "flow_finally", "after",
    ]
    assert [t.id for t in flow.triggers] == ["daily"]
    by_id = {t.id: t for t in flow.tasks}
    assert by_id["dag_step"].location == "tasks[2].tasks[0].task"
    assert by_id["case_a"].location == "tasks[1].cases.A[0]"
    assert by_id["then_step"].parent is by_id["if"]
    assert [a.id for a in by_id["then_step"].ancestors] == ["if", "wd"]
    assert flow.ref == "company.team.nested"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("id: a\nnamespace: b\ntasks: []\n", True),
        ("id: a\ntasks: []\n", False),
        ("name: CI\non: push\n", False),
        ("- id: a\n  namespace: b\n", False),
        # A broken flow: one of id/namespace, and tasks or triggers of task mappings.
        ("id: a\n" + TASKS, True),
        ("namespace: b\n" + TASKS, True),
        ("id: a\nnamepsace: b\n" + TASKS, True),
        ("id: a\ntriggers:\n  - id: t\n    type: io.kestra.plugin.core.trigger.Schedule\n    cron: '@daily'\n", True),
        (TASKS, False),  # neither id nor namespace: some other tool's task list
        ("id: a\ntasks:\n  - name: build\n    run: make\n", False),  # not task mappings
        ("id: a\ntasks:\n  - id: x\n    type: shell\n", False),  # not a plugin type
        # Kestra Apps and unit test suites have an id and a namespace but are not flows.
        ("id: app\ntype: io.kestra.plugin.ee.apps.Execution\nnamespace: b\nflowId: f\n", False),
        ("id: t\nnamespace: b\nflowId: f\ntestCases:\n  - id: c\n    type: io.kestra.core.tests.flow.UnitTest\n", False),
    ],
)
def test_a_flow_is_a_mapping_with_id_and_namespace(text: str, expected: bool) -> None:
    source = SourceFile.from_bytes("f.yaml", text.encode())
    assert is_flow_root(yn.compose_documents(source)[0]) is expected


def test_an_alias_bomb_is_refused_quickly() -> None:
    levels = "a: &a [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join([f'*{chr(97 + i)}'] * 10)}]\n" for i in range(9)
    )
    source = SourceFile.from_bytes("f.yaml", ("id: x\nnamespace: y\ntasks: []\n" + levels).encode())
    started = time.perf_counter()
    root = yn.compose_documents(source)[0]
    with pytest.raises(yn.ExpansionTooLarge):
        yn.to_data(root)
    assert len(list(yn.walk(root))) < 200  # every node once, however often it is aliased
    assert time.perf_counter() - started < 2


def test_an_alias_that_contains_itself_is_refused() -> None:
    source = SourceFile.from_bytes("f.yaml", b"id: x\nnamespace: y\ntasks: &t\n  - id: a\n    type: b\n    tasks: *t\n")
    root = yn.compose_documents(source)[0]
    with pytest.raises(yn.ExpansionTooLarge, match="contains it"):
        yn.to_data(root)
    assert [t.id for t in build_flow(source, root).tasks] == ["a"]


def test_shared_aliases_become_shared_data() -> None:
    source = SourceFile.from_bytes("f.yaml", b"a: &x [1, {b: 2}]\nc: *x\nd: [*x, *x]\n")
    data = yn.to_data(yn.compose_documents(source)[0])
    assert data == {"a": [1, {"b": 2}], "c": [1, {"b": 2}], "d": [[1, {"b": 2}], [1, {"b": 2}]]}


@pytest.mark.parametrize("text", ["x: " + "[" * 5000 + "]" * 5000 + "\n", "x: " + "{a: " * 3000 + "1" + "}" * 3000])
def test_deep_nesting_is_a_yaml_error_not_a_crash(text: str) -> None:
    with pytest.raises(yn.YamlError, match="nested"):
        yn.compose_documents(SourceFile.from_bytes("f.yaml", text.encode()))


def test_undecodable_bytes_name_the_position() -> None:
    with pytest.raises(UndecodableFile) as raised:
        SourceFile.from_bytes("f.yaml", "id: a\nnamespace: caf".encode() + b"\xe9\n")
    assert (raised.value.line, raised.value.column) == (2, 15)
    assert "0xe9" in str(raised.value)


def test_duplicate_keys_are_found_in_any_mapping() -> None:
    source = SourceFile.from_bytes("f.yaml", b"id: a\nnamespace: b\ntasks:\n  - id: t\n    id: u\n")
    duplicates = list(yn.duplicate_keys(yn.compose_documents(source)[0]))
    assert [(d.key, d.first_line, d.node.start_mark.line + 1) for d in duplicates] == [("id", 4, 5)]


def test_the_loaders_resolver_tags_every_node_as_ruamels_own_does() -> None:
    # compose_documents looks the YAML version up once per stream (yaml_nodes._loader):
    # every node of the fixtures (and of the corpus when present) gets ruamel's own tag.
    from ruamel.yaml import YAML

    from conftest import CORPUS, REPO

    paths = sorted((REPO / "flows_fixtures").rglob("*.y*ml"))
    if CORPUS.is_dir():
        paths += sorted(CORPUS.glob("*.y*ml"))[:150]
    texts = [path.read_text("utf-8", errors="replace") for path in paths]
    texts.append("%YAML 1.1\n---\na: yes\nb: 0o17\nc: 1_000\nd: ~\ne: 2001-12-14\nf: .inf\ng: 0x1F\nh: on\n")
    plain = YAML(typ="safe")
    compared = 0
    for text in texts:
        try:
            ours = yn.compose_documents(SourceFile.from_bytes("f.yaml", text.encode()))
        except yn.YamlError:
            continue
        theirs = [node for node in plain.compose_all(text) if node is not None]
        assert [[yn.tag_of(n) for n in yn.walk(d)] for d in ours] == [[yn.tag_of(n) for n in yn.walk(d)] for d in theirs]
        compared += 1
    assert compared > (150 if CORPUS.is_dir() else 15)  # the fixtures parse, and so does most of the corpus
