"""Rule documentation, rendered from the rule classes: ``contractlint rule``,
``contractlint rules`` and the pages in ``rules/`` (kept in sync by a test)."""

from __future__ import annotations

import json
import textwrap

from contractlint.rules import Invalid, Rule, Valid, all_rules

CONTRACTS = {
    "1": "Contract 1 — thin inline scripts",
    "2": "Contract 2 — pluginDefaults inject credentials",
    "3": "Contract 3 — fail fast over fallbacks",
    "4": 'Contract 4 — os.environ["KEY"], never .get(KEY, default)',
    "5": "Contract 5 — DB-first stage handoff",
    "security": "Security",
    "—": "Input checks",
}

FIX_TEXT = {
    None: "No automatic fix.",
    "safe": "Safe fix available (`--fix`).",
    "unsafe": "Unsafe fix available (`--fix --unsafe-fixes`).",
    "sometimes": "Fix available for some cases (see above).",
}


def _fix_text(rule: type[Rule]) -> str:
    return FIX_TEXT[rule.fix] if rule.fix in FIX_TEXT else str(rule.fix)


def _options_lines(rule: type[Rule]) -> list[str]:
    lines = []
    for name, schema in rule.options.items():
        default = json.dumps(schema.get("default"))
        lines.append(f"- `{name}` ({schema.get('type', 'value')}, default `{default}`): {schema.get('description', '')}")
    return lines


def _example_path(example: Valid) -> str:
    from contractlint.testing import example_path

    return example_path(example)


def _example_block(example: Valid, verdict: str) -> list[str]:
    path = _example_path(example)
    language = "python" if path.endswith(".py") else "yaml"
    head = f"{verdict} — `{path}`"
    if isinstance(example, Invalid) and example.line is not None:
        head += f", reported at {example.line}:{example.column}"
    if example.note:
        head += f" ({example.note})"
    lines = [head, "", f"```{language}", example.code.rstrip("\n"), "```"]
    if example.config:
        lines += ["", f"with configuration `{json.dumps(example.config)}`"]
    if isinstance(example, Invalid) and example.fixed is not None:
        lines += ["", "after `--fix`:", "", f"```{language}", example.fixed.rstrip("\n"), "```"]
    return lines + [""]


def rule_markdown(rule: type[Rule]) -> str:
    lines = [
        f"# {rule.code} {rule.name}",
        "",
        f"{CONTRACTS[rule.contract]}. {rule.summary}.",
        "",
        textwrap.dedent(rule.explanation).strip(),
        "",
        "## Options",
        "",
        *(_options_lines(rule) or ["None."]),
        "",
        "## Fix",
        "",
        _fix_text(rule),
        "",
    ]
    if not rule.default_enabled:
        lines += ["This rule is off by default: enable it with `--extend-select " + rule.code + "`.", ""]
    lines += ["## Tested examples", ""]
    for example in rule.INVALID:
        lines += _example_block(example, "Reported")
    for example in rule.VALID:
        lines += _example_block(example, "Not reported")
    return "\n".join(lines).rstrip("\n") + "\n"


def rule_text(rule: type[Rule]) -> str:
    """What `contractlint rule CODE` prints: the same page, readable as plain text."""
    return rule_markdown(rule)


def rules_listing(output_format: str) -> str:
    rules = all_rules()
    if output_format == "json":
        return json.dumps(
            [
                {
                    "code": rule.code,
                    "name": rule.name,
                    "contract": rule.contract,
                    "summary": rule.summary,
                    "fix": rule.fix,
                    "default_enabled": rule.default_enabled,
                    "options": {name: schema.get("default") for name, schema in rule.options.items()},
                }
                for rule in rules
            ],
            indent=2,
            ensure_ascii=False,
        ) + "\n"
    if output_format == "markdown":
        lines = ["| Code | Name | Contract | Summary | Fix |", "|---|---|---|---|---|"]
        for rule in rules:
            lines.append(
                f"| [{rule.code}](rules/{rule.code}.md) | {rule.name} | {rule.contract} | {rule.summary} | {rule.fix or '—'} |"
            )
        return "\n".join(lines) + "\n"
    width = max(len(rule.name) for rule in rules)
    lines = []
    for rule in rules:
        flags = ("fix " if rule.fix else "    ") + ("" if rule.default_enabled else "(off by default) ")
        lines.append(f"{rule.code}  {rule.name.ljust(width)}  {flags}{rule.summary}")
    return "\n".join(lines) + "\n"
