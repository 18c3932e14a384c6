"""A piece of Python as rules see it (``contractlint.python.code``): parsed once with
CPython's ``ast`` (warnings silenced), positions converted from UTF-8 byte columns on
CPython's line breaks, what CPython's compiler rejects reported as CL003, scripts
written for a newer Python, and libcst never imported to lint."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import REPO, write
from contractlint.diagnostics import Span
from contractlint.python.code import PythonSyntaxError, module_code
from contractlint.python.environ import env_facts
from contractlint.python.lexical import for_older_parser, string_pieces
from contractlint.source import SourceFile

SCRIPT = "io.kestra.plugin.scripts.python.Script"


def code_of(text: str):
    return module_code(SourceFile.from_bytes("m.py", text.encode("utf-8")))


def lint_json(cli, root: Path, *args: str) -> list[tuple]:
    result = cli("check", *args, "--format", "json", cwd=root)
    assert "Traceback" not in result.stderr and "internal error" not in result.stderr, result.stderr
    return [
        (d["path"], d["code"], d["line"], d["column"], d["end_line"], d["end_column"], d["message"])
        for d in json.loads(result.stdout)["diagnostics"]
    ]


# -- positions -----------------------------------------------------------------------------


@pytest.mark.parametrize("newline", ["\n", "\r\n", "\r"])
def test_code_positions_follow_cpython_lines_and_characters(newline: str) -> None:
    code = code_of(newline.join(["import os", "# é ü", "label = 'é∑' or os.getenv('A')", ""]))
    read = env_facts(code).reads[0]
    assert code.code_span(read.access) == Span(3, 17, 3, 31)  # 20 bytes, 16 characters before it
    start, end = code.node_offsets(read.access)
    assert code.text[start:end] == "os.getenv('A')"
    assert code.code_position(start) == (3, 17)
    assert code.line_starts == [
        0, len("import os") + len(newline), len("import os# é ü") + 2 * len(newline),
        len("import os# é ülabel = 'é∑' or os.getenv('A')") + 3 * len(newline),
    ]


def test_tabs_are_one_column_and_bytes_are_characters() -> None:
    code = code_of("import os\nif x:\n\tv = 'ü\tö' or os.getenv('B')\n")
    read = env_facts(code).reads[0]
    assert code.code_span(read.access) == Span(3, 15, 3, 29)
    assert code.char_column(3, read.access.col_offset) == 14  # 16 bytes before it


def test_a_lone_cr_module_reaching_cl201_and_cl302_has_exact_code_positions() -> None:
    # Before: IndexError inside the per-file guard, the file dropped from the report.
    code = code_of('import os\r# c\nv = os.getenv("A")\n# keep\ntry:\r    v.x()\rexcept Exception:\r    pass\r')
    read = env_facts(code).reads[0]
    assert code.code_span(read.access) == Span(3, 5, 3, 19)
    assert read.key == "A"
    from contractlint.rules.environment import _fix

    suggestion, fix = _fix(code, read)
    assert suggestion == 'os.environ["A"]'
    edit = fix.edits[0]
    assert code.text[edit.start : edit.end] == 'os.getenv("A")' and edit.span == Span(3, 5, 3, 19)
    handler = code.analysis.nodes(ast.ExceptHandler)[0]
    assert code.code_span(handler).line == 7
    assert code.line_break(code.line_starts[4]) == "\r"


def test_lone_cr_module_end_to_end(cli, tmp_path: Path) -> None:
    write(tmp_path, "m.py", 'import os\r# c\nv = os.getenv("A")\n# keep this comment\nprint(v)\n')
    write(tmp_path, "n.py", "import os\rtry:\r    x()\rexcept Exception:\r    pass\r")
    found = lint_json(cli, tmp_path, "m.py", "n.py")
    assert [item[:6] for item in found] == [("m.py", "CL202", 3, 5, 3, 19), ("n.py", "CL302", 4, 1, 4, 17)]
    assert 'variable "A" is read with os.getenv(…)' in found[0][6]
    fixed = cli("check", "m.py", "--fix", "--unsafe-fixes", cwd=tmp_path)
    assert fixed.code == 0, fixed.stdout + fixed.stderr
    assert (tmp_path / "m.py").read_bytes() == b'import os\r# c\nv = os.environ["A"]\n# keep this comment\nprint(v)\n'


# -- what CPython rejects -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "message", "line", "column"),
    [
        ("import os\nnonlocal x\n", "nonlocal declaration not allowed at module level", 2, 1),
        ("y = 'éé'; nonlocal z\n", "nonlocal declaration not allowed at module level", 1, 11),
        ("x = 1\nnonlocal x\n", "name 'x' is assigned to before nonlocal declaration", 2, 1),
        ("def f():\n    nonlocal missing\n", "no binding for nonlocal 'missing' found", 2, 5),
        ("a\u200db = 1\n", None, 1, 2),  # CPython's words for it vary by version
        ("def broken(:\n    pass\n", "invalid syntax", 1, 12),
    ],
)
def test_code_cpython_rejects_is_a_syntax_error_at_its_position(
    text: str, message: str | None, line: int, column: int
) -> None:
    if message is None:
        try:
            ast.parse(text)
        except SyntaxError as cpython:
            message = cpython.msg
        else:
            pytest.skip("this Python accepts it (Unicode 15.1 made U+200D an identifier character)")
    code = code_of(text)
    with pytest.raises(PythonSyntaxError) as error:
        code.parse()
    assert (error.value.message, error.value.line, error.value.column) == (message, line, column)
    with pytest.raises(PythonSyntaxError):  # parsed once: the failure is remembered
        code.parse()


def test_nonlocal_and_zero_width_joiner_are_cl003_not_internal_errors(cli, tmp_path: Path) -> None:
    write(tmp_path, "nonlocal.py", "import os\nnonlocal x\n")
    write(tmp_path, "zwj.py", "import os\na\u200db = os.getenv('A')\n")
    write(tmp_path, "flows/f.yaml", f"id: f\nnamespace: company.team\ntasks:\n  - id: t\n    type: {SCRIPT}\n"
          "    script: |\n      import os\n      nonlocal x\n")
    found = lint_json(cli, tmp_path, ".")
    assert [item[:6] for item in found[:2]] == [("flows/f.yaml", "CL003", 8, 7, 8, 8), ("nonlocal.py", "CL003", 2, 1, 2, 2)]
    assert found[1][6] == "Python does not parse: nonlocal declaration not allowed at module level"
    try:
        ast.parse("a\u200db = 1\n")
    except SyntaxError:  # CPython before 3.13 (Unicode 15.1) rejects the identifier
        assert [item[:6] for item in found[2:]] == [("zwj.py", "CL003", 2, 2, 2, 3)]
        assert "U+200D" in found[2][6] and found[2][6].startswith("Python does not parse: ")
    else:  # valid Python: analysed like any other
        assert [item[:2] for item in found[2:]] == [("zwj.py", "CL202")]


def test_parse_warnings_never_reach_stderr(tmp_path: Path) -> None:
    write(tmp_path, "m.py", 'import os\nPATTERN = "\\d+"\nvalue = os.environ.get("A", "\\w")\nassert (x, "y")\n')
    write(tmp_path, "flows/f.yaml", f"id: f\nnamespace: company.team\ntasks:\n  - id: t\n    type: {SCRIPT}\n"
          "    script: |\n      import re\n      print(re.match(\"\\d\", 'x') is 1)\n")
    for flags in (["-W", "always"], ["-W", "error"]):
        process = subprocess.run(
            [sys.executable, *flags, "-m", "contractlint", "check", ".", "--select", "CL0,CL2"],
            cwd=tmp_path, capture_output=True, text=True, check=False,
        )
        assert process.stderr == ""
        assert "CL201" in process.stdout and "CL003" not in process.stdout, process.stdout


# -- Python written for a newer CPython ------------------------------------------------------


def test_newer_syntax_is_respelled_in_place_for_an_older_parser() -> None:
    text = 'print(f"::{"count"}::{len(x)}")\nx = f"{a[\'k\']}"\ny = "{"\n'
    older = for_older_parser(text, (3, 11))
    assert older == 'print(f\'::{"count"}::{len(x)}\')\nx = f"{a[\'k\']}"\ny = "{"\n'
    assert for_older_parser('x = f"{a}"\n', (3, 11)) is None
    assert for_older_parser('x = f"{b["\'"]}"\n', (3, 11)) is None  # both quotes inside: cannot be requoted
    handlers = 'try:\n    run()\nexcept *ValueError:\n    pass\nexcept* (A, B):  # except*\n    "except*"\n'
    assert for_older_parser(handlers, (3, 10)) == handlers.replace("except *", "except  ").replace("except* (", "except  (")
    assert for_older_parser(handlers, (3, 11)) is None
    assert for_older_parser("exception*2\n", (3, 10)) is None


def test_pep_701_fstrings_are_analysed_on_every_supported_python() -> None:
    code = code_of('import os\nprint(f"{os.getenv("TOKEN")}: {"ok"}")\n')
    read = env_facts(code).reads[0]
    assert read.key == "TOKEN"
    assert code.code_span(read.access) == Span(2, 10, 2, 28)


@pytest.mark.skipif(sys.version_info >= (3, 12), reason="`type` statements parse on this Python")
def test_syntax_of_a_newer_python_is_named_as_such() -> None:
    with pytest.raises(PythonSyntaxError) as error:
        code_of("type Vector = list[float]\n").parse()
    assert "it may be written for a newer Python" in error.value.message


def test_string_pieces_say_what_each_literal_was() -> None:
    text = '("" f"{x}" b"" rb"y"  # c\n "")'
    assert string_pieces(text, 1, len(text) - 1) == [("", False), ("f", True), ("b", False), ("rb", True), ("", False)]


# -- libcst stays out of linting -------------------------------------------------------------

PROBE = """
import sys
from contractlint.cli import main
sys.argv = ["contractlint", *sys.argv[1:]]
try:
    main()
except SystemExit:
    pass
print("LIBCST" if any(name == "libcst" or name.startswith("libcst.") for name in sys.modules) else "CLEAN")
"""


def test_linting_never_imports_libcst(tmp_path: Path) -> None:
    write(tmp_path, "clean.py", "import os\n\n\ndef url():\n    return os.environ['DB_URL']\n")
    write(tmp_path, "flows/clean.yaml", f"id: f\nnamespace: company.team\ntasks:\n  - id: t\n    type: {SCRIPT}\n"
          "    env:\n      CHANNEL: \"{{ inputs.channel }}\"\n    script: |\n      import os\n"
          "      from pipelines.load import run\n      run(os.environ['CHANNEL'])\n")
    write(tmp_path, "findings.py", "import os\n\ntry:\n    x = os.getenv('A', 'b') or 'c'\nexcept Exception:\n    pass\n")
    for target, expected in (("clean.py", "All checks passed!"), ("flows/clean.yaml", "All checks passed!"),
                             ("findings.py", "CL201")):
        process = subprocess.run(
            [sys.executable, "-c", PROBE, "check", target, "--unsafe-fixes"], cwd=tmp_path, capture_output=True,
            text=True, check=False,
        )
        assert expected in process.stdout and process.stdout.rstrip().endswith("CLEAN"), process.stdout + process.stderr


def test_a_fix_that_needs_concrete_syntax_can_ask_for_it() -> None:
    code = code_of("import os  # keep\nx = os.getenv('A')\n")
    module = code.concrete_module()
    assert module.code == code.text  # libcst round-trips the text, comments included


def test_repo_is_importable_without_libcst_at_start_up() -> None:
    process = subprocess.run(
        [sys.executable, "-c", "import contractlint.engine, contractlint.rules, sys; "
         "print(any(m.startswith('libcst') for m in sys.modules))"],
        cwd=REPO, capture_output=True, text=True, check=False,
    )
    assert process.stdout.strip() == "False", process.stderr
