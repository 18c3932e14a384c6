"""Suppressions: `# noqa: CODE` in Python modules, inline scripts and YAML lines, the
task-level form on a task's `id:` line, CL900 unused-noqa (positions and fixes),
per-file-ignores, and config-level excludes end to end.

Tests use the rules that exist from the start (CL001-CL003, CL101, CL102) and two
test-only rules injected into the linter (a module rule and an `env` entry rule), so
they do not depend on rules still being written.
"""

from __future__ import annotations

import ast
import shutil
from collections.abc import Iterable
from pathlib import Path

import pytest

from conftest import REPO, run_cli
from contractlint.config import CommandLine, settings_from_table
from contractlint.diagnostics import Diagnostic
from contractlint.flow import yaml_nodes as yn
from contractlint.rules import Rule, RuleContext
from contractlint.runner import build_linter, fix_text
from contractlint.suppressions import lex_noqa, python_comments

FIXTURES = REPO / "flows_fixtures"
HEAD = "id: etl\nnamespace: company.team\ntasks:\n"
LOOP = "'for' loop in inline script; move the logic into a module function"


@pytest.fixture
def cli(inprocess_cli):
    return inprocess_cli


# -- test-only rules ------------------------------------------------------------------


class FallbackCall(Rule):
    """Reports every call to a function named `fallback` (span: the whole call)."""

    code = "CL991"
    name = "test-fallback-call"
    default_enabled = False

    node_types = (ast.Call,)

    def check_node(self, node, code, context: RuleContext) -> Iterable[Diagnostic]:
        if isinstance(node.func, ast.Name) and node.func.id == "fallback":
            yield self.code_diagnostic(code, node, "Call to fallback()")


class EnvEntry(Rule):
    """Reports every key of every task's `env` mapping (as the CL4xx rules will)."""

    code = "CL992"
    name = "test-env-entry"
    default_enabled = False

    def check_flow(self, flow, context: RuleContext) -> Iterable[Diagnostic]:
        for task in flow.tasks:
            for key_node, _ in yn.items(task.value("env")):
                yield self.flow_diagnostic(
                    flow, yn.node_span(flow.source, key_node), f"env key {key_node.value}", task=task
                )


@pytest.fixture(autouse=True)
def test_rules(monkeypatch: pytest.MonkeyPatch) -> None:
    """The registry with the two test-only rules (off unless selected)."""
    from contractlint import engine, rules

    extended = tuple(sorted((*rules.all_rules(), FallbackCall, EnvEntry), key=lambda rule: rule.code))
    monkeypatch.setattr(rules, "all_rules", lambda: extended)
    monkeypatch.setattr(engine, "all_rules", lambda: extended)


def make_linter(root: Path, table: dict | None = None, select: tuple[str, ...] | None = None,
                extend_select: tuple[str, ...] = ()):
    return build_linter(settings_from_table(table or {}, root, None, CommandLine(select=select,
                                                                                  extend_select=extend_select)))


def lint(root: Path, path: str, text: str, **options) -> list[tuple[int, int, int, int, str, str]]:
    """(line, column, end_line, end_column, code, message) of every diagnostic."""
    result = make_linter(root, **options).lint_bytes(path, text.encode("utf-8"))
    return [(d.span.line, d.span.column, d.span.end_line, d.span.end_column, d.code, d.message)
            for d in result.diagnostics]


def fixed(root: Path, path: str, text: str, **options) -> str:
    linter = make_linter(root, **options)
    result = linter.lint_bytes(path, text.encode("utf-8"))
    return fix_text(linter, result, unsafe_fixes=False).text


@pytest.fixture
def root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return tmp_path


# -- reading a noqa comment (ruff's lexer) -----------------------------------------------


@pytest.mark.parametrize(
    ("comment", "codes"),
    [
        ("# noqa: CL201", ["CL201"]),
        ("# NOQA:CL201", ["CL201"]),
        ("# NoQa: CL201", ["CL201"]),
        ("#noqa:CL201,CL202", ["CL201", "CL202"]),
        ("# noqa: CL201 CL202", ["CL201", "CL202"]),
        ("# noqa: CL201,   CL202 , E501", ["CL201", "CL202", "E501"]),
        ("# noqa: CL201 -- legacy flow, see #12", ["CL201"]),
        ("# noqa: CL201 Reason in words", ["CL201"]),
        ("# noqa : CL201", ["CL201"]),
        ("# noqa:CL201# another comment", ["CL201"]),
        ("# noqa: CL201, ,CL202", ["CL201", "CL202"]),
        ("# noqa: CL201CL202", ["CL201", "CL202"]),
        ("# keep this # noqa: CL102", ["CL102"]),
        ("# noqa: CL2", ["CL2"]),
        ("# noqa", []),
        ("# noqa because", []),
        ("#noqa# trailing", []),
    ],
)
def test_noqa_forms(comment: str, codes: list[str]) -> None:
    lexed = lex_noqa(comment)
    assert lexed is not None
    assert [code for code, _, _ in lexed.codes] == codes
    for code, start, end in lexed.codes:
        assert comment[start:end] == code


@pytest.mark.parametrize(
    "comment",
    ["# noqa:", "# noqa: ", "#noqaCL201", "# noqa; CL201", "# noqa: CL201abc", "# noqa: CL201: why",
     "# noqa: cl201", "# noqa: CL201Fabc", "# no qa: CL201", "# ☕ noqa: CL201", "# a comment"],
)
def test_malformed_or_absent_noqa_is_no_directive(comment: str) -> None:
    assert lex_noqa(comment) is None


def test_directive_offsets_cover_hash_to_last_code() -> None:
    comment = "# why # noqa: CL101, CL102 -- reason"
    lexed = lex_noqa(comment)
    assert comment[lexed.start:lexed.end] == "# noqa: CL101, CL102"


def test_python_comments_come_from_the_tokenizer() -> None:
    text = 'x = "# noqa: CL102"  # noqa: CL101\ny = """\n# noqa: CL103\n"""\nz = 1 + \\\n    2\n'
    found = python_comments(text)
    assert found.comments == [(1, 21, "# noqa: CL101")]
    # The lines of a string spanning lines belong to its last line, continued lines to
    # the last line of the statement.
    assert found.line_map == {2: 4, 3: 4, 5: 6}


# -- Python modules -------------------------------------------------------------------------


class TestModules:
    def test_noqa_suppresses_the_named_code_on_its_line_only(self, root: Path) -> None:
        text = ("from pipelines import fallback\n"
                "a = fallback()  # noqa: CL991\n"
                "b = fallback()  # noqa: CL102\n"
                "c = fallback()  # noqa\n"
                "d = '# noqa: CL991'; e = fallback()\n")
        assert lint(root, "m.py", text, select=("CL991",)) == [
            (3, 5, 3, 15, "CL991", "Call to fallback()"),
            (4, 5, 4, 15, "CL991", "Call to fallback()"),
            (5, 26, 5, 36, "CL991", "Call to fallback()"),
        ]

    def test_every_spelling_ruff_accepts(self, root: Path) -> None:
        text = ("from pipelines import fallback\n"
                "a = fallback()  # NOQA:CL991\n"
                "b = fallback()  #noqa:CL102,CL991\n"
                "c = fallback()  # noqa: CL102 CL991\n"
                "d = fallback()  # noqa: CL991 -- kept until the prompt table exists\n"
                "e = fallback()  # type: ignore # noqa: CL991\n")
        assert lint(root, "m.py", text, select=("CL991",)) == []

    def test_multi_line_diagnostic_belongs_to_its_start_line(self, root: Path) -> None:
        text = "from pipelines import fallback\nx = fallback(\n    1,\n)  # noqa: CL991\ny = fallback(  # noqa: CL991\n    2,\n)\n"
        assert lint(root, "m.py", text, select=("CL991",)) == [(2, 5, 4, 2, "CL991", "Call to fallback()")]

    def test_multi_line_string_and_continuation_take_the_noqa_of_their_last_line(self, root: Path) -> None:
        text = ('from pipelines import fallback\n'
                'x = fallback("""\n    text\n""")  # noqa: CL991\n'
                'y = fallback() + \\\n    1  # noqa: CL991\n'
                'z = fallback("""  # noqa: CL991\n""")\n')
        assert lint(root, "m.py", text, select=("CL991",)) == [(7, 5, 8, 5, "CL991", "Call to fallback()")]

    def test_syntax_error_can_be_suppressed_on_its_line(self, root: Path) -> None:
        assert lint(root, "m.py", "import os\nprint((1)  # noqa: CL003\n") == []
        assert lint(root, "m.py", "import os\nprint((1)  # noqa: CL102\n") == [
            (2, 6, 2, 7, "CL003", "Python does not parse: '(' was never closed"),
        ]


# -- inline scripts ---------------------------------------------------------------------------


SCRIPT_TASK = "  - id: transform\n    type: io.kestra.plugin.scripts.python.Script\n"


class TestInlineScripts:
    def test_python_comment_on_the_script_line(self, root: Path) -> None:
        text = (HEAD + SCRIPT_TASK + "    script: |\n"
                "      for row in rows():  # noqa: CL102\n          print(row)\n"
                "      while {{ inputs.go }}:  # noqa: CL102 -- polling until the API has webhooks\n"
                "          break\n"
                "      try:\n          pass  # noqa: CL102\n      finally:\n          pass\n")
        assert lint(root, "flows/f.yaml", text, select=("CL102",)) == [
            (11, 7, 11, 10, "CL102", "'try' block in inline script; move the logic into a module function"),
        ]

    def test_noqa_inside_a_python_string_is_not_a_comment(self, root: Path) -> None:
        text = HEAD + SCRIPT_TASK + "    script: |\n      for x in ['# noqa: CL102']:\n          print(x)\n"
        assert lint(root, "flows/f.yaml", text, select=("CL102",)) == [(7, 7, 7, 10, "CL102", LOOP)]

    def test_bare_noqa_suppresses_nothing(self, root: Path) -> None:
        text = HEAD + SCRIPT_TASK + "    script: |\n      for x in y():  # noqa\n          print(x)\n"
        assert lint(root, "flows/f.yaml", text, select=("CL102", "CL900")) == [(7, 7, 7, 10, "CL102", LOOP)]

    def test_input_files_script_crlf_and_multibyte(self, root: Path) -> None:
        text = (HEAD + "  - id: run\n    type: io.kestra.plugin.scripts.python.Commands\n    inputFiles:\n"
                "      main.py: |\n        é = '☕'\n        for ligne in é:  # noqa: CL102\n            pass\n"
                "        for ligne in é:  # noqa: CL101\n            pass\n"
                "    commands:\n      - python main.py\n").replace("\n", "\r\n")
        assert lint(root, "flows/f.yaml", text, select=("CL102", "CL900")) == [
            (11, 9, 11, 12, "CL102", LOOP),
            (11, 34, 11, 39, "CL900", "Unused noqa code CL101: rule CL101 (inline-script-too-long) is not enabled"),
        ]

    def test_yaml_comment_on_the_script_header_line(self, root: Path) -> None:
        body = "".join(f"      x{i} = {i}\n" for i in range(15))
        text = HEAD + SCRIPT_TASK + "    script: |  # noqa: CL101\n" + body
        assert lint(root, "flows/f.yaml", text, select=("CL101",)) == []
        text = HEAD + SCRIPT_TASK + "    script: |\n" + body
        assert [d[4] for d in lint(root, "flows/f.yaml", text, select=("CL101",))] == ["CL101"]

    def test_folded_and_quoted_scripts_take_the_noqa_on_the_key_line(self, root: Path) -> None:
        # Their findings are reported at the `script` key (the script line is in the
        # message): the comment goes where the finding is.
        text = (HEAD + SCRIPT_TASK + "    script: >  # noqa: CL102\n      for x in y(): pass\n"
                "  - id: quoted\n    type: io.kestra.plugin.scripts.python.Script\n"
                '    script: "for x in y(): pass"  # noqa: CL102\n'
                "  - id: inside\n    type: io.kestra.plugin.scripts.python.Script\n"
                '    script: "for x in y(): pass  # noqa: CL102"\n')
        assert lint(root, "flows/f.yaml", text, select=("CL102",)) == [
            (13, 5, 13, 11, "CL102", LOOP + " (script line 1)"),
        ]

    def test_noqa_in_a_non_python_block_scalar_is_text(self, root: Path) -> None:
        text = (HEAD + "  - id: note\n    type: io.kestra.plugin.core.log.Log\n    message: |\n"
                "      env: API_TOKEN  # noqa: CL992\n    env:\n      API_TOKEN: x  # noqa: CL102\n")
        assert lint(root, "flows/f.yaml", text, select=("CL0", "CL992")) == [
            (9, 7, 9, 16, "CL992", "Env key API_TOKEN"),
        ]


# -- YAML lines -----------------------------------------------------------------------------


class TestYamlLines:
    def test_env_entry_and_property_lines(self, root: Path) -> None:
        text = (HEAD + "  - id: notify\n    type: io.kestra.plugin.scripts.shell.Commands\n    env:\n"
                "      API_TOKEN: abc  # noqa: CL992\n"
                "      CHANNEL: '#general' # noqa:CL992\n"
                "      'QUOTED # noqa: CL992': x\n"
                "      PLAIN: a#noqa:CL992\n"
                "      FLOW: {A: 1}  # NOQA: CL992 -- flow mapping\n"
                "    commands:\n      - echo hi\n      - echo hi\n"
                "    commands: [echo]  # noqa: CL001\n")
        assert lint(root, "flows/f.yaml", text, select=("CL001", "CL992")) == [
            (9, 7, 9, 29, "CL992", "Env key QUOTED # noqa: CL992"),
            (10, 7, 10, 12, "CL992", "Env key PLAIN"),
        ]

    def test_duplicate_task_id_on_its_line(self, root: Path) -> None:
        text = (HEAD + "  - id: extract\n    type: io.kestra.plugin.core.log.Log\n    message: a\n"
                "  - id: extract  # noqa: CL002 -- renamed in the next release\n"
                "    type: io.kestra.plugin.core.log.Log\n    message: b\n"
                "  - id: extract\n    type: io.kestra.plugin.core.log.Log\n    message: c\n")
        assert lint(root, "flows/f.yaml", text, select=("CL002",)) == [
            (10, 9, 10, 16, "CL002",
             "Duplicate task id 'extract' (first used on line 4); task ids must be unique in a flow"),
        ]

    def test_comment_after_a_multi_line_quoted_scalar_is_a_comment(self, root: Path) -> None:
        text = (HEAD + "  - id: notify\n    type: io.kestra.plugin.core.log.Log\n    env:\n"
                '      NOTE: "a long\n        # noqa: CL992 text"\n      KEY: 1  # noqa: CL992\n')
        assert lint(root, "flows/f.yaml", text, select=("CL0", "CL992")) == [
            (7, 7, 7, 11, "CL992", "Env key NOTE"),
        ]


# -- task-level noqa ------------------------------------------------------------------------


NESTED = (
    HEAD
    + "  - id: branch  # noqa: CL102, CL992\n"
    "    type: io.kestra.plugin.core.flow.If\n"
    '    condition: "{{ inputs.go }}"\n'
    "    then:\n"
    "      - id: inner\n"
    "        type: io.kestra.plugin.scripts.python.Script\n"
    "        env:\n          TOKEN: x\n"
    "        script: |\n          for x in y():\n              pass\n"
    "    else:\n"
    "      - id: parallel\n"
    "        type: io.kestra.plugin.core.flow.Parallel\n"
    "        tasks:\n"
    "          - id: deep\n"
    "            type: io.kestra.plugin.scripts.python.Script\n"
    "            script: |\n              while True:\n                  break\n"
    "  - id: sibling\n"
    "    type: io.kestra.plugin.scripts.python.Script\n"
    "    env:\n      TOKEN: y\n"
    "    script: |\n      for x in y():\n          pass\n"
)


class TestTaskLevel:
    def test_id_line_covers_the_task_its_script_and_nested_tasks(self, root: Path) -> None:
        assert lint(root, "flows/f.yaml", NESTED, select=("CL102", "CL900", "CL992")) == [
            (27, 7, 27, 12, "CL992", "Env key TOKEN"),
            (29, 7, 29, 10, "CL102", LOOP),
        ]

    def test_only_the_named_codes(self, root: Path) -> None:
        text = NESTED.replace("# noqa: CL102, CL992", "# noqa: CL992")
        assert lint(root, "flows/f.yaml", text, select=("CL102", "CL992")) == [
            (13, 11, 13, 14, "CL102", LOOP),
            (22, 15, 22, 20, "CL102", "'while' loop in inline script; move the logic into a module function"),
            (27, 7, 27, 12, "CL992", "Env key TOKEN"),
            (29, 7, 29, 10, "CL102", LOOP),
        ]

    def test_nested_task_id_line(self, root: Path) -> None:
        text = NESTED.replace("# noqa: CL102, CL992", "").replace("- id: deep", "- id: deep  # noqa: CL102")
        assert [d[:1] + d[4:5] for d in lint(root, "flows/f.yaml", text, select=("CL102",))] == [
            (13, "CL102"), (29, "CL102"),
        ]

    def test_dag_tasks_and_triggers(self, root: Path) -> None:
        text = (HEAD + "  - id: dag\n    type: io.kestra.plugin.core.flow.Dag\n    tasks:\n"
                "      - task:\n          id: step  # noqa: CL102\n"
                "          type: io.kestra.plugin.scripts.python.Script\n"
                "          script: |\n            for x in y():\n                pass\n"
                "triggers:\n  - id: daily  # noqa: CL002 -- type added by the deploy script\n"
                '    cron: "0 9 * * *"\n')
        assert lint(root, "flows/f.yaml", text, select=("CL102", "CL002", "CL900")) == []

    def test_unused_task_level_code_names_the_task(self, root: Path) -> None:
        text = NESTED.replace("  - id: sibling\n", "  - id: sibling  # noqa: CL101\n")
        assert lint(root, "flows/f.yaml", text, select=("CL101", "CL102", "CL900", "CL992")) == [
            (24, 26, 24, 31, "CL900",
             "Unused noqa code CL101: no CL101 (inline-script-too-long) diagnostic in task 'sibling'"),
            (27, 7, 27, 12, "CL992", "Env key TOKEN"),
            (29, 7, 29, 10, "CL102", LOOP),
        ]


# -- CL900 unused-noqa ----------------------------------------------------------------------


class TestUnusedNoqa:
    def test_off_by_default(self, root: Path) -> None:
        text = HEAD + SCRIPT_TASK + "    script: |\n      print(1)  # noqa: CL102, CL999\n"
        assert lint(root, "flows/f.yaml", text) == []

    def test_positions_and_kinds(self, root: Path) -> None:
        text = ("from pipelines import fallback\n"
                "a = fallback()  # noqa: CL991, CL991\n"
                "b = 1  # noqa: CL991\n"
                "c = 2  # noqa: CL1, CL999, E501\n"
                "d = 3  # noqa: CL102\n"
                "é = '☕'  # noqa: CL002\n")
        assert lint(root, "m.py", text, select=("CL0", "CL1", "CL900", "CL991")) == [
            (2, 32, 2, 37, "CL900", "Duplicate noqa code CL991: it is already listed in this comment"),
            (3, 16, 3, 21, "CL900", "Unused noqa code CL991: no CL991 (test-fallback-call) diagnostic on this line"),
            (4, 16, 4, 19, "CL900",
             "Unknown rule code CL1 in noqa comment: noqa takes full codes, not prefixes (CL101, CL102, CL103)"),
            (4, 21, 4, 26, "CL900", "Unknown rule code CL999 in noqa comment (`contractlint rules` lists them)"),
            (5, 16, 5, 21, "CL900", "Unused noqa code CL102: no CL102 (inline-script-logic) diagnostic on this line"),
            (6, 18, 6, 23, "CL900", "Unused noqa code CL002: no CL002 (flow-structure) diagnostic on this line"),
        ]

    def test_not_enabled_and_per_file_ignored_codes(self, root: Path) -> None:
        text = HEAD + SCRIPT_TASK + "    script: |\n      print(1)  # noqa: CL101 CL102\n"
        table = {"per-file-ignores": {"flows/*.yaml": ["CL102"]}}
        assert lint(root, "flows/f.yaml", text, table=table, select=("CL102", "CL900")) == [
            (7, 25, 7, 30, "CL900", "Unused noqa code CL101: rule CL101 (inline-script-too-long) is not enabled"),
            (7, 31, 7, 36, "CL900", "Unused noqa code CL102: CL102 (inline-script-logic) is already ignored "
             "for this file by per-file-ignores"),
        ]

    def test_inner_directive_is_used_before_the_task_level_one(self, root: Path) -> None:
        text = NESTED.replace("for x in y():\n              pass", "for x in y():  # noqa: CL102\n              pass")
        text = text.replace("while True:\n", "while True:  # noqa: CL102\n")
        assert lint(root, "flows/f.yaml", text, select=("CL102", "CL900", "CL992")) == [
            (4, 25, 4, 30, "CL900",
             "Unused noqa code CL102: no CL102 (inline-script-logic) diagnostic in task 'branch'"),
            (27, 7, 27, 12, "CL992", "Env key TOKEN"),
            (29, 7, 29, 10, "CL102", LOOP),
        ]

    def test_a_comment_naming_cl900_is_exempt_and_cl900_is_not_reported_by_per_file_ignores(
            self, root: Path) -> None:
        text = "x = 1  # noqa: CL101, CL900\ny = 2  # noqa: CL101\n"
        assert lint(root, "m.py", text, extend_select=("CL900",)) == [
            (2, 16, 2, 21, "CL900", "Unused noqa code CL101: no CL101 (inline-script-too-long) diagnostic on this line"),
        ]
        assert lint(root, "m.py", text, extend_select=("CL900",), table={"per-file-ignores": {"*.py": ["CL900"]}}) == []

    def test_task_level_cl900_exempts_the_task(self, root: Path) -> None:
        text = (HEAD + "  - id: legacy  # noqa: CL900\n    type: io.kestra.plugin.scripts.python.Script\n"
                "    script: |\n      print(1)  # noqa: CL102\n"
                "  - id: current\n    type: io.kestra.plugin.scripts.python.Script\n"
                "    script: |\n      print(1)  # noqa: CL102\n")
        assert lint(root, "flows/f.yaml", text, select=("CL102", "CL900")) == [
            (11, 25, 11, 30, "CL900", "Unused noqa code CL102: no CL102 (inline-script-logic) diagnostic on this line"),
        ]


class TestUnusedNoqaFixes:
    @pytest.mark.parametrize(
        ("line", "after"),
        [
            ("x = 1  # noqa: CL101\n", "x = 1\n"),
            ("x = 1  # noqa: CL101 -- the reason goes too\n", "x = 1\n"),
            ("x = 1  # noqa: CL101, CL999\n", "x = 1\n"),
            ("x = 1  # noqa: CL101, E501\n", "x = 1  # noqa: E501\n"),
            ("x = 1  # noqa: E501, CL101\n", "x = 1  # noqa: E501\n"),
            ("x = 1  # noqa: CL101 E501 -- why\n", "x = 1  # noqa: E501 -- why\n"),
            ("x = 1  # noqa: CL101, CL102, E501\n", "x = 1  # noqa: E501\n"),
            ("x = 1  # noqa: E501, CL101, CL102\n", "x = 1  # noqa: E501\n"),
            ("x = 1  # keep me # noqa: CL101\n", "x = 1  # keep me\n"),
            ("x = 1  # noqa: CL101  # type: ignore\n", "x = 1  # type: ignore\n"),
            ("x = 1\n# noqa: CL101\ny = 2\n", "x = 1\ny = 2\n"),
            ("x = 1  # noqa: CL101\r\ny = 2\r\n", "x = 1\r\ny = 2\r\n"),
        ],
    )
    def test_fix_touches_only_the_comment(self, root: Path, line: str, after: str) -> None:
        assert fixed(root, "m.py", line, extend_select=("CL900",)) == after

    def test_fix_in_inline_script_and_yaml_line(self, root: Path) -> None:
        text = (HEAD + "  - id: transform  # noqa: CL101, CL102\n    type: io.kestra.plugin.scripts.python.Script\n"
                "    env:\n      KEY: 1  # noqa: CL102\n"
                "    script: |  # noqa: CL101 -- long\n      print(1)  # noqa: CL102, E501\n"
                "      # noqa: CL102\n      print(2)\n")
        assert fixed(root, "flows/f.yaml", text, select=("CL900",)) == (
            HEAD + "  - id: transform\n    type: io.kestra.plugin.scripts.python.Script\n"
            "    env:\n      KEY: 1\n    script: |\n      print(1)  # noqa: E501\n      print(2)\n"
        )

    def test_fix_offsets_are_exact_with_multibyte_and_crlf(self, root: Path) -> None:
        text = (HEAD + SCRIPT_TASK + "    script: |\n      é = '☕'  # noqa: CL102, CL101\n").replace("\n", "\r\n")
        linter = make_linter(root, select=("CL101", "CL102", "CL900"))
        result = linter.lint_bytes("flows/f.yaml", text.encode("utf-8"))
        [first, second] = result.diagnostics
        assert (first.span.line, first.span.column, first.span.end_column) == (7, 24, 29)
        assert (second.span.line, second.span.column, second.span.end_column) == (7, 31, 36)
        assert first.fix.applicability == "safe"
        assert fix_text(linter, result, unsafe_fixes=False).text == (
            HEAD + SCRIPT_TASK + "    script: |\n      é = '☕'\n").replace("\n", "\r\n")


# -- per-file-ignores -------------------------------------------------------------------------


class TestPerFileIgnores:
    def test_globs_match_paths_relative_to_the_config_folder(self, cli, tmp_path: Path) -> None:
        flow = HEAD + SCRIPT_TASK + "    script: |\n      for x in y():\n          pass\n"
        (tmp_path / "pyproject.toml").write_text(
            '[tool.contractlint]\nselect = ["CL102"]\n\n[tool.contractlint.per-file-ignores]\n'
            '"flows/legacy/*.yaml" = ["CL102"]\n"gen_*.yaml" = ["ALL"]\n"other/**" = ["CL1"]\n'
        )
        for name in ("flows/legacy/old.yaml", "flows/legacy/deeper/old.yaml", "flows/new.yaml",
                     "flows/gen_x.yaml", "other/a/b.yaml"):
            (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
            (tmp_path / name).write_text(flow)
        result = cli("check", "-q", cwd=tmp_path / "flows")
        assert result.lines == [
            f"legacy/deeper/old.yaml:7:7: CL102 {LOOP}",
            f"new.yaml:7:7: CL102 {LOOP}",
        ]
        assert result.code == 1


# -- excludes, end to end -----------------------------------------------------------------------


class TestExcludes:
    FLOW = HEAD + SCRIPT_TASK + "    script: |\n      for x in y():\n          pass\n"

    @pytest.fixture
    def project(self, tmp_path: Path) -> Path:
        (tmp_path / "pyproject.toml").write_text('[tool.contractlint]\nextend-exclude = ["legacy/**"]\n')
        for name in ("legacy/old.yaml", "legacy/deep/older.yaml", "flows/new.yaml"):
            (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
            (tmp_path / name).write_text(self.FLOW)
        return tmp_path

    def test_directory_walk_skips_excluded_files(self, cli, project: Path) -> None:
        result = cli("check", "--select", "CL102", cwd=project)
        assert (result.code, result.lines) == (1, [f"flows/new.yaml:7:7: CL102 {LOOP}", "Found 1 diagnostic in 1 file."])

    def test_explicit_file_is_linted_without_force_exclude(self, cli, project: Path) -> None:
        result = cli("check", "--select", "CL102", "legacy/old.yaml", cwd=project)
        assert (result.code, result.lines) == (1, [f"legacy/old.yaml:7:7: CL102 {LOOP}", "Found 1 diagnostic in 1 file."])

    def test_force_exclude_honours_excludes_for_explicit_files(self, project: Path) -> None:
        # What pre-commit does: every changed file, named on the command line (a real process).
        result = run_cli("check", "--select", "CL102", "--force-exclude",
                     "legacy/old.yaml", "legacy/deep/older.yaml", "flows/new.yaml", cwd=project)
        assert (result.code, result.lines) == (1, [f"flows/new.yaml:7:7: CL102 {LOOP}", "Found 1 diagnostic in 1 file."])
        only_excluded = run_cli("check", "--select", "CL102", "--force-exclude", "legacy/old.yaml", cwd=project)
        assert (only_excluded.code, only_excluded.lines) == (0, ["All checks passed!"])

    def test_force_exclude_from_config_or_environment_and_from_a_subdirectory(self, cli, project: Path) -> None:
        from_env = cli("check", "--select", "CL102", "old.yaml", cwd=project / "legacy",
                       env={"CONTRACTLINT_FORCE_EXCLUDE": "1"})
        assert (from_env.code, from_env.lines) == (0, ["All checks passed!"])
        (project / "pyproject.toml").write_text(
            '[tool.contractlint]\nextend-exclude = ["legacy/**"]\nforce-exclude = true\n')
        from_file = cli("check", "--select", "CL102", "legacy/old.yaml", "flows/new.yaml", "-q", cwd=project)
        assert from_file.lines == [f"flows/new.yaml:7:7: CL102 {LOOP}"]

    def test_exclude_replaces_the_defaults(self, cli, project: Path) -> None:
        (project / ".venv").mkdir()
        (project / ".venv" / "f.yaml").write_text(self.FLOW)
        (project / "pyproject.toml").write_text('[tool.contractlint]\nexclude = ["flows"]\n')
        result = cli("check", "--select", "CL102", "-q", cwd=project)
        assert [line.split(":")[0] for line in result.lines] == [
            ".venv/f.yaml", "legacy/deep/older.yaml", "legacy/old.yaml",
        ]


# -- fixtures -------------------------------------------------------------------------------------


def test_good_noqa_fixture_is_clean_with_cl900(cli, tmp_path: Path) -> None:
    shutil.copy(FIXTURES / "good" / "noqa_suppressions.yaml", tmp_path / "flow.yaml")
    assert cli("check", "flow.yaml", "--extend-select", "CL900", cwd=tmp_path).lines == ["All checks passed!"]
    # Without its noqa comments, the same flow has findings.
    text = (tmp_path / "flow.yaml").read_text()
    stripped = "\n".join(line.split("  # noqa")[0] for line in text.split("\n"))
    (tmp_path / "flow.yaml").write_text(stripped)
    assert cli("check", "flow.yaml", "--select", "CL0,CL1", "-q", cwd=tmp_path).code == 1


def test_bad_noqa_fixture_reports_each_unused_code(cli, tmp_path: Path) -> None:
    shutil.copy(FIXTURES / "bad" / "noqa_unused.yaml", tmp_path / "flow.yaml")
    result = cli("check", "flow.yaml", "--select", "CL0,CL1,CL900", cwd=tmp_path)
    assert result.code == 1
    assert result.lines == [
        "flow.yaml:8:23: CL900 Unused noqa code CL102: no CL102 (inline-script-logic) diagnostic in task 'load'",
        f"flow.yaml:20:7: CL102 {LOOP}",
        "flow.yaml:20:35: CL900 Unknown rule code CL10 in noqa comment: noqa takes full codes, not prefixes "
        "(CL101, CL102, CL103)",
        "flow.yaml:22:30: CL900 Unused noqa code CL101: no CL101 (inline-script-too-long) diagnostic on this line",
        "Found 4 diagnostics in 1 file (3 fixable with --fix).",
    ]
    fixed_run = cli("check", "flow.yaml", "--select", "CL0,CL1,CL900", "--fix", "-q", cwd=tmp_path)
    assert fixed_run.lines == [f"flow.yaml:20:7: CL102 {LOOP}"]
    text = (tmp_path / "flow.yaml").read_text()
    assert "  - id: load\n" in text and "      print(\"done\")\n" in text
    assert "      for row in rows():\n" in text


NOQA_TEXTS = [
    'x = "# noqa: CL102"  # noqa: CL101\ny = """\n# noqa: CL103\n"""\nz = 1 + \\\n    2\n',
    'a = ("one # noqa: CL1"\n     "two")  # noqa: CL102\nb = f"{a}#noqa: CL3" # NOQA:CL101\n',
    's = """x\n# noqa: CL101 \\\n"""; t = 1  # noqa: CL102\nu = 2 \\\n  + 3 # noqa: CL103\n',
    "# noqa: CL101 \\\nv = 1\nw = ['# noqa: CL9', b'''\n''']  # noqa: CL2\n",
    "x = 1\r\ny = (\r\n  '''a\r\nb''')  # noqa: CL101\r\n",
    "class C:\n    def f(self):  # noqa: CL102\n        return f'''{self}\n# noqa: CL101\n'''\n",
]


@pytest.mark.parametrize("text", NOQA_TEXTS + [path.read_text("utf-8") for path in sorted(
    (REPO / "contractlint").rglob("*.py")) if "noqa" in path.read_text("utf-8")])
def test_noqa_comments_from_the_tree_match_the_tokenizer(text: str) -> None:
    from contractlint.python.code import module_code
    from contractlint.source import SourceFile
    from contractlint.suppressions import noqa_comments

    slow = python_comments(text)
    fast = noqa_comments(module_code(SourceFile.from_bytes("m.py", text.encode("utf-8"))))
    noqa_lines = {number for number, line in enumerate(text.splitlines(), 1) if "noqa" in line.lower()}
    assert fast.comments == [comment for comment in slow.comments if comment[0] in noqa_lines]
    assert fast.line_map == slow.line_map
