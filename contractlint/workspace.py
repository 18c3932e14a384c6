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

Nothing here writes a file unless asked (``write``), and then only inside the root.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from contractlint.config import CommandLine
from contractlint.diagnostics import Diagnostic
from contractlint.engine import FileResult, Linter
from contractlint.fixes import FixOutcome
from contractlint.resolver import Resolver
from contractlint.runner import Engines, fix_text, in_large_stack, redacted, unified_diff


class OutsideRoot(ValueError):
    """A path that resolves (symlinks and ``..`` followed) outside the workspace root."""


@dataclass(frozen=True)
class FixedFile:
    """What fixing one file gives: its text before and after, the unified diff
    (secrets masked), how many fixes were applied and which were refused, and the
    diagnostics left after the fixes."""

    path: Path
    before: bytes
    after: bytes
    diff: str
    applied: int
    outcome: FixOutcome
    result: FileResult

    @property
    def changed(self) -> bool:
        return self.after != self.before


class Workspace:
    def __init__(self, root: Path, command_line: CommandLine | None = None) -> None:
        self.root = Path(os.path.realpath(root))
        self.resolver = Resolver(command_line if command_line is not None else CommandLine(), self.root)
        self.drafts: dict[Path, bytes] = {}  # resolved path → content, shared by every engine's Project
        self.engines = Engines(self.resolver, self.drafts)

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
        """The file's draft, or what is on disk (``OSError`` when it cannot be read)."""
        resolved = self.resolve(path)
        if resolved in self.drafts:
            return self.drafts[resolved]
        return resolved.read_bytes()

    def refresh(self) -> list[Path]:
        """Forget what was read from files that changed (on disk or as drafts) since it
        was read; the files that changed."""
        changed: list[Path] = []
        for linter in self.engines.all():
            changed.extend(linter.project.refresh())
        return list(dict.fromkeys(changed))

    # -- linting ----------------------------------------------------------------------

    def engine(self, path: Path) -> Linter:
        return self.engines.for_path(path)

    def check(self, path: Path | str, data: bytes | None = None) -> FileResult:
        """Lint one file — ``data``, else its draft, else the file on disk — with the
        settings that apply to it. A file that cannot be read is CL000, as in ``check``."""
        resolved = self.resolve(path)
        linter = self.engine(resolved)
        linted = _engine_path(resolved)
        if data is None:
            try:
                data = self.content(resolved)
            except OSError as error:
                return self._as_shown(linter.unreadable(linted, error.strerror or str(error)))
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
                return FixedFile(resolved, before, before, "", 0, FixOutcome(text="", applied=0, refused=[]),
                                 self._as_shown(result))
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
                             self._as_shown(_offer_no_refused(final, outcome)))

        return in_large_stack(work)

    def write(self, path: Path | str, data: bytes) -> None:
        """Write ``data`` to the file at ``path`` (inside the root), atomically, and
        forget what was read from it."""
        from contractlint.fixes import write_atomically

        resolved = self.resolve(path)
        write_atomically(resolved, data)
        self.drafts.pop(resolved, None)
        for linter in self.engines.all():
            linter.project.forget(resolved)

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
            except OSError:
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


def _offer_no_refused(result: FileResult, outcome: FixOutcome) -> FileResult:
    """The diagnostics after fixing, without offering a fix that was just refused."""
    import dataclasses

    return dataclasses.replace(result, diagnostics=outcome.without_refused(result.diagnostics))
