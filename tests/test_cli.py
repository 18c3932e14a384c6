"""End to end: the `contractlint` command as a user runs it — exact output lines,
positions and exit codes."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from conftest import REPO, write
from contractlint import __version__

FIXTURES = REPO / "flows_fixtures"
SCRIPT_FLOW = (
    "id: report\nnamespace: company.team\ntasks:\n  - id: résumé_task\n"
    "    type: io.kestra.plugin.scripts.python.Script\n    script: |\n"
    "      import os\n      données = os.environ['ROWS']\n      for ligne in données:\n          print('✓', ligne)\n"
)


def test_version(cli, tmp_path: Path) -> None:
    result = cli("--version", cwd=tmp_path)
    assert (result.code, result.stdout) == (0, f"contractlint {__version__}\n")


def test_clean_project_exits_zero(cli, tmp_path: Path) -> None:
    shutil.copytree(FIXTURES / "good", tmp_path / "flows")
    result = cli("check", "flows", "--select", "CL0,CL1", cwd=tmp_path)
    assert (result.code, result.stdout, result.stderr) == (0, "All checks passed!\n", "")


def test_positions_in_inline_script_lf_and_crlf(cli, tmp_path: Path) -> None:
    write(tmp_path, "flows/lf.yaml", SCRIPT_FLOW)
    write(tmp_path, "flows/crlf.yaml", SCRIPT_FLOW.replace("\n", "\r\n"))
    write(tmp_path, "flows/bom.yaml", "\ufeff" + SCRIPT_FLOW)
    result = cli("check", "--select", "CL102", cwd=tmp_path)
    message = "CL102 'for' loop in inline script; move the logic into a module function"
    assert result.lines == [
        f"flows/bom.yaml:9:7: {message}",
        f"flows/crlf.yaml:9:7: {message}",
        f"flows/lf.yaml:9:7: {message}",
        "Found 3 diagnostics in 3 files.",
    ]
    assert result.code == 1


def test_json_output_is_exact(cli, tmp_path: Path) -> None:
    write(tmp_path, "flows/report.yaml", SCRIPT_FLOW.replace("\n", "\r\n"))
    result = cli("check", "flows", "--select", "CL102", "--format", "json", cwd=tmp_path)
    assert result.code == 1
    assert json.loads(result.stdout) == {
        "version": __version__,
        "diagnostics": [
            {
                "code": "CL102",
                "name": "inline-script-logic",
                "severity": "error",
                "message": "'for' loop in inline script; move the logic into a module function",
                "path": "flows/report.yaml",
                "line": 9,
                "column": 7,
                "end_line": 9,
                "end_column": 10,
                "flow": "company.team.report",
                "task": "résumé_task",
                "url": None,  # no documentation link unless docs-url says where it is
                "fix": None,
            }
        ],
        "summary": {"files": 1, "diagnostics": 1, "fixable": 0, "unsafe_fixable": 0},
    }


def test_bad_inputs_are_diagnostics_and_the_other_files_are_still_linted(cli, tmp_path: Path) -> None:
    shutil.copytree(FIXTURES / "bad", tmp_path / "bad")
    write(tmp_path, "bad/not_python.py", "def broken(:\n    pass\n")
    write(tmp_path, "bad/binary.py", b"\x00\x01\x02")
    write(tmp_path, "other/compose.yaml", "services:\n  web:\n    image: nginx\n")
    result = cli("check", "bad", "other", "missing_dir", "--select", "CL0", cwd=tmp_path)
    assert result.code == 1, result.stderr
    assert "Traceback" not in result.stderr
    assert result.lines == [
        "bad/binary.py:1:1: CL000 Cannot read file: contains a NUL byte: binary files are not linted",
        "bad/cl000_latin1.yaml:3:17: CL000 Cannot read file: not valid UTF-8 (byte 0xe9 at offset 51)",
        "bad/cl001_yaml_syntax.yaml:9:1: CL001 YAML does not parse: found unexpected end of stream "
        "(while scanning a quoted scalar that starts at line 6, column 14)",
        "bad/cl002_flow_structure.yaml:11:13: CL002 Duplicate task id 'extract' (first used on line 4); "
        "task ids must be unique in a flow",
        "bad/cl002_flow_structure.yaml:14:9: CL002 Task 'no type here' (tasks[1].then[1]) is missing required key 'type'",
        "bad/cl002_flow_structure.yaml:14:13: CL002 Task 'no type here' (tasks[1].then[1]) has an invalid id "
        "'no type here': must match ^[a-zA-Z0-9][a-zA-Z0-9_-]*$",
        "bad/cl003_python_syntax.yaml:8:12: CL003 Inline Python (script) does not parse: '(' was never closed",
        "bad/cl1_crlf_multibyte.yaml:5:9: CL002 Task 'résumé' (tasks[0]) has an invalid id 'résumé': "
        "must match ^[a-zA-Z0-9][a-zA-Z0-9_-]*$",
        "bad/not_python.py:1:12: CL003 Python does not parse: invalid syntax",
        "missing_dir:1:1: CL000 Cannot read file: no such file or directory",
        "Found 10 diagnostics in 8 files.",
    ]


def test_stdin_is_linted_as_the_named_file(cli, tmp_path: Path) -> None:
    result = cli("check", "--stdin-filename", "flows/in.yaml", "--select", "CL102", cwd=tmp_path,
                 stdin=SCRIPT_FLOW.encode())
    assert result.lines[0] == "flows/in.yaml:9:7: CL102 'for' loop in inline script; move the logic into a module function"
    assert result.code == 1


def test_exit_zero_and_quiet(cli, tmp_path: Path) -> None:
    write(tmp_path, "f.yaml", SCRIPT_FLOW)
    result = cli("check", "f.yaml", "--select", "CL102", "--exit-zero", "--quiet", cwd=tmp_path)
    assert (result.code, result.lines) == (
        0, ["f.yaml:9:7: CL102 'for' loop in inline script; move the logic into a module function"]
    )


def test_paths_are_relative_to_the_working_directory(cli, tmp_path: Path) -> None:
    write(tmp_path, "project/flows/f.yaml", SCRIPT_FLOW)
    (tmp_path / "elsewhere").mkdir()
    result = cli("check", "../project", "--select", "CL102", "-q", cwd=tmp_path / "elsewhere")
    assert result.lines == ["../project/flows/f.yaml:9:7: CL102 'for' loop in inline script; move the logic into a module function"]


def test_directories_skip_virtualenvs_caches_and_gitignored_files(cli, tmp_path: Path) -> None:
    for folder in (".venv", "node_modules", "__pycache__", ".git", "ignored", "flows"):
        write(tmp_path, f"{folder}/f.yaml", SCRIPT_FLOW)
    write(tmp_path, ".gitignore", "ignored/\n")
    result = cli("check", "--select", "CL102", "-q", cwd=tmp_path)
    assert [line.split(":")[0] for line in result.lines] == ["flows/f.yaml"]


class TestConfiguration:
    def test_pyproject_options_select_and_rule_options(self, cli, tmp_path: Path) -> None:
        write(tmp_path, "pyproject.toml", '[tool.contractlint]\nselect = ["CL1"]\n\n[tool.contractlint.rules.CL101]\nmax-lines = 3\n')
        write(tmp_path, "f.yaml", SCRIPT_FLOW)
        result = cli("check", "-q", cwd=tmp_path)
        assert result.lines == [
            "f.yaml:6:5: CL101 Inline script has 4 code lines (limit 3); move the logic into a module",
            "f.yaml:9:7: CL102 'for' loop in inline script; move the logic into a module function",
        ]

    def test_flags_beat_environment_beat_file(self, cli, tmp_path: Path) -> None:
        write(tmp_path, ".contractlint.toml", 'select = ["CL101"]\n[rules.CL101]\nmax-lines = 1\n')
        write(tmp_path, "f.yaml", SCRIPT_FLOW)
        from_file = cli("check", "-q", cwd=tmp_path)
        from_env = cli("check", "-q", cwd=tmp_path, env={"CONTRACTLINT_SELECT": "CL102"})
        from_flag = cli("check", "-q", "--select", "CL003", cwd=tmp_path, env={"CONTRACTLINT_SELECT": "CL102"})
        assert [line.split(": ")[1][:5] for line in from_file.lines] == ["CL101"]
        assert [line.split(": ")[1][:5] for line in from_env.lines] == ["CL102"]
        assert (from_flag.code, from_flag.lines) == (0, [])

    def test_longest_prefix_wins_between_select_and_ignore(self, cli, tmp_path: Path) -> None:
        write(tmp_path, "f.yaml", SCRIPT_FLOW)
        result = cli("check", "-q", "--select", "CL1", "--ignore", "CL10", "--extend-select", "CL102", cwd=tmp_path)
        assert [line.split(": ")[1][:5] for line in result.lines] == ["CL102"]

    def test_unknown_key_exits_2_naming_it(self, cli, tmp_path: Path) -> None:
        write(tmp_path, "pyproject.toml", "[tool.contractlint]\nselct = ['CL1']\n")
        result = cli("check", cwd=tmp_path)
        assert result.code == 2
        assert result.stdout == ""
        assert result.stderr.startswith(f"error: unknown key 'selct' in {tmp_path / 'pyproject.toml'} [tool.contractlint];")

    def test_wrong_type_exits_2_with_what_was_expected(self, cli, tmp_path: Path) -> None:
        write(tmp_path, "pyproject.toml", "[tool.contractlint.rules.CL101]\nmax-lines = 'ten'\n")
        result = cli("check", cwd=tmp_path)
        assert (result.code, result.stderr) == (
            2,
            f"error: invalid value for 'rules.CL101.max-lines' in {tmp_path / 'pyproject.toml'} "
            "[tool.contractlint]: expected an integer >= 1, got 'ten'\n",
        )

    def test_unknown_rule_selector_exits_2(self, cli, tmp_path: Path) -> None:
        result = cli("check", "--select", "XY1", cwd=tmp_path)
        assert result.code == 2
        assert "unknown rule selector 'XY1'" in result.stderr

    def test_invalid_toml_exits_2(self, cli, tmp_path: Path) -> None:
        write(tmp_path, ".contractlint.toml", "select = [\n")
        result = cli("check", cwd=tmp_path)
        assert result.code == 2
        assert "is not valid TOML" in result.stderr

    def test_explicit_config_that_does_not_exist_exits_2(self, cli, tmp_path: Path) -> None:
        result = cli("check", "--config", "nope.toml", cwd=tmp_path)
        assert (result.code, result.stderr) == (2, "error: config file nope.toml does not exist\n")

    def test_invalid_format_from_the_environment_names_the_variable(self, cli, tmp_path: Path) -> None:
        result = cli("check", cwd=tmp_path, env={"CONTRACTLINT_FORMAT": "xml"})
        assert result.code == 2
        assert "CONTRACTLINT_FORMAT" in result.stderr


def test_rule_command_shows_the_tested_examples(cli, tmp_path: Path) -> None:
    result = cli("rule", "inline-script-logic", cwd=tmp_path)
    assert result.code == 0
    assert result.lines[0].lstrip("# ") == "CL102 inline-script-logic"
    assert "Why is this bad?" in result.stdout and result.stderr == ""
    missing = cli("rule", "CL999", cwd=tmp_path)
    assert missing.code == 2 and "unknown rule 'CL999'" in missing.stderr


def test_hostile_inputs_are_diagnostics_not_hangs_or_tracebacks(cli, tmp_path: Path) -> None:
    levels = "".join(
        f"x{i + 1}: &x{i + 1} [{', '.join([f'*x{i}'] * 10)}]\n" for i in range(8)
    )
    write(tmp_path, "bomb.yaml", "id: bomb\nnamespace: company.team\nx0: &x0 [a, b]\n" + levels
          + "tasks:\n  - id: t\n    type: io.kestra.plugin.core.log.Log\n    message: hi\n")
    write(tmp_path, "deep.yaml", "id: deep\nnamespace: company.team\ntasks: " + "[" * 3000 + "]" * 3000 + "\n")
    write(tmp_path, "nested.py", "x = " + "(" * 500 + ")" * 500 + "\n")
    write(tmp_path, "chain.py", "x = " + " + ".join(["1"] * 30000) + "\n")
    write(tmp_path, "calls.py", "x = " + "f(" * 150 + ")" * 150 + "\n")
    write(tmp_path, "fine.py", "import os\nvalue = os.environ['A']\n")
    result = cli("check", "--select", "CL0", cwd=tmp_path)
    assert "Traceback" not in result.stderr and result.stderr == ""
    assert result.lines == [
        "bomb.yaml:1:1: CL002 Flow cannot be checked: YAML aliases expand to more than 200000 nodes",
        "chain.py:1:1: CL003 Python does not parse: expression nested more than 300 levels deep: "
        "too complex to analyse",
        "deep.yaml:1:1: CL001 YAML does not parse: document is nested 3000 levels deep (limit 400)",
        "nested.py:1:1: CL003 Python does not parse: brackets nested 500 levels deep (limit 200)",
        "Found 4 diagnostics in 4 files.",
    ]
    assert result.code == 1
