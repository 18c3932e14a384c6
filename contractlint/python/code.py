"""Python code as rules see it: a module file or an inline script inside a flow.

A ``PythonCode`` holds the (Pebble-masked) text that is parsed, the libcst parse
shared by every rule, and the map from positions in that text back to the file
the user edits. For a literal block scalar (``script: |``) the map is exact: code
line N is file line ``first_line + N - 1`` shifted right by the block's
indentation. Other scalar styles cannot be mapped exactly; their findings point
at the ``script`` key and name the script line in the message.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from contractlint.diagnostics import Edit, Span
from contractlint.python.pebble import PebbleSpan, find_pebble, mask
from contractlint.source import BOM, PYTHON_LINE_BREAK, SourceFile, bracket_depth, line_starts

if TYPE_CHECKING:
    import libcst as cst
    from libcst.metadata import MetadataWrapper

    from contractlint.flow.model import Flow, Task

# Deeper bracket nesting than this is a parser-crashing input, not code (CPython
# itself stops at 200 levels).
MAX_BRACKET_DEPTH = 200
# libcst's parser slows down quadratically on very long operator chains
# (`1 + 1 + … ` 20,000 times takes minutes): big or long-lined sources are measured
# first with CPython's fast parser, and absurdly deep expressions are refused.
SCOPE_PROVIDERS = ("ScopeProvider", "ExpressionContextProvider")
LARGE_SOURCE = 200_000
LONG_LINE = 2_000
MAX_EXPRESSION_DEPTH = 300


class PythonSyntaxError(Exception):
    def __init__(self, message: str, line: int, column: int) -> None:
        super().__init__(message)
        self.message = message
        self.line = line  # 1-based, in code coordinates
        self.column = column  # 1-based


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
    _module: Any = field(default=None, repr=False)
    _wrapper: Any = field(default=None, repr=False)
    _scope_resolved: bool = field(default=False, repr=False)
    _line_starts: list[int] | None = field(default=None, repr=False)

    @property
    def is_inline(self) -> bool:
        return self.task is not None

    # -- parsing (once, shared by every rule) ------------------------------------

    @property
    def module(self) -> cst.Module:
        """The libcst module; raises ``PythonSyntaxError`` if the code does not parse."""
        if self._module is None:
            self._module = _parse(self.text)
        return self._module

    @property
    def wrapper(self) -> MetadataWrapper:
        """One metadata wrapper per code, so resolved metadata (positions, scopes,
        qualified names) is computed once and shared by every rule."""
        if self._wrapper is None:
            from libcst.metadata import MetadataWrapper

            self._wrapper = MetadataWrapper(self.module, unsafe_skip_copy=True)
        return self._wrapper

    def resolve(self, provider: Any) -> Any:
        """The whole mapping node → metadata of ``provider`` (values may be lazy:
        prefer ``metadata``)."""
        if not self._scope_resolved and provider.__name__ in SCOPE_PROVIDERS:
            # Name resolution needs scopes and expression contexts together: one
            # batched traversal computes them (and positions) faster than one each.
            from libcst import metadata

            self.wrapper.resolve_many([getattr(metadata, name) for name in (*SCOPE_PROVIDERS, "PositionProvider")])
            self._scope_resolved = True
        return self.wrapper.resolve(provider)

    def metadata(self, provider: Any, node: cst.CSTNode, default: Any = None) -> Any:
        """``provider``'s metadata for ``node``, as a visitor's ``get_metadata`` gives it."""
        from libcst.metadata.base_provider import LazyValue

        if provider.__name__ == "QualifiedNameProvider":
            # What QualifiedNameProvider computes for every node of the module (a whole
            # traversal, a third of the cost of name resolution on big files), asked of
            # the scope for the nodes rules actually ask about.
            from libcst.metadata import ScopeProvider

            mapping = self.resolve(ScopeProvider)
            if node not in mapping:
                return default
            scope = mapping[node]
            return scope.get_qualified_names_for(node) if scope else set()
        value = self.resolve(provider).get(node, default)
        return value() if isinstance(value, LazyValue) else value

    # -- positions ---------------------------------------------------------------

    @property
    def line_starts(self) -> list[int]:
        """Where the code's lines start, as CPython and libcst count them."""
        if self._line_starts is None:
            self._line_starts = line_starts(self.text)
        return self._line_starts

    def code_position(self, offset: int) -> tuple[int, int]:
        """1-based line and column in code coordinates of a character offset in ``text``."""
        from bisect import bisect_right

        index = bisect_right(self.line_starts, offset) - 1
        return index + 1, offset - self.line_starts[index] + 1

    def code_offset(self, line: int, column: int) -> int:
        return self.line_starts[line - 1] + column - 1

    def file_span(self, line: int, column: int, end_line: int, end_column: int) -> Span:
        """A span in code coordinates (1-based, end exclusive) mapped to the file."""
        if not self.code_map.exact:
            return self.code_map.anchor
        start = self.code_map.position(line, column)
        end = self.code_map.position(end_line, end_column)
        return Span(start[0], start[1], end[0], end[1])

    def node_span(self, node: cst.CSTNode) -> Span:
        from libcst.metadata import PositionProvider

        code_range = self.metadata(PositionProvider, node)
        return self.file_span(
            code_range.start.line, code_range.start.column + 1, code_range.end.line, code_range.end.column + 1
        )

    def node_offsets(self, node: cst.CSTNode) -> tuple[int, int]:
        """Start and end character offsets of ``node`` in ``text``."""
        from libcst.metadata import PositionProvider

        code_range = self.metadata(PositionProvider, node)
        return (
            self.code_offset(code_range.start.line, code_range.start.column + 1),
            self.code_offset(code_range.end.line, code_range.end.column + 1),
        )

    def message_suffix(self, line: int) -> str:
        """Where a finding is when the span cannot say it (non-literal script scalars)."""
        return "" if self.code_map.exact else f" ({self.label} line {line})"

    def file_edit(self, start: int, end: int, content: str) -> Edit | None:
        """An edit of ``text[start:end]`` as an edit of the file, or None when the code
        cannot be edited in place (a non-literal scalar, or Pebble inside the span)."""
        if not self.code_map.exact:
            return None
        if any(p.start < end and start < p.end for p in self.pebble):
            return None
        start_line, start_column = self.code_position(start)
        end_line, end_column = self.code_position(end)
        span = self.file_span(start_line, start_column, end_line, end_column)
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


def _parse(text: str) -> cst.Module:
    import libcst as cst

    if text.startswith(BOM):
        # CPython strips one BOM and rejects a second; libcst would drop it silently
        # and place everything on the first line one column early.
        raise PythonSyntaxError("invalid non-printable character U+FEFF", 1, 1)

    depth = bracket_depth(text, "([{", ")]}")
    if depth > MAX_BRACKET_DEPTH:
        raise PythonSyntaxError(f"brackets nested {depth} levels deep (limit {MAX_BRACKET_DEPTH})", 1, 1)
    if len(text) > LARGE_SOURCE or any(len(line) > LONG_LINE for line in text.split("\n")):
        _check_expression_depth(text)
    try:
        return cst.parse_module(text)
    except (cst.ParserSyntaxError, cst.CSTValidationError) as error:
        # A validation error is libcst refusing to build a node (two bare `except:`,
        # a ZWJ in a name): CPython words and places what is wrong.
        raise _syntax_error(text, error) from error
    except RecursionError as error:
        raise PythonSyntaxError("code is nested too deeply to parse", 1, 1) from error


def _check_expression_depth(text: str) -> None:
    import ast

    try:
        tree = ast.parse(text)
    except SyntaxError as cpython:
        # Do not hand a broken giant to libcst (slow to fail): CPython has placed the error.
        line = cpython.lineno if cpython.lineno is not None else 1
        column = cpython.offset if cpython.offset is not None else 1
        raise PythonSyntaxError(cpython.msg, line, column) from cpython
    except (RecursionError, MemoryError) as refused:
        # Newer CPythons stop at their own C recursion limit: too deep for libcst as well.
        raise PythonSyntaxError(
            f"expression nested more than {MAX_EXPRESSION_DEPTH} levels deep: too complex to analyse", 1, 1
        ) from refused
    except ValueError as refused:  # a NUL byte
        raise PythonSyntaxError(str(refused), 1, 1) from refused
    # Report at the statement that holds the deep expression: its start is where to look.
    stack: list[tuple[ast.AST, int, ast.AST]] = [(tree, 0, tree)]
    while stack:
        node, depth, statement = stack.pop()
        if isinstance(node, ast.stmt):
            statement = node
        if depth > MAX_EXPRESSION_DEPTH:
            raise PythonSyntaxError(
                f"expression nested more than {MAX_EXPRESSION_DEPTH} levels deep: too complex to analyse",
                getattr(statement, "lineno", 1),
                getattr(statement, "col_offset", 0) + 1,
            )
        stack.extend((child, depth + 1, statement) for child in ast.iter_child_nodes(node))


def _syntax_error(text: str, error: Exception) -> PythonSyntaxError:
    """CPython's parser words errors better and places them exactly (libcst's native
    parser often points past the problem); ask it — it only parses, nothing runs."""
    import ast

    import warnings

    try:
        # Parsed, then compiled to bytecode (never run): the compiler rejects what the
        # parser lets through (a bare `except:` before another handler). Its warnings
        # are about the user's code, not for our stderr.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            compile(ast.parse(text), "<contractlint>", "exec", dont_inherit=True)
    except SyntaxError as cpython:
        # ast.parse always places its errors; a missing place would mean the whole input.
        line = cpython.lineno if cpython.lineno is not None else 1
        column = cpython.offset if cpython.offset is not None else 1
        return PythonSyntaxError(cpython.msg, line, column)
    except (ValueError, RecursionError, MemoryError) as refused:  # NUL bytes, absurd nesting
        return PythonSyntaxError(str(refused), 1, 1)
    # CPython accepts what libcst rejects (syntax newer than libcst, or a construct
    # beyond its limits): say so rather than call valid Python invalid.
    detail = str(error).strip().splitlines()[0] if str(error).strip() else "invalid syntax"
    return PythonSyntaxError(
        f"valid Python that contractlint's parser (libcst) cannot read, so no rule checked it ({detail})",
        getattr(error, "raw_line", 1),
        getattr(error, "raw_column", 0) + 1,
    )


def iter_statements(module: cst.Module):
    """Every statement, nested ones included, without a full tree visit (which costs
    libcst a node object per token): only statement bodies are walked."""
    import libcst as cst

    stack = list(reversed(module.body))
    while stack:
        node = stack.pop()
        yield node
        children: list = []
        for field_name in ("body", "orelse", "handlers", "finalbody", "cases"):
            value = getattr(node, field_name, None)
            if value is None or isinstance(node, cst.SimpleStatementLine):
                continue
            if isinstance(value, (list, tuple)):
                children.extend(value)
            elif isinstance(value, cst.BaseSuite):
                children.extend(value.body if isinstance(value, cst.IndentedBlock) else ())
            else:  # an `else:`/`finally:` clause or a handler: their own suite
                children.append(value)
        # Clauses (Else, Finally, ExceptHandler, MatchCase) are not statements: unwrap.
        for child in reversed(children):
            if isinstance(child, (cst.Else, cst.Finally, cst.ExceptHandler, cst.ExceptStarHandler, cst.MatchCase)):
                suite = child.body
                stack.extend(reversed(suite.body if isinstance(suite, cst.IndentedBlock) else ()))
            else:
                stack.append(child)


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
