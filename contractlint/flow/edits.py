"""Edits of YAML text that change one thing and leave every other byte alone.

``delete_entry`` removes one entry of a mapping — its key, its value (block scalars
and quoted scalars spanning lines included), the comment at the end of its last
line and the comment lines that belong to it — and nothing else: indentation,
other comments, blank lines, line endings (whichever the file uses, in the YAML
line model of ``contractlint.source``) and a missing newline at the end of the file
stay as they were.

What belongs to an entry, in a block mapping::

    env:
      # Comment lines directly above the key, at the key's indentation and with no
      # blank line in between, describe the entry: they go with it.
      DB_HOST: db.internal   # so does the comment at the end of its last line
      # ...but this one is above the next entry: it stays.
      DB_PORT: "5432"

In a flow mapping (``{A: x, B: y}``) the entry and one separating comma go
(``A: x, `` or ``, B: y``); only a flow mapping written on one line is edited (one
spanning lines may hold comments whose owner is ambiguous): otherwise there is no
edit. The same holds for anything unusual — an explicit ``? key``, a key sharing
its line with something other than a sequence dash, text after the value — where
``delete_entry`` returns None rather than guess.

``replace_scalar``, ``rename_key`` and ``insert_entry`` change a value, a key, or add
an entry at the end of a mapping, with the same care: the style a scalar is written
in is kept, an added line takes the mapping's indentation and the file's line
endings, and what would need guessing gets no edit. ``insert_entries`` adds several
(``{}`` becomes ``{K: v}``), ``insert_mapping_before`` adds a key holding a block
mapping above an entry (an ``env:`` above a ``script:``, above the comments that
belong to it), and ``fill_empty_value`` gives a key written with no value
(``env:``) its entries.

Nodes are the composed nodes of ``yaml_nodes`` (marks are character offsets).
"""

from __future__ import annotations

import re
from typing import Any

from contractlint.diagnostics import Edit
from contractlint.flow import yaml_nodes as yn
from contractlint.source import SourceFile


def content_end(source: SourceFile, node: Any) -> int:
    """Offset just past the last character a node is written with: for a block
    collection, the end of its last value (its end mark may lie past trailing
    comments); for a block scalar, the end of its last non-blank line."""
    while (yn.is_mapping(node) or yn.is_sequence(node)) and not node.flow_style and node.value:
        last = node.value[-1]
        node = last[1] if yn.is_mapping(node) else last
    return yn.end_offset(source, node)


def shared_nodes(root: Any) -> set[int]:
    """``id()`` of every node reached more than once (an anchor and its aliases):
    editing the text of such a node changes every place that uses it."""
    seen: set[int] = set()
    shared: set[int] = set()
    for node in yn.walk(root):
        children = [child for pair in node.value for child in pair] if yn.is_mapping(node) else (
            node.value if yn.is_sequence(node) else []
        )
        for child in children:
            if id(child) in seen:
                shared.add(id(child))
            seen.add(id(child))
    return shared


def delete_entry(
    source: SourceFile,
    mapping: Any,
    index: int,
    parent: tuple[Any, int] | None = None,
) -> Edit | None:
    """The edit that deletes entry ``index`` of ``mapping`` cleanly, or None when it
    cannot be done without guessing.

    When it is the mapping's only entry and ``parent`` — ``(parent mapping, index of
    the entry whose value is mapping)`` — is given, that parent entry is deleted
    instead (so an ``env:`` is not left empty); without ``parent`` there is no edit.
    """
    entries = yn.items(mapping)
    if not 0 <= index < len(entries):
        raise IndexError(f"mapping has no entry {index}")
    if len(entries) == 1:
        if parent is None:
            return None
        parent_mapping, parent_index = parent
        if yn.items(parent_mapping)[parent_index][1] is not mapping:
            raise ValueError("parent entry does not hold this mapping")
        return delete_entry(source, parent_mapping, parent_index)
    neighbours = entries[max(0, index - 1) : index + 2]
    if not all(written_at_marks(source, node) for pair in neighbours for node in pair):
        return None  # the marks do not point at these nodes' text: never guess where they are
    if mapping.flow_style:
        span = _flow_entry(source, mapping, index)
    else:
        span = _block_entry(source, mapping, index)
    if span is None:
        return None
    start, end = span
    return source.edit(start, end, "")


def written_at_marks(source: SourceFile, node: Any) -> bool:
    """Whether the file text at the node's marks is how the node is written: a plain
    scalar's words, a quoted scalar's quotes, a block scalar's indicator, a flow
    collection's bracket, a block sequence's dash. A cheap check, independent of the
    line model, that an offset has not drifted (a BOM the parser did not count, a
    line break counted differently) before text is deleted by those offsets."""
    text = source.text
    start, end = node.start_mark.index, node.end_mark.index
    if not 0 <= start <= end <= len(text):
        return False
    raw = text[start:end]
    if yn.is_scalar(node):
        if not node.style:  # plain (None, or "" from the C parser)
            return raw == node.value if not source.has_line_break(start, end) else raw.split() == node.value.split()
        if node.style in ("'", '"'):
            return len(raw) >= 2 and raw[0] == raw[-1] == node.style
        return raw[:1] == node.style  # `|` or `>`
    if node.flow_style:
        return raw[:1] == ("{" if yn.is_mapping(node) else "[")
    if yn.is_sequence(node):
        return raw[:1] == "-"
    first = yn.items(node)[0][0] if yn.items(node) else None
    return first is None or written_at_marks(source, first)


# -- block mappings ---------------------------------------------------------------


def _block_entry(source: SourceFile, mapping: Any, index: int) -> tuple[int, int] | None:
    text = source.text
    entries = yn.items(mapping)
    key_node, value_node = entries[index]
    if not yn.is_scalar(key_node):
        return None  # a collection as a key
    key_start = key_node.start_mark.index
    line_start = source.line_start_of(key_start)
    before_key = text[line_start:key_start]
    end = _after_trailing_comment(source, content_end(source, value_node))
    if end is None:
        return None  # something other than a comment follows the value on its line
    if before_key.strip(" \t") == "":
        start = _leading_comments_start(source, entries, index, line_start, len(before_key))
        end = source.next_line_start(end)
        if end == len(text) and not source.ends_with_line_break and start > 0:
            # The last line of a file without a final newline: take the line break
            # before the entry instead, so the file still ends without one.
            start -= len(source.line_ending(source.line_of(start - 1)))
        return start, end
    if before_key.strip(" \t") == "-" and index == 0:
        # `- KEY: value` opening a sequence item: the next key moves up to the dash.
        next_key = entries[1][0]
        if next_key.start_mark.index < source.next_line_start(end):
            return None
        return key_start, next_key.start_mark.index
    return None  # `? key`, or a key after other text on its line


def _leading_comments_start(
    source: SourceFile, entries: list[tuple[Any, Any]], index: int, line_start: int, indent: int
) -> int:
    """Start of the comment lines that belong to the entry whose key line starts at
    ``line_start``: directly above, at the key's indentation, no blank line between."""
    floor = content_end(source, entries[index - 1][1]) if index > 0 else 0
    start = line_start
    while start > 0:
        previous_line = source.line_of(start - 1)
        previous = source.line_starts[previous_line - 1]
        if previous < floor:
            break
        line = source.line_text(previous_line)
        stripped = line.lstrip(" ")
        if not stripped.startswith("#") or len(line) - len(stripped) != indent:
            break
        start = previous
    return start


# -- flow mappings ----------------------------------------------------------------


def _flow_entry(source: SourceFile, mapping: Any, index: int) -> tuple[int, int] | None:
    text = source.text
    mapping_start = mapping.start_mark.index
    mapping_end = mapping.end_mark.index
    if source.has_line_break(mapping_start, mapping_end):
        return None  # spans lines: may hold comments, leave it to the user
    entries = yn.items(mapping)
    for key_node, _ in entries:
        if not yn.is_scalar(key_node) or text[mapping_start : key_node.start_mark.index].rstrip().endswith("?"):
            return None  # a collection as a key, or an explicit `? key`
    if index < len(entries) - 1:
        # `A: x, ` — up to the next key.
        return entries[index][0].start_mark.index, entries[index + 1][0].start_mark.index
    # The last entry: `, B: y` — from the end of the previous value.
    return content_end(source, entries[index - 1][1]), content_end(source, entries[index][1])


# -- lines ------------------------------------------------------------------------


def _after_trailing_comment(source: SourceFile, offset: int) -> int | None:
    """``offset`` if the rest of its line is blank or a comment (the line's content
    then ends there or after the comment), None if anything else follows."""
    stripped = source.text[offset : source.content_end_of(offset)].strip(" \t")
    return offset if stripped == "" or stripped.startswith("#") else None


# -- replacing and adding ------------------------------------------------------------

_PLAIN_SAFE = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.\-/]*$")


def replace_scalar(source: SourceFile, node: Any, value: str) -> Edit | None:
    """The edit that makes scalar ``node`` read ``value``, in the style it is written
    in (plain, single- or double-quoted); None for block scalars, scalars spanning
    lines, and a plain scalar whose new value would need quotes."""
    if not yn.is_scalar(node):
        return None
    start, end = node.start_mark.index, node.end_mark.index
    if source.has_line_break(start, end):
        return None
    if node.style in (None, ""):
        if not _PLAIN_SAFE.match(value):
            return None
        content = value
    elif node.style == "'":
        content = "'" + value.replace("'", "''") + "'"
    elif node.style == '"':
        content = '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    else:
        return None
    return source.edit(start, end, content)


def rename_key(source: SourceFile, key_node: Any, new_key: str) -> Edit | None:
    """The edit that renames a mapping key (written plain or quoted, on one line)."""
    return replace_scalar(source, key_node, new_key)


def insert_entry(source: SourceFile, mapping: Any, key: str, value: str) -> Edit | None:
    """The edit that adds ``key: value`` as the last entry of ``mapping`` (``value`` is
    YAML text: ``true``, ``{type: x}``), or None when that cannot be done without
    guessing: a multi-line flow mapping, a mapping whose keys do not start their
    lines."""
    return insert_entries(source, mapping, [(key, value)])


def insert_entries(source: SourceFile, mapping: Any, entries: list[tuple[str, str]]) -> Edit | None:
    """The edit that adds each ``key: value`` of ``entries``, in order, after the last
    entry of ``mapping`` (``{}`` becomes ``{key: value}``); None as ``insert_entry``."""
    text = source.text
    existing = yn.items(mapping)
    if not entries:
        raise ValueError("nothing to insert")
    if mapping.flow_style:
        start, end = mapping.start_mark.index, mapping.end_mark.index
        if source.has_line_break(start, end) or not text[start:end].endswith("}"):
            return None
        added = ", ".join(f"{key}: {value}" for key, value in entries)
        if not existing:
            if text[start:end].replace(" ", "") != "{}":
                return None
            return source.edit(start, end, "{" + added + "}")
        at = content_end(source, existing[-1][1])
        return source.edit(at, at, ", " + added)
    if not existing:
        return None
    first_key = existing[0][0]
    indent = first_key.start_mark.column
    line_start = source.line_start_of(first_key.start_mark.index)
    if text[line_start : first_key.start_mark.index].strip(" -") != "":
        return None
    last = existing[-1][1]
    if _keeps_trailing_lines(source, last):
        return None  # `|+` keeps its trailing blank lines: a line after them would change the value
    at = _line_end(source, content_end(source, last))
    newline = source.newline_at(at)
    content = "".join(f"{newline}{' ' * indent}{key}: {value}" for key, value in entries)
    return source.edit(at, at, content)


def insert_mapping_before(
    source: SourceFile, mapping: Any, index: int, key: str, entries: list[tuple[str, str]]
) -> Edit | None:
    """The edit that adds ``key:`` holding a block mapping of ``entries`` to block
    mapping ``mapping``, on the lines just above entry ``index`` (and the comment lines
    that belong to it); when that entry shares its line with a sequence dash, after the
    last entry instead. The nested entries are indented one step (the step the mapping
    already uses for its block values, else two spaces) deeper than the keys."""
    text = source.text
    existing = yn.items(mapping)
    if mapping.flow_style or not 0 <= index < len(existing) or not entries:
        return None
    key_node = existing[index][0]
    if not yn.is_scalar(key_node):
        return None
    indent = key_node.start_mark.column
    step = _indent_step(mapping, indent)
    key_start = key_node.start_mark.index
    line_start = source.line_start_of(key_start)
    before = text[line_start:key_start]
    lines = [f"{' ' * indent}{key}:"] + [f"{' ' * (indent + step)}{k}: {v}" for k, v in entries]
    if before.strip(" ") == "":
        at = _leading_comments_start(source, existing, index, line_start, len(before))
        newline = source.newline_at(key_start)
        return source.edit(at, at, "".join(line + newline for line in lines))
    if before.strip(" ") != "-":
        return None
    # `- script: |` opens the task: the new key goes after its last entry.
    last = existing[-1][1]
    if _keeps_trailing_lines(source, last):
        return None
    at = _line_end(source, content_end(source, last))
    newline = source.newline_at(at)
    return source.edit(at, at, "".join(newline + line for line in lines))


def fill_empty_value(source: SourceFile, key_node: Any, value_node: Any, entries: list[tuple[str, str]]) -> Edit | None:
    """The edit that gives a key written with no value at all (``env:`` and nothing
    else on its line but a comment) a block mapping of ``entries``, below it."""
    text = source.text
    if not yn.is_scalar(value_node) or text[value_node.start_mark.index : value_node.end_mark.index].strip():
        return None
    key_end = key_node.end_mark.index
    colon = _skip_blanks(text, key_end)
    if colon >= len(text) or text[colon] != ":":
        return None
    if _after_trailing_comment(source, colon + 1) is None:
        return None
    indent = key_node.start_mark.column
    line_start = source.line_start_of(key_node.start_mark.index)
    if text[line_start : key_node.start_mark.index].strip(" ") != "":
        return None
    at = _line_end(source, colon)
    newline = source.newline_at(colon)
    content = "".join(f"{newline}{' ' * (indent + 2)}{k}: {v}" for k, v in entries)
    return source.edit(at, at, content)


def _keeps_trailing_lines(source: SourceFile, node: Any) -> bool:
    """A block scalar with ``+`` chomping: its trailing blank lines are part of it."""
    if not yn.is_scalar(node) or node.style not in ("|", ">"):
        return False
    return "+" in source.text[node.start_mark.index : _line_end(source, node.start_mark.index)]


def _line_end(source: SourceFile, offset: int) -> int:
    """Offset of the line break ending the line that holds ``offset``, or the end of
    the text (the file's own line model: a lone CR or NEL ends a YAML line too)."""
    return source.line_end(source.line_of(offset))


def _skip_blanks(text: str, offset: int) -> int:
    """The first offset at or after ``offset`` that is not a space or a tab."""
    while offset < len(text) and text[offset] in " \t":
        offset += 1
    return offset


def _indent_step(mapping: Any, indent: int) -> int:
    """How much deeper than its keys a block mapping indents the block mappings it
    holds (two when it holds none)."""
    for _, value in yn.items(mapping):
        if yn.is_mapping(value) and not value.flow_style and yn.items(value):
            step = yn.items(value)[0][0].start_mark.column - indent
            if step > 0:
                return step
    return 2


def duplicate_key_regions(roots: list[Any]) -> list[tuple[int, int]]:
    """The character ranges of every mapping that repeats a key, in any document."""
    return [
        (node.start_mark.index, node.end_mark.index)
        for root in roots
        for node, _ in yn.mappings_with_duplicate_keys(root)
    ]
