"""Contract 2 and hardcoded secrets: CL401, CL402, CL403, and the YAML edit that
deletes a mapping entry (contractlint.flow.edits)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from contractlint.diagnostics import Span
from contractlint.fixes import apply_edits
from contractlint.flow import yaml_nodes as yn
from contractlint.flow.edits import delete_entry, shared_nodes
from contractlint.rules.credentials import (
    is_literal_secret,
    is_secret_env_name,
    is_secret_property,
    matches_any,
)
from contractlint.source import SourceFile

REPO = Path(__file__).resolve().parents[1]
FIXTURES = REPO / "flows_fixtures"


# -- deleting a mapping entry ----------------------------------------------------------


def mapping_at(root, path: tuple):
    """The node at ``path`` (keys and sequence indexes) and the (parent, index) of the
    entry holding it."""
    node, parent = root, None
    for part in path:
        if isinstance(part, int):
            node, parent = node.value[part], None
            continue
        index = [yn.scalar_text(k) for k, _ in node.value].index(part)
        parent = (node, index)
        node = node.value[index][1]
    return node, parent


def delete(text: str, key: str, path: tuple = ("env",)) -> str | None:
    source = SourceFile("flow.yaml", text)
    root = yn.compose_documents(source)[0]
    mapping, parent = mapping_at(root, path)
    index = [yn.scalar_text(k) for k, _ in mapping.value].index(key)
    edit = delete_entry(source, mapping, index, parent)
    if edit is None:
        return None
    assert edit.span == source.span(edit.start, edit.end)
    return apply_edits(text, [edit])


DELETIONS = [
    pytest.param(
        "env:\n  # about A\n  A: x   # trailing\n  # about B\n  B: y\nid: 1\n",
        "A",
        "env:\n  # about B\n  B: y\nid: 1\n",
        id="comment-above-and-trailing-comment-go-next-comment-stays",
    ),
    pytest.param(
        "env:\n  A: x\n  # about B\n  B: y  # trailing\nid: 1\n",
        "B",
        "env:\n  A: x\nid: 1\n",
        id="last-entry-with-its-comments",
    ),
    pytest.param(
        "env:\n  A: x\n  # about the group\n\n  B: y\n  C: z\n",
        "B",
        "env:\n  A: x\n  # about the group\n\n  C: z\n",
        id="comment-separated-by-blank-line-stays",
    ),
    pytest.param(
        "env:\n  A: x\n# top-level note\n  B: y\n  C: z\n",
        "B",
        "env:\n  A: x\n# top-level note\n  C: z\n",
        id="comment-at-other-indentation-stays",
    ),
    pytest.param("env:\n  A: x\n  B: y", "B", "env:\n  A: x", id="last-line-without-newline"),
    pytest.param("env:\r\n  A: x\r\n  B: y", "B", "env:\r\n  A: x", id="crlf-last-line-without-newline"),
    pytest.param(
        "env:\r\n  # a\r\n  A: x # c\r\n  B: y\r\n", "A", "env:\r\n  B: y\r\n", id="crlf-with-comments"
    ),
    pytest.param(
        "env:\n  C: |\n    line1\n    # part of the value\n\n  D: z\n",
        "C",
        "env:\n\n  D: z\n",
        id="block-scalar-value",
    ),
    pytest.param(
        "env:\n  C: >-  # folded\n    one\n    two\n  D: z\n", "C", "env:\n  D: z\n", id="folded-scalar-with-comment"
    ),
    pytest.param(
        'env:\n  A: x\n  D: "quoted\n    # not a comment\n    spanning"\n  E: z\n',
        "D",
        "env:\n  A: x\n  E: z\n",
        id="quoted-value-spanning-lines",
    ),
    pytest.param(
        "env:\n  A: plain\n    continued\n  B: y\n", "A", "env:\n  B: y\n", id="plain-value-spanning-lines"
    ),
    pytest.param(
        "env:\n  A: café  # crème\n  B: ü\n", "A", "env:\n  B: ü\n", id="multi-byte-characters"
    ),
    pytest.param("env: {A: x, B: y}\nid: 1\n", "A", "env: {B: y}\nid: 1\n", id="flow-first"),
    pytest.param("env: {A: x, B: y}\nid: 1\n", "B", "env: {A: x}\nid: 1\n", id="flow-last"),
    pytest.param("env: { A: x, B: y, C: z }\n", "B", "env: { A: x, C: z }\n", id="flow-middle-spaced"),
    pytest.param("env: {A: x,\n  B: y}\nid: 1\n", "A", None, id="flow-spanning-lines-not-edited"),
    pytest.param("env:\n  ? A\n  : x\n  B: y\n", "A", None, id="explicit-key-not-edited"),
    pytest.param(
        "id: 1\n# the env\nenv: # inline\n  # a\n  A: x\nother: 2\n", "A", "id: 1\nother: 2\n", id="sole-entry-deletes-env"
    ),
    pytest.param("id: 1\nenv:\n  A: x", "A", "id: 1", id="sole-entry-at-end-of-file"),
    pytest.param("id: 1\nenv: {A: x}\nother: 2\n", "A", "id: 1\nother: 2\n", id="sole-entry-flow-env"),
]


@pytest.mark.parametrize(("text", "key", "expected"), DELETIONS)
def test_delete_entry(text: str, key: str, expected: str | None) -> None:
    assert delete(text, key) == expected


def test_delete_entry_in_a_sequence_item_moves_the_next_key_up() -> None:
    text = "tasks:\n  - env:\n      A: x  # c\n    id: t\n    type: x\n"
    assert delete(text, "A", ("tasks", 0, "env")) == "tasks:\n  - id: t\n    type: x\n"
    flow_task = "tasks:\n  - {id: t, env: {A: x}, type: y}\n"
    assert delete(flow_task, "A", ("tasks", 0, "env")) == "tasks:\n  - {id: t, type: y}\n"


def test_delete_only_entry_without_parent_is_no_edit() -> None:
    source = SourceFile("flow.yaml", "env:\n  A: x\n")
    env = yn.get_value(yn.compose_documents(source)[0], "env")
    assert delete_entry(source, env, 0) is None


def test_shared_nodes_are_anchors_with_aliases() -> None:
    source = SourceFile("flow.yaml", "a: &env {A: x}\nb: *env\nc: &unused {B: y}\n")
    root = yn.compose_documents(source)[0]
    shared = shared_nodes(root)
    assert shared == {id(yn.get_value(root, "a"))}


# -- names and values --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "secret"),
    [
        ("API_TOKEN", True),
        ("GITHUB_TOKEN", True),
        ("NGROK_AUTHTOKEN", True),
        ("AWS_SECRET_ACCESS_KEY", True),
        ("AWS_ACCESS_KEY_ID", True),
        ("DB_PASSWORD", True),
        ("tf_var_db_password", True),
        ("SSH_PRIVATE_KEY", True),
        ("SOURCES__ZENDESK__CREDENTIALS__PASSWORD", True),
        ("AWS_REGION", False),
        ("DB_HOST", False),
        ("GOOGLE_APPLICATION_CREDENTIALS", False),
        ("TOKEN_URL", False),
        ("SECRET_NAME", False),
        ("PASSWORD_FILE", False),
        ("MAX_TOKENS", False),
        ("OPENAI_MAX_TOKENS", False),
        ("TOKENIZERS_PARALLELISM", False),
        ("SOURCES__ZENDESK__CREDENTIALS__EMAIL", False),
    ],
)
def test_secret_env_names(name: str, secret: bool) -> None:
    assert is_secret_env_name(name) is secret


@pytest.mark.parametrize(
    ("name", "secret"),
    [
        ("password", True),
        ("apiKey", True),
        ("api_key", True),
        ("API-KEY", True),
        ("token", True),
        ("secretKeyId", True),
        ("accessKeyId", True),
        ("secretAccessKey", True),
        ("privateKey", True),
        ("clientSecret", True),
        ("serviceAccount", True),
        ("apiToken", True),
        ("accessToken", True),
        ("channelAccessToken", True),
        ("basicAuthPassword", True),
        ("Authorization", True),
        ("X-Api-Key", True),
        ("maxTokens", False),
        ("maxToken", False),
        ("tokenUrl", False),
        ("passwordField", False),
        ("username", False),
        ("keyFile", False),
        ("serviceAccountName", False),
    ],
)
def test_secret_properties(name: str, secret: bool) -> None:
    assert is_secret_property(name) is secret


@pytest.mark.parametrize(
    ("value", "literal"),
    [
        ("s3cr3t", True),
        ("12345", True),
        ('"abc{# a note #}"', True),
        ("'{{ secret(\"X\") }}'", False),
        ("\"{{ kv('X') }}\"", False),
        ('"{{ envs.db_password }}"', False),
        ('"{{ inputs.pw }}"', False),
        ("\"Bearer {{ secret('T') }}\"", False),
        # Text outside {{ }} that is more than a scheme is written into the flow (issue 10):
        ('"{% if true %}x{% endif %}"', True),
        ("\"sk-live-abc123{{ '' }}\"", True),
        ("\"{{ secret('A') }}hunter2\"", True),
        ("\"Basic {{ secret('B') }}\"", False),
        ("\"https://{{ secret('URL') }}\"", False),
        ("\"{{ kv('USER') }}:{{ secret('PASS') }}\"", False),
        ("\"{{ secret('T') }} {# rotated monthly #}\"", False),
        ('""', False),
        ("''", False),
        ("null", False),
        ("~", False),
        ("true", False),
        ("{a: 1}", False),
    ],
)
def test_literal_secret_values(value: str, literal: bool) -> None:
    source = SourceFile("x.yaml", f"password: {value}\n")
    node = yn.get_value(yn.compose_documents(source)[0], "password")
    assert is_literal_secret(node) is literal


def test_credential_patterns_match_without_case() -> None:
    assert matches_any("aws_secret", ["AWS_*"])
    assert matches_any("DB_HOST", ["db_*"])
    assert not matches_any("MY_DB_HOST", ["DB_*"])


# -- the rules end to end ----------------------------------------------------------------


def project(tmp_path: Path, config: str = "") -> Path:
    """A project in tmp_path with this repository's CL4 fixtures."""
    for folder in ("bad", "good", "kestra"):
        (tmp_path / "flows_fixtures" / folder).mkdir(parents=True)
    for name in ("bad/cl4_credentials.yaml", "good/cl4_credentials.yaml", "kestra/cl4_application.yml"):
        shutil.copy(FIXTURES / name, tmp_path / "flows_fixtures" / name)
    (tmp_path / "pyproject.toml").write_text(
        '[tool.contractlint]\nplugin-defaults = ["flows_fixtures/kestra/cl4_application.yml"]\n' + config,
        encoding="utf-8",
    )
    return tmp_path


BAD = "flows_fixtures/bad/cl4_credentials.yaml"


def test_bad_fixture_reports_every_case(cli, tmp_path: Path) -> None:
    root = project(tmp_path)
    result = cli("check", BAD, "--select", "CL4", cwd=root)
    assert result.code == 1, result.stderr
    assert result.stderr == ""
    assert result.lines == [
        f"{BAD}:15:7: CL402 Env key 'AWS_ACCESS_KEY_ID' of task 'extract' is a credential or shared runtime value; "
        "move it to pluginDefaults (type 'io.kestra.plugin.scripts.shell.Commands' or a prefix of it) so every task "
        "gets it from one place",
        f"{BAD}:16:7: CL402 Env key 'AWS_SECRET_ACCESS_KEY' of task 'extract' is a credential or shared runtime "
        "value; move it to pluginDefaults (type 'io.kestra.plugin.scripts.shell.Commands' or a prefix of it) so "
        "every task gets it from one place",
        f"{BAD}:27:11: CL401 Env key 'DBT_TARGET' of task 'dbt_build' is never used: forced plugin default "
        "'io.kestra.plugin.dbt' (flow pluginDefaults, line 65) overrides it; remove it from the task",
        f"{BAD}:36:7: CL401 Env key 'DB_HOST' of task 'load' repeats the value of plugin default "
        "'io.kestra.plugin.scripts' (flow pluginDefaults, line 61); remove it from the task",
        f"{BAD}:37:7: CL401 Env key 'DB_PORT' of task 'load' shadows plugin default 'io.kestra.plugin.scripts' "
        "(flows_fixtures/kestra/cl4_application.yml:13) with a different value; keep one: remove it from the task "
        "or change the default",
        f"{BAD}:45:7: CL401 Env key 'AWS_DEFAULT_REGION' of task 'plan' is never used: forced plugin default "
        "'io.kestra.plugin.terraform' (flows_fixtures/kestra/cl4_application.yml:17) overrides it; remove it from "
        "the task",
        f"{BAD}:46:7: CL402 Env key 'TF_VAR_db_password' of task 'plan' is a credential or shared runtime value; "
        "move it to pluginDefaults (type 'io.kestra.plugin.terraform.cli.TerraformCLI' or a prefix of it) so every "
        "task gets it from one place",
        f"{BAD}:46:27: CL403 Hardcoded secret in env key 'TF_VAR_db_password' of task 'plan'; use "
        "\"{{ secret('TF_VAR_db_password') }}\" and store the value in Kestra's secrets",
        f"{BAD}:58:19: CL403 Hardcoded secret in property 'options.auth.password' of task 'notify'; use a "
        "\"{{ secret('…') }}\" expression and store the value in Kestra's secrets",
        "Found 9 diagnostics in 1 file (3 fixable with --fix).",
    ]


def test_good_fixture_passes_every_rule(cli, tmp_path: Path) -> None:
    root = project(tmp_path)
    result = cli("check", "flows_fixtures/good/cl4_credentials.yaml", "flows_fixtures/kestra", cwd=root)
    assert (result.code, result.stdout, result.stderr) == (0, "All checks passed!\n", "")


def test_fix_deletes_only_the_entries_byte_for_byte(cli, tmp_path: Path) -> None:
    root = project(tmp_path)
    bad = root / BAD
    original = bad.read_bytes()
    result = cli("check", BAD, "--select", "CL401", "--fix", cwd=root)
    assert result.code == 1, result.stderr  # the shadowing DB_PORT has no fix
    removed = [
        b"          DBT_TARGET: dev\n",
        b"      # the warehouse host, as the default has it\n      DB_HOST: db.internal  # repeated\n",
        b"      AWS_DEFAULT_REGION: us-east-1\n",
    ]
    expected = original
    for chunk in removed:
        assert expected.count(chunk) == 1
        expected = expected.replace(chunk, b"")
    assert bad.read_bytes() == expected
    assert result.lines[-1] == "Found 1 diagnostic in 1 file."
    assert "Fixed 3 diagnostics." in result.lines


def test_fix_in_a_crlf_file_keeps_crlf_and_everything_else(cli, tmp_path: Path) -> None:
    text = (
        "id: crlf\r\n"
        "namespace: company.team\r\n"
        "pluginDefaults:\r\n"
        "  - type: io.kestra.plugin.scripts\r\n"
        "    values:\r\n"
        "      env:\r\n"
        "        DB_HOST: db.internal\r\n"
        "        REGION: eu\r\n"
        "tasks:\r\n"
        "  - id: load  # café\r\n"
        "    type: io.kestra.plugin.scripts.shell.Commands\r\n"
        "    env:\r\n"
        "      # shared host\r\n"
        "      DB_HOST: db.internal   # same as the default\r\n"
        "      CHANNEL: \"{{ inputs.channel }}\"\r\n"
        "      REGION: 'eu'\r\n"
        "    commands:\r\n"
        "      - ./load.sh"
    )
    path = tmp_path / "flows" / "crlf.yaml"
    path.parent.mkdir()
    path.write_bytes(text.encode("utf-8"))
    result = cli("check", "flows/crlf.yaml", "--select", "CL401", "--fix", cwd=tmp_path)
    assert (result.code, result.stderr) == (0, ""), result.stdout
    assert path.read_bytes().decode("utf-8") == text.replace(
        "      # shared host\r\n      DB_HOST: db.internal   # same as the default\r\n", ""
    ).replace("      REGION: 'eu'\r\n", "")


def test_fixing_every_entry_of_an_env_removes_the_env(cli, tmp_path: Path) -> None:
    head = (
        "id: all_redundant\nnamespace: company.team\n"
        "pluginDefaults:\n  - type: io.kestra.plugin.scripts\n    values:\n      env:\n"
        "        A: \"1\"\n        B: \"2\"\n        C: \"3\"\n"
        "tasks:\n  - id: run\n    type: io.kestra.plugin.scripts.shell.Commands\n"
    )
    tail = "    commands:\n      - ./run.sh\n"
    path = tmp_path / "flow.yaml"
    path.write_text(head + "    env:\n      A: 1\n      B: \"2\"\n      C: '3'\n" + tail, encoding="utf-8")
    result = cli("check", "flow.yaml", "--select", "CL401", "--fix", cwd=tmp_path)
    assert (result.code, result.stderr) == (0, ""), result.stdout
    assert path.read_text("utf-8") == head + tail


def test_fixes_emptying_an_env_are_applied_one_per_round(tmp_path: Path) -> None:
    """Each fix of an env that would be emptied overlaps the others, so a suppressed
    entry is never deleted together with them; only a sole entry's fix deletes `env:`."""
    from contractlint.config import CommandLine, settings_from_table
    from contractlint.fixes import select_fixes
    from contractlint.runner import build_linter

    text = (
        "id: f\nnamespace: company.team\n"
        "pluginDefaults:\n  - type: io.kestra\n    values:\n      env:\n        A: x\n        B: y\n"
        "tasks:\n  - id: t\n    type: io.kestra.plugin.scripts.shell.Commands\n"
        "    env:\n      A: x\n      B: y\n"
    )
    linter = build_linter(settings_from_table({}, tmp_path, None, CommandLine(select=("CL401",))))
    diagnostics = linter.lint_bytes("f.yaml", text.encode()).diagnostics
    assert [d.span.line for d in diagnostics] == [13, 14]
    assert len(select_fixes(diagnostics, unsafe_fixes=False)) == 1
    # Alone (as when the other entry's diagnostic is suppressed), B's fix deletes B only.
    assert apply_edits(text, list(diagnostics[1].fix.edits)) == text.removesuffix("      B: y\n")


def test_aliased_env_and_duplicate_keys_are_reported_without_fix(tmp_path: Path) -> None:
    from contractlint.config import CommandLine, settings_from_table
    from contractlint.runner import build_linter

    text = (
        "id: f\nnamespace: company.team\n"
        "pluginDefaults:\n  - type: io.kestra.plugin.scripts\n    values:\n      env:\n        A: x\n        B: y\n"
        "tasks:\n"
        "  - id: one\n    type: io.kestra.plugin.scripts.shell.Commands\n    env: &common\n      A: x\n      C: z\n"
        "  - id: two\n    type: io.kestra.plugin.scripts.python.Commands\n    env: *common\n"
        "  - id: three\n    type: io.kestra.plugin.scripts.shell.Commands\n    env:\n      B: other\n      B: y\n"
        "      D: w\n"
    )
    linter = build_linter(settings_from_table({}, tmp_path, None, CommandLine(select=("CL401",))))
    diagnostics = linter.lint_bytes("f.yaml", text.encode()).diagnostics
    found = [(d.span.line, d.task, d.fix) for d in diagnostics]
    # The shared env is reported for each task using it (their defaults may differ) and
    # never fixed; of duplicate keys only the last one counts, and deleting it would
    # revive the first: no fix.
    assert found == [(13, "one", None), (13, "two", None), (22, "three", None)]


def test_trigger_env_is_checked(cli, tmp_path: Path) -> None:
    (tmp_path / "flow.yaml").write_text(
        "id: f\nnamespace: company.team\ntasks:\n  - id: hello\n    type: io.kestra.plugin.core.log.Log\n"
        "    message: hi\ntriggers:\n  - id: poll\n    type: io.kestra.plugin.scripts.python.Trigger\n"
        "    env:\n      API_TOKEN: \"{{ secret('API_TOKEN') }}\"\n    password: letmein\n",
        encoding="utf-8",
    )
    result = cli("check", "flow.yaml", "--select", "CL4", "--format", "json", cwd=tmp_path)
    found = [(d["code"], d["line"], d["column"], d["task"]) for d in json.loads(result.stdout)["diagnostics"]]
    assert found == [("CL402", 11, 7, "poll"), ("CL403", 12, 15, "poll")]


def test_global_defaults_in_older_and_dotted_server_keys(cli, tmp_path: Path) -> None:
    (tmp_path / "kestra.yml").write_text(
        "kestra.tasks.defaults:\n  - type: io.kestra.plugin.dbt\n    values:\n      env:\n        DBT_TARGET: prod\n",
        encoding="utf-8",
    )
    (tmp_path / "pyproject.toml").write_text('[tool.contractlint]\nplugin-defaults = ["kestra.yml"]\n', "utf-8")
    (tmp_path / "flow.yaml").write_text(
        "id: f\nnamespace: company.team\ntasks:\n  - id: build\n    type: io.kestra.plugin.dbt.cli.DbtCLI\n"
        "    env:\n      DBT_TARGET: dev\n    commands:\n      - dbt build\n",
        encoding="utf-8",
    )
    result = cli("check", "flow.yaml", "--select", "CL401", cwd=tmp_path)
    assert result.lines[0] == (
        "flow.yaml:7:7: CL401 Env key 'DBT_TARGET' of task 'build' shadows plugin default 'io.kestra.plugin.dbt' "
        "(kestra.yml:2) with a different value; keep one: remove it from the task or change the default"
    )


def test_ignore_patterns_option_replaces_the_default(cli, tmp_path: Path) -> None:
    (tmp_path / "flow.yaml").write_text(
        "id: f\nnamespace: company.team\ntasks:\n  - id: ask\n    type: io.kestra.plugin.scripts.python.Commands\n"
        "    env:\n      MAX_TOKENS: \"800\"\n      DB_SCHEMA: staging\n    commands:\n      - python ask.py\n",
        encoding="utf-8",
    )
    result = cli("check", "flow.yaml", "--select", "CL402", cwd=tmp_path)
    assert [line.split(": CL402 ")[0] for line in result.lines[:-1]] == ["flow.yaml:8:7"]
    (tmp_path / "pyproject.toml").write_text(
        '[tool.contractlint.rules.CL402]\nignore-patterns = ["DB_SCHEMA"]\n', encoding="utf-8"
    )
    result = cli("check", "flow.yaml", "--select", "CL402", cwd=tmp_path)
    assert [line.split(": CL402 ")[0] for line in result.lines[:-1]] == ["flow.yaml:7:7"]


# -- no secret reaches any output ---------------------------------------------------------

SECRETS = ("hunter2-Zq9v", "xoxb-99-SECRET-abc", "MIIEvQIBADANBgkq", "ZmFrZS1rZXktbGluZQ", "s3cr3t-Pa55w0rd")
SECRET_FLOW = f"""id: leaky
namespace: company.team

tasks:
  - id: load
    type: io.kestra.plugin.scripts.shell.Commands
    env:
      DB_PASSWORD: {SECRETS[0]}
      SLACK_BOT_TOKEN: "{SECRETS[1]}"
    commands:
      - ./load.sh
  - id: upload
    type: io.kestra.plugin.gcp.gcs.Upload
    serviceAccount: |
      {SECRETS[2]}
      {SECRETS[3]}
    from: data.csv
    to: gs://bucket/data.csv

pluginDefaults:
  - type: io.kestra.plugin.jdbc
    values:
      password: '{SECRETS[4]}'
  - type: io.kestra.plugin.scripts.shell
    values:
      env:
        SLACK_BOT_TOKEN: "{{{{ secret('SLACK_BOT_TOKEN') }}}}"

triggers:
  - id: hourly
    cron: "0 * * * *"
"""

OUTPUTS = [
    pytest.param(("--format", "text", "--show-source"), id="text-show-source"),
    pytest.param(("--format", "text", "--no-show-source"), id="text"),
    pytest.param(("--format", "json"), id="json"),
    pytest.param(("--format", "sarif"), id="sarif"),
    pytest.param(("--format", "github"), id="github"),
    pytest.param(("--statistics",), id="statistics"),
    # Excerpts of CL401/CL402 show the lines around an env entry, with or without CL403.
    pytest.param(("--select", "CL401", "--show-source"), id="CL401-only-show-source"),
    pytest.param(("--select", "CL402", "--show-source"), id="CL402-only-show-source"),
    # Excerpts of rules that know nothing of secrets hide them too.
    pytest.param(("--select", "CL002", "--show-source"), id="CL002-only-show-source"),
]


@pytest.mark.parametrize("options", OUTPUTS)
def test_no_secret_value_reaches_any_output(cli, tmp_path: Path, options: tuple[str, ...]) -> None:
    (tmp_path / "flows").mkdir()
    (tmp_path / "flows" / "leaky.yaml").write_text(SECRET_FLOW, encoding="utf-8")
    result = cli("check", "flows", *options, cwd=tmp_path)
    assert result.code == 1, result.stderr
    expected = options[1] if options[0] == "--select" else "CL403"
    assert expected in result.stdout
    output = result.stdout + result.stderr
    leaked = [secret for secret in SECRETS if secret in output]
    assert leaked == []


def test_no_secret_value_reaches_a_diff(cli, tmp_path: Path) -> None:
    flow = (
        "id: f\nnamespace: company.team\ntasks:\n  - id: load\n    type: io.kestra.plugin.scripts.shell.Commands\n"
        f"    env:\n      DB_PASSWORD: {SECRETS[0]}\n      DB_HOST: db.internal\n    commands:\n      - ./load.sh\n"
        "pluginDefaults:\n  - type: io.kestra.plugin.scripts\n    values:\n      env:\n        DB_HOST: db.internal\n"
    )
    (tmp_path / "f.yaml").write_text(flow, encoding="utf-8")
    result = cli("check", "f.yaml", "--diff", cwd=tmp_path)
    assert result.lines == [
        "--- a/f.yaml",
        "+++ b/f.yaml",
        "@@ -5,7 +5,6 @@",
        "     type: io.kestra.plugin.scripts.shell.Commands",
        "     env:",
        "       DB_PASSWORD: ********",
        "-      DB_HOST: db.internal",
        "     commands:",
        "       - ./load.sh",
        " pluginDefaults:",
    ]
    assert (tmp_path / "f.yaml").read_text(encoding="utf-8") == flow


def test_secret_diagnostics_carry_redactions_and_clean_fingerprints(tmp_path: Path) -> None:
    from contractlint.config import CommandLine, settings_from_table
    from contractlint.runner import build_linter

    linter = build_linter(settings_from_table({}, tmp_path, None, CommandLine(select=("CL403",))))
    result = linter.lint_bytes("flows/leaky.yaml", SECRET_FLOW.encode("utf-8"))
    source = result.source
    found = []
    # Every diagnostic of the file hides every secret of the file (its excerpt may show
    # the lines around another one), its own included. A quoted value is hidden inside
    # its quotes (issue 10: the excerpt still reads as YAML).
    assert set(result.redactions) == {Span(8, 20, 8, 32), Span(9, 25, 9, 43), Span(14, 21, 16, 25), Span(23, 18, 23, 33)}
    for diagnostic in result.diagnostics:
        assert set(result.redactions) <= set(diagnostic.redactions)
        span = diagnostic.span
        shown = source.text[source.offset(span.line, span.column) : source.offset(span.end_line, span.end_column)]
        found.append((span, diagnostic.fingerprint_text, shown.strip("'\"|\n ").split()[0]))
        for secret in SECRETS:
            assert secret not in diagnostic.message and secret not in diagnostic.fingerprint_text
    assert found == [
        (Span(8, 20, 8, 32), "task 'load' env.DB_PASSWORD", SECRETS[0]),
        (Span(9, 24, 9, 44), "task 'load' env.SLACK_BOT_TOKEN", SECRETS[1]),
        (Span(14, 21, 16, 25), "task 'upload' serviceAccount", SECRETS[2]),
        (Span(23, 17, 23, 34), "plugin default 'io.kestra.plugin.jdbc' values.password", SECRETS[4]),
    ]


# -- the blueprint corpus -------------------------------------------------------------------


def test_corpus_lints_and_no_cl403_message_repeats_its_value(cli, corpus: Path) -> None:
    result = cli("check", str(corpus), "--select", "CL4", "--format", "json", cwd=corpus.parent)
    assert result.stderr == ""
    assert result.code == 1
    diagnostics = json.loads(result.stdout)["diagnostics"]
    assert {d["code"] for d in diagnostics} <= {"CL401", "CL402", "CL403"}
    for diagnostic in diagnostics:
        if diagnostic["code"] != "CL403":
            continue
        lines = (corpus.parent / diagnostic["path"]).read_text("utf-8").splitlines()
        value = lines[diagnostic["line"] - 1][diagnostic["column"] - 1 : diagnostic["end_column"] - 1]
        assert value and value.strip("'\"") not in diagnostic["message"]


def test_an_overridden_duplicate_secret_is_still_reported(tmp_path: Path) -> None:
    from contractlint.config import CommandLine, settings_from_table
    from contractlint.runner import build_linter

    text = (
        "id: f\nnamespace: company.team\ntasks:\n  - id: t\n    type: io.kestra.plugin.scripts.shell.Commands\n"
        "    env:\n      API_TOKEN: old-literal-token\n      API_TOKEN: \"{{ secret('API_TOKEN') }}\"\n"
        "    commands:\n      - ./run.sh\n"
    )
    linter = build_linter(settings_from_table({}, tmp_path, None, CommandLine(select=("CL403",))))
    diagnostics = linter.lint_bytes("f.yaml", text.encode()).diagnostics
    assert [(d.span, d.redactions) for d in diagnostics] == [(Span(7, 18, 7, 35), (Span(7, 18, 7, 35),))]
