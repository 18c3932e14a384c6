"""``--format json``: one document with every diagnostic and a summary (see SPEC)."""

from __future__ import annotations

import json

from contractlint import __version__
from contractlint.diagnostics import Diagnostic
from contractlint.reporters import ReportOptions, RunReport, fixable


def diagnostic_dict(diagnostic: Diagnostic) -> dict:
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
        "diagnostics": [diagnostic_dict(d) for d in diagnostics],
        "summary": {
            "files": run.files,
            "diagnostics": len(diagnostics),
            "fixable": sum(1 for d in diagnostics if fixable(d, options.unsafe_fixes)),
        },
    }
    if run.baselined or run.stale_baseline:
        # Only with --baseline: how much it hid, and how much of it matched nothing.
        document["summary"]["baselined"] = run.baselined
        document["summary"]["stale_baseline"] = run.stale_baseline
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"
