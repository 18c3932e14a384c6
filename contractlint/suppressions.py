"""Suppressions applied after the rules ran: ``per-file-ignores`` from the config and
``# noqa: CODE`` comments in the file.

How a ``noqa`` comment is read (ruff's lexer, so a comment written for ruff reads the
same here):

* only a real comment counts. In Python (modules and inline scripts) the tokenizer
  decides, so ``"# noqa: CL102"`` inside a string is text. In YAML a ``#`` starts a
  comment at the start of a line or after a space or tab, outside every scalar (a
  quoted string, a plain multi-line scalar, a block scalar's content); the header line
  of a block scalar (``script: |  # noqa: CL101``) may carry one. Inside a literal
  (``|``) inline Python script a ``#`` is a *Python* comment of that script line.
  Findings in a folded (``>``) or quoted script are reported at its ``script`` key
  (positions inside cannot be mapped exactly), so their ``noqa`` goes on that line.
* the comment holds ``#``, optional spaces, ``noqa`` in any case, optional spaces,
  ``:``, then codes separated by commas and/or spaces: ``# noqa: CL101``,
  ``#NOQA:CL101,CL102``, ``# noqa: CL101 CL102``. A code is upper-case letters then
  digits; the first word that is not a code ends the list, so a reason may follow
  (``# noqa: CL102 -- legacy, see #12``). Another comment may come first
  (``# keep # noqa: CL102``). ``# noqa:`` without a code, or a code glued to other
  text (``CL102abc``), is not a directive.
* codes are full codes, matched exactly: ``# noqa: CL1`` suppresses nothing (CL900
  reports it as an unknown code). Codes that do not start with ``CL`` belong to other
  tools (``# noqa: E501, CL201`` serves ruff and contractlint alike) and are left alone.
* a bare ``# noqa`` (no codes) suppresses nothing: it would hide every present and
  future finding on the line. CL900 does not report it either, since it may be
  there for another tool.

Where a directive applies:

* on its own line: a diagnostic is suppressed by a directive on the line where the
  diagnostic *starts* (``span.line``). In Python, as in ruff, a diagnostic that
  starts inside a string spanning several lines, or on a line continued with a
  backslash, belongs to the last line of that string or logical line — the only
  place a comment can go.
* on the line of a task's ``id:`` key: for every diagnostic that starts inside the
  task's mapping — its other keys, its ``env``, its inline script, its nested tasks.
  Triggers are covered the same way.

``per-file-ignores`` are applied first; the rest is then matched against the
directives, the directive nearest to the diagnostic first (its line, then the
innermost task around it). CL900 (unused-noqa) reports every code of a directive
that suppressed nothing, at the code, with a safe fix that removes it, or the
whole comment when nothing else would be left. A directive that names CL900 itself
is never reported (as with ruff's RUF100).
"""

from __future__ import annotations

import io
import os
import re
import tokenize
from bisect import bisect_right
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from contractlint.config import Settings
from contractlint.diagnostics import Diagnostic, Fix
from contractlint.source import PYTHON_LINE_BREAK, SourceFile, line_starts

if TYPE_CHECKING:
    from collections.abc import Callable

    from contractlint.flow.model import Flow, Task
    from contractlint.python.code import PythonCode

UNUSED_NOQA = "CL900"
_NOQA_WORD = re.compile(r"noqa", re.IGNORECASE)


@dataclass
class ParsedFile:
    """What the engine parsed for one file, handed to the suppression step: the flows
    (every YAML document that is one, in document order) and every piece of Python of
    the file (the module, or the flows' inline scripts)."""

    flows: list[Flow] = field(default_factory=list)
    codes: list[PythonCode] = field(default_factory=list)
    parse_errors: int = 0  # YAML or Python that did not parse (CL001/CL003), broken flows
    # Namespace files the flows include (other files: their own comments apply), and
    # each finding in one → the offset of the task that includes it, whose task-level
    # directive (`id: x  # noqa: CL203`) covers it as it covers an inline script.
    includes: list[PythonCode] = field(default_factory=list)
    included_by: dict[Diagnostic, int] = field(default_factory=dict)
    documents: list[Any] | None = None  # every YAML document's root node (None: not YAML, or it did not parse)


def apply_suppressions(
    diagnostics: list[Diagnostic],
    path: str,
    source: SourceFile | None,
    settings: Settings,
    parsed: ParsedFile | None = None,
    report_unused: bool = True,
) -> list[Diagnostic]:
    """``report_unused`` False: the diagnostics are not all the file's (a namespace
    file's findings from a flow that includes it), so an unused code proves nothing."""
    ignored = per_file_ignored_selectors(path, settings)
    if ignored:
        diagnostics = [d for d in diagnostics if not _matches(d.code, ignored)]
    report_unused = report_unused and UNUSED_NOQA in settings.enabled and not _matches(UNUSED_NOQA, ignored)
    if source is None or (not diagnostics and not report_unused) or not _NOQA_WORD.search(source.text):
        return diagnostics
    parsed = parsed if parsed is not None else ParsedFile()
    directives = find_directives(source, parsed)
    if directives.empty:
        return diagnostics
    kept = [d for d in diagnostics if not directives.suppress(d)]
    if report_unused:
        module = any(not code.is_inline for code in parsed.codes)
        unused = unused_noqa(directives, settings, ignored, parsed.flows, module)
        kept.extend(d for d in unused if not directives.suppress(d))
    return kept


def _matches(code: str, selectors: tuple[str, ...]) -> bool:
    return any(code.startswith(selector) for selector in selectors)


def per_file_ignored_selectors(path: str, settings: Settings) -> tuple[str, ...]:
    """Selectors ignored for ``path`` (a display path) by ``per-file-ignores``; the
    globs match the path relative to the config file's folder."""
    if not settings.per_file_ignores:
        return ()
    from contractlint.discovery import glob_match

    relative = _relative_to_root(Path(path), settings.root)
    selectors: list[str] = []
    for pattern, codes in settings.per_file_ignores:
        if glob_match(pattern, relative):
            selectors.extend("CL" if code == "ALL" else code for code in codes)
    return tuple(selectors)


def _relative_to_root(path: Path, root: Path) -> str:
    absolute = Path(os.path.abspath(path))  # normalised: a display path may start with ../
    for candidate, base in ((absolute, root), (Path(os.path.realpath(absolute)), Path(os.path.realpath(root)))):
        try:
            return candidate.relative_to(base).as_posix()
        except ValueError:
            continue
    return absolute.as_posix()


# -- reading noqa comments ------------------------------------------------------------


@dataclass(frozen=True)
class NoqaCode:
    code: str
    start: int  # character offsets of the code in the file text
    end: int


@dataclass(eq=False)
class Directive:
    """One ``# noqa: …`` comment with codes."""

    line: int  # file line of the comment
    start: int  # file offset of its ``#``
    end: int  # file offset just after its last code
    codes: tuple[NoqaCode, ...]
    task: Task | None = None  # on this task's `id:` line: covers the whole task
    used: set[int] = field(default_factory=set)  # indexes of codes that suppressed something

    def index_of(self, code: str) -> int | None:
        for index, noqa_code in enumerate(self.codes):
            if noqa_code.code == code:
                return index
        return None


@dataclass(frozen=True)
class LexedNoqa:
    start: int  # offsets in the comment text
    end: int
    codes: tuple[tuple[str, int, int], ...]  # (code, start, end); empty: a bare `# noqa`


def lex_noqa(comment: str) -> LexedNoqa | None:
    """The first ``noqa`` directive in a comment (text from a ``#`` to the end of the
    line), following ruff's ``NoqaLexer``; None when there is none or it is malformed."""
    length = len(comment)
    index = 0
    while index < length:
        start = comment.find("#", index)
        if start == -1:
            return None
        position = start + 1
        while position < length and comment[position].isspace():
            position += 1
        if comment[position : position + 4].lower() != "noqa":
            index = position
            continue
        position += 4
        if position == length or comment[position] == "#":
            return LexedNoqa(start, position, ())
        if comment[position].isspace():
            while position < length and comment[position].isspace():
                position += 1
            if position == length or comment[position] != ":":
                return LexedNoqa(start, position, ())  # `# noqa some reason`: bare
        elif comment[position] != ":":
            return None  # `#noqaCL101`, `# noqa; CL101`
        codes = _lex_codes(comment, position + 1)
        if not codes:
            return None  # `# noqa:` followed by no code
        return LexedNoqa(start, codes[-1][2], tuple(codes))
    return None


def _lex_codes(comment: str, position: int) -> list[tuple[str, int, int]] | None:
    length = len(comment)
    codes: list[tuple[str, int, int]] = []
    missing_delimiter = False
    while position < length:
        while position < length and comment[position].isspace():
            position += 1
        if position == length:
            break
        if comment[position] == ",":  # `CL101, ,CL102`: an empty item, tolerated
            position += 1
            continue
        start = position
        if not _is_upper(comment[position]):
            break  # the first word that is not a code: a trailing reason
        while position < length and _is_upper(comment[position]):
            position += 1
        if position == length or not comment[position].isdigit() or not comment[position].isascii():
            if missing_delimiter:
                return None  # `CL101Fabc`
            break  # a reason after the codes: `noqa: CL101 Legacy flow`
        while position < length and comment[position].isascii() and comment[position].isdigit():
            position += 1
        codes.append((comment[start:position], start, position))
        if position == length:
            break
        following = comment[position]
        if following == ",":
            position += 1
            missing_delimiter = False
        elif following.isspace() or following == "#":
            missing_delimiter = False
        elif _is_upper(following):
            missing_delimiter = True  # `CL101CL102`: ruff warns and reads both
        else:
            return None  # `CL101abc`, `CL101:`
    return codes


def _is_upper(char: str) -> bool:
    return "A" <= char <= "Z"


def _directive(comment: str, offset: int, line: int) -> Directive | None:
    """A directive with codes in ``comment`` (which starts at file ``offset``)."""
    lexed = lex_noqa(comment)
    if lexed is None or not lexed.codes:
        return None
    return Directive(
        line=line,
        start=offset + lexed.start,
        end=offset + lexed.end,
        codes=tuple(NoqaCode(code, offset + start, offset + end) for code, start, end in lexed.codes),
    )


@dataclass(frozen=True)
class PythonComments:
    comments: list[tuple[int, int, str]]  # (line, 0-based column, text) in code coordinates
    line_map: dict[int, int]  # code line → the line whose comment applies to it


def python_comments(text: str) -> PythonComments:
    """Comments of a piece of Python, found by the tokenizer (up to the first point it
    cannot tokenize), and where ruff expects the ``noqa`` for lines inside a string
    spanning lines or a backslash continuation: on the last line."""
    comments: list[tuple[int, int, str]] = []
    line_map: dict[int, int] = {}
    ends_inside: set[int] = set()  # lines whose line break is inside a string or comment
    fstring_starts: list[int] = []
    fstring_start = getattr(tokenize, "FSTRING_START", None)
    fstring_end = getattr(tokenize, "FSTRING_END", None)
    # The code's lines as CPython counts them (a lone "\r" ends one), each handed to
    # the tokenizer with a "\n": columns stay the same, line numbers match the parser's.
    starts = line_starts(text)
    lines = [text[start : _content_end(text, start, end)] for start, end in zip(starts, [*starts[1:], len(text)])]
    try:
        for token in tokenize.generate_tokens(iter([line + "\n" for line in lines]).__next__):
            kind = token.type
            if kind == tokenize.COMMENT:
                comments.append((token.start[0], token.start[1], token.string))
                ends_inside.add(token.start[0])
            elif kind == tokenize.STRING and token.end[0] > token.start[0]:
                _span_lines(line_map, ends_inside, token.start[0], token.end[0])
            elif fstring_start is not None and kind == fstring_start:
                fstring_starts.append(token.start[0])
            elif fstring_end is not None and kind == fstring_end and fstring_starts:
                first = fstring_starts.pop()
                if token.end[0] > first:
                    _span_lines(line_map, ends_inside, first, token.end[0])
    except (tokenize.TokenError, SyntaxError):
        pass  # the code does not parse (CL003 says where); what was read still counts
    _map_continuations(line_map, ends_inside, len(lines), lambda number: lines[number - 1].endswith("\\"))
    return PythonComments(comments, line_map)


def noqa_comments(code: PythonCode) -> PythonComments:
    """``python_comments`` of parsed code, from its syntax tree instead of the (slow)
    tokenizer: the comments on the lines that mention ``noqa`` (a ``#`` outside every
    string literal starts one), and the same line map. Code that does not parse, or
    breaks lines at a lone ``\\r``, is read by the tokenizer."""
    import ast

    from contractlint.python.code import PythonSyntaxError

    text = code.text
    if text.count("\r") != text.count("\r\n"):
        return python_comments(text)
    try:
        analysis = code.parse()
    except PythonSyntaxError:
        return python_comments(text)
    literals: list[tuple[int, int, Any]] = []  # the outermost string literals, by start
    for start, end, node in sorted(
        ((*code.node_offsets(node), node) for kind in (ast.Constant, ast.JoinedStr) for node in analysis.nodes(kind)
         if kind is ast.JoinedStr or isinstance(node.value, (str, bytes))),
        key=lambda found: (found[0], -found[1]),
    ):
        if not literals or start >= literals[-1][1]:
            literals.append((start, end, node))
    strings = [(start, end) for start, end, _ in literals]
    starts = [start for start, _ in strings]

    def comment_start(line: int) -> int:
        """Offset of the comment on ``line``, or -1."""
        start, end = code.line_starts[line - 1], code.line_end(line)
        index = text.find("#", start, end)
        while index != -1:
            nearest = bisect_right(starts, index) - 1
            if nearest < 0 or index >= strings[nearest][1]:
                return index
            index = text.find("#", strings[nearest][1], end)
        return -1

    comments: list[tuple[int, int, str]] = []
    for line in sorted({bisect_right(code.line_starts, match.start()) for match in _NOQA_WORD.finditer(text)}):
        start = comment_start(line)
        if start != -1:
            comments.append((line, start - code.line_starts[line - 1], text[start : code.line_end(line)]))
    line_map: dict[int, int] = {}
    ends_inside: set[int] = set()
    for _, _, node in literals:
        if node.end_lineno > node.lineno:
            for first, last in _literal_lines(code, node):
                _span_lines(line_map, ends_inside, first, last)
    _map_continuations(line_map, ends_inside, len(code.line_starts),
                       lambda number: _continues(code, number, comment_start))
    return PythonComments(comments, line_map)


def _map_continuations(line_map: dict[int, int], ends_inside: set[int], count: int,
                       continues: Callable[[int], bool]) -> None:
    """Backslash continuations: every line of a logical line maps to its last one (a
    line whose break is inside a string or comment does not continue); then a string
    that starts on a continued line follows the chain to the final line."""
    number = 1
    while number <= count:
        first = number
        while number <= count and number not in ends_inside and continues(number):
            number += 1
        if number > first and number <= count:
            target = line_map.get(number, number)
            for continued in range(first, number):
                line_map[continued] = target
        number += 1
    for line, target in list(line_map.items()):
        seen = {line}
        while target in line_map and target not in seen:
            seen.add(target)
            target = line_map[target]
        line_map[line] = target


def _continues(code: PythonCode, line: int, comment_start: Any) -> bool:
    """``line`` ends with a backslash continuation (not inside a comment)."""
    end = code.line_end(line)
    return end > code.line_starts[line - 1] and code.text[end - 1] == "\\" and comment_start(line) == -1


def _literal_lines(code: PythonCode, node: Any) -> list[tuple[int, int]]:
    """(first, last) lines of each literal of a string spanning lines: ``ast`` merges an
    implicit concatenation written over several lines into one node."""
    start, end = code.node_offsets(node)
    if not _is_one_literal(code.text[start:end]):
        return [
            (node.lineno + token.start[0] - 1, node.lineno + token.end[0] - 1)
            for token in _literal_tokens(code.text[start:end])
            if token.end[0] > token.start[0]
        ]
    return [(node.lineno, node.end_lineno)]


def _is_one_literal(written: str) -> bool:
    body = written.lstrip("rRbBuUfF")
    quote = body[:3] if body[:3] in ('"""', "'''") else body[:1]
    return len(body) >= 2 * len(quote) and body.endswith(quote) and quote not in body[len(quote) : -len(quote)]


def _literal_tokens(written: str) -> list[Any]:
    """The string tokens (an f-string as one) of a concatenation, lines counted from 1."""
    import warnings

    found = []
    fstring_start = getattr(tokenize, "FSTRING_START", None)
    fstring_end = getattr(tokenize, "FSTRING_END", None)
    opened: list[Any] = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for token in tokenize.generate_tokens(io.StringIO("(" + written + ")").readline):
            if token.type == tokenize.STRING and not opened:
                found.append(token)
            elif fstring_start is not None and token.type == fstring_start:
                opened.append(token)
            elif fstring_end is not None and token.type == fstring_end and opened:
                first = opened.pop()
                if not opened:
                    found.append(tokenize.TokenInfo(tokenize.STRING, "", first.start, token.end, ""))
    return found


def _content_end(text: str, start: int, end: int) -> int:
    """End of the line ``text[start:end]`` without its line break."""
    match = PYTHON_LINE_BREAK.search(text, start, end)
    return match.start() if match is not None else end


def _span_lines(line_map: dict[int, int], ends_inside: set[int], first: int, last: int) -> None:
    for line in range(first, last):
        line_map[line] = last
        ends_inside.add(line)


def yaml_comments(source: SourceFile, roots: list[Any]) -> list[tuple[int, int]]:
    """``(offset of '#', line)`` of the YAML comments on lines that mention noqa, in
    the documents of ``roots``."""
    from contractlint.flow import yaml_nodes as yn

    text = source.text
    candidate_lines = sorted({source.position(match.start())[0] for match in _NOQA_WORD.finditer(text)})
    if not candidate_lines:
        return []
    ranges: list[tuple[int, int]] = []
    for node in (node for root in roots for node in yn.walk(root)):
        if not yn.is_scalar(node):
            continue
        start, end = node.start_mark.index, node.end_mark.index
        if node.style in ("|", ">"):
            # The header line (`|-  # comment`) may carry a comment; the content may not.
            if not source.has_line_break(start, end):
                continue
            start = source.next_line_start(start)
        if end > start:
            ranges.append((start, end))
    ranges.sort()
    starts = [start for start, _ in ranges]
    found: list[tuple[int, int]] = []
    for line in candidate_lines:
        line_start = source.line_starts[line - 1]
        line_text = source.line_text(line)
        column = line_text.find("#")
        while column != -1:
            offset = line_start + column
            if column == 0 or line_text[column - 1] in " \t":
                inside = bisect_right(starts, offset) - 1
                if inside < 0 or not ranges[inside][0] <= offset < ranges[inside][1]:
                    found.append((offset, line))
                    break
                # inside a scalar: look again after it
                column = line_text.find("#", max(column + 1, ranges[inside][1] - line_start))
                continue
            column = line_text.find("#", column + 1)
    return found


@dataclass
class Directives:
    source: SourceFile
    by_line: dict[int, Directive] = field(default_factory=dict)
    # (start, end, directive) for directives on a task's `id:` line, by task start
    task_scopes: list[tuple[int, int, Directive]] = field(default_factory=list)
    # file line → the line whose noqa applies (Python strings and continuations)
    line_map: dict[int, int] = field(default_factory=dict)
    tasks: list[Task] = field(default_factory=list)  # every task and trigger, for CL900's `task`
    included_by: dict[Diagnostic, int] = field(default_factory=dict)  # see ParsedFile

    @property
    def empty(self) -> bool:
        return not self.by_line

    def all(self) -> list[Directive]:
        return sorted(self.by_line.values(), key=lambda d: d.start)

    def offset_of(self, diagnostic: Diagnostic) -> int:
        span = diagnostic.span
        line = min(max(span.line, 1), self.source.line_count)
        return self.source.offset(line, max(span.column, 1))

    def candidates(self, diagnostic: Diagnostic) -> list[Directive]:
        """Directives that may cover ``diagnostic``, nearest first. A finding in a
        namespace file a task includes is covered only by that task's directives."""
        found: list[Directive] = []
        including_task = self.included_by.get(diagnostic)
        line = self.line_map.get(diagnostic.span.line, diagnostic.span.line)
        on_line = self.by_line.get(line) if including_task is None else None
        if on_line is not None:
            found.append(on_line)
        if self.task_scopes:
            offset = self.offset_of(diagnostic) if including_task is None else including_task
            around = [scope for scope in self.task_scopes if scope[0] <= offset < scope[1]]
            for _, _, directive in sorted(around, key=lambda scope: -scope[0]):
                if all(directive is not seen for seen in found):
                    found.append(directive)
        return found

    def suppress(self, diagnostic: Diagnostic) -> bool:
        """Whether a directive suppresses ``diagnostic`` (the first that names its code
        is marked used)."""
        for directive in self.candidates(diagnostic):
            index = directive.index_of(diagnostic.code)
            if index is not None:
                directive.used.add(index)
                return True
        return False


def find_directives(source: SourceFile, parsed: ParsedFile) -> Directives:
    directives = Directives(source, included_by=parsed.included_by)
    # Python comments: a module, or the literal block scalars of inline scripts.
    for code in parsed.codes:
        if not code.code_map.exact or not _NOQA_WORD.search(code.text):
            continue
        found = noqa_comments(code)
        first_line, indent = code.code_map.first_line, code.code_map.indent
        for line, column, text in found.comments:
            file_line = first_line + line - 1
            offset = source.offset(file_line, indent + column + 1)
            directive = _directive(text, offset, file_line)
            if directive is not None:
                directives.by_line.setdefault(file_line, directive)
        for line, target in found.line_map.items():
            directives.line_map[first_line + line - 1] = first_line + target - 1
    if not parsed.flows:
        return directives
    # YAML comments, and the task-level directives among them.
    for offset, line in yaml_comments(source, [flow.root for flow in parsed.flows]):
        if _flow_at(parsed.flows, offset) is None:
            continue  # a comment in a document that is not a flow
        comment = source.text[offset : source.line_end(line)]
        directive = _directive(comment, offset, line)
        if directive is not None:
            directives.by_line.setdefault(line, directive)
    from contractlint.flow import yaml_nodes as yn

    elements = (element for flow in parsed.flows for element in (*flow.tasks, *flow.triggers))
    directives.tasks = sorted(elements, key=lambda t: t.node.start_mark.index)
    for task in directives.tasks:
        pair = task.get("id")
        if pair is None:
            continue
        directive = directives.by_line.get(source.line_of(pair[0].start_mark.index))
        if directive is None:
            continue
        if directive.task is None:
            directive.task = task
        start = task.node.start_mark.index
        directives.task_scopes.append((start, max(yn.end_offset(source, task.node), start + 1), directive))
    return directives


# -- CL900 unused-noqa -------------------------------------------------------------------


def unused_noqa(
    directives: Directives, settings: Settings, ignored: tuple[str, ...], flows: list[Flow], module: bool
) -> list[Diagnostic]:
    """``module``: the file is a Python module, where the rules that check only the
    Python of a task (CL203, through a flow that includes the file as a namespace
    file) cannot fire: their codes are left alone, the flow's lint honours them."""
    from contractlint.rules import all_rules

    names = {rule.code: rule.name for rule in all_rules()}
    task_only = {rule.code for rule in all_rules() if "include" in rule.python_scope and "module" not in rule.python_scope}
    found: list[Diagnostic] = []
    for directive in directives.all():
        if directive.index_of(UNUSED_NOQA) is not None:
            continue  # `# noqa: CL900` exempts its own comment, as RUF100 does
        seen: set[str] = set()
        reports: list[tuple[int, str]] = []
        for index, noqa_code in enumerate(directive.codes):
            code = noqa_code.code
            duplicate = code in seen
            seen.add(code)
            if not code.startswith("CL") or (module and code in task_only and not duplicate):
                continue  # another tool's code, or a code for the flows that include this module
            if duplicate:
                reports.append((index, f"Duplicate noqa code {code}: it is already listed in this comment"))
            elif index not in directive.used:
                reports.append((index, _unused_message(code, directive, names, settings, ignored)))
        if not reports:
            continue
        whole = len(reports) == len(directive.codes)
        task = _innermost_task(directives, directive.start)
        flow = _flow_at(flows, directive.start)
        for index, message in reports:
            found.append(
                _unused_diagnostic(directives.source, directive, index, message, whole, flow, task)
            )
    return found


def _flow_at(flows: list[Flow], offset: int) -> Flow | None:
    """The flow whose YAML document holds ``offset``."""
    return next((flow for flow in flows if flow.holds(offset)), None)


def _unused_message(
    code: str, directive: Directive, names: dict[str, str], settings: Settings, ignored: tuple[str, ...]
) -> str:
    if code not in names:
        prefixed = [known for known in sorted(names) if known.startswith(code)]
        if prefixed:
            listed = ", ".join(prefixed[:3]) + (", …" if len(prefixed) > 3 else "")
            return f"Unknown rule code {code} in noqa comment: noqa takes full codes, not prefixes ({listed})"
        return f"Unknown rule code {code} in noqa comment (`contractlint rules` lists them)"
    rule = f"{code} ({names[code]})"
    if _matches(code, ignored):
        return f"Unused noqa code {code}: {rule} is already ignored for this file by per-file-ignores"
    if code not in settings.enabled:
        return f"Unused noqa code {code}: rule {rule} is not enabled"
    if directive.task is not None:
        task = f"task '{directive.task.id}'" if directive.task.id is not None else "this task"
        return f"Unused noqa code {code}: no {rule} diagnostic in {task}"
    return f"Unused noqa code {code}: no {rule} diagnostic on this line"


def _innermost_task(directives: Directives, offset: int) -> Task | None:
    from contractlint.flow import yaml_nodes as yn

    found = None
    for task in directives.tasks:
        start = task.node.start_mark.index
        if start <= offset < yn.end_offset(directives.source, task.node):
            found = task  # sorted by start: the last one containing the offset is innermost
    return found


def _unused_diagnostic(
    source: SourceFile,
    directive: Directive,
    index: int,
    message: str,
    whole: bool,
    flow: Flow | None,
    task: Task | None,
) -> Diagnostic:
    from contractlint.rules.noqa import UnusedNoqa

    noqa_code = directive.codes[index]
    if whole:
        start, end = _comment_deletion(source, directive)
        description = "Remove the unused noqa comment"
    else:
        codes = directive.codes
        if index + 1 < len(codes):
            start, end = noqa_code.start, codes[index + 1].start
        else:
            start, end = codes[index - 1].end, noqa_code.end
        description = f"Remove {noqa_code.code} from the noqa comment"
    # A directive's codes are on its line: a deletion that reaches into another line
    # (or does not hold the code) would mean the lines were counted wrongly.
    content_end = source.content_end_of(start)
    sound = source.text[noqa_code.start : noqa_code.end] == noqa_code.code and (
        end <= content_end or source.next_line_start(start) == end
    )
    return Diagnostic(
        code=UnusedNoqa.code,
        name=UnusedNoqa.name,
        message=message,
        path=source.path,
        span=source.span(noqa_code.start, noqa_code.end),
        flow=flow.ref if flow is not None else None,
        task=task.id if task is not None else None,
        fix=Fix("safe", description, (source.edit(start, end, ""),)) if sound else None,
        fingerprint_text=source.text[directive.start : directive.end],
    )


def _comment_deletion(source: SourceFile, directive: Directive) -> tuple[int, int]:
    """The characters to delete to remove a noqa comment and nothing else (ruff's
    ``delete_comment``): the whole line when the comment is all it holds; else the
    comment, its reason and the spaces before it; or, when another comment follows
    (``# noqa: CL102  # type: ignore``), the directive and the spaces after it."""
    text = source.text
    line_start = source.line_starts[directive.line - 1]
    line_end = source.line_end(directive.line)
    before = text[line_start : directive.start]
    leading = len(before) - len(before.rstrip(" \t"))
    after = text[directive.end : line_end]
    trailing = len(after) - len(after.lstrip(" \t"))
    if leading == len(before) and trailing == len(after):
        full_end = source.line_starts[directive.line] if directive.line < source.line_count else len(text)
        return line_start, full_end
    if directive.end + trailing == line_end:
        return directive.start - leading, line_end
    if after[trailing:].startswith("#"):
        return directive.start, directive.end + trailing
    return directive.start - leading, line_end
