"""The safety net between a rule's edits and the file (issue 10): an edit must find the
text its rule read, nothing outside the edits may change, a fix a trial application
refuses is never advertised, and ``--fix`` writes the file the user has — through
links, with its owner, mode and hard links — or says why it did not."""

from __future__ import annotations

import dataclasses
import errno
import json
import os
import resource
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import write
from contractlint.config import CommandLine, settings_from_table
from contractlint.diagnostics import Diagnostic, Edit, Fix, Span
from contractlint.fixes import DRIFTED, EditTrail, apply_edits
from contractlint.runner import build_linter, fix_text

MODULE = 'import os\nv = os.getenv("A")\n'
FIXED = 'import os\nv = os.environ["A"]\n'
# `os.environ[k for k in "AB"]` is not Python: CL202's fix of line 2 would not parse.
UNPARSABLE_FIX = 'import os\nA = os.environ.get(k for k in "AB")\nB = os.getenv("B")\n'


def made_up(start: int, end: int, content: str, expected: str | None, code: str = "CL998") -> Diagnostic:
    span = Span(1, start + 1, 1, end + 1)
    return Diagnostic(code, "test", f"edit {start}:{end}", "m.py", span,
                      fix=Fix("safe", "test", (Edit(start, end, content, span, expected=expected),)))


# -- an edit must find the text its rule read -----------------------------------------------------


def test_an_edit_whose_text_drifted_is_refused_and_the_others_applied(tmp_path: Path) -> None:
    linter = build_linter(settings_from_table({}, tmp_path, None, CommandLine(select=("CL202",))))
    result = linter.lint_bytes("m.py", MODULE.encode())
    drifted = made_up(0, 6, "export", expected="import os"[1:7])  # read "mport " where "import" is
    outcome = fix_text(linter, dataclasses.replace(result, diagnostics=[drifted, *result.diagnostics]), True)
    assert outcome.text == FIXED
    assert [(d.code, reason) for d, reason in zip(outcome.refused, outcome.reasons)] == [("CL998", DRIFTED)]


def test_an_edit_past_the_end_of_the_text_is_refused(tmp_path: Path) -> None:
    linter = build_linter(settings_from_table({}, tmp_path, None, CommandLine(select=("CL202",))))
    result = linter.lint_bytes("m.py", MODULE.encode())
    outside = made_up(len(MODULE) + 3, len(MODULE) + 5, "x", expected=None)
    outcome = fix_text(linter, dataclasses.replace(result, diagnostics=[*result.diagnostics, outside]), True)
    assert outcome.text == FIXED and [d.code for d in outcome.refused] == ["CL998"]


def test_every_rule_edit_records_the_text_it_read(tmp_path: Path) -> None:
    """The fixes contractlint ships (CL201/CL202 in modules and scripts, CL401, CL900)
    all say what they replace, so the check above guards every one of them."""
    flow = ("id: f\nnamespace: n\npluginDefaults:\n  - type: io.kestra\n    values:\n      env: {A: x}\n"
            "tasks:\n  - id: t  # noqa: CL101\n    type: io.kestra.plugin.scripts.python.Script\n"
            "    env: {A: x, B: y}\n    script: |\n      import os\n      os.getenv('B')\n")
    linter = build_linter(settings_from_table({}, tmp_path, None, CommandLine(select=("CL2", "CL401", "CL900"))))
    edits = [
        edit
        for name, text in (("f.yaml", flow), ("m.py", MODULE))
        for d in linter.lint_bytes(name, text.encode()).diagnostics
        if d.fix is not None
        for edit in d.fix.edits
    ]
    assert len(edits) >= 4 and all(edit.expected is not None for edit in edits)


# -- nothing outside the edits changes ----------------------------------------------------------------


@st.composite
def rounds(draw) -> tuple[str, list[list[Edit]]]:
    text = draw(st.text(alphabet="ab\n", min_size=0, max_size=30))
    current = text
    all_rounds = []
    for _ in range(draw(st.integers(min_value=1, max_value=4))):
        points = sorted(draw(st.lists(st.integers(min_value=0, max_value=len(current)), max_size=6)))
        edits = []
        for start, end in zip(points[::2], points[1::2]):
            if edits and start <= edits[-1].end:
                continue
            edits.append(Edit(start, end, draw(st.text(alphabet="XY", max_size=3)), Span(1, 1, 1, 1)))
        all_rounds.append(edits)
        current = apply_edits(current, edits)
    return text, all_rounds


@settings(max_examples=300, deadline=None)
@given(case=rounds())
def test_property_the_edit_trail_maps_every_round_back_to_the_original(case) -> None:
    original, all_rounds = case
    trail = EditTrail()
    current = original
    for edits in all_rounds:
        current = apply_edits(current, edits)
        trail.record(edits)
    assert trail.outside_unchanged(original, current)
    # Damage one character outside every region: the trail notices.
    outside = [i for i in range(len(current)) if not any(r[2] <= i < r[3] for r in trail.regions)]
    if outside:
        damaged = current[: outside[0]] + ("Z" if current[outside[0]] != "Z" else "W") + current[outside[0] + 1 :]
        assert not trail.outside_unchanged(original, damaged)


# -- a fix a trial refuses is not advertised ------------------------------------------------------------


def test_a_fix_that_would_not_parse_is_not_offered(inprocess_cli, tmp_path: Path) -> None:
    write(tmp_path, "odd.py", UNPARSABLE_FIX)
    text = inprocess_cli("check", "odd.py", "--select", "CL202", "--unsafe-fixes", "--no-color", cwd=tmp_path)
    assert text.lines[-1] == "Found 2 diagnostics in 1 file (1 fixable with --fix)."
    document = json.loads(inprocess_cli("check", "odd.py", "--select", "CL202", "--format", "json", cwd=tmp_path).stdout)
    assert [(d["line"], d["fix"] is not None) for d in document["diagnostics"]] == [(2, False), (3, True)]
    sarif = json.loads(inprocess_cli("check", "odd.py", "--select", "CL202", "--format", "sarif", cwd=tmp_path).stdout)
    results = sarif["runs"][0]["results"]
    assert [("fixes" in r, r["locations"][0]["physicalLocation"]["region"]["startLine"]) for r in results] == [
        (False, 2), (True, 3)]


# -- writing the file the user has -------------------------------------------------------------------------


def test_fix_through_a_symlink_writes_the_target(inprocess_cli, tmp_path: Path) -> None:
    target = write(tmp_path, "real/settings.py", MODULE)
    link = tmp_path / "settings.py"
    link.symlink_to("real/settings.py")
    result = inprocess_cli("check", "settings.py", "--fix", "--unsafe-fixes", cwd=tmp_path)
    assert result.code == 0
    assert link.is_symlink() and os.readlink(link) == "real/settings.py"
    assert target.read_text() == FIXED


def test_fix_keeps_hard_links_owner_group_and_mode(inprocess_cli, tmp_path: Path) -> None:
    first = write(tmp_path, "a.py", MODULE)
    second = tmp_path / "b.py"
    os.link(first, second)
    alone = write(tmp_path, "c.py", MODULE)
    os.chmod(alone, 0o2640)
    if os.geteuid() == 0:
        os.chown(alone, 1234, 4321)
    before = os.stat(alone)
    result = inprocess_cli("check", "a.py", "c.py", "--fix", "--unsafe-fixes", cwd=tmp_path)
    assert result.code == 0, result.stdout + result.stderr
    assert second.read_text() == FIXED and os.stat(first).st_ino == os.stat(second).st_ino
    assert os.stat(first).st_nlink == 2
    after = os.stat(alone)
    assert alone.read_text() == FIXED
    assert (after.st_mode, after.st_uid, after.st_gid) == (before.st_mode, before.st_uid, before.st_gid)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.py", "b.py", "c.py"]  # no temporary left


def test_a_read_only_file_is_not_written(inprocess_cli, tmp_path: Path) -> None:
    path = write(tmp_path, "settings.py", MODULE)
    os.chmod(path, 0o444)
    result = inprocess_cli("check", "settings.py", "--fix", "--unsafe-fixes", "--no-color", cwd=tmp_path)
    assert result.code == 1
    assert result.stderr == "warning: settings.py: fixes not written: the file is read-only\n"
    assert result.lines[0].startswith("settings.py:2:5: CL202 ") and result.lines[-1].startswith("Found 1 diagnostic")
    assert path.read_text() == MODULE and os.stat(path).st_mode & 0o777 == 0o444


def limited_run(args: list[str], cwd: Path, limit: int) -> subprocess.CompletedProcess:
    """contractlint with a file size limit (RLIMIT_FSIZE): writes past ``limit`` bytes
    fail with EFBIG, as on a full disk (Python ignores SIGXFSZ)."""

    def set_limit() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    environment = {k: v for k, v in os.environ.items() if not k.startswith("CONTRACTLINT_")}
    return subprocess.run([sys.executable, "-m", "contractlint", *args], cwd=cwd, capture_output=True, text=True,
                          preexec_fn=set_limit, env=environment, check=False)


@pytest.mark.parametrize("hard_link", [False, True], ids=["replaced", "in place"])
def test_a_failed_write_is_a_warning_and_the_diagnostics_are_still_reported(tmp_path: Path, hard_link: bool) -> None:
    path = write(tmp_path, "settings.py", MODULE)
    if hard_link:
        os.link(path, tmp_path / "other.py")
    result = limited_run(["check", "settings.py", "--fix", "--unsafe-fixes", "--no-color"], tmp_path, len(MODULE))
    assert result.returncode == 1
    assert result.stderr == "warning: settings.py: fixes not written: File too large\n"
    assert result.stdout.splitlines()[0].startswith("settings.py:2:5: CL202 ")
    assert "All checks passed!" not in result.stdout and "Fixed" not in result.stdout
    assert path.read_text() == MODULE
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["settings.py", *(["other.py"] if hard_link else [])])


def test_a_read_only_file_system_is_a_warning(inprocess_cli, tmp_path: Path, monkeypatch) -> None:
    from contractlint import fixes

    def read_only(*args, **kwargs):
        raise OSError(errno.EROFS, "Read-only file system")

    path = write(tmp_path, "settings.py", MODULE)
    monkeypatch.setattr(fixes.tempfile, "mkstemp", read_only)
    result = inprocess_cli("check", "settings.py", "--fix", "--unsafe-fixes", "--no-color", cwd=tmp_path)
    assert (result.code, result.stderr) == (1, "warning: settings.py: fixes not written: Read-only file system\n")
    assert path.read_text() == MODULE


def test_a_full_disk_while_writing_the_copy_leaves_the_file_and_no_temporary(inprocess_cli, tmp_path: Path,
                                                                             monkeypatch) -> None:
    from contractlint import fixes

    def full(descriptor):
        raise OSError(errno.ENOSPC, "No space left on device")

    path = write(tmp_path, "settings.py", MODULE)
    monkeypatch.setattr(fixes.os, "fsync", full)
    result = inprocess_cli("check", "settings.py", "--fix", "--unsafe-fixes", "--no-color", cwd=tmp_path)
    assert (result.code, result.stderr) == (1, "warning: settings.py: fixes not written: No space left on device\n")
    assert path.read_text() == MODULE and [p.name for p in tmp_path.iterdir()] == ["settings.py"]


def test_a_folder_that_takes_no_new_file_is_written_in_place(inprocess_cli, tmp_path: Path, monkeypatch) -> None:
    from contractlint import fixes

    def forbidden(*args, **kwargs):
        raise PermissionError(errno.EACCES, "Permission denied")

    path = write(tmp_path, "settings.py", MODULE)
    inode = os.stat(path).st_ino
    monkeypatch.setattr(fixes.tempfile, "mkstemp", forbidden)
    result = inprocess_cli("check", "settings.py", "--fix", "--unsafe-fixes", cwd=tmp_path)
    assert result.code == 0 and path.read_text() == FIXED and os.stat(path).st_ino == inode
