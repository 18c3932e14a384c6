"""One ``contractlint check`` run: find the files, lint each, apply fixes, and hand a
``RunReport`` to the reporters. The CLI is a thin layer over ``run_check``."""

from __future__ import annotations

import dataclasses
import difflib
import re
import sys
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from contractlint.config import ConfigError, Settings
from contractlint.diagnostics import Diagnostic, Span
from contractlint.engine import FileResult, Linter
from contractlint.fixes import (
    DRIFTED,
    MAX_ROUNDS,
    NOT_PARSING,
    EditTrail,
    FixOutcome,
    NotWritten,
    apply_edits,
    edits_hold,
    fix_key,
    select_fixes,
    write_file,
)
from contractlint.project import Project, display_path
from contractlint.reporters import RunReport
from contractlint.source import LINE_BREAK, SourceFile, UnreadablePath, line_starts, read_file

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
    """Run ``work`` in a thread with a large stack: libcst's visitors recurse once per
    syntax level, and real code nests deeper than Python's default recursion limit allows."""
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


# Below this many files a process pool costs more (starting workers, importing libcst
# in each) than it saves.
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
        data = read_file(path)
    except UnreadablePath as error:
        run.report.results.append(linter.unreadable(shown, error.reason))
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
        elif result.source is not None and any(d.fix is not None for d in result.diagnostics):
            result = _trial(linter, result)
    except Exception as error:  # noqa: CL302 - a bug of ours: reported, exit status 2
        details = "".join(traceback.format_exception(error)).rstrip()
        run.internal_errors.append(f"internal error while linting {shown}: {error!r}\n{details}")
        # The file keeps a result that says it was not checked: it is counted, and the
        # summary never calls a run with a file nobody checked clean.
        result = linter.internal_error(shown, error)
    run.report.results.append(result)


def _trial(linter: Linter, result: FileResult) -> FileResult:
    """The result without the fixes a trial application refuses (their edits do not
    find the text the rule read, or the fixed file would not parse): a report offers
    only fixes ``--fix`` would apply."""
    outcome = fix_text(linter, result, unsafe_fixes=True)
    return dataclasses.replace(result, diagnostics=outcome.without_refused(result.diagnostics, result.source.text))


def _fix(linter: Linter, request: CheckRequest, run: CheckRun, result: FileResult, path: Path | None) -> FileResult:
    """Apply the file's fixes (``--fix``) or show them (``--diff``). The file is written
    once, only when its text changed, every round still parses, and the file on disk
    is still the one that was linted; when it cannot be written, a warning says why
    and the report is about the file as it is."""
    source = result.source
    original = source.text
    outcome = fix_text(linter, result, linter.settings.unsafe_fixes)
    for refused, reason in zip(outcome.refused, outcome.reasons):
        where = f"{refused.path}:{refused.span.line}:{refused.span.column}"
        run.warnings.append(f"{where}: {refused.code} fix not applied: {reason}")
    as_it_is = dataclasses.replace(result, diagnostics=outcome.without_refused(result.diagnostics, original))
    if request.diff:
        if outcome.text != original:
            after = linter.lint_bytes(result.path, source.encode(outcome.text))
            run.diff += unified_diff(
                redacted(source, result.redactions),
                redacted(after.source, after.redactions) if after.source is not None else outcome.text,
                result.path,
                source.line_break,
            )
        return as_it_is  # nothing written: the report is about the file as it is
    if outcome.text == original:
        if path is None:
            run.stdin_output = source.encode(original)  # --fix on standard input echoes it
        return as_it_is
    data = source.encode(outcome.text)
    if path is None:
        run.stdin_output = data
    else:
        before = source.encode(original)
        try:
            unchanged = read_file(path) == before
        except UnreadablePath:
            unchanged = False
        if not unchanged:
            run.warnings.append(f"{result.path}: changed while it was being linted; fixes not written")
            return as_it_is
        try:
            write_file(path, data, before)
        except NotWritten as error:
            run.warnings.append(f"{result.path}: fixes not written: {error.reason}")
            return as_it_is
        linter.project.forget(path)  # CL203 reads project modules: not the old text
    run.report.fixed += outcome.applied
    final = linter.lint_bytes(result.path, data)
    return dataclasses.replace(final, diagnostics=outcome.without_refused(final.diagnostics))


def redacted(source: SourceFile, spans: tuple[Span, ...]) -> str:
    """The file's text with every secret replaced, for output that shows source."""
    from contractlint.redaction import masked_text

    return masked_text(source, spans)


def unified_diff(before: str, after: str, shown: str, line_break: re.Pattern[str] = LINE_BREAK) -> str:
    """A unified diff of one file, as ``git diff`` shows it, its lines broken where the
    file's parser breaks them (so hunk lines are the diagnostics' lines). A line whose
    break is not a ``\\n`` (a lone ``\\r``, NEL…) gets one, so each shows on its own;
    a last line without a line break is marked, so that the next file's header starts
    on a line of its own. Control characters are escaped, as in the text report."""
    from contractlint.reporters.text_format import printable

    lines = list(
        difflib.unified_diff(
            _lines(before, line_break),
            _lines(after, line_break),
            fromfile=f"a/{shown}",
            tofile=f"b/{shown}",
        )
    )
    out = []
    for line in lines:
        match = line_break.search(line, max(0, len(line) - 2))
        if match is None or match.end() != len(line):
            out.append(printable(line, keep="\t") + "\n\\ No newline at end of file\n")
            continue
        ending = match.group()
        shown_ending = ending if ending in ("\n", "\r\n") else (ending if ending == "\r" else printable(ending)) + "\n"
        out.append(printable(line[: match.start()], keep="\t") + shown_ending)
    return "".join(out)


def _lines(text: str, line_break: re.Pattern[str]) -> list[str]:
    """``text`` cut after each line break (``splitlines(keepends=True)`` would also cut
    at form feeds and other characters the parser does not break at)."""
    starts = line_starts(text, line_break)
    pieces = [text[start:end] for start, end in zip(starts, [*starts[1:], len(text)])]
    return pieces[:-1] if pieces and pieces[-1] == "" else pieces


def fix_text(linter: Linter, result: FileResult, unsafe_fixes: bool) -> FixOutcome:
    """Apply fixes in rounds until none is left. The non-overlapping fixes of a round
    are applied together and the file linted again; when that result no longer
    parses (or stops being a flow), each fix of the round is tried alone and the ones
    that break it are refused, so that one bad fix does not hold back the others. A
    fix whose edits do not find the text their rule read is refused before it is
    tried; and if, in the end, anything outside the edits differs from the original
    (which no correct edit can do), every fix of the file is refused."""
    source = result.source
    original = text = source.text
    applied = 0
    refused: list[Diagnostic] = []
    reasons: list[str] = []
    refused_keys: set[tuple] = set()
    trail = EditTrail()
    current = result
    one_at_a_time = False

    def refuse(diagnostic: Diagnostic, reason: str) -> None:
        refused.append(diagnostic)
        reasons.append(reason)
        refused_keys.add(fix_key(diagnostic, text))

    budget = MAX_ROUNDS + 2 * sum(1 for d in result.diagnostics if d.fix is not None)
    for _ in range(budget):
        candidates = [d for d in current.diagnostics if d.fix is None or fix_key(d, text) not in refused_keys]
        chosen: list[Diagnostic] = []
        drifted = 0
        for diagnostic in select_fixes(candidates, unsafe_fixes):
            if not edits_hold(text, diagnostic):
                refuse(diagnostic, DRIFTED)
                drifted += 1
            elif apply_edits(text, list(diagnostic.fix.edits)) != text:
                chosen.append(diagnostic)
        if not chosen:
            if drifted:
                continue  # fixes it overlapped may go in the next round
            break
        if one_at_a_time:
            chosen = chosen[:1]
        edits = [edit for d in chosen for edit in d.fix.edits]
        candidate = apply_edits(text, edits)
        relinted = linter.lint_bytes(result.path, source.encode(candidate))
        if _breaks(current, relinted):
            if len(chosen) == 1:
                refuse(chosen[0], NOT_PARSING)
            one_at_a_time = True
            continue
        trail.record(edits)
        text, current, applied = candidate, relinted, applied + len(chosen)
    if text != original and not trail.outside_unchanged(original, text):
        every = [d for d in result.diagnostics if d.fix is not None]
        return FixOutcome(
            text=original,
            applied=0,
            refused=every,
            refused_keys=frozenset(fix_key(d, original) for d in every),
            reasons=["the fixed file would differ from the original outside the fixes' edits"] * len(every),
        )
    return FixOutcome(
        text=text, applied=applied, refused=refused, refused_keys=frozenset(refused_keys), reasons=reasons, trail=trail
    )


def _breaks(before: FileResult, after: FileResult) -> bool:
    """The fixed text parses less than the text before, or is no longer the same kind
    of file (a flow that stopped being one)."""
    return after.parse_errors > before.parse_errors or after.kind != before.kind


def print_internal_errors(run: CheckRun) -> None:
    for message in run.internal_errors:
        print(f"error: {message}", file=sys.stderr)
    if run.internal_errors:
        print("error: this is a bug in contractlint; please report it with the file that caused it", file=sys.stderr)
