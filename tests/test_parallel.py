"""A large run is split across worker processes (the split must not change the result), and
what large runs rely on."""

from __future__ import annotations

import shutil
from pathlib import Path

from conftest import REPO
from contractlint.config import CommandLine
from contractlint.resolver import resolve_settings
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


def jobs_of(costs: list[float]):
    from contractlint.runner import _Job

    return [_Job(index, (), Path(f"f{index}.py"), cost) for index, cost in enumerate(costs)]


def test_workers_are_started_only_when_the_work_pays_for_them(monkeypatch) -> None:
    from contractlint import runner

    monkeypatch.setattr(runner.os, "sched_getaffinity", lambda pid: set(range(4)), raising=False)
    request = CheckRequest(paths=(".",))
    assert runner._worker_count(request, jobs_of([0.001] * 10)) == 0  # too few files
    assert runner._worker_count(request, jobs_of([0.001] * 500)) == 0  # 0.5 s of work: a worker costs more
    assert runner._worker_count(request, jobs_of([0.01] * 500)) == 3  # 5 s: this process and three workers
    monkeypatch.setattr(runner.os, "sched_getaffinity", lambda pid: {0, 1}, raising=False)
    assert runner._worker_count(request, jobs_of([0.01] * 500)) == 1  # two cores: one worker besides this one
    assert runner._worker_count(CheckRequest(paths=(".",), jobs=3), jobs_of([0.001])) == 2  # as asked


def test_chunks_go_out_costliest_first_and_hold_about_the_target() -> None:
    from contractlint.runner import _chunks

    chunks = _chunks(jobs_of([0.01, 0.5, 0.02, 0.01, 0.2, 0.03]), 0.05)
    assert [[job.cost for job in chunk] for chunk in chunks] == [[0.5], [0.2], [0.03, 0.02], [0.01, 0.01]]


def test_display_paths_of_plain_relative_paths_skip_the_path_arithmetic_and_agree_with_it() -> None:
    import itertools

    from contractlint.project import _is_plain_relative, display_path

    parts = ["a", ".", "..", "", "b.yaml", "é", " x", "a\\b"]
    plain = 0
    for count in range(1, 5):
        for combination in itertools.product(parts, repeat=count):
            text = "/".join(combination)
            if text and _is_plain_relative(text):
                plain += 1
                assert display_path(Path(text)) == Path(text).as_posix().removeprefix("./") == text
    assert plain > 1000
    assert not _is_plain_relative("./a") and not _is_plain_relative("a//b") and not _is_plain_relative("/a")
