"""Applying fixes: character edits of the file the user owns, nothing else.

A fix is a set of edits of the decoded file text. Non-overlapping fixes are applied
together; the file is linted again and the next round applies what the previous one
had to leave out (overlaps), until nothing changes. A round whose result no longer
parses is thrown away. The file is written once, at the end.

Two checks stand between a rule's edits and the file, so that a wrong offset (a
line counted differently, a BOM a parser skipped) can never overwrite text the rule
did not mean:

* before a round, every edit must find at its span exactly the text the rule read
  there (``Edit.expected``); a fix whose edit does not is refused;
* before writing, the text outside the edits of every accepted round (``EditTrail``
  maps them back onto the original) must be character for character the original.

Writing keeps the file what it was (``write_file``): through a symbolic link the
link's target is written; owner, group and mode are kept; a file with hard links,
or whose owner cannot be kept, is rewritten in place (room reserved first, the old
bytes put back if the write fails) instead of replaced; a read-only file is not
written at all. Any failure is a ``NotWritten`` with the reason.
"""

from __future__ import annotations

import errno
import os
import stat
import tempfile
from dataclasses import dataclass, field, replace
from pathlib import Path

from contractlint.diagnostics import Diagnostic, Edit

MAX_ROUNDS = 10

NOT_PARSING = "the result would not parse"
DRIFTED = "the text at its span is not the text the rule read"


@dataclass
class FixOutcome:
    text: str  # the final text (unchanged when nothing applied)
    applied: int  # number of fixes applied
    refused: list[Diagnostic]  # fixes thrown away (the result did not parse, or the edit drifted)
    refused_keys: frozenset[tuple] = frozenset()  # their ``fix_key``s
    reasons: list[str] = field(default_factory=list)  # why, one per ``refused``
    trail: EditTrail | None = None  # what the applied rounds replaced, in the original's coordinates

    def without_refused(self, diagnostics: list[Diagnostic], text: str | None = None) -> list[Diagnostic]:
        """``diagnostics`` (of ``text``, by default the final text), minus the fixes that
        were refused: the report must not offer a fix that ``--fix`` declines."""
        if not self.refused_keys:
            return diagnostics
        of = self.text if text is None else text
        return [
            replace(d, fix=None) if d.fix is not None and fix_key(d, of) in self.refused_keys else d
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


def edits_hold(text: str, diagnostic: Diagnostic) -> bool:
    """Every edit of the fix lies inside ``text`` and finds there the text its rule
    read (when the rule recorded it)."""
    return all(
        0 <= edit.start <= edit.end <= len(text)
        and (edit.expected is None or text[edit.start : edit.end] == edit.expected)
        for edit in diagnostic.fix.edits
    )


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


# -- what the rounds changed, in the original's coordinates --------------------------------


@dataclass
class EditTrail:
    """The regions of the original text that accepted rounds replaced, each with where
    its replacement sits in the current text: ``(original start, original end,
    current start, current end)``, sorted and disjoint. Rounds edit the current text;
    ``record`` maps their edits back, merging regions they touch."""

    regions: list[tuple[int, int, int, int]] = field(default_factory=list)

    def record(self, edits: list[Edit]) -> None:
        # Last edit first: each one moves only what follows it.
        for edit in sorted(edits, key=lambda e: (e.start, e.end), reverse=True):
            self._record(edit.start, edit.end, len(edit.content))

    def _record(self, start: int, end: int, length: int) -> None:
        touched = [r for r in self.regions if r[2] <= end and start <= r[3]]
        before = [r for r in self.regions if r[3] < start]
        after = [r for r in self.regions if r[2] > end]
        current_start = min([start, *(r[2] for r in touched)])
        current_end = max([end, *(r[3] for r in touched)])
        if touched and touched[0][2] <= start:
            original_start = touched[0][0]
        else:
            original_start = self._original(current_start, before)
        if touched and touched[-1][3] >= end:
            original_end = touched[-1][1]
        else:
            original_end = self._original(current_end, before + touched)
        delta = length - (end - start)
        merged = (original_start, original_end, current_start, current_end + delta)
        self.regions = [*before, merged, *((a, b, c + delta, d + delta) for a, b, c, d in after)]

    @staticmethod
    def _original(offset: int, preceding: list[tuple[int, int, int, int]]) -> int:
        """The original offset of a current offset outside every region, given the
        regions before it."""
        if not preceding:
            return offset
        last = preceding[-1]
        return last[1] + (offset - last[3])

    def outside_unchanged(self, original: str, current: str) -> bool:
        """Whether every character outside the regions is the original's."""
        previous_original = previous_current = 0
        for original_start, original_end, current_start, current_end in self.regions:
            if original[previous_original:original_start] != current[previous_current:current_start]:
                return False
            previous_original, previous_current = original_end, current_end
        return original[previous_original:] == current[previous_current:]


# -- writing --------------------------------------------------------------------------------


class NotWritten(Exception):
    """The fixed file could not be written; ``reason`` says why, for a warning."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def write_file(path: Path, data: bytes, original: bytes | None = None) -> None:
    """Make the file at ``path`` hold ``data``: the file a link points to, with its
    owner, group, mode and hard links. Atomic (a temporary file renamed over it) when
    that keeps all of these; else in place, ``original`` (its current bytes) written
    back if the write fails half-way. ``NotWritten`` when it cannot be written."""
    target = Path(os.path.realpath(path))
    try:
        status = os.stat(target)
    except OSError as error:
        raise NotWritten(_reason(error)) from error
    if not stat.S_ISREG(status.st_mode):
        raise NotWritten("not a regular file")
    if status.st_mode & 0o222 == 0 or not os.access(target, os.W_OK):
        raise NotWritten("the file is read-only")
    if status.st_nlink == 1 and _replace(target, data, status):
        return
    _write_in_place(target, data, original)


def write_atomically(path: Path, data: bytes) -> None:
    """``write_file`` for files contractlint itself owns (a baseline): ``OSError`` on
    failure, as other writes raise."""
    try:
        write_file(path, data)
    except NotWritten as error:
        raise OSError(errno.EIO, error.reason) from error


def _replace(target: Path, data: bytes, status: os.stat_result) -> bool:
    """Write ``data`` to a temporary file next to ``target`` and rename it over
    ``target``; False (nothing changed) when the copy could not keep the owner and
    group, or the folder takes no new file while the file itself is writable."""
    try:
        descriptor, temporary = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".contractlint", dir=target.parent)
    except PermissionError:
        return False  # a folder we may not add to: the file itself may still be written
    except OSError as error:
        raise NotWritten(_reason(error)) from error
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(data)
            handle.flush()
            own = os.fstat(handle.fileno())
            if hasattr(os, "fchown") and (own.st_uid, own.st_gid) != (status.st_uid, status.st_gid):
                try:
                    os.fchown(handle.fileno(), status.st_uid, status.st_gid)
                except PermissionError:
                    handle.close()
                    os.unlink(temporary)
                    return False
            os.chmod(temporary, stat.S_IMODE(status.st_mode))  # after chown, which may clear set-id bits
            os.fsync(handle.fileno())
        os.replace(temporary, target)
    except OSError as error:
        _remove(temporary)
        raise NotWritten(_reason(error)) from error
    except BaseException:
        _remove(temporary)
        raise
    return True


def _write_in_place(target: Path, data: bytes, original: bytes | None) -> None:
    try:
        descriptor = os.open(target, os.O_WRONLY | getattr(os, "O_NOCTTY", 0))
    except OSError as error:
        raise NotWritten(_reason(error)) from error
    try:
        try:
            if hasattr(os, "posix_fallocate") and data:
                # Room first: a full disk (or a size limit) fails here, the file untouched.
                os.posix_fallocate(descriptor, 0, len(data))
        except OSError as error:
            if error.errno not in (errno.EOPNOTSUPP, errno.EINVAL, errno.ENOSYS):
                raise NotWritten(_reason(error)) from error
        try:
            _write_all(descriptor, data)
            os.ftruncate(descriptor, len(data))
            os.fsync(descriptor)
        except OSError as error:
            if original is not None:
                try:
                    _write_all(descriptor, original)
                    os.ftruncate(descriptor, len(original))
                except OSError as again:
                    raise NotWritten(f"{_reason(error)}; the file may be damaged ({_reason(again)})") from error
            raise NotWritten(_reason(error)) from error
    finally:
        os.close(descriptor)


def _write_all(descriptor: int, data: bytes) -> None:
    """``data`` from the start of the file (os.pwrite is not on every platform)."""
    os.lseek(descriptor, 0, os.SEEK_SET)
    view = memoryview(data)
    while view:
        view = view[os.write(descriptor, view) :]


def _remove(path: str) -> None:
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass  # never created, or already renamed


def _reason(error: OSError) -> str:
    return error.strerror if error.strerror else str(error)


def create_file(path: Path, data: bytes) -> None:
    """A new file at ``path`` holding ``data``, with the permissions the umask gives a
    new file; ``NotWritten`` when something is there already (a file, a link, a FIFO
    made meanwhile) or it cannot be made. A half-written file is removed."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOCTTY", 0) | getattr(os, "O_BINARY", 0)
    try:
        descriptor = os.open(path, flags, 0o666)
    except OSError as error:
        raise NotWritten(_reason(error)) from error
    try:
        _write_all(descriptor, data)
        os.fsync(descriptor)
    except OSError as error:
        os.close(descriptor)
        _remove(os.fspath(path))
        raise NotWritten(_reason(error)) from error
    os.close(descriptor)
