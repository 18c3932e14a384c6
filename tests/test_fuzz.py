"""Property-based mutation fuzzing (issue 10): real flows and modules — the blueprint
corpus when ``../shared`` is there, the fixtures otherwise, and the rules' INVALID
examples — mutated the ways that broke contractlint (line breaks of every kind,
BOMs, duplicate keys, control characters, Pebble fragments, noqa comments,
environment reads, planted secrets), then linted, rendered in every format and
fixed. The mutations and properties are in ``fuzzing.py``.

The default run is short (hypothesis' default example count, a few seconds). A long
run is one command::

    python -m pytest tests/test_fuzz.py --hypothesis-profile=fuzz

(the ``fuzz`` profile is registered in ``conftest.py``), and a campaign outside
pytest, with a summary of every failure: ``python tests/fuzzing.py 10000``.
"""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import fuzzing
from conftest import SARIF_SCHEMA
from contractlint.config import CommandLine, settings_from_table
from contractlint.runner import build_linter, in_large_stack

SEEDS = fuzzing.seeds()
NAMES = sorted(fuzzing.MUTATIONS)

# The CLI run costs ten times a direct check: a tenth of the examples.
CLI_EXAMPLES = max(10, settings.default.max_examples // 10)
FUZZ = settings(deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])


@pytest.fixture(scope="module")
def linter(tmp_path_factory):
    folder = tmp_path_factory.mktemp("fuzz")
    return build_linter(settings_from_table({}, folder, None, CommandLine(extend_select=("CL900",))))


@st.composite
def mutants(draw) -> tuple[str, bytes, list[str]]:
    """(file name, mutant bytes, mutation names) of a random seed."""
    name, text = draw(st.sampled_from(SEEDS))
    rng = random.Random(draw(st.integers(min_value=0, max_value=2**32)))
    names = draw(st.lists(st.sampled_from(NAMES), min_size=1, max_size=3))
    for mutation in names:
        if mutation == "secret" and name.endswith(".py"):
            text = fuzzing._python_secret(text, rng)
        else:
            text = fuzzing.MUTATIONS[mutation](text, rng)
    return name, fuzzing.encode(text), names


def _assert_holds(failures: list[fuzzing.Failure], name: str, names: list[str]) -> None:
    assert failures == [], f"{name} after {names}: " + "; ".join(f"{f.property}: {f.detail}" for f in failures)


@FUZZ
@given(case=mutants())
def test_property_mutants_lint_render_and_fix_safely(linter, case) -> None:
    name, data, names = case
    planted = "secret" in names and fuzzing.planted_intact(data)
    checked = in_large_stack(lambda: fuzzing.check(linter, name, data, planted=planted))
    _assert_holds(checked.failures, name, names)


@settings(FUZZ, max_examples=CLI_EXAMPLES)
@given(case=mutants())
def test_property_mutants_through_the_command_line(tmp_path: Path, case) -> None:
    name, data, names = case
    planted = "secret" in names and fuzzing.planted_intact(data)
    _assert_holds(fuzzing.check_cli(tmp_path, name, data, planted=planted), name, names)


@settings(FUZZ, max_examples=CLI_EXAMPLES)
@given(case=mutants())
def test_property_sarif_of_mutants_validates(tmp_path: Path, case) -> None:
    if not SARIF_SCHEMA.is_file():
        pytest.skip("the shared SARIF schema is not next to this clone")
    import json

    from jsonschema import Draft4Validator

    from contractlint.reporters import ReportOptions, RunReport, render

    name, data, _ = case
    linter = build_linter(settings_from_table({}, tmp_path, None, CommandLine(extend_select=("CL900",))))
    result = in_large_stack(lambda: linter.lint_bytes(name, data))
    log = json.loads(render("sarif", RunReport(results=[result]), ReportOptions()))
    errors = list(Draft4Validator(json.loads(SARIF_SCHEMA.read_text("utf-8"))).iter_errors(log))
    assert errors == [], [error.message for error in errors[:3]]


def test_the_seeds_hold_fixable_findings(linter) -> None:
    """The fuzzing exercises fixes: some seeds (the rules' INVALID examples, linted
    with the fuzzing's default settings) have them, mutated or not."""
    examples = dict.fromkeys(SEEDS[len(SEEDS) - len(fuzzing.seeds(examples_only=True)):])
    fixable = sum(
        1 for name, text in examples if any(d.fix for d in linter.lint_bytes(name, text.encode()).diagnostics)
    )
    assert fixable >= 5
