"""Applying fixes: character edits of the file the user owns, nothing else.

A fix is a set of edits of the decoded file text. Non-overlapping fixes are applied
together; the file is linted again and the next round applies what the previous one
had to leave out (overlaps), until nothing changes. A round whose result no longer
parses is thrown away. The file is written once, atomically, at the end.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass, replace
from pathlib import Path

from contractlint.diagnostics import Diagnostic, Edit

MAX_ROUNDS = 10


@dataclass
class FixOutcome:
    text: str  # the final text (unchanged when nothing applied)
    applied: int  # number of fixes applied
    refused: list[Diagnostic]  # fixes thrown away because the result did not parse
    refused_keys: frozenset[tuple] = frozenset()  # their ``fix_key``s

    def without_refused(self, diagnostics: list[Diagnostic]) -> list[Diagnostic]:
        """``diagnostics`` of ``text``, minus the fixes that were refused: the report
        must not offer a fix that ``--fix`` just declined."""
        if not self.refused_keys:
            return diagnostics
        return [
            replace(d, fix=None) if d.fix is not None and fix_key(d, self.text) in self.refused_keys else d
            for d in diagnostics
        ]


def applicable(diagnostic: Diagnostic, unsafe_fixes: bool) -> bool:
    fix = diagnostic.fix
    return fix is not None and bool(fix.edits) and (fix.applicability == "safe" or unsafe_fixes)


def apply_edits(text: str, edits: list[Edit]) -> str:
    """Apply non-overlapping edits (offsets in ``text``)."""
    result: list[str] = []
    position = 0
    for edit in sorted(edits, key=lambda e: (e.start, e.end)):
        if edit.start < position:
            raise ValueError(f"overlapping edits at offset {edit.start}")
        result.append(text[position : edit.start])
        result.append(edit.content)
        position = edit.end
    result.append(text[position:])
    return "".join(result)


def select_fixes(diagnostics: list[Diagnostic], unsafe_fixes: bool) -> list[Diagnostic]:
    """Fixes that can go together in one round: the first of overlapping ones wins."""
    chosen: list[Diagnostic] = []
    taken: list[tuple[int, int]] = []
    seen_fixes = set()
    for diagnostic in sorted(diagnostics, key=lambda d: d.sort_key):
        if not applicable(diagnostic, unsafe_fixes) or diagnostic.fix in seen_fixes:
            continue
        ranges = [(edit.start, edit.end) for edit in diagnostic.fix.edits]
        if not _well_formed(ranges) or any(_overlaps(r, t) for r in ranges for t in taken):
            continue
        seen_fixes.add(diagnostic.fix)
        chosen.append(diagnostic)
        taken.extend(ranges)
    return chosen


def fix_key(diagnostic: Diagnostic, text: str) -> tuple:
    """What a fix does, independent of where earlier fixes moved it: which text it
    replaces with what (to recognise a refused fix in the next round)."""
    edits = tuple((text[edit.start : edit.end], edit.content) for edit in diagnostic.fix.edits)
    return (diagnostic.code, diagnostic.message, edits)


def _well_formed(ranges: list[tuple[int, int]]) -> bool:
    """A fix's own edits are ordered ranges that do not overlap (a rule bug otherwise)."""
    ordered = sorted(ranges)
    return all(start <= end for start, end in ordered) and all(
        previous[1] <= following[0] and previous != following
        for previous, following in zip(ordered, ordered[1:])
    )


def _overlaps(a: tuple[int, int], b: tuple[int, int]) -> bool:
    # Touching insertions at the same point would be applied in an arbitrary order.
    return a[0] < b[1] and b[0] < a[1] or a[0] == b[0]


def write_atomically(path: Path, data: bytes) -> None:
    """Replace ``path`` with ``data`` in one step, keeping its permissions: the file
    is either the old one or the new one, never half written. A file that does not
    exist yet is created with the permissions the umask gives a new file."""
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        mode = 0o666 & ~_umask()
    descriptor, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".contractlint", dir=path.parent)
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temporary, mode & 0o7777)
        os.replace(temporary, path)
    except BaseException:
        os.unlink(temporary)
        raise


def _umask() -> int:
    """The process's umask (reading it means setting it: put it straight back)."""
    current = os.umask(0)
    os.umask(current)
    return current
