"""Rule documentation, rendered from the rule classes: ``contractlint rule``,
``contractlint rules``, SARIF rule help, and the pages in ``rules/`` (written by
``python -m contractlint.docs_gen``, kept in sync by a test).

One source: each rule's ``summary``, ``contract``, ``explanation`` (Markdown in
ruff's layout: "What it does", "Why is this bad?", "Example", "Use instead"),
``options``, ``fix``, ``default_enabled`` and its tested VALID/INVALID examples.
"""

from __future__ import annotations

import json
import re
import textwrap
from typing import Any, Callable

from contractlint.remedies import remedy
from contractlint.rules import Invalid, Rule, Valid, all_rules
from contractlint.target import rule_targets

CONTRACT_TITLES = {
    "1": "Contract 1 — thin inline scripts",
    "2": "Contract 2 — pluginDefaults inject credentials",
    "3": "Contract 3 — fail fast over fallbacks",
    "4": 'Contract 4 — os.environ["KEY"], never .get(KEY, default)',
    "5": "Contract 5 — DB-first stage handoff",
    "security": "Security",
    "migration": "Migration to Kestra 2.0",
    "—": "Input checks",
}

CONTRACT_STATEMENTS = {
    "1": "flow YAML holds inputs, task wiring, env injection and thin wrapper scripts — fewer than "
    "15 lines that import a module function, call it and emit its outputs; business logic lives "
    "in Python modules.",
    "2": "credentials and shared runtime values (tokens, DB host, cloud keys, EXECUTION_ID) reach "
    "every task through `pluginDefaults` (flow-level or the server's global defaults); a task's "
    "own `env:` only carries dynamic, task-specific values. Kestra 2.x has no `pluginDefaults`: "
    "in the Enterprise Edition Policies' `Add` rules take their place; in open source a credential "
    "comes from `secret()` in the task's env, never a literal.",
    "3": "no synthetic data, no silent fallbacks: a missing prompt or field crashes.",
    "4": "a missing environment variable must raise a `KeyError` that names it, not run on a wrong "
    "default.",
    "5": "stages (flows) hand work to each other through the database, keyed by an identifier; "
    "they do not pipe payloads through Kestra outputs into the next stage's inputs.",
    "security": "secrets reach flows through Kestra's secret store, never as literals in the YAML.",
    "migration": "a flow runs on the Kestra it targets (`kestra-version`): these rules apply to a 2.0 or later "
    "target and report what Kestra 2.0 rejects, renames or runs differently, each with the migration guide's "
    "replacement. The renames that 1.3 already accepts can be selected by name on a 1.x target to migrate "
    "before upgrading.",
    "—": "the file can be read and parsed, and has the structure Kestra requires, so that the "
    "contract rules can check it.",
}

FIX_TEXT = {
    None: "No automatic fix.",
    "safe": "Safe fix: `contractlint check --fix` applies it.",
    "unsafe": "Unsafe fix: it may change behaviour, so it is applied only with "
    "`contractlint check --fix --unsafe-fixes`.",
    "sometimes": "A fix is available in some cases (see the examples): `contractlint check --fix`.",
}

FIX_SHORT = {None: "", "safe": "safe", "unsafe": "unsafe", "sometimes": "some"}


def fix_short(rule: type[Rule]) -> str:
    """The fix column of the listings: "", "safe", "unsafe" or "some"."""
    return FIX_SHORT[rule.fix] if rule.fix in FIX_SHORT else str(rule.fix)

SECTIONS = ("What it does", "Why is this bad?", "Example", "Use instead")


# -- pieces of a rule ------------------------------------------------------------------------


def contracts(rule: type[Rule]) -> list[str]:
    """The contracts a rule serves: ``"2, 4"`` → ``["2", "4"]``."""
    return [part.strip() for part in str(rule.contract).split(",") if part.strip()]


def contract_line(rule: type[Rule], bold: bool = False) -> str:
    """``Contract 1 — thin inline scripts: flow YAML holds …`` for each contract served."""
    parts = []
    for contract in contracts(rule):
        title = CONTRACT_TITLES[contract] if contract in CONTRACT_TITLES else f"Contract {contract}"
        statement = CONTRACT_STATEMENTS[contract] if contract in CONTRACT_STATEMENTS else ""
        head = f"**{title}:**" if bold else f"{title}:"
        parts.append(f"{head} {statement}" if statement else head.replace(":", "."))
    return " ".join(parts)


def summary_sentence(rule: type[Rule]) -> str:
    summary = rule.summary.strip()
    return summary if summary.endswith((".", "!", "?")) else summary + "."


def listed_summary(rule: type[Rule]) -> str:
    summary = rule.summary
    if rule.kestra_min is not None:
        summary += f" (Kestra {rule.kestra_min[0]}.{rule.kestra_min[1]}+)"
    if rule.default_enabled or "off by default" in rule.summary:
        return summary
    return f"{summary} (off by default)"


def fix_text(rule: type[Rule]) -> str:
    return FIX_TEXT[rule.fix] if rule.fix in FIX_TEXT else str(rule.fix)


def explanation(rule: type[Rule]) -> str:
    return textwrap.dedent(rule.explanation).strip()


def sections(markdown: str) -> dict[str, str]:
    """``## Heading`` → body, ignoring headings inside fenced code."""
    found: dict[str, list[str]] = {}
    current: list[str] | None = None
    fenced = False
    for line in markdown.splitlines():
        if line.lstrip().startswith("```"):
            fenced = not fenced
        if not fenced and line.startswith("## "):
            current = found.setdefault(line[3:].strip(), [])
            continue
        if current is not None:
            current.append(line)
    return {title: "\n".join(lines).strip() for title, lines in found.items()}


def _json_value(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def options_markdown(rule: type[Rule]) -> list[str]:
    if not rule.options:
        return ["None."]
    lines = []
    for name, schema in rule.options.items():
        kind = schema["type"] if "type" in schema else "value"
        if isinstance(kind, list):
            kind = " or ".join(kind)
        if kind == "array" and "items" in schema and "type" in schema["items"]:
            kind = f"list of {schema['items']['type']}s"
        description = schema["description"] if "description" in schema else ""
        lines.append(f"- `{name}` ({kind}, default `{_json_value(schema.get('default'))}`): {description}")
    lines += [
        "",
        "Set in `pyproject.toml` (or at the top level of `.contractlint.toml`):",
        "",
        "```toml",
        *toml_lines({"rules": {rule.code: {name: schema.get("default") for name, schema in rule.options.items()}}}),
        "```",
    ]
    return lines


_BARE_KEY = re.compile(r"^[A-Za-z0-9_-]+$")


def _toml_key(key: str) -> str:
    return key if _BARE_KEY.match(key) else _json_value(key)


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{_toml_key(k)} = {_toml_value(v)}" for k, v in value.items()) + " }"
    return _json_value(value)


def toml_lines(table: dict[str, Any], prefix: str = "tool.contractlint") -> list[str]:
    """A ``[tool.contractlint]`` table as TOML (strings, numbers, booleans, lists, tables)."""
    scalars = [(k, v) for k, v in table.items() if not isinstance(v, dict)]
    tables = [(k, v) for k, v in table.items() if isinstance(v, dict)]
    lines = []
    if scalars or not tables:
        lines.append(f"[{prefix}]")
        lines += [f"{_toml_key(k)} = {_toml_value(v)}" for k, v in scalars]
    for key, value in tables:
        if lines:
            lines.append("")
        lines += toml_lines(value, f"{prefix}.{_toml_key(key)}")
    return [line for index, line in enumerate(lines) if line or (index and lines[index - 1])]


def _example_path(example: Valid) -> str:
    from contractlint.testing import example_path

    return example_path(example)


def _language(path: str) -> str:
    if path.endswith(".py"):
        return "python"
    if path.endswith((".yaml", ".yml")):
        return "yaml"
    if path.endswith(".toml"):
        return "toml"
    return "text"


def _fenced(path: str, text: str) -> list[str]:
    text = text.replace("\r\n", "\n")  # an example of a CRLF file: the page shows its lines
    fence = "````" if "```" in text else "```"
    return [f"{fence}{_language(path)}", text.rstrip("\n"), fence]


def example_markdown(
    example: Valid, verdict: str, output: list[str] | None = None, fix: str | None = None
) -> list[str]:
    path = _example_path(example)
    head = f"### {verdict}: `{path}`"
    if example.note:
        head += f" — {example.note}"
    lines = [head, ""]
    if example.config:
        lines += ["With this configuration:", "", "```toml", *toml_lines(example.config), "```", ""]
    for other, content in example.files.items():
        lines += [f"With `{other}`:", "", *_fenced(other, content), ""]
    if example.files or example.config:
        lines += [f"`{path}`:", ""]
    lines += [*_fenced(path, example.code), ""]
    if isinstance(example, Invalid):
        if output:
            lines += ["Output of `contractlint check`:", "", "```text", *output, "```", ""]
        elif example.line is not None:
            where = f"line {example.line}" + (f", column {example.column}" if example.column is not None else "")
            lines += [f"Reported at {where}" + (f": {example.message}" if example.message else "") + ".", ""]
        if example.fixed is not None and example.fixed != example.code:
            command = "contractlint check --fix --unsafe-fixes" if fix == "unsafe" else "contractlint check --fix"
            lines += [f"After `{command}`:", "", *_fenced(path, example.fixed), ""]
    return lines


# -- whole documents ----------------------------------------------------------------------------


def standard_sections(rule: type[Rule], fix: bool) -> list[str]:
    """``## Options`` (and ``## Fix``) unless the explanation has its own."""
    own = sections(explanation(rule))
    lines: list[str] = []
    if "Options" not in own:
        lines += ["## Options", "", *options_markdown(rule), ""]
    if fix and "Fix" not in own:
        lines += ["## Fix", "", fix_text(rule), ""]
    return lines


def rule_help_markdown(rule: type[Rule]) -> str:
    """The rule's explanation with its options and fix: SARIF ``help.markdown``."""
    lines = [
        f"**{rule.code} {rule.name}** — {summary_sentence(rule)}",
        "",
        f"*{contract_line(rule)}*",
        "",
        explanation(rule),
        "",
        *standard_sections(rule, fix=True),
    ]
    return "\n".join(lines).strip() + "\n"


def suppression_markdown(rule: type[Rule]) -> list[str]:
    lines = []
    if rule.code != "CL000":
        lines.append(
            f"Silence one finding with `# noqa: {rule.code}` at the end of the reported line; "
            f"`# noqa: {rule.code}` on a task's `id:` line covers the whole task, its inline script included."
        )
        lines.append("")
    lines.append(
        f'Turn the rule off with `ignore = ["{rule.code}"]` in `[tool.contractlint]` (or `--ignore {rule.code}`), '
        f'or for some files with `per-file-ignores = {{ "legacy/**" = ["{rule.code}"] }}`.'
    )
    return lines


def rule_markdown(rule: type[Rule], outputs: dict[int, list[str]] | None = None) -> str:
    """The rule's page (``rules/<CODE>.md``), and what ``contractlint rule`` renders.

    ``outputs`` maps the index of an INVALID example to the lines `contractlint check`
    prints for it (the pages show them; the terminal shows the position only)."""
    enabled = (
        "yes"
        if rule.default_enabled
        else f'no — enable it with `extend-select = ["{rule.code}"]` or `--extend-select {rule.code}`'
    )
    if rule.default_enabled and rule.kestra_min is not None:
        enabled = f"yes, on a Kestra {rule.kestra_min[0]}.{rule.kestra_min[1]} or later target"
    lines = [
        f"# {rule.code} {rule.name}",
        "",
        summary_sentence(rule),
        "",
        f"- {contract_line(rule, bold=True)}",
        f"- **Fix:** {fix_text(rule)}",
        f"- **Enabled by default:** {enabled}.",
        f"- **Kestra versions:** {rule_targets(rule)}",
        "",
        explanation(rule),
        "",
        *standard_sections(rule, fix=False),
        "## Suppression",
        "",
        *suppression_markdown(rule),
        "",
    ]
    if rule.INVALID or rule.VALID:
        lines += [
            "## Tested examples",
            "",
            "The test suite runs each of these examples with only this rule selected.",
            "",
        ]
        for index, example in enumerate(rule.INVALID):
            output = outputs[index] if outputs is not None and index in outputs else None
            lines += example_markdown(example, "Reported", output, rule.fix)
        for example in rule.VALID:
            lines += example_markdown(example, "Not reported")
    return "\n".join(lines).rstrip("\n") + "\n"


def example_outputs(rule: type[Rule]) -> dict[int, list[str]]:
    """Run each INVALID example and return the concise lines `contractlint check` prints."""
    import tempfile
    from pathlib import Path

    from contractlint.reporters.text_format import Style, diagnostic_line
    from contractlint.testing import run_example

    outputs = {}
    style = Style(color=False)
    for index, example in enumerate(rule.INVALID):
        with tempfile.TemporaryDirectory(prefix="contractlint-docs-") as folder:
            run = run_example(rule, example, Path(folder))
            # A message may name another project file by its full path: show it relative
            # to the example's project, so that pages do not depend on the temporary folder.
            prefixes = sorted({str(Path(folder)) + "/", str(Path(folder).resolve()) + "/"}, key=len, reverse=True)
            lines = []
            for diagnostic in run.diagnostics:
                line = diagnostic_line(diagnostic, style)
                for prefix in prefixes:
                    line = line.replace(prefix, "")
                lines.append(line)
        outputs[index] = lines
    return outputs


def rule_json(rule: type[Rule]) -> dict[str, Any]:
    def example(item: Valid) -> dict[str, Any]:
        data: dict[str, Any] = {"path": _example_path(item), "code": item.code}
        if item.files:
            data["files"] = dict(item.files)
        if item.config:
            data["config"] = item.config
        if item.note:
            data["note"] = item.note
        if isinstance(item, Invalid):
            data.update(line=item.line, column=item.column, end_line=item.end_line, end_column=item.end_column,
                        message=item.message, count=item.count, fixed=item.fixed)
        return data

    return {
        **_rule_head(rule),
        "kestra_opt_in": rule.kestra_opt_in,
        "kestra_targets": rule_targets(rule),
        "options": {name: dict(schema) for name, schema in rule.options.items()},
        "explanation": explanation(rule),
        "examples": {"invalid": [example(e) for e in rule.INVALID], "valid": [example(e) for e in rule.VALID]},
    }


# -- Markdown as terminal text ----------------------------------------------------------------

_INLINE_CODE = re.compile(r"`([^`]+)`")
_BOLD = re.compile(r"\*\*([^*]+)\*\*")
_EMPHASIS = re.compile(r"(?<![\w*])\*([^*\s][^*]*)\*(?![\w*])")
_LINK = re.compile(r"\[([^\]]+)\]\(([^)]+)\)")


def markdown_to_text(markdown: str, style: Callable[..., str] | None = None) -> str:
    """Markdown made plain: headings underlined, code blocks indented without fences,
    links as ``text (url)``. With ``style`` (a ``text_format.Style`` on a terminal),
    headings are bold and code is coloured; without it, no escape codes at all."""

    def paint(text: str, *names: str) -> str:
        return style(text, *names) if style is not None else text

    def prose(text: str) -> str:
        text = _LINK.sub(lambda m: m.group(1) if not m.group(2).startswith("http") else f"{m.group(1)} ({m.group(2)})", text)
        if style is None:
            return _EMPHASIS.sub(r"\1", _BOLD.sub(r"\1", text))
        return _EMPHASIS.sub(lambda m: paint(m.group(1), "bold"), _BOLD.sub(lambda m: paint(m.group(1), "bold"), text))

    def inline(text: str) -> str:
        """Prose markup outside `code` spans only: `*.py` is not emphasis."""
        parts = re.split(r"(`[^`]+`)", text)
        return "".join(
            (part if style is None else paint(part[1:-1], "cyan")) if index % 2 else prose(part)
            for index, part in enumerate(parts)
        )

    out: list[str] = []
    fence: str | None = None
    for line in markdown.splitlines():
        stripped = line.strip()
        if fence is not None:
            if stripped == fence:
                fence = None
                continue
            out.append(("    " + paint(line, "cyan")) if line else "")
            continue
        if stripped.startswith("```"):
            fence = stripped[: len(stripped) - len(stripped.lstrip("`"))]
            continue
        heading = re.match(r"^(#{1,6}) (.*)$", line)
        if heading:
            level, title = len(heading.group(1)), inline(heading.group(2).strip())
            plain = re.sub(r"\x1b\[[0-9;]*m", "", title)
            if level <= 2:
                out += [paint(title, "bold"), ("=" if level == 1 else "-") * len(plain)]
            else:
                out.append(paint(title, "bold"))
            continue
        out.append(inline(line))
    return "\n".join(out).rstrip("\n") + "\n"


def rule_text(rule: type[Rule], style: Callable[..., str] | None = None) -> str:
    """What `contractlint rule CODE` prints: the rule's page as readable plain text."""
    return markdown_to_text(rule_markdown(rule), style)


# -- listings --------------------------------------------------------------------------------------


def _rule_head(rule: type[Rule]) -> dict[str, Any]:
    """What a rule's entry starts with, in `rule --format json` and in `rules` listings."""
    return {
        "code": rule.code,
        "name": rule.name,
        "contract": rule.contract,
        "summary": rule.summary,
        "remedy": remedy(rule.code),
        "fix": rule.fix,
        "default_enabled": rule.default_enabled,
        "kestra_min": ".".join(map(str, rule.kestra_min)) if rule.kestra_min is not None else None,
    }


def rule_listing_json(rule: type[Rule]) -> dict[str, Any]:
    """One rule as `contractlint rules --format json` lists it."""
    return {
        **_rule_head(rule),
        "options": {name: schema.get("default") for name, schema in rule.options.items()},
    }


def rules_listing(output_format: str, rules: tuple[type[Rule], ...] | None = None) -> str:
    """Every rule (or ``rules``), as text, JSON or a Markdown table."""
    rules = all_rules() if rules is None else rules
    if output_format == "json":
        return json.dumps([rule_listing_json(rule) for rule in rules], indent=2, ensure_ascii=False) + "\n"
    if output_format == "markdown":
        return "\n".join(rules_table(rules, "rules/")) + "\n"
    rows = [("Code", "Name", "Contract", "Fix", "Summary")]
    for rule in rules:
        summary = listed_summary(rule)
        rows.append((rule.code, rule.name, rule.contract, fix_short(rule), summary))
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    return "".join(
        "  ".join(cell.ljust(width) for cell, width in zip(row[:4], widths)) + "  " + row[4] + "\n" for row in rows
    )


def _table_cell(text: str) -> str:
    return text.replace("|", "\\|")


def rules_table(rules: tuple[type[Rule], ...], link_prefix: str) -> list[str]:
    lines = ["| Code | Name | Contract | Summary | Fix |", "|---|---|---|---|---|"]
    for rule in rules:
        summary = listed_summary(rule)
        lines.append(
            f"| [{rule.code}]({link_prefix}{rule.code}.md) | {rule.name} | {_table_cell(rule.contract)} "
            f"| {_table_cell(summary)} | {fix_short(rule) if rule.fix is not None else '—'} |"
        )
    return lines


def rules_index_markdown(rules: tuple[type[Rule], ...] | None = None) -> str:
    """``rules/README.md``: every rule, grouped by the contract it enforces."""
    rules = all_rules() if rules is None else rules
    lines = [
        "# contractlint rules",
        "",
        "<!-- Generated by `python -m contractlint.docs_gen` from the rule classes; do not edit. -->",
        "",
        "`contractlint rule CODE` prints a page in the terminal; `contractlint rules` lists them.",
        "",
    ]
    order = list(CONTRACT_TITLES)
    groups: dict[str, list[type[Rule]]] = {}
    for rule in rules:
        first = contracts(rule)[0] if contracts(rule) else "—"
        groups.setdefault(first, []).append(rule)
    for key in sorted(groups, key=lambda k: (order.index(k) if k in order else len(order), k)):
        title = CONTRACT_TITLES[key] if key in CONTRACT_TITLES else f"Contract {key}"
        lines += [f"## {title}", ""]
        if key in CONTRACT_STATEMENTS:
            statement = CONTRACT_STATEMENTS[key]
            lines += [statement[0].upper() + statement[1:], ""]
        lines += [*rules_table(tuple(groups[key]), ""), ""]
    return "\n".join(lines).rstrip("\n") + "\n"
