"""Reporters turn a finished run into text, JSON, SARIF or GitHub annotations.

Each reporter module has ``render(run: RunReport, options: ReportOptions) -> str``.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field

from contractlint.diagnostics import Diagnostic
from contractlint.engine import FileResult

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

    def sources(self) -> dict[str, object]:
        return {result.path: result.source for result in self.results if result.source is not None}


@dataclass(frozen=True)
class ReportOptions:
    color: bool = False
    show_source: bool = False
    statistics: bool = False
    unsafe_fixes: bool = False
    extra: dict = field(default_factory=dict)


def render(format_name: str, run: RunReport, options: ReportOptions) -> str:
    if format_name not in FORMATS:
        raise ValueError(f"unknown format {format_name!r}")
    module = importlib.import_module(f"contractlint.reporters.{format_name}_format")
    return module.render(run, options)


def fixable(diagnostic: Diagnostic, unsafe_fixes: bool) -> bool:
    fix = diagnostic.fix
    return fix is not None and (fix.applicability == "safe" or unsafe_fixes)
