"""``--format json``: one document with every diagnostic and a summary (see SPEC).

Its JSON Schema is ``contractlint/schemas/check-output.schema.json`` (the tests check
every output against it). Beyond the SPEC's fields: ``url`` (the rule's page, when the
``docs-url`` setting says where documentation is published, else null), and in the
summary ``unsafe_fixable`` (fixes that need ``--unsafe-fixes``) and, with ``--fix``,
``fixed``.
"""

from __future__ import annotations

import json

from contractlint import __version__
from contractlint.diagnostics import Diagnostic
from contractlint.reporters import ReportOptions, RunReport, fixable


def unsafe_only(diagnostic: Diagnostic, unsafe_fixes: bool) -> bool:
    """A fix that ``--fix`` applies only with ``--unsafe-fixes`` (which is not on)."""
    fix = diagnostic.fix
    return fix is not None and bool(fix.edits) and not fixable(diagnostic, unsafe_fixes)


def diagnostic_dict(diagnostic: Diagnostic, options: ReportOptions | None = None) -> dict:
    span = diagnostic.span
    fix = diagnostic.fix
    return {
        "code": diagnostic.code,
        "name": diagnostic.name,
        "severity": diagnostic.severity,
        "message": diagnostic.message,
        "path": diagnostic.path,
        "line": span.line,
        "column": span.column,
        "end_line": span.end_line,
        "end_column": span.end_column,
        "flow": diagnostic.flow,
        "task": diagnostic.task,
        "url": options.rule_url(diagnostic.code) if options is not None else None,
        "fix": None
        if fix is None
        else {
            "applicability": fix.applicability,
            "description": fix.description,
            "edits": [
                {
                    "line": edit.span.line,
                    "column": edit.span.column,
                    "end_line": edit.span.end_line,
                    "end_column": edit.span.end_column,
                    "content": edit.content,
                }
                for edit in fix.edits
            ],
        },
    }


def render(run: RunReport, options: ReportOptions) -> str:
    diagnostics = run.diagnostics
    document = {
        "version": __version__,
        "diagnostics": [diagnostic_dict(d, options) for d in diagnostics],
        "summary": {
            "files": run.files,
            "diagnostics": len(diagnostics),
            "fixable": sum(1 for d in diagnostics if fixable(d, options.unsafe_fixes)),
            "unsafe_fixable": sum(1 for d in diagnostics if unsafe_only(d, options.unsafe_fixes)),
        },
    }
    if run.fixed:
        document["summary"]["fixed"] = run.fixed
    if run.baselined or run.stale_baseline:
        # Only with --baseline: how much it hid, and how much of it matched nothing.
        document["summary"]["baselined"] = run.baselined
        document["summary"]["stale_baseline"] = run.stale_baseline
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"
