"""What CPython's ``ast`` leaves out of its positions, read back from the text.

``ast`` places a node without its own parentheses (``(a) or b``: ``a`` is column 1),
and does not keep punctuation between nodes (``;``, the ``or`` keyword). A few
messages and fixes need them, as written: an operand with its parentheses, a
statement with the ``;`` that ends it. Between two known positions the text holds
only trivia (spaces, line breaks, backslash continuations, comments) and
punctuation, so a small scanner over that gap is exact — no tokenizer needed.
All offsets are character offsets in the code's text.
"""

from __future__ import annotations

from dataclasses import dataclass

_SPACE = " \t\f"
_LINE_BREAK = "\r\n"


def skip_trivia(text: str, index: int, end: int | None = None) -> int:
    """The first offset at or after ``index`` that is not whitespace, a backslash
    continuation or a comment (``end`` bounds the scan)."""
    limit = len(text) if end is None else end
    while index < limit:
        char = text[index]
        if char in _SPACE or char in _LINE_BREAK:
            index += 1
        elif char == "\\" and index + 1 < limit and text[index + 1] in _LINE_BREAK:
            index += 2
        elif char == "#":
            while index < limit and text[index] not in _LINE_BREAK:
                index += 1
        else:
            return index
    return limit


def skip_spaces(text: str, index: int) -> int:
    """The first offset at or after ``index`` that is not a space, a tab or a
    backslash continuation (what may stand between a statement and its ``;``)."""
    length = len(text)
    while index < length:
        char = text[index]
        if char in _SPACE:
            index += 1
        elif char == "\\" and index + 1 < length and text[index + 1] in _LINE_BREAK:
            index += 2
            if index < length and text[index - 1] == "\r" and text[index] == "\n":
                index += 1
        else:
            return index
    return length


def previous_significant(text: str, index: int) -> int:
    """The offset of the last character before ``index`` that is not a space, a tab or
    a backslash continuation (-1 at the start)."""
    index -= 1
    while index >= 0:
        char = text[index]
        if char in _SPACE:
            index -= 1
        elif char in _LINE_BREAK:
            before = index - 1 if char == "\n" and index > 0 and text[index - 1] == "\r" else index
            if before > 0 and text[before - 1] == "\\":
                index = before - 2
            else:
                return index
        else:
            return index
    return -1


def opening_parens(text: str, start: int, end: int) -> list[int]:
    """Offsets of the ``(`` in ``text[start:end]``, a gap of trivia and parentheses
    before a node: the node's own opening parentheses, outermost first (none unless
    the gap holds nothing else)."""
    if start >= end:
        return []
    found = []
    index = skip_trivia(text, start, end)
    while index < end and text[index] == "(":
        found.append(index)
        index = skip_trivia(text, index + 1, end)
    return found if index == end else []


def close_parens(text: str, index: int, count: int) -> int:
    """The offset just past ``count`` closing parentheses after ``index`` (trivia in
    between); ``index`` itself when ``count`` is 0 or a parenthesis is missing."""
    end = index
    for _ in range(count):
        position = skip_trivia(text, end)
        if position >= len(text) or text[position] != ")":
            return end
        end = position + 1
    return end


def after_keyword(text: str, index: int, keyword: str) -> int:
    """The offset just past ``keyword`` (``or``, ``,``, ``(``) at or after ``index``,
    skipping trivia and closing parentheses before it; -1 when it is not there."""
    length = len(text)
    while index < length:
        index = skip_trivia(text, index)
        if text.startswith(keyword, index):
            return index + len(keyword)
        if index < length and text[index] == ")":
            index += 1
            continue
        return -1
    return -1


def semicolon_after(text: str, index: int) -> int:
    """The offset just past a ``;`` that follows ``index`` on the same logical line
    (spaces between), or -1."""
    position = skip_spaces(text, index)
    return position + 1 if position < len(text) and text[position] == ";" else -1


def string_pieces(text: str, start: int, end: int) -> list[tuple[str, bool]]:
    """The literals of an implicit concatenation (``"a" f"{b}"``) written in
    ``text[start:end]``: (lower-case prefix, whether the quotes hold anything), left
    to right. ``ast`` merges them into one node; what each piece was is in the text."""
    import io
    import tokenize
    import warnings

    fstring_start = getattr(tokenize, "FSTRING_START", None)  # Python 3.12+
    fstring_end = getattr(tokenize, "FSTRING_END", None)
    pieces: list[tuple[str, bool]] = []
    depth = 0
    empty = True
    opened: list[str] = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for token in tokenize.generate_tokens(io.StringIO("(" + text[start:end] + ")", newline=None).readline):
            if token.type == tokenize.STRING and depth == 0:
                prefix = token.string[: len(token.string) - len(token.string.lstrip("rRbBuUfF"))]
                body = token.string[len(prefix) :]
                quote = 3 if body[:3] in ('"""', "\'\'\'") else 1
                pieces.append((prefix.lower(), len(body) > 2 * quote))
            elif fstring_start is not None and token.type == fstring_start:
                if depth == 0:
                    opened.append(token.string.rstrip("'\"").lower())
                    empty = True
                depth += 1
            elif fstring_end is not None and token.type == fstring_end:
                depth -= 1
                if depth == 0:
                    pieces.append((opened.pop(), not empty))
            elif depth:
                empty = False
    return pieces


# -- syntax of a newer Python, read by an older CPython ------------------------------------

_PREFIX_LETTERS = frozenset("rRbBuUfF")


def for_older_parser(text: str, version: tuple[int, int]) -> str | None:
    """``text`` as CPython ``version`` can parse it, where a newer construct has an
    older spelling of the same length (so every position stays):

    * an f-string reusing its own quote inside a replacement field (``f"{x["a"]}"``,
      Python 3.12, PEP 701) is written with the other quote (``f'{x["a"]}'``);
    * ``except*`` (Python 3.11, PEP 654) is read as ``except`` (one space for the star).

    None when nothing needed (or could) change."""
    chars = list(text)
    changed = False
    index, length = 0, len(text)
    while index < length:
        char = text[index]
        if char == "#":
            while index < length and text[index] not in "\r\n":
                index += 1
            continue
        starts_word = index == 0 or not _is_name_char(text[index - 1])
        if char in "'\"" or (char in _PREFIX_LETTERS and starts_word):
            literal = _string_at(text, index)
            if literal is not None:
                start, body_start, body_end, end, is_fstring, quotes_inside = literal
                quote = text[body_start - 1]
                triple = text[start:body_start].endswith(quote * 3)
                if version < (3, 12) and is_fstring and quotes_inside and not triple:
                    other = "'" if quote == '"' else '"'
                    if other not in text[body_start:body_end] and "\\" not in text[body_start:body_end]:
                        chars[body_start - 1] = chars[body_end] = other
                        changed = True
                index = end
                continue
        if version < (3, 11) and char == "e" and starts_word and text.startswith("except", index):
            after = index + len("except")
            star = skip_spaces(text, after)
            if star < length and text[star] == "*" and not (after < length and _is_name_char(text[after])):
                chars[star] = " "
                changed = True
        index += 1
    return "".join(chars) if changed else None


def _is_name_char(char: str) -> bool:
    return char.isalnum() or char == "_"


@dataclass(frozen=True)
class StringPiece:
    """One string literal as written (a piece of an implicit concatenation): offsets
    in the text, end exclusive."""

    start: int  # the first prefix letter, or the opening quote
    quote_start: int  # the opening quote(s)
    body_start: int
    body_end: int  # the closing quote(s)
    end: int
    prefix: str  # as written: "", "rb", "F"…
    quote_start_text: str  # the delimiter: ', ", ''' or """
    fields: tuple[tuple[int, int], ...] = ()  # an f-string's replacement fields, braces included
    reuses_quote: bool = False  # its own quote occurs inside a replacement field (PEP 701)

    @property
    def delimiter(self) -> str:
        """The quote or triple quote that opens and closes it."""
        return self.quote_start_text

    @property
    def quote(self) -> str:
        return self.quote_start_text[0]

    @property
    def is_fstring(self) -> bool:
        return "f" in self.prefix.lower()

    @property
    def is_bytes(self) -> bool:
        return "b" in self.prefix.lower()

    @property
    def is_raw(self) -> bool:
        return "r" in self.prefix.lower()


def string_piece_at(text: str, index: int) -> StringPiece | None:
    """The string literal starting at ``index`` (a prefix letter or a quote); None when
    no literal starts there, or it is not terminated."""
    start = index
    while index < len(text) and text[index] in _PREFIX_LETTERS and index - start < 3:
        index += 1
    if index >= len(text) or text[index] not in "'\"":
        return None
    prefix = text[start:index]
    quote = text[index]
    delimiter = quote * 3 if text.startswith(quote * 3, index) else quote
    body_start = index + len(delimiter)
    lowered = prefix.lower()
    raw, is_fstring = "r" in lowered, "f" in lowered
    position = body_start
    fields: list[tuple[int, int]] = []
    quotes_inside = False
    length = len(text)
    while position < length:
        char = text[position]
        if char == "\\":
            # Even in a raw literal a backslash keeps the next character from ending it;
            # before `{` it does not stop a replacement field, and `\N{…}` is a name.
            following = text[position + 1 : position + 2]
            if is_fstring and following == "{":
                position += 1
                continue
            if is_fstring and not raw and following == "N" and text.startswith("{", position + 2):
                close = text.find("}", position + 3)
                if close == -1:
                    return None
                position = close + 1
                continue
            position += 2
            continue
        if text.startswith(delimiter, position):
            return StringPiece(start, index, body_start, position, position + len(delimiter), prefix, delimiter,
                               tuple(fields), quotes_inside)
        if len(delimiter) == 1 and char in "\r\n":
            return None  # unterminated: leave it to the parser
        if is_fstring and char == "{":
            if text.startswith("{{", position):
                position += 2
                continue
            end, reused = _replacement_field(text, position + 1, quote)
            if end is None:
                return None
            fields.append((position, end))
            quotes_inside = quotes_inside or reused
            position = end
            continue
        if is_fstring and char == "}" and text.startswith("}}", position):
            position += 2
            continue
        position += 1
    return None


def string_pieces_between(text: str, start: int, end: int) -> list[StringPiece] | None:
    """The literals of a string expression written in ``text[start:end]`` (an implicit
    concatenation: ``"a" f"{b}"``, over lines inside brackets, comments between), left
    to right; None when anything else stands there."""
    pieces: list[StringPiece] = []
    index = skip_trivia(text, start, end)
    while index < end:
        piece = string_piece_at(text, index)
        if piece is None or piece.end > end:
            return None
        pieces.append(piece)
        index = skip_trivia(text, piece.end, end)
    return pieces


def _string_at(text: str, index: int) -> tuple[int, int, int, int, bool, bool] | None:
    """The string literal starting at ``index``: (start, body start, body end, end,
    is an f-string, its own quote occurs inside a replacement field); None when no
    literal starts there."""
    piece = string_piece_at(text, index)
    if piece is None:
        return None
    return piece.start, piece.body_start, piece.body_end, piece.end, piece.is_fstring, piece.reuses_quote


def _replacement_field(text: str, index: int, quote: str) -> tuple[int | None, bool]:
    """Scan an f-string replacement field from just after its ``{``: (offset just after
    its ``}``, whether ``quote`` starts a string inside it)."""
    depth = 0
    reused = False
    length = len(text)
    while index < length:
        char = text[index]
        if char in "'\"" or (char in _PREFIX_LETTERS and not _is_name_char(text[index - 1])):
            literal = _string_at(text, index)
            if literal is not None:
                reused = reused or text[literal[1] - 1] == quote or literal[5]
                index = literal[3]
                continue
        if char in "([{":
            depth += 1
        elif char in ")]":
            depth -= 1
        elif char == "}":
            if depth == 0:
                return index + 1, reused
            depth -= 1
        elif char == ":" and depth == 0:
            # A format spec: literal text with nested fields, up to the closing brace.
            index += 1
            while index < length and text[index] != "}":
                if text[index] == "{":
                    end, inner = _replacement_field(text, index + 1, quote)
                    if end is None:
                        return None, reused
                    reused = reused or inner
                    index = end
                    continue
                index += 1
            return (index + 1, reused) if index < length else (None, reused)
        index += 1
    return None, reused
