"""One ``contractlint check`` run: find the files, lint each, apply fixes, and hand a
``RunReport`` to the reporters. The CLI is a thin layer over ``run_check``."""

from __future__ import annotations

import dataclasses
import difflib
import os
import re
import stat
import sys
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

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
from contractlint.resolver import Resolver
from contractlint.source import LINE_BREAK, SourceFile, UnreadablePath, line_starts, read_file

if TYPE_CHECKING:
    from contractlint.discovery import Discovery

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
    # Processes that lint (this one included); None: as many as the work pays for.
    jobs: int | None = None
    # Read and write the result cache (``contractlint.cache``); the CLI's default, off
    # with --no-cache. --fix and --diff lint every file afresh whatever this says.
    cache: bool = False


@dataclass
class CheckRun:
    report: RunReport
    internal_errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # one-line messages for stderr (not with --quiet)
    included: list[str] = field(default_factory=list)  # why files nobody named are linted (before the report)
    diff: str = ""
    stdin_output: bytes | None = None  # the fixed standard input, with --fix
    before_fix: dict[str, FileResult] = field(default_factory=dict)  # with --fix: each file as first linted

    @property
    def fixed_by_file(self) -> dict[str, dict[str, int]]:
        """With --fix: per file, how many diagnostics of each code were fixed (those
        that had a fix and are gone)."""
        from collections import Counter

        if not self.before_fix:
            return {}
        after = {result.path: Counter(d.code for d in result.diagnostics) for result in self.report.results}
        found: dict[str, dict[str, int]] = {}
        for path, result in self.before_fix.items():
            total = Counter(d.code for d in result.diagnostics)
            fixable = Counter(d.code for d in result.diagnostics if d.fix is not None and d.fix.edits)
            remaining = after.get(path, Counter())
            counts = {}
            for code, count in sorted(fixable.items()):
                gone = min(count, max(0, total[code] - remaining[code]))
                if gone:
                    counts[code] = gone
            if counts:
                found[path] = counts
        return found


def build_linter(settings: Settings, drafts: dict[Path, bytes] | None = None) -> Linter:
    """The engine for one configuration; ``drafts`` (resolved path → content) stand for
    files on disk when CL203 reads project modules (a server's unsaved buffers)."""
    from contractlint.server_config import load_global_defaults, load_policies

    # Kestra 2.0 drops plugin defaults; its Enterprise Edition has Policies instead.
    # Only what the target applies is read (both may be configured while migrating).
    target = settings.target
    project = Project(
        root=settings.root,
        src=settings.src,
        runtime_env=settings.runtime_env,
        global_defaults=load_global_defaults(settings.plugin_defaults, settings.root) if not target.is_v2 else (),
        namespace_files=settings.namespace_files,
        target=target,
        policies=load_policies(settings.policies, settings.root) if target.is_v2 and target.is_ee else (),
        drafts=drafts if drafts is not None else {},
    )
    return Linter(settings, project)


def run_check(request: CheckRequest, settings: Settings | Resolver) -> CheckRun:
    """Run ``check``: with a ``Resolver`` each file gets the settings of its nearest
    configuration; with ``Settings``, every file gets those."""
    resolver = settings if isinstance(settings, Resolver) else Resolver.for_settings(settings)
    return in_large_stack(lambda: _run_check(request, resolver))


class Engines:
    """One engine (``Linter`` and its ``Project``) per configuration, built when the first
    file that needs it comes, and shared by every file under that configuration."""

    def __init__(self, resolver: Resolver, drafts: dict[Path, bytes] | None = None) -> None:
        self.resolver = resolver
        self.drafts = drafts
        self._linters: dict[tuple, Linter] = {}

    def for_settings(self, settings: Settings) -> Linter:
        if settings.identity not in self._linters:
            self._linters[settings.identity] = build_linter(settings, self.drafts)
        return self._linters[settings.identity]

    def for_path(self, path: Path | str) -> Linter:
        return self.for_settings(self.resolver.settings_for(path))

    def all(self) -> list[Linter]:
        return list(self._linters.values())


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


def _run_check(request: CheckRequest, resolver: Resolver) -> CheckRun:
    engines = Engines(resolver)
    run = CheckRun(report=RunReport(results=[]))
    run_settings = resolver.run_settings()
    if run_settings.not_applicable:
        from contractlint.target import not_applicable_note

        run.notes.append(not_applicable_note(run_settings.not_applicable, run_settings.target))
    if request.stdin_data is not None:
        from contractlint.discovery import LINTABLE_SUFFIXES

        name = request.stdin_filename
        if name is None:
            # `-` without a name: a flow or a module, by what it holds.
            name = STDIN_FLOW if _looks_like_yaml(request.stdin_data) else STDIN_MODULE
        elif not name.lower().endswith(LINTABLE_SUFFIXES):
            raise ConfigError(
                f"--stdin-filename {name!r} is not a .yaml, .yml or .py name: contractlint needs the suffix to "
                "know what standard input holds"
            )
        run_settings = resolver.run_settings()
        if run_settings.force_exclude and request.stdin_filename is not None and _excluded(Path(name), resolver):
            return run  # as ruff: an excluded --stdin-filename is not linted with --force-exclude
        linter = engines.for_path(name)
        result = _lint_one(linter, request, run, name, None, request.stdin_data)
        if result is not None:
            run.report.results.append(result)
        if request.stdin_filename is None and run.report.results:
            run.report.results[-1] = _renamed(run.report.results[-1], STDIN_PATH)
    else:
        found = discover_files(request.paths, resolver)
        for missing in found.missing:
            run.report.results.append(engines.for_path(missing).unreadable(display_path(Path(missing)), "no such file or directory"))
        for path, message in found.errors:
            run.report.results.append(engines.for_path(path).unreadable(display_path(Path(path)), message))
        files = list(found.files)
        for dependent in _dependent_flows(request, resolver, files):
            files.append(dependent.flow)
            run.included.append(
                f"{display_path(dependent.flow)} is checked too: {dependent.reason(display_path(dependent.path))}"
            )
        _lint_files(engines, request, run, files)
        if request.fix:
            _relint_after_fixes(engines, request, run)
    _apply_baselines(request, resolver, run)
    return run


STDIN_PATH = "-"  # how standard input without --stdin-filename is shown, as ruff shows it
STDIN_FLOW, STDIN_MODULE = "-.yaml", "-.py"  # what it is linted as


def _looks_like_yaml(data: bytes) -> bool:
    """A flow has top-level ``id:``/``namespace:``/``tasks:`` keys; Python has none."""
    import re

    return re.search(rb"^(?:id|namespace|tasks)[ \t]*:(?:[ \t]|$)", data, re.MULTILINE) is not None


def _renamed(result: FileResult, path: str) -> FileResult:
    diagnostics = [dataclasses.replace(d, path=path) for d in result.diagnostics]
    source = dataclasses.replace(result.source, path=path) if result.source is not None else None
    return dataclasses.replace(result, path=path, diagnostics=diagnostics, source=source)


def discover_files(paths: tuple[str, ...], resolver: Resolver) -> Discovery:
    """The files ``check`` lints for ``paths``: excludes are those of each folder's
    configuration; ``force-exclude`` and ``respect-gitignore`` are run-wide."""
    from contractlint.discovery import discover

    run_settings = resolver.run_settings()
    return discover(
        paths,
        project_root=run_settings.root,
        force_exclude=run_settings.force_exclude,
        respect_gitignore=run_settings.respect_gitignore,
        exclusions=_exclusions(resolver),
    )


def _exclusions(resolver: Resolver) -> Callable[[str], tuple[tuple[str, ...], str]]:
    answers: dict[tuple, tuple[tuple[str, ...], str]] = {}

    def exclusions(directory: str) -> tuple[tuple[str, ...], str]:
        settings = resolver.settings_for_directory(directory)
        if settings.identity not in answers:
            answers[settings.identity] = ((*settings.exclude, *settings.extend_exclude), str(settings.root))
        return answers[settings.identity]

    return exclusions


def _excluded(path: Path, resolver: Resolver) -> bool:
    from contractlint.discovery import is_force_excluded

    return is_force_excluded(path, _exclusions(resolver))


def _dependent_flows(request: CheckRequest, resolver: Resolver, files: list[Path]) -> list:
    """Flows that import one of the Python modules named on the command line (as a
    pre-commit hook names the staged files) and are not linted already: a change to the
    module can break them (CL203)."""
    named = [Path(given) for given in request.paths if given.endswith(".py") and Path(given).is_file()]
    if not named or request.stdin_data is not None:
        return []
    from contractlint.flow_index import ProjectModules, dependents

    linted = {path.resolve() for path in files}
    found = []
    by_settings: dict[tuple, tuple[Settings, dict[str, Path]]] = {}
    for module in named:
        settings = resolver.settings_for(module)
        entry = by_settings.setdefault(settings.identity, (settings, {}))
        modules = ProjectModules(Project(root=settings.root, src=settings.src))
        for name in modules.module_names(module):
            entry[1][name] = module
    for settings, changed in by_settings.values():
        if not changed:
            continue
        flows = {path: text for path, text in _project_flows(settings, resolver) if path.resolve() not in linted}
        modules = ProjectModules(Project(root=settings.root, src=settings.src))
        found.extend(dependents(flows, modules, changed))
    return found


def _project_flows(settings: Settings, resolver: Resolver) -> list[tuple[Path, str]]:
    """The YAML files of a configuration's project (its excludes and .gitignore apply)
    that may hold flows with import statements, with their text."""
    found = []
    for path in discover_files((str(settings.root),), resolver).files:
        if path.suffix.lower() not in (".yml", ".yaml"):
            continue
        if resolver.settings_for_directory(path.parent).identity != settings.identity:
            continue
        try:
            text = read_file(path).decode("utf-8", errors="replace")
        except UnreadablePath:
            continue  # not ours to report: this file is not part of the run
        if "import" in text:
            found.append((Path(display_path(path)), text))
    return found


def _relint_after_fixes(engines: Engines, request: CheckRequest, run: CheckRun) -> None:
    """After ``--fix`` the report must say what the next ``check`` will: lint again the
    flows whose result depends on a module that was rewritten (CL203 reads it), and say
    where a fix made a default into a read that the task does not provide."""
    before = run.before_fix
    written = {
        result.path: result
        for result in run.report.results
        if result.path in before
        and before[result.path].source is not None
        and result.source is not None
        and before[result.path].source.text != result.source.text
    }
    modules = [path for path in written if path.endswith(".py")]
    if modules:
        from contractlint.flow_index import ProjectModules, dependents

        for linter in engines.all():
            for module in modules:
                linter.project.forget(Path(module))
        for index, result in enumerate(run.report.results):
            if result.kind != "flow" or result.source is None:
                continue
            linter = engines.for_path(result.path)
            project_modules = ProjectModules(linter.project)
            changed = {}
            for module in modules:
                for name in project_modules.module_names(Path(module)):
                    changed[name] = Path(module)
            if changed and dependents({Path(result.path): result.source.text}, project_modules, changed):
                _relint(linter, run, index, result)
    for result in run.report.results:
        if result.path not in before:
            continue
        known = {d.message for d in before[result.path].diagnostics if d.code == NEW_READ_CODE}
        for diagnostic in result.diagnostics:
            if diagnostic.code == NEW_READ_CODE and diagnostic.message not in known:
                span = diagnostic.span
                run.notes.append(
                    f"{diagnostic.path}:{span.line}:{span.column}: {NEW_READ_CODE} is new after --fix: a fix made a "
                    f"default into a required read. {diagnostic.message}"
                )


NEW_READ_CODE = "CL203"  # env-not-provided: what a read that lost its default becomes


def _relint(linter: Linter, run: CheckRun, index: int, result: FileResult) -> None:
    try:
        data = read_file(Path(result.path))
        run.report.results[index] = linter.lint_bytes(result.path, data)
    except UnreadablePath as error:
        run.report.results[index] = linter.unreadable(result.path, error.reason)
    except Exception as error:  # noqa: CL302 - a bug of ours: reported, exit status 2
        details = "".join(traceback.format_exception(error)).rstrip()
        run.internal_errors.append(f"internal error while linting {result.path}: {error!r}\n{details}")


def _apply_baselines(request: CheckRequest, resolver: Resolver, run: CheckRun) -> None:
    """``--baseline``/``--write-baseline`` apply to the whole run; otherwise each file
    is filtered through the ``baseline`` of its own configuration (if any)."""
    if request.write_baseline is not None or request.baseline is not None:
        from contractlint import baseline

        outcome = baseline.apply(run.report, request.baseline, request.write_baseline)
        if outcome.message:
            run.notes.append(outcome.message)
        return
    apply_configured_baselines(run.report, resolver)


def apply_configured_baselines(report: RunReport, resolver: Resolver) -> None:
    """Filter each file's diagnostics through the ``baseline`` of its own configuration
    (if it has one), counting what each baseline hid and which of its entries matched
    nothing."""
    from contractlint import baseline

    groups: dict[Path, list[FileResult]] = {}
    settings_for = _settings_by_folder(resolver)
    for result in report.results:
        configured = settings_for(result.path).baseline
        if configured is not None:
            groups.setdefault(configured, []).append(result)
    if groups:
        from contractlint import baseline  # imported only when some configuration has one
    for path, results in groups.items():
        part = RunReport(results=results)
        baseline.apply(part, path, None)
        report.baselined += part.baselined
        report.stale_baseline += part.stale_baseline


# -- linting many files -------------------------------------------------------------
#
# A file's result depends only on its bytes, its settings and the files it names
# (``FileResult.dependencies``), so files are linted in any order, in any process, or
# not at all when the cache has their result. What is kept of each result is lean: no
# texts (``FileResult.lean``); reporters read again the few files with diagnostics.
#
# Worker processes pay only for enough work: each costs a process start and the import
# of the linter (hundreds of milliseconds on two cores, more without bytecode), so they
# are started by the estimated cost of the files to lint (bytes, weighted by kind), and
# this process lints too. The files go out largest first, in chunks handed to whichever
# process is free, so no process is left with the one big file at the end.

# Seconds of work per byte, measured on the corpus and on real modules (a ratio is all
# that matters: it decides how many processes the work pays for).
COST_PER_BYTE = {"python": 0.30e-6, "yaml": 0.20e-6}
COST_PER_FILE = 0.4e-3  # reading, settings, suppressions, the result: whatever the size
FIRST_WORKER_SECONDS = 0.4  # the fork server's start and imports, then a worker: what it must save
MORE_WORKER_SECONDS = 0.05  # each further worker is a fork of the server
PARALLEL_MIN_FILES = 16  # fewer files are never worth a process
MAX_WORKERS = 8
CHUNK_SECONDS = 0.05  # small enough to balance, large enough that hand-offs are cheap


@dataclass(frozen=True)
class _Job:
    index: int  # position in the run's file list: results keep that order
    identity: tuple  # the settings' identity
    path: Path
    cost: float  # estimated seconds


def _lint_files(engines: Engines, request: CheckRequest, run: CheckRun, files: list[Path]) -> None:
    """Lint ``files`` (or take their results from the cache), here or also in worker
    processes. Fixes are applied here, where files are written, one file at a time
    (flows first, so that what they said before a module they import was fixed is known)."""
    if request.fix or request.diff:
        for path in sorted(files, key=lambda path: path.suffix.lower() == ".py") if request.fix else files:
            result = _lint_path(engines.for_path(path), request, run, path)
            if result is not None:
                run.report.results.append(result)
        return
    import time

    from contractlint.cache import ResultCache, stat_signature
    from contractlint.digest import content_digest

    cache = ResultCache() if request.cache else None
    results: list[FileResult | None] = [None] * len(files)
    settings: dict[tuple, Settings] = {}
    jobs: list[_Job] = []
    signatures: dict[int, list | None] = {}  # the files' stat signatures, taken before they are read
    settings_for = _settings_by_folder(engines.resolver)
    now = time.time_ns()
    for index, path in enumerate(files):
        found = settings_for(path)
        settings[found.identity] = found
        kind = "python" if path.suffix.lower() == ".py" else "yaml"
        try:
            status = os.stat(path)
        except OSError:
            jobs.append(_Job(index, found.identity, path, COST_PER_FILE))  # its lint says why
            continue
        if cache is not None and stat.S_ISREG(status.st_mode):  # (opening a FIFO would block)
            shown = display_path(path)
            signature = signatures[index] = stat_signature(status, now)
            hit = cache.get(found, shown, signature=signature) if signature is not None else None
            if hit is None:
                try:
                    with open(path, "rb") as handle:
                        hit = cache.get(found, shown, content_digest(handle.read()), signature)
                except OSError:
                    pass  # its lint says why
            if hit is not None:
                results[index] = hit
                continue
        jobs.append(_Job(index, found.identity, path, COST_PER_FILE + status.st_size * COST_PER_BYTE[kind]))
    workers = _worker_count(request, jobs)
    if workers == 0:
        _lint_jobs(lambda identity: engines.for_settings(settings[identity]), request, run, jobs, results)
    else:
        _lint_in_parallel(engines, settings, request, run, jobs, results, workers)
    run.report.results.extend(result for result in results if result is not None)
    if cache is not None:
        for job in jobs:
            result = results[job.index]
            if result is not None:
                cache.put(settings[job.identity], result, signatures.get(job.index))
        run.warnings.extend(cache.persist())


def _settings_by_folder(resolver: Resolver) -> Callable[[Path | str], Settings]:
    """``resolver.settings_for`` for files, asked once per folder: a run has thousands
    of files in a few folders."""
    known: dict[str, Settings] = {}

    def settings_for(path: Path | str) -> Settings:
        folder = os.path.dirname(os.fspath(path))
        if folder not in known:
            known[folder] = resolver.settings_for_directory(os.path.abspath(folder or "."))
        return known[folder]

    return settings_for


def _worker_count(request: CheckRequest, jobs: list[_Job]) -> int:
    """Worker processes to start besides this one: each must save more time than it costs."""
    if request.jobs is not None:
        return max(0, request.jobs - 1)
    if len(jobs) < PARALLEL_MIN_FILES:
        return 0
    available = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    total = sum(job.cost for job in jobs)
    workers = 0
    # With w workers the work takes total / (w + 1) and the workers cost their start:
    # add one while that still gains more than its start costs.
    while workers + 1 < min(MAX_WORKERS + 1, available or 1):
        gain = total / (workers + 1) - total / (workers + 2)
        if gain <= (FIRST_WORKER_SECONDS if workers == 0 else MORE_WORKER_SECONDS):
            break
        workers += 1
    return workers


def _lint_jobs(
    linter_for: Callable[[tuple], Linter],
    request: CheckRequest,
    run: CheckRun,
    jobs: list[_Job],
    results: list[FileResult | None],
) -> None:
    """Lint ``jobs`` in this process (``linter_for``: the engine of a settings identity);
    each result goes to its place in ``results``, lean."""
    for job in jobs:
        result = _lint_path(linter_for(job.identity), request, run, job.path)
        if result is not None:
            results[job.index] = result.lean()


def _chunks(jobs: list[_Job], target: float) -> list[list[_Job]]:
    """Jobs grouped into chunks of about ``target`` seconds, the costliest first."""
    chunks: list[list[_Job]] = []
    current: list[_Job] = []
    cost = 0.0
    for job in sorted(jobs, key=lambda job: -job.cost):
        current.append(job)
        cost += job.cost
        if cost >= target:
            chunks.append(current)
            current, cost = [], 0.0
    if current:
        chunks.append(current)
    return chunks


def _lint_in_parallel(
    engines: Engines,
    settings: dict[tuple, Settings],
    request: CheckRequest,
    run: CheckRun,
    jobs: list[_Job],
    results: list[FileResult | None],
    workers: int,
) -> None:
    """Hand out chunks, costliest first, to ``workers`` worker processes and to this
    process: each worker has at most two chunks waiting, and this process lints the next
    chunk whenever theirs are topped up, until none is left."""
    import multiprocessing
    from collections import deque
    from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait

    total = sum(job.cost for job in jobs)
    pending = deque(_chunks(jobs, min(CHUNK_SECONDS, total / (8 * (workers + 1)))))
    methods = multiprocessing.get_all_start_methods()
    # Not fork: this runs in a thread, and forking a threaded process is unsafe. The fork
    # server imports the linter once; each worker starts as a copy of it.
    context = multiprocessing.get_context("forkserver" if "forkserver" in methods else "spawn")
    if context.get_start_method() == "forkserver":
        context.set_forkserver_preload(WORKER_MODULES)
    in_flight: set = set()

    def top_up(pool: ProcessPoolExecutor) -> None:
        while pending and len(in_flight) < 2 * workers:
            chunk = pending.popleft()
            needed = {job.identity: settings[job.identity] for job in chunk}
            in_flight.add(pool.submit(_lint_chunk, (needed, request, chunk)))

    def collect(done: set) -> None:
        for future in done:
            in_flight.discard(future)
            partial, indexed = future.result()
            for index, result in indexed:
                results[index] = result
            run.internal_errors.extend(partial.internal_errors)
            run.warnings.extend(partial.warnings)

    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        top_up(pool)
        while pending:
            _lint_jobs(lambda identity: engines.for_settings(settings[identity]), request, run, pending.popleft(),
                       results)
            collect({future for future in in_flight if future.done()})
            top_up(pool)
        while in_flight:
            done, _ = wait(in_flight, return_when=FIRST_COMPLETED)
            collect(done)


# What a worker needs, imported once by the fork server rather than by each worker.
WORKER_MODULES = [
    "contractlint.runner",
    "contractlint.rules.advisories",
    "contractlint.rules.credentials",
    "contractlint.rules.environment",
    "contractlint.rules.fallbacks",
    "contractlint.rules.files",
    "contractlint.rules.handoff",
    "contractlint.rules.inline_scripts",
    "contractlint.rules.migration",
    "contractlint.rules.noqa",
    "contractlint.rules.renames",
    "contractlint.flow.model",
    "contractlint.python.analysis",
    "ruamel.yaml",
    "jsonschema_rs",
]


def _lint_chunk(job: tuple[dict[tuple, Settings], CheckRequest, list[_Job]]) -> tuple[CheckRun, list]:
    """A worker process's chunk (a module-level function: it is pickled): the lean
    results with their places in the run, and what went wrong."""
    settings, request, chunk = job

    def work() -> tuple[CheckRun, list]:
        run = CheckRun(report=RunReport(results=[]))
        results: list[FileResult | None] = [None] * len(chunk)
        local = [dataclasses.replace(entry, index=position) for position, entry in enumerate(chunk)]
        _lint_jobs(lambda identity: _worker_linter(settings[identity]), request, run, local, results)
        return run, [(entry.index, result) for entry, result in zip(chunk, results) if result is not None]

    return in_large_stack(work)


_WORKER_LINTERS: dict[tuple, Linter] = {}


def _worker_linter(settings: Settings) -> Linter:
    """A worker's engine per configuration, kept for the chunks that follow."""
    if settings.identity not in _WORKER_LINTERS:
        _WORKER_LINTERS[settings.identity] = build_linter(settings)
    return _WORKER_LINTERS[settings.identity]


def _lint_path(linter: Linter, request: CheckRequest, run: CheckRun, path: Path) -> FileResult | None:
    """The result of the file at ``path`` (None: an internal error, in ``run``)."""
    shown = display_path(path)
    try:
        data = read_file(path)
    except UnreadablePath as error:
        return linter.unreadable(shown, error.reason)
    return _lint_one(linter, request, run, shown, path, data)


def _lint_one(
    linter: Linter, request: CheckRequest, run: CheckRun, shown: str, path: Path | None, data: bytes
) -> FileResult | None:
    from contractlint.digest import content_digest

    try:
        result = linter.lint_bytes(shown, data)
        result.digest = content_digest(data)
        if request.fix:
            run.before_fix[shown] = result
        if (request.fix or request.diff) and result.source is not None:
            result = _fix(linter, request, run, result, path)
        elif result.source is not None and any(d.fix is not None for d in result.diagnostics):
            result = _trial(linter, result)
    except Exception as error:  # noqa: CL302 - a bug of ours: reported, exit status 2
        details = "".join(traceback.format_exception(error)).rstrip()
        run.internal_errors.append(f"internal error while linting {shown}: {error!r}\n{details}")
        # The file keeps a result that says it was not checked: it is counted, and the
        # summary never calls a run with a file nobody checked clean. It has no digest:
        # the cache never keeps it.
        result = linter.internal_error(shown, error)
    return result


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
