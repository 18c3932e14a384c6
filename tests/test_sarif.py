"""SARIF output: valid against the official 2.1.0 schema for every fixture and the corpus,
consistent with the JSON output, fingerprints that survive inserted lines, GitHub's needs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from conftest import REPO, SARIF_SCHEMA
from contractlint import __version__
from contractlint.cli import main
from contractlint.diagnostics import Diagnostic, Edit, Fix, Span
from contractlint.engine import FileResult
from contractlint.reporters import ReportOptions, RunReport, sarif_format
from contractlint.rules import all_rules

FIXTURES = REPO / "flows_fixtures"
FIXTURE_FILES = sorted(
    path.relative_to(REPO).as_posix()
    for path in FIXTURES.rglob("*")
    if path.is_file() and path.suffix in (".yaml", ".yml", ".py")
)
FLOW = (
    "id: etl\nnamespace: company.team\ntasks:\n  - id: transform\n"
    "    type: io.kestra.plugin.scripts.python.Script\n    script: |\n"
    "      import os\n      for name in os.listdir('.'):\n          print(name)\n"
    "      for name in os.listdir('/tmp'):\n          print(name)\n"
)


@pytest.fixture(scope="module")
def validator():
    if not SARIF_SCHEMA.is_file():
        pytest.skip("the shared SARIF schema is not next to this clone")
    from jsonschema import Draft4Validator

    schema = json.loads(SARIF_SCHEMA.read_text("utf-8"))
    Draft4Validator.check_schema(schema)
    return Draft4Validator(schema)


def assert_valid(validator, log: dict) -> None:
    errors = sorted(validator.iter_errors(log), key=lambda e: list(e.absolute_path))
    assert not errors, [f"{list(e.absolute_path)}: {e.message}" for e in errors[:5]]


def check(monkeypatch, cwd: Path, *args: str) -> tuple[int, str]:
    monkeypatch.chdir(cwd)
    for key in [k for k in __import__("os").environ if k.startswith("CONTRACTLINT_") or k == "NO_COLOR"]:
        monkeypatch.delenv(key)
    result = CliRunner().invoke(main, ["check", *args], catch_exceptions=False)
    return result.exit_code, result.stdout


def write(root: Path, name: str, content: str) -> None:
    target = root / name
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(content.encode("utf-8"))


@pytest.mark.parametrize("fixture", FIXTURE_FILES)
def test_fixture_sarif_validates_and_matches_json(validator, monkeypatch, fixture: str) -> None:
    code, output = check(monkeypatch, REPO, fixture, "--extend-select", "CL900", "--format", "sarif")
    assert code in (0, 1)
    log = json.loads(output)
    assert_valid(validator, log)
    _, as_json = check(monkeypatch, REPO, fixture, "--extend-select", "CL900", "--format", "json")
    diagnostics = json.loads(as_json)["diagnostics"]
    results = log["runs"][0]["results"]
    assert [
        (r["ruleId"], r["message"]["text"], r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
         tuple(r["locations"][0]["physicalLocation"]["region"].values()))
        for r in results
    ] == [
        (d["code"], d["message"], d["path"], (d["line"], d["column"], d["end_line"], d["end_column"]))
        for d in diagnostics
    ]
    if fixture.startswith("flows_fixtures/bad/"):
        assert results, f"{fixture} is a bad fixture but produced no result"


def test_all_fixtures_in_one_run(validator, monkeypatch) -> None:
    code, output = check(monkeypatch, REPO, "flows_fixtures", "--extend-select", "CL900", "--format", "sarif")
    assert code == 1
    log = json.loads(output)
    assert_valid(validator, log)
    prints = [r["partialFingerprints"][sarif_format.FINGERPRINT_KEY] for r in log["runs"][0]["results"]]
    assert len(prints) == len(set(prints)) > 0


def test_corpus_sarif_validates(validator, corpus: Path, monkeypatch) -> None:
    code, output = check(monkeypatch, corpus.parent, corpus.name, "--format", "sarif", "--no-cache")  # ../shared is only read
    assert code in (0, 1)
    log = json.loads(output)
    assert_valid(validator, log)
    run = log["runs"][0]
    assert run["originalUriBaseIds"]["%SRCROOT%"]["uri"] == corpus.parent.as_uri() + "/"
    results = run["results"]
    assert results and all(r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"].startswith("flows/")
                           for r in results)
    prints = [r["partialFingerprints"][sarif_format.FINGERPRINT_KEY] for r in results]
    assert len(prints) == len(set(prints))


def test_run_structure(validator, monkeypatch, tmp_path: Path) -> None:
    write(tmp_path, "flows/my etl é.yaml", FLOW)
    write(tmp_path, "pipelines/clean.py", "import os\n\nHOME = os.environ['HOME']  # noqa: CL102\n")
    code, output = check(monkeypatch, tmp_path, "--select", "CL102,CL900", "--format", "sarif")
    assert code == 1
    log = json.loads(output)
    assert_valid(validator, log)
    assert (log["version"], log["$schema"]) == ("2.1.0", sarif_format.SARIF_SCHEMA_URI)
    assert len(log["runs"]) == 1
    run = log["runs"][0]
    driver = run["tool"]["driver"]
    # No links by default: the documentation's address is a setting (docs-url).
    assert (driver["name"], driver["version"], "informationUri" in driver) == ("contractlint", __version__, False)
    assert [rule["id"] for rule in driver["rules"]] == [rule.code for rule in all_rules()]
    for descriptor, rule in zip(driver["rules"], all_rules()):
        assert descriptor["name"] == rule.name
        assert descriptor["shortDescription"]["text"] == rule.summary
        assert descriptor["fullDescription"]["text"]
        assert "## What it does" in descriptor["help"]["markdown"]
        assert "What it does\n------------" in descriptor["help"]["text"]
        assert "```" not in descriptor["help"]["text"]
        assert descriptor["defaultConfiguration"] == {
            "level": "error",
            "enabled": rule.default_enabled,
            **({"parameters": {k: v["default"] for k, v in rule.options.items()}} if rule.options else {}),
        }
        assert "helpUri" not in descriptor
        assert len(descriptor["fullDescription"]["text"]) <= 1024
        assert descriptor["properties"]["precision"] in ("very-high", "high", "medium", "low")
        assert descriptor["properties"]["problem.severity"] in ("error", "warning", "recommendation")
    assert run["columnKind"] == "unicodeCodePoints"
    assert run["originalUriBaseIds"] == {"%SRCROOT%": {"uri": tmp_path.as_uri() + "/"}}

    first, second, noqa = run["results"]
    assert driver["rules"][first["ruleIndex"]]["id"] == first["ruleId"] == "CL102"
    assert driver["rules"][noqa["ruleIndex"]]["id"] == "CL900"
    assert first["level"] == "error"
    assert first["message"]["text"] == "'for' loop in inline script; move the logic into a module function"
    location = first["locations"][0]
    assert location["physicalLocation"] == {
        "artifactLocation": {"uri": "flows/my%20etl%20%C3%A9.yaml", "uriBaseId": "%SRCROOT%"},
        "region": {"startLine": 8, "startColumn": 7, "endLine": 8, "endColumn": 10},
    }
    assert location["logicalLocations"] == [
        {"name": "company.team.etl", "fullyQualifiedName": "company.team.etl", "kind": "module"},
        {"name": "transform", "fullyQualifiedName": "company.team.etl/transform", "kind": "function"},
    ]
    assert second["locations"][0]["physicalLocation"]["region"]["startLine"] == 10
    assert "fixes" not in first
    assert "logicalLocations" not in noqa["locations"][0]
    assert noqa["fixes"] == [
        {
            "description": {"text": "Remove the unused noqa comment"},
            "artifactChanges": [
                {
                    "artifactLocation": {"uri": "pipelines/clean.py", "uriBaseId": "%SRCROOT%"},
                    "replacements": [
                        {"deletedRegion": {"startLine": 3, "startColumn": 26, "endLine": 3, "endColumn": 41}}
                    ],
                }
            ],
            "properties": {"applicability": "safe"},
        }
    ]


def fingerprints_by_line(log: dict) -> dict[int, str]:
    return {
        r["locations"][0]["physicalLocation"]["region"]["startLine"]: r["partialFingerprints"][sarif_format.FINGERPRINT_KEY]
        for r in log["runs"][0]["results"]
    }


def test_fingerprints_survive_lines_inserted_above(monkeypatch, tmp_path: Path) -> None:
    write(tmp_path, "flows/etl.yaml", FLOW)
    _, before = check(monkeypatch, tmp_path, "--select", "CL102", "--format", "sarif")
    old = fingerprints_by_line(json.loads(before))
    assert sorted(old) == [8, 10]
    assert old[8] != old[10]  # identical findings are told apart by their order in the file
    shifted = FLOW.replace("tasks:\n", "# owner: data team\n\ndescription: nightly\ntasks:\n")
    shifted = shifted.replace("      import os\n", "      import os\n      import sys\n\n")
    write(tmp_path, "flows/etl.yaml", shifted)
    _, after = check(monkeypatch, tmp_path, "--select", "CL102", "--format", "sarif")
    new = fingerprints_by_line(json.loads(after))
    assert sorted(new) == [13, 15]
    assert (new[13], new[15]) == (old[8], old[10])
    # A finding with other text, or in another file, has another fingerprint.
    write(tmp_path, "flows/etl.yaml", FLOW.replace("for name in os.listdir('.')", "while True"))
    _, changed = check(monkeypatch, tmp_path, "--select", "CL102", "--format", "sarif")
    assert fingerprints_by_line(json.loads(changed))[8] not in old.values()


def test_locations_outside_the_source_root_are_absolute(tmp_path: Path) -> None:
    root = tmp_path / "project"
    assert sarif_format.artifact_location("flows/a b.yaml", root) == {
        "uri": "flows/a%20b.yaml", "uriBaseId": "%SRCROOT%"}
    assert sarif_format.artifact_location("x:y.py", root) == {"uri": "x%3Ay.py", "uriBaseId": "%SRCROOT%"}
    assert sarif_format.artifact_location("../other/f.yaml", root) == {"uri": (tmp_path / "other/f.yaml").as_uri()}
    assert sarif_format.artifact_location(str(tmp_path / "f.yaml"), root) == {"uri": (tmp_path / "f.yaml").as_uri()}
    assert sarif_format.srcroot_uri(root) == root.as_uri() + "/"


def synthetic_report(count: int) -> RunReport:
    fix = Fix("unsafe", "Delete the entry", (
        Edit(10, 20, "", Span(2, 1, 3, 1)),
        Edit(0, 3, "os.environ[\"A\"]", Span(1, 1, 1, 4)),
    ))
    diagnostics = [
        Diagnostic("CL401", "redundant-env", f"finding {i}", "flows/a.yaml", Span(i + 1, 1, i + 1, 5),
                   flow="ns.a", fix=fix if i == 0 else None, severity="warning" if i % 2 else "error",
                   fingerprint_text="X")
        for i in range(count)
    ]
    return RunReport([FileResult("flows/a.yaml", "flow", diagnostics, None)])


def test_fix_edits_and_levels(validator, tmp_path: Path) -> None:
    log = sarif_format.sarif_log(synthetic_report(2), ReportOptions(srcroot=tmp_path))
    assert_valid(validator, log)
    first, second = log["runs"][0]["results"]
    assert (first["level"], second["level"]) == ("error", "warning")
    assert first["fixes"][0]["artifactChanges"][0]["replacements"] == [
        {"deletedRegion": {"startLine": 1, "startColumn": 1, "endLine": 1, "endColumn": 4},
         "insertedContent": {"text": "os.environ[\"A\"]"}},
        {"deletedRegion": {"startLine": 2, "startColumn": 1, "endLine": 3, "endColumn": 1}},
    ]
    assert first["fixes"][0]["properties"] == {"applicability": "unsafe"}
    assert first["locations"][0]["logicalLocations"] == [
        {"name": "ns.a", "fullyQualifiedName": "ns.a", "kind": "module"}]


def test_results_are_capped_for_github(validator, monkeypatch, tmp_path: Path) -> None:
    monkeypatch.setattr(sarif_format, "MAX_RESULTS", 3)
    log = sarif_format.sarif_log(synthetic_report(5), ReportOptions(srcroot=tmp_path))
    assert_valid(validator, log)
    run = log["runs"][0]
    assert [r["message"]["text"] for r in run["results"]] == ["finding 0", "finding 1", "finding 2"]
    notification = run["invocations"][0]["toolExecutionNotifications"][0]
    assert notification["message"]["text"] == (
        "2 of 5 results were left out: GitHub code scanning accepts at most 3 results per run")


# -- GitHub's limits and hints, and URIs relative to the repository (issue 12) -------------------


def test_rules_fit_github_limits_and_hints(validator, monkeypatch, tmp_path: Path) -> None:
    from contractlint.docs import explanation, markdown_to_text, sections

    write(tmp_path, "flows/etl.yaml", FLOW)
    _, output = check(monkeypatch, tmp_path, "--format", "sarif")
    log = json.loads(output)
    assert_valid(validator, log)
    descriptors = log["runs"][0]["tool"]["driver"]["rules"]
    long_ones = []
    for descriptor, rule in zip(descriptors, all_rules()):
        what = sections(explanation(rule))["What it does"]
        assert len(descriptor["fullDescription"]["text"]) <= 1024
        assert len(descriptor["fullDescription"]["markdown"]) <= 1024
        if len(markdown_to_text(what)) > 1024:
            long_ones.append(rule.code)
            assert descriptor["fullDescription"]["text"].endswith(("…", ".")), descriptor["fullDescription"]["text"]
        # help.markdown holds the whole explanation, however long.
        assert what.strip() in descriptor["help"]["markdown"]
        properties = descriptor["properties"]
        assert properties["precision"] in ("very-high", "high", "medium", "low")
        assert properties["problem.severity"] in ("error", "warning", "recommendation")
        if "security" in properties["tags"]:
            assert 0.0 < float(properties["security-severity"]) <= 10.0
        else:
            assert "security-severity" not in properties
        assert "helpUri" not in descriptor
        assert len(properties["tags"]) <= 20
    assert len(long_ones) >= 6  # the explanations that did not fit before
    assert [d["id"] for d in descriptors if "security" in d["properties"]["tags"]] == ["CL403"]


def test_documentation_links_only_where_the_documentation_is(validator, monkeypatch, tmp_path: Path) -> None:
    write(tmp_path, "flows/etl.yaml", FLOW)
    base = "https://github.com/acme/contractlint/blob/v0.1.0"
    _, output = check(monkeypatch, tmp_path, "--format", "sarif", "--config", f"docs-url = '{base}'")
    log = json.loads(output)
    assert_valid(validator, log)
    driver = log["runs"][0]["tool"]["driver"]
    assert driver["informationUri"] == base
    assert [d["helpUri"] for d in driver["rules"]] == [f"{base}/rules/{rule.code}.md" for rule in all_rules()]
    _, as_json = check(monkeypatch, tmp_path, "--format", "json", "--config", f"docs-url = '{base}/'")
    assert {d["url"] for d in json.loads(as_json)["diagnostics"]} == {f"{base}/rules/CL102.md"}


def test_uris_are_relative_to_the_git_top_level_from_a_subfolder(validator, monkeypatch, tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    write(repo, "pipelines/ingest/flows/etl.yaml", FLOW)
    write(repo, "pipelines/ingest/pyproject.toml", "[tool.contractlint]\nselect = ['CL102']\n")
    runs = {
        "project folder": (repo / "pipelines" / "ingest", ["flows"]),
        "flows folder": (repo / "pipelines" / "ingest" / "flows", ["."]),
        "repository root": (repo, ["pipelines"]),
        "outside": (tmp_path, ["repo"]),
    }
    for name, (cwd, paths) in runs.items():
        code, output = check(monkeypatch, cwd, *paths, "--format", "sarif")
        assert code == 1, name
        log = json.loads(output)
        assert_valid(validator, log)
        run = log["runs"][0]
        assert run["originalUriBaseIds"] == {"%SRCROOT%": {"uri": repo.as_uri() + "/"}}, name
        assert [r["locations"][0]["physicalLocation"]["artifactLocation"] for r in run["results"]] == [
            {"uri": "pipelines/ingest/flows/etl.yaml", "uriBaseId": "%SRCROOT%"}] * 2, name


def test_outside_git_the_source_root_is_the_configuration_folder(validator, monkeypatch, tmp_path: Path) -> None:
    write(tmp_path, "project/.contractlint.toml", "select = ['CL102']\n")
    write(tmp_path, "project/flows/etl.yaml", FLOW)
    code, output = check(monkeypatch, tmp_path / "project" / "flows", ".", "--format", "sarif")
    run = json.loads(output)["runs"][0]
    assert run["originalUriBaseIds"]["%SRCROOT%"]["uri"] == (tmp_path / "project").as_uri() + "/"
    assert run["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "flows/etl.yaml"


# Values computed by GitHub's algorithm (codeql-action's fingerprints.ts, run under Node).
GOLDEN_LINE_HASHES = {
    "\ufeffid: etl\r\nnamespace: company.team\r\ntasks:\r\n  - id: résumé\r\n"
    "    type: io.kestra.plugin.scripts.python.Script\r\n    script: |\r\n"
    "      for x in \"日本😀\":\r\n          print(x)\r\n": [
        "1bd523bbc7dba2a2:1", "643c28279721af95:1", "44645e5f370ef5b9:1", "3b158e9cd662b0b3:1",
        "250532001bc896f0:1", "9faf4d1457d222c0:1", "5d707fd881dfa763:1", "f1b89f20de0d133:1",
        "c129715d7a2bc9a3:1",
    ],
    "same\nsame\n\tsame\n": ["55dfc028cbd34ba7:1", "54dd522503d971eb:1", "930af01a65e2307f:1", "c129715d7a2bc9a3:1"],
}


def test_primary_location_line_hash_is_githubs() -> None:
    for text, expected in GOLDEN_LINE_HASHES.items():
        assert sarif_format.line_hashes(text) == expected
    repeated = sarif_format.line_hashes("x\n" * 150)
    assert repeated[:3] == ["c0fe7b2700d6c254:1", "c0fe7b2700d6c254:2", "c0fe7b2700d6c254:3"]
    assert repeated[-3:] == ["8c072f39cc89b447:1", "828973aa50c68d6d:1", "c129715d7a2bc9a3:1"]


def test_results_carry_githubs_line_hash_and_ours(monkeypatch, tmp_path: Path) -> None:
    text = next(iter(GOLDEN_LINE_HASHES))
    (tmp_path / "flows").mkdir()
    (tmp_path / "flows" / "etl.yaml").write_bytes(text.encode("utf-8"))
    _, output = check(monkeypatch, tmp_path, "--format", "sarif", "--select", "CL002,CL102")
    results = json.loads(output)["runs"][0]["results"]
    by_line = {r["locations"][0]["physicalLocation"]["region"]["startLine"]: r["partialFingerprints"] for r in results}
    assert sorted(by_line) == [4, 7]
    assert by_line[4]["primaryLocationLineHash"] == "3b158e9cd662b0b3:1"
    assert by_line[7]["primaryLocationLineHash"] == "5d707fd881dfa763:1"
    assert all(len(prints[sarif_format.FINGERPRINT_KEY]) == 32 for prints in by_line.values())
