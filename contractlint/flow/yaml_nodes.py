"""YAML loaded as a node graph with the position of every node.

We use ruamel.yaml's composer, not its constructor: composed nodes carry start and
end marks (line, column, character index) and an alias is the *same* node object
as its anchor, so an alias bomb costs nothing until something expands it — and
nothing here does (``to_data`` shares objects and bounds the expanded size).
"""

from __future__ import annotations

import re
import sys
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from contractlint.diagnostics import Span
from contractlint.source import YAML_BREAK_CHARS, SourceFile, bracket_depth

MAP_TAG = "tag:yaml.org,2002:map"
SEQ_TAG = "tag:yaml.org,2002:seq"
# Expanding aliases beyond this many nodes is an alias bomb, not a flow.
MAX_EXPANDED_NODES = 200_000
# ruamel's composer recurses once per nesting level (several Python frames each);
# flows nest a dozen levels, so this only stops documents built to crash parsers.
MAX_NESTING = 400


class YamlError(Exception):
    def __init__(self, message: str, line: int, column: int) -> None:
        super().__init__(message)
        self.message = message
        self.line = line
        self.column = column


@dataclass(frozen=True)
class DuplicateKey:
    key: str
    node: Any  # the second (winning) key node
    first_line: int


def compose_documents(source: SourceFile) -> list[Any]:
    """Every document of the file as a root node; ``YamlError`` if it does not parse."""
    from ruamel.yaml.error import MarkedYAMLError, YAMLError

    depth = _excess_depth(source.text)
    if depth is not None:
        raise YamlError(f"document is nested {depth} levels deep (limit {MAX_NESTING})", 1, 1)
    loader = _loader()
    limit = sys.getrecursionlimit()
    try:
        sys.setrecursionlimit(max(limit, 10_000))
        return [node for node in loader.compose_all(source.text) if node is not None]
    except MarkedYAMLError as error:
        # A marked error names a problem, a context, or both (with their own marks).
        mark = error.problem_mark if error.problem_mark is not None else error.context_mark
        message = _clean_message(error.problem if error.problem else str(error.context))
        if error.context and error.problem and error.context_mark is not None:
            # "found unexpected end of stream" says little without "while scanning a
            # quoted scalar" and where that scalar started.
            context = _clean_message(error.context)
            line, column = _mark_position(source, error.context_mark)
            message += f" ({context} that starts at line {line}, column {column})"
        if mark is None:
            raise YamlError(message, 1, 1) from error
        raise YamlError(message, *_mark_position(source, mark)) from error
    except YAMLError as error:
        raise YamlError(_clean_message(str(error)), 1, 1) from error
    except RecursionError as error:
        raise YamlError("document is nested too deeply to load", 1, 1) from error
    finally:
        sys.setrecursionlimit(limit)


def _mark_position(source: SourceFile, mark: Any) -> tuple[int, int]:
    """Line and column of a mark, counted in the file's line model from the mark's
    character index (its own line and column are the parser's count)."""
    return source.position(max(0, min(mark.index, len(source.text))))


def _clean_message(message: str) -> str:
    return " ".join(message.split())


_LOADERS = threading.local()


def _loader() -> Any:
    """This thread's YAML loader: building one looks for plug-ins on disk, which costs more
    than composing a small flow, and ``compose_all`` starts afresh on every call."""
    from ruamel.yaml import YAML

    loader = getattr(_LOADERS, "loader", None)
    if loader is None:
        # The C parser (ruamel.yaml.clib) is ten times faster; marks count characters either way.
        loader = _LOADERS.loader = YAML(typ="safe")
        if getattr(loader.Parser, "__name__", "") == "CParser":
            loader.Resolver = _one_version_resolver(loader.Resolver)
    loader.doc_infos.clear()  # one entry per call otherwise, kept for the loader's life
    return loader


def _one_version_resolver(base: type) -> type:
    """ruamel's resolver looks up the YAML version of the stream twice for every scalar
    (each time raising and catching two AttributeErrors: half the time of composing a
    flow), and builds its table of patterns for that version anew for every stream. With
    the C parser the version is the loader's for the whole stream (a ``%YAML`` directive
    does not change it): it is looked up once per stream, and each version's table is
    built once (it is only read: no pattern is registered for "any first character",
    the one case where ruamel's ``resolve`` extends a list of the table)."""
    tables: dict[Any, Any] = {}

    class OneVersionResolver(base):  # type: ignore[misc, valid-type]
        @property
        def versioned_resolver(self) -> Any:
            found = self.__dict__.get("_contractlint_table")
            if found is None:
                version = self.processing_version
                key = version if isinstance(version, (tuple, str)) else repr(version)
                found = tables.get(key)
                if found is None:
                    found = base.versioned_resolver.fget(self)
                    if None not in found:  # else resolve() extends its lists: this stream's own
                        tables[key] = found
                self.__dict__["_contractlint_table"] = found
            return found

    return OneVersionResolver


# A block level needs at least one column of indentation (three columns stand for one
# level here): an indentation this long, or this many opening brackets, is needed to
# nest deeper than MAX_NESTING.
_DEEP_INDENT = re.compile(r"^ {%d}" % (3 * (MAX_NESTING + 1)), re.MULTILINE)


def _excess_depth(text: str) -> int | None:
    """The rough nesting depth of flow collections and indentation when it exceeds
    MAX_NESTING, else None. Cheap enough to run before the parser: counting and one
    regular-expression search run in C; the exact depth is worked out only for a text
    that could be too deep."""
    if text.count("[") + text.count("{") <= MAX_NESTING and _DEEP_INDENT.search(text) is None:
        return None
    depth = _max_flow_depth(text)
    return depth if depth > MAX_NESTING else None


def _max_flow_depth(text: str) -> int:
    """Rough nesting depth of flow collections and indentation."""
    deepest = bracket_depth(text, "[{", "]}")
    # Block nesting needs at least one column of indentation per level.
    longest_indent = max((len(line) - len(line.lstrip(" ")) for line in text.split("\n")), default=0)
    return max(deepest, longest_indent // 3)


# -- node access -----------------------------------------------------------------


def tag_of(node: Any) -> str:
    tag = node.tag
    return str(getattr(tag, "value", tag))


def is_mapping(node: Any) -> bool:
    return node is not None and node.id == "mapping"


def is_sequence(node: Any) -> bool:
    return node is not None and node.id == "sequence"


def is_scalar(node: Any) -> bool:
    return node is not None and node.id == "scalar"


def is_string(node: Any) -> bool:
    return is_scalar(node) and tag_of(node) == "tag:yaml.org,2002:str"


def string_value(node: Any) -> str | None:
    """The scalar's text if it is a string, else None."""
    return node.value if is_string(node) else None


def scalar_text(node: Any) -> str | None:
    """The scalar's text whatever its resolved type (``1`` → "1"), None for collections."""
    return node.value if is_scalar(node) else None


def items(node: Any) -> list[tuple[Any, Any]]:
    """Key/value node pairs of a mapping; empty for anything else."""
    return node.value if is_mapping(node) else []


def elements(node: Any) -> list[Any]:
    return node.value if is_sequence(node) else []


def get(node: Any, key: str) -> tuple[Any, Any] | None:
    """The (key node, value node) for ``key``; the last one wins, as in Kestra's parser."""
    found = None
    for key_node, value_node in items(node):
        if is_scalar(key_node) and key_node.value == key:
            found = (key_node, value_node)
    return found


def get_value(node: Any, key: str) -> Any:
    pair = get(node, key)
    return pair[1] if pair else None


def get_string(node: Any, key: str) -> str | None:
    return string_value(get_value(node, key))


def get_path(node: Any, *path: str) -> tuple[Any, Any] | None:
    """The (key node, value node) at ``path`` under ``node`` (``"env", "TOKEN"``); None
    when a step is missing."""
    found = None
    for key in path:
        found = get(node, key)
        if found is None:
            return None
        node = found[1]
    return found


def duplicate_keys(root: Any) -> Iterator[DuplicateKey]:
    """Repeated keys in any mapping (each node visited once, aliases included)."""
    for _, repeated in mappings_with_duplicate_keys(root):
        yield from repeated


def mappings_with_duplicate_keys(root: Any) -> list[tuple[Any, list[DuplicateKey]]]:
    """Every mapping under ``root`` that repeats a key, with its repeated keys (computed
    once per node tree: CL002 reports them, and the engine keeps fixes out of them)."""
    return _once("duplicates", root, lambda: list(_mappings_with_duplicate_keys(root)))


def _mappings_with_duplicate_keys(root: Any) -> Iterator[tuple[Any, list[DuplicateKey]]]:
    for node in walk(root):
        if not is_mapping(node):
            continue
        seen: dict[str, int] = {}
        repeated: list[DuplicateKey] = []
        for key_node, _ in node.value:
            if not is_scalar(key_node) or key_node.value == "<<":
                continue
            if key_node.value in seen:
                repeated.append(DuplicateKey(key_node.value, key_node, seen[key_node.value]))
            seen.setdefault(key_node.value, key_node.start_mark.line + 1)
        if repeated:
            yield node, repeated


def walk(root: Any) -> Iterator[Any]:
    """Every node once, depth first in document order, without recursion. Several
    rules walk each document: the order is computed once per node tree (the trees are
    never changed after composing; fixes edit the text)."""
    return iter(_once("walk", root, lambda: list(_walk(root))))


# (what, id(root)) -> (root, the answer); the root is kept so that its id is not reused.
_ONCE: dict[tuple[str, int], tuple[Any, Any]] = {}
_ONCE_KEPT = 64


def _once(what: str, root: Any, compute: Any) -> Any:
    """``compute()`` for this node tree, remembered for the trees of the last few files."""
    key = (what, id(root))
    known = _ONCE.get(key)
    if known is None or known[0] is not root:
        known = (root, compute())
        if len(_ONCE) >= _ONCE_KEPT:
            del _ONCE[next(iter(_ONCE))]  # the oldest: a run works on one file at a time
        _ONCE[key] = known
    return known[1]


def _walk(root: Any) -> Iterator[Any]:
    seen: set[int] = set()
    stack = [root]
    while stack:
        node = stack.pop()
        if node is None or id(node) in seen:
            continue
        seen.add(id(node))
        yield node
        if is_mapping(node):
            for key_node, value_node in reversed(node.value):
                stack.append(value_node)
                stack.append(key_node)
        elif is_sequence(node):
            stack.extend(reversed(node.value))


# -- positions -------------------------------------------------------------------


def start_offset(node: Any) -> int:
    return node.start_mark.index


def end_offset(source: SourceFile, node: Any) -> int:
    """End of the node's own text: block collections and block scalars stop at their
    last non-blank character rather than at the start of the next line."""
    end = node.end_mark.index
    if is_scalar(node) and node.style not in ("|", ">"):
        return end
    start = node.start_mark.index
    text = source.text
    while end > start and text[end - 1] in BLANKS:
        end -= 1
    return end


BLANKS = " \t" + YAML_BREAK_CHARS


def node_span(source: SourceFile, node: Any) -> Span:
    return source.span(start_offset(node), end_offset(source, node))


def first_line_span(source: SourceFile, node: Any) -> Span:
    """The node's span cut at the end of its first line (for big collections); at
    least one character when its line has one there (an empty node at the end of a
    line or of the file is an empty span: never one past the line)."""
    start = start_offset(node)
    line_end = source.content_end_of(start)
    end = min(end_offset(source, node), line_end)
    return source.span(start, end if end > start else min(start + 1, line_end))


# -- plain data ------------------------------------------------------------------


class ExpansionTooLarge(Exception):
    pass


def to_data(root: Any, scalar: Callable[[Any], Any] | None = None) -> Any:
    """Plain Python data (dict/list/str/int/float/bool/None) for schema validation.

    Aliased nodes become shared objects; the size the data would have if every alias
    were expanded is bounded by MAX_EXPANDED_NODES, so validation cannot blow up, and
    an alias that contains itself is refused. ``scalar`` turns a scalar node into its
    value (default: ``scalar_value``, the YAML 1.2 resolved value).

    Collections are remembered (an alias is its anchor's node, so a collection can be
    reached twice; a scalar reached twice is merely converted twice); the walk recurses
    once per level, which ``compose_documents`` bounds (MAX_NESTING).
    """
    convert = scalar_value if scalar is None else scalar
    built: dict[int, tuple[Any, int]] = {}  # collection → (data, expanded size)
    open_collections: set[int] = set()  # being built: an alias to one is a cycle

    def build(node: Any) -> tuple[Any, int]:
        kind = node.id
        if kind == "scalar":
            return convert(node), 1
        done = built.get(id(node))
        if done is not None:
            return done
        if id(node) in open_collections:
            raise ExpansionTooLarge("an alias refers to a node that contains it")
        open_collections.add(id(node))
        if kind == "mapping":
            data: Any = {}
            size = 1
            for key_node, value_node in node.value:
                key, key_size = build(key_node)
                value, value_size = build(value_node)
                if not isinstance(key, str):
                    key = str(key_node.value if key_node.id == "scalar" else key)
                data[key] = value
                size += key_size + value_size
        else:
            data = []
            size = 1
            for child in node.value:
                value, child_size = build(child)
                data.append(value)
                size += child_size
        if size > MAX_EXPANDED_NODES:
            raise ExpansionTooLarge(f"aliases expand to more than {MAX_EXPANDED_NODES} nodes")
        open_collections.discard(id(node))
        built[id(node)] = (data, size)
        return data, size

    return build(root)[0]


def scalar_value(node: Any) -> Any:
    """A scalar node's resolved value: None, bool, int, float or str."""
    tag = tag_of(node)
    text = node.value
    if tag == "tag:yaml.org,2002:null":
        return None
    if tag == "tag:yaml.org,2002:bool":
        return text.lower() in ("true", "yes", "on", "y")
    if tag == "tag:yaml.org,2002:int":
        cleaned = text.replace("_", "")
        try:
            if cleaned.lower().startswith(("0x", "-0x", "+0x")):
                return int(cleaned, 16)
            if cleaned.lower().startswith(("0o", "-0o", "+0o")):
                return int(cleaned, 8)
            return int(cleaned)
        except ValueError:
            return text
    if tag == "tag:yaml.org,2002:float":
        try:
            return float(text.replace("_", ""))
        except ValueError:
            # .inf / .nan spellings: a number all the same, its value does not matter here.
            return 0.0
    return text
