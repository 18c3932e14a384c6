"""Python code as rules see it: a module file or an inline script inside a flow.

A ``PythonCode`` holds the (Pebble-masked) text that is parsed, its parse and the
analysis shared by every rule, and the map from positions in that text back to the
file the user edits. For a literal block scalar (``script: |``) the map is exact:
code line N is file line ``first_line + N - 1`` shifted right by the block's
indentation. Other scalar styles cannot be mapped exactly; their findings point
at the ``script`` key and name the script line in the message.

Parsing is CPython's: ``ast.parse`` once per code (its ``SyntaxWarning``s silenced:
they are the user's business, not lint output), then one ``Analysis`` traversal
(``contractlint.python.analysis``) that every rule reads. An older CPython reads
newer syntax that has an older spelling of the same length (PEP 701 f-strings,
``except*``; ``lexical.for_older_parser``). libcst is imported only by
``concrete_module``, for a fix that needs a concrete syntax tree, and to tell code
written for a newer Python from broken code: linting a valid file never imports it.

Positions: ``ast`` counts lines as CPython breaks them (``\\r\\n``, ``\\r``, ``\\n``,
which ``contractlint.source.line_starts`` reproduces) and columns in UTF-8 bytes;
everything here converts them to character offsets and 1-based character columns
(a tab is one column, as in every position contractlint reports).
"""

from __future__ import annotations

import ast
import re
import sys
from bisect import bisect_right
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from contractlint.diagnostics import Edit, Span
from contractlint.python.lexical import (
    after_keyword,
    close_parens,
    for_older_parser,
    opening_parens,
    semicolon_after,
    skip_spaces,
)
from contractlint.python.pebble import PebbleSpan, find_pebble, mask
from contractlint.source import BOM, PYTHON_LINE_BREAK, SourceFile, bracket_depth, line_starts

if TYPE_CHECKING:
    import libcst as cst

    from contractlint.flow.model import Flow, Task
    from contractlint.python.analysis import Analysis

# CPython's tokenizer stops at 200 levels of brackets; say how deep it was.
MAX_BRACKET_DEPTH = 200
# Long operator chains (`1 + 1 + …` 30,000 times) parse into trees thousands of levels
# deep: big or long-lined sources are measured, and absurdly deep expressions refused.
LARGE_SOURCE = 200_000
LONG_LINE = 2_000
MAX_EXPRESSION_DEPTH = 300
TOO_DEEP = f"expression nested more than {MAX_EXPRESSION_DEPTH} levels deep: too complex to analyse"


@dataclass(frozen=True)
class Located:
    """A stretch of code placed the way ``ast`` places a node (1-based lines, UTF-8
    byte columns), for what has no node of its own: a dotted module name, the first
    operands of an ``or`` chain."""

    lineno: int
    col_offset: int
    end_lineno: int
    end_col_offset: int


class PythonSyntaxError(Exception):
    def __init__(self, message: str, line: int, column: int) -> None:
        super().__init__(message)
        self.message = message
        self.line = line  # 1-based, in code coordinates
        self.column = column  # 1-based, in characters


@dataclass(frozen=True)
class CodeMap:
    """Where code coordinates sit in the file. ``exact`` False: only ``anchor`` is known."""

    first_line: int  # file line of code line 1
    indent: int  # columns of block indentation removed from every code line
    exact: bool
    anchor: Span  # the key (`script:`) or, for modules, the file start

    def position(self, line: int, column: int) -> tuple[int, int]:
        return self.first_line + line - 1, self.indent + column


@dataclass(eq=False)
class PythonCode:
    file: SourceFile
    raw: str  # the code as written (Pebble not yet masked)
    text: str  # what is parsed: Pebble masked, same length and line structure as ``raw``
    code_map: CodeMap
    pebble: list[PebbleSpan]
    label: str  # "script", "inputFiles.main.py", or the module path
    flow: Flow | None = None
    task: Task | None = None
    key_node: Any = None  # YAML key node of an inline script
    value_node: Any = None  # YAML value node of an inline script
    _tree: ast.Module | None = field(default=None, repr=False)
    _analysis: Analysis | None = field(default=None, repr=False)
    _failure: PythonSyntaxError | None = field(default=None, repr=False)
    _concrete: Any = field(default=None, repr=False)
    _line_starts: list[int] | None = field(default=None, repr=False)
    _ascii: bool | None = field(default=None, repr=False)
    _encoded_lines: dict[int, bytes] = field(default_factory=dict, repr=False)

    @property
    def is_inline(self) -> bool:
        return self.task is not None

    @property
    def is_module(self) -> bool:
        return self.task is None

    # -- parsing and analysis (once, shared by every rule) --------------------------

    def parse(self) -> Analysis:
        """Parse and analyse the code (once); raises ``PythonSyntaxError`` when CPython
        would reject it."""
        if self._analysis is None:
            if self._failure is not None:
                raise self._failure
            from contractlint.python.analysis import Analysis, ScopeError

            try:
                tree, parsed = _parse(self.text)
                try:
                    analysis = Analysis(tree)
                except ScopeError as error:
                    failure = self._scope_error(error.node, parsed)
                    if failure is not None:
                        raise failure from error
                    analysis = Analysis(tree, strict=False)  # CPython accepts it: so do we
                self._check_handlers(analysis)
            except PythonSyntaxError as failure:
                self._failure = failure
                raise
            self._tree, self._analysis = tree, analysis
        return self._analysis

    @property
    def tree(self) -> ast.Module:
        """CPython's syntax tree; raises ``PythonSyntaxError`` if the code does not parse."""
        self.parse()
        assert self._tree is not None
        return self._tree

    @property
    def analysis(self) -> Analysis:
        """Scopes, bindings, parents and nodes by kind (``contractlint.python.analysis``)."""
        return self.parse()

    def concrete_module(self) -> cst.Module:
        """The libcst module of ``text``, for fixes that must rewrite concrete syntax
        (comments, formatting). Imports libcst: call it only to build such a fix."""
        if self._concrete is None:
            import libcst as cst

            self.parse()  # CPython has accepted the code: libcst reads what it reads
            self._concrete = cst.parse_module(self.text)
        return self._concrete

    def _check_handlers(self, analysis: Analysis) -> None:
        """A bare ``except:`` before another handler: CPython's compiler rejects what its
        parser accepts (compiling everything to find it would cost more than parsing)."""
        kinds = [ast.Try, *((ast.TryStar,) if hasattr(ast, "TryStar") else ())]
        for kind in kinds:
            for node in analysis.nodes(kind):
                for handler in node.handlers[:-1]:
                    if handler.type is None:
                        line, column = self.node_position(handler)
                        raise PythonSyntaxError("default 'except:' must be last", line, column)

    def _scope_error(self, node: ast.AST, parsed: str) -> PythonSyntaxError | None:
        """CPython's own words for a ``nonlocal`` its compiler rejects: its symbol table
        is the authority (it only reads the code). None when it accepts the code."""
        import symtable
        import warnings

        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                symtable.symtable(parsed, "<code>", "exec")
        except SyntaxError as error:
            line, column = self.node_position(node)
            if error.lineno is not None and error.offset is not None and error.lineno <= len(self.line_starts):
                # The symbol table places errors in UTF-8 bytes, as ast does.
                line, column = error.lineno, self.char_column(error.lineno, error.offset - 1) + 1
            return PythonSyntaxError(error.msg, line, column)
        return None

    # -- positions -------------------------------------------------------------------

    @property
    def line_starts(self) -> list[int]:
        """Offsets in ``text`` where its lines start, with CPython's line breaks."""
        if self._line_starts is None:
            self._line_starts = line_starts(self.text)
        return self._line_starts

    def line_end(self, line: int) -> int:
        """Offset of the end of code line ``line``, before its line break."""
        starts = self.line_starts
        if line >= len(starts):
            return len(self.text)
        end = starts[line] - 1
        if end > starts[line - 1] and self.text[end] == "\n" and self.text[end - 1] == "\r":
            end -= 1
        return end

    def line_break(self, offset: int) -> str:
        """The line break ending the line that holds ``offset`` ("\\n" on the last line)."""
        line = bisect_right(self.line_starts, offset)
        if line >= len(self.line_starts):
            return "\n"
        return self.text[self.line_end(line) : self.line_starts[line]]

    def code_position(self, offset: int) -> tuple[int, int]:
        """1-based line and column in code coordinates of a character offset in ``text``."""
        index = bisect_right(self.line_starts, offset) - 1
        return index + 1, offset - self.line_starts[index] + 1

    def code_offset(self, line: int, column: int) -> int:
        return self.line_starts[line - 1] + column - 1

    def char_column(self, line: int, byte_column: int) -> int:
        """0-based character column of a UTF-8 byte column (``ast``'s) on ``line``."""
        if byte_column <= 0:
            return 0
        if self._ascii is None:
            self._ascii = self.text.isascii()
        if self._ascii:
            return byte_column
        encoded = self._encoded_lines.get(line)
        if encoded is None:
            start = self.line_starts[line - 1]
            text = self.text[start : self.line_end(line)]
            encoded = b"" if text.isascii() else text.encode("utf-8")
            self._encoded_lines[line] = encoded
        if not encoded:
            return byte_column
        return len(encoded[:byte_column].decode("utf-8", "replace"))

    def offset_at(self, line: int, byte_column: int) -> int:
        """Character offset in ``text`` of an ``ast`` position."""
        return self.line_starts[line - 1] + self.char_column(line, byte_column)

    def node_offsets(self, node: Any) -> tuple[int, int]:
        """Start and end character offsets of ``node`` in ``text`` (its own parentheses
        excluded, as ``ast`` places it)."""
        return (
            self.offset_at(node.lineno, node.col_offset),
            self.offset_at(node.end_lineno, node.end_col_offset),
        )

    def node_position(self, node: Any) -> tuple[int, int]:
        """1-based line and character column where ``node`` starts, in code coordinates."""
        return node.lineno, self.char_column(node.lineno, node.col_offset) + 1

    def code_span(self, node: Any) -> Span:
        """``node``'s span in code coordinates (1-based, end exclusive)."""
        return Span(
            node.lineno,
            self.char_column(node.lineno, node.col_offset) + 1,
            node.end_lineno,
            self.char_column(node.end_lineno, node.end_col_offset) + 1,
        )

    def offsets_span(self, start: int, end: int) -> Span:
        """A span in code coordinates for character offsets in ``text``."""
        line, column = self.code_position(start)
        end_line, end_column = self.code_position(end)
        return Span(line, column, end_line, end_column)

    def file_span(self, line: int, column: int, end_line: int, end_column: int) -> Span:
        """A span in code coordinates (1-based, end exclusive) mapped to the file."""
        if not self.code_map.exact:
            return self.code_map.anchor
        start = self.code_map.position(line, column)
        end = self.code_map.position(end_line, end_column)
        return Span(start[0], start[1], end[0], end[1])

    def node_span(self, node: Any) -> Span:
        span = self.code_span(node)
        return self.file_span(span.line, span.column, span.end_line, span.end_column)

    def source_text(self, node: Any) -> str:
        """The code of ``node`` as written (Pebble unmasked), without parentheses around
        the node itself (``ast`` spans a generator expression's: they are dropped too)."""
        start, end = self.node_offsets(node)
        if isinstance(node, ast.GeneratorExp) and self.text[start] == "(":
            return self.raw[start + 1 : end - 1].strip()
        return self.raw[start:end]

    def byte_column(self, line: int, column: int) -> int:
        """The UTF-8 byte column of 0-based character ``column`` on ``line``."""
        start = self.line_starts[line - 1]
        prefix = self.text[start : start + column]
        return column if prefix.isascii() else len(prefix.encode("utf-8"))

    def located(self, start: int, end: int) -> Located:
        """Character offsets ``start:end`` of ``text``, placed like an ``ast`` node."""
        line, column = self.code_position(start)
        end_line, end_column = self.code_position(end)
        return Located(line, self.byte_column(line, column - 1), end_line, self.byte_column(end_line, end_column - 1))

    # -- what ast leaves out: parentheses around a node, as written ------------------

    def outer_offsets(self, node: Any, gap_start: int) -> tuple[int, int]:
        """``node``'s offsets with its own parentheses, which stand between
        ``gap_start`` (just after what precedes the node in its parent: a keyword, a
        comma, the parent's start) and the node."""
        start, end = self.node_offsets(node)
        parens = opening_parens(self.text, gap_start, start)
        if not parens:
            return start, end
        return parens[0], close_parens(self.text, end, len(parens))

    def operand_offsets(self, operation: ast.BoolOp, index: int) -> tuple[int, int]:
        """Offsets of operand ``index`` of a boolean operation, with its parentheses."""
        if index == 0:
            gap = self.node_offsets(operation)[0]
        else:
            keyword = "or" if isinstance(operation.op, ast.Or) else "and"
            gap = after_keyword(self.text, self.node_offsets(operation.values[index - 1])[1], keyword)
        return self.outer_offsets(operation.values[index], gap) if gap != -1 else self.node_offsets(
            operation.values[index]
        )

    def argument_offsets(self, call: ast.Call, argument: ast.AST) -> tuple[int, int]:
        """Offsets of a call's argument value (positional or keyword), with its
        parentheses: ``f(("K"))`` → ``("K")``."""
        text = self.text
        if isinstance(argument, ast.GeneratorExp) and self.node_offsets(argument)[1] == self.node_offsets(call)[1]:
            # `f(x for x in y)`: the call's parentheses are the generator's; as an
            # argument it is what they hold.
            start, end = self.node_offsets(argument)
            inner = text[start + 1 : end - 1]
            return start + 1 + len(inner) - len(inner.lstrip()), end - 1 - len(inner) + len(inner.rstrip())
        gap = -1
        for index, positional in enumerate(call.args):
            if positional is argument:
                if index == 0:
                    gap = after_keyword(text, self.node_offsets(call.func)[1], "(")
                else:
                    gap = after_keyword(text, self.node_offsets(call.args[index - 1])[1], ",")
                break
        else:
            for keyword in call.keywords:
                if keyword.value is argument and keyword.arg is not None:
                    start = self.node_offsets(keyword)[0]
                    gap = after_keyword(text, start + len(keyword.arg), "=")
                    break
        return self.outer_offsets(argument, gap) if gap != -1 else self.node_offsets(argument)

    def statement_lines(self, statements: list[ast.stmt]) -> list[list[ast.stmt]]:
        """``statements`` grouped as they are written on lines: simple statements
        joined by ``;`` (``a(); return b``) form one line; a compound statement is a
        line of its own."""
        lines: list[list[ast.stmt]] = []
        previous_end = -1
        for statement in statements:
            start, end = self.node_offsets(statement)
            if previous_end != -1 and not isinstance(statement, _COMPOUND):
                semicolon = semicolon_after(self.text, previous_end)
                if semicolon != -1 and skip_spaces(self.text, semicolon) == start:
                    lines[-1].append(statement)
                    previous_end = end
                    continue
            lines.append([statement])
            previous_end = -1 if isinstance(statement, _COMPOUND) else end
        return lines

    def statement_text(self, statement: ast.stmt) -> str:
        """A simple statement as written, with the ``;`` that ends it (and the spaces
        before that)."""
        start, end = self.node_offsets(statement)
        semicolon = semicolon_after(self.text, end)
        return self.raw[start : semicolon if semicolon != -1 else end]

    def touches_pebble(self, start: int, end: int) -> bool:
        return any(span.start < end and start < span.end for span in self.pebble)

    def message_suffix(self, line: int) -> str:
        """Where a finding is when the span cannot say it (non-literal script scalars)."""
        return "" if self.code_map.exact else f" ({self.label} line {line})"

    def file_edit(self, start: int, end: int, content: str, replaces_pebble: bool = False) -> Edit | None:
        """An edit of ``text[start:end]`` as an edit of the file, or None when the code
        cannot be edited in place (a non-literal scalar, or Pebble inside the span —
        unless ``replaces_pebble``: the edit is meant to replace it, as CL103's is)."""
        if not self.code_map.exact:
            return None
        if self.touches_pebble(start, end) and not replaces_pebble:
            return None
        start_line, start_column = self.code_position(start)
        end_line, end_column = self.code_position(end)
        span = self.file_span(start_line, start_column, end_line, end_column)
        if self.is_module:
            # A module's text is the file's text: its offsets are the file's offsets.
            return Edit(start=start, end=end, content=content, span=span, expected=self.file.text[start:end])
        file_start = self.file.offset(span.line, span.column)
        file_end = self.file.offset(span.end_line, span.end_column)
        expected = self.file.text[file_start:file_end]
        if not _same_code(expected, self.raw[start:end], self.file.line_break, self.code_map.indent):
            return None  # the map does not hold here: never edit what the rule did not read
        if self.is_inline and "\n" in content:
            # New lines of an inline script: the block's indentation and the file's line breaks.
            content = content.replace("\n", self.file.newline_at(file_start) + " " * self.code_map.indent)
        return Edit(start=file_start, end=file_end, content=content, span=span, expected=expected)


def _same_code(file_text: str, code_text: str, file_break: re.Pattern[str], indent: int) -> bool:
    """Whether ``file_text`` (a span of the file) is ``code_text`` (the same span of the
    code) as a block scalar writes it: the same lines, each after ``indent`` spaces."""
    if indent == 0 and file_text == code_text:
        return True
    file_lines = file_break.split(file_text)
    code_lines = PYTHON_LINE_BREAK.split(code_text)
    if len(file_lines) != len(code_lines) or file_lines[0] != code_lines[0]:
        return False
    for file_line, code_line in zip(file_lines[1:], code_lines[1:]):
        if code_line:
            if file_line[:indent].strip(" ") or file_line[indent:] != code_line:
                return False
        elif file_line.strip(" "):
            return False
    return True


# Statements with a body of their own (never joined to others with `;`).
_COMPOUND = tuple(
    getattr(ast, name)
    for name in (
        "FunctionDef", "AsyncFunctionDef", "ClassDef", "If", "For", "AsyncFor", "While", "With", "AsyncWith",
        "Try", "TryStar", "Match",
    )
    if hasattr(ast, name)
)


def _parse(text: str) -> tuple[ast.Module, str]:
    """CPython's tree of ``text``, and the text it was parsed from (``text``, or the
    same with 3.12 f-strings requoted for an older CPython)."""
    import warnings

    if text.startswith(BOM):
        # CPython strips one BOM (the file's) and rejects a second: said here, before
        # libcst (which drops it) could call the code merely newer than this Python.
        raise PythonSyntaxError("invalid non-printable character U+FEFF", 1, 1)
    try:
        with warnings.catch_warnings():
            # Invalid escapes and the like: CPython's warnings to the script's author,
            # never lint output.
            warnings.simplefilter("ignore")
            parsed = text
            try:
                tree = ast.parse(text)
            except SyntaxError:
                older = for_older_parser(text, sys.version_info[:2]) if sys.version_info < (3, 12) else None
                if older is None:
                    raise
                tree, parsed = ast.parse(older), older  # same length and lines: positions hold
    except SyntaxError as error:
        if error.msg == "too many nested parentheses":
            depth = bracket_depth(text, "([{", ")]}")
            if depth > MAX_BRACKET_DEPTH:
                raise PythonSyntaxError(
                    f"brackets nested {depth} levels deep (limit {MAX_BRACKET_DEPTH})", 1, 1
                ) from error
        # ast.parse always places its errors; a missing place would mean the whole input.
        line = error.lineno if error.lineno is not None else 1
        column = error.offset if error.offset is not None else 1
        raise PythonSyntaxError(error.msg + _newer_syntax_hint(text), line, column) from error
    except (RecursionError, MemoryError) as refused:
        raise PythonSyntaxError(TOO_DEEP, 1, 1) from refused
    except ValueError as refused:  # a NUL byte (Python < 3.12)
        raise PythonSyntaxError(str(refused), 1, 1) from refused
    if len(text) > LARGE_SOURCE or max(map(len, text.split("\n"))) > LONG_LINE:
        _check_expression_depth(tree)
    return tree, parsed


def _newer_syntax_hint(text: str) -> str:
    """When the CPython running contractlint is older than the newest Python and
    libcst (which reads every recent grammar) accepts the code, it is probably written
    for a newer Python: say so, instead of calling valid code broken."""
    if sys.version_info >= NEWEST_PYTHON:
        return ""
    import libcst as cst

    try:
        cst.parse_module(text)
    except (cst.ParserSyntaxError, cst.CSTValidationError, RecursionError, ValueError):
        return ""
    version = f"{sys.version_info.major}.{sys.version_info.minor}"
    return f" (Python {version} cannot parse it; it may be written for a newer Python: run contractlint on that one)"


# The newest grammar libcst reads; an older CPython may reject what it accepts.
NEWEST_PYTHON = (3, 13)


def _check_expression_depth(tree: ast.Module) -> None:
    """Refuse an expression nested more than ``MAX_EXPRESSION_DEPTH`` levels, reported at
    the statement that holds it: its start is where to look."""
    stack: list[tuple[ast.AST, int, ast.AST]] = [(tree, 0, tree)]
    while stack:
        node, depth, statement = stack.pop()
        if isinstance(node, ast.stmt):
            statement = node
        if depth > MAX_EXPRESSION_DEPTH:
            raise PythonSyntaxError(TOO_DEEP, getattr(statement, "lineno", 1), getattr(statement, "col_offset", 0) + 1)
        stack.extend((child, depth + 1, statement) for child in ast.iter_child_nodes(node))


# -- building PythonCode ------------------------------------------------------------


def module_code(file: SourceFile) -> PythonCode:
    anchor = Span(1, 1, 1, 1)
    return PythonCode(
        file=file,
        raw=file.text,
        text=file.text,
        code_map=CodeMap(first_line=1, indent=0, exact=True, anchor=anchor),
        pebble=[],
        label=file.path,
    )


def inline_code(
    file: SourceFile, flow: Flow, task: Task, key_node: Any, value_node: Any, label: str
) -> PythonCode:
    from contractlint.flow import yaml_nodes as yn

    raw = value_node.value
    pebble = find_pebble(raw)
    anchor = yn.node_span(file, key_node)
    return PythonCode(
        file=file,
        raw=raw,
        text=mask(raw, pebble),
        code_map=_block_map(file, value_node, raw, anchor),
        pebble=pebble,
        label=label,
        flow=flow,
        task=task,
        key_node=key_node,
        value_node=value_node,
    )


def _block_map(file: SourceFile, node: Any, value: str, anchor: Span) -> CodeMap:
    """The exact map for a literal block scalar, verified line by line against the
    file; an anchor-only map for anything that does not verify."""
    inexact = CodeMap(first_line=anchor.line, indent=0, exact=False, anchor=anchor)
    if node.style != "|":
        return inexact
    header_line = file.position(node.start_mark.index)[0]
    first_line = header_line + 1
    code_lines = PYTHON_LINE_BREAK.split(value)
    if code_lines and code_lines[-1] == "":
        code_lines.pop()  # the final line break (clip / keep chomping)
    indent = None
    for number, code_line in enumerate(code_lines):
        if code_line:
            file_line_number = first_line + number
            if file_line_number > file.line_count:
                return inexact
            file_line = file.line_text(file_line_number)
            if not file_line.endswith(code_line):
                return inexact
            indent = len(file_line) - len(code_line)
            break
    if indent is None:
        return CodeMap(first_line=first_line, indent=0, exact=True, anchor=anchor)
    for number, code_line in enumerate(code_lines):
        file_line_number = first_line + number
        if file_line_number > file.line_count:
            return inexact
        file_line = file.line_text(file_line_number)
        if code_line:
            if file_line[indent:] != code_line or file_line[:indent].strip(" "):
                return inexact
        elif file_line.strip(" "):
            return inexact
    return CodeMap(first_line=first_line, indent=indent, exact=True, anchor=anchor)
