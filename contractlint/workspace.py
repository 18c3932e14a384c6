"""The engine for long-running servers (the MCP server, the language server): the same
linting as ``contractlint check``, over files on disk and *drafts* — an editor's unsaved
buffers, the flow and modules an agent is about to write — with parses kept warm
between requests.

A ``Workspace`` has a root folder. Each file is linted with the settings of the
configuration nearest to it (as ``check`` does, through the same ``Resolver``), by the
engine of that configuration (one ``Linter`` and ``Project`` per configuration, kept
for the life of the workspace). A draft stands for its file everywhere: when the file
itself is linted, and when CL203 follows a flow's script into the project modules it
imports. Before each request, ``refresh`` drops what was read from files that changed
since, on disk or as drafts.

Configuration is read again too: ``refresh`` notices a configuration file that
changed, appeared or went away in a folder the workspace has looked in (and the
plugin-defaults and policy files the settings name), and then starts over with fresh
settings and engines.

Display paths are relative to the root, and parts of the engine read a display path
against the working directory (as ``check`` run from the root would): a server runs
with its root as its working directory.

Nothing here writes a file unless asked (``write``), and then only inside the root.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from contractlint.config import CONFIG_FILE_NAMES, CommandLine
from contractlint.diagnostics import Diagnostic
from contractlint.engine import FileResult, Linter
from contractlint.fixes import FixOutcome
from contractlint.reporters import RunReport
from contractlint.resolver import Resolver
from contractlint.runner import Engines, fix_text, in_large_stack, redacted, unified_diff
from contractlint.source import UnreadablePath

if TYPE_CHECKING:
    from contractlint.discovery import Discovery
    from contractlint.flow_index import Dependent


class OutsideRoot(ValueError):
    """A path that resolves (symlinks and ``..`` followed) outside the workspace root."""


@dataclass(frozen=True)
class FixedFile:
    """What fixing one file gives: its text before and after, the unified diff
    (secrets masked), how many fixes were applied and which were refused, the
    diagnostics left after the fixes, and the file as first linted (``original``)."""

    path: Path
    before: bytes
    after: bytes
    diff: str
    applied: int
    outcome: FixOutcome
    result: FileResult
    original: FileResult | None = None

    @property
    def changed(self) -> bool:
        return self.after != self.before


class Workspace:
    def __init__(self, root: Path, command_line: CommandLine | None = None) -> None:
        self.root = Path(os.path.realpath(root))
        self.command_line = command_line if command_line is not None else CommandLine()
        self.drafts: dict[Path, bytes] = {}  # resolved path → content, shared by every engine's Project
        self._folders: set[Path] = {self.root}  # folders whose configuration has been looked up
        self._start()

    def _start(self) -> None:
        """Fresh settings and engines (the drafts stay)."""
        self.resolver = Resolver(self.command_line, self.root)
        self.engines = Engines(self.resolver, self.drafts)
        self._inputs: dict[Path, tuple | None] = {}  # what the settings were built from → its status then
        self._noted = (0, 0)  # folders and configurations when the inputs were last noted

    # -- paths ------------------------------------------------------------------------

    def resolve(self, path: Path | str) -> Path:
        """``path`` (relative to the root, or absolute) with symlinks and ``..``
        resolved; ``OutsideRoot`` when that leaves the root."""
        given = Path(path)
        resolved = Path(os.path.realpath(given if given.is_absolute() else self.root / given))
        if resolved != self.root and self.root not in resolved.parents:
            raise OutsideRoot(f"{path} is outside the workspace root {self.root}")
        return resolved

    def shown(self, path: Path) -> str:
        """How diagnostics name a file: relative to the root, ``/`` separators (a file
        outside the root — a namespace file a flow includes — by its absolute path)."""
        absolute = Path(os.path.abspath(path))
        for candidate in (absolute, Path(os.path.realpath(absolute))):
            if candidate == self.root or self.root in candidate.parents:
                return candidate.relative_to(self.root).as_posix()
        return absolute.as_posix()

    def absolute(self, shown: str) -> Path:
        """The file a diagnostic's ``path`` names (the inverse of ``shown``)."""
        return Path(os.path.normpath(self.root / shown))

    def is_excluded(self, path: Path) -> bool:
        """Whether the settings exclude ``path`` (``exclude``/``extend-exclude``, as
        ``--force-exclude`` applies them): such files get no diagnostics."""
        from contractlint.runner import _excluded

        return _excluded(path, self.resolver)

    # -- drafts -----------------------------------------------------------------------

    def set_draft(self, path: Path, data: bytes) -> None:
        """``data`` stands for the file at ``path`` until the draft is dropped."""
        self.drafts[self.resolve(path)] = data

    def drop_draft(self, path: Path) -> None:
        self.drafts.pop(self.resolve(path), None)

    def content(self, path: Path) -> bytes:
        """The file's draft, or what is on disk (``UnreadablePath`` when it cannot be
        read: missing, not a regular file, too large)."""
        from contractlint.source import read_file

        resolved = self.resolve(path)
        if resolved in self.drafts:
            return self.drafts[resolved]
        return read_file(resolved)

    def refresh(self) -> list[Path]:
        """Forget what was read from files that changed (on disk or as drafts) since it
        was read, and start over with fresh settings when a configuration changed; the
        files that changed."""
        settings_changed = [path for path, status in self._inputs.items() if _status(path) != status]
        if settings_changed:
            self._start()
            return settings_changed
        changed: list[Path] = []
        for linter in self.engines.all():
            changed.extend(linter.project.refresh())
        return list(dict.fromkeys(changed))

    def _note_settings_inputs(self) -> None:
        """Remember the status of what the settings are built from, as first seen: every
        configuration file name in each folder looked up (present or not), and the
        plugin-defaults and policy files the settings name."""
        known = (len(self._folders), len(self.resolver.all_settings()))
        if known == self._noted:
            return  # no folder and no configuration since the last look
        self._noted = known
        paths: list[Path] = []
        for folder in self._folders:
            paths.extend(folder / name for name in CONFIG_FILE_NAMES)
        for settings in self.resolver.all_settings():
            if settings.config_path is not None:
                paths.append(settings.config_path)
            paths.extend(Path(path) for path in settings.plugin_defaults)
            paths.extend(Path(path) for path, _ in settings.policies)
        for path in paths:
            if path not in self._inputs:
                self._inputs[path] = _status(path)

    # -- linting ----------------------------------------------------------------------

    def engine(self, path: Path) -> Linter:
        folder = Path(os.path.abspath(path)).parent
        while folder not in self._folders and (folder == self.root or self.root in folder.parents):
            self._folders.add(folder)
            folder = folder.parent
        linter = self.engines.for_path(path)
        self._note_settings_inputs()
        return linter

    def check(self, path: Path | str, data: bytes | None = None) -> FileResult:
        """Lint one file — ``data``, else its draft, else the file on disk — with the
        settings that apply to it. A file that cannot be read is CL000, as in ``check``."""
        resolved = self.resolve(path)
        linter = self.engine(resolved)
        linted = _engine_path(resolved)
        if data is None:
            try:
                data = self.content(resolved)
            except UnreadablePath as error:
                return self._as_shown(linter.unreadable(linted, error.reason))
        return self._as_shown(in_large_stack(lambda: linter.lint_bytes(linted, data)))

    def fix(self, path: Path | str, data: bytes | None = None, unsafe: bool = False) -> FixedFile:
        """Apply the file's fixes (safe ones; unsafe ones too with ``unsafe``) to its
        content in memory, exactly as ``check --fix`` would; nothing is written."""
        resolved = self.resolve(path)
        before = data if data is not None else self.content(resolved)
        linter = self.engine(resolved)
        linted = _engine_path(resolved)
        shown = self.shown(resolved)

        def work() -> FixedFile:
            result = linter.lint_bytes(linted, before)
            if result.source is None:
                shown_result = self._as_shown(result)
                return FixedFile(resolved, before, before, "", 0, FixOutcome(text="", applied=0, refused=[]),
                                 shown_result, shown_result)
            outcome = fix_text(linter, result, unsafe)
            after = result.source.encode(outcome.text)
            final = linter.lint_bytes(linted, after) if after != before else result
            diff = ""
            if after != before and final.source is not None:
                diff = unified_diff(
                    redacted(result.source, result.redactions), redacted(final.source, final.redactions), shown
                )
            outcome.refused = [self._shown_diagnostic(d) for d in outcome.refused]
            return FixedFile(resolved, before, after, diff, outcome.applied, outcome,
                             self._as_shown(_offer_no_refused(final, outcome)), self._as_shown(result))

        return in_large_stack(work)

    def write(self, path: Path | str, data: bytes) -> None:
        """Write ``data`` to the file at ``path`` (inside the root) as ``--fix`` writes
        a user's file — its link target, owner, mode and hard links kept — or create it,
        with the folders it needs; forget what was read from it. ``fixes.NotWritten``
        (with the reason) when it cannot be written."""
        from contractlint.fixes import create_file, write_file

        resolved = self.resolve(path)
        if not resolved.parent.is_dir():
            resolved.parent.mkdir(parents=True)
            resolved = self.resolve(resolved)  # what was created is still inside the root
        if resolved.exists():
            write_file(resolved, data, resolved.read_bytes() if resolved.is_file() else None)
        else:
            create_file(resolved, data)
        self.drafts.pop(resolved, None)
        for linter in self.engines.all():
            linter.project.forget(resolved)

    def report(self, results: list[FileResult]) -> RunReport:
        """``results`` as ``check`` reports them: each file's diagnostics filtered through
        the ``baseline`` of its configuration."""
        from contractlint.runner import apply_configured_baselines

        report = RunReport(results=results)
        apply_configured_baselines(report, self.resolver)
        return report

    def discover(self, paths: list[Path]) -> Discovery:
        """The files ``check`` lints for ``paths`` (files, and folders walked with their
        excludes and ``.gitignore``), in the root: a file that a symlink found by the
        walk leads out of the root is left out."""
        import dataclasses

        from contractlint.runner import discover_files

        found = discover_files(tuple(str(self.resolve(path)) for path in paths), self.resolver)
        inside = []
        for file in found.files:
            try:
                inside.append(self.resolve(file))
            except OutsideRoot:
                continue
        return dataclasses.replace(found, files=tuple(dict.fromkeys(inside)))

    def flows_importing(self, modules: list[Path], skip: set[Path] | frozenset[Path] = frozenset()) -> list[Dependent]:
        """The project's flows (found as ``check`` finds them, in the root; drafts stand
        for their files) that import one of the project ``modules``, directly or through
        other project modules, as far as CL203 follows — their results depend on those
        modules — except the flows in ``skip``."""
        from contractlint.flow_index import ProjectModules, dependents

        groups: dict[tuple, tuple[Linter, dict[str, Path]]] = {}
        for module in modules:
            resolved = self.resolve(module)
            linter = self.engine(resolved)
            entry = groups.setdefault(linter.settings.identity, (linter, {}))
            for name in ProjectModules(linter.project).module_names(resolved):
                entry[1][name] = resolved
        found: list[Dependent] = []
        for linter, changed in groups.values():
            if not changed:
                continue
            settings = linter.settings
            top = settings.root if settings.root == self.root or self.root in settings.root.parents else self.root
            flows = [path for path in self.discover([top]).files if path.suffix.lower() in (".yml", ".yaml")]
            flows += [path for path in self.drafts if path.suffix.lower() in (".yml", ".yaml") and path not in flows]
            texts: dict[Path, str] = {}
            for flow in flows:
                if flow in skip or self.resolver.settings_for(flow).identity != settings.identity:
                    continue
                try:
                    text = self.content(flow).decode("utf-8", errors="replace")
                except UnreadablePath:
                    continue  # gone since the walk: nothing to lint
                if "import" in text:
                    texts[flow] = text
            found.extend(dependents(texts, ProjectModules(linter.project), changed))
        return found

    def dependent_flows(self, module: Path | str, flows: list[Path]) -> list[Path]:
        """Which of ``flows`` import the project module at ``module`` (directly or
        through other project modules, as far as CL203 follows): their results depend
        on it."""
        from contractlint.flow_index import ProjectModules, dependents

        resolved = self.resolve(module)
        settings = self.resolver.settings_for(resolved)
        project = self.engine(resolved).project
        index = ProjectModules(project)
        changed = {name: resolved for name in index.module_names(resolved)}
        if not changed:
            return []
        texts: dict[Path, str] = {}
        for flow in flows:
            flow_path = self.resolve(flow)
            if self.resolver.settings_for(flow_path).identity != settings.identity:
                continue  # another project: its src roots do not hold this module
            try:
                texts[flow_path] = self.content(flow_path).decode("utf-8", errors="replace")
            except UnreadablePath:
                continue  # gone from disk: nothing to re-lint
        return [found.flow for found in dependents(texts, index, changed)]

    # -- paths in results -----------------------------------------------------------------

    def _as_shown(self, result: FileResult) -> FileResult:
        """``result`` with every path as ``shown`` names it."""
        import dataclasses

        source = result.source
        return dataclasses.replace(
            result,
            path=self._shown_text(result.path),
            diagnostics=[self._shown_diagnostic(d) for d in result.diagnostics],
            source=dataclasses.replace(source, path=self._shown_text(source.path)) if source is not None else None,
            included=tuple(dataclasses.replace(file, path=self._shown_text(file.path)) for file in result.included),
        )

    def _shown_diagnostic(self, diagnostic: Diagnostic) -> Diagnostic:
        import dataclasses

        return dataclasses.replace(diagnostic, path=self._shown_text(diagnostic.path))

    def _shown_text(self, linted: str) -> str:
        return self.shown(Path(linted))


def _engine_path(resolved: Path) -> str:
    """The path the engine lints a file as: as ``check`` run from the working directory
    would show it. The engine reads display paths relative to the working directory
    (``per-file-ignores`` globs, a module's package), whatever the workspace root is."""
    from contractlint.project import display_path

    return display_path(resolved)


def _status(path: Path) -> tuple | None:
    """A file's identity, size and modification time; None when it is not there."""
    try:
        status = path.stat()
    except OSError:
        return None
    return (status.st_ino, status.st_size, status.st_mtime_ns)


def _offer_no_refused(result: FileResult, outcome: FixOutcome) -> FileResult:
    """The diagnostics after fixing, without offering a fix that was just refused."""
    import dataclasses

    return dataclasses.replace(result, diagnostics=outcome.without_refused(result.diagnostics))
