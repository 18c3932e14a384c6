"""``--format text``: ruff's concise layout, an optional source excerpt, a summary."""

from __future__ import annotations

from contractlint.diagnostics import Diagnostic
from contractlint.reporters import ReportOptions, RunReport, fixable
from contractlint.source import SourceFile

BOLD, RED, CYAN, BLUE, RESET = "\x1b[1m", "\x1b[31m", "\x1b[36m", "\x1b[34m", "\x1b[0m"


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def diagnostic_line(diagnostic: Diagnostic, color: bool) -> str:
    span = diagnostic.span
    where = f"{diagnostic.path}:{span.line}:{span.column}:"
    if color:
        return f"{BOLD}{where}{RESET} {BOLD}{RED}{diagnostic.code}{RESET} {diagnostic.message}"
    return f"{where} {diagnostic.code} {diagnostic.message}"


def excerpt(diagnostic: Diagnostic, source: SourceFile, color: bool) -> list[str]:
    """The offending lines with a caret span under the reported characters."""
    span = diagnostic.span
    last = min(span.end_line, source.line_count)
    if span.end_column == 1 and span.end_line > span.line:
        last = span.end_line - 1  # a span ending at column 1 ends on the previous line
    last = min(last, span.line + 4)  # long spans: show the start, as ruff does
    width = len(str(last))
    gutter = " " * width + " |"
    blue = (lambda s: f"{BLUE}{s}{RESET}") if color else (lambda s: s)
    lines = [blue(gutter)]
    for number in range(span.line, last + 1):
        text = source.line_text(number).replace("\t", " ")
        lines.append(f"{blue(str(number).rjust(width) + ' |')} {text}")
        start = span.column if number == span.line else 1
        end = span.end_column if number == span.end_line else len(text) + 1
        carets = "^" * max(1, end - start)
        marker = f"{' ' * (start - 1)}{carets}"
        if number == last:
            marker += f" {diagnostic.code}"
        lines.append(f"{blue(gutter)} {RED + marker + RESET if color else marker}")
    lines.append(blue(gutter))
    if diagnostic.fix is not None:
        label = "help" if diagnostic.fix.applicability == "safe" else "help (unsafe fix)"
        lines.append(f"{' ' * width} = {label}: {diagnostic.fix.description}")
    return lines


def summary(run: RunReport, options: ReportOptions) -> str:
    diagnostics = run.diagnostics
    parts: list[str] = []
    if run.fixed:
        parts.append(f"Fixed {_plural(run.fixed, 'diagnostic')}.")
    if not diagnostics:
        parts.append("All checks passed!")
    else:
        files = len({d.path for d in diagnostics})
        line = f"Found {_plural(len(diagnostics), 'diagnostic')} in {_plural(files, 'file')}"
        safe = sum(1 for d in diagnostics if fixable(d, options.unsafe_fixes))
        hidden = sum(1 for d in diagnostics if d.fix is not None and not fixable(d, options.unsafe_fixes))
        notes = []
        if safe:
            notes.append(f"{safe} fixable with --fix")
        if hidden:
            notes.append(f"{_plural(hidden, 'hidden fix')} can be enabled with --unsafe-fixes")
        parts.append(line + (f" ({'; '.join(notes)})" if notes else "") + ".")
    if run.baselined:
        parts.append(f"{_plural(run.baselined, 'diagnostic')} hidden by the baseline.")
    if run.stale_baseline:
        parts.append(f"{_plural(run.stale_baseline, 'baseline entry')} no longer match; the baseline can be shrunk.".replace("entrys", "entries"))
    return "\n".join(parts)


def render(run: RunReport, options: ReportOptions) -> str:
    sources = run.sources()
    out: list[str] = []
    for diagnostic in run.diagnostics:
        out.append(diagnostic_line(diagnostic, options.color))
        source = sources.get(diagnostic.path)
        if options.show_source and isinstance(source, SourceFile):
            out.extend(excerpt(diagnostic, source, options.color))
            out.append("")
    if out and out[-1] != "":
        out.append("")
    out.append(summary(run, options))
    return "\n".join(out) + "\n"
