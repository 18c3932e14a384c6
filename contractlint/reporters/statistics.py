"""``--statistics``: one line per rule with its count, most frequent first (as ruff)."""

from __future__ import annotations

from collections import Counter

from contractlint.reporters import ReportOptions, RunReport, fixable


def render_statistics(run: RunReport, options: ReportOptions) -> str:
    diagnostics = run.diagnostics
    counts = Counter(d.code for d in diagnostics)
    fixes = Counter(d.code for d in diagnostics if fixable(d, options.unsafe_fixes))
    names = {d.code: d.name for d in diagnostics}
    width = max((len(str(n)) for n in counts.values()), default=1)
    lines = []
    for code, count in sorted(counts.items(), key=lambda item: (-item[1], item[0])):
        mark = "[*]" if fixes[code] else "   "
        lines.append(f"{str(count).rjust(width)}\t{code}\t{mark} {names[code]}")
    if lines:
        total = len(diagnostics)
        fixable_total = sum(fixes.values())
        lines.append(f"Found {total} diagnostic{'' if total == 1 else 's'}"
                     + (f" ({fixable_total} fixable with --fix)." if fixable_total else "."))
    else:
        lines.append("All checks passed!")
    return "\n".join(lines) + "\n"
