"""No output shows a secret (issue 10): source excerpts and ``--diff`` hide every
credential of the file — in YAML that does not parse, in every document, in lists
and maps, behind a Pebble decoration, and what is plainly a credential even where
no rule reports it — and no message or fingerprint repeats one."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import write
from contractlint.config import CommandLine, settings_from_table
from contractlint.redaction import is_secret_name
from contractlint.runner import build_linter

SCRIPT = "io.kestra.plugin.scripts.python.Script"
SHELL = "io.kestra.plugin.scripts.shell.Commands"

# Every value below holds "SECRET-n": no output may contain one.
FLOW = f"""id: leaky
namespace: company.team
variables:
  api_token: SECRET-1-variable
  region: eu-west-1
inputs:
  - id: db_password
    type: STRING
    defaults: SECRET-2-input-default
  - id: signing
    type: SECRET
    defaults: SECRET-3-secret-input
tasks:
  - id: load
    type: {SCRIPT}
    env:
      API_TOKEN: [SECRET-4-list, SECRET-5-list]
      CLIENT_CREDENTIALS: {{user: loader, key: SECRET-6-map}}
      DB_URL: "postgresql://loader:SECRET-7-userinfo@db.internal:5432/warehouse"
      JDBC: "jdbc:sqlserver://db.internal;user=sa;password=SECRET-8-jdbc"
      SLACK_WEBHOOK: https://hooks.slack.com/services/T0000/B0000/SECRET9webhook
      STRIPE_KEY: "sk-live-SECRET-10{{{{ '' }}}}"
      SERVICE_TOKEN: "SECRET-18-decorated{{{{ '' }}}}"
    script: |
      import os
      API_KEY = "SECRET-11-python"
      connect(password='SECRET-12-keyword', host=os.getenv("HOST", "localhost"))
  - id: notify
    type: {SHELL}
    commands:
      - export SLACK_TOKEN=SECRET-13-shell
      - curl -H "Authorization: Bearer SECRET14bearertoken" https://api.example.com
"""
SECOND_DOCUMENT = """---
id: second
namespace: company.team
tasks:
  - id: query
    type: io.kestra.plugin.jdbc.postgresql.Query
    password: SECRET-15-second-document
    sql: select 1
"""
SECRETS = [f"SECRET-{n}" for n in (*range(1, 16), 18) if n not in (9, 14)] + ["SECRET9webhook", "SECRET14bearertoken"]


def assert_no_secret(output: str) -> None:
    leaked = [secret for secret in SECRETS if secret in output]
    assert leaked == [], output


def test_excerpts_of_a_flow_hide_every_credential(inprocess_cli, tmp_path: Path) -> None:
    write(tmp_path, "flows/leaky.yaml", FLOW)
    result = inprocess_cli("check", "flows", "--show-source", "--no-color", "--extend-select", "CL900", cwd=tmp_path)
    assert result.code == 1 and "********" in result.stdout
    assert "CL201" in result.stdout  # the script is linted and shown...
    assert_no_secret(result.stdout + result.stderr)  # ...without its secrets
    # The rest of the excerpt stays readable.
    assert "CLIENT_CREDENTIALS: {user: ********, key: ********}" in result.stdout
    assert "connect(password='********', host=" in result.stdout


def test_every_document_is_redacted(inprocess_cli, tmp_path: Path) -> None:
    write(tmp_path, "flows/leaky.yaml", FLOW + SECOND_DOCUMENT)
    result = inprocess_cli("check", "flows", "--show-source", "--no-color", cwd=tmp_path)
    assert "password: ********" in result.stdout
    assert_no_secret(result.stdout)


def test_a_flow_that_does_not_parse_is_redacted_lexically(inprocess_cli, tmp_path: Path) -> None:
    # The excerpt of CL001 shows two lines either side of the error: secrets included.
    broken = FLOW.replace("      - curl", "      - curl -u ci:SECRET-16-userinfo@x\n     bad: [\n      - curl")
    broken = broken.replace("  - id: notify\n", "  - id: notify\n    password: SECRET-17-key\n")
    write(tmp_path, "flows/leaky.yaml", broken)
    result = inprocess_cli("check", "flows", "--show-source", "--no-color", "--select", "CL001", cwd=tmp_path)
    assert result.lines[0].startswith("flows/leaky.yaml:34:6: CL001 YAML does not parse")
    assert "SECRET-16" not in result.stdout
    assert [line for line in result.lines if " | " in line] == [
        "32 |       - export SLACK_TOKEN=********",
        "33 |       - curl -u ci:********@x",
        "34 |      bad: [",
        "   |      ^ CL001",
        "35 |       - curl -H \"Authorization: Bearer ********\" https://api.example.com",
    ]


def test_diff_hides_credentials(inprocess_cli, tmp_path: Path) -> None:
    write(tmp_path, "flows/leaky.yaml", FLOW)
    result = inprocess_cli("check", "flows", "--diff", "--unsafe-fixes", cwd=tmp_path)
    assert '+      connect(password=' in result.stdout and 'os.environ["HOST"]' in result.stdout
    assert_no_secret(result.stdout)


def test_a_module_hides_its_secret_named_literals(inprocess_cli, tmp_path: Path) -> None:
    write(tmp_path, "settings.py", 'import os\n\nDB_PASSWORD: str = "SECRET-1-annotated"\n'
          'HEADERS = {"X-Api-Key": "SECRET-2-dict"}\nA = os.getenv("A")\nos.environ["AWS_SECRET_ACCESS_KEY"] = '
          '"SECRET-3-subscript"\nURL = "https://u:SECRET-4-url@example.com"\n')
    result = inprocess_cli("check", "settings.py", "--show-source", "--no-color", cwd=tmp_path)
    assert "CL202" in result.stdout and 'DB_PASSWORD: str = "********"' in result.stdout
    assert [secret for secret in ("SECRET-1", "SECRET-2", "SECRET-3", "SECRET-4") if secret in result.stdout] == []


def test_messages_and_fingerprints_never_hold_a_secret(tmp_path: Path) -> None:
    from contractlint.baseline import fingerprint

    # A schema error quotes the value it rejects: here a credential pasted in the wrong place.
    text = (f"id: f\nnamespace: company.team\ntasks:\n  - id: SECRET xyz pasted\n    type: {SHELL}\n"
            "    commands: []\n    env:\n      API_TOKEN: SECRET xyz pasted\n")
    linter = build_linter(settings_from_table({}, tmp_path, None, CommandLine(select=("CL0", "CL4"))))
    result = linter.lint_bytes("f.yaml", text.encode())
    assert [d.code for d in result.diagnostics] == ["CL002", "CL402", "CL403"]
    assert "has an invalid id '********'" in result.diagnostics[0].message
    for diagnostic in result.diagnostics:
        assert "SECRET xyz" not in diagnostic.message and "SECRET xyz" not in diagnostic.fingerprint_text
    assert len({fingerprint(d) for d in result.diagnostics}) == len(result.diagnostics)


def test_json_and_sarif_hold_no_secret(inprocess_cli, tmp_path: Path) -> None:
    write(tmp_path, "flows/leaky.yaml", FLOW + SECOND_DOCUMENT)
    for output_format in ("json", "sarif", "github"):
        result = inprocess_cli("check", "flows", "--format", output_format, "--unsafe-fixes", cwd=tmp_path)
        assert_no_secret(result.stdout)
        if output_format != "github":
            json.loads(result.stdout)


@pytest.mark.parametrize(
    ("name", "secret"),
    [
        ("password", True), ("apiKey", True), ("API_TOKEN", True), ("clientSecret", True), ("DB_PASS", True),
        ("X-Auth-Token", True), ("db_pwd", True), ("private_key", True),
        ("maxTokens", False), ("tokenUrl", False), ("SECRET_NAME", False), ("region", False), ("passwordField", False),
        ("bypass", False), ("GOOGLE_APPLICATION_CREDENTIALS", False),
    ],
)
def test_secret_names(name: str, secret: bool) -> None:
    assert is_secret_name(name) is secret


def test_yaml_that_does_not_parse_is_scanned_line_by_line() -> None:
    from contractlint.redaction import yaml_lexical_secrets
    from contractlint.source import SourceFile

    text = ("tasks: [\n  password: hunter2  # old\n  'API_TOKEN': \"abc123\"\n  region: eu-west-1\n"
            "  token: \"{{ secret('T') }}\"\n  privateKey: |\n    -----BEGIN KEY\n    body\n  next: 1\n")
    source = SourceFile.from_bytes("f.yaml", text.encode())
    assert [text[start:end] for start, end in yaml_lexical_secrets(source)] == [
        "hunter2", "abc123", "-----BEGIN KEY", "body"]


def test_code_that_names_a_secret_is_not_taken_for_one(tmp_path: Path) -> None:
    """`password=os.getenv(…)` in a script is code: neither the excerpt nor the message
    loses it (a secret found there would be scrubbed from every message)."""
    text = (f"id: f\nnamespace: company.team\ntasks:\n  - id: t\n    type: {SCRIPT}\n    script: |\n"
            "      import os\n      connect(password=os.getenv(\"DB_PASSWORD\", \"\"), user=user_name,\n"
            "              headers={'Authorization': 'token {{ secret(\"GH_TOKEN\") }}'})\n")
    linter = build_linter(settings_from_table({}, tmp_path, None, CommandLine(select=("CL201",))))
    result = linter.lint_bytes("f.yaml", text.encode())
    assert [d.message.split(";")[0] for d in result.diagnostics] == [
        'Environment variable "DB_PASSWORD" is read with a default (os.getenv(…, default))']
    assert result.redactions == ()


def test_corpus_messages_are_not_scrubbed(cli, corpus: Path) -> None:
    result = cli("check", str(corpus), "--format", "json", cwd=corpus.parent)
    messages = [d["message"] for d in json.loads(result.stdout)["diagnostics"]]
    assert messages and not [m for m in messages if "********" in m]


@pytest.mark.parametrize(
    "line",
    [
        "SET s3_secret_access_key='{{ secret('AWS_SECRET_ACCESS_KEY') }}';",  # a blueprint's DuckDB script
        "export API_TOKEN=\"{{ secret('API_TOKEN') }}\"",
    ],
)
def test_a_pebble_reference_cut_by_its_own_quotes_is_no_secret(line: str) -> None:
    from contractlint.redaction import lexical_secrets

    assert [line[start:end] for start, end in lexical_secrets(line)] == []


@pytest.mark.parametrize("invisible", ["\ufeff", "\u200b", "\u200d", "\u2060", "\u00ad"])
def test_an_invisible_character_inside_a_name_hides_nothing(invisible: str) -> None:
    # Found by fuzzing: a BOM inside `DB_PASSWORD` made the line read as no secret.
    from contractlint.redaction import lexical_secrets

    line = f'DB_{invisible}PASSWORD = "PLANTEDsecret9f3k"'
    assert [line[start:end] for start, end in lexical_secrets(line)] == ["PLANTEDsecret9f3k"]


@pytest.mark.parametrize("text", [
    "id: f\nnamespace: n\nenv:\n  DB_PASSWORD: x\n  plain: 1\n  apiKey: y\n# a TOKEN in a comment\n",
    "a: 1\r\nSecret: 2\rb: 3\n  serviceAccount: z\nKEYKEYKEY: 4\n",
    "name: İstanbul\npassword: x\nkey: \u212a\n  token: 😀\n",  # not ASCII: the case-blind search
    "",
])
def test_lines_with_secret_words_are_those_a_case_blind_search_finds(text: str) -> None:
    from contractlint.redaction import _SECRET_WORD, _lines_with_secret_words
    from contractlint.source import SourceFile

    source = SourceFile.from_bytes("f.yaml", text.encode())
    expected = sorted({source.line_of(match.start()) for match in _SECRET_WORD.finditer(source.text)})
    assert _lines_with_secret_words(source) == expected
    assert bool(expected) == bool(text)
