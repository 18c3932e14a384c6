"""Text, statistics and GitHub output: golden outputs of a small project, the code frame's
edge cases (tabs, wide characters, CRLF, spans over lines, secrets), colour rules."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from contractlint.diagnostics import Diagnostic, Edit, Fix, Span
from contractlint.engine import FileResult
from contractlint.reporters import ReportOptions, RunReport
from contractlint.reporters import text_format
from contractlint.reporters.github_format import annotation, escape_data, escape_property
from contractlint.reporters.statistics import render_statistics
from contractlint.source import SourceFile

SELECT = ("--select", "CL003,CL102,CL900")
FOR_MESSAGE = "'for' loop in inline script; move the logic into a module function"
NOQA_MESSAGE = "Unused noqa code CL102: no CL102 (inline-script-logic) diagnostic on this line"


def write(root: Path, name: str, content: str | bytes) -> None:
    target = root / name
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """Four files, four findings: CRLF, a tab before the span, multi-byte text, a fix."""
    write(tmp_path, "flows/etl.yaml", (
        "id: etl\nnamespace: company.team\ntasks:\n  - id: transform\n"
        "    type: io.kestra.plugin.scripts.python.Script\n    script: |\n"
        "      import os\n      for name in os.listdir(\".\"):\n          print(name)\n"
    ).replace("\n", "\r\n"))
    write(tmp_path, "flows/report.yaml", (
        "id: report\nnamespace: company.team\ntasks:\n  - id: résumé_task\n"
        "    type: io.kestra.plugin.scripts.python.Script\n    script: |\n"
        "      rows = [\"日本\", \"café\"]\n      if rows:\n      \tfor row in rows: print(row)\n"
    ))
    write(tmp_path, "pipelines/broken.py", "def broken(:\n    pass\n")
    write(tmp_path, "pipelines/clean.py", "import os\n\nHOME = os.environ[\"HOME\"]  # noqa: CL102\n")
    return tmp_path


CONCISE = [
    f"flows/etl.yaml:8:7: CL102 {FOR_MESSAGE}",
    f"flows/report.yaml:9:8: CL102 {FOR_MESSAGE}",
    "pipelines/broken.py:1:12: CL003 Python does not parse: invalid syntax",
    f"pipelines/clean.py:3:36: CL900 {NOQA_MESSAGE}",
]
SUMMARY = "Found 4 diagnostics in 4 files (1 fixable with --fix)."


def test_text_concise_golden(cli, project: Path) -> None:
    result = cli("check", *SELECT, cwd=project)
    assert (result.code, result.stderr) == (1, "")
    assert result.stdout == "\n".join([*CONCISE, SUMMARY]) + "\n"


def test_text_show_source_golden(cli, project: Path) -> None:
    result = cli("check", *SELECT, "--show-source", cwd=project)
    assert (result.code, result.stderr) == (1, "")
    assert result.stdout == "\n".join([
        CONCISE[0],
        "  |",
        "6 |     script: |",
        "7 |       import os",
        "8 |       for name in os.listdir(\".\"):",
        "  |       ^^^ CL102",
        "9 |           print(name)",
        "  |",
        "",
        CONCISE[1],
        "  |",
        "7 |       rows = [\"日本\", \"café\"]",
        "8 |       if rows:",
        "9 |         for row in rows: print(row)",  # the tab after 6 spaces: to column 8
        "  |         ^^^ CL102",
        "  |",
        "",
        CONCISE[2],
        "  |",
        "1 | def broken(:",
        "  |            ^ CL003",
        "2 |     pass",
        "  |",
        "",
        CONCISE[3],
        "  |",
        "1 | import os",
        "2 |",
        "3 | HOME = os.environ[\"HOME\"]  # noqa: CL102",
        "  |                                    ^^^^^ CL900",
        "  |",
        "  = help: Remove the unused noqa comment",
        "",
        SUMMARY,
    ]) + "\n"


def test_quiet_prints_diagnostics_only(cli, project: Path) -> None:
    result = cli("check", *SELECT, "--quiet", cwd=project)
    assert (result.code, result.stdout) == (1, "\n".join(CONCISE) + "\n")
    framed = cli("check", *SELECT, "-q", "--show-source", cwd=project)
    assert framed.lines[:2] == [CONCISE[0], "  |"]
    assert framed.lines[-2:] == ["  = help: Remove the unused noqa comment", ""]
    clean = cli("check", "flows/etl.yaml", "--select", "CL003", "--quiet", cwd=project)
    assert (clean.code, clean.stdout) == (0, "")


def test_clean_run_summary(cli, project: Path) -> None:
    result = cli("check", "flows", "--select", "CL003", cwd=project)
    assert (result.code, result.stdout) == (0, "All checks passed!\n")


def test_statistics_golden(cli, project: Path) -> None:
    result = cli("check", *SELECT, "--statistics", cwd=project)
    assert (result.code, result.stdout) == (1, (
        "2\tCL102\t[ ] inline-script-logic\n"
        "1\tCL003\t[ ] python-syntax\n"
        "1\tCL900\t[*] unused-noqa\n"
        f"{SUMMARY}\n"
    ))
    no_fix = cli("check", "--select", "CL102", "--statistics", cwd=project)
    assert no_fix.stdout == "2\tCL102\tinline-script-logic\nFound 2 diagnostics in 2 files.\n"
    as_json = cli("check", *SELECT, "--statistics", "--format", "json", cwd=project)
    assert json.loads(as_json.stdout) == [
        {"code": "CL102", "name": "inline-script-logic", "count": 2, "fixable": 0},
        {"code": "CL003", "name": "python-syntax", "count": 1, "fixable": 0},
        {"code": "CL900", "name": "unused-noqa", "count": 1, "fixable": 1},
    ]


def test_github_golden(cli, project: Path) -> None:
    result = cli("check", *SELECT, "--format", "github", cwd=project)
    assert (result.code, result.stdout) == (1, (
        "::error file=flows/etl.yaml,line=8,col=7,endLine=8,endColumn=10,title=CL102 inline-script-logic::"
        f"{FOR_MESSAGE}\n"
        "::error file=flows/report.yaml,line=9,col=8,endLine=9,endColumn=11,title=CL102 inline-script-logic::"
        f"{FOR_MESSAGE}\n"
        "::error file=pipelines/broken.py,line=1,col=12,endLine=1,endColumn=13,title=CL003 python-syntax::"
        "Python does not parse: invalid syntax\n"
        "::error file=pipelines/clean.py,line=3,col=36,endLine=3,endColumn=41,title=CL900 unused-noqa::"
        f"{NOQA_MESSAGE}\n"
    ))


def test_output_file(cli, project: Path) -> None:
    result = cli("check", *SELECT, "--output-file", "reports/lint.txt", cwd=project)
    assert (result.code, result.stdout, result.stderr) == (1, "", "")
    assert (project / "reports/lint.txt").read_text("utf-8") == "\n".join([*CONCISE, SUMMARY]) + "\n"
    as_json = cli("check", *SELECT, "--format", "json", "-o", "lint.json", cwd=project)
    assert as_json.stdout == ""
    assert [d["code"] for d in json.loads((project / "lint.json").read_text("utf-8"))["diagnostics"]] == [
        "CL102", "CL102", "CL003", "CL900"]


# -- GitHub escaping --------------------------------------------------------------------------


def test_github_escaping_follows_actions_toolkit() -> None:
    assert escape_data("100% done\r\nnext: a, b") == "100%25 done%0D%0Anext: a, b"
    assert escape_property("dir,1/a:b%.yaml\n") == "dir%2C1/a%3Ab%25.yaml%0A"
    assert escape_data("%0A") == "%250A"  # escaped once, never decoded by the runner into a newline


def test_github_annotation_escapes_path_and_message_and_drops_columns_over_lines() -> None:
    single = Diagnostic("CL201", "environ-default", "Key 'A,B': 50%\nthen", "flows/a,b:c.yaml", Span(3, 5, 3, 9))
    assert annotation(single) == (
        "::error file=flows/a%2Cb%3Ac.yaml,line=3,col=5,endLine=3,endColumn=9,"
        "title=CL201 environ-default::Key 'A,B': 50%25%0Athen"
    )
    multi = Diagnostic("CL002", "flow-structure", "m", "f.yaml", Span(3, 5, 6, 2), severity="warning")
    assert annotation(multi) == "::warning file=f.yaml,line=3,endLine=6,title=CL002 flow-structure::m"


# -- the code frame -------------------------------------------------------------------------


def frame(text: str, *diagnostics: Diagnostic, unsafe: bool = False) -> list[str]:
    source = SourceFile.from_bytes("f.py", text.encode("utf-8"))
    report = RunReport([FileResult("f.py", "module", list(diagnostics), source)])
    options = ReportOptions(show_source=True, quiet=True, unsafe_fixes=unsafe)
    return text_format.render(report, options).splitlines()


def diag(span: Span, code: str = "CL999", **kwargs) -> Diagnostic:
    return Diagnostic(code, "test-rule", "message", "f.py", span, **kwargs)


def test_frame_multi_byte_and_wide_characters() -> None:
    # "日本" are two cells each, "é" one: the carets sit under "x".
    assert frame("s = '日本é' + x\n", diag(Span(1, 12, 1, 13)))[1:5] == [
        "  |",
        "1 | s = '日本é' + x",
        "  |              ^ CL999",
        "  |",
    ]


def test_frame_tabs_expand_to_the_next_stop_of_four() -> None:
    assert frame("a\tb = 1\n\tc\n", diag(Span(1, 3, 1, 4)), diag(Span(2, 2, 2, 3)))[1:6] == [
        "  |",
        "1 | a   b = 1",
        "  |     ^ CL999",
        "2 |     c",
        "  |",
    ]
    assert frame("a\tb = 1\n\tc\n", diag(Span(2, 2, 2, 3)))[3:5] == ["2 |     c", "  |     ^ CL999"]


def test_frame_crlf_and_control_characters() -> None:
    lines = frame("x = 1\r\ny = '\x07' \r\n", diag(Span(2, 1, 2, 2)))
    assert lines[1:6] == ["  |", "1 | x = 1", "2 | y = '\u2407' ", "  | ^ CL999", "  |"]


def test_frame_span_at_and_past_the_end_of_the_line() -> None:
    assert frame("abc\n", diag(Span(1, 4, 1, 4)))[2:4] == ["1 | abc", "  |    ^ CL999"]
    assert frame("abc\n", diag(Span(1, 3, 1, 5)))[2:4] == ["1 | abc", "  |   ^^ CL999"]
    # A span that ends at column 1 of the next line ends with the line break.
    assert frame("abc\ndef\n", diag(Span(1, 1, 2, 1)))[1:6] == ["  |", "1 | abc", "  | ^^^ CL999", "2 | def", "  |"]


def test_frame_multi_line_span_from_the_indent() -> None:
    # Two lines of context either side, as ruff: a blank line inside them is kept.
    text = "a = 1\n\nrows = [\n    1,\n    2,\n]\nprint(rows)\nb = 2\nc = 3\n"
    assert frame(text, diag(Span(3, 1, 6, 2)))[1:] == [
        "  |",
        "1 |   a = 1",
        "2 |",
        "3 | / rows = [",
        "4 | |     1,",
        "5 | |     2,",
        "6 | | ]",
        "  | |_^ CL999",
        "7 |   print(rows)",
        "8 |   b = 2",
        "  |",
        "",
    ]


def test_frame_multi_line_span_from_mid_line() -> None:
    text = "a = 1\nrows = [\n    1,\n]\n"
    assert frame(text, diag(Span(2, 8, 4, 2)))[1:] == [
        "  |",
        "1 |   a = 1",
        "2 |   rows = [",
        "  |  ________^",
        "3 | |     1,",
        "4 | | ]",
        "  | |_^ CL999",
        "  |",
        "",
    ]


def test_frame_long_span_is_folded() -> None:
    text = "x = [\n" + "".join(f"    {i},\n" for i in range(20)) + "]\n"
    lines = frame(text, diag(Span(1, 1, 22, 2)))
    assert lines[1:] == [
        "   |",
        " 1 | / x = [",
        " 2 | |     0,",
        " 3 | |     1,",
        "...",
        "21 | |     19,",
        "22 | | ]",
        "   | |_^ CL999",
        "   |",
        "",
    ]


def test_frame_help_for_safe_and_unsafe_fixes() -> None:
    safe = Fix("safe", "Use os.environ[\"KEY\"]", (Edit(0, 1, "y", Span(1, 1, 1, 2)),))
    unsafe = Fix("unsafe", "Remove the entry", (Edit(0, 1, "", Span(1, 1, 1, 2)),))
    assert frame("x\n", diag(Span(1, 1, 1, 2), fix=safe))[-2:] == ["  = help: Use os.environ[\"KEY\"]", ""]
    assert frame("x\n", diag(Span(1, 1, 1, 2), fix=unsafe))[-2] == "  = help: Remove the entry (unsafe fix)"


def test_frame_never_prints_a_redacted_secret_even_in_context_lines() -> None:
    text = "token = 'hunter2-secret'\nuse(token)\n"
    secret = diag(Span(1, 9, 1, 25), code="CL403", redactions=(Span(1, 10, 1, 24),))
    other = diag(Span(2, 1, 2, 4))
    lines = frame(text, secret, other)
    assert "hunter2" not in "\n".join(lines)
    assert lines[:6] == [
        "f.py:1:9: CL403 message",
        "  |",
        "1 | token = '********'",
        "  |         ^^^^^^^^^^ CL403",
        "2 | use(token)",
        "  |",
    ]
    assert lines[7:10] == ["f.py:2:1: CL999 message", "  |", "1 | token = '********'"]


def test_frame_for_a_file_without_source_and_beyond_its_end() -> None:
    unreadable = Diagnostic("CL000", "unreadable-file", "Cannot read file: no such file or directory", "gone.yaml",
                            Span(1, 1, 1, 1))
    report = RunReport([FileResult("gone.yaml", "unreadable", [unreadable], None)])
    assert text_format.render(report, ReportOptions(show_source=True)) == (
        "gone.yaml:1:1: CL000 Cannot read file: no such file or directory\n\n"
        "Found 1 diagnostic in 1 file.\n"
    )
    assert frame("a\n", diag(Span(3, 1, 3, 2))) == ["f.py:3:1: CL999 message", ""]


# -- summaries and colour --------------------------------------------------------------------

ANSI = re.compile(r"\x1b\[[0-9;]*m")


def test_summary_variants() -> None:
    fix = Fix("unsafe", "d", (Edit(0, 1, "", Span(1, 1, 1, 2)),))
    report = RunReport([FileResult("f.py", "module", [diag(Span(1, 1, 1, 2), fix=fix)], None)], fixed=2,
                       baselined=3, stale_baseline=1)
    assert text_format.render(report, ReportOptions()).splitlines()[1:] == [
        "Fixed 2 diagnostics.",
        "Found 1 diagnostic in 1 file (1 hidden fix can be enabled with --unsafe-fixes).",
        "3 diagnostics hidden by the baseline.",
        "1 baseline entry no longer matches; the baseline can be shrunk.",
    ]
    assert text_format.render(report, ReportOptions(unsafe_fixes=True)).splitlines()[2] == (
        "Found 1 diagnostic in 1 file (1 fixable with --fix)."
    )


def test_colour_is_only_decoration() -> None:
    text = "rows = [\n    1,\n]\n"
    source = SourceFile.from_bytes("f.py", text.encode())
    diagnostics = [diag(Span(1, 8, 3, 2), fix=Fix("safe", "d", (Edit(0, 1, "", Span(1, 1, 1, 2)),)))]
    report = RunReport([FileResult("f.py", "module", diagnostics, source)])
    plain = text_format.render(report, ReportOptions(show_source=True))
    coloured = text_format.render(report, ReportOptions(show_source=True, color=True))
    assert "\x1b[" in coloured and "\x1b[" not in plain
    assert ANSI.sub("", coloured) == plain
    stats = render_statistics(report, ReportOptions(color=True))
    assert ANSI.sub("", stats) == render_statistics(report, ReportOptions())


def run_in_terminal(args: list[str], cwd: Path, env: dict[str, str]) -> str:
    """Run the CLI with stdout on a pseudo-terminal and return what it printed."""
    pty = pytest.importorskip("pty")
    environment = {k: v for k, v in os.environ.items() if not k.startswith("CONTRACTLINT_") and k != "NO_COLOR"}
    environment.update(env)
    leader, follower = pty.openpty()
    process = subprocess.Popen([sys.executable, "-m", "contractlint", *args], cwd=cwd, env=environment,
                               stdin=subprocess.DEVNULL, stdout=follower, stderr=subprocess.PIPE)
    os.close(follower)
    chunks = []
    while True:
        try:
            data = os.read(leader, 65536)
        except OSError:  # EIO: the child closed the terminal
            break
        if not data:
            break
        chunks.append(data)
    process.wait(timeout=60)
    os.close(leader)
    return b"".join(chunks).decode("utf-8").replace("\r\n", "\n")


@pytest.mark.parametrize(
    ("args", "env", "colour"),
    [
        ([], {}, True),
        ([], {"NO_COLOR": "1"}, False),
        ([], {"NO_COLOR": ""}, True),  # no-color.org: only a non-empty value counts
        (["--no-color"], {}, False),
    ],
    ids=["tty", "NO_COLOR", "empty-NO_COLOR", "--no-color"],
)
def test_terminal_colour_and_default_source(project: Path, args: list[str], env: dict, colour: bool) -> None:
    output = run_in_terminal(["check", *SELECT, *args], project, env)
    assert ("\x1b[" in output) is colour
    plain = ANSI.sub("", output).splitlines()
    assert plain[:2] == [CONCISE[0], "  |"]  # source shown by default on a terminal
    assert plain[-1] == SUMMARY


def test_no_colour_in_an_output_file_even_on_a_terminal(project: Path) -> None:
    output = run_in_terminal(["check", *SELECT, "-o", "out.txt"], project, {})
    assert output == ""
    assert (project / "out.txt").read_text("utf-8") == "\n".join([*CONCISE, SUMMARY]) + "\n"


def test_rule_command_is_coloured_only_on_a_terminal(cli, project: Path) -> None:
    on_terminal = run_in_terminal(["rule", "CL102"], project, {})
    piped = cli("rule", "CL102", cwd=project)
    assert "\x1b[" in on_terminal and "\x1b[" not in piped.stdout
    assert "\x1b[" not in run_in_terminal(["rule", "CL102"], project, {"NO_COLOR": "1"})


# -- any text, any span --------------------------------------------------------------------

LINE_CHARS = st.sampled_from(list("ab =:\t(é日\u0301\x07\r\u200b") + ["😀"])


@settings(max_examples=300, deadline=None)
@given(
    lines=st.lists(st.text(LINE_CHARS, max_size=12), min_size=1, max_size=14),
    data=st.data(),
)
def test_frame_renders_any_span_of_any_text(lines: list[str], data) -> None:
    text = "\n".join(lines) + "\n"
    source = SourceFile.from_bytes("f.py", text.encode("utf-8"))
    line = data.draw(st.integers(1, source.line_count))
    column = data.draw(st.integers(1, len(source.line_text(line)) + 2))
    end_line = data.draw(st.integers(line, source.line_count))
    end_column = data.draw(st.integers(column if end_line == line else 1, len(source.line_text(end_line)) + 2))
    diagnostic = diag(Span(line, column, end_line, end_column))
    rendered = text_format.render(RunReport([FileResult("f.py", "module", [diagnostic], source)]),
                                  ReportOptions(show_source=True, quiet=True))
    rows = rendered.splitlines()
    assert rows[0] == f"f.py:{line}:{column}: CL999 message" and rows[-1] == ""
    assert sum(row.endswith("^ CL999") for row in rows) == 1
    assert "\r" not in rendered and "\x07" not in rendered
    # Every row but the header is a frame row: a gutter, a fold, or the help line.
    assert all(re.match(r"^(\s*\d* \||\.\.\.|\s+= help)", row) for row in rows[1:-1]), rows


# -- the JSON output's published schema; GitHub annotation paths (issue 12) ---------------------

OUTPUT_SCHEMA = Path(__file__).resolve().parents[1] / "contractlint" / "schemas" / "check-output.schema.json"


@pytest.fixture(scope="module")
def output_validator():
    from jsonschema import Draft202012Validator

    schema = json.loads(OUTPUT_SCHEMA.read_text("utf-8"))
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema)


def assert_matches_schema(validator, document: dict) -> None:
    errors = sorted(validator.iter_errors(document), key=lambda e: list(e.absolute_path))
    assert not errors, [f"{list(e.absolute_path)}: {e.message}" for e in errors[:5]]


def test_json_output_matches_its_published_schema(cli, project: Path, output_validator) -> None:
    fixtures = Path(__file__).resolve().parents[1] / "flows_fixtures"
    for args, cwd in (
        (("check", *SELECT, "--output-format", "json"), project),
        (("check", "--extend-select", "CL900", "--output-format", "json", "--unsafe-fixes"), project),
        (("check", ".", "--extend-select", "CL900", "--output-format", "json"), fixtures),
        (("check", ".", "--output-format", "json", "--config", "docs-url = 'https://example.org/docs'"), fixtures),
    ):
        result = cli(*args, cwd=cwd)
        assert result.code in (0, 1), result.stderr
        document = json.loads(result.stdout)
        assert_matches_schema(output_validator, document)
    assert document["diagnostics"] and all(d["url"].startswith("https://example.org/docs/rules/CL")
                                           for d in document["diagnostics"])
    # A document that breaks the contract is rejected: the schema is not a formality.
    broken = {**document, "summary": {**document["summary"], "fixable": -1}}
    assert list(output_validator.iter_errors(broken))


def test_json_counts_unsafe_fixes_and_fixes_applied(cli, project: Path) -> None:
    write(project, "pipelines/env.py", "import os\nA = os.getenv('A')\nB = os.environ.get('B', 'x')\n")
    summary = json.loads(cli("check", "--output-format", "json", *SELECT[:1], "CL2,CL900", cwd=project).stdout)["summary"]
    assert (summary["fixable"], summary["unsafe_fixable"]) == (1, 2)
    unsafe = json.loads(cli("check", "--output-format", "json", "--select", "CL2,CL900", "--unsafe-fixes",
                            cwd=project).stdout)["summary"]
    assert (unsafe["fixable"], unsafe["unsafe_fixable"]) == (3, 0)
    fixed = json.loads(cli("check", "--output-format", "json", "--select", "CL2,CL900", "--fix", "--unsafe-fixes",
                           cwd=project).stdout)["summary"]
    assert (fixed["fixed"], fixed["diagnostics"]) == (3, 0)


def test_github_annotations_are_relative_to_the_workspace(cli, project: Path) -> None:
    workspace = project.parent
    result = cli("check", *SELECT, "--output-format", "github", cwd=project / "flows",
                 env={"GITHUB_WORKSPACE": str(workspace)})
    prefix = project.name
    assert [line.split(",")[0] for line in result.lines] == [
        f"::error file={prefix}/flows/etl.yaml", f"::error file={prefix}/flows/report.yaml",
    ]
    # Without GITHUB_WORKSPACE the paths are the text output's: relative to the working directory.
    local = cli("check", *SELECT, "--output-format", "github", cwd=project / "flows")
    assert [line.split(",")[0] for line in local.lines] == ["::error file=etl.yaml", "::error file=report.yaml"]
