"""CL002's two validators agree: jsonschema-rs gives the verdict, Python's jsonschema
words the errors of a flow it rejects (``contractlint.rules.files``).

* every ``pattern`` of the bundled schemas matches the same strings in Rust's ``regex``
  and in Python's ``re`` (as ``python_pattern`` rewrites it), over crafted strings;
* the schema only constrains strings where it requires a string (what makes "valid as
  plain data" imply "valid as Jackson reads it");
* on the corpus, the fixtures and crafted coercions, CL002 reports exactly what the
  Python validator alone reports, and the verdicts agree wherever no coercion is needed.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema_rs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import CORPUS, REPO
from contractlint.config import config_schema
from contractlint.flow import yaml_nodes as yn
from contractlint.flow.model import build_flow, document_extents, is_flow_root
from contractlint.rules import RuleContext
from contractlint.rules import files as files_rule
from contractlint.source import SourceFile, UndecodableFile


def _patterns(schema: Any) -> set[str]:
    found: set[str] = set()
    if isinstance(schema, dict):
        for key, value in schema.items():
            if key == "pattern" and isinstance(value, str):
                found.add(value)
            else:
                found |= _patterns(value)
    elif isinstance(schema, list):
        for value in schema:
            found |= _patterns(value)
    return found


PATTERNS = sorted(_patterns(files_rule.flow_schema()) | _patterns(config_schema()))

CRAFTED = [
    "", "a", "A", "0", "_", "-", ".", "$", "a.b", "a..b", ".a", "a.", "a-b", "a_b", "ab$c", "1.3", "2.0", "10.12",
    "v1.3", "1.3.5", "1.", ".3", "abc\n", "abc\r\n", "\nabc", "abc\r", "a\nb", " abc", "abc ", "a b", "\t", "é", "aé",
    "Ω", "ж", "١", "１", "ǅ", "İ", "ß", "K", "a\u200db", "a\x00b", "io.kestra.plugin.core.flow.Sequential",
    "io.kestra.core.tasks.flows.Dag", "io.kestra.plugin.core.flow.", "io.kestra.plugin.core.flowX.If",
    "io_kestra.plugin.core.flow.If", "Io.kestra.plugin.core.flow.If", "io.kestra.plugin.scripts.python.Script",
    "com.example.My$Task", "$Task", "a$", "http://x", "https://x", "https:/x", "ftp://x", "HTTPS://x",
    "company.team", "Company.team", "company team", "x" * 300, "0" * 120,
]


def _rust_match(pattern: str) -> Any:
    validator = jsonschema_rs.Draft202012Validator(
        {"type": "string", "pattern": pattern}, pattern_options=jsonschema_rs.RegexOptions()
    )
    return validator.is_valid


@pytest.mark.parametrize("pattern", PATTERNS)
def test_every_pattern_matches_the_same_strings_in_rust_and_python(pattern: str) -> None:
    rust = _rust_match(pattern)
    python = files_rule._compiled_pattern(pattern)
    differing = [text for text in CRAFTED if rust(text) != (python.search(text) is not None)]
    assert differing == []
    # Both matched and unmatched strings are among the crafted ones: the check has teeth.
    assert {rust(text) for text in CRAFTED} == {True, False}


@pytest.mark.parametrize("pattern", PATTERNS)
@settings(max_examples=150, deadline=None)
@given(data=st.data())
def test_every_pattern_agrees_on_generated_strings(pattern: str, data: st.DataObject) -> None:
    rust = _rust_match(pattern)
    python = files_rule._compiled_pattern(pattern)
    text = data.draw(st.one_of(st.from_regex(python.pattern), st.text(max_size=12)))
    if "\x00" in text or any(0xD800 <= ord(char) <= 0xDFFF for char in text):
        return  # neither YAML nor TOML gives such text
    assert rust(text) == (python.search(text) is not None), text


def test_pythons_dollar_no_longer_matches_before_a_final_line_break() -> None:
    # Kestra's Java validation matches the whole id: `abc\n` is not a valid task id.
    assert files_rule.python_pattern("^[a-z]+$") == "^[a-z]+\\Z"
    assert files_rule.python_pattern(r"^a\$[$]$") == "^a\\$[$]\\Z"
    assert files_rule._compiled_pattern("^[a-z]+$").search("abc\n") is None


def _subschemas(schema: Any) -> list[dict]:
    found = []
    if isinstance(schema, dict):
        found.append(schema)
        for value in schema.values():
            found.extend(_subschemas(value))
    elif isinstance(schema, list):
        for value in schema:
            found.extend(_subschemas(value))
    return found


def test_the_flow_schema_constrains_strings_only_where_it_requires_a_string() -> None:
    # A number or boolean is data of its own type for Rust and text for Python: a string
    # keyword beside a type that admits numbers would hold for one and not the other.
    string_keywords = {"pattern", "minLength", "maxLength", "format"}
    for schema in _subschemas(files_rule.flow_schema()):
        if string_keywords & set(schema):
            assert schema.get("type") == "string", schema


# -- the two validators on real and crafted flows -----------------------------------------


def _flows(path: Path, text: str | None = None) -> list:
    try:
        source = SourceFile.from_bytes(path.name, path.read_bytes() if text is None else text.encode())
        documents = yn.compose_documents(source)
    except (UndecodableFile, yn.YamlError):
        return []  # CL000 and CL001: no flow to validate
    return [build_flow(source, root, extent) for root, extent in zip(documents, document_extents(source, documents))
            if is_flow_root(root)]


def _cl002(flow, monkeypatch: pytest.MonkeyPatch, fast: bool) -> list:
    rule = files_rule.FlowStructure()
    context = RuleContext(options={}, project=None)
    with monkeypatch.context() as patched:
        if not fast:
            patched.setattr(files_rule, "_plainly_valid", lambda root: False)
        return [(d.span, d.message) for d in rule.check_flow(flow, context)]


def _python_valid(flow) -> bool:
    data = yn.to_data(flow.root, scalar=files_rule._jackson_scalar)
    return not any(True for _ in files_rule._flow_validator().iter_errors(data))


def _all_flow_files() -> list[Path]:
    found = sorted((REPO / "flows_fixtures").rglob("*.y*ml"))
    if CORPUS.is_dir():
        found += sorted(CORPUS.glob("*.y*ml"))
    return found


def test_verdicts_and_findings_agree_on_the_corpus_and_the_fixtures(monkeypatch: pytest.MonkeyPatch) -> None:
    flows = [flow for path in _all_flow_files() for flow in _flows(path)]
    assert len(flows) > (300 if CORPUS.is_dir() else 10)
    invalid = 0
    for flow in flows:
        try:
            rust = files_rule._plainly_valid(flow.root)
        except yn.ExpansionTooLarge:
            continue
        python = _python_valid(flow)
        assert rust == python, flow.source.path
        invalid += not python
        assert _cl002(flow, monkeypatch, fast=True) == _cl002(flow, monkeypatch, fast=False), flow.source.path
    assert invalid > 0  # invalid flows are among them: both verdicts are exercised


COERCED = [
    # Jackson reads these as valid; as plain data they are not: Rust rejects, Python decides.
    "id: 1\nnamespace: a\ntasks:\n  - id: 2\n    type: io.kestra.plugin.core.log.Log\n",
    "id: f\nnamespace: a\ndisabled: 'true'\ntasks:\n  - id: t\n    type: io.kestra.plugin.core.log.Log\n",
    "id: f\nnamespace: a\nrevision: '3'\ntasks:\n  - id: t\n    type: x.Y\n",
    "id: 1.5\nnamespace: a\ntasks:\n  - id: t\n    type: x.Y\n",
    "id: true\nnamespace: a\ntasks:\n  - id: t\n    type: x.Y\n",
    "id: f\nnamespace: a\npluginDefaults:\n  - type: x\n    forced: 'false'\ntasks:\n  - id: t\n    type: x.Y\n",
    # Invalid either way.
    "id: f\nnamespace: a\nrevision: 0\ntasks:\n  - id: t\n    type: x.Y\n",
    "id: f\nnamespace: a\nrevision: '0'\ntasks:\n  - id: t\n    type: x.Y\n",
    "id: f\nnamespace: a\nrevision: 1.0\ntasks:\n  - id: t\n    type: x.Y\n",
    "id: f\nnamespace: a\ndisabled: 'yes'\ntasks:\n  - id: t\n    type: x.Y\n",
    "id: -1\nnamespace: a\ntasks:\n  - id: t\n    type: x.Y\n",
    'id: "abc\\n"\nnamespace: a\ntasks:\n  - id: t\n    type: x.Y\n',
    "id: f\nnamespace: a\ntasks:\n  - id: t\n    type: io.kestra.plugin.core.flow.If\n    then: []\n",
    "id: f\nnamespace: a\ntasks:\n  - id: t\n    type: 5\n",
]


@pytest.mark.parametrize("text", COERCED)
def test_coerced_and_odd_scalars_get_the_findings_of_the_python_validator(
    text: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    path = tmp_path / "f.yaml"
    (flow,) = _flows(path, text)
    if files_rule._plainly_valid(flow.root):
        assert _python_valid(flow)  # Rust never accepts what Python rejects
    assert _cl002(flow, monkeypatch, fast=True) == _cl002(flow, monkeypatch, fast=False)


def test_the_fast_verdict_is_used_and_the_python_validator_is_not_imported_for_a_valid_flow() -> None:
    import subprocess
    import sys

    probe = (
        "import sys\n"
        "from contractlint.config import CommandLine\nfrom contractlint.resolver import resolve_settings\n"
        "from contractlint.runner import CheckRequest, run_check\n"
        "from pathlib import Path\n"
        "run = run_check(CheckRequest(paths=('flows_fixtures/good/hello_world.yaml',)),"
        " resolve_settings(CommandLine(), Path.cwd()))\n"
        "print(run.report.files, len(run.report.diagnostics), 'jsonschema' in sys.modules)\n"
    )
    output = subprocess.run([sys.executable, "-c", probe], cwd=REPO, capture_output=True, text=True, check=True)
    assert output.stdout.split() == ["1", "0", "False"]


def test_the_schema_file_is_json_rust_compiles() -> None:
    schema = json.loads((REPO / "contractlint" / "schemas" / "flow.schema.json").read_text("utf-8"))
    assert files_rule._fast_validator().is_valid({"id": "a", "namespace": "b", "tasks": [{"id": "t", "type": "x.Y"}]})
    assert not files_rule._fast_validator().is_valid({"id": "a", "namespace": "b", "tasks": []})
    assert schema == files_rule.flow_schema()
