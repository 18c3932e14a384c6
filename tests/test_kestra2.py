"""Kestra 2.0: contract 2 under each target (1.x plugin defaults, 2.x open source,
2.x Enterprise Policies), Policy files as Kestra applies them, and the migration
rules' fixes on real-world text (CRLF, BOMs, quoting, escapes, the corpus)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from conftest import REPO, write  # noqa: F401 - the shared test helpers live there

FLOW = """id: load_orders
namespace: company.sales
pluginDefaults:
  - type: io.kestra.plugin.scripts.python
    values:
      env:
        DB_URL: "{{ secret('DB_URL') }}"
tasks:
  - id: load
    type: io.kestra.plugin.scripts.python.Script
    env:
      DB_URL: "{{ secret('DB_URL') }}"
      AWS_ACCESS_KEY_ID: "{{ secret('AWS_ACCESS_KEY_ID') }}"
    script: |
      import os
      print(os.environ["DB_URL"], os.environ["API_TOKEN"])
"""
POLICY = """id: python-defaults
enforcement: ACTIVE
rules:
  - type: io.kestra.plugin.ee.rules.Add
    on: PLUGIN
    where:
      - field: type
        operator: STARTS_WITH
        value: io.kestra.plugin.scripts.python
    values:
      env:
        API_TOKEN: "{{ secret('API_TOKEN') }}"
        DB_URL: "{{ secret('DB_URL') }}"
"""


def lines(result) -> list[str]:
    return [line for line in result.lines if not line.startswith(("Found ", "All checks passed!"))]


# -- contract 2 follows the target -------------------------------------------------------


def test_contract_2_on_kestra_1x_reads_plugin_defaults(inprocess_cli, tmp_path: Path) -> None:
    write(tmp_path, "flows/load.yaml", FLOW)
    result = inprocess_cli("check", "--select", "CL2,CL4", cwd=tmp_path)
    assert lines(result) == [
        "flows/load.yaml:12:7: CL401 Env key 'DB_URL' of task 'load' repeats the value of plugin default "
        "'io.kestra.plugin.scripts.python' (flow pluginDefaults, line 4); remove it from the task",
        "flows/load.yaml:13:7: CL402 Env key 'AWS_ACCESS_KEY_ID' of task 'load' is a credential or shared runtime "
        "value; move it to pluginDefaults (type 'io.kestra.plugin.scripts.python.Script' or a prefix of it) so every "
        "task gets it from one place",
        "flows/load.yaml:16:35: CL203 Task 'load' does not provide environment variable 'API_TOKEN': KeyError at run "
        "time; add it to the task's env or to pluginDefaults",
    ]


def test_contract_2_on_kestra_2_open_source_asks_for_nothing_central(inprocess_cli, tmp_path: Path) -> None:
    write(tmp_path, "flows/load.yaml", FLOW)
    result = inprocess_cli("check", "--select", "CL2,CL4,CL601", "--kestra-version", "2.0", cwd=tmp_path)
    assert lines(result) == [
        "flows/load.yaml:3:1: CL601 `pluginDefaults` is removed in Kestra 2.0 and a flow that has it does not parse; "
        "open source has no central replacement: copy each entry's `values` onto the tasks of its type (or into flow "
        "`variables`, read as `{{ vars.… }}`) and delete the block",
        "flows/load.yaml:16:35: CL203 Task 'load' does not provide environment variable 'API_TOKEN': KeyError at run "
        "time; add it to the task's env",
    ]


def test_contract_2_on_kestra_2_enterprise_reads_policies(inprocess_cli, tmp_path: Path) -> None:
    write(tmp_path, "flows/load.yaml", FLOW)
    write(tmp_path, "policies/python.yaml", POLICY)
    write(tmp_path, ".contractlint.toml", 'kestra-version = "2.0"\npolicies = ["policies/python.yaml"]\n'
                                          'plugin-defaults = ["gone/application.yml"]\n')
    result = inprocess_cli("check", "--select", "CL2,CL4", cwd=tmp_path)
    assert lines(result) == [
        "flows/load.yaml:12:7: CL401 Env key 'DB_URL' of task 'load' repeats the value of policy 'python-defaults' "
        "(policies/python.yaml:4); remove it from the task",
        "flows/load.yaml:13:7: CL402 Env key 'AWS_ACCESS_KEY_ID' of task 'load' is a credential or shared runtime "
        "value; move it to a Policy `Add` rule (`where: type STARTS_WITH` a prefix of "
        "'io.kestra.plugin.scripts.python.Script'; `policyRefs:` for a REFERENCE policy) so every task gets it from "
        "one place",
    ]  # API_TOKEN comes from the policy; plugin-defaults files are not read on 2.x (this one does not exist)


def run_policy(inprocess_cli, tmp_path: Path, policy: str, flow: str, entry: str = '"policies/p.yaml"') -> list[str]:
    write(tmp_path, "flows/f.yaml", flow)
    write(tmp_path, "policies/p.yaml", policy)
    write(tmp_path, ".contractlint.toml", f'kestra-version = "2.0"\nedition = "ee"\npolicies = [{entry}]\n')
    return lines(inprocess_cli("check", "--select", "CL203", cwd=tmp_path))


SCRIPT_FLOW = """id: f
namespace: company.team.sales
tasks:
  - id: load
    type: io.kestra.plugin.scripts.python.Script
    script: |
      import os
      print(os.environ["TOKEN"])
"""
TOKEN_READ = "flows/f.yaml:8:13: CL203 Task 'load' does not provide environment variable 'TOKEN': KeyError at run time; "


def policy_with(where: str = "", extra: str = "", body: str = "") -> str:
    return (
        f"id: p\n{body}rules:\n  - type: io.kestra.plugin.ee.rules.Add\n    on: PLUGIN\n{extra}{where}"
        "    values:\n      env:\n        TOKEN: x\n"
    )


@pytest.mark.parametrize(
    ("where", "provided"),
    [
        ("    where:\n      - field: type\n        operator: EQUAL_TO\n        value: io.kestra.plugin.scripts.python.Script\n", True),
        ("    where:\n      - field: type\n        operator: ENDS_WITH\n        value: .Script\n", True),
        ("    where:\n      - field: type\n        operator: IN\n        value: [a.B, io.kestra.plugin.scripts.python.Script]\n", True),
        ("    where:\n      - field: type\n        operator: REGEX\n        value: 'io\\.kestra\\.plugin\\.scripts\\..*'\n", True),
        ("    where:\n      - field: type\n        operator: NOT_EQUAL_TO\n        value: io.kestra.plugin.scripts.python.Script\n", False),
        ("    where:\n      - field: containerImage\n        operator: IS_NULL\n", True),
        ("    where:\n      - field: type\n        operator: STARTS_WITH\n        value: io.kestra.core.tasks\n", False),
    ],
)
def test_policy_where_operators(inprocess_cli, tmp_path: Path, where: str, provided: bool) -> None:
    found = run_policy(inprocess_cli, tmp_path, policy_with(where), SCRIPT_FLOW)
    assert (found == []) is provided, found


def test_policy_enforcement_scope_and_references(inprocess_cli, tmp_path: Path) -> None:
    evaluate = run_policy(inprocess_cli, tmp_path, policy_with(body="enforcement: EVALUATE\n"), SCRIPT_FLOW)
    assert evaluate == [TOKEN_READ + "add it to the task's env or to a Policy `Add` rule; policy 'p' "
                        "(policies/p.yaml:4) provides it but its enforcement is EVALUATE, which injects nothing"]
    scoped = '{ path = "policies/p.yaml", namespace = "company.team" }'
    assert run_policy(inprocess_cli, tmp_path, policy_with(), SCRIPT_FLOW, scoped) == []  # a child namespace
    elsewhere = '{ path = "policies/p.yaml", namespace = "company.teams" }'
    assert run_policy(inprocess_cli, tmp_path, policy_with(), SCRIPT_FLOW, elsewhere) == [
        TOKEN_READ + "add it to the task's env or to a Policy `Add` rule; policy 'p' (policies/p.yaml:3) provides it "
        "but does not apply to namespace 'company.team.sales'"]
    targeted = policy_with(body="target:\n  namespaces: [company.team]\n")
    assert run_policy(inprocess_cli, tmp_path, targeted, SCRIPT_FLOW) == []
    reference = policy_with(body="enforcement: REFERENCE\n")
    task_refs = SCRIPT_FLOW.replace("    script: |", "    policyRefs: [p]\n    script: |")
    assert run_policy(inprocess_cli, tmp_path, reference, task_refs) == []


def test_policy_delete_rule_removes_what_the_task_had(inprocess_cli, tmp_path: Path) -> None:
    flow = SCRIPT_FLOW.replace("    script: |", "    env:\n      TOKEN: \"{{ secret('T') }}\"\n    script: |")
    delete = (
        "id: strip\nrules:\n  - type: io.kestra.plugin.ee.rules.Delete\n    on: PLUGIN\n    properties:\n"
        "      - env.TOKEN\n"
    )
    assert run_policy(inprocess_cli, tmp_path, delete, flow) == [
        TOKEN_READ.replace(":8:13:", ":10:13:") + "add it to the task's env or to a Policy `Add` rule"]


@pytest.mark.parametrize(
    "server_config",
    [
        # The migration guide's map form and the Policies page's list form.
        "kestra:\n  policies:\n    instance-defaults:\n      rules:\n        - type: io.kestra.plugin.ee.rules.Add\n"
        "          on: PLUGIN\n          override: true\n          values:\n            env:\n              TOKEN: x\n",
        "kestra:\n  policies:\n    - id: instance-defaults\n      rules:\n        - type: io.kestra.plugin.ee.rules.Add\n"
        "          on: PLUGIN\n          values:\n            env:\n              TOKEN: x\n",
        "services:\n  kestra:\n    environment:\n      KESTRA_CONFIGURATION: |\n        kestra.policies:\n"
        "          static:\n            rules:\n              - type: io.kestra.plugin.ee.rules.Add\n"
        "                on: PLUGIN\n                values: {env: {TOKEN: x}}\n",
    ],
)
def test_static_policies_from_server_configuration(inprocess_cli, tmp_path: Path, server_config: str) -> None:
    assert run_policy(inprocess_cli, tmp_path, server_config, SCRIPT_FLOW) == []


@pytest.mark.parametrize(
    ("policy", "message"),
    [
        ("id: p\nrules: [", "error: policies file policies/p.yaml:2:9: YAML does not parse: "),  # the end of the text
        ("a: 1\n", "error: policies file policies/p.yaml holds no Kestra Policy: expected a policy (`id`, `rules`) "
         "or a server configuration with `kestra.policies`\n"),
        ("id: p\nrules:\n  - type: io.kestra.plugin.ee.rules.Add\n    on: PLUGIN\n    where:\n      - field: type\n"
         "        operator: LIKE\n        value: x\n", "error: policies file policies/p.yaml:6: a `where` condition "
         "needs a `field` and an `operator` (one of EQUAL_TO"),
        ("rules: []\n", "error: policies file policies/p.yaml:1: a policy needs an `id`\n"),
        ("id: p\nrules:\n  - type: io.kestra.plugin.ee.rules.Add\n    values: {}\n",
         "error: policies file policies/p.yaml:3: rule 1 of policy 'p' needs `on: PLUGIN` or `on: FLOW`\n"),
        ("id: p\nenforcement: ON\nrules: []\n", "error: policies file policies/p.yaml:2: policy 'p' has an unknown "
         "enforcement (one of ACTIVE, EVALUATE, DISABLED, REFERENCE)\n"),
    ],
)
def test_invalid_policy_files_are_configuration_errors(inprocess_cli, tmp_path: Path, policy: str, message: str) -> None:
    write(tmp_path, "flows/f.yaml", SCRIPT_FLOW)
    write(tmp_path, "policies/p.yaml", policy)
    write(tmp_path, ".contractlint.toml", 'kestra-version = "2.0"\npolicies = ["policies/p.yaml"]\n')
    result = inprocess_cli("check", cwd=tmp_path)
    assert result.code == 2 and result.stderr.startswith(message), result.stderr


def test_missing_policy_file_is_a_configuration_error_only_where_policies_apply(inprocess_cli, tmp_path: Path) -> None:
    write(tmp_path, "flows/f.yaml", SCRIPT_FLOW)
    write(tmp_path, ".contractlint.toml", 'edition = "ee"\npolicies = ["policies/missing.yaml"]\n')
    assert inprocess_cli("check", "--select", "CL203", cwd=tmp_path).code == 1  # 1.x: policies are not read
    result = inprocess_cli("check", "--kestra-version", "2.0", cwd=tmp_path)
    assert result.code == 2 and "cannot read policies file" in result.stderr


# -- migration fixes on real-world text ----------------------------------------------------

RENAMES = """\ufeffid: renames # é
namespace: company.team
inputs:
  - name: enabled
    type: BOOLEAN
tasks:
  - id: if
    type: io.kestra.core.tasks.flows.If  # legacy
    condition: "{{ json(inputs.payload).ok }}"
    then:
      - id: wait
        type: io.kestra.plugin.core.flow.Pause
        delay: PT1M
        retry: {type: constant, interval: PT1S, maxAttempt: 2}
"""


def test_renames_keep_crlf_bom_comments_and_quotes(inprocess_cli, tmp_path: Path) -> None:
    path = write(tmp_path, "flows/renames.yaml", RENAMES.replace("\n", "\r\n"))
    listed = inprocess_cli("check", "--select", "CL6", "--kestra-version", "2.0", "--format", "json", cwd=tmp_path)
    positions = [(d["code"], d["line"], d["column"], d["end_column"]) for d in json.loads(listed.stdout)["diagnostics"]]
    assert positions == [
        ("CL612", 4, 5, 9), ("CL613", 5, 11, 18), ("CL611", 8, 11, 40), ("CL617", 9, 20, 24), ("CL615", 13, 9, 14),
        ("CL614", 14, 49, 59),
    ]
    fixed = inprocess_cli("check", "--select", "CL6", "--kestra-version", "2.0", "--fix", cwd=tmp_path)
    assert fixed.code == 0, fixed.stdout
    expected = (
        RENAMES.replace("- name: enabled", "- id: enabled").replace("BOOLEAN", "BOOL")
        .replace("io.kestra.core.tasks.flows.If", "io.kestra.plugin.core.flow.If").replace("json(", "fromJson(")
        .replace("delay:", "pauseDuration:").replace("maxAttempt:", "maxAttempts:")
    )
    assert path.read_bytes() == expected.replace("\n", "\r\n").encode("utf-8")


def test_a_flow_with_nothing_to_fix_is_left_byte_for_byte(inprocess_cli, tmp_path: Path) -> None:
    text = ("id: clean\r\nnamespace: company.team\r\ntasks:\r\n  - id: loop\r\n    type: io.kestra.plugin.core.flow.Loop\r\n"
            "    values: [1]\r\n    tasks:\r\n      - id: log\r\n        type: io.kestra.plugin.core.log.Log\r\n"
            "        message: \"{{ fromJson(item.value) | toJson }}\"   \r\n")
    path = write(tmp_path, "flows/clean.yaml", "\ufeff" + text)
    before = path.read_bytes()
    result = inprocess_cli("check", "--select", "CL6", "--kestra-version", "2.0", "--fix", cwd=tmp_path)
    assert (result.code, path.read_bytes()) == (0, before)


def test_pebble_behind_escapes_is_reported_without_a_fix(inprocess_cli, tmp_path: Path) -> None:
    flow = ('id: escaped\nnamespace: company.team\ntasks:\n  - id: log\n    type: io.kestra.plugin.core.log.Log\n'
            '    message: "{{ json(\\"{}\\") }} and {{ x | json }}"\n')
    path = write(tmp_path, "flows/escaped.yaml", flow)
    listed = inprocess_cli("check", "--select", "CL617", "--kestra-version", "2.0", "--format", "json", cwd=tmp_path)
    found = json.loads(listed.stdout)["diagnostics"]
    assert [(d["line"], d["column"], d["fix"]) for d in found] == [(6, 14, None), (6, 14, None)]
    assert [d["message"].rsplit("write ", 1)[1] for d in found] == ["`fromJson`", "`toJson` (the filter)"]
    inprocess_cli("check", "--select", "CL617", "--kestra-version", "2.0", "--fix", cwd=tmp_path)
    assert path.read_text() == flow


def test_fixing_the_corpus_for_2_0_converges(cli, corpus: Path, tmp_path: Path) -> None:
    # The copies must be writable: --fix refuses read-only files (the corpus is).
    shutil.copytree(corpus, tmp_path / "flows", copy_function=shutil.copyfile)
    fixed = cli("check", "flows", "--kestra-version", "2.0", "--select", "CL6", "--fix", "--exit-zero", "--format",
                "json", cwd=tmp_path)
    assert "Traceback" not in fixed.stderr and "internal error" not in fixed.stderr and "not applied" not in fixed.stderr
    remaining = json.loads(fixed.stdout)["diagnostics"]
    assert not [d for d in remaining if d["fix"] is not None and d["fix"]["applicability"] == "safe"]
    assert not [d for d in remaining if d["code"] in ("CL611", "CL612", "CL613", "CL614", "CL615", "CL617")]
    again = cli("check", "flows", "--select", "CL0", cwd=tmp_path)
    assert again.code == 0, again.stdout  # every fixed file still reads and parses
