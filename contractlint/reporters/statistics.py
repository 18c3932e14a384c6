"""``--statistics``: how often each rule fired, most frequent first, as ruff prints it.

Text: ``count<TAB>code<TAB>[*] name`` (the ``[*]``/``[ ]`` column only when something
is fixable), then the summary line. JSON (``--format json``): a list of
``{"code", "name", "count", "fixable"}`` with ``fixable`` the number of those
diagnostics ``--fix`` would fix.
"""

from __future__ import annotations

import json
from collections import Counter

from contractlint.reporters import ReportOptions, RunReport, fixable


def statistics(run: RunReport, options: ReportOptions) -> list[dict]:
    diagnostics = run.diagnostics
    counts = Counter(d.code for d in diagnostics)
    fixes = Counter(d.code for d in diagnostics if fixable(d, options.unsafe_fixes))
    names = {d.code: d.name for d in diagnostics}
    return [
        {"code": code, "name": names[code], "count": count, "fixable": fixes[code]}
        for code, count in sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    ]


def render_statistics(run: RunReport, options: ReportOptions, output_format: str = "text") -> str:
    rows = statistics(run, options)
    if output_format == "json":
        return json.dumps(rows, indent=2, ensure_ascii=False) + "\n"
    from contractlint.reporters.text_format import Style, summary_lines

    style = Style(options.color)
    count_width = max((len(str(row["count"])) for row in rows), default=1)
    code_width = max((len(row["code"]) for row in rows), default=1)
    any_fixable = any(row["fixable"] for row in rows)
    lines = []
    for row in rows:
        mark = ("[*] " if row["fixable"] else "[ ] ") if any_fixable else ""
        count = style(str(row["count"]).rjust(count_width), "bold")
        code = style(row["code"].ljust(code_width), "bold", "red")
        lines.append(f"{count}\t{code}\t{mark}{row['name']}")
    if not options.quiet:
        lines.extend(summary_lines(run, options, style))
    return "".join(line + "\n" for line in lines)
