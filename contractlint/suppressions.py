"""Suppressions applied after the rules ran: ``per-file-ignores`` from the config and
``# noqa: CODE`` comments in the file."""

from __future__ import annotations

from contractlint.config import Settings
from contractlint.diagnostics import Diagnostic
from contractlint.source import SourceFile


def apply_suppressions(
    diagnostics: list[Diagnostic], path: str, source: SourceFile | None, settings: Settings
) -> list[Diagnostic]:
    ignored = per_file_ignored_selectors(path, settings)
    if ignored:
        diagnostics = [d for d in diagnostics if not any(d.code.startswith(s) for s in ignored)]
    return diagnostics


def per_file_ignored_selectors(path: str, settings: Settings) -> tuple[str, ...]:
    """Selectors ignored for ``path`` (a display path) by ``per-file-ignores``."""
    if not settings.per_file_ignores:
        return ()
    from pathlib import Path

    from contractlint.discovery import glob_match

    absolute = Path(path).absolute()
    try:
        relative = absolute.relative_to(settings.root).as_posix()
    except ValueError:
        relative = absolute.as_posix()
    selectors: list[str] = []
    for pattern, codes in settings.per_file_ignores:
        if glob_match(pattern, relative):
            selectors.extend("CL" if code == "ALL" else code for code in codes)
    return tuple(selectors)
