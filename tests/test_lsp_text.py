"""The language server's text model (no pygls needed): LSP lines and position
encodings, incremental changes, and the one replacement a whole-file fix sends."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from contractlint.lsp.text import UTF8, UTF16, UTF32, TextIndex, apply_change, replacement

LINE = 'x = "日本語😀"; y = 1'  # 😀 is astral: two UTF-16 units, four UTF-8 bytes


@pytest.mark.parametrize(("encoding", "character"), [(UTF16, 11), (UTF8, 19), (UTF32, 10)])
def test_a_position_after_cjk_and_an_emoji_counts_the_encodings_units(encoding: str, character: int) -> None:
    text = f"a\n{LINE}\n"
    index = TextIndex(text, encoding)
    offset = text.index("; y")
    assert (index.position(offset).line, index.position(offset).character) == (1, character)
    assert index.offset(1, character) == offset


@pytest.mark.parametrize("newline", ["\n", "\r\n", "\r"])
def test_lines_end_at_the_three_lsp_terminators_only(newline: str) -> None:
    # Form feed, NEL and U+2028 are characters of their line for LSP (str.splitlines
    # would break there).
    text = newline.join(["one\x0c\x85\u2028two", "three", ""])
    index = TextIndex(text)
    assert index.line_count == 3
    assert index.position(text.index("three")) == index.position(text.index("three"))
    assert (index.position(text.index("three")).line, index.position(text.index("three")).character) == (1, 0)
    assert index.position(text.index("two")).character == 6


def test_positions_inside_a_crlf_or_past_a_line_are_the_line_end() -> None:
    text = "ab\r\ncd"
    index = TextIndex(text)
    assert index.position(3) == index.position(2)  # between \r and \n
    assert index.offset(0, 99) == 2
    assert index.offset(7, 0) == len(text)


def test_a_position_inside_a_surrogate_pair_moves_to_the_character_start() -> None:
    index = TextIndex("😀x")
    assert index.offset(0, 1) == 0
    assert index.offset(0, 2) == 1


def test_incremental_changes_apply_in_the_clients_units() -> None:
    text = f"{LINE}\r\nz = 2\r"
    changed = apply_change(text, (0, 11), (0, 18), "; y = 9", UTF16)
    assert changed == 'x = "日本語😀"; y = 9\r\nz = 2\r'
    assert apply_change(text, (2, 0), (2, 0), "tail\n", UTF16) == text + "tail\n"
    assert apply_change(text, None, None, "all new", UTF16) == "all new"


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ("a\r\nb", "a\r\nc", (3, 4, "c")),
        ("a\r\nb", "a\nb", (1, 3, "\n")),  # never between \r and \n
        ("keep maxAttempt: 3", "keep maxAttempts: 3", (15, 15, "s")),
        ("same", "same", None),
    ],
)
def test_the_replacement_is_minimal_and_never_splits_a_crlf(old: str, new: str, expected) -> None:
    found = replacement(old, new)
    assert (found if found is None else (found.start, found.end, found.content)) == expected


@given(st.text(alphabet="ab\r\n😀日", max_size=12), st.text(alphabet="ab\r\n😀日", max_size=12))
def test_the_replacement_turns_one_text_into_the_other(old: str, new: str) -> None:
    found = replacement(old, new)
    if found is None:
        assert old == new
        return
    assert old[: found.start] + found.content + old[found.end :] == new
    for boundary in (found.start, found.end):
        assert not (0 < boundary < len(old) and old[boundary - 1] == "\r" and old[boundary] == "\n")
    index = TextIndex(old)
    for boundary in (found.start, found.end):
        position = index.position(boundary)
        assert index.offset(position.line, position.character) == boundary
