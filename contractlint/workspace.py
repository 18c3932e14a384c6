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
from contractlint.engine import FileResult, Linter
from contractlint.fixes import FixOutcome
from contractlint.resolver import Resolver
from contractlint.runner import Engines, fix_text, in_large_stack, redacted, unified_diff
from contractlint.source import UnreadablePath


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
        """How diagnostics name a file: relative to the root, ``/`` separators."""
        return path.relative_to(self.root).as_posix()

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
        shown = self.shown(resolved)
        if data is None:
            try:
                data = self.content(resolved)
            except UnreadablePath as error:
                return linter.unreadable(shown, error.reason)
        return in_large_stack(lambda: linter.lint_bytes(shown, data))

    def fix(self, path: Path | str, data: bytes | None = None, unsafe: bool = False) -> FixedFile:
        """Apply the file's fixes (safe ones; unsafe ones too with ``unsafe``) to its
        content in memory, exactly as ``check --fix`` would; nothing is written."""
        resolved = self.resolve(path)
        before = data if data is not None else self.content(resolved)
        linter = self.engine(resolved)
        shown = self.shown(resolved)

        def work() -> FixedFile:
            result = linter.lint_bytes(shown, before)
            if result.source is None:
                return FixedFile(resolved, before, before, "", 0, FixOutcome(text="", applied=0, refused=[]), result)
            outcome = fix_text(linter, result, unsafe)
            after = result.source.encode(outcome.text)
            final = linter.lint_bytes(shown, after) if after != before else result
            diff = ""
            if after != before and final.source is not None:
                diff = unified_diff(
                    redacted(result.source, result.redactions), redacted(final.source, final.redactions), shown
                )
            return FixedFile(resolved, before, after, diff, outcome.applied, outcome,
                             _offer_no_refused(final, outcome))

        return in_large_stack(work)

    def write(self, path: Path | str, data: bytes) -> None:
        """Write ``data`` to the file at ``path`` (inside the root) as ``--fix`` writes
        a user's file — its link target, owner, mode and hard links kept — and forget
        what was read from it; ``fixes.NotWritten`` (with the reason) when it cannot be."""
        from contractlint.fixes import write_file

        resolved = self.resolve(path)
        original = resolved.read_bytes() if resolved.is_file() else None
        write_file(resolved, data, original)
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
            except UnreadablePath:
                continue  # gone from disk: nothing to re-lint
        return [found.flow for found in dependents(texts, index, changed)]


def _offer_no_refused(result: FileResult, outcome: FixOutcome) -> FileResult:
    """The diagnostics after fixing, without offering a fix that was just refused."""
    import dataclasses

    return dataclasses.replace(result, diagnostics=outcome.without_refused(result.diagnostics))
