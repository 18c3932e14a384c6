"""A file's decoded text and the mapping between character offsets and positions.

Files are decoded once: UTF-8, leading byte order marks removed (and counted, so
fixes write them back), line endings kept as they are.

Where a line ends is the parser's call, and every position, excerpt, ``noqa``
comment, diff and edit counts lines the way the parser of that file does, or
offsets drift (a lone ``\\r`` would shift every later line by one):

* Python (``.py`` files, and the code of an inline script): ``\\r\\n``, ``\\r`` and
  ``\\n``, as CPython, libcst and ``tokenize`` break lines. A form feed, NEL or
  U+2028 is a character of its line.
* YAML (``.yaml``/``.yml`` files): also NEL (U+0085), LINE SEPARATOR (U+2028) and
  PARAGRAPH SEPARATOR (U+2029), which libyaml — the C parser ruamel.yaml uses —
  treats as line breaks for marks and structure alike (YAML 1.1's breaks).

The break itself belongs to no column: ``line_text`` is a line without it.

A Python file loses one BOM, as CPython strips one (a second U+FEFF is a syntax
error there). A YAML file loses every leading BOM: SnakeYAML and libyaml skip one
more at the start of the stream, and libyaml does not count the one it skips in its
marks, so the text handed to it must not start with one.

Files are read with ``read_file``: only regular files (a FIFO named on the command
line would block forever, ``/dev/zero`` never ends), and at most a size limit.
"""

from __future__ import annotations

import os
import re
import stat
from bisect import bisect_right
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from contractlint.diagnostics import Edit, Span

BOM = "\ufeff"

# Where lines break. CPython (and libcst) end a line at "\r\n", "\r" or "\n".
PYTHON_LINE_BREAK = re.compile(r"\r\n?|\n")
# libyaml (ruamel.yaml.clib) adds NEL, LS and PS.
YAML_LINE_BREAK = re.compile(r"\r\n?|[\n\x85\u2028\u2029]")
LINE_BREAK = PYTHON_LINE_BREAK
YAML_BREAK_CHARS = "\r\n\x85\u2028\u2029"
YAML_SUFFIXES = (".yaml", ".yml")

# The largest file linted (and the default for other inputs read with read_file):
# flows are kilobytes; a bigger "flow" or module is generated or not text at all.
MAX_FILE_BYTES = 10 * 1024 * 1024


def line_starts(text: str, line_break: re.Pattern[str] = LINE_BREAK) -> list[int]:
    """Offsets at which the lines of ``text`` start, breaking where CPython does
    (or where ``line_break`` matches)."""
    return [0, *(match.end() for match in line_break.finditer(text))]


def syntax_of(path: str) -> str:
    """"yaml" or "python": whose line model a file of this name follows."""
    return "yaml" if PurePosixPath(path).suffix.lower() in YAML_SUFFIXES else "python"


class UndecodableFile(Exception):
    """The bytes are not UTF-8 text; ``position`` is where decoding failed."""

    def __init__(self, message: str, line: int, column: int) -> None:
        super().__init__(message)
        self.line = line
        self.column = column


@dataclass
class SourceFile:
    path: str  # display path: relative to the working directory, "/" separators
    text: str  # decoded, leading BOMs removed
    boms: int = 0  # how many leading U+FEFF were removed (written back by ``encode``)
    syntax: str = ""  # "yaml" or "python": whose line breaks count; "" → from the path's suffix
    _line_starts: list[int] | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        if not self.syntax:
            self.syntax = syntax_of(self.path)
        if self.syntax not in ("yaml", "python"):
            raise ValueError(f"unknown syntax {self.syntax!r}")

    @classmethod
    def from_bytes(cls, path: str, data: bytes, syntax: str = "") -> SourceFile:
        syntax = syntax or syntax_of(path)
        line_break = YAML_LINE_BREAK if syntax == "yaml" else PYTHON_LINE_BREAK
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as error:
            prefix = data[: error.start].decode("utf-8", errors="replace")
            line, column = _position_in(prefix, len(prefix), line_break)
            raise UndecodableFile(
                f"not valid UTF-8 (byte 0x{data[error.start]:02x} at offset {error.start})", line, column
            ) from error
        if "\x00" in text:
            index = text.index("\x00")
            line, column = _position_in(text, index, line_break)
            raise UndecodableFile("contains a NUL byte: binary files are not linted", line, column)
        boms = len(text) - len(text.lstrip(BOM)) if syntax == "yaml" else int(text.startswith(BOM))
        return cls(path=path, text=text[boms:], boms=boms, syntax=syntax)

    @property
    def has_bom(self) -> bool:
        return self.boms > 0

    def encode(self, text: str) -> bytes:
        """The bytes to write for ``text``, keeping the file's BOMs."""
        return (BOM * self.boms + text).encode("utf-8")

    # -- lines ----------------------------------------------------------------------

    @property
    def line_break(self) -> re.Pattern[str]:
        return YAML_LINE_BREAK if self.syntax == "yaml" else PYTHON_LINE_BREAK

    @property
    def line_starts(self) -> list[int]:
        if self._line_starts is None:
            self._line_starts = line_starts(self.text, self.line_break)
        return self._line_starts

    @property
    def line_count(self) -> int:
        return len(self.line_starts)

    @property
    def ends_with_line_break(self) -> bool:
        return bool(self.text) and self.line_starts[-1] == len(self.text)

    def line_end(self, line: int) -> int:
        """Offset just past the last character of line ``line`` (1-based), before its
        line break."""
        starts = self.line_starts
        if line >= len(starts):
            return len(self.text)
        end = starts[line] - 1
        if self.text[end] == "\n" and end > starts[line - 1] and self.text[end - 1] == "\r":
            end -= 1
        return end

    def line_text(self, line: int) -> str:
        """Line ``line`` (1-based) without its line break."""
        return self.text[self.line_starts[line - 1] : self.line_end(line)]

    def line_ending(self, line: int) -> str:
        """The line break that ends line ``line`` ("" for a last line without one)."""
        end = self.line_starts[line] if line < len(self.line_starts) else len(self.text)
        return self.text[self.line_end(line) : end]

    def line_of(self, offset: int) -> int:
        return bisect_right(self.line_starts, offset)

    def line_start_of(self, offset: int) -> int:
        """Offset of the start of the line holding ``offset``."""
        return self.line_starts[self.line_of(offset) - 1]

    def next_line_start(self, offset: int) -> int:
        """Offset of the line after the one holding ``offset`` (the end of the text for
        the last line)."""
        line = self.line_of(offset)
        return self.line_starts[line] if line < len(self.line_starts) else len(self.text)

    def content_end_of(self, offset: int) -> int:
        """End of the line holding ``offset``, before its line break."""
        return self.line_end(self.line_of(offset))

    def newline_at(self, offset: int) -> str:
        """The line break to write in new lines near ``offset``: the one ending its
        line, else (the last line) the one before, else ``\\n``."""
        line = self.line_of(offset)
        for candidate in (line, line - 1):
            if candidate >= 1 and self.line_ending(candidate):
                return self.line_ending(candidate)
        return "\n"

    def has_line_break(self, start: int, end: int) -> bool:
        return self.line_break.search(self.text, start, end) is not None

    # -- offsets and positions ----------------------------------------------------

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

    def edit(self, start: int, end: int, content: str) -> Edit:
        """An edit of ``text[start:end]`` that records the text it replaces: ``--fix``
        applies it only where the file still holds exactly that text."""
        return Edit(start=start, end=end, content=content, span=self.span(start, end), expected=self.text[start:end])


def _position_in(text: str, offset: int, line_break: re.Pattern[str]) -> tuple[int, int]:
    starts = line_starts(text[:offset], line_break)
    return len(starts), offset - starts[-1] + 1


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


# -- reading files ---------------------------------------------------------------------


class UnreadablePath(Exception):
    """A path that is not read: ``reason`` says why, in words for a message."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


FILE_KINDS = (
    (stat.S_ISDIR, "a directory"),
    (stat.S_ISFIFO, "a named pipe (FIFO)"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
)


def read_file(path: Path | str, limit: int = MAX_FILE_BYTES) -> bytes:
    """The bytes of a regular file of at most ``limit`` bytes; ``UnreadablePath``
    otherwise (with the reason: missing, not permitted, a FIFO, a device, too large).

    The file is opened without blocking (a FIFO opens at once instead of waiting for
    a writer) and checked on the open descriptor, so a path swapped meanwhile is
    still checked; a file that grows while it is read is cut at ``limit`` + 1 bytes
    and refused."""
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0) | getattr(os, "O_BINARY", 0)
    try:
        descriptor = os.open(path, flags)
    except OSError as error:
        raise UnreadablePath(_reason(error)) from error
    except ValueError as error:  # a NUL character in the name
        raise UnreadablePath(f"invalid file name ({error})") from error
    try:
        status = os.fstat(descriptor)
        if not stat.S_ISREG(status.st_mode):
            kind = next((f": {name}" for test, name in FILE_KINDS if test(status.st_mode)), "")
            raise UnreadablePath(f"not a regular file{kind}")
        if status.st_size > limit:
            raise UnreadablePath(f"the file is {_size(status.st_size)}; files over {_size(limit)} are not read")
        chunks: list[bytes] = []
        remaining = limit + 1
        while remaining > 0:
            chunk = os.read(descriptor, min(remaining, 1024 * 1024))
            if not chunk:
                break
            chunks.append(chunk)
            remaining -= len(chunk)
        if remaining <= 0:
            raise UnreadablePath(f"the file is larger than {_size(limit)}; such files are not read")
        return b"".join(chunks)
    except OSError as error:
        raise UnreadablePath(_reason(error)) from error
    finally:
        os.close(descriptor)


def _reason(error: OSError) -> str:
    return error.strerror if error.strerror else str(error)


def _size(count: int) -> str:
    """``10 MB``, ``1.5 MB``, ``512 kB``, ``7 bytes``."""
    for unit, name in ((1024 * 1024, "MB"), (1024, "kB")):
        if count >= unit:
            return f"{count / unit:.1f}".removesuffix(".0") + f" {name}"
    return f"{count} bytes"
