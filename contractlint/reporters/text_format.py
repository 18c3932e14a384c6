"""``--format text``: ruff's layout.

One line per diagnostic, ``path:line:col: CODE message``, sorted by path and position.
With ``show_source`` each line is followed by a code frame in the style of ruff's full
output (and rustc's): up to two lines of context either side, a caret span under the
reported characters labelled with the code, spans over several lines drawn in a margin
(long ones folded), the fix as a ``help`` note, and a blank line. Then one summary
line, unless ``quiet``.

Positions are code points; the frame lays lines out in terminal cells: tabs expand to
the next multiple of 4, wide (East Asian) characters take two cells, combining marks
none, control characters are shown as their Unicode control pictures. Characters a
diagnostic marks as secret (``Diagnostic.redactions``) are never printed.
"""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict

from contractlint.diagnostics import Diagnostic, Span
from contractlint.reporters import ReportOptions, RunReport, fixable, plural
from contractlint.source import SourceFile

TAB_WIDTH = 4
CONTEXT_LINES = 2
FOLD_AFTER = 8  # a span over more lines shows its first and last lines only
FOLD_HEAD, FOLD_TAIL = 3, 2
MASK = "********"  # replaces redacted characters, whatever their length

BIDI_CONTROLS = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")

RESET = "\x1b[0m"
CODES = {"bold": "1", "red": "31", "green": "32", "blue": "34", "cyan": "36"}


class Style:
    """ANSI styling, or nothing at all when colour is off."""

    def __init__(self, color: bool) -> None:
        self.color = color

    def __call__(self, text: str, *names: str) -> str:
        if not self.color or not text:
            return text
        return "\x1b[" + ";".join(CODES[name] for name in names) + "m" + text + RESET

    def gutter(self, text: str) -> str:
        return self(text, "bold", "blue")

    def mark(self, text: str) -> str:
        return self(text, "bold", "red")


# -- text that is not source: paths, messages, fix descriptions --------------------------

# What never reaches a terminal as it is: C0 and C1 controls (escape sequences, a
# newline that would forge a diagnostic line), DEL, line and paragraph separators,
# bidirectional overrides and isolates (text that reads differently than it is), and
# the surrogates that stand for the bytes of a file name that is not UTF-8.
_UNPRINTABLE = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]")
_NAMED_ESCAPES = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def printable(text: str, keep: str = "") -> str:
    """``text`` with every character that could forge lines or drive the terminal
    written as an escape (``\\x1b``, ``\\n``, ``\\u202e``); a byte of a file name that
    is not UTF-8 becomes ``\\xff``. Characters in ``keep`` stay as they are."""

    def escape(match: re.Match[str]) -> str:
        char = match.group()
        if char in keep:
            return char
        point = ord(char)
        if 0xDC80 <= point <= 0xDCFF:  # os.fsdecode's stand-in for an undecodable byte
            return f"\\x{point - 0xDC00:02x}"
        if char in _NAMED_ESCAPES:
            return _NAMED_ESCAPES[char]
        return f"\\x{point:02x}" if point <= 0xFF else f"\\u{point:04x}"

    return _UNPRINTABLE.sub(escape, text)


# -- laying out one source line ----------------------------------------------------------


def _visible(char: str) -> str:
    """What to print for ``char``: control characters become their control pictures."""
    point = ord(char)
    if point < 0x20:
        return chr(0x2400 + point)
    if point == 0x7F:
        return "\u2421"
    category = unicodedata.category(char)
    if category == "Cc" or char in BIDI_CONTROLS:  # C1 controls; text direction overrides
        return "\ufffd"
    if category in ("Zl", "Zp"):  # line and paragraph separators would break the frame
        return "\u2424"
    return char


def _cells(char: str) -> int:
    if unicodedata.combining(char) or unicodedata.category(char) in ("Mn", "Me", "Cf"):
        return 0
    return 2 if unicodedata.east_asian_width(char) in ("W", "F") else 1


class LaidOutLine:
    """A line as printed, with the terminal cell where each code point starts and ends."""

    def __init__(self, text: str, masked: list[tuple[int, int]]) -> None:
        out: list[str] = []
        starts: list[int] = []
        ends: list[int] = []
        cell = 0
        index = 0
        while index < len(text):
            mask = next((m for m in masked if m[0] <= index < m[1]), None)
            if mask is not None:
                stop = min(mask[1], len(text))
                starts.extend([cell] * (stop - index))
                ends.extend([cell + len(MASK)] * (stop - index))
                out.append(MASK)
                cell += len(MASK)
                index = stop
                continue
            char = text[index]
            if char == "\t":
                shown = " " * (TAB_WIDTH - cell % TAB_WIDTH)
                width = len(shown)
            else:
                shown = _visible(char)
                width = _cells(shown)
            starts.append(cell)
            ends.append(cell + width)
            out.append(shown)
            cell += width
            index += 1
        self.text = "".join(out)
        self.length = len(text)
        self.width = cell
        self._starts = starts
        self._ends = ends
        self.indent = len(text) - len(text.lstrip(" \t"))

    def start(self, index: int) -> int:
        """First cell of code point ``index`` (0-based); past the end, one cell each."""
        if index < self.length:
            return self._starts[index]
        return self.width + index - self.length

    def end(self, index: int) -> int:
        """The cell after code point ``index``."""
        if index < self.length:
            return max(self._ends[index], self._starts[index] + 1)
        return self.start(index) + 1


def _masked(number: int, text: str, redactions: list[Span]) -> list[tuple[int, int]]:
    ranges = []
    for span in redactions:
        if span.line <= number <= span.end_line:
            start = span.column - 1 if number == span.line else 0
            end = span.end_column - 1 if number == span.end_line else len(text)
            if end > start:
                ranges.append((start, end))
    return sorted(ranges)


# -- the code frame ------------------------------------------------------------------------


class CodeFrame:
    def __init__(self, source: SourceFile, redactions: list[Span], style: Style) -> None:
        self.source = source
        self.style = style
        self._lines: dict[int, LaidOutLine] = {}
        # The secrets on each line (a span over several lines is on each of them).
        self._secrets: dict[int, list[Span]] = defaultdict(list)
        for span in set(redactions):
            for number in range(span.line, span.end_line + 1):
                self._secrets[number].append(span)

    def line(self, number: int) -> LaidOutLine:
        if number not in self._lines:
            text = self.source.line_text(number)
            self._lines[number] = LaidOutLine(text, _masked(number, text, self._secrets.get(number, [])))
        return self._lines[number]

    def _blank(self, number: int) -> bool:
        return self.source.line_text(number).strip() == ""

    def render(self, diagnostic: Diagnostic) -> list[str]:
        source = self.source
        span = diagnostic.span
        count = source.line_count
        if not 1 <= span.line <= count:
            return help_rows(diagnostic, " ", self.style)
        first, column = span.line, span.column
        last, end_column = span.end_line, span.end_column
        if (last, end_column) < (first, column):
            last, end_column = first, column
        if last > first and end_column == 1:
            # The span ends with a line break: it ends on the previous line.
            last -= 1
            end_column = source_len(source, last) + 1
        if last > count:
            last, end_column = count, source_len(source, count) + 1
        low = max(1, first - CONTEXT_LINES)
        while low < first and self._blank(low):
            low += 1
        high = min(count, last + CONTEXT_LINES)
        while high > last and self._blank(high):
            high -= 1
        width = len(str(high))
        style = self.style
        pad = " " * width
        rows = [style.gutter(pad + " |")]

        def source_row(number: int, margin: str) -> None:
            text = self.line(number).text
            content = (style.mark(margin) + text) if text else style.mark(margin.rstrip())
            rows.append(style.gutter(f"{str(number).rjust(width)} |") + (" " + content if content else ""))

        def marker_row(content: str) -> None:
            rows.append(style.gutter(pad + " |") + " " + content)

        label = " " + diagnostic.code
        if last == first:
            for number in range(low, high + 1):
                source_row(number, "")
                if number == first:
                    line = self.line(number)
                    start = line.start(column - 1)
                    end = line.end(end_column - 2) if end_column > column else start + 1
                    marker_row(" " * start + style.mark("^" * max(1, end - start) + label))
        else:
            shown = list(range(first, last + 1))
            if len(shown) > FOLD_AFTER:
                shown = shown[:FOLD_HEAD] + [0] + shown[-FOLD_TAIL:]  # 0: the fold
            for number in range(low, first):
                source_row(number, "  ")
            start_line = self.line(first)
            start = start_line.start(column - 1)
            if column - 1 <= start_line.indent:
                source_row(first, "/ ")
            else:
                source_row(first, "  ")
                marker_row(style.mark(" " + "_" * (start + 1) + "^"))
            for number in shown[1:]:
                if number == 0:
                    rows.append(style.gutter("..."))
                    continue
                source_row(number, "| ")
            end_line = self.line(last)
            end = end_line.start(max(end_column - 2, 0))
            marker_row(style.mark("|" + "_" * (end + 1) + "^" + label))
            for number in range(last + 1, high + 1):
                source_row(number, "  ")
        rows.append(style.gutter(pad + " |"))
        rows.extend(help_rows(diagnostic, pad, style))
        return rows


def source_len(source: SourceFile, number: int) -> int:
    return len(source.line_text(number))


def help_rows(diagnostic: Diagnostic, pad: str, style: Style) -> list[str]:
    fix = diagnostic.fix
    if fix is None:
        return []
    note = "" if fix.applicability == "safe" else " (unsafe fix)"
    return [f"{pad} = {style('help', 'bold')}: {printable(fix.description)}{note}"]


# -- lines and summary ---------------------------------------------------------------------


def diagnostic_line(diagnostic: Diagnostic, style: Style) -> str:
    span = diagnostic.span
    where = style(f"{printable(diagnostic.path)}:{span.line}:{span.column}:", "bold")
    return f"{where} {style(diagnostic.code, 'bold', 'red')} {printable(diagnostic.message)}"


def summary_lines(run: RunReport, options: ReportOptions, style: Style) -> list[str]:
    """``Found 5 diagnostics in 3 files (2 fixable with --fix).`` or ``All checks passed!``."""
    diagnostics = run.diagnostics
    lines: list[str] = []
    if run.fixed and options.show_fixes and options.fixed:
        lines.extend(fixed_lines(run, options))
    elif run.fixed:
        lines.append(f"Fixed {plural(run.fixed, 'diagnostic')}.")
    if not diagnostics:
        lines.append(style("All checks passed!", "bold", "green"))
    else:
        files = len({d.path for d in diagnostics})
        found = f"Found {plural(len(diagnostics), 'diagnostic')} in {plural(files, 'file')}"
        applicable = sum(1 for d in diagnostics if fixable(d, options.unsafe_fixes))
        hidden = sum(1 for d in diagnostics if d.fix is not None and d.fix.edits and not fixable(d, options.unsafe_fixes))
        notes = []
        if applicable:
            notes.append(f"{applicable} fixable with --fix")
        if hidden:
            notes.append(f"{plural(hidden, 'hidden fix', 'hidden fixes')} can be enabled with --unsafe-fixes")
        lines.append(found + (f" ({'; '.join(notes)})" if notes else "") + ".")
    if run.baselined:
        lines.append(f"{plural(run.baselined, 'diagnostic')} hidden by the baseline.")
    if run.stale_baseline:
        entries = plural(run.stale_baseline, "baseline entry", "baseline entries")
        verb = "matches" if run.stale_baseline == 1 else "match"
        lines.append(f"{entries} no longer {verb}; the baseline can be shrunk.")
    return lines


def fixed_lines(run: RunReport, options: ReportOptions) -> list[str]:
    """``--fix --show-fixes``: what was fixed, per file and rule, as ruff lists it."""
    from contractlint.rules import all_rules

    names = {rule.code: rule.name for rule in all_rules()}
    lines = [f"Fixed {plural(run.fixed, 'diagnostic')}:"]
    for path in sorted(options.fixed):
        lines.append(f"- {path}:")
        for code, count in sorted(options.fixed[path].items()):
            name = f" ({names[code]})" if code in names else ""
            lines.append(f"    {count} × {code}{name}")
    return lines


def redactions_by_path(diagnostics: list[Diagnostic], results: list | None = None) -> dict[str, list[Span]]:
    """Every secret span of each file: a frame shows context lines, which may hold a
    secret reported by another diagnostic, or found in the file by no rule at all
    (``FileResult.redactions``). Diagnostics of a file share one tuple of spans: each
    distinct tuple is read once."""
    found: dict[str, list[Span]] = defaultdict(list)
    seen: set[tuple[str, int]] = set()
    for result in results or ():
        found[result.path].extend(result.redactions)
    for diagnostic in diagnostics:
        key = (diagnostic.path, id(diagnostic.redactions))
        if diagnostic.redactions and key not in seen:
            seen.add(key)
            found[diagnostic.path].extend(diagnostic.redactions)
    return found


def render(run: RunReport, options: ReportOptions) -> str:
    style = Style(options.color)
    diagnostics = run.diagnostics
    out: list[str] = []
    if options.show_source:
        sources = run.sources()
        secrets = redactions_by_path(diagnostics, run.results)
        frames: dict[str, CodeFrame] = {}
        for diagnostic in diagnostics:
            out.append(diagnostic_line(diagnostic, style))
            source = sources.get(diagnostic.path)
            if isinstance(source, SourceFile):
                if diagnostic.path not in frames:
                    frames[diagnostic.path] = CodeFrame(source, secrets[diagnostic.path], style)
                out.extend(frames[diagnostic.path].render(diagnostic))
            else:
                out.extend(help_rows(diagnostic, " ", style))
            out.append("")
    else:
        for diagnostic in diagnostics:
            out.append(diagnostic_line(diagnostic, style))
            if options.show_fixes:
                out.extend(help_rows(diagnostic, " ", style))
    if not options.quiet:
        out.extend(summary_lines(run, options, style))
    return "".join(line + "\n" for line in out)
