"""What every stage after the rules speaks: spans, fixes and diagnostics.

Positions are 1-based lines and columns counted in Unicode code points, with an
exclusive end column (as SARIF), in the coordinates of the file the user edits.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, order=True)
class Span:
    line: int
    column: int
    end_line: int
    end_column: int


@dataclass(frozen=True)
class Edit:
    """Replace the characters ``start:end`` of the decoded file text with ``content``.

    ``expected`` is the text the rule read at ``start:end`` (``SourceFile.edit``
    records it): ``--fix`` refuses an edit whose span no longer holds exactly that
    text, so an offset that drifted never overwrites the wrong characters. None: not
    recorded (nothing to compare with)."""

    start: int
    end: int
    content: str
    span: Span
    expected: str | None = field(default=None, compare=False)


@dataclass(frozen=True)
class Fix:
    applicability: str  # "safe" or "unsafe"
    description: str
    edits: tuple[Edit, ...]


@dataclass(frozen=True)
class Diagnostic:
    code: str
    name: str
    message: str
    path: str  # as shown to the user: relative to the working directory, "/" separators
    span: Span
    flow: str | None = None  # "namespace.id" for flows, None for Python modules
    task: str | None = None
    fix: Fix | None = None
    severity: str = "error"
    # The text the finding is about, for baseline and SARIF fingerprints (never a secret:
    # rules that report secrets put a redacted excerpt here).
    fingerprint_text: str = field(default="", compare=False)
    # Spans of the file whose text must never be printed (a hardcoded secret): reporters
    # that show source replace these characters.
    redactions: tuple[Span, ...] = field(default=(), compare=False)
    # How dangerous what the finding is about is, for rules that grade it (CL103:
    # "injection", "leak", "data", "smell"); reporters that rank findings read it.
    grade: str | None = field(default=None, compare=False)

    @property
    def sort_key(self) -> tuple:
        return (self.path, self.span.line, self.span.column, self.code, self.message)
