"""Settings per path (issue 12): each file linted with its nearest configuration, the same
findings from any folder, monorepos, --config FILE / KEY=VALUE, --isolated,
--show-settings, --show-files, and configuration files that are broken or hostile."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from conftest import run_cli, write

FLOW = """id: nightly
namespace: company.team
tasks:
  - id: transform
    type: io.kestra.plugin.scripts.python.Script
    env:
      DB_PASSWORD: "{{ secret('DB_PASSWORD') }}"
    script: |
      import os
      from acme.transform import run
      for table in ["a", "b"]:
          run(table)
"""
LEGACY = """id: legacy
namespace: company.team
tasks:
  - id: old
    type: io.kestra.plugin.scripts.python.Script
    script: |
      for x in range(3):
          print(x)
"""
TRANSFORM = 'import os\n\n\ndef run(table):\n    return os.environ["PIPELINE_TZ"], table\n'
SERVER = """kestra:
  plugins:
    defaults:
      - type: io.kestra.plugin.scripts.python
        values:
          env:
            DB_PASSWORD: "{{ secret('DB_PASSWORD') }}"
"""
PYPROJECT = """[tool.contractlint]
src = [".", "src"]
plugin-defaults = ["kestra/application.yml"]
extend-exclude = ["generated"]
per-file-ignores = { "flows/legacy/*.yaml" = ["CL1"] }

[tool.contractlint.rules.CL101]
max-lines = 3
"""


def realistic_repository(root: Path) -> Path:
    """flows/, src/acme/, a pyproject.toml with src, plugin-defaults, excludes,
    per-file-ignores and a rule option, in a git work tree."""
    (root / ".git").mkdir(parents=True)
    write(root, "pyproject.toml", PYPROJECT)
    write(root, "kestra/application.yml", SERVER)
    write(root, "flows/nightly.yaml", FLOW)
    write(root, "flows/legacy/old.yaml", LEGACY)
    write(root, "generated/copy.yaml", LEGACY)
    write(root, "src/acme/__init__.py", "")
    write(root, "src/acme/transform.py", TRANSFORM)
    return root


def findings(result, cwd: Path) -> list[tuple[str, int, int, str, str]]:
    """(absolute path, line, column, code, message) of a JSON report: comparable across
    working directories."""
    report = json.loads(result.stdout)
    return sorted(
        (os.path.normpath(cwd / d["path"]), d["line"], d["column"], d["code"], d["message"])
        for d in report["diagnostics"]
    )


def test_the_same_findings_from_the_root_a_subfolder_outside_and_another_project(tmp_path: Path) -> None:
    repo = realistic_repository(tmp_path / "repo")
    other = tmp_path / "other"
    write(other, "pyproject.toml", '[tool.contractlint]\nselect = ["CL0"]\nsrc = ["lib"]\n')
    runs = {
        "root": (repo, ["."]),
        "subfolder": (repo / "flows", [".."]),
        "outside": (tmp_path, ["repo"]),
        "another project": (other, [str(repo)]),
    }
    results = {}
    for name, (cwd, paths) in runs.items():
        result = run_cli("check", *paths, "--output-format", "json", cwd=cwd)
        assert result.code == 1, (name, result.stderr)
        results[name] = findings(result, cwd)
    expected = [
        (str(repo / "flows/nightly.yaml"), 7, 7, "CL401",
         "Env key 'DB_PASSWORD' of task 'transform' repeats the value of plugin default "
         "'io.kestra.plugin.scripts.python' (kestra/application.yml:4); remove it from the task"),
        (str(repo / "flows/nightly.yaml"), 8, 5, "CL101",
         "Inline script has 4 code lines (limit 3); move the logic into a module"),
        (str(repo / "flows/nightly.yaml"), 11, 7, "CL102",
         "'for' loop in inline script; move the logic into a module function"),
        (str(repo / "flows/nightly.yaml"), 12, 11, "CL203",
         "Task 'transform' does not provide environment variable 'PIPELINE_TZ' read by src/acme/transform.py:5 "
         "(run): KeyError at run time; add it to the task's env or to pluginDefaults"),
    ]  # flows/legacy is per-file-ignored for CL1, generated/ excluded
    assert results["root"] == sorted(expected)
    for name, found in results.items():
        assert found == results["root"], name


def test_a_monorepo_lints_each_project_with_its_own_settings(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    write(tmp_path, "ingest/pyproject.toml", '[tool.contractlint]\nignore = ["CL102"]\n'
          "[tool.contractlint.rules.CL101]\nmax-lines = 2\n")
    write(tmp_path, "ingest/flows/f.yaml", LEGACY)
    write(tmp_path, "report/.contractlint.toml", 'select = ["CL102"]\nexclude = ["skip"]\n')
    write(tmp_path, "report/flows/f.yaml", LEGACY)
    write(tmp_path, "report/skip/f.yaml", LEGACY)
    write(tmp_path, "loose/f.yaml", LEGACY)  # no configuration: the defaults
    expected = [
        "ingest/flows/f.yaml:6:5: CL101 Inline script has 2 code lines (limit 2); move the logic into a module",
        "loose/f.yaml:7:7: CL102 'for' loop in inline script; move the logic into a module function",
        "report/flows/f.yaml:7:7: CL102 'for' loop in inline script; move the logic into a module function",
    ]
    result = run_cli("check", "-q", cwd=tmp_path)
    assert (result.code, result.lines) == (1, expected)
    # From inside one project, the other keeps its own settings.
    inside = run_cli("check", "-q", "..", cwd=tmp_path / "report")
    assert inside.lines == ["../" + line for line in expected]
    # --config FILE gives every file that file's settings instead.
    fixed = run_cli("check", "-q", "--config", "report/.contractlint.toml", cwd=tmp_path)
    assert fixed.lines == [
        "ingest/flows/f.yaml:7:7: CL102 'for' loop in inline script; move the logic into a module function",
        expected[1],
        expected[2],
    ]


def test_a_src_layout_resolves_without_configuration_from_any_folder(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    write(tmp_path, "flows/f.yaml", FLOW.replace('      for table in ["a", "b"]:\n          run(table)\n',
                                                  "      run('a')\n"))
    write(tmp_path, "src/acme/__init__.py", "")
    write(tmp_path, "src/acme/transform.py", TRANSFORM)
    message = "CL203 Task 'transform' does not provide environment variable 'PIPELINE_TZ'"
    for cwd, path, shown in ((tmp_path, ".", "flows/f.yaml"), (tmp_path / "src", "../flows", "../flows/f.yaml")):
        result = run_cli("check", path, "--select", "CL203", "-q", cwd=cwd)
        assert len(result.lines) == 1 and result.lines[0].startswith(f"{shown}:11:7: {message}"), result.stdout


class TestConfigArguments:
    def test_key_value_overrides_one_key_on_top_of_the_file(self, tmp_path: Path) -> None:
        write(tmp_path, ".contractlint.toml", 'select = ["CL1"]\n[rules.CL101]\nmax-lines = 10\n')
        write(tmp_path, "f.yaml", LEGACY)
        plain = run_cli("check", "-q", cwd=tmp_path)
        assert [line.split(" ")[1] for line in plain.lines] == ["CL102"]
        override = run_cli("check", "-q", "--config", "rules.CL101.max-lines = 2", cwd=tmp_path)
        assert [line.split(" ")[1] for line in override.lines] == ["CL101", "CL102"]
        # A flag wins over an override, as in ruff.
        flagged = run_cli("check", "-q", "--config", "select = ['CL101']", "--select", "CL102", cwd=tmp_path)
        assert [line.split(" ")[1] for line in flagged.lines] == ["CL102"]

    def test_a_bad_override_is_a_usage_error_that_says_why(self, tmp_path: Path) -> None:
        result = run_cli("check", "--config", "select = CL1", cwd=tmp_path)
        assert result.code == 2
        assert result.stderr.startswith("error: --config 'select = CL1' is not a TOML KEY = VALUE pair (")
        assert "e.g. --config \"select = ['CL2']\"" in result.stderr
        misspelt = run_cli("check", "--config", "selct = ['CL1']", cwd=tmp_path)
        assert misspelt.code == 2
        assert misspelt.stderr.startswith("error: unknown key 'selct' in --config \"selct = ['CL1']\"; did you mean "
                                          "'select'? (expected one of:")

    def test_two_configuration_files_are_refused(self, tmp_path: Path) -> None:
        write(tmp_path, "a.toml", "")
        write(tmp_path, "b.toml", "")
        result = run_cli("check", "--config", "a.toml", "--config", "b.toml", cwd=tmp_path)
        assert (result.code, result.stderr) == (
            2, "error: only one configuration file can be given: --config a.toml or --config b.toml\n")

    def test_paths_in_a_configuration_are_relative_to_its_folder(self, tmp_path: Path) -> None:
        write(tmp_path, "conf/ci.toml", 'plugin-defaults = ["server.yml"]\nselect = ["CL401"]\n')
        write(tmp_path, "conf/server.yml", SERVER)
        write(tmp_path, "flows/f.yaml", FLOW)
        result = run_cli("check", "-q", "--config", "../conf/ci.toml", ".", cwd=tmp_path / "flows")
        assert result.lines == [
            "f.yaml:7:7: CL401 Env key 'DB_PASSWORD' of task 'transform' repeats the value of plugin default "
            "'io.kestra.plugin.scripts.python' (server.yml:4); remove it from the task"
        ]

    def test_isolated_ignores_every_file_but_not_overrides(self, tmp_path: Path) -> None:
        write(tmp_path, "pyproject.toml", '[tool.contractlint]\nselect = ["CL0"]\n')
        write(tmp_path, "f.yaml", LEGACY)
        configured = run_cli("check", "-q", cwd=tmp_path)
        assert (configured.code, configured.lines) == (0, [])
        isolated = run_cli("check", "-q", "--isolated", cwd=tmp_path)
        assert [line.split(" ")[1] for line in isolated.lines] == ["CL102"]
        overridden = run_cli("check", "-q", "--isolated", "--config", "ignore = ['CL102']", cwd=tmp_path)
        assert (overridden.code, overridden.lines) == (0, [])
        both = run_cli("check", "--isolated", "--config", "pyproject.toml", cwd=tmp_path)
        assert both.code == 2 and "cannot be used with --isolated" in both.stderr


def test_show_settings_names_where_each_value_comes_from(tmp_path: Path) -> None:
    repo = realistic_repository(tmp_path / "repo")
    result = run_cli(
        "check", "--show-settings", "flows/nightly.yaml", "--config", "runtime-env = ['EXECUTION_ID', 'RUN']",
        "--extend-select", "CL900", cwd=repo, env={"CONTRACTLINT_UNSAFE_FIXES": "1"},
    )
    assert result.code == 0, result.stderr
    rows = {line.split(" = ")[0].strip(): line for line in result.lines if " = " in line}
    pyproject = str(repo / "pyproject.toml")
    assert result.lines[:3] == [
        "Settings for flows/nightly.yaml", f"  configuration: {pyproject}", f"  root:          {repo}",
    ]
    assert rows["src"].endswith(f'= ["{repo}", "{repo / "src"}"]  # {pyproject}')
    assert rows["per-file-ignores"].endswith(f'= {{"flows/legacy/*.yaml": ["CL1"]}}  # {pyproject}')
    assert rows["runtime-env"].endswith("= [\"EXECUTION_ID\", \"RUN\"]  # --config \"runtime-env = ['EXECUTION_ID', "
                                        "'RUN']\"")
    assert rows["extend-select"].endswith('= ["CL900"]  # --extend-select')
    assert rows["unsafe-fixes"].endswith("= true  # CONTRACTLINT_UNSAFE_FIXES")
    assert rows["baseline"].endswith("= null  # default")
    assert rows["rules.CL101.max-lines"].endswith(f"= 3  # {pyproject}")
    assert "CL900" in rows["enabled"]
    # Every key is shown, whoever added it.
    from contractlint.config import KEYS

    assert all(key.name in rows for key in KEYS)
    as_json = run_cli("check", "--show-settings", "flows", "--output-format", "json", cwd=repo)
    document = json.loads(as_json.stdout)
    assert document["settings"]["extend-exclude"] == {"value": ["generated"], "source": pyproject}


def test_show_files_lists_what_would_be_linted(tmp_path: Path) -> None:
    repo = realistic_repository(tmp_path / "repo")
    result = run_cli("check", "--show-files", cwd=repo / "flows")
    assert (result.code, result.lines) == (0, ["legacy/old.yaml", "nightly.yaml"])
    everything = run_cli("check", "--show-files", "repo", cwd=tmp_path)
    assert everything.lines == [
        "repo/flows/legacy/old.yaml", "repo/flows/nightly.yaml", "repo/kestra/application.yml",
        "repo/src/acme/__init__.py", "repo/src/acme/transform.py",
    ]  # generated/ is excluded by the project's extend-exclude


def test_modules_no_src_root_holds_are_reported_once(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    write(tmp_path, "flows/f.yaml", FLOW.replace("from acme.transform import run", "import requests\n"
                                                  "      from acme.transform import run"))
    write(tmp_path, "lib/acme/__init__.py", "")
    write(tmp_path, "lib/acme/transform.py", TRANSFORM)
    quiet = run_cli("check", "--select", "CL203", cwd=tmp_path)
    assert (quiet.code, quiet.stdout) == (0, "All checks passed!\n")
    assert quiet.stderr == (
        "note: 1 module that flow scripts import is in no `src` root, so CL203 cannot check what they read "
        "(--verbose lists them)\n"
    )
    verbose = run_cli("check", "--select", "CL203", "--verbose", cwd=tmp_path)
    # requests is nowhere in the repository: a third-party package, not listed.
    assert verbose.stderr == (
        "note: flows/f.yaml imports acme.transform, which no `src` root holds (there is lib/acme: add 'lib' to "
        "`src`)\n"
    )
    write(tmp_path, "pyproject.toml", '[tool.contractlint]\nsrc = ["lib"]\n')
    configured = run_cli("check", "--select", "CL203", "-q", cwd=tmp_path)
    assert configured.stderr == "" and [line.split(" ")[1] for line in configured.lines] == ["CL203"]


class TestBrokenConfiguration:
    """Each a one-line error with exit 2, or correctly ignored (issue 10)."""

    @pytest.mark.parametrize(
        ("content", "error"),
        [
            ('tool = "contractlint"\n', "'tool' must be a table, got a string"),
            ("tool = ['contractlint']\n", "'tool' must be a table, got an array"),
            ("[tool]\ncontractlint = 5\n", "[tool.contractlint] must be a table, got an integer"),
            ("[tool.contractlint\nselect = []\n", "is not valid TOML"),
            ("[tool.contractlint]\nx = " + "[" * 5000 + "]" * 5000 + "\n", "nested too deeply"),
            ("[tool.contractlint]\nper-file-ignores = { 'a' = " + "[" * 100 + "]" * 100 + " }\n",
             "invalid value for 'per-file-ignores.a.0'"),
        ],
    )
    def test_a_pyproject_that_mentions_us_but_is_broken_is_a_one_line_error(
        self, tmp_path: Path, content: str, error: str
    ) -> None:
        write(tmp_path, "pyproject.toml", content)
        write(tmp_path, "f.yaml", LEGACY)
        result = run_cli("check", cwd=tmp_path)
        assert result.code == 2, result.stdout
        assert result.stdout == "" and len(result.stderr.splitlines()) == 1, result.stderr
        assert result.stderr.startswith("error: ") and error in result.stderr and "Traceback" not in result.stderr

    @pytest.mark.parametrize("content", ["tool = 5\n", "[project\nname = 'x'\n", "[tool.black]\nline-length = 'x'\n",
                                         "\xff\xfe"])
    def test_a_pyproject_of_other_tools_is_ignored_even_when_broken(self, tmp_path: Path, content: str) -> None:
        (tmp_path / "pyproject.toml").write_bytes(content.encode("latin-1"))
        write(tmp_path, "f.yaml", LEGACY)
        result = run_cli("check", "-q", cwd=tmp_path)
        assert (result.code, result.stderr) == (1, "")
        assert [line.split(" ")[1] for line in result.lines] == ["CL102"]

    def test_a_nearer_configuration_wins_over_a_broken_parent_pyproject(self, tmp_path: Path) -> None:
        write(tmp_path, "pyproject.toml", "[tool.contractlint\nbroken = \n")
        write(tmp_path, "project/.contractlint.toml", 'select = ["CL102"]\n')
        write(tmp_path, "project/f.yaml", LEGACY)
        for cwd, path in ((tmp_path / "project", "."), (tmp_path / "project", "f.yaml")):
            result = run_cli("check", "-q", path, cwd=cwd)
            assert (result.code, result.stderr) == (1, ""), result.stderr
            assert [line.split(" ")[1] for line in result.lines] == ["CL102"]

    def test_per_file_ignores_errors_name_the_file_and_the_key(self, tmp_path: Path) -> None:
        write(tmp_path, "pyproject.toml", '[tool.contractlint]\nper-file-ignores = { "flows/*.yaml" = ["CL99"] }\n')
        result = run_cli("check", cwd=tmp_path)
        assert (result.code, result.stderr) == (
            2,
            f"error: unknown rule selector 'CL99' in {tmp_path / 'pyproject.toml'} [tool.contractlint] key "
            "'per-file-ignores': 'flows/*.yaml': no rule code starts with it (see `contractlint rules`)\n",
        )
        write(tmp_path, "pyproject.toml", '[tool.contractlint]\nper-file-ignores = { "flows/[x" = ["CL1"] }\n')
        glob = run_cli("check", cwd=tmp_path)
        assert glob.code == 2 and glob.stderr.startswith(
            f"error: invalid glob 'flows/[x' in {tmp_path / 'pyproject.toml'} [tool.contractlint] key "
            "'per-file-ignores': 'flows/[x':")

    def test_a_misspelt_key_gets_a_suggestion(self, tmp_path: Path) -> None:
        write(tmp_path, ".contractlint.toml", "extend-exlude = ['x']\n")
        result = run_cli("check", cwd=tmp_path)
        assert result.code == 2
        assert result.stderr.startswith(
            f"error: unknown key 'extend-exlude' in {tmp_path / '.contractlint.toml'}; did you mean 'extend-exclude'?")

    def test_a_fifo_is_not_read_as_a_configuration(self, tmp_path: Path) -> None:
        if not hasattr(os, "mkfifo"):
            pytest.skip("no FIFOs here")
        os.mkfifo(tmp_path / ".contractlint.toml")
        result = run_cli("check", "--config", ".contractlint.toml", cwd=tmp_path)
        assert result.code == 2 and "is not a regular file" in result.stderr


def test_the_baseline_key_is_per_project_and_relative_to_its_configuration(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    write(tmp_path, "a/pyproject.toml", '[tool.contractlint]\nbaseline = "ci/baseline.json"\n')
    write(tmp_path, "a/flows/f.yaml", LEGACY)
    write(tmp_path, "b/flows/f.yaml", LEGACY)
    written = run_cli("check", "a", "--write-baseline", "a/ci/baseline.json", cwd=tmp_path)
    assert written.code == 0, written.stderr
    for cwd, path in ((tmp_path, "."), (tmp_path / "a" / "flows", "../.."), (tmp_path.parent, tmp_path.name)):
        result = run_cli("check", path, "-q", cwd=cwd)
        assert [line.split(":")[0].split("/")[-3:] for line in result.lines] == [["b", "flows", "f.yaml"]], cwd


# -- the command line ruff users expect ----------------------------------------------------------

SCRIPT_GET = """id: nightly
namespace: company.team
tasks:
  - id: transform
    type: io.kestra.plugin.scripts.python.Script
    script: |
      import os
      from acme.transform import run
      run(os.environ.get("REGION", "eu"))
"""
MODULE_GET = 'import os\n\n\ndef run(region):\n    return os.environ.get("PIPELINE_TZ", "UTC"), region\n'


class TestCommandLine:
    def test_output_format_and_its_format_alias(self, tmp_path: Path) -> None:
        write(tmp_path, "f.yaml", LEGACY)
        canonical = run_cli("check", "--output-format", "json", cwd=tmp_path)
        alias = run_cli("check", "--format", "json", cwd=tmp_path)
        from_env = run_cli("check", cwd=tmp_path, env={"CONTRACTLINT_OUTPUT_FORMAT": "json"})
        assert json.loads(canonical.stdout) == json.loads(alias.stdout) == json.loads(from_env.stdout)
        write(tmp_path, ".contractlint.toml", 'output-format = "github"\n')
        configured = run_cli("check", cwd=tmp_path)
        assert configured.stdout.startswith("::error file=f.yaml,line=7,col=7,")

    def test_color(self, tmp_path: Path) -> None:
        write(tmp_path, "f.yaml", LEGACY)
        always = run_cli("check", "--color", "always", cwd=tmp_path, env={"NO_COLOR": "1"})
        never = run_cli("check", "--color", "never", cwd=tmp_path)
        auto = run_cli("check", cwd=tmp_path)  # not a terminal
        assert "\x1b[" in always.stdout
        assert "\x1b[" not in never.stdout and never.stdout == auto.stdout
        import re

        assert re.sub(r"\x1b\[[0-9;]*m", "", always.stdout) == never.stdout

    def test_dash_is_standard_input_with_or_without_a_name(self, tmp_path: Path) -> None:
        message = "CL102 'for' loop in inline script; move the logic into a module function"
        flow = run_cli("check", "-", "-q", cwd=tmp_path, stdin=LEGACY.encode())
        assert (flow.code, flow.lines) == (1, [f"-:7:7: {message}"])
        module = run_cli("check", "-", "-q", cwd=tmp_path, stdin=b"import os\nx = os.getenv('A')\n")
        assert module.lines[0].startswith("-:2:5: CL202 ")
        named = run_cli("check", "-", "--stdin-filename", "flows/f.yaml", "-q", cwd=tmp_path, stdin=LEGACY.encode())
        assert named.lines == [f"flows/f.yaml:7:7: {message}"]
        bad_name = run_cli("check", "--stdin-filename", "notes.txt", cwd=tmp_path, stdin=b"x")
        assert bad_name.code == 2 and "is not a .yaml, .yml or .py name" in bad_name.stderr

    def test_stdin_is_linted_with_the_configuration_of_the_file_it_stands_for(self, tmp_path: Path) -> None:
        write(tmp_path, "project/.contractlint.toml", 'ignore = ["CL102"]\n')
        result = run_cli("check", "--stdin-filename", "project/f.yaml", cwd=tmp_path, stdin=LEGACY.encode())
        assert (result.code, result.stdout) == (0, "All checks passed!\n")

    def test_diff_exits_1_only_when_something_would_change(self, tmp_path: Path) -> None:
        write(tmp_path, "f.yaml", LEGACY)
        nothing = run_cli("check", "--diff", cwd=tmp_path)
        assert (nothing.code, nothing.stdout) == (0, "")  # a finding, but no fix
        write(tmp_path, "m.py", "import os\nx = os.getenv('A')\n")
        unsafe_only = run_cli("check", "--diff", cwd=tmp_path)
        assert (unsafe_only.code, unsafe_only.stdout) == (0, "")
        something = run_cli("check", "--diff", "--unsafe-fixes", cwd=tmp_path)
        assert something.code == 1 and something.stdout.startswith("--- a/m.py\n+++ b/m.py\n")

    def test_statistics_with_sarif_or_github_is_a_usage_error(self, tmp_path: Path) -> None:
        for output_format in ("sarif", "github"):
            result = run_cli("check", "--statistics", "--output-format", output_format, cwd=tmp_path)
            assert (result.code, result.stdout) == (2, "")
            assert result.stderr == (f"error: --statistics prints counts as text or json; it cannot be combined with "
                                     f"--output-format {output_format}\n")
        write(tmp_path, ".contractlint.toml", 'output-format = "sarif"\n')
        configured = run_cli("check", "--statistics", cwd=tmp_path)
        assert configured.code == 2 and "the configured output format is 'sarif'" in configured.stderr

    def test_rule_prefix_lists_the_rules(self, tmp_path: Path) -> None:
        result = run_cli("rule", "CL2", cwd=tmp_path)
        assert result.code == 0
        assert [line.split()[0] for line in result.lines] == ["Code", "CL201", "CL202", "CL203"]
        assert [r["code"] for r in json.loads(run_cli("rule", "cl40", "--format", "json", cwd=tmp_path).stdout)] == [
            "CL401", "CL402", "CL403"]

    def test_fix_reports_what_the_next_check_prints(self, tmp_path: Path) -> None:
        write(tmp_path, "flows/nightly.yaml", SCRIPT_GET)
        write(tmp_path, "src/acme/__init__.py", "")
        write(tmp_path, "src/acme/transform.py", MODULE_GET)
        fixed = run_cli("check", "--fix", "--unsafe-fixes", "--show-fixes", cwd=tmp_path)
        after = run_cli("check", cwd=tmp_path)
        tz = ("flows/nightly.yaml:9:7: CL203 Task 'transform' does not provide environment variable 'PIPELINE_TZ' "
              "read by src/acme/transform.py:5 (run): KeyError at run time; add it to the task's env or to "
              "pluginDefaults")
        region = ("flows/nightly.yaml:9:11: CL203 Task 'transform' does not provide environment variable 'REGION': "
                  "KeyError at run time; add it to the task's env or to pluginDefaults")
        assert fixed.lines == [
            tz, region,
            "Fixed 2 diagnostics:",
            "- flows/nightly.yaml:",
            "    1 × CL201 (environ-default)",
            "- src/acme/transform.py:",
            "    1 × CL201 (environ-default)",
            "Found 2 diagnostics in 1 file.",
        ]
        assert after.lines == [tz, region, "Found 2 diagnostics in 1 file."]
        assert fixed.code == after.code == 1
        # The fix report says which reads lost their default and are now not provided.
        new = "CL203 is new after --fix: a fix made a default into a required read."
        assert fixed.stderr.splitlines() == [
            f"flows/nightly.yaml:9:7: {new} " + tz.split(": CL203 ", 1)[1],
            f"flows/nightly.yaml:9:11: {new} " + region.split(": CL203 ", 1)[1],
        ]

    def test_exit_non_zero_on_fix(self, tmp_path: Path) -> None:
        write(tmp_path, "m.py", "import os\nx = os.getenv('A')\n")
        plain = run_cli("check", "--fix", "--unsafe-fixes", "m.py", cwd=tmp_path)
        assert (plain.code, plain.lines) == (0, ["Fixed 1 diagnostic.", "All checks passed!"])
        write(tmp_path, "m.py", "import os\nx = os.getenv('A')\n")
        strict = run_cli("check", "--fix", "--unsafe-fixes", "--exit-non-zero-on-fix", "m.py", cwd=tmp_path)
        assert (strict.code, strict.lines) == (1, ["Fixed 1 diagnostic.", "All checks passed!"])
        unchanged = run_cli("check", "--fix", "--exit-non-zero-on-fix", "m.py", cwd=tmp_path)
        assert unchanged.code == 0
