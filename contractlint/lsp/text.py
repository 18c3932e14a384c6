"""Text as the Language Server Protocol counts it, without pygls: positions, changes
and the edit between two texts.

An LSP position is a zero-based line and a character offset in that line. Lines end
at ``\\n``, ``\\r\\n`` or ``\\r`` — the protocol's three terminators, which are also
where CPython breaks lines (``contractlint.source.line_starts``); not Python's
``str.splitlines``, which also breaks at form feeds, ``\\x1c``-``\\x1e``, ``\\x85``,
U+2028 and U+2029 and would put every later diagnostic on the wrong line. Characters
are counted in the position encoding agreed at initialisation: UTF-16 code units by
default (an emoji or any other character outside the Basic Multilingual Plane is two),
UTF-8 bytes, or UTF-32 code points. The engine counts code points from 1 and breaks
lines only at ``\\n``; ``TextIndex`` converts between the two through character
offsets, which both agree on.

A position past the end of a line is the end of that line (the spec's rule), a line
past the last one is the end of the text, and a position inside a ``\\r\\n`` or inside
a character's code units is moved to the character boundary before it.
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass

from contractlint.source import line_starts

UTF8, UTF16, UTF32 = "utf-8", "utf-16", "utf-32"
ENCODINGS = (UTF16, UTF8, UTF32)


def units(text: str, encoding: str) -> int:
    """The length of ``text`` in the code units of ``encoding``. A lone surrogate (JSON
    can carry one) is one UTF-16 unit, as in the client's string."""
    if encoding == UTF32 or text.isascii():
        return len(text)
    if encoding == UTF16:
        return len(text) + sum(1 for char in text if ord(char) > 0xFFFF)
    return len(text.encode("utf-8", errors="surrogatepass"))


def _char_units(char: str, encoding: str) -> int:
    code = ord(char)
    if encoding == UTF32 or code < 0x80:
        return 1
    if encoding == UTF16:
        return 2 if code > 0xFFFF else 1
    return 2 if code < 0x800 else 3 if code < 0x10000 else 4


@dataclass(frozen=True)
class Position:
    line: int  # zero-based
    character: int  # in the encoding's code units


class TextIndex:
    """Line starts of one text, for converting character offsets to LSP positions
    and back."""

    def __init__(self, text: str, encoding: str = UTF16) -> None:
        if encoding not in ENCODINGS:
            raise ValueError(f"unknown position encoding {encoding!r} (expected one of {', '.join(ENCODINGS)})")
        self.text = text
        self.encoding = encoding
        self.starts = line_starts(text)

    @property
    def line_count(self) -> int:
        return len(self.starts)

    def line_end(self, line: int) -> int:
        """The offset just after the content of zero-based ``line`` (before its line break)."""
        if line + 1 >= len(self.starts):
            return len(self.text)
        end = self.starts[line + 1]
        text = self.text
        if text[end - 1] == "\n" and end >= 2 and text[end - 2] == "\r":
            return end - 2
        return end - 1

    def position(self, offset: int) -> Position:
        offset = min(max(offset, 0), len(self.text))
        line = bisect_right(self.starts, offset) - 1
        start = self.starts[line]
        end = self.line_end(line)
        return Position(line, units(self.text[start : min(offset, end)], self.encoding))

    def offset(self, line: int, character: int) -> int:
        if line < 0:
            return 0
        if line >= len(self.starts):
            return len(self.text)
        start = self.starts[line]
        end = self.line_end(line)
        if self.encoding == UTF32 or self.text.isascii():
            return min(start + max(character, 0), end)
        counted = 0
        index = start
        text = self.text
        while index < end:
            width = _char_units(text[index], self.encoding)
            if counted + width > character:
                break
            counted += width
            index += 1
        return index


def apply_change(text: str, start: tuple[int, int] | None, end: tuple[int, int] | None, new: str,
                 encoding: str) -> str:
    """``text`` after a ``didChange`` content change: the range ``start``-``end``
    (zero-based line and character) replaced by ``new``; no range replaces it all."""
    if start is None or end is None:
        return new
    index = TextIndex(text, encoding)
    first = index.offset(*start)
    last = max(first, index.offset(*end))
    return text[:first] + new + text[last:]


@dataclass(frozen=True)
class Replacement:
    start: int  # offsets in the old text
    end: int
    content: str


def replacement(old: str, new: str) -> Replacement | None:
    """The one replacement that turns ``old`` into ``new`` and touches the fewest
    characters (None when they are equal): what a whole-file fix sends, so that the
    editor keeps its cursor, folds and marks outside the changed region. Neither end
    splits a ``\\r\\n``, where no LSP position lies."""
    if old == new:
        return None
    limit = min(len(old), len(new))
    prefix = 0
    while prefix < limit and old[prefix] == new[prefix]:
        prefix += 1
    suffix = 0
    while suffix < limit - prefix and old[-1 - suffix] == new[-1 - suffix]:
        suffix += 1
    if 0 < prefix < len(old) and old[prefix - 1] == "\r" and old[prefix] == "\n":
        prefix -= 1
    end = len(old) - suffix
    if 0 < end < len(old) and old[end - 1] == "\r" and old[end] == "\n":
        end += 1
        suffix -= 1
    return Replacement(prefix, end, new[prefix : len(new) - suffix])
