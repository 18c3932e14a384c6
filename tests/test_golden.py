"""Findings are byte-identical to the golden outputs (``tests/golden/``): the JSON report
of the Kestra blueprint corpus (skipped when ``../shared`` is absent) and of
``flows_fixtures``. A change of findings on purpose regenerates them with
``python tests/golden_outputs.py``; the diff is then the change to review."""

from __future__ import annotations

import json

import pytest

from golden_outputs import GOLDEN, TARGETS, available, report


@pytest.mark.parametrize("name", sorted(TARGETS))
def test_findings_are_byte_identical_to_the_golden_output(name: str) -> None:
    if not available(name):
        pytest.skip(f"{TARGETS[name]} is not next to this clone")
    expected = (GOLDEN / name).read_bytes()
    actual = report(name)
    if actual != expected:
        before = {json.dumps(d, sort_keys=True) for d in json.loads(expected)["diagnostics"]}
        after = {json.dumps(d, sort_keys=True) for d in json.loads(actual)["diagnostics"]}
        changes = [f"- {d}" for d in sorted(before - after)[:5]] + [f"+ {d}" for d in sorted(after - before)[:5]]
        pytest.fail(
            f"findings on {TARGETS[name]} changed ({len(before - after)} gone, {len(after - before)} new); "
            "if that is the point, run `python tests/golden_outputs.py`\n" + "\n".join(changes)
        )
