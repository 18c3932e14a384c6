"""Running a rule's own VALID/INVALID examples: used by the test suite (every example
becomes a test) and by the documentation (every example shown is a tested one)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from contractlint.config import CommandLine, settings_from_table, validate_table
from contractlint.diagnostics import Diagnostic
from contractlint.rules.base import Rule, Valid


def example_path(example: Valid) -> str:
    if example.path is not None:
        return example.path
    looks_like_flow = "namespace:" in example.code and "id:" in example.code
    return "flows/example.yaml" if looks_like_flow else "example.py"


@dataclass
class ExampleRun:
    diagnostics: list[Diagnostic]
    fixed: str  # the file after applying every fix (safe and unsafe)


def run_example(rule: type[Rule], example: Valid, root: Path) -> ExampleRun:
    """Lint ``example`` as a file of a project in ``root`` (an empty folder) with only
    ``rule`` selected, then apply its fixes."""
    from contractlint.runner import build_linter, fix_text

    path = example_path(example)
    for name, content in {**example.files, path: example.code}.items():
        target = root / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(content.encode("utf-8"))
    validate_table(example.config, "example configuration")
    settings = settings_from_table(example.config, root, None, CommandLine(select=(rule.code,)))
    linter = build_linter(settings)
    result = linter.lint_bytes(path, example.code.encode("utf-8"))
    fixed = example.code
    if result.source is not None and any(d.fix for d in result.diagnostics):
        fixed = fix_text(linter, result, unsafe_fixes=True).text
    return ExampleRun(diagnostics=result.diagnostics, fixed=fixed)
