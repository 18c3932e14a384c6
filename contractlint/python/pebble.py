"""Find Pebble template syntax in inline scripts and mask it so the Python parses.

Kestra renders a script with Pebble before Python sees it. Masking replaces each
``{{ … }}``, ``{% … %}`` and ``{# … #}`` with filler of exactly the same length,
keeping line breaks, so every other character keeps its line and column:

* a tag or comment alone on its line(s) becomes spaces (a blank line in Python);
* anything else on one line becomes ``____`` — an identifier in code, plain
  characters inside a string literal;
* an expression spanning lines becomes a parenthesised tuple ``(___ … ,_)``.

Inside a Python string literal or comment (found by a small lexer of the text around
the constructs) a construct spanning lines must not end the literal or the comment
where it breaks the line, as its rendered value does not: in a string each broken
line ends in a backslash (a continuation inside the literal), in a comment each
continued line starts with ``#``; a string's triple quotes need neither.

Text between ``{% raw %}`` and ``{% endraw %}`` (or ``{% verbatim %}`` and
``{% endverbatim %}``, Pebble's own name for it) is not Pebble and is left alone.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_OPENERS = {"{{": "}}", "{%": "%}", "{#": "#}"}
_KINDS = {"{{": "expression", "{%": "tag", "{#": "comment"}
_RAW_START = re.compile(r"\{%-?\s*(raw|verbatim)\s*-?%\}")
_RAW_ENDS = {
    "raw": re.compile(r"\{%-?\s*endraw\s*-?%\}"),
    "verbatim": re.compile(r"\{%-?\s*endverbatim\s*-?%\}"),
}


@dataclass(frozen=True)
class PebbleSpan:
    start: int  # character offsets in the script, end exclusive
    end: int
    kind: str  # "expression", "tag" or "comment"
    text: str  # the whole construct, delimiters included

    @property
    def inner(self) -> str:
        """The construct without delimiters and whitespace-control dashes."""
        body = self.text[2:-2]
        return body.strip().removeprefix("-").removesuffix("-").strip()


def find_pebble(text: str) -> list[PebbleSpan]:
    spans: list[PebbleSpan] = []
    index = 0
    length = len(text)
    while index < length:
        start = text.find("{", index)
        if start == -1 or start + 1 >= length:
            break
        opener = text[start : start + 2]
        if opener not in _OPENERS:
            index = start + 1
            continue
        end = _closing(text, start + 2, _OPENERS[opener])
        if end == -1:  # unterminated: Kestra would fail to render; leave it to the parser
            break
        spans.append(PebbleSpan(start, end, _KINDS[opener], text[start:end]))
        index = end
        raw_start = _RAW_START.fullmatch(text[start:end]) if opener == "{%" else None
        if raw_start is not None:
            raw_end = _RAW_ENDS[raw_start.group(1)].search(text, end)
            if raw_end is None:
                break
            spans.append(PebbleSpan(raw_end.start(), raw_end.end(), "tag", raw_end.group()))
            index = raw_end.end()
    return spans


def _closing(text: str, index: int, closer: str) -> int:
    """Offset just past ``closer``, skipping Pebble string literals; -1 if absent."""
    quote = None
    length = len(text)
    while index < length:
        char = text[index]
        if quote:
            if char == "\\":
                index += 2
                continue
            if char == quote:
                quote = None
        elif char in "'\"" and closer != "#}":  # comments have no string literals
            quote = char
        elif text.startswith(closer, index):
            return index + 2
        index += 1
    return -1


def mask(text: str, spans: list[PebbleSpan]) -> str:
    if not spans:
        return text
    parts: list[str] = []
    previous = 0
    lexer = _PythonLexer()
    for span in spans:
        parts.append(text[previous : span.start])
        lexer.feed(text, previous, span.start)
        filler = _filler(text, span, lexer.context)
        parts.append(filler)  # the lexer's state holds after it: a filler stays in its context
        previous = span.end
    parts.append(text[previous:])
    return "".join(parts)


CODE, STRING, LONG_STRING, COMMENT = "code", "string", "long string", "comment"


def contexts(text: str, spans: list[PebbleSpan]) -> list[str]:
    """Where each construct of ``spans`` stands in the Python around it: ``CODE``,
    ``STRING``, ``LONG_STRING`` (triple-quoted) or ``COMMENT`` — as ``mask`` sees it."""
    found: list[str] = []
    previous = 0
    lexer = _PythonLexer()
    for span in spans:
        lexer.feed(text, previous, span.start)
        found.append(lexer.context)
        previous = span.end
    return found


class _PythonLexer:
    """Just enough of Python's tokenizer to know whether a place is in code, in a
    string literal (one-line or triple-quoted) or in a comment."""

    def __init__(self) -> None:
        self.context = CODE
        self.quote = ""  # the closing quote(s) of the string we are in

    def feed(self, text: str, start: int, end: int) -> None:
        index = start
        while index < end:
            char = text[index]
            if self.context == COMMENT:
                if char in "\r\n":
                    self.context = CODE
            elif self.context in (STRING, LONG_STRING):
                if char == "\\":
                    index += 1  # an escaped character (raw strings too: r"\"" is one string)
                elif text.startswith(self.quote, index):
                    self.context = CODE
                    index += len(self.quote) - 1
                elif char in "\r\n" and self.context == STRING:
                    self.context = CODE  # an unterminated string: the parser will say so
            elif char == "#":
                self.context = COMMENT
            elif char in "'\"":  # whatever its prefix (r, b, f…), a quote opens a string
                triple = text.startswith(char * 3, index)
                self.context = LONG_STRING if triple else STRING
                self.quote = char * 3 if triple else char
                index += 2 if triple else 0
            index += 1


def _filler(text: str, span: PebbleSpan, context: str = CODE) -> str:
    # A one-line filler reads the same in code, in a string and in a comment; only a
    # construct spanning lines depends on where it stands.
    if context != CODE and "\n" in span.text:
        inside = _filler_inside(span, context)
        if inside is not None:
            return inside
    line_start = text.rfind("\n", 0, span.start) + 1
    line_end = text.find("\n", span.end)
    line_end = len(text) if line_end == -1 else line_end
    alone = not text[line_start : span.start].strip() and not text[span.end : line_end].strip()
    segments = span.text.split("\n")
    if span.kind != "expression" and alone:
        return "\n".join(_blank(segment) for segment in segments)
    if len(segments) == 1:
        if span.kind != "expression":
            return _inline_tag_filler(text, span, line_start, line_end)
        return "_" * len(span.text)
    first, *middle, last = segments
    cr = "\r" if first.endswith("\r") else ""
    return "\n".join(
        ["(" + "_" * (len(first) - len(cr) - 1) + cr]
        + [_blank(segment) for segment in middle]
        + ["," + "_" * (len(last) - 2) + ")"]  # `last` ends with the closing delimiter
    )


def _filler_inside(span: PebbleSpan, context: str) -> str | None:
    """The filler of a construct inside a string literal or a comment: characters of
    the literal or comment, over as many lines; None when a line of the construct is
    empty, leaving no room for the continuation (the parser will report the string)."""
    segments = span.text.split("\n")
    filled: list[str] = []
    for number, segment in enumerate(segments):
        cr = "\r" if segment.endswith("\r") else ""
        width = len(segment) - len(cr)
        last = number == len(segments) - 1
        if context == STRING and not last:
            if width == 0:
                return None
            filled.append("_" * (width - 1) + "\\" + cr)
        elif context == COMMENT and number > 0:
            filled.append(("#" + "_" * (width - 1) if width else "") + cr)
        else:
            filled.append("_" * width + cr)
    return "\n".join(filled)


def _inline_tag_filler(text: str, span: PebbleSpan, line_start: int, line_end: int) -> str:
    """A one-line tag or comment sharing its line with code. It renders as nothing, so
    the filler must let the neighbours read as they will once rendered:

    * first on its line (``{% raw %}x = 1``): a name statement ending in ``;``, so the
      code after it keeps its place and still starts a statement;
    * last on its line (``x = 1 {# note #}``): trailing spaces;
    * glued to a name or number (``{% if a %}True{% else %}False``):
      underscores, one identifier with its neighbours (the old, still right filler);
    * anywhere else (``f(a, {% if b %}c{% endif %})``): spaces, like the rendered text.
    """
    before = text[line_start : span.start]
    after = text[span.end : line_end].rstrip("\r")
    if not after.strip():
        return " " * len(span.text)
    if not before.strip():
        return "_" * (len(span.text) - 1) + ";"
    if _joins(before[-1]) or _joins(after[0]):
        return "_" * len(span.text)
    return " " * len(span.text)


def _joins(char: str) -> bool:
    return char.isalnum() or char == "_"


def _blank(segment: str) -> str:
    """Spaces of the same length, keeping a CR so line endings stay as they were."""
    if segment.endswith("\r"):
        return " " * (len(segment) - 1) + "\r"
    return " " * len(segment)


# -- the value an expression reads (CL103's env names) ----------------------------------

# Patterns (``re`` caches their compiled form).
_KEY_ARGUMENT = r"""\s*\(\s*(?:'(?P<sq>[^']*)'|"(?P<dq>[^"]*)")"""
_STRING = r"'(?:[^'\\]|\\.)*'" + "|" + r'"(?:[^"\\]|\\.)*"'
_IDENTIFIER = r"(?<![\w.])[A-Za-z_]\w*"
_SEGMENT = r"""\s*(?:\.\s*(?P<attr>[A-Za-z_]\w*)|\[\s*(?:'(?P<sq>[^']*)'|"(?P<dq>[^"]*)"|[^\]]*)\s*\])"""
# Pebble variables whose name adds nothing to an env name: `inputs.table` → TABLE.
_CONTAINER_ROOTS = frozenset({"inputs", "vars", "envs", "globals", "labels", "outputs"})
# Functions whose first (string) argument is the name of the value: secret('API_TOKEN').
_KEYED_FUNCTIONS = frozenset({"secret", "kv", "envs", "globals"})
# Words of Pebble's expression language, never the start of a variable path.
PEBBLE_WORDS = frozenset(
    {"and", "or", "not", "is", "in", "true", "false", "null", "none", "if", "else", "equals", "contains", "defined",
     "empty", "iterable", "map", "odd", "even"}
)


def pebble_value_path(expression: str) -> list[str]:
    """The value an expression reads, as path segments: ``outputs.extract['uri']`` →
    ``["outputs", "extract", "uri"]``, ``secret('API_TOKEN')`` → ``["API_TOKEN"]``,
    ``now() | date('yyyy')`` → ``["now"]``; empty when there is none."""
    # Blank out string literals (same length) so words inside them are not read as names.
    text = re.sub(_STRING, lambda m: " " * len(m.group()), expression)
    function = None
    for match in re.finditer(_IDENTIFIER, text):
        word = match.group()
        if word.lower() in PEBBLE_WORDS:
            continue
        rest = text[match.end() :].lstrip()
        if rest.startswith("("):
            key = re.match(_KEY_ARGUMENT, expression[match.end() :]) if word in _KEYED_FUNCTIONS else None
            if key is not None:
                return [key.group("sq") if key.group("sq") is not None else key.group("dq")]
            function = function or word
            continue
        if text[: match.start()].rstrip().endswith("|"):
            continue  # a filter: `x | upper`
        return path_from(expression, word, match.end())[0]
    return [function] if function else []


def path_from(expression: str, word: str, position: int) -> tuple[list[str], int]:
    """The path of the variable ``word`` whose name ends at ``position``: its attribute
    and literal-key segments (``.uri``, ``['body']``; a computed key is skipped), and
    where the path ends."""
    path = [word]
    while True:
        segment = re.compile(_SEGMENT).match(expression, position)
        if segment is None:
            return path, position
        name = segment.group("attr") or segment.group("sq") or segment.group("dq")
        if name:
            path.append(name)
        position = segment.end()


def env_name_for(path: list[str]) -> str | None:
    """A SCREAMING_SNAKE env name for a Pebble value path: container variables
    (`inputs`, `vars`, `outputs`, …) are dropped, then the first and last segments
    are kept — ``inputs.table`` → TABLE, ``outputs.extract.uri`` → EXTRACT_URI,
    ``outputs.child.outputs.report`` → CHILD_REPORT, ``execution.id`` → EXECUTION_ID."""
    if len(path) > 1 and path[0] in _CONTAINER_ROOTS:
        path = path[1:]
    if not path:
        return None
    parts = [path[0]] if len(path) == 1 else [path[0], path[-1]]
    words = "_".join(re.sub(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])", "_", part) for part in parts)
    name = re.sub(r"[^A-Za-z0-9]+", "_", words).strip("_").upper()
    if not name or not words.isascii():  # `kv('clé')`: no env name to suggest
        return None
    return "_" + name if name[0].isdigit() else name
