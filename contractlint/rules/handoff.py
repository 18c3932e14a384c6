"""Contract 5 — DB-first stage handoff.

Stages (flows) hand work to each other through the database, keyed by an
identifier: a parent writes its results, then starts the next stage with the id
of what it wrote. Piping a payload through Kestra outputs into a subflow's inputs
couples the stages to one execution, caps the data at what Kestra's storage and
execution context hold, and leaves nothing to re-run a stage from.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any

from contractlint.diagnostics import Diagnostic, Span
from contractlint.flow import yaml_nodes as yn
from contractlint.rules.base import Invalid, Rule, RuleContext, Valid

if TYPE_CHECKING:
    from contractlint.flow.model import Flow
    from contractlint.python.pebble import PebbleSpan

# Tasks that start another flow with `inputs` (current names and the legacy ones
# Kestra still accepts as aliases; `tasks.flows.Flow` is the pre-Subflow task).
SUBFLOW_TYPES = {
    "io.kestra.plugin.core.flow.Subflow": "Subflow",
    "io.kestra.core.tasks.flows.Subflow": "Subflow",
    "io.kestra.core.tasks.flows.Flow": "Flow",
    "io.kestra.plugin.core.flow.ForEachItem": "ForEachItem",
    "io.kestra.core.tasks.flows.ForEachItem": "ForEachItem",
}
DEFAULT_IDENTIFIER_PATTERNS = ["*id", "*ids", "*uuid", "*uuids", "*key", "*keys"]
# A read of the `outputs` variable: `outputs.x`, `outputs['x']` (not `parent.outputs`
# or `my_outputs`).
OUTPUTS_READ = re.compile(r"(?<![\w.])outputs\s*(?:\.|\[)")
# Pebble string literals, blanked before looking for `outputs` (`'outputs.x'` is text).
PEBBLE_STRING = re.compile(r"'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\"")

FLOW_HEAD = "id: orders_parent\nnamespace: company.sales\ntasks:\n"


def is_identifier_name(name: str, patterns: Iterable[str]) -> bool:
    """Whether the input name matches one of the glob patterns, case-insensitively."""
    from fnmatch import fnmatchcase

    lowered = name.lower()
    return any(fnmatchcase(lowered, pattern.lower()) for pattern in patterns)


def reads_outputs(pebble: PebbleSpan) -> bool:
    if pebble.kind == "comment":
        return False
    return OUTPUTS_READ.search(PEBBLE_STRING.sub(lambda m: " " * len(m.group()), pebble.inner)) is not None


class OutputsHandoff(Rule):
    code = "CL501"
    precision = "medium"
    name = "outputs-handoff"
    contract = "5"
    summary = "A Subflow / ForEachItem input fed from `{{ outputs.… }}`: a payload piped between stages"
    options = {
        "identifier-patterns": {
            "type": "array",
            "items": {"type": "string"},
            "default": DEFAULT_IDENTIFIER_PATTERNS,
            "description": (
                "Glob patterns (fnmatch: `*`, `?`, `[…]`) of input names that carry an identifier and may be fed "
                "from outputs, matched case-insensitively against the whole name. The list replaces the default."
            ),
        }
    }
    explanation = """
## What it does
Reports an input of a `Subflow` or `ForEachItem` task (`io.kestra.plugin.core.flow.*`
and the legacy `io.kestra.core.tasks.flows.Subflow`, `ForEachItem` and `Flow`),
nested tasks included, whose value reads `outputs` through Pebble —
`{{ outputs.extract.rows }}`, `{{ read(outputs.extract.uri) }}`, a `{% for %}` over
outputs — at the expression, wherever it sits under the input (nested maps and
lists are searched). A whole `inputs:` written as one expression is reported too.

Inputs whose names say they carry an identifier are not reported: by default
names ending in `id`, `uuid` or `key` (or their plurals), case-insensitively —
`run_id`, `customerUUID`, `s3_key`, `order_ids`. Configure the glob patterns with
`identifier-patterns` under `[tool.contractlint.rules.CL501]` (the list replaces
the default; a suffix match also accepts words such as `valid` or `monkey`, so
narrow it — e.g. `["*_id", "*_uuid", "*_key"]` — if your inputs use such names).

`ForEachItem`'s `items` is not reported: it is the parent's own fan-out source
(a storage URI Kestra splits into batches), not an input of the next stage; the
child's inputs (`{{ taskrun.items }}`) are checked like any other.

## Why is this bad?
A payload handed from one stage's outputs to the next stage's inputs lives only
in that execution: the child cannot be re-run on its own, the data is not
queryable, nothing records what was handed over, and large payloads hit Kestra's
limits on execution context and storage. When the parent writes its results to
the database and passes their identifier, every stage can be replayed, inspected
and tested on its own.

## Example
```yaml
- id: score
  type: io.kestra.plugin.core.flow.Subflow
  namespace: company.sales
  flowId: score_orders
  inputs:
    orders: "{{ outputs.extract.rows }}"
```

## Use instead
```yaml
- id: score
  type: io.kestra.plugin.core.flow.Subflow
  namespace: company.sales
  flowId: score_orders
  inputs:
    batch_id: "{{ outputs.extract.vars.batch_id }}"  # the child reads the batch from the database
```
"""
    VALID = [
        Valid(
            FLOW_HEAD + "  - id: score\n    type: io.kestra.plugin.core.flow.Subflow\n    namespace: company.sales\n"
            "    flowId: score_orders\n    inputs:\n      batch_id: \"{{ outputs.extract.vars.batch_id }}\"\n"
            "      customerUUID: \"{{ outputs.lookup.value }}\"\n      s3_key: \"{{ outputs.upload.key }}\"\n"
            "      since: \"{{ trigger.date }}\"\n",
            note="identifier-named inputs may come from outputs; other inputs may use other variables",
        ),
        Valid(
            FLOW_HEAD + "  - id: each\n    type: io.kestra.plugin.core.flow.ForEachItem\n"
            "    items: \"{{ outputs.extract.uri }}\"\n    batch:\n      rows: 100\n    namespace: company.sales\n"
            "    flowId: score_orders\n    inputs:\n      orders: \"{{ taskrun.items }}\"\n",
            note="`items` is ForEachItem's own fan-out source, not an input of the next stage",
        ),
        Valid(
            FLOW_HEAD + "  - id: score\n    type: io.kestra.plugin.core.flow.Subflow\n    namespace: company.sales\n"
            "    flowId: score_orders\n    inputs:\n      run_ref: \"{{ outputs.extract.value }}\"\n",
            config={"rules": {"CL501": {"identifier-patterns": ["*_ref"]}}},
            note="with identifier-patterns = [\"*_ref\"]",
        ),
    ]
    INVALID = [
        Invalid(
            FLOW_HEAD + "  - id: score\n    type: io.kestra.plugin.core.flow.Subflow\n    namespace: company.sales\n"
            "    flowId: score_orders\n    inputs:\n      orders: \"{{ outputs.extract.rows }}\"\n",
            line=9, column=16, end_column=42,
            message="Subflow 'score' input 'orders' is fed from `outputs.extract.rows`",
        ),
        Invalid(
            FLOW_HEAD + "  - id: by_region\n    type: io.kestra.plugin.core.flow.ForEach\n    values: [\"eu\", \"us\"]\n"
            "    tasks:\n      - id: notify\n        type: io.kestra.core.tasks.flows.Subflow\n"
            "        namespace: company.sales\n        flowId: notify\n        inputs:\n          context:\n"
            "            region: \"{{ taskrun.value }}\"\n            lines:\n"
            "              - \"Top order: {{ outputs.top[taskrun.value].value }}\"\n",
            line=16, column=29, end_column=67,
            message="input 'context' is fed from `outputs.top[taskrun.value].value`",
            note="nested tasks, legacy type names, and values nested in maps and lists",
        ),
        Invalid(
            FLOW_HEAD + "  - id: each\n    type: io.kestra.plugin.core.flow.ForEachItem\n"
            "    items: \"{{ outputs.extract.uri }}\"\n    namespace: company.sales\n    flowId: score_orders\n"
            "    inputs:\n      orders: \"{{ taskrun.items }}\"\n      report: \"{{ read(outputs.summary.uri) }}\"\n",
            line=11, column=16, end_column=47,
            message="ForEachItem 'each' input 'report' is fed from `outputs.summary.uri`",
        ),
        Invalid(
            FLOW_HEAD + "  - id: score\n    type: io.kestra.plugin.core.flow.Subflow\n    namespace: company.sales\n"
            "    flowId: score_orders\n    inputs:\n      order_id: \"{{ outputs.extract.vars.order_id }}\"\n"
            "      payload: |\n        {{ outputs.extract.body\n           | json }}\n",
            line=11, column=9, end_line=12, end_column=21,
            message="input 'payload' is fed from `outputs.extract.body`",
            note="an expression spanning lines, in a block scalar; `order_id` is an identifier",
        ),
        Invalid(
            FLOW_HEAD + "  - id: legacy\n    type: io.kestra.core.tasks.flows.Flow\n    namespace: company.sales\n"
            "    flowId: score_orders\n    inputs: \"{{ outputs.prepare.value }}\"\n",
            line=8, column=14, end_column=41,
            message="Flow 'legacy' takes all its inputs from `outputs.prepare.value`",
            note="the legacy Flow task, with its whole `inputs` map from an expression",
        ),
    ]

    def check_flow(self, flow: Flow, context: RuleContext) -> Iterable[Diagnostic]:
        patterns = context.options["identifier-patterns"]
        for task in flow.tasks:
            label = task.id if task.id is not None else task.location
            kind = SUBFLOW_TYPES.get(task.type or "")
            if kind is None:
                continue
            pair = task.get("inputs")
            if pair is None:
                continue
            _, inputs = pair
            if yn.is_scalar(inputs):
                # `inputs: "{{ outputs.prepare.value }}"`: the whole map comes from outputs.
                for span, expression in self._outputs_reads(flow, inputs):
                    yield self.flow_diagnostic(
                        flow, span,
                        f"{kind} '{label}' takes all its inputs from `{expression}`: stages hand off through "
                        "the database keyed by an identifier; write the data there and pass its id",
                        task=task,
                    )
                continue
            for name_node, value in _input_items(inputs):
                name = yn.scalar_text(name_node)
                if name is None or is_identifier_name(name, patterns):
                    continue
                for span, expression in self._outputs_reads(flow, value):
                    yield self.flow_diagnostic(
                        flow, span,
                        f"{kind} '{label}' input '{name}' is fed from `{expression}`: stages hand off through "
                        "the database keyed by an identifier, not through outputs; write the data to the database "
                        "and pass its id (an input named like `*_id`)",
                        task=task,
                    )

    def _outputs_reads(self, flow: Flow, value: Any) -> Iterator[tuple[Span, str]]:
        """Each Pebble expression or tag reading `outputs` in the string scalars under
        ``value``: its span in the file and the outputs path it reads."""
        for node in yn.walk(value):
            if yn.is_string(node):
                yield from self._scalar_reads(flow, node)

    def _scalar_reads(self, flow: Flow, node: Any) -> Iterator[tuple[Span, str]]:
        from contractlint.python.pebble import find_pebble

        value_reads = [p for p in find_pebble(node.value) if reads_outputs(p)]
        if not value_reads:
            return
        # The expressions as written in the file (plain, quoted and block scalars
        # keep Pebble verbatim unless escapes or folding touch it): exact spans.
        start = yn.start_offset(node)
        written = flow.source.text[start : yn.end_offset(flow.source, node)]
        file_reads = [p for p in find_pebble(written) if reads_outputs(p)]
        if len(file_reads) == len(value_reads):
            for pebble in file_reads:
                yield flow.source.span(start + pebble.start, start + pebble.end), outputs_path(pebble.inner)
            return
        span = yn.node_span(flow.source, node)  # escapes changed the text: the whole value
        for pebble in value_reads:
            yield span, outputs_path(pebble.inner)


def _input_items(inputs: Any) -> list[tuple[Any, Any]]:
    """The inputs' name/value pairs, entries merged in with ``<<: *anchor`` included
    (an explicit key wins over a merged one, as in YAML)."""
    own: list[tuple[Any, Any]] = []
    merged: list[tuple[Any, Any]] = []
    seen: set[int] = set()
    pending = [inputs]
    while pending:
        node = pending.pop(0)
        if id(node) in seen:
            continue
        seen.add(id(node))
        for key_node, value in yn.items(node):
            if yn.is_scalar(key_node) and yn.tag_of(key_node).endswith(":merge"):
                pending.extend(yn.elements(value) if yn.is_sequence(value) else [value])
            else:
                (own if node is inputs else merged).append((key_node, value))
    names = {yn.scalar_text(key) for key, _ in own}
    for key, value in merged:  # the first merged mapping that has a key wins
        if yn.scalar_text(key) not in names:
            names.add(yn.scalar_text(key))
            own.append((key, value))
    return own


def outputs_path(inner: str) -> str:
    """The `outputs…` reference an expression makes, as written (whitespace collapsed):
    ``read(outputs.summary.uri) | trim`` → ``outputs.summary.uri``."""
    blanked = PEBBLE_STRING.sub(lambda m: " " * len(m.group()), inner)
    match = OUTPUTS_READ.search(blanked)
    if match is None:  # pragma: no cover - callers checked reads_outputs
        return " ".join(inner.split())
    position = match.start() + len("outputs")
    depth = 0
    end = position
    text = inner
    while end < len(text):
        char = blanked[end]
        if char == "[":
            depth += 1
        elif char == "]":
            if depth == 0:
                break
            depth -= 1
        elif depth == 0 and not (char.isalnum() or char in "_." or char.isspace() and _continues(blanked, end)):
            break
        end += 1
    path = text[match.start() : end]
    return "".join(path.split()) if "\n" in path else path.strip()


def _continues(blanked: str, index: int) -> bool:
    """Whitespace inside a path (`outputs . x`, or before `[` / `.`), not after it."""
    rest = blanked[index:].lstrip()
    return rest[:1] in (".", "[")
