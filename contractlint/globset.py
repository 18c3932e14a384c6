"""Glob matching in time linear in the path, for excludes and ``.gitignore`` files.

A glob such as ``*a*a*a*a*a*b`` translated to a backtracking regex takes time
exponential in the number of stars on a name that almost matches; a ``.gitignore``
is input we do not control. ruff matches with ``globset``, whose regexes run on an
automaton; this module does the same in Python: every pattern of a set becomes a small
NFA (Thompson's construction over glob tokens), and the set is matched by one DFA built
lazily from the NFA, a state at a time, the first time a character takes it there. A
match is one dictionary look-up per character once the states it needs exist; building
a state costs at most the size of the NFA, so even a cold match is linear in the path.
The DFA is capped (``MAX_STATES``) and rebuilt when it outgrows it, so a hostile set of
patterns cannot grow memory without bound either.

The glob dialect is git's ``wildmatch`` with ``WM_PATHNAME`` (``discovery`` parses the
patterns into tokens): ``*`` and ``?`` and classes never match ``/``, ``**`` as a
whole component matches across directories. A set answers which of its patterns is the
*last* one that matches (gitignore: the last matching line decides) or whether any does.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

MAX_STATES = 4096


@dataclass(frozen=True)
class Literal:
    char: str


@dataclass(frozen=True)
class CharClass:
    """One character other than ``/`` that is (or, ``negated``, is not) in ``ranges``
    (inclusive code point pairs). ``?`` is the negated empty class."""

    ranges: tuple[tuple[int, int], ...]
    negated: bool

    def matches(self, char: str) -> bool:
        if char == "/":
            return False
        point = ord(char)
        inside = any(low <= point <= high for low, high in self.ranges)
        return inside != self.negated


@dataclass(frozen=True)
class Star:
    """``*``: any run of characters other than ``/`` (``[^/]*``)."""


@dataclass(frozen=True)
class AnyRun:
    """A trailing ``**``: any run of characters, ``/`` included (``.*``)."""


@dataclass(frozen=True)
class Directories:
    """``**/``: zero or more whole directories (``(?:.*/)?``)."""


Token = Literal | CharClass | Star | AnyRun | Directories
ANY_BUT_SLASH = CharClass((), negated=True)

# NFA state kinds.
_LITERAL, _CLASS, _STAR, _ANY, _DIRS, _DIRS_INNER, _ACCEPT = range(7)


class GlobSet:
    """A set of token patterns, matched together."""

    def __init__(self, patterns: Sequence[Sequence[Token]]) -> None:
        kinds: list[int] = []
        data: list[object] = []
        accepts: list[int] = []  # pattern index for _ACCEPT states, -1 otherwise
        starts: list[int] = []
        inner: dict[int, int] = {}  # Directories state -> its inner loop state
        for index, tokens in enumerate(patterns):
            starts.append(len(kinds))
            for token in tokens:
                if isinstance(token, Literal):
                    kinds.append(_LITERAL)
                    data.append(token.char)
                elif isinstance(token, CharClass):
                    kinds.append(_CLASS)
                    data.append(token)
                elif isinstance(token, Star):
                    kinds.append(_STAR)
                    data.append(None)
                elif isinstance(token, AnyRun):
                    kinds.append(_ANY)
                    data.append(None)
                else:
                    kinds.append(_DIRS)
                    data.append(None)
                accepts.append(-1)
            kinds.append(_ACCEPT)
            data.append(None)
            accepts.append(index)
        # The inner loop of each `**/` lives after every pattern's states.
        for state, kind in enumerate(list(kinds)):
            if kind == _DIRS:
                inner[state] = len(kinds)
                kinds.append(_DIRS_INNER)
                data.append(state)
                accepts.append(-1)
        self._kinds = kinds
        self._data = data
        self._accepts = accepts
        self._inner = inner
        self._closures: dict[int, frozenset[int]] = {}
        start: set[int] = set()
        for state in starts:
            start |= self._closure(state)
        self._start_set = frozenset(start)
        self._reset()

    # -- the NFA ---------------------------------------------------------------------

    def _closure(self, state: int) -> frozenset[int]:
        """``state`` and what it reaches without reading a character."""
        if state not in self._closures:
            found = {state}
            current = state
            while self._kinds[current] in (_STAR, _ANY, _DIRS):  # each may match nothing
                current += 1
                found.add(current)
            self._closures[state] = frozenset(found)
        return self._closures[state]

    def _step(self, states: frozenset[int], char: str) -> frozenset[int]:
        kinds, data, closure = self._kinds, self._data, self._closure
        found: set[int] = set()
        for state in states:
            kind = kinds[state]
            if kind == _LITERAL:
                if data[state] == char:
                    found |= closure(state + 1)
            elif kind == _CLASS:
                if data[state].matches(char):  # type: ignore[union-attr]
                    found |= closure(state + 1)
            elif kind == _STAR:
                if char != "/":
                    found |= closure(state)
            elif kind == _ANY:
                found |= closure(state)
            elif kind == _DIRS:
                found.add(self._inner[state])
                if char == "/":
                    found |= closure(state + 1)
            elif kind == _DIRS_INNER:
                found.add(state)
                if char == "/":
                    found |= closure(data[state] + 1)  # type: ignore[operator]
        return frozenset(found)

    # -- the lazy DFA ----------------------------------------------------------------

    def _reset(self) -> None:
        self._ids: dict[frozenset[int], int] = {}
        self._sets: list[frozenset[int]] = []
        self._moves: list[dict[str, int]] = []
        self._last: list[int] = []
        self._dead = self._intern(frozenset())
        self._start = self._intern(self._start_set)

    def _intern(self, states: frozenset[int]) -> int:
        found = self._ids.get(states)
        if found is None:
            found = len(self._sets)
            self._ids[states] = found
            self._sets.append(states)
            self._moves.append({})
            accepted = [self._accepts[state] for state in states if self._kinds[state] == _ACCEPT]
            self._last.append(max(accepted) if accepted else -1)
        return found

    def _advance(self, state: int, char: str) -> int:
        states = self._sets[state]
        if len(self._sets) >= MAX_STATES:
            self._reset()
            state = self._intern(states)
        following = self._intern(self._step(states, char))
        self._moves[state][char] = following
        return following

    def last_match(self, text: str) -> int:
        """The index of the last pattern that matches all of ``text``; -1 for none."""
        state = self._start
        dead = self._dead
        for char in text:
            following = self._moves[state].get(char)
            if following is None:
                following = self._advance(state, char)
                dead = self._dead  # the DFA may have been rebuilt
            if following == dead:
                return -1
            state = following
        return self._last[state]

    def matches(self, text: str) -> bool:
        return self.last_match(text) >= 0
