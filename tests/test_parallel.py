"""A large run is split across worker processes; the split must not change the result."""

from __future__ import annotations

import shutil
from pathlib import Path

from conftest import REPO
from contractlint.config import CommandLine, resolve_settings
from contractlint.runner import PARALLEL_MIN_FILES, CheckRequest, run_check


def summary(run) -> list[tuple]:
    return [(d.path, d.span, d.code, d.message, d.fix) for d in run.report.diagnostics]


def test_worker_processes_give_the_same_report(tmp_path: Path, monkeypatch) -> None:
    fixtures = sorted(p for p in (REPO / "flows_fixtures").rglob("*") if p.suffix in (".yaml", ".yml", ".py"))
    copies = 0
    while copies < PARALLEL_MIN_FILES + 10:
        for fixture in fixtures:
            target = tmp_path / f"copy{copies // len(fixtures)}" / fixture.relative_to(REPO / "flows_fixtures")
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(fixture, target)
            copies += 1
    monkeypatch.chdir(tmp_path)
    settings = resolve_settings(CommandLine(extend_select=("CL900",)), tmp_path)
    alone = run_check(CheckRequest(paths=(".",), jobs=1), settings)
    split = run_check(CheckRequest(paths=(".",), jobs=2), settings)
    assert alone.report.files == split.report.files >= PARALLEL_MIN_FILES
    assert len(alone.report.diagnostics) > 50
    assert summary(split) == summary(alone)
    assert split.internal_errors == alone.internal_errors == []
