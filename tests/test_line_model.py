"""One line model everywhere (issue 10): a YAML file breaks lines where libyaml does
(``\\r\\n``, ``\\r``, ``\\n``, NEL, U+2028, U+2029), a Python file where CPython does
(``\\r\\n``, ``\\r``, ``\\n``), and positions, excerpts, ``noqa`` comments, ``--diff`` and
fixes all agree with the parser. Also the double BOM and duplicate keys, which made
edits land on the wrong characters."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import write
from contractlint.config import CommandLine, settings_from_table
from contractlint.flow import yaml_nodes as yn
from contractlint.runner import build_linter, fix_text
from contractlint.source import SourceFile

LOG = "io.kestra.plugin.core.log.Log"
SHELL = "io.kestra.plugin.scripts.shell.Commands"
YAML_BREAKS = ["\n", "\r\n", "\r", "\x85", "\u2028", "\u2029"]
PYTHON_BREAKS = ["\n", "\r\n", "\r"]


def linter(tmp_path: Path, *codes: str):
    return build_linter(settings_from_table({}, tmp_path, None, CommandLine(select=codes or None)))


# -- the reproducers of the issue ----------------------------------------------------------------


@pytest.mark.parametrize("newline", YAML_BREAKS, ids=["lf", "crlf", "cr", "nel", "ls", "ps"])
def test_cl900_fix_in_a_flow_keeps_every_other_byte(inprocess_cli, tmp_path: Path, newline: str) -> None:
    lines = ["id: f", "namespace: company.team", "tasks:", "  - id: t  # noqa: CL101", f"    type: {LOG}",
             "    message: keep me"]
    path = write(tmp_path, "f.yaml", (newline.join(lines) + newline).encode())
    result = inprocess_cli("check", "f.yaml", "--extend-select", "CL900", "--fix", "--no-color", cwd=tmp_path)
    assert (result.code, result.stdout, result.stderr) == (0, "Fixed 1 diagnostic.\nAll checks passed!\n", "")
    lines[3] = "  - id: t"
    assert path.read_bytes() == (newline.join(lines) + newline).encode()


def test_one_stray_cr_in_an_lf_flow_loses_nothing(inprocess_cli, tmp_path: Path) -> None:
    text = f"id: f\nnamespace: company.team\rtasks:\n  - id: t  # noqa: CL101\n    type: {LOG}\n    message: keep me\n"
    path = write(tmp_path, "f.yaml", text.encode())
    result = inprocess_cli("check", "f.yaml", "--extend-select", "CL900", "--fix", "--no-color", cwd=tmp_path)
    assert (result.code, result.stdout) == (0, "Fixed 1 diagnostic.\nAll checks passed!\n")
    assert path.read_bytes() == text.replace("  # noqa: CL101", "").encode()


def test_lone_cr_module_unsafe_fix_is_byte_exact(inprocess_cli, tmp_path: Path) -> None:
    # Was: "Fixed 12 diagnostics" and `# keos.environ["A"]]]]]]]]]]]]t …` in the comment.
    text = 'import os\r# c\nv = os.getenv("A")\n# keep this comment exactly as written\nprint(v)\n'
    path = write(tmp_path, "m.py", text.encode())
    result = inprocess_cli("check", "m.py", "--fix", "--unsafe-fixes", "--no-color", cwd=tmp_path)
    assert (result.code, result.stdout, result.stderr) == (0, "Fixed 1 diagnostic.\nAll checks passed!\n", "")
    assert path.read_bytes() == text.replace('os.getenv("A")', 'os.environ["A"]').encode()


@pytest.mark.parametrize("newline", PYTHON_BREAKS, ids=["lf", "crlf", "cr"])
def test_module_fixes_with_every_python_line_break(inprocess_cli, tmp_path: Path, newline: str) -> None:
    lines = ["from os import getenv", "", "try:", "    A = getenv('A', 'x')  # why", "except Exception:",
             "    pass", "B = getenv('B')"]
    path = write(tmp_path, "m.py", newline.join(lines).encode())  # no final line break either
    result = inprocess_cli("check", "m.py", "--select", "CL2,CL302", "--fix", "--unsafe-fixes", "--no-color",
                           cwd=tmp_path)
    assert result.stdout.splitlines()[0].startswith("m.py:6:1: CL302 ")  # after the added import
    assert result.stdout.splitlines()[1:] == ["Fixed 2 diagnostics.", "Found 1 diagnostic in 1 file."]
    fixed = ["import os", *lines[:3], "    A = os.environ['A']  # why", *lines[4:6], "B = os.environ['B']"]
    assert path.read_bytes() == newline.join(fixed).encode()


def test_lone_cr_module_reaching_cl201_and_cl302_is_linted(inprocess_cli, tmp_path: Path) -> None:
    # Was an IndexError inside the per-file guard: the file vanished from the report.
    write(tmp_path, "cr.py", b'import os\r\rtry:\r    x = 1\rexcept Exception:\r    pass\rv = os.environ.get("A", "x")\r')
    result = inprocess_cli("check", "cr.py", "--select", "CL201,CL302", "--format", "json", cwd=tmp_path)
    document = json.loads(result.stdout)
    assert [(d["code"], d["line"], d["column"], d["end_column"]) for d in document["diagnostics"]] == [
        ("CL302", 5, 1, 17), ("CL201", 7, 5, 29)]
    assert document["summary"]["files"] == 1 and result.stderr == ""


def test_diff_of_a_lone_cr_file_shows_its_lines(cli, tmp_path: Path) -> None:
    # (click's test runner turns "\r\n" into "\n": a real process shows the bytes.)
    write(tmp_path, "m.py", b'import os\rv = os.getenv("A")\rprint(v)\r')
    result = cli("check", "m.py", "--diff", "--unsafe-fixes", cwd=tmp_path)
    assert result.stdout == (
        "--- a/m.py\n+++ b/m.py\n@@ -1,3 +1,3 @@\n"
        " import os\r\n"
        '-v = os.getenv("A")\r\n'
        '+v = os.environ["A"]\r\n'
        " print(v)\r\n"
    )
    assert result.code == 1


# -- what a line is ----------------------------------------------------------------------------------


def test_yaml_and_python_line_models() -> None:
    yaml = SourceFile.from_bytes("f.yaml", "a: 1\x85b: 2\u2028c: 3\rd: 4\r\ne: \x0c5\n".encode())
    assert [yaml.line_text(n) for n in range(1, yaml.line_count + 1)] == ["a: 1", "b: 2", "c: 3", "d: 4", "e: \x0c5", ""]
    assert [yaml.line_ending(n) for n in range(1, 6)] == ["\x85", "\u2028", "\r", "\r\n", "\n"]
    python = SourceFile.from_bytes("m.py", "a = '\x85'\rb = 2\x0c\r\nc = '\u2028'\n".encode())
    assert [python.line_text(n) for n in range(1, python.line_count + 1)] == ["a = '\x85'", "b = 2\x0c", "c = '\u2028'", ""]
    assert python.position(python.text.index("b")) == (2, 1)
    assert python.position(python.text.index("c")) == (3, 1)


def test_yaml_positions_follow_the_parser_at_nel_and_separators(tmp_path: Path) -> None:
    for newline in YAML_BREAKS[3:]:
        text = newline.join(["id: f", "namespace: company.team", "tasks:", "  - id: t", "    message: x"]) + "\n"
        source = SourceFile.from_bytes("f.yaml", text.encode())
        root = yn.compose_documents(source)[0]
        task = yn.elements(yn.get_value(root, "tasks"))[0]
        key = yn.get(task, "message")[0]
        assert key.start_mark.line + 1 == source.position(key.start_mark.index)[0] == 5
        result = linter(tmp_path, "CL002").lint_bytes("f.yaml", text.encode())
        assert [(d.code, d.span.line, d.span.column) for d in result.diagnostics] == [("CL002", 4, 5)]


def test_noqa_on_a_line_ended_by_a_lone_cr_applies_to_that_line(tmp_path: Path) -> None:
    text = "import os\rA = os.getenv('A')  # noqa: CL202\rB = os.getenv('B')\r"
    result = linter(tmp_path, "CL202", "CL900").lint_bytes("m.py", text.encode())
    assert [(d.code, d.span.line) for d in result.diagnostics] == [("CL202", 3)]


def test_inline_script_in_a_lone_cr_flow_maps_exactly(tmp_path: Path) -> None:
    text = ("id: f\rnamespace: company.team\rtasks:\r  - id: t\r    type: io.kestra.plugin.scripts.python.Script\r"
            "    script: |\r      import os\r      v = os.getenv('A')\r")
    lint = linter(tmp_path, "CL202")
    result = lint.lint_bytes("f.yaml", text.encode())
    assert [(d.code, d.span.line, d.span.column, d.span.end_column) for d in result.diagnostics] == [
        ("CL202", 8, 11, 25)]
    outcome = fix_text(lint, result, unsafe_fixes=True)
    assert outcome.text == text.replace("os.getenv('A')", "os.environ['A']")


# -- BOMs ------------------------------------------------------------------------------------------


DOUBLE_BOM_FLOW = f"""id: f
namespace: company.team
pluginDefaults:
  - type: {SHELL}
    values:
      env:
        RETRIES: 1
        REGION: eu
tasks:
  - id: t
    type: {SHELL}
    env: {{RETRIES: 1, REGION: eu, OWNER: data}}
    commands:
      - echo hi
"""


def test_double_bom_flow_safe_fix_deletes_exactly_the_entries(inprocess_cli, tmp_path: Path) -> None:
    # Was: `env: {RETRIES: 1, REGION: eu}` became `env: {RETRIES: u}` (every edit one character early).
    bom = b"\xef\xbb\xbf"
    path = write(tmp_path, "f.yaml", bom * 2 + DOUBLE_BOM_FLOW.encode())
    result = inprocess_cli("check", "f.yaml", "--select", "CL401", "--fix", "--no-color", cwd=tmp_path)
    assert (result.code, result.stdout) == (0, "Fixed 2 diagnostics.\nAll checks passed!\n")
    assert path.read_bytes() == bom * 2 + DOUBLE_BOM_FLOW.replace("{RETRIES: 1, REGION: eu, OWNER: data}",
                                                                  "{OWNER: data}").encode()


def test_double_bom_positions_are_those_of_a_single_bom(tmp_path: Path) -> None:
    one = linter(tmp_path, "CL401").lint_bytes("f.yaml", b"\xef\xbb\xbf" + DOUBLE_BOM_FLOW.encode())
    two = linter(tmp_path, "CL401").lint_bytes("f.yaml", b"\xef\xbb\xbf" * 2 + DOUBLE_BOM_FLOW.encode())
    assert [d.span for d in two.diagnostics] == [d.span for d in one.diagnostics]
    assert two.source.boms == 2 and two.source.encode(two.source.text).startswith(b"\xef\xbb\xbf" * 2)


def test_double_bom_module_is_a_syntax_error_as_for_cpython(tmp_path: Path) -> None:
    result = linter(tmp_path, "CL003", "CL202").lint_bytes("m.py", b"\xef\xbb\xbf" * 2 + b"import os\nA = os.getenv('A')\n")
    assert [(d.code, d.message) for d in result.diagnostics] == [
        ("CL003", "Python does not parse: invalid non-printable character U+FEFF")]


# -- duplicate keys ----------------------------------------------------------------------------------


def test_no_fix_inside_a_mapping_with_duplicate_keys(inprocess_cli, tmp_path: Path) -> None:
    # Was: the safe CL401 fix deleted the `env` YAML uses (the last) and so resurrected
    # the one it had discarded.
    text = DOUBLE_BOM_FLOW.replace("    env: {RETRIES: 1, REGION: eu, OWNER: data}\n",
                                   "    env: {RETRIES: 7, OWNER: data}\n    env:\n      REGION: eu\n")
    path = write(tmp_path, "f.yaml", text.encode())
    result = inprocess_cli("check", "f.yaml", "--select", "CL401", "--fix", "--format", "json", cwd=tmp_path)
    document = json.loads(result.stdout)
    assert [(d["code"], d["line"], d["fix"]) for d in document["diagnostics"]] == [("CL401", 14, None)]
    assert document["summary"]["fixable"] == 0
    assert path.read_bytes() == text.encode()


def test_no_fix_under_a_mapping_with_duplicate_keys(tmp_path: Path) -> None:
    text = DOUBLE_BOM_FLOW + "  - id: u\n    id: v\n    type: " + SHELL + "\n    env:\n      RETRIES: 1\n"
    result = linter(tmp_path, "CL401").lint_bytes("f.yaml", text.encode())
    by_line = {d.span.line: d.fix for d in result.diagnostics}
    assert by_line[12] is not None  # task t: no duplicate around it
    assert by_line[19] is None  # task u repeats `id`: nothing under it is edited


def test_a_document_at_the_end_of_the_file_is_reported_inside_it(tmp_path: Path) -> None:
    # Found by fuzzing: a `---` on the last line made CL002 point one column past the file.
    # An empty last document is fine now; a broken flow there is reported inside the file.
    flow = f"id: f\nnamespace: company.team\ntasks:\n  - id: t\n    type: {LOG}\n    message: hi\n"
    assert linter(tmp_path, "CL002").lint_bytes("f.yaml", (flow + "---\n").encode()).diagnostics == []
    text = flow + f"---\nid: g\ntasks:\n  - id: t\n    type: {LOG}"
    result = linter(tmp_path, "CL002").lint_bytes("f.yaml", text.encode())
    spans = [d.span for d in result.diagnostics]
    assert spans and all(span.end_line <= result.source.line_count for span in spans)
    for span in spans:
        assert span.end_column <= len(result.source.line_text(span.end_line)) + 1
