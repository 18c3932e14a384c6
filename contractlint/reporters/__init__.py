"""Reporters turn a finished run into text, JSON, SARIF or GitHub annotations.

Each reporter module has ``render(run: RunReport, options: ReportOptions) -> str``;
reporters are pure functions of the run and the options (no terminal or environment
look-ups: the CLI decides colour, source excerpts and the SARIF source root).
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from contractlint.diagnostics import Diagnostic
from contractlint.engine import FileResult
from contractlint.fixes import applicable as fixable  # noqa: F401 - re-exported: one definition of "what --fix applies"

FORMATS = ("text", "json", "sarif", "github")


@dataclass
class RunReport:
    results: list[FileResult]
    fixed: int = 0  # fixes applied by --fix
    stale_baseline: int = 0  # baseline entries that matched nothing
    baselined: int = 0  # diagnostics hidden by the baseline

    @property
    def diagnostics(self) -> list[Diagnostic]:
        found = [d for result in self.results for d in result.diagnostics]
        return sorted(found, key=lambda d: d.sort_key)

    @property
    def files(self) -> int:
        return len(self.results)

    def sources(self) -> Mapping[str, object]:
        """Each file's text by display path: the linted files, and the namespace files
        their flows include (a diagnostic may be in one). A result that let its text go
        (``FileResult.lean``, or one from the cache) names the files with diagnostics
        and their digests instead: those are read when a reporter asks for them."""
        found: dict[str, object] = {}
        digests: dict[str, str] = {}
        for result in self.results:
            for included in result.included:
                found.setdefault(included.path, included)
            for shown, digest in result.texts:
                digests.setdefault(shown, digest)
        found.update({result.path: result.source for result in self.results if result.source is not None})
        return SourceTexts(found, digests)


class SourceTexts(Mapping):
    """Texts by display path: those held, and those read on demand — a file is read
    once, and only if it still has the content that was linted (a file that changed
    since has no text here: an excerpt of other content would point at the wrong place)."""

    def __init__(self, held: dict[str, object], digests: dict[str, str]) -> None:
        self._held = held
        self._digests = {shown: digest for shown, digest in digests.items() if shown not in held}

    def __getitem__(self, shown: str) -> object:
        if shown not in self._held and shown in self._digests:
            self._held[shown] = _read_again(shown, self._digests.pop(shown))
        return self._held[shown]

    def __iter__(self) -> Iterator[str]:
        return iter({**dict.fromkeys(self._held), **dict.fromkeys(self._digests)})

    def __len__(self) -> int:
        return len(self._held) + len(self._digests)


def _read_again(shown: str, digest: str) -> object:
    import os

    from contractlint.digest import content_digest
    from contractlint.source import SourceFile, UndecodableFile

    try:
        if not os.path.isfile(shown):  # checked before opening: a FIFO would block
            return None
        data = Path(shown).read_bytes()
        return SourceFile.from_bytes(shown, data) if content_digest(data) == digest else None
    except (OSError, UndecodableFile):
        return None


@dataclass(frozen=True)
class ReportOptions:
    color: bool = False
    show_source: bool = False
    statistics: bool = False
    unsafe_fixes: bool = False
    quiet: bool = False  # diagnostics only: no summary line
    # SARIF's %SRCROOT%: the repository root results are relative to; None: ``cwd``.
    srcroot: Path | None = None
    # The folder display paths are relative to; None: the process's working directory.
    cwd: Path | None = None
    # What GitHub annotation paths are relative to (GITHUB_WORKSPACE); None: display paths.
    annotation_root: Path | None = None
    # Where the documentation is published (the `docs-url` key); None: no links.
    docs_url: str | None = None
    show_fixes: bool = False
    fixed: dict[str, dict[str, int]] = field(default_factory=dict)  # with --fix: path → code → count
    extra: dict = field(default_factory=dict)

    def absolute(self, path: str) -> Path:
        """A display path as an absolute, normalised path."""
        import os

        base = self.cwd if self.cwd is not None else Path.cwd()
        return Path(os.path.normpath(base / path))

    def rule_url(self, code: str) -> str | None:
        """The rule's documentation page, when ``docs_url`` says where pages are."""
        return None if self.docs_url is None else f"{self.docs_url.rstrip('/')}/rules/{code}.md"


def render(format_name: str, run: RunReport, options: ReportOptions) -> str:
    if format_name not in FORMATS:
        raise ValueError(f"unknown format {format_name!r}")
    module = importlib.import_module(f"contractlint.reporters.{format_name}_format")
    return module.render(run, options)


def plural(count: int, word: str, plural_word: str | None = None) -> str:
    if count == 1:
        return f"{count} {word}"
    return f"{count} {plural_word if plural_word is not None else word + 's'}"
