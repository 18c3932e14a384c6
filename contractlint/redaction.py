"""What is never printed: the credentials in a file, found whatever rules run.

Source excerpts (``--show-source``, on by default on a terminal) and ``--diff`` show
lines of the file around a finding; those lines must not show a secret, whether or
not a rule reports it. ``file_secrets`` finds, as character ranges of the file:

* in any file, lexically — what is plainly a credential wherever it is written (a
  command, a comment, a Python string, a YAML file that does not parse): the
  password of a URL's userinfo (``postgresql://user:pw@host``, JDBC URLs too), a
  ``password=…`` parameter (``;password=…``, ``?token=…``, ``--password=…``, a shell
  ``export API_TOKEN=…``), curl's ``-u user:password``, Slack, Discord, Teams and
  Google Chat webhook URLs, a ``Bearer``
  token, a private key block, and tokens whose format says what they are
  (``xoxb-…``, ``ghp_…``, ``sk-live-…``, ``AKIA…``);
* in YAML that parses, every document (flow or not): the value of every key named
  like a secret (``password``, ``apiKey``, ``API_TOKEN``, ``clientSecret``…) at any
  depth — a scalar, or every scalar of a list or map given to it — and the
  ``defaults`` of an input (or entry with an ``id``) named like a secret or of type
  ``SECRET``. A value counts when it is literal: text outside its Pebble that says
  more than a scheme (CL403's rule, ``is_literal_text``);
* in YAML, line by line (a file that does not parse shows its lines in the CL001
  excerpt; one that parses may hold ``password: …`` inside a string, a script or a
  comment): ``key: value`` lines with a secret-named key, and the lines of a block
  scalar such a key opens;
* in Python (modules and inline scripts): a string literal assigned, passed or
  mapped to a secret-named name or key (``API_KEY = "…"``, ``connect(password="…")``,
  ``{"token": "…"}``, ``os.environ["DB_PASSWORD"] = "…"``). In an inline script
  whose positions cannot be mapped exactly (a folded or quoted scalar), the whole
  script is hidden.

Names are judged by CL403's tests (``is_secret_env_name``, ``is_secret_property``)
plus ``PASS``/``PWD`` words; hiding too much costs a less useful excerpt, hiding
too little leaks a credential into every terminal and CI log.
"""

from __future__ import annotations

import re
import tokenize
from collections.abc import Iterable, Iterator
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from contractlint.diagnostics import Diagnostic, Span
from contractlint.source import PYTHON_LINE_BREAK, SourceFile

if TYPE_CHECKING:
    from contractlint.python.code import PythonCode
    from contractlint.suppressions import ParsedFile

MASK = "********"
# Shorter text is not searched for in messages: a short "secret" would mask common
# words of a message, and is hardly a credential anyway.
MIN_SCRUBBED = 6

_PEBBLE_OR_PLACEHOLDER = re.compile(r"\{\{|\{%|\$\{")

# -- lexical: plainly a credential, wherever it is written ---------------------------------

# Patterns start with a literal or a small set of characters, so that the regex
# engine skips ahead, and bound every repetition that a later character must end, so
# that no line makes them backtrack quadratically: they run over every file.
_URL_PASSWORD = re.compile(r"://[^\s/@:'\"]{0,256}:([^\s/@'\"]{1,256})@")
# `name=value` as shells, URLs and command-line flags write it (no space around `=`):
# `export API_TOKEN=…`, `?token=…`, `;password=…`, `--password=…`.
_PARAMETER_VALUE = re.compile(
    r"=(\"[^\"\r\n]{0,512}\"|'[^'\r\n]{0,512}'|[^\s;&'\"()\[\]{},=]{1,512})"  # `name=value`
    r"|=[ \t]*(\"[^\"\r\n]{0,512}\"|'[^'\r\n]{0,512}')"  # `NAME = "…"`
)
_CODE_AFTER = frozenset("()[]{},.:")
# Invisible format characters (a BOM, zero-width spaces and joiners, bidi marks) may sit
# inside a name without changing how it reads: `DB_\ufeffPASSWORD` is still a password.
_INVISIBLE = "\u00ad\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\ufeff"
_INVISIBLE_CHARACTERS = re.compile(f"[{_INVISIBLE}]")
_PARAMETER_NAME = re.compile(rf"(?:^|(?<=[\s?&;,(\"'-]))([A-Za-z_{_INVISIBLE}][\w.{_INVISIBLE}-]*)[ \t]*\Z")
# curl's `-u user:password` (also `--user`).
_USER_OPTION = re.compile(r"(?:-u|--user)[ \t=]{1,8}['\"]?[^\s:'\"]{1,256}:([^\s@'\"]{1,256})")
_WEBHOOKS = re.compile(
    r"https://hooks\.slack\.com/(?:services|workflows|triggers)/[A-Za-z0-9/_-]+"
    r"|https://(?:ptb\.|canary\.)?discord(?:app)?\.com/api/webhooks/\d+/[A-Za-z0-9_-]+"
    r"|https://[A-Za-z0-9.-]{1,253}\.webhook\.office\.com/[^\s'\"]+"
    r"|https://chat\.googleapis\.com/v1/spaces/[^\s'\"]+"
)
_BEARER = re.compile(r"[Bb](?:earer|EARER)\s+([A-Za-z0-9._~+/-]{8,}=*)")
_PRIVATE_KEY = re.compile(
    r"-----BEGIN [A-Z ]*PRIVATE KEY-----.*?(?:-----END [A-Z ]*PRIVATE KEY-----|\Z)", re.DOTALL
)
# Tokens whose format says what they are, each found after its literal prefix.
_TOKEN_FORMATS = tuple(
    (prefix, re.compile(re.escape(prefix) + rest))
    for prefix, rest in (
        ("xox", r"[abposr]-[A-Za-z0-9-]{10,}"),
        ("gh", r"[pousr]_[A-Za-z0-9]{30,}"),
        ("github_pat_", r"[A-Za-z0-9_]{30,}"),
        ("glpat-", r"[A-Za-z0-9_-]{20,}"),
        ("k_live_", r"[A-Za-z0-9]{10,}"),
        ("k_test_", r"[A-Za-z0-9]{10,}"),
        ("sk-", r"(?:(?:live|proj|ant)-[A-Za-z0-9_-]{6,}|[A-Za-z0-9]{32,})"),
        ("AKIA", r"[0-9A-Z]{16}"),
        ("AIza", r"[0-9A-Za-z_-]{35}"),
    )
)


def lexical_secrets(text: str, parameters: bool = True) -> Iterator[tuple[int, int]]:
    """Credentials recognisable without knowing the syntax around them. ``parameters``
    False: not ``name=value`` (in Python that is code, and the tokenizer knows which
    values are literals)."""
    if "://" in text:
        for match in _URL_PASSWORD.finditer(text):
            if not _PEBBLE_OR_PLACEHOLDER.search(match.group(1)):
                yield match.span(1)
        for match in _WEBHOOKS.finditer(text):
            yield match.span()
    for match in _PARAMETER_VALUE.finditer(text) if parameters else ():
        name = _PARAMETER_NAME.search(text, max(0, match.start() - 100), match.start())
        group = 1 if match.group(1) is not None else 2  # `NAME = "…"`: spaces only before a quoted value
        value = match.group(group)
        if name is None or not is_secret_name(name.group(1)) or not _literal(value.strip("'\"")):
            continue
        if group == 1 and text[name.end(1) : match.start()]:
            continue  # `NAME =value`: not a parameter
        if value[:1] not in "'\"" and text[match.end(1) : match.end(1) + 1] in _CODE_AFTER:
            continue  # code, not a value: `password=get_password()`, `f(password=pw, …)`
        start, end = match.span(group)
        if value[:1] in "'\"" and len(value) >= 2:
            start, end = start + 1, end - 1
        if end > start:
            yield start, end
    if "-u" in text:
        for match in _USER_OPTION.finditer(text):
            start = match.start()
            if (start == 0 or text[start - 1] in " \t\"'") and not _PEBBLE_OR_PLACEHOLDER.search(match.group(1)):
                yield match.span(1)
    if "PRIVATE KEY-----" in text:
        for match in _PRIVATE_KEY.finditer(text):
            yield match.span()
    for prefix, pattern in _TOKEN_FORMATS:
        if prefix not in text:
            continue
        for match in pattern.finditer(text):
            start = match.start() - (1 if prefix.startswith("k_") else 0)  # `sk_live_`, `rk_live_`
            if prefix.startswith("k_") and (start < 0 or text[start] not in "sr"):
                continue
            if start == 0 or not (text[start - 1].isalnum() or text[start - 1] == "_"):
                yield start, match.end()
    if "earer" in text or "EARER" in text:
        for match in _BEARER.finditer(text):
            yield match.span(1)


# -- names ----------------------------------------------------------------------------------

_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
_PASSWORD_WORDS = frozenset({"PASS", "PWD", "PASSWORDS"})


@lru_cache(maxsize=4096)
def is_secret_name(name: str) -> bool:
    """A key, variable or parameter named like a secret (``apiKey``, ``DB_PASS``,
    ``client-secret``, ``X-Auth-Token``); not ``maxTokens``, ``tokenUrl``,
    ``SECRET_NAME``."""
    from contractlint.rules.credentials import is_secret_env_name, is_secret_property

    name = _INVISIBLE_CHARACTERS.sub("", name)
    if not name or len(name) > 200:
        return False
    snake = _CAMEL.sub("_", name).replace("-", "_").replace(".", "_")
    if is_secret_env_name(snake) or is_secret_property(name):
        return True
    words = [word for word in snake.upper().split("_") if word]
    return any(word in _PASSWORD_WORDS for word in words) and words[-1] in _PASSWORD_WORDS


def _literal(text: str) -> bool:
    from contractlint.rules.credentials import is_literal_text

    if text.count("{{") != text.count("}}") or text.count("{%") != text.count("%}"):
        # Cut inside a Pebble expression: in `key='{{ secret('K') }}'` the quote that
        # seemed to end the value is Pebble's. Not a value the lexer can delimit.
        return False
    return is_literal_text(text)


# -- YAML -------------------------------------------------------------------------------------


def yaml_secrets(source: SourceFile, roots: Iterable[Any]) -> Iterator[tuple[int, int]]:
    """Secret values of every document, by its structure."""
    from contractlint.flow import yaml_nodes as yn

    seen: set[int] = set()
    for root in roots:
        for node in yn.walk(root):
            if not yn.is_mapping(node):
                continue
            secret_entry = _names_a_secret(node)
            for key_node, value_node in node.value:
                key = yn.scalar_text(key_node)
                if key is None:
                    continue
                if is_secret_name(key) or (secret_entry and key in ("defaults", "default", "value", "values")):
                    yield from _literal_scalars(source, value_node, seen)


def _names_a_secret(mapping: Any) -> bool:
    """An input (or any entry with an ``id``/``name``) that holds a secret: named like
    one, or of Kestra's input type ``SECRET``."""
    from contractlint.flow import yaml_nodes as yn

    for key in ("id", "name"):
        name = yn.get_string(mapping, key)
        if name is not None and is_secret_name(name):
            return True
    kind = yn.get_string(mapping, "type")
    return kind is not None and kind.upper() == "SECRET"


def _literal_scalars(source: SourceFile, node: Any, seen: set[int]) -> Iterator[tuple[int, int]]:
    """Every literal scalar at or under ``node`` (the values of a list or map given to
    a secret-named key), as the span of its text."""
    from contractlint.flow import yaml_nodes as yn
    from contractlint.rules.credentials import BOOL_TAG, NULL_TAG

    stack = [node]
    while stack:
        child = stack.pop()
        if id(child) in seen:
            continue
        seen.add(id(child))
        if yn.is_mapping(child):
            stack.extend(value for _, value in reversed(child.value))  # the keys are names, not secrets
            continue
        if yn.is_sequence(child):
            stack.extend(reversed(child.value))
            continue
        if yn.tag_of(child) in (NULL_TAG, BOOL_TAG) or not _literal(child.value):
            continue
        start, end = yn.start_offset(child), yn.end_offset(source, child)
        if child.style in ("'", '"') and end - start >= 2 and source.text[start] == child.style:
            start, end = start + 1, end - 1  # the quotes stay: the excerpt still reads as YAML
        if end > start:
            yield start, end


_YAML_KEY_LINE = re.compile(
    r"""^(?P<indent>[ \t]*)(?:-[ \t]+)*"""  # indentation, sequence dashes
    r"""(?:"(?P<dq>[^"]*)"|'(?P<sq>[^']*)'|(?P<plain>[^\s#'"{\[][^:#]*?))"""  # the key
    r"""[ \t]*:(?:[ \t]+(?P<rest>.*))?$"""
)


def yaml_lexical_secrets(source: SourceFile, roots: list[Any] | None = None) -> Iterator[tuple[int, int]]:
    """Secret values read line by line: ``key: value`` lines whose key is named like a
    secret (the value up to a comment), and every line of a block scalar such a key
    opens (more indented than the key). With the parse (``roots``), a value that is
    a flow collection of the document is left to ``yaml_secrets``, which hides its
    scalars one by one; one inside a string (a script's line) is hidden whole."""
    collections: set[int] | None = None
    done = 0  # the last line a block scalar took
    # Only lines with a word a secret's name has can hold one: look at those.
    candidates = _lines_with_secret_words(source)
    for number in candidates:
        if number <= done:
            continue
        line = source.line_text(number)
        start = source.line_starts[number - 1]
        indent = len(line) - len(line.lstrip(" \t"))
        match = _YAML_KEY_LINE.match(line)
        if match is None:
            continue
        key = next((group for group in match.group("dq", "sq", "plain") if group is not None), "")
        rest = match.group("rest")
        if not is_secret_name(key.strip()) or rest is None:
            continue
        value = _without_comment(rest).rstrip()
        if value.lstrip("|>-+0123456789") == "" and value[:1] in ("|", ">"):
            done = number
            while done < source.line_count:  # the block: the lines more indented than its key
                following = source.line_text(done + 1)
                if following.strip() and len(following) - len(following.lstrip(" \t")) <= indent:
                    break
                done += 1
                if following.strip():
                    first = source.line_starts[done - 1] + len(following) - len(following.lstrip(" \t"))
                    yield first, source.line_starts[done - 1] + len(following)
            continue
        value_start = start + match.start("rest")
        if roots is not None and value[:1] in ("[", "{"):
            if collections is None:
                collections = _flow_collections(roots)
            if value_start in collections:
                continue
        if value and value.lower() not in _YAML_WORDS and _literal(value.strip("'\"")):
            quoted = len(value) >= 2 and value[0] == value[-1] and value[0] in "'\""
            yield (value_start + 1, value_start + len(value) - 1) if quoted else (value_start, value_start + len(value))


# Every name is_secret_name accepts holds one of these (case aside).
_SECRET_WORDS = ("pass", "pwd", "secret", "token", "key", "credential", "authori", "serviceaccount")
_SECRET_WORD = re.compile("(?i)" + "|".join(_SECRET_WORDS))


def _has_secret_word(ascii_text: str) -> bool:
    lowered = ascii_text.lower()
    return any(word in lowered for word in _SECRET_WORDS)


def _lines_with_secret_words(source: SourceFile) -> list[int]:
    """The numbers of the lines that hold a word a secret's name has, in order."""
    text = source.text
    if text.isascii():
        # str.find is many times faster than a case-blind alternation; lowering keeps
        # offsets only for ASCII (``"İ".lower()`` is two characters).
        lowered = text.lower()
        offsets = []
        for word in _SECRET_WORDS:
            at = lowered.find(word)
            while at != -1:
                offsets.append(at)
                at = lowered.find(word, at + len(word))
    else:
        offsets = [match.start() for match in _SECRET_WORD.finditer(text)]
    return sorted({source.line_of(offset) for offset in offsets})


def _flow_collections(roots: list[Any]) -> set[int]:
    from contractlint.flow import yaml_nodes as yn

    return {
        node.start_mark.index
        for root in roots
        for node in yn.walk(root)
        if (yn.is_mapping(node) or yn.is_sequence(node)) and node.flow_style
    }


# YAML's null and booleans: no secret, and words that messages use.
_YAML_WORDS = frozenset("~ null true false yes no on off".split())


def _without_comment(text: str) -> str:
    """``text`` up to a `` #`` comment outside quotes."""
    quote = None
    for index, char in enumerate(text):
        if quote:
            if char == quote:
                quote = None
        elif char in "'\"":
            quote = char
        elif char == "#" and (index == 0 or text[index - 1] in " \t"):
            return text[:index]
    return text


# -- Python -----------------------------------------------------------------------------------

# A cheap test before tokenizing: a secret-ish name, then `=` or `:`, then a quote.
_PYTHON_CANDIDATE = re.compile(
    r"(?i)(?:pass|pwd|secret|token|key|credential|auth)\w*['\"]?\s*\]?\s*(?::\s*\w+\s*)?[:=]\s*[rbuf]{0,2}['\"]"
)


def python_secrets(code: PythonCode) -> Iterator[tuple[int, int]]:
    """Secret-named string literals of a module or an inline script, as file ranges;
    the whole script value when its positions cannot be mapped."""
    if not _PYTHON_CANDIDATE.search(code.text):
        return
    # The tokenizer knows strings spanning lines and f-strings; the line scan also
    # reads comments, and code the tokenizer gives up on.
    raw_lines = PYTHON_LINE_BREAK.split(code.raw)
    found = [*_python_literals(code), *_assignments(code.text, raw_lines)]
    if not found:
        return
    if not code.code_map.exact:
        from contractlint.flow import yaml_nodes as yn

        if code.value_node is not None:
            yield yn.start_offset(code.value_node), yn.end_offset(code.file, code.value_node)
        return
    for (line, column), (end_line, end_column) in found:
        span = code.file_span(line, column + 1, end_line, end_column + 1)
        start, end = code.file.offset(span.line, span.column), code.file.offset(span.end_line, span.end_column)
        yield _string_body(code.file.text, start, end)


def _string_body(text: str, start: int, end: int) -> tuple[int, int]:
    """The characters of a Python string literal between its quotes (prefix, one or
    three quotes each side excluded), so that an excerpt shows `"********"`."""
    literal = text[start:end]
    prefix = len(literal) - len(literal.lstrip("rRbBuUfF"))
    triple = literal[prefix : prefix + 3]
    quote = triple if triple in ('"""', "\'\'\'") else literal[prefix : prefix + 1]
    if quote and literal.endswith(quote) and len(literal) >= prefix + 2 * len(quote):
        return start + prefix + len(quote), end - len(quote)
    return start, end


def _python_literals(code: PythonCode) -> Iterator[tuple[tuple[int, int], tuple[int, int]]]:
    """(start, end) code positions (1-based lines, 0-based columns) of the string
    literals given to a secret-named target: ``NAME = "…"``, ``NAME: T = "…"``,
    ``f(NAME="…")``, ``{"NAME": "…"}``, ``x["NAME"] = "…"``."""
    lines = [line + "\n" for line in PYTHON_LINE_BREAK.split(code.text)]
    raw_lines = PYTHON_LINE_BREAK.split(code.raw)
    significant: list[tokenize.TokenInfo] = []
    fstring_start = getattr(tokenize, "FSTRING_START", None)
    fstring_end = getattr(tokenize, "FSTRING_END", None)
    opened: tokenize.TokenInfo | None = None  # an f-string (3.12+: tokens of its own)
    depth = 0
    skipped = (tokenize.NL, tokenize.NEWLINE, tokenize.COMMENT, tokenize.INDENT, tokenize.DEDENT)
    try:
        for token in tokenize.generate_tokens(iter(lines).__next__):
            if token.type in skipped:
                continue
            if fstring_start is not None and token.type == fstring_start:
                opened = opened or token
                depth += 1
                continue
            if opened is not None:
                if token.type == fstring_end:
                    depth -= 1
                    if depth == 0:
                        if _secret_target(significant):
                            yield opened.start, token.end
                        significant.append(tokenize.TokenInfo(tokenize.STRING, "f''", opened.start, token.end, ""))
                        opened = None
                continue
            if token.type == tokenize.STRING and _secret_target(significant) and _literal_string(raw_lines, token):
                yield token.start, token.end
            significant.append(token)
            if len(significant) > 8:
                del significant[0]
    except (tokenize.TokenError, SyntaxError):
        return  # the code does not tokenize past here (CL003 says why); the line scan goes on


# `NAME = "…"`, `NAME: T = '…'`, `"KEY": "…"`, `x["KEY"] = "…"`, junk tolerated in between.
_PYTHON_ASSIGNMENT = re.compile(
    rf"""(?<![\w-])(?P<name>[A-Za-z_{_INVISIBLE}][\w{_INVISIBLE}-]*)['"]?\]?"""
    r"""(?:[ \t]*:[ \t]*[\w.\[\], |]{1,40}?(?==))?"""  # an annotation: `NAME: str = "…"`
    r"""(?:\x1b\[[0-9;]*[A-Za-z]|[^\w=:'"\r\n]){0,16}"""  # junk between (an escape sequence, say)
    r"""[=:][ \t]*[rRbBuUfF]{0,2}(?P<value>"[^"\r\n]{0,512}"|'[^'\r\n]{0,512}')"""
)


def _assignments(text: str, raw_lines: list[str]) -> Iterator[tuple[tuple[int, int], tuple[int, int]]]:
    for number, line in enumerate(PYTHON_LINE_BREAK.split(text), start=1):
        if line.isascii() and not _has_secret_word(line):
            continue  # every secret name has one of the words (a non-ASCII one may hide it)
        position = 0
        while (match := _PYTHON_ASSIGNMENT.search(line, position)) is not None:
            value_start, value_end = match.span("value")
            written = raw_lines[number - 1][value_start:value_end] if number <= len(raw_lines) else ""
            if is_secret_name(match.group("name")) and _literal(written.strip("'\"")):
                yield (number, value_start), (number, value_end)
                position = match.end()
            else:
                position = match.start("value")  # a later name may own a value after this one


def _secret_target(before: list[tokenize.TokenInfo]) -> bool:
    """Whether the tokens before a string literal assign, pass or map it to a
    secret-named name or key."""
    if len(before) < 2 or before[-1].type != tokenize.OP or before[-1].string not in ("=", ":"):
        return False
    target = before[-2]
    if target.type == tokenize.OP and target.string == "]" and len(before) >= 3:
        target = before[-3]  # x["API_KEY"] = "…"
    elif (
        before[-1].string == "="
        and target.type == tokenize.NAME
        and len(before) >= 4
        and before[-3].string == ":"
        and before[-4].type == tokenize.NAME
    ):
        target = before[-4]  # API_KEY: str = "…"
    if target.type == tokenize.NAME:
        return is_secret_name(target.string)
    if target.type == tokenize.STRING:
        return is_secret_name(target.string.strip("rbuRBU").strip("'\""))
    return False


def _literal_string(raw_lines: list[str], token: tokenize.TokenInfo) -> bool:
    """The literal as written (Pebble unmasked) holds a secret: not empty, not made by
    Pebble."""
    (line, column), (end_line, end_column) = token.start, token.end
    if line == end_line:
        written = raw_lines[line - 1][column:end_column]
    else:
        middle = raw_lines[line : end_line - 1]
        written = "\n".join([raw_lines[line - 1][column:], *middle, raw_lines[end_line - 1][:end_column]])
    body = written.lstrip("rRbBuUfF").strip("'\"")
    return _literal(body)


# -- the file -----------------------------------------------------------------------------------


def file_secrets(source: SourceFile, parsed: ParsedFile) -> tuple[Span, ...]:
    """Every secret of the file as spans (merged, in order): what no output shows."""
    ranges: list[tuple[int, int]] = list(lexical_secrets(source.text, parameters=source.syntax == "yaml"))
    if source.syntax == "yaml":
        # Line by line as well when it parses: a `password: …` line inside a quoted or
        # plain scalar, a script or a comment still reads as a credential.
        ranges.extend(yaml_lexical_secrets(source, parsed.documents))
        if parsed.documents is not None:
            ranges.extend(yaml_secrets(source, parsed.documents))
    for code in parsed.codes:
        ranges.extend(python_secrets(code))
    return tuple(source.span(start, end) for start, end in _merged(ranges))


def _merged(ranges: list[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for start, end in sorted(r for r in ranges if r[1] > r[0]):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


class FileSecrets:
    """A file's secrets, ready to hide: ``attach`` gives a diagnostic the file's
    redactions (one shared tuple; a diagnostic's own spans are merged in only when
    the file's do not cover them) and takes every secret out of its message and
    fingerprint text (a rule that quotes a value — a schema error, say — never quotes
    a credential). Fast for files with thousands of findings and secrets: messages
    are scanned once, looking secrets up by their first characters."""

    def __init__(self, source: SourceFile, spans: tuple[Span, ...]) -> None:
        self.source = source
        self.spans = spans
        ranges = [_offsets(source, span) for span in spans]
        self._starts = [start for start, _ in ranges]
        self._ends = [end for _, end in ranges]
        self._merged: dict[int, tuple[tuple[Span, ...], tuple[Span, ...]]] = {}  # id → (own spans, merged)
        self._by_prefix: dict[str, list[str]] = {}
        for text in sorted({source.text[start:end] for start, end in ranges}, key=len, reverse=True):
            if len(text.strip()) >= MIN_SCRUBBED:
                self._by_prefix.setdefault(text[:MIN_SCRUBBED], []).append(text)

    def covers(self, span: Span) -> bool:
        from bisect import bisect_right

        start, end = _offsets(self.source, span)
        index = bisect_right(self._starts, start) - 1
        return index >= 0 and end <= self._ends[index]

    def scrub(self, text: str) -> str:
        if not self._by_prefix or len(text) < MIN_SCRUBBED:
            return text
        pieces: list[str] = []
        last = index = 0
        while index <= len(text) - MIN_SCRUBBED:
            candidates = self._by_prefix.get(text[index : index + MIN_SCRUBBED], ())
            found = next((secret for secret in candidates if text.startswith(secret, index)), None)
            if found is None:
                index += 1
                continue
            pieces += [text[last:index], MASK]
            index = last = index + len(found)
        return text if not pieces else "".join(pieces) + text[last:]

    def attach(self, diagnostic: Diagnostic) -> Diagnostic:
        from dataclasses import replace

        own = diagnostic.redactions
        if id(own) not in self._merged:  # rules share one tuple among their diagnostics: merge it once
            covered = all(self.covers(span) for span in own)
            self._merged[id(own)] = (own, self.spans if covered else tuple(dict.fromkeys((*own, *self.spans))))
        redactions = self._merged[id(own)][1]
        return replace(
            diagnostic,
            redactions=redactions,
            message=self.scrub(diagnostic.message),
            fingerprint_text=self.scrub(diagnostic.fingerprint_text),
        )


def _offsets(source: SourceFile, span: Span) -> tuple[int, int]:
    return source.offset(span.line, span.column), source.offset(span.end_line, span.end_column)


def masked_text(source: SourceFile, spans: Iterable[Span]) -> str:
    """The file's text with every span replaced by the mask (overlapping spans once)."""
    ranges = _merged([_offsets(source, span) for span in spans])
    pieces: list[str] = []
    last = 0
    for start, end in ranges:
        pieces += [source.text[last:start], MASK]
        last = end
    return "".join(pieces) + source.text[last:]
