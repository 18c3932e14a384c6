"""Every rule's own VALID and INVALID examples, run as tests (Fixit's pattern)."""

from __future__ import annotations

from pathlib import Path

import pytest

from contractlint.rules import Invalid, all_rules
from contractlint.testing import run_example

CASES = [
    pytest.param(rule, example, id=f"{rule.code}-{kind}-{index}")
    for rule in all_rules()
    for kind, examples in (("valid", rule.VALID), ("invalid", rule.INVALID))
    for index, example in enumerate(examples)
]


@pytest.mark.parametrize(("rule", "example"), CASES)
def test_example(rule, example, tmp_path: Path) -> None:
    run = run_example(rule, example, tmp_path)
    if not isinstance(example, Invalid):
        assert run.diagnostics == [], f"{rule.code} reported a VALID example: {run.diagnostics}"
        return
    assert len(run.diagnostics) == example.count, [(d.span, d.message) for d in run.diagnostics]
    first = run.diagnostics[0]
    assert first.code == rule.code
    expected = (example.line, example.column, example.end_line, example.end_column)
    actual = (first.span.line, first.span.column, first.span.end_line, first.span.end_column)
    for want, got, what in zip(expected, actual, ("line", "column", "end_line", "end_column")):
        if want is not None:
            assert got == want, f"{what}: expected {want}, got {got} ({first.message})"
    if example.message is not None:
        assert example.message in first.message
    if example.fixed is not None:
        assert run.fixed == example.fixed


@pytest.mark.parametrize("rule", all_rules(), ids=lambda rule: rule.code)
def test_every_rule_has_examples_and_documentation(rule) -> None:
    assert rule.INVALID or rule.code == "CL000", f"{rule.code} has no INVALID example"
    assert rule.VALID, f"{rule.code} has no VALID example"
    for section in ("## What it does", "## Why is this bad?", "## Example", "## Use instead"):
        assert section in rule.explanation, f"{rule.code} explanation lacks {section!r}"
    for name, schema in rule.options.items():
        assert "default" in schema and "description" in schema, f"{rule.code}.{name}"


def test_every_invalid_example_pins_a_position() -> None:
    loose = [
        f"{rule.code} INVALID[{index}]"
        for rule in all_rules()
        for index, example in enumerate(rule.INVALID)
        if example.line is None or example.column is None
    ]
    assert loose == []
