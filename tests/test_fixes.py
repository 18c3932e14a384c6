"""The fix machinery (``check --fix``, ``--unsafe-fixes``, ``--diff``) with the CL201 and
CL202 fixes: exact file contents after fixing modules and inline scripts, CRLF and BOM
kept, idempotence, refused fixes, nothing written by ``--diff``, and a property test:
fixing never changes a character outside the edited spans."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import write
from contractlint.config import CommandLine, settings_from_table
from contractlint.diagnostics import Diagnostic, Edit, Fix, Span
from contractlint.fixes import apply_edits, select_fixes
from contractlint.runner import build_linter, fix_text

SCRIPT = "io.kestra.plugin.scripts.python.Script"
MODULE = '''"""Settings."""
import os

DB_URL = os.getenv("DB_URL", "sqlite://")  # the database
TOKEN = os.environ.get('API_TOKEN')
REGION = os.environ.get("AWS_REGION") or "eu-west-1"
'''
MODULE_FIXED = '''"""Settings."""
import os

DB_URL = os.environ["DB_URL"]  # the database
TOKEN = os.environ['API_TOKEN']
REGION = os.environ["AWS_REGION"]
'''
FLOW = f"""# Loads orders (comments and layout outside the script stay as they are)
id: load_orders
namespace: company.sales
tasks:
  - id: load
    type: {SCRIPT}
    env:   {{CHANNEL_UUID: "{{{{ inputs.channel }}}}"}}   # flow-style env
    script: |
      from os import getenv
      from pipelines.load import run

      run(getenv("CHANNEL_UUID"), getenv('BATCH', "500"))  # é €
    # a comment after the script
"""
FLOW_FIXED = f"""# Loads orders (comments and layout outside the script stay as they are)
id: load_orders
namespace: company.sales
tasks:
  - id: load
    type: {SCRIPT}
    env:   {{CHANNEL_UUID: "{{{{ inputs.channel }}}}"}}   # flow-style env
    script: |
      import os
      from os import getenv
      from pipelines.load import run

      run(os.environ["CHANNEL_UUID"], os.environ['BATCH'])  # é €
    # a comment after the script
"""


# -- the command line -----------------------------------------------------------------------


def test_fix_without_unsafe_fixes_writes_nothing(cli, tmp_path: Path) -> None:
    path = write(tmp_path, "settings.py", MODULE)
    result = cli("check", "settings.py", "--select", "CL2", "--fix", "--no-color", cwd=tmp_path)
    assert result.code == 1
    assert result.lines[-1] == "Found 3 diagnostics in 1 file (3 hidden fixes can be enabled with --unsafe-fixes)."
    assert path.read_bytes() == MODULE.encode()


def test_unsafe_fixes_in_a_module(cli, tmp_path: Path) -> None:
    path = write(tmp_path, "settings.py", MODULE)
    result = cli("check", "settings.py", "--select", "CL2", "--fix", "--unsafe-fixes", "--no-color", cwd=tmp_path)
    assert (result.code, result.stdout, result.stderr) == (0, "Fixed 3 diagnostics.\nAll checks passed!\n", "")
    assert path.read_bytes() == MODULE_FIXED.encode()
    again = cli("check", "settings.py", "--select", "CL2", "--fix", "--unsafe-fixes", "--no-color", cwd=tmp_path)
    assert (again.code, again.stdout) == (0, "All checks passed!\n")
    assert path.read_bytes() == MODULE_FIXED.encode()


def test_unsafe_fixes_in_an_inline_script(cli, tmp_path: Path) -> None:
    path = write(tmp_path, "flows/load.yaml", FLOW)
    result = cli("check", "flows", "--select", "CL201,CL202", "--fix", "--unsafe-fixes", "--no-color", cwd=tmp_path)
    assert (result.code, result.stdout) == (0, "Fixed 2 diagnostics.\nAll checks passed!\n")
    assert path.read_text(encoding="utf-8") == FLOW_FIXED


@pytest.mark.parametrize("bom", [False, True], ids=["crlf", "crlf+bom"])
def test_crlf_and_bom_are_kept(cli, tmp_path: Path, bom: bool) -> None:
    prefix = b"\xef\xbb\xbf" if bom else b""
    flow = write(tmp_path, "flows/load.yaml", prefix + FLOW.replace("\n", "\r\n").encode())
    module = write(tmp_path, "src/settings.py", prefix + MODULE.replace("\n", "\r\n").encode())
    getenv_only = write(tmp_path, "src/only_getenv.py", prefix + b"from os import getenv\r\n\r\nA = getenv('A')\r\n")
    result = cli("check", ".", "--select", "CL201,CL202", "--fix", "--unsafe-fixes", cwd=tmp_path)
    assert result.code == 0, result.stdout + result.stderr
    assert flow.read_bytes() == prefix + FLOW_FIXED.replace("\n", "\r\n").encode()
    assert module.read_bytes() == prefix + MODULE_FIXED.replace("\n", "\r\n").encode()
    assert getenv_only.read_bytes() == prefix + b"import os\r\nfrom os import getenv\r\n\r\nA = os.environ['A']\r\n"


def test_diff_writes_nothing(cli, tmp_path: Path) -> None:
    path = write(tmp_path, "settings.py", MODULE)
    write(tmp_path, "clean.py", 'import os\n\nA = os.environ["A"]\n')
    result = cli("check", ".", "--select", "CL2", "--diff", "--unsafe-fixes", cwd=tmp_path)
    assert result.stdout == (
        "--- a/settings.py\n"
        "+++ b/settings.py\n"
        "@@ -1,6 +1,6 @@\n"
        ' """Settings."""\n'
        " import os\n"
        " \n"
        '-DB_URL = os.getenv("DB_URL", "sqlite://")  # the database\n'
        "-TOKEN = os.environ.get('API_TOKEN')\n"
        '-REGION = os.environ.get("AWS_REGION") or "eu-west-1"\n'
        '+DB_URL = os.environ["DB_URL"]  # the database\n'
        "+TOKEN = os.environ['API_TOKEN']\n"
        '+REGION = os.environ["AWS_REGION"]\n'
    )
    assert result.stderr == ""
    assert path.read_bytes() == MODULE.encode()
    safe_only = cli("check", ".", "--select", "CL2", "--diff", cwd=tmp_path)
    assert safe_only.stdout == ""  # every CL2 fix is unsafe


def test_diff_of_a_file_without_final_newline(cli, tmp_path: Path) -> None:
    write(tmp_path, "a.py", "import os\nA = os.getenv('A')")
    write(tmp_path, "b.py", "import os\nB = os.getenv('B')\n")
    result = cli("check", ".", "--select", "CL202", "--diff", "--unsafe-fixes", cwd=tmp_path)
    assert result.stdout == (
        "--- a/a.py\n+++ b/a.py\n@@ -1,2 +1,2 @@\n import os\n-A = os.getenv('A')\n\\ No newline at end of file\n"
        "+A = os.environ['A']\n\\ No newline at end of file\n"
        "--- a/b.py\n+++ b/b.py\n@@ -1,2 +1,2 @@\n import os\n-B = os.getenv('B')\n+B = os.environ['B']\n"
    )


def test_a_fix_that_would_not_parse_is_refused_and_the_others_applied(cli, tmp_path: Path) -> None:
    # `os.environ[x for x in ...]` is not Python: that fix is refused, the other applied.
    source = 'import os\nA = os.environ.get(k for k in "AB")\nB = os.getenv("B")\n'
    path = write(tmp_path, "odd.py", source)
    result = cli("check", "odd.py", "--select", "CL202", "--fix", "--unsafe-fixes", "--no-color", cwd=tmp_path)
    assert path.read_text() == 'import os\nA = os.environ.get(k for k in "AB")\nB = os.environ["B"]\n'
    assert result.stderr == "warning: odd.py:2:5: CL202 fix not applied: the result would not parse\n"
    assert result.lines[0].startswith("odd.py:2:5: CL202 ")
    assert result.lines[1:] == ["Fixed 1 diagnostic.", "Found 1 diagnostic in 1 file."]  # no fix offered any more
    assert result.code == 1


def test_stdin(cli, tmp_path: Path) -> None:
    fixed = cli("check", "--stdin-filename", "settings.py", "--select", "CL2", "--fix", "--unsafe-fixes",
                "--no-color", cwd=tmp_path, stdin=MODULE.encode())
    assert (fixed.code, fixed.stdout) == (0, MODULE_FIXED)
    assert fixed.stderr == "Fixed 3 diagnostics.\nAll checks passed!\n"
    unchanged = cli("check", "--stdin-filename", "settings.py", "--select", "CL2", "--fix", "--no-color",
                    cwd=tmp_path, stdin=MODULE.encode())
    assert (unchanged.code, unchanged.stdout) == (1, MODULE)  # nothing safe to apply: echoed as it is


def test_import_is_added_once_for_several_reads(cli, tmp_path: Path) -> None:
    path = write(tmp_path, "m.py", '#!/usr/bin/env python\n"""Doc."""\nfrom __future__ import annotations\n'
                 "from os import getenv\n\nA = getenv('A')\nB = getenv('B', 'x')\n")
    result = cli("check", "m.py", "--select", "CL2", "--fix", "--unsafe-fixes", cwd=tmp_path)
    assert result.code == 0
    assert path.read_text() == ('#!/usr/bin/env python\n"""Doc."""\nfrom __future__ import annotations\n'
                                "import os\nfrom os import getenv\n\nA = os.environ['A']\nB = os.environ['B']\n")


@pytest.mark.parametrize(
    "source",
    [
        'import os\nA = os.getenv(\n    "A",  # why\n    "x",\n)\n',  # a comment would be lost
        "import os\nos.environ.setdefault('TZ', 'UTC')\n",  # sets a default for others
        "import os\nA = os.getenv('A') or os.getenv('B') or 'x'\n",  # an `or` chain
        "from os import getenv\ndef f(os):\n    return getenv('A')\n",  # `os` is taken here
        "from os import getenv\nA = getenv('A')\nimport os\n",  # `import os` comes too late
    ],
    ids=["comment", "setdefault statement", "or chain", "os shadowed", "import after use"],
)
def test_no_fix_offered(tmp_path: Path, source: str) -> None:
    linter = build_linter(settings_from_table({}, tmp_path, None, CommandLine(select=("CL201", "CL202"))))
    result = linter.lint_bytes("m.py", source.encode())
    assert result.diagnostics and all(d.fix is None for d in result.diagnostics)


def test_file_changed_while_linting_is_not_overwritten(cli, tmp_path: Path, monkeypatch) -> None:
    from contractlint import runner
    from contractlint.resolver import resolve_settings
    from contractlint.runner import CheckRequest, run_check

    path = write(tmp_path, "settings.py", MODULE)
    real = runner.fix_text

    def edited_meanwhile(*args, **kwargs):
        path.write_text("# edited by someone else\n")
        return real(*args, **kwargs)

    monkeypatch.setattr(runner, "fix_text", edited_meanwhile)
    monkeypatch.chdir(tmp_path)
    settings = resolve_settings(CommandLine(select=("CL2",), unsafe_fixes=True), tmp_path)
    run = run_check(CheckRequest(paths=("settings.py",), fix=True), settings)
    assert run.warnings == ["settings.py: changed while it was being linted; fixes not written"]
    assert path.read_text() == "# edited by someone else\n"
    assert run.report.fixed == 0


# -- the machinery itself ----------------------------------------------------------------------


def diagnostic(start: int, end: int, content: str, applicability: str = "safe", code: str = "CL999",
               path: str = "m.py") -> Diagnostic:
    """A made-up finding whose fix replaces ``start:end`` (sorted before real ones: line 1)."""
    span = Span(1, start + 1, 1, end + 1)
    return Diagnostic(code, "test", f"edit {start}:{end}", path, span,
                      fix=Fix(applicability, "test", (Edit(start, end, content, span),)))


def test_apply_edits_and_overlaps() -> None:
    text = "abcdef"
    assert apply_edits(text, [Edit(4, 5, "E", Span(1, 5, 1, 6)), Edit(0, 1, "A", Span(1, 1, 1, 2))]) == "AbcdEf"
    assert apply_edits(text, [Edit(2, 2, "+", Span(1, 3, 1, 3))]) == "ab+cdef"
    with pytest.raises(ValueError, match="overlapping"):
        apply_edits(text, [Edit(0, 3, "", Span(1, 1, 1, 4)), Edit(2, 4, "", Span(1, 3, 1, 5))])
    chosen = select_fixes([diagnostic(0, 3, "x"), diagnostic(2, 4, "y"), diagnostic(4, 5, "z"),
                           diagnostic(5, 5, "u"), diagnostic(5, 5, "v"), diagnostic(1, 1, "w", "unsafe")], False)
    assert [d.message for d in chosen] == ["edit 0:3", "edit 4:5", "edit 5:5"]
    assert [d.message for d in select_fixes([diagnostic(1, 1, "w", "unsafe")], True)] == ["edit 1:1"]


def test_a_fix_whose_own_edits_overlap_is_never_applied() -> None:
    span = Span(1, 1, 1, 2)
    broken = Diagnostic("CL999", "test", "m", "m.py", span,
                        fix=Fix("safe", "test", (Edit(0, 3, "a", span), Edit(1, 2, "b", span))))
    assert select_fixes([broken], True) == []


def test_fix_text_refuses_only_the_fix_that_breaks_parsing(tmp_path: Path) -> None:
    linter = build_linter(settings_from_table({}, tmp_path, None, CommandLine(select=("CL202",))))
    source = "import os\nA = os.getenv('A')\n"
    result = linter.lint_bytes("m.py", source.encode())
    breaking = diagnostic(0, 6, "import (", code="CL998")
    outcome = fix_text(linter, dataclasses.replace(result, diagnostics=[breaking, *result.diagnostics]), True)
    assert outcome.text == "import os\nA = os.environ['A']\n"
    assert (outcome.applied, [d.code for d in outcome.refused]) == (1, ["CL998"])


def test_fix_text_refuses_a_fix_that_turns_a_flow_into_other_yaml(tmp_path: Path) -> None:
    linter = build_linter(settings_from_table({}, tmp_path, None, CommandLine(select=("CL202",))))
    result = linter.lint_bytes("flows/f.yaml", FLOW.encode())
    start = FLOW.index("namespace:")
    unflow = diagnostic(start, start + len("namespace"), "name", code="CL998", path="flows/f.yaml")
    outcome = fix_text(linter, dataclasses.replace(result, diagnostics=[unflow, *result.diagnostics]), True)
    assert [d.code for d in outcome.refused] == ["CL998"]
    assert outcome.applied == 1
    assert "namespace: company.sales" in outcome.text and 'os.environ["CHANNEL_UUID"]' in outcome.text


# -- property: fixing changes nothing outside the edited spans ----------------------------------

KEYS = st.text(alphabet="ABCXYZ_é€1", min_size=1, max_size=8)
FILLER = st.text(alphabet=st.sampled_from("abc xyz=()[]'\"#é€😀\t"), max_size=30)
QUOTES = st.sampled_from(["'", '"'])


@st.composite
def read_lines(draw) -> tuple[str, str]:
    """(a line reading a variable, the line after the fix)."""
    key = draw(KEYS)
    q = draw(QUOTES)
    k = f"{q}{key}{q}"
    form = draw(st.sampled_from(["get", "get-default", "getenv", "getenv-default", "or", "alias", "setdefault"]))
    read, fixed = {
        "get": (f"os.environ.get({k})", f"os.environ[{k}]"),
        "get-default": (f"os.environ.get({k}, {q}d{q})", f"os.environ[{k}]"),
        "getenv": (f"os.getenv({k})", f"os.environ[{k}]"),
        "getenv-default": (f"os.getenv({k}, default=None)", f"os.environ[{k}]"),
        "or": (f"environ.get({k}) or 0", f"environ[{k}]"),
        "alias": (f"ENV.get({k}, {q}{q})", f"ENV[{k}]"),
        "setdefault": (f"ENV.setdefault({k}, {q}x{q})", f"ENV[{k}]"),
    }[form]
    tail = draw(st.sampled_from(["", "  # é note", "  # noqa-ish €"]))
    return f"v = {read}{tail}", f"v = {fixed}{tail}"


@st.composite
def modules(draw) -> tuple[list[str], list[str]]:
    lines = ["import os", "from os import environ", "from os import environ as ENV"]
    fixed = list(lines)
    for _ in range(draw(st.integers(min_value=1, max_value=8))):
        if draw(st.booleans()):
            before, after = draw(read_lines())
        else:
            before = after = "# " + draw(FILLER)
        lines.append(before)
        fixed.append(after)
    return lines, fixed


def _fix_all(tmp_path: Path, name: str, data: bytes) -> str:
    linter = build_linter(settings_from_table({}, tmp_path, None, CommandLine(select=("CL201", "CL202"))))
    result = linter.lint_bytes(name, data)
    assert result.parse_errors == 0
    outcome = fix_text(linter, result, True)
    assert outcome.refused == []
    again = fix_text(linter, linter.lint_bytes(name, result.source.encode(outcome.text)), True)
    assert again.text == outcome.text and again.applied == 0  # idempotent
    return result.source.encode(outcome.text)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(source=modules(), newline=st.sampled_from(["\n", "\r\n"]), bom=st.booleans())
def test_property_module_fixes_touch_only_the_reads(tmp_path: Path, source, newline: str, bom: bool) -> None:
    before, after = source
    prefix = "\ufeff" if bom else ""
    data = (prefix + newline.join(before) + newline).encode()
    assert _fix_all(tmp_path, "m.py", data) == (prefix + newline.join(after) + newline).encode()


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(source=modules(), newline=st.sampled_from(["\n", "\r\n"]), indent=st.integers(min_value=1, max_value=6),
       comment=FILLER.filter(lambda text: "\t" not in text))
def test_property_inline_fixes_touch_only_the_reads(tmp_path: Path, source, newline: str, indent: int,
                                                    comment: str) -> None:
    before, after = source
    pad = "    " + " " * indent

    def flow(lines: list[str]) -> str:
        script = "".join(f"{pad}{line}\n" for line in lines)
        return (f"# {comment}\nid: f\nnamespace: n\ntasks:\n  - id: t   # {comment}\n    type: {SCRIPT}\n"
                f"    script: |\n{script}  - id: after\n    type: io.kestra.plugin.core.log.Log\n"
                f"    message: done\n").replace("\n", newline)

    assert _fix_all(tmp_path, "flows/f.yaml", flow(before).encode()) == flow(after).encode()
