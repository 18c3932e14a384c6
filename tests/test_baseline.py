"""Baselines: `check --write-baseline F` records the current diagnostics, `check
--baseline F` reports only new ones and counts entries that no longer match."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from conftest import run_cli, write

from contractlint import baseline
from contractlint.config import ConfigError
from contractlint.diagnostics import Diagnostic, Span
from contractlint.engine import FileResult
from contractlint.reporters import RunReport

HEAD = "id: etl\nnamespace: company.team\ntasks:\n"
LOOP = "'for' loop in inline script; move the logic into a module function"
WHILE = "'while' loop in inline script; move the logic into a module function"


def task(name: str, *script: str) -> str:
    body = "".join(f"      {line}\n" for line in script)
    return f"  - id: {name}\n    type: io.kestra.plugin.scripts.python.Script\n    script: |\n{body}"


@pytest.fixture
def cli(inprocess_cli):
    return inprocess_cli


FLOW = HEAD + task("load", "for x in rows():", "    print(x)") + task("wait", "while busy():", "    pass")


@pytest.fixture
def project(tmp_path: Path) -> Path:
    write(tmp_path, "flows/etl.yaml", FLOW)
    return tmp_path


def entries(path: Path) -> list[dict]:
    return json.loads(path.read_text(encoding="utf-8"))["entries"]


class TestWriteBaseline:
    def test_records_every_diagnostic_and_exits_0(self, cli, project: Path) -> None:
        result = cli("check", "--select", "CL102", "--write-baseline", "baseline.json", cwd=project)
        assert (result.code, result.lines) == (0, ["All checks passed!", "2 diagnostics hidden by the baseline."])
        data = json.loads((project / "baseline.json").read_text())
        assert data["version"] == 1
        assert [(e["path"], e["code"], e["count"]) for e in data["entries"]] == [
            ("flows/etl.yaml", "CL102", 1),
            ("flows/etl.yaml", "CL102", 1),
        ]
        fingerprints = [e["fingerprint"] for e in data["entries"]]
        assert all(re.fullmatch("[0-9a-f]{16}", f) for f in fingerprints)
        assert fingerprints == sorted(fingerprints) and len(set(fingerprints)) == 2
        assert set(data) == {"version", "entries"}
        assert all(set(entry) == {"path", "code", "fingerprint", "count"} for entry in data["entries"])

    def test_file_is_stable_one_entry_per_line(self, cli, project: Path) -> None:
        write(project, "flows/a.yaml", FLOW)
        cli("check", "--select", "CL102", "--write-baseline", "b1.json", cwd=project)
        cli("check", "--select", "CL102", "--write-baseline", "b2.json", cwd=project / "flows")
        first = (project / "b1.json").read_text()
        assert first == (project / "flows" / "b2.json").read_text().replace('"path": "', '"path": "flows/')
        lines = first.splitlines()
        assert lines[:3] == ["{", '  "version": 1,', '  "entries": [']
        assert lines[-2:] == ["  ]", "}"] and first.endswith("}\n")
        assert [json.loads(line.strip().rstrip(","))["path"] for line in lines[3:-2]] == [
            "flows/a.yaml", "flows/a.yaml", "flows/etl.yaml", "flows/etl.yaml",
        ]

    def test_identical_findings_are_one_entry_with_a_count(self, cli, project: Path) -> None:
        write(project, "flows/etl.yaml", HEAD + task("load", "for x in a():", "    pass", "for y in b():", "    pass"))
        cli("check", "--select", "CL102", "--write-baseline", "baseline.json", cwd=project)
        assert [(e["path"], e["count"]) for e in entries(project / "baseline.json")] == [("flows/etl.yaml", 2)]

    def test_no_diagnostics_writes_an_empty_baseline(self, cli, project: Path) -> None:
        result = cli("check", "--select", "CL101", "--write-baseline", "baseline.json", cwd=project)
        assert (result.code, result.lines) == (0, ["All checks passed!"])
        assert (project / "baseline.json").read_text() == '{\n  "version": 1,\n  "entries": []\n}\n'

    def test_baseline_option_is_not_read_when_writing(self, cli, project: Path) -> None:
        result = cli("check", "--select", "CL102", "--baseline", "b.json", "--write-baseline", "b.json", cwd=project)
        assert result.code == 0, result.stderr
        assert len(entries(project / "b.json")) == 2

    def test_unwritable_baseline_exits_2(self, cli, project: Path) -> None:
        result = cli("check", "--write-baseline", "flows/etl.yaml/b.json", cwd=project)
        assert (result.code, result.stdout, result.stderr) == (
            2, "", "error: cannot write baseline file flows/etl.yaml/b.json: File exists\n"
        )


def test_round_trip_in_a_real_process(project: Path) -> None:
    written = run_cli("check", "--select", "CL102", "--write-baseline", "baseline.json", cwd=project)
    assert (written.code, written.lines, written.stderr) == (
        0, ["All checks passed!", "2 diagnostics hidden by the baseline."],
        "Wrote 2 diagnostics (2 entries) to baseline baseline.json\n")
    write(project, "flows/etl.yaml", FLOW + "      for x in rows():\n          pass\n")
    checked = run_cli("check", "--select", "CL102", "--baseline", "baseline.json", "-q", cwd=project)
    assert (checked.code, checked.lines) == (1, [f"flows/etl.yaml:14:7: CL102 {LOOP}"])


class TestCheckAgainstBaseline:
    @pytest.fixture
    def baselined(self, cli, project: Path) -> Path:
        assert cli("check", "--select", "CL102", "--write-baseline", "baseline.json", cwd=project).code == 0
        return project

    def test_unchanged_project_passes(self, cli, baselined: Path) -> None:
        result = cli("check", "--select", "CL102", "--baseline", "baseline.json", cwd=baselined)
        assert (result.code, result.lines) == (0, ["All checks passed!", "2 diagnostics hidden by the baseline."])

    def test_findings_survive_lines_inserted_above_them(self, cli, baselined: Path) -> None:
        moved = FLOW.replace("tasks:\n", "description: |\n  Loads rows.\n  Then waits.\ntasks:\n  - id: hello\n"
                             "    type: io.kestra.plugin.core.log.Log\n    message: hi\n")
        write(baselined, "flows/etl.yaml", moved)
        assert cli("check", "--select", "CL102", "-q", cwd=baselined).lines == [
            f"flows/etl.yaml:13:7: CL102 {LOOP}",
            f"flows/etl.yaml:18:7: CL102 {WHILE}",
        ]
        result = cli("check", "--select", "CL102", "--baseline", "baseline.json", cwd=baselined)
        assert (result.code, result.lines) == (0, ["All checks passed!", "2 diagnostics hidden by the baseline."])

    def test_a_new_finding_is_reported(self, cli, baselined: Path) -> None:
        write(baselined, "flows/etl.yaml", FLOW + task("retry", "try:", "    run()", "finally:", "    pass"))
        result = cli("check", "--select", "CL102", "--baseline", "baseline.json", cwd=baselined)
        assert (result.code, result.lines) == (1, [
            "flows/etl.yaml:17:7: CL102 'try' block in inline script; move the logic into a module function",
            "Found 1 diagnostic in 1 file.",
            "2 diagnostics hidden by the baseline.",
        ])

    def test_a_new_file_is_reported(self, cli, baselined: Path) -> None:
        write(baselined, "flows/new.yaml", FLOW)
        result = cli("check", "--select", "CL102", "--baseline", "baseline.json", "-q", cwd=baselined)
        assert (result.code, result.lines) == (1, [f"flows/new.yaml:7:7: CL102 {LOOP}", f"flows/new.yaml:12:7: CL102 {WHILE}"])

    def test_the_same_construct_in_another_task_is_new(self, cli, baselined: Path) -> None:
        write(baselined, "flows/etl.yaml", FLOW + task("again", "for x in rows():", "    print(x)"))
        result = cli("check", "--select", "CL102", "--baseline", "baseline.json", "-q", cwd=baselined)
        assert result.lines == [f"flows/etl.yaml:17:7: CL102 {LOOP}"]

    def test_a_fixed_finding_is_counted_as_stale(self, cli, baselined: Path) -> None:
        write(baselined, "flows/etl.yaml", HEAD + task("load", "for x in rows():", "    print(x)")
              + task("wait", "from pipelines.wait import wait", "wait()"))
        result = cli("check", "--select", "CL102", "--baseline", "baseline.json", cwd=baselined)
        assert (result.code, result.lines) == (0, [
            "All checks passed!",
            "1 diagnostic hidden by the baseline.",
            "1 baseline entry no longer matches; the baseline can be shrunk.",
        ])

    def test_counts_two_identical_findings_with_one_baselined_reports_one(self, cli, project: Path) -> None:
        write(project, "flows/etl.yaml", HEAD + task("load", "for x in a():", "    pass"))
        cli("check", "--select", "CL102", "--write-baseline", "baseline.json", cwd=project)
        write(project, "flows/etl.yaml", HEAD + task("load", "for x in a():", "    pass", "for x in a():", "    pass"))
        result = cli("check", "--select", "CL102", "--baseline", "baseline.json", "-q", cwd=project)
        assert (result.code, result.lines) == (1, [f"flows/etl.yaml:9:7: CL102 {LOOP}"])

    def test_stale_counts_only_entries_of_linted_files(self, cli, project: Path) -> None:
        write(project, "flows/other.yaml", FLOW)
        cli("check", "--select", "CL102", "--write-baseline", "baseline.json", cwd=project)
        write(project, "flows/etl.yaml", HEAD + task("load", "print(1)"))
        one_file = cli("check", "--select", "CL102", "--baseline", "baseline.json", "flows/other.yaml", cwd=project)
        assert one_file.lines == ["All checks passed!", "2 diagnostics hidden by the baseline."]
        everything = cli("check", "--select", "CL102", "--baseline", "baseline.json", cwd=project)
        assert everything.lines == [
            "All checks passed!",
            "2 diagnostics hidden by the baseline.",
            "2 baseline entries no longer match; the baseline can be shrunk.",
        ]

    def test_paths_are_relative_to_the_baseline_folder(self, cli, project: Path) -> None:
        cli("check", "flows", "--select", "CL102", "--write-baseline", "ci/baseline.json", cwd=project)
        assert [e["path"] for e in entries(project / "ci" / "baseline.json")] == ["../flows/etl.yaml"] * 2
        from_flows = cli("check", ".", "--select", "CL102", "--baseline", "../ci/baseline.json", cwd=project / "flows")
        assert (from_flows.code, from_flows.lines) == (0, ["All checks passed!", "2 diagnostics hidden by the baseline."])
        from_ci = cli("check", "../flows/etl.yaml", "--select", "CL102", "--baseline", "baseline.json", cwd=project / "ci")
        assert (from_ci.code, from_ci.lines) == (0, ["All checks passed!", "2 diagnostics hidden by the baseline."])

    def test_json_output_lists_only_new_diagnostics(self, cli, baselined: Path) -> None:
        write(baselined, "flows/etl.yaml", FLOW + task("retry", "try:", "    run()", "finally:", "    pass"))
        result = cli("check", "--select", "CL102", "--baseline", "baseline.json", "--format", "json", cwd=baselined)
        document = json.loads(result.stdout)
        assert [(d["line"], d["column"], d["task"]) for d in document["diagnostics"]] == [(17, 7, "retry")]
        assert result.code == 1


class TestInvalidBaseline:
    @pytest.mark.parametrize(
        ("content", "error"),
        [
            ("{", "is not valid JSON: Expecting property name enclosed in double quotes (line 1, column 2)"),
            ("[]", "is not a contractlint baseline: expected a JSON object with 'version' and 'entries'"),
            ('{"entries": []}', "is not a contractlint baseline: no 'version' key"),
            ('{"version": 2, "entries": []}', "has version 2; this contractlint reads version 1"),
            ('{"version": 1}', "is not a contractlint baseline: 'entries' must be a list"),
            ('{"version": 1, "entries": [], "extra": 1}',
             "is not a contractlint baseline: unknown key 'extra'; expected 'version' and 'entries'"),
            ('{"version": 1, "entries": [{"path": "a.yaml", "code": "CL102", "count": 1}]}',
             "is not a contractlint baseline: entries[0].fingerprint must be a non-empty string"),
            ('{"version": 1, "entries": [{"path": "a.yaml", "code": "CL102", "fingerprint": "ab", "count": 0}]}',
             "is not a contractlint baseline: entries[0].count must be an integer >= 1"),
            ('{"version": 1, "entries": [{"path": "a", "code": "CL1", "fingerprint": "ab", "count": 1, "line": 3}]}',
             "is not a contractlint baseline: entries[0] has unknown key 'line'"),
        ],
    )
    def test_malformed_baseline_exits_2(self, cli, project: Path, content: str, error: str) -> None:
        write(project, "baseline.json", content)
        result = cli("check", "--baseline", "baseline.json", cwd=project)
        assert (result.code, result.stdout, result.stderr) == (2, "", f"error: baseline file baseline.json {error}\n")

    def test_missing_baseline_exits_2(self, cli, project: Path) -> None:
        result = cli("check", "--baseline", "nope.json", cwd=project)
        assert (result.code, result.stdout, result.stderr) == (
            2, "", "error: baseline file nope.json does not exist "
            "(create it with `contractlint check --write-baseline nope.json`)\n",
        )

    def test_a_directory_is_not_a_baseline(self, project: Path) -> None:
        with pytest.raises(ConfigError, match="cannot read baseline file"):
            baseline.load(project / "flows")


# -- the module's own contract: fingerprints, secrets, counts ---------------------------------------


def diagnostic(text: str, line: int = 1, task: str | None = "t", code: str = "CL403") -> Diagnostic:
    return Diagnostic(code=code, name="x", message="m", path="flows/f.yaml", span=Span(line, 1, line, 2),
                      task=task, fingerprint_text=text)


def report(*found: Diagnostic) -> RunReport:
    return RunReport(results=[FileResult(path="flows/f.yaml", kind="flow", diagnostics=list(found))])


def test_fingerprint_ignores_line_and_indentation_but_not_text_or_task() -> None:
    a = baseline.fingerprint(diagnostic("API_TOKEN: '***'", line=3))
    assert baseline.fingerprint(diagnostic("API_TOKEN: '***'", line=40)) == a
    assert baseline.fingerprint(diagnostic("for x in y:\n    pass", line=1)) == baseline.fingerprint(
        diagnostic("for x in y:\n        pass", line=9))
    assert baseline.fingerprint(diagnostic("API_KEY: '***'")) != a
    assert baseline.fingerprint(diagnostic("API_TOKEN: '***'", task="other")) != a


def test_baseline_never_holds_the_offending_text(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    run = report(diagnostic("PASSWORD: hunter2-secret"))
    outcome = baseline.apply(run, None, tmp_path / "b.json")
    written = (tmp_path / "b.json").read_text()
    assert "hunter2" not in written and "PASSWORD" not in written
    assert (outcome.hidden, outcome.entries, run.baselined, run.diagnostics) == (1, 1, 1, [])
    assert outcome.message == f"Wrote 1 diagnostic (1 entry) to baseline {tmp_path / 'b.json'}"


def test_apply_matches_by_count(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    baseline.apply(report(diagnostic("x", line=1), diagnostic("y", line=2)), None, tmp_path / "b.json")
    run = report(diagnostic("x", line=5), diagnostic("x", line=9), diagnostic("z", line=12))
    outcome = baseline.apply(run, tmp_path / "b.json", None)
    assert [d.span.line for d in run.diagnostics] == [9, 12]
    assert (outcome.hidden, outcome.stale, run.baselined, run.stale_baseline) == (1, 1, 1, 1)
