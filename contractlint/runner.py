"""One ``contractlint check`` run: find the files, lint each, apply fixes, and hand a
``RunReport`` to the reporters. The CLI is a thin layer over ``run_check``."""

from __future__ import annotations

import dataclasses
import difflib
import sys
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from contractlint.config import ConfigError, Settings
from contractlint.diagnostics import Diagnostic, Span
from contractlint.engine import FileResult, Linter
from contractlint.fixes import MAX_ROUNDS, FixOutcome, apply_edits, fix_key, select_fixes, write_atomically
from contractlint.project import Project, display_path
from contractlint.reporters import RunReport
from contractlint.source import SourceFile

T = TypeVar("T")


@dataclass(frozen=True)
class CheckRequest:
    paths: tuple[str, ...]
    fix: bool = False
    diff: bool = False
    stdin_filename: str | None = None
    stdin_data: bytes | None = None
    baseline: Path | None = None
    write_baseline: Path | None = None
    jobs: int | None = None  # worker processes; None: one per core for large read-only runs


@dataclass
class CheckRun:
    report: RunReport
    internal_errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # one-line messages for stderr (not with --quiet)
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
    return in_large_stack(lambda: _run_check(request, settings))


def in_large_stack(work: Callable[[], T]) -> T:
    """Run ``work`` in a thread with a large stack: the YAML composer, JSON Schema
    validation and CPython's ``ast`` construction recurse once per nesting level, and
    real files nest deeper than Python's default recursion limit allows."""
    import threading

    outcome: list[T] = []
    failure: list[BaseException] = []

    def target() -> None:
        try:
            outcome.append(work())
        except BaseException as error:  # noqa: CL302 - handed to the calling thread and raised there
            failure.append(error)

    previous_stack = threading.stack_size(STACK_BYTES)
    previous_limit = sys.getrecursionlimit()
    sys.setrecursionlimit(RECURSION_LIMIT)
    try:
        worker = threading.Thread(target=target, name="contractlint")
        worker.start()
        worker.join()
    finally:
        threading.stack_size(previous_stack)
        sys.setrecursionlimit(previous_limit)
    if failure:
        raise failure[0]
    return outcome[0]


STACK_BYTES = 512 * 1024 * 1024  # virtual address space, committed only as used
RECURSION_LIMIT = 50_000


def _run_check(request: CheckRequest, settings: Settings) -> CheckRun:
    linter = build_linter(settings)
    run = CheckRun(report=RunReport(results=[]))
    if request.stdin_data is not None:
        from contractlint.discovery import LINTABLE_SUFFIXES

        if request.stdin_filename is None or not request.stdin_filename.lower().endswith(LINTABLE_SUFFIXES):
            raise ConfigError(
                "standard input needs --stdin-filename with a .yaml, .yml or .py name, to know what it holds"
            )
        if settings.force_exclude and _excluded(Path(request.stdin_filename), settings):
            return run  # as ruff: an excluded --stdin-filename is not linted with --force-exclude
        _lint_one(linter, request, run, request.stdin_filename, None, request.stdin_data)
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
        _lint_files(linter, request, run, list(found.files))
    if request.write_baseline is not None or request.baseline is not None:
        from contractlint import baseline

        outcome = baseline.apply(run.report, request.baseline, request.write_baseline)
        if outcome.message:
            run.notes.append(outcome.message)
    return run


# Below this many files a process pool costs more (starting workers, importing the
# linter in each) than it saves.
PARALLEL_MIN_FILES = 64
MAX_WORKERS = 8


def _lint_files(linter: Linter, request: CheckRequest, run: CheckRun, files: list[Path]) -> None:
    """Lint files here, or — for a large read-only run — in worker processes. Per-file
    analysis depends only on the file and the settings, so the split cannot change the
    result; fixes are applied here, where files are written."""
    workers = _worker_count(request, len(files))
    if workers <= 1:
        for path in files:
            _lint_path(linter, request, run, path)
        return
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    # More chunks than workers, interleaved, so one slow folder does not idle the rest.
    chunks = [files[start :: workers * 4] for start in range(workers * 4)]
    methods = multiprocessing.get_all_start_methods()
    # Not fork: this runs in a thread, and forking a threaded process is unsafe.
    context = multiprocessing.get_context("forkserver" if "forkserver" in methods else "spawn")
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        for partial in pool.map(_lint_chunk, [(linter.settings, request, chunk) for chunk in chunks if chunk]):
            run.report.results.extend(partial.report.results)
            run.internal_errors.extend(partial.internal_errors)
            run.warnings.extend(partial.warnings)


def _worker_count(request: CheckRequest, files: int) -> int:
    if request.jobs is not None:
        return request.jobs
    if request.fix or request.diff or files < PARALLEL_MIN_FILES:
        return 1
    import os

    available = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return max(1, min(MAX_WORKERS, available if available is not None else 1, files // (PARALLEL_MIN_FILES // 2)))


def _lint_chunk(job: tuple[Settings, CheckRequest, list[Path]]) -> CheckRun:
    """A worker process's share of the files (a module-level function: it is pickled)."""
    settings, request, files = job

    def work() -> CheckRun:
        linter = build_linter(settings)
        run = CheckRun(report=RunReport(results=[]))
        for path in files:
            _lint_path(linter, request, run, path)
        return run

    return in_large_stack(work)


def _lint_path(linter: Linter, request: CheckRequest, run: CheckRun, path: Path) -> None:
    shown = display_path(path)
    try:
        data = path.read_bytes()
    except OSError as error:
        run.report.results.append(linter.unreadable(shown, error.strerror or str(error)))
        return
    _lint_one(linter, request, run, shown, path, data)


def _excluded(path: Path, settings: Settings) -> bool:
    from contractlint.discovery import is_excluded

    return is_excluded(path.absolute(), settings.root, (*settings.exclude, *settings.extend_exclude))


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
    """Apply the file's fixes (``--fix``) or show them (``--diff``). The file is written
    once, atomically, only when its text changed, every round still parses, and the
    file on disk is still the one that was linted."""
    source = result.source
    original = source.text
    outcome = fix_text(linter, result, linter.settings.unsafe_fixes)
    for refused in outcome.refused:
        run.warnings.append(
            f"{refused.path}:{refused.span.line}:{refused.span.column}: {refused.code} fix not applied: "
            "the result would not parse"
        )
    if request.diff:
        if outcome.text != original:
            after = linter.lint_bytes(result.path, source.encode(outcome.text))
            run.diff += unified_diff(
                redacted(source, result.redactions),
                redacted(after.source, after.redactions) if after.source is not None else outcome.text,
                result.path,
            )
        return result  # nothing written: the report is about the file as it is
    if outcome.text == original:
        if path is None:
            run.stdin_output = source.encode(original)  # --fix on standard input echoes it
        return dataclasses.replace(result, diagnostics=outcome.without_refused(result.diagnostics))
    data = source.encode(outcome.text)
    if path is None:
        run.stdin_output = data
    else:
        try:
            unchanged = path.read_bytes() == source.encode(original)
        except OSError:
            unchanged = False
        if not unchanged:
            run.warnings.append(f"{result.path}: changed while it was being linted; fixes not written")
            return result
        write_atomically(path, data)
        linter.project.forget(path)  # CL203 reads project modules: not the old text
    run.report.fixed += outcome.applied
    final = linter.lint_bytes(result.path, data)
    return dataclasses.replace(final, diagnostics=outcome.without_refused(final.diagnostics))


def redacted(source: SourceFile, spans: tuple[Span, ...]) -> str:
    """The file's text with every secret replaced, for output that shows source."""
    text = source.text
    for span in sorted(spans, reverse=True):
        start, end = source.offset(span.line, span.column), source.offset(span.end_line, span.end_column)
        text = text[:start] + SECRET_MASK + text[end:]
    return text


SECRET_MASK = "********"


def unified_diff(before: str, after: str, shown: str) -> str:
    """A unified diff of one file, as ``git diff`` shows it: a last line without a line
    break is marked, so that the next file's header starts on a line of its own."""
    lines = list(
        difflib.unified_diff(
            before.splitlines(keepends=True),
            after.splitlines(keepends=True),
            fromfile=f"a/{shown}",
            tofile=f"b/{shown}",
        )
    )
    return "".join(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n" for line in lines)


def fix_text(linter: Linter, result: FileResult, unsafe_fixes: bool) -> FixOutcome:
    """Apply fixes in rounds until none is left. The non-overlapping fixes of a round
    are applied together and the file linted again; when that result no longer
    parses (or stops being a flow), each fix of the round is tried alone and the ones
    that break it are refused, so that one bad fix does not hold back the others."""
    source = result.source
    text = source.text
    applied = 0
    refused: list[Diagnostic] = []
    refused_keys: set[tuple] = set()
    current = result
    one_at_a_time = False
    budget = MAX_ROUNDS + 2 * sum(1 for d in result.diagnostics if d.fix is not None)
    for _ in range(budget):
        candidates = [d for d in current.diagnostics if d.fix is None or fix_key(d, text) not in refused_keys]
        chosen = [d for d in select_fixes(candidates, unsafe_fixes) if apply_edits(text, list(d.fix.edits)) != text]
        if not chosen:
            break
        if one_at_a_time:
            chosen = chosen[:1]
        candidate = apply_edits(text, [edit for d in chosen for edit in d.fix.edits])
        relinted = linter.lint_bytes(result.path, source.encode(candidate))
        if _breaks(current, relinted):
            if len(chosen) == 1:
                refused.append(chosen[0])
                refused_keys.add(fix_key(chosen[0], text))
            one_at_a_time = True
            continue
        text, current, applied = candidate, relinted, applied + len(chosen)
    return FixOutcome(text=text, applied=applied, refused=refused, refused_keys=frozenset(refused_keys))


def _breaks(before: FileResult, after: FileResult) -> bool:
    """The fixed text parses less than the text before, or is no longer the same kind
    of file (a flow that stopped being one)."""
    return after.parse_errors > before.parse_errors or after.kind != before.kind


def print_internal_errors(run: CheckRun) -> None:
    for message in run.internal_errors:
        print(f"error: {message}", file=sys.stderr)
    if run.internal_errors:
        print("error: this is a bug in contractlint; please report it with the file that caused it", file=sys.stderr)
