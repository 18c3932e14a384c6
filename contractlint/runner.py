"""One ``contractlint check`` run: find the files, lint each, apply fixes, and hand a
``RunReport`` to the reporters. The CLI is a thin layer over ``run_check``."""

from __future__ import annotations

import difflib
import sys
import traceback
from dataclasses import dataclass, field
from pathlib import Path

from contractlint.config import Settings
from contractlint.engine import FileResult, Linter
from contractlint.fixes import MAX_ROUNDS, FixOutcome, apply_edits, select_fixes, write_atomically
from contractlint.project import Project, display_path
from contractlint.reporters import RunReport


@dataclass(frozen=True)
class CheckRequest:
    paths: tuple[str, ...]
    fix: bool = False
    diff: bool = False
    stdin_filename: str | None = None
    stdin_data: bytes | None = None
    baseline: Path | None = None
    write_baseline: Path | None = None


@dataclass
class CheckRun:
    report: RunReport
    internal_errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    diff: str = ""
    stdin_output: bytes | None = None  # the fixed standard input, with --fix


def build_linter(settings: Settings) -> Linter:
    from contractlint.flow.defaults import load_global_defaults

    project = Project(
        root=settings.root,
        src=settings.src,
        runtime_env=settings.runtime_env,
        global_defaults=load_global_defaults(settings.plugin_defaults),
    )
    return Linter(settings, project)


def run_check(request: CheckRequest, settings: Settings) -> CheckRun:
    linter = build_linter(settings)
    run = CheckRun(report=RunReport(results=[]))
    if request.stdin_data is not None:
        name = request.stdin_filename or "-"
        _lint_one(linter, request, run, name, None, request.stdin_data)
    else:
        from contractlint.discovery import discover

        found = discover(
            request.paths,
            project_root=settings.root,
            exclude=settings.exclude,
            extend_exclude=settings.extend_exclude,
            force_exclude=settings.force_exclude,
            respect_gitignore=settings.respect_gitignore,
        )
        for missing in found.missing:
            run.report.results.append(linter.unreadable(display_path(Path(missing)), "no such file or directory"))
        for path, message in found.errors:
            run.report.results.append(linter.unreadable(display_path(Path(path)), message))
        for path in found.files:
            shown = display_path(path)
            try:
                data = path.read_bytes()
            except OSError as error:
                run.report.results.append(linter.unreadable(shown, error.strerror or str(error)))
                continue
            _lint_one(linter, request, run, shown, path, data)
    if request.write_baseline is not None or request.baseline is not None:
        from contractlint import baseline

        baseline.apply(run.report, request.baseline, request.write_baseline)
    return run


def _lint_one(linter: Linter, request: CheckRequest, run: CheckRun, shown: str, path: Path | None, data: bytes) -> None:
    try:
        result = linter.lint_bytes(shown, data)
        if (request.fix or request.diff) and result.source is not None:
            result = _fix(linter, request, run, result, path)
    except Exception as error:  # noqa: CL302 - a bug of ours: reported, exit status 2
        details = "".join(traceback.format_exception(error)).rstrip()
        run.internal_errors.append(f"internal error while linting {shown}: {error!r}\n{details}")
        return
    run.report.results.append(result)


def _fix(linter: Linter, request: CheckRequest, run: CheckRun, result: FileResult, path: Path | None) -> FileResult:
    source = result.source
    original = source.text
    outcome = fix_text(linter, result, linter.settings.unsafe_fixes)
    for refused in outcome.refused:
        run.warnings.append(
            f"{refused.path}:{refused.span.line}:{refused.span.column}: {refused.code} fix not applied: "
            "the result would not parse"
        )
    if outcome.applied == 0:
        return result
    final = linter.lint_bytes(result.path, source.encode(outcome.text))
    if request.diff:
        run.diff += "".join(
            difflib.unified_diff(
                original.splitlines(keepends=True),
                outcome.text.splitlines(keepends=True),
                fromfile=f"a/{result.path}",
                tofile=f"b/{result.path}",
            )
        )
        return result  # nothing written: the report is about the file as it is
    run.report.fixed += outcome.applied
    if path is None:
        run.stdin_output = source.encode(outcome.text)
    else:
        write_atomically(path, source.encode(outcome.text))
    return final


def fix_text(linter: Linter, result: FileResult, unsafe_fixes: bool) -> FixOutcome:
    """Apply fixes in rounds until none is left; a round that breaks parsing is refused."""
    source = result.source
    text = source.text
    applied = 0
    refused = []
    current = result
    for _ in range(MAX_ROUNDS):
        chosen = select_fixes(current.diagnostics, unsafe_fixes)
        if not chosen:
            break
        candidate = apply_edits(text, [edit for d in chosen for edit in d.fix.edits])
        if candidate == text:
            break
        relinted = linter.lint_bytes(result.path, source.encode(candidate))
        if relinted.parse_errors > current.parse_errors:
            refused.extend(chosen)
            break
        text, current, applied = candidate, relinted, applied + len(chosen)
    return FixOutcome(text=text, applied=applied, refused=refused)


def print_internal_errors(run: CheckRun) -> None:
    for message in run.internal_errors:
        print(f"error: {message}", file=sys.stderr)
    if run.internal_errors:
        print("error: this is a bug in contractlint; please report it with the file that caused it", file=sys.stderr)
