"""A file's decoded text and the mapping between character offsets and positions.

Files are decoded once: UTF-8, a leading BOM removed (and remembered, so fixes can
write it back), line endings kept as they are. Lines end at ``\\n``; a ``\\r`` before
it belongs to the line ending, never to a column.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass, field

from contractlint.diagnostics import Span

BOM = "\ufeff"


class UndecodableFile(Exception):
    """The bytes are not UTF-8 text; ``position`` is where decoding failed."""

    def __init__(self, message: str, line: int, column: int) -> None:
        super().__init__(message)
        self.line = line
        self.column = column


@dataclass
class SourceFile:
    path: str  # display path: relative to the working directory, "/" separators
    text: str  # decoded, BOM removed
    has_bom: bool = False
    _line_starts: list[int] | None = field(default=None, repr=False)

    @classmethod
    def from_bytes(cls, path: str, data: bytes) -> SourceFile:
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as error:
            prefix = data[: error.start].decode("utf-8", errors="replace")
            line = prefix.count("\n") + 1
            column = len(prefix) - (prefix.rfind("\n") + 1) + 1
            raise UndecodableFile(
                f"not valid UTF-8 (byte 0x{data[error.start]:02x} at offset {error.start})", line, column
            ) from error
        if "\x00" in text:
            index = text.index("\x00")
            prefix = text[:index]
            raise UndecodableFile(
                "contains a NUL byte: binary files are not linted",
                prefix.count("\n") + 1,
                index - (prefix.rfind("\n") + 1) + 1,
            )
        has_bom = text.startswith(BOM)
        return cls(path=path, text=text[1:] if has_bom else text, has_bom=has_bom)

    def encode(self, text: str) -> bytes:
        """The bytes to write for ``text``, keeping the file's BOM."""
        return ((BOM if self.has_bom else "") + text).encode("utf-8")

    # -- offsets and positions ------------------------------------------------

    @property
    def line_starts(self) -> list[int]:
        if self._line_starts is None:
            starts = [0]
            find = self.text.find
            index = find("\n")
            while index != -1:
                starts.append(index + 1)
                index = find("\n", index + 1)
            self._line_starts = starts
        return self._line_starts

    @property
    def line_count(self) -> int:
        return len(self.line_starts)

    def line_text(self, line: int) -> str:
        """Line ``line`` (1-based) without its line ending."""
        starts = self.line_starts
        start = starts[line - 1]
        end = starts[line] - 1 if line < len(starts) else len(self.text)
        if end > start and self.text[end - 1] == "\r":
            end -= 1
        return self.text[start:end]

    def offset(self, line: int, column: int) -> int:
        """Character offset of 1-based ``line``/``column``."""
        return self.line_starts[line - 1] + column - 1

    def position(self, offset: int) -> tuple[int, int]:
        """1-based line and column of a character offset."""
        index = bisect_right(self.line_starts, offset) - 1
        return index + 1, offset - self.line_starts[index] + 1

    def span(self, start: int, end: int) -> Span:
        line, column = self.position(start)
        end_line, end_column = self.position(end)
        return Span(line, column, end_line, end_column)


# Where lines break. CPython (and libcst) end a line at "\r\n", "\r" or "\n"; every
# position, excerpt and edit must count lines the same way as the parser that produced
# them, or offsets drift (a lone "\r" would shift every later line).
LINE_BREAK = re.compile(r"\r\n?|\n")


def line_starts(text: str) -> list[int]:
    """Offsets at which the lines of ``text`` start, breaking where CPython does."""
    return [0, *(match.end() for match in LINE_BREAK.finditer(text))]


def bracket_depth(text: str, opening: str, closing: str) -> int:
    """The deepest nesting of brackets, strings ignored: a cheap guard run before a
    parser that would recurse once per level."""
    depth = deepest = 0
    for char in text:
        if char in opening:
            depth += 1
            deepest = max(deepest, depth)
        elif char in closing:
            depth = max(0, depth - 1)
    return deepest
