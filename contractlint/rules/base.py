"""What a rule is: a small class with its identity, its documentation, its own
VALID/INVALID examples, and one or two ``check_*`` methods.

A rule never reads files or configuration itself: the engine hands it a parsed
``Flow`` or ``PythonCode`` and a ``RuleContext`` (its options and the project),
and it yields ``Diagnostic``s built with ``flow_diagnostic``/``code_diagnostic``.

A Python rule either declares the syntax-tree nodes it checks (``node_types``, CPython
``ast`` classes) and gets each of them in ``check_node`` — from the one traversal of
the code that every rule shares — or reads the whole code in ``check_python`` (the
shared ``code.analysis``, or facts derived from it such as ``env_facts``). No rule
walks the tree itself, and none imports libcst unless it builds a fix that needs it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

from contractlint.diagnostics import Diagnostic, Fix, Span

if TYPE_CHECKING:
    from contractlint.flow.model import Flow, Task
    from contractlint.project import Project
    from contractlint.python.code import PythonCode


@dataclass(frozen=True)
class Valid:
    """Input the rule must not report. ``code`` is a flow (YAML) or a module (Python)."""

    code: str
    path: str | None = None  # default: flows/example.yaml or example.py, by content
    files: dict[str, str] = field(default_factory=dict)  # other project files it needs
    config: dict[str, Any] = field(default_factory=dict)  # [tool.contractlint] keys
    note: str = ""  # one line shown by `contractlint rule`


@dataclass(frozen=True)
class Invalid(Valid):
    """Input the rule must report exactly ``count`` times; the first finding is checked
    against the given position and message fragment, and the fixed file against
    ``fixed`` (applying safe and unsafe fixes)."""

    line: int | None = None
    column: int | None = None
    end_line: int | None = None
    end_column: int | None = None
    message: str | None = None  # a fragment the first message must contain
    count: int = 1
    fixed: str | None = None


@dataclass(frozen=True)
class RuleContext:
    options: dict[str, Any]  # this rule's options, defaults filled in
    project: Project  # also the Kestra target (``project.target``)


class Rule:
    code: ClassVar[str]
    name: ClassVar[str]
    contract: ClassVar[str]  # "1".."5", "security" or "—" (file-level checks)
    summary: ClassVar[str]  # one line, shown by `contractlint rules`
    # Markdown with the sections "What it does", "Why is this bad?", "Example",
    # "Use instead" (ruff's layout); examples inside are for people, the VALID and
    # INVALID lists below are what the tests run.
    explanation: ClassVar[str]
    # JSON Schema properties of `[tool.contractlint.rules.<CODE>]`, each with a default.
    options: ClassVar[dict[str, dict[str, Any]]] = {}
    fix: ClassVar[str | None] = None  # "safe", "unsafe", "sometimes" or None: what `rule` shows
    # For code scanning (SARIF): how often a finding is a real problem (exact syntax and
    # pattern checks "very-high"; checks that reason about run time or match names lower),
    # GitHub's severity of a non-security problem ("error": breaks at run time or cannot
    # be checked; "warning": a likely defect; "recommendation": structure and hygiene), and
    # the CVSS-like security severity of a rule about security.
    precision: ClassVar[str] = "high"
    problem_severity: ClassVar[str] = "warning"
    security_severity: ClassVar[str | None] = None
    default_enabled: ClassVar[bool] = True
    # The Kestra versions the rule applies to (``contractlint.target``): from
    # ``kestra_min`` on (None: every version). ``kestra_opt_in``: what it reports is
    # also valid before that, so naming it in select/extend-select enables it there.
    # ``kestra_targets``: what `contractlint rule` says instead, for rules that behave
    # differently per version or edition.
    kestra_min: ClassVar[tuple[int, int] | None] = None
    kestra_opt_in: ClassVar[bool] = False
    kestra_targets: ClassVar[str] = ""
    # Which Python the rule reads: modules, inline scripts, or both.
    python_scope: ClassVar[tuple[str, ...]] = ("module", "inline")
    # The `ast` node classes handed to `check_node`, each node once, in traversal order.
    node_types: ClassVar[tuple[type, ...]] = ()
    # False for a rule that reads only the code's text (line counts, Pebble spans): it
    # also runs on code that does not parse, next to its CL003.
    needs_syntax_tree: ClassVar[bool] = True
    VALID: ClassVar[list[Valid]] = []
    INVALID: ClassVar[list[Invalid]] = []

    def check_flow(self, flow: Flow, context: RuleContext) -> Iterable[Diagnostic]:
        return ()

    def check_python(self, code: PythonCode, context: RuleContext) -> Iterable[Diagnostic]:
        return ()

    def check_node(self, node: Any, code: PythonCode, context: RuleContext) -> Iterable[Diagnostic]:
        """Check one node of ``code`` whose class is in ``node_types``."""
        return ()

    @classmethod
    def checks_python(cls) -> bool:
        return cls.check_python is not Rule.check_python or bool(cls.node_types)

    @classmethod
    def checks_flows(cls) -> bool:
        return cls.check_flow is not Rule.check_flow

    # -- building diagnostics ----------------------------------------------------

    def flow_diagnostic(
        self,
        flow: Flow,
        span: Span,
        message: str,
        task: Task | None = None,
        fix: Fix | None = None,
        fingerprint_text: str | None = None,
    ) -> Diagnostic:
        return Diagnostic(
            code=self.code,
            name=self.name,
            message=sentence(message),
            path=flow.source.path,
            span=span,
            flow=flow.ref,
            task=task.id if task is not None else None,
            fix=fix,
            fingerprint_text=fingerprint_text if fingerprint_text is not None else _excerpt(flow.source.text, span, flow),
        )

    def code_diagnostic(
        self,
        code: PythonCode,
        node_or_span: Any,
        message: str,
        fix: Fix | None = None,
        fingerprint_text: str | None = None,
    ) -> Diagnostic:
        """A finding at a syntax-tree node (anything placed like an ``ast`` node) or at a
        span in code coordinates of ``code``."""
        code_span = node_or_span if isinstance(node_or_span, Span) else code.code_span(node_or_span)
        span = code.file_span(code_span.line, code_span.column, code_span.end_line, code_span.end_column)
        if fingerprint_text is None:
            start = code.code_offset(code_span.line, code_span.column)
            end = code.code_offset(code_span.end_line, code_span.end_column)
            fingerprint_text = code.raw[start:end]
        return Diagnostic(
            code=self.code,
            name=self.name,
            message=sentence(message) + code.message_suffix(code_span.line),
            path=code.file.path,
            span=span,
            flow=code.flow.ref if code.flow is not None else None,
            task=code.task.id if code.task is not None else None,
            fix=fix if code.code_map.exact else None,
            fingerprint_text=fingerprint_text,
        )


def sentence(message: str) -> str:
    """Messages read as sentences, as ruff's do: a capital first letter."""
    return message[:1].upper() + message[1:]


def _excerpt(text: str, span: Span, flow: Flow) -> str:
    start = flow.source.offset(span.line, span.column)
    end = flow.source.offset(span.end_line, span.end_column)
    return text[start:end]
