"""Migration to Kestra 2.0, part 1: what Kestra 2.0 rejects (CL601–CL607).

Active when the target (``kestra-version``, or a pinned image) is 2.0 or later. Each
rule is one change family of the Kestra 2.0 migration guide (kestra-io/docs,
``migration-guide/v2.0.0``); their INVALID examples are the guide's "before" flows and
their VALID examples its "after" flows, trimmed to what the rule looks at. Renames
with a mechanical fix are in ``renames``, behaviour changes in ``advisories``; the
tables they share are in ``contractlint.flow.kestra2``.
"""

from __future__ import annotations

import re
import textwrap
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any

from contractlint.diagnostics import Diagnostic, Fix
from contractlint.flow import kestra2 as k2
from contractlint.flow import yaml_nodes as yn
from contractlint.rules.base import Invalid, Rule, RuleContext, Valid

if TYPE_CHECKING:
    from contractlint.flow.model import Flow, Task

V2 = {"kestra-version": "2.0"}
V2_EE = {"kestra-version": "2.0", "edition": "ee"}
GUIDE = "the Kestra 2.0 migration guide"


def flow_text(body: str) -> str:
    """An example flow written as an indented block in the source."""
    return textwrap.dedent(body).lstrip("\n")


def owner_name(task: Task | None, flow: Flow) -> str:
    if task is None:
        return f"flow '{flow.id}'" if flow.id else "the flow"
    kind = "trigger" if task.is_trigger else "task"
    return f"{kind} '{task.id}'" if task.id is not None else f"{kind} at {task.location}"


def in_plugin_defaults(place: k2.Place, flow: Flow) -> bool:
    """The mapping is a flow-level ``pluginDefaults`` / ``taskDefaults`` entry (or inside
    one): a default, not a task — CL601 reports the block as a whole."""
    for key in ("pluginDefaults", "taskDefaults"):
        block = yn.get_value(flow.root, key)
        if block is not None and place.task is None and _contains(block, place.node):
            return True
    return False


def _contains(root: Any, node: Any) -> bool:
    return any(child is node for child in yn.walk(root))


def typed_places(flow: Flow) -> Iterator[tuple[k2.Place, str, Any]]:
    """(place, type, type value node) of every mapping with a string ``type``."""
    for place in k2.places(flow):
        pair = yn.get(place.node, "type")
        if pair is not None and yn.is_string(pair[1]):
            yield place, pair[1].value, pair[1]


class MigrationRule(Rule):
    """A rule of the migration to Kestra 2.0: active on a 2.0 or later target."""

    contract = "migration"
    kestra_min = (2, 0)


# =====================================================================================
# CL601
# =====================================================================================


class PluginDefaultsRemoved(MigrationRule):
    code = "CL601"
    name = "plugin-defaults-removed"
    summary = "A flow-level `pluginDefaults` (or `taskDefaults`) block, which Kestra 2.0 removes: the flow does not parse"
    kestra_targets = (
        "Kestra 2.0 and later. The message says what replaces the block for the configured `edition`: Policies "
        "in the Enterprise Edition, the tasks themselves (or flow `variables`) in open source."
    )
    explanation = """
## What it does
Reports a flow's `pluginDefaults` block, and the older `taskDefaults`, on a Kestra
2.0 (or later) target. Kestra 2.0 removes plugin defaults at every scope — flow,
namespace and the server's `kestra.plugins.defaults` — and refuses a flow that
still has the block (`Unrecognized field "pluginDefaults"`; already stored flows
run without their defaults).

What replaces it depends on the edition (`edition` in the configuration):

- **Enterprise Edition**: a Policy. Each entry becomes an
  `io.kestra.plugin.ee.rules.Add` rule with `on: PLUGIN`, a `where` on the type
  (`operator: EQUAL_TO` for an exact type, `STARTS_WITH` for a prefix) and the same
  `values`; `forced: true` becomes `override: true`. A policy with
  `enforcement: REFERENCE` applies to the flows that list it in `policyRefs:`.
  Name the policy files in `policies` and contract 2's rules read them.
- **Open source**: there is no central replacement. Copy each entry's `values`
  onto the tasks it applied to, or into flow `variables` read as `{{ vars.x }}`.

See the migration guide's "pluginDefaults Removed" and "pluginDefaults.forced
Removed from Flows" pages.

## Why is this bad?
The flow cannot be saved on Kestra 2.0, and a flow saved before the upgrade runs
without the values the block gave its tasks: other headers, other timeouts, no
credentials.

## Example
```yaml
id: daily-report
namespace: company.team

pluginDefaults:
  - type: io.kestra.plugin.scripts.python.Script
    values:
      containerImage: ghcr.io/kestra-io/pydata:latest

tasks:
  - id: transform
    type: io.kestra.plugin.scripts.python.Script
    script: print("done")
```

## Use instead
```yaml
id: daily-report
namespace: company.team

policyRefs:
  - pydata-defaults  # an EE Policy with an Add rule for python.Script

tasks:
  - id: transform
    type: io.kestra.plugin.scripts.python.Script
    script: print("done")
```
"""
    # From the guide's "pluginDefaults Removed" page ("Step 3 — flow-level pluginDefaults")
    # and the tutorial's 07-task-defaults flow.
    VALID = [
        Valid(
            flow_text("""
                id: daily-report
                namespace: company.team

                policyRefs:
                  - pydata-defaults

                tasks:
                  - id: transform
                    type: io.kestra.plugin.scripts.python.Script
                    script: print("done")
            """),
            config=V2_EE,
            note="the guide's 2.0 form in the Enterprise Edition: a REFERENCE policy the flow opts into",
        ),
        Valid(
            flow_text("""
                id: daily-report
                namespace: company.team

                tasks:
                  - id: transform
                    type: io.kestra.plugin.scripts.python.Script
                    containerImage: ghcr.io/kestra-io/pydata:latest
                    script: print("done")
            """),
            config=V2,
            note="the guide's 2.0 form in open source: the value inlined on the task",
        ),
        Valid(
            flow_text("""
                id: daily-report
                namespace: company.team

                pluginDefaults:
                  - type: io.kestra.plugin.scripts.python.Script
                    values:
                      containerImage: ghcr.io/kestra-io/pydata:latest

                tasks:
                  - id: transform
                    type: io.kestra.plugin.scripts.python.Script
                    script: print("done")
            """),
            note="on a Kestra 1.x target (the default) pluginDefaults are contract 2's place for shared values",
        ),
    ]
    INVALID = [
        Invalid(
            flow_text("""
                id: daily-report
                namespace: company.team

                pluginDefaults:
                  - type: io.kestra.plugin.scripts.python.Script
                    values:
                      containerImage: ghcr.io/kestra-io/pydata:latest

                tasks:
                  - id: transform
                    type: io.kestra.plugin.scripts.python.Script
                    script: print("done")
            """),
            config=V2,
            line=4,
            column=1,
            end_column=15,
            message="`pluginDefaults` is removed in Kestra 2.0 and a flow that has it does not parse; open source has "
            "no central replacement: copy each entry's `values` onto the tasks of its type (or into flow "
            "`variables`, read as `{{ vars.… }}`) and delete the block",
            note="the guide's 1.x flow, on a 2.0 open-source target",
        ),
        Invalid(
            flow_text("""
                id: daily-report
                namespace: company.team

                pluginDefaults:
                  - type: io.kestra.plugin.scripts.runner.docker.Docker
                    forced: true
                    values:
                      pullPolicy: NEVER

                tasks:
                  - id: transform
                    type: io.kestra.plugin.scripts.python.Script
                    script: print("done")
            """),
            config=V2_EE,
            line=4,
            column=1,
            message="move each entry to an `io.kestra.plugin.ee.rules.Add` rule of a Policy (`on: PLUGIN`, "
            "`where: [{field: type, operator: STARTS_WITH, value: …}]`, the same `values`; `forced: true` becomes "
            "`override: true`), and list a REFERENCE policy in the flow's `policyRefs:`",
            note="the guide's forced default, on a 2.0 Enterprise target",
        ),
        Invalid(
            flow_text("""
                id: fetch-api
                namespace: company.team

                taskDefaults:
                  - type: io.kestra.plugin.core.http.Request
                    values:
                      method: GET
                      headers:
                        Accept: application/json

                tasks:
                  - id: fetch_orders
                    type: io.kestra.plugin.core.http.Request
                    uri: https://example.com/api/orders
            """),
            config=V2,
            line=4,
            column=1,
            end_column=13,
            message="`taskDefaults` (the older name of `pluginDefaults`) is removed in Kestra 2.0",
            note="the tutorial's taskDefaults flow",
        ),
    ]

    def check_flow(self, flow: Flow, context: RuleContext) -> Iterable[Diagnostic]:
        ee = context.project.target.is_ee
        for key in ("pluginDefaults", "taskDefaults"):
            pair = yn.get(flow.root, key)
            if pair is None:
                continue
            what = "`taskDefaults` (the older name of `pluginDefaults`)" if key == "taskDefaults" else "`pluginDefaults`"
            if ee:
                instead = (
                    "move each entry to an `io.kestra.plugin.ee.rules.Add` rule of a Policy (`on: PLUGIN`, "
                    "`where: [{field: type, operator: STARTS_WITH, value: …}]`, the same `values`; `forced: true` "
                    "becomes `override: true`), and list a REFERENCE policy in the flow's `policyRefs:`"
                )
            else:
                instead = (
                    "open source has no central replacement: copy each entry's `values` onto the tasks of its type "
                    "(or into flow `variables`, read as `{{ vars.… }}`) and delete the block"
                )
            yield self.flow_diagnostic(
                flow,
                yn.node_span(flow.source, pair[0]),
                f"{what} is removed in Kestra 2.0 and a flow that has it does not parse; {instead}",
            )


# =====================================================================================
# CL602
# =====================================================================================


def _foreach_advice(name: str, node: Any) -> str:
    if name == "ForEachItem":
        return (
            "rewrite it as io.kestra.plugin.core.flow.Loop over `values: \"{{ inputs.file }}\"` (one line per "
            "iteration, read as `{{ item.value }}`), or io.kestra.plugin.core.storage.Split + Loop + Subflow for one "
            "execution per batch (`taskrun.items` becomes `item.value`)"
        )
    used = []
    text = "\n".join(value.value for value in k2.string_values(yn.get_value(node, "tasks")))
    for old, new in (("taskrun.value", "item.value"), ("taskrun.iteration", "item.index"),
                     ("parent.taskrun.value", "item.value"), ("taskrun.key", "item.key")):
        if old in text:
            used.append(f"`{old}` becomes `{new}`")
    how = "; its tasks' " + ", ".join(dict.fromkeys(used)) if used else ""
    limit = ""
    if name == "EachSequential":
        limit = "; add `concurrencyLimit: 1` to keep it sequential"
    elif name == "EachParallel":
        limit = "; `concurrent` becomes `concurrencyLimit`"
    return (
        f"rewrite it as io.kestra.plugin.core.flow.Loop{how}; declare the `outputs` read after the loop and replace "
        f"an AllowFailure wrapper with `transmitFailed: false`{limit}"
    )


class RemovedTaskType(MigrationRule):
    code = "CL602"
    name = "removed-task-type"
    summary = "A task type Kestra 2.0 removes (ForEach and its family, execution.Count/Resume, trigger.Toggle, git.Push, Nashorn, State Store, …): the flow does not parse"
    explanation = """
## What it does
Reports, on a Kestra 2.0 (or later) target, every task, trigger or task runner whose
`type` Kestra 2.0 no longer has, with what to write instead:

- `io.kestra.plugin.core.flow.ForEach`, `EachSequential`, `EachParallel`,
  `ForEachItem` (and their `io.kestra.core.tasks.flows.*` names): rewrite as
  `io.kestra.plugin.core.flow.Loop`. Each iteration runs as its own sub-execution:
  `{{ taskrun.value }}` becomes `{{ item.value }}`, `{{ taskrun.iteration }}`
  becomes `{{ item.index }}`, `parent.taskrun.value` becomes `item.value`, outputs
  read after the loop are declared under the Loop's `outputs`, and an
  `AllowFailure` wrapper becomes `transmitFailed: false`. `ForEachItem` becomes a
  `Loop` over the file, or `Split` + `Loop` + `Subflow` for one execution per batch.
  (CL623 tells where the Loop needs `concurrencyLimit`.)
- `io.kestra.plugin.core.execution.Count` and `Resume`,
  `io.kestra.plugin.core.trigger.Toggle`: moved to the Kestra plugin
  (`io.kestra.plugin.kestra.executions.Count`, `…executions.Resume`,
  `…triggers.Toggle`), which goes through the API.
- `io.kestra.plugin.git.Push`: `io.kestra.plugin.git.PushFlows` and
  `PushNamespaceFiles`.
- `io.kestra.plugin.scripts.nashorn.*`: GraalJS (`io.kestra.plugin.graalvm.js`).
- The State Store tasks (`io.kestra.plugin.core.state.*`): the KV Store tasks
  (`io.kestra.plugin.core.kv.*`, with `key`/`value` for `name`/`data`).
- `LocalFiles`, the pre-0.17 core script tasks and `io.kestra.plugin.dbt.cli.Build`,
  removed earlier and gone with the aliases.
- `io.kestra.plugin.git.SyncDashboards` and `PushDashboards`: Enterprise-only in
  2.0 (`io.kestra.plugin.ee.git.*`); removed in open source.

See the migration guide's "ForEach Replaced by Loop" page and its index (the
removed core tasks), and "Git Dashboard Tasks Moved to EE".

## Why is this bad?
Kestra 2.0 refuses to save a flow with a type it does not know, and the rewrite is
not a rename: a loop's expressions, outputs and failure handling change.

## Example
```yaml
tasks:
  - id: for_each
    type: io.kestra.plugin.core.flow.ForEach
    values: ["value 1", "value 2", "value 3"]
    tasks:
      - id: log
        type: io.kestra.plugin.core.log.Log
        message: "value={{ taskrun.value }}"
```

## Use instead
```yaml
tasks:
  - id: loop
    type: io.kestra.plugin.core.flow.Loop
    values: ["value 1", "value 2", "value 3"]
    tasks:
      - id: log
        type: io.kestra.plugin.core.log.Log
        message: "index={{ item.index }} value={{ item.value }}"
```
"""
    # The guide's "ForEach Replaced by Loop" page: "Basic iteration", "Migrating
    # ForEachItem"; the tutorial's table of removed types.
    VALID = [
        Valid(
            flow_text("""
                id: loop_example
                namespace: company.team
                tasks:
                  - id: loop
                    type: io.kestra.plugin.core.flow.Loop
                    values: ["value 1", "value 2", "value 3"]
                    tasks:
                      - id: log
                        type: io.kestra.plugin.core.log.Log
                        message: "index={{ item.index }} value={{ item.value }}"
            """),
            config=V2,
            note="the guide's 2.0 form of the basic iteration",
        ),
        Valid(
            flow_text("""
                id: loop_example
                namespace: company.team
                tasks:
                  - id: for_each
                    type: io.kestra.plugin.core.flow.ForEach
                    values: ["value 1", "value 2", "value 3"]
                    tasks:
                      - id: log
                        type: io.kestra.plugin.core.log.Log
                        message: "value={{ taskrun.value }}"
            """),
            note="on a Kestra 1.x target ForEach is fine",
        ),
    ]
    INVALID = [
        Invalid(
            flow_text("""
                id: loop_example
                namespace: company.team
                tasks:
                  - id: for_each
                    type: io.kestra.plugin.core.flow.ForEach
                    values: ["value 1", "value 2", "value 3"]
                    tasks:
                      - id: log
                        type: io.kestra.plugin.core.log.Log
                        message: "value={{ taskrun.value }}"
            """),
            config=V2,
            line=5,
            column=11,
            end_column=45,
            message="Task 'for_each': io.kestra.plugin.core.flow.ForEach is removed in Kestra 2.0 (the flow does not "
            "parse); rewrite it as io.kestra.plugin.core.flow.Loop; its tasks' `taskrun.value` becomes `item.value`",
            note="the guide's basic iteration",
        ),
        Invalid(
            flow_text("""
                id: each_item
                namespace: company.team
                inputs:
                  - id: file
                    type: FILE
                tasks:
                  - id: each_item
                    type: io.kestra.plugin.core.flow.ForEachItem
                    items: "{{ inputs.file }}"
                    batch:
                      rows: 1
                    wait: true
                    namespace: company.team
                    flowId: process_item
                    inputs:
                      item: "{{ taskrun.items }}"
            """),
            config=V2,
            line=8,
            column=11,
            message="ForEachItem is removed in Kestra 2.0 (the flow does not parse); rewrite it as "
            "io.kestra.plugin.core.flow.Loop over",
            note="the guide's ForEachItem with batch.rows: 1",
        ),
        Invalid(
            flow_text("""
                id: maintenance
                namespace: company.team
                tasks:
                  - id: count
                    type: io.kestra.plugin.core.execution.Count
                    expression: "{{ count == 0 }}"
                    flows:
                      - namespace: company.team
                        flowId: nightly
                    startDate: "{{ now() | dateAdd(-1, 'DAYS') }}"
                  - id: backup
                    type: io.kestra.plugin.git.Push
                    url: https://github.com/company/flows
                    branch: main
                  - id: script
                    type: io.kestra.plugin.scripts.nashorn.Eval
                    script: logger.info('hello');
            """),
            config=V2,
            count=3,
            line=5,
            column=11,
            message="io.kestra.plugin.core.execution.Count is removed in Kestra 2.0 (the flow does not parse); use "
            "io.kestra.plugin.kestra.executions.Count",
            note="the tutorial's removed tasks: Count, git.Push, Nashorn",
        ),
        Invalid(
            flow_text("""
                id: dashboards
                namespace: company.team
                tasks:
                  - id: sync_dashboards
                    type: io.kestra.plugin.git.SyncDashboards
                    gitDirectory: _dashboards
                    branch: main
                    url: https://github.com/my-org/my-repo
                    password: "{{ secret('GITHUB_ACCESS_TOKEN') }}"
            """),
            config=V2,
            line=5,
            column=11,
            message="io.kestra.plugin.git.SyncDashboards is removed from the open-source git plugin in Kestra 2.0",
            note="the guide's \"Git Dashboard Tasks Moved to EE\", on an open-source target",
        ),
    ]

    def check_flow(self, flow: Flow, context: RuleContext) -> Iterable[Diagnostic]:
        ee = context.project.target.is_ee
        for place, plugin_type, type_node in typed_places(flow):
            if in_plugin_defaults(place, flow):
                continue
            advice = None
            if plugin_type in k2.FOREACH_FAMILY:
                advice = _foreach_advice(k2.FOREACH_FAMILY[plugin_type], place.node)
            elif plugin_type in k2.REMOVED_TYPES:
                advice = k2.REMOVED_TYPES[plugin_type]
            elif plugin_type in k2.EE_GIT_TYPES:
                if not ee:
                    yield self._report(flow, place, type_node, f"{plugin_type} is removed from the open-source git "
                                       "plugin in Kestra 2.0 (dashboards are managed in the Enterprise Edition only); "
                                       "remove the task")
                    continue
                advice = f"use {k2.EE_GIT_TYPES[plugin_type]} (the same properties; PushDashboards' `flows` output " \
                         "is `dashboards`)"
            elif plugin_type == "io.kestra.plugin.ee.git.Clone" and ee:
                advice = "use io.kestra.plugin.git.Clone and add `strictHostKeyChecking: true` to keep checking host keys"
            if advice is not None:
                yield self._report(
                    flow, place, type_node, f"{plugin_type} is removed in Kestra 2.0 (the flow does not parse); {advice}"
                )

    def _report(self, flow: Flow, place: k2.Place, node: Any, message: str) -> Diagnostic:
        subject = owner_name(place.task, flow) if place.task is not None and place.task.node is place.node else None
        text = f"{subject}: {message}" if subject else message
        return self.flow_diagnostic(flow, yn.node_span(flow.source, node), text, task=place.task)


# =====================================================================================
# CL603
# =====================================================================================

TRIGGER_CONDITION_KEYS = ("conditions", "scheduleConditions", "preconditions", "timeWindow", "multipleConditions")


def _quote(text: str) -> str:
    """``text`` as a double-quoted YAML scalar (line breaks as escapes: a raw one would fold)."""
    escaped = text.replace("\\", "\\\\").replace('"', '\\"')
    return '"' + escaped.replace("\n", "\\n").replace("\r", "\\r").replace("\t", "\\t") + '"'


class TriggerConditionsRemoved(MigrationRule):
    code = "CL603"
    name = "trigger-conditions-removed"
    summary = "Trigger `conditions` / `preconditions` that Kestra 2.0 replaces with `when` / `dependsOn`: the flow does not parse"
    fix = "unsafe"
    explanation = """
## What it does
Reports, on a Kestra 2.0 (or later) target, the properties Kestra 2.0 removes from
triggers — `conditions`, Schedule's `scheduleConditions`, and on Flow triggers
`preconditions`, `timeWindow` and `multipleConditions` — with what replaces them:

- on every trigger, a top-level `when` Pebble expression: `DayWeek` becomes
  `{{ dayOfWeek(trigger.date) == 'MONDAY' }}`, `Weekend` `{{ isWeekend(trigger.date) }}`,
  `PublicHoliday` `{{ isPublicHoliday(trigger.date, 'FR') }}`, `DayWeekInMonth`
  `{{ isDayWeekInMonth(trigger.date, 'MONDAY', 'FIRST') }}`, `TimeBetween`
  `{{ hourOfDay(trigger.date) >= 8 and hourOfDay(trigger.date) < 17 }}`, an
  `Expression` its own expression; several conditions join with `and`, `Not` and
  `Or` with `not` and `or`;
- on Flow triggers, `dependsOn` entries (`flowId`, `namespace`, `states`, `labels`,
  `when`) and a trigger-level `window`: `ExecutionFlow` becomes `flowId` +
  `namespace`, `ExecutionStatus` becomes `states`, `ExecutionNamespace` with
  `PREFIX` becomes `when: "{{ namespace | startsWith('…') }}"`, `MultipleCondition`
  and `preconditions.flows` become one entry per upstream flow, `timeWindow` becomes
  `window` (`deadline`, `from`/`to`, `every`, `lookback`).

The message gives the `when` expression when every condition has one. See the
migration guide's "Trigger Conditions Redesign" page.

The fix (unsafe: the expression should be read) replaces a Schedule, Webhook or
other non-Flow trigger's `conditions` (or `scheduleConditions`) with that `when`,
when the trigger has no `when` yet. Flow triggers have no fix: which entries and
states you mean is your call.

## Why is this bad?
Kestra 2.0 refuses a flow whose trigger still has `conditions`. Kestra 1.x does not
know `when` on triggers, so this rewrite is the one migration step that cannot be
made before the upgrade.

## Example
```yaml
triggers:
  - id: schedule
    type: io.kestra.plugin.core.trigger.Schedule
    cron: "0 9 * * *"
    conditions:
      - type: io.kestra.plugin.core.condition.DayWeek
        dayOfWeek: MONDAY
```

## Use instead
```yaml
triggers:
  - id: schedule
    type: io.kestra.plugin.core.trigger.Schedule
    cron: "0 9 * * *"
    when: "{{ dayOfWeek(trigger.date) == 'MONDAY' }}"
```
"""
    # The guide's "Trigger Conditions Redesign" page: "Schedule: specific day of week",
    # "Webhook: filter by body", "Single upstream flow", "Multiple upstream flows with a deadline".
    VALID = [
        Valid(
            flow_text("""
                id: weekly
                namespace: company.team
                tasks:
                  - id: hello
                    type: io.kestra.plugin.core.log.Log
                    message: hello
                triggers:
                  - id: schedule
                    type: io.kestra.plugin.core.trigger.Schedule
                    cron: "0 9 * * *"
                    when: "{{ dayOfWeek(trigger.date) == 'MONDAY' }}"
                  - id: after_extract
                    type: io.kestra.plugin.core.trigger.Flow
                    dependsOn:
                      - flowId: extract
                        namespace: company.team
                        states: [SUCCESS]
            """),
            config=V2,
            note="the guide's 2.0 forms: `when` and `dependsOn`",
        ),
        Valid(
            flow_text("""
                id: weekly
                namespace: company.team
                tasks:
                  - id: check
                    type: io.kestra.plugin.core.execution.Assert
                    conditions:
                      - "{{ 1 == 1 }}"
                triggers:
                  - id: schedule
                    type: io.kestra.plugin.core.trigger.Schedule
                    cron: "0 9 * * *"
                    conditions:
                      - type: io.kestra.plugin.core.condition.DayWeek
                        dayOfWeek: MONDAY
            """),
            note="on Kestra 1.x trigger conditions are the only way; a task's `conditions` (Assert) is not a trigger's",
        ),
    ]
    INVALID = [
        Invalid(
            flow_text("""
                id: weekly
                namespace: company.team
                tasks:
                  - id: hello
                    type: io.kestra.plugin.core.log.Log
                    message: hello
                triggers:
                  - id: schedule
                    type: io.kestra.plugin.core.trigger.Schedule
                    cron: "0 9 * * *"
                    conditions:
                      - type: io.kestra.plugin.core.condition.DayWeek
                        dayOfWeek: MONDAY
            """),
            config=V2,
            line=11,
            column=5,
            end_column=15,
            message="Trigger 'schedule': `conditions` on triggers is removed in Kestra 2.0 (the flow does not parse); "
            "write `when: \"{{ dayOfWeek(trigger.date) == 'MONDAY' }}\"` instead",
            fixed=flow_text("""
                id: weekly
                namespace: company.team
                tasks:
                  - id: hello
                    type: io.kestra.plugin.core.log.Log
                    message: hello
                triggers:
                  - id: schedule
                    type: io.kestra.plugin.core.trigger.Schedule
                    cron: "0 9 * * *"
                    when: "{{ dayOfWeek(trigger.date) == 'MONDAY' }}"
            """),
            note="the guide's \"Schedule: specific day of week\"",
        ),
        Invalid(
            flow_text("""
                id: on_push
                namespace: company.team
                tasks:
                  - id: hello
                    type: io.kestra.plugin.core.log.Log
                    message: hello
                triggers:
                  - id: webhook
                    type: io.kestra.plugin.core.trigger.Webhook
                    key: myKey
                    conditions:
                      - type: io.kestra.plugin.core.condition.Expression
                        expression: "{{ trigger.headers['X-Event-Type'] == 'deploy' }}"
                      - type: io.kestra.plugin.core.condition.Expression
                        expression: "{{ trigger.body.environment == 'production' }}"  # two conditions
            """),
            config=V2,
            line=11,
            column=5,
            message="write `when: \"{{ (trigger.headers['X-Event-Type'] == 'deploy') and "
            "(trigger.body.environment == 'production') }}\"` instead",
            fixed=flow_text("""
                id: on_push
                namespace: company.team
                tasks:
                  - id: hello
                    type: io.kestra.plugin.core.log.Log
                    message: hello
                triggers:
                  - id: webhook
                    type: io.kestra.plugin.core.trigger.Webhook
                    key: myKey
                    when: "{{ (trigger.headers['X-Event-Type'] == 'deploy') and (trigger.body.environment == 'production') }}"  # two conditions
            """),
            note="the guide's \"Webhook: filter by header and body\"; the comment after the block stays",
        ),
        Invalid(
            flow_text("""
                id: downstream
                namespace: company.team
                tasks:
                  - id: hello
                    type: io.kestra.plugin.core.log.Log
                    message: hello
                triggers:
                  - id: after_staging
                    type: io.kestra.plugin.core.trigger.Flow
                    preconditions:
                      id: staging_deps
                      timeWindow:
                        type: DAILY_TIME_DEADLINE
                        deadline: "09:00:00+01:00"
                      flows:
                        - namespace: company.team
                          flowId: stg_sales
                          states: [SUCCESS]
            """),
            config=V2,
            line=10,
            column=5,
            end_column=18,
            message="`preconditions` on Flow triggers is removed in Kestra 2.0 (the flow does not parse); list the "
            "upstream flows under `dependsOn`",
            note="the guide's \"Multiple upstream flows with a deadline\": a Flow trigger has no fix",
        ),
    ]

    def check_flow(self, flow: Flow, context: RuleContext) -> Iterable[Diagnostic]:
        for trigger in flow.triggers:
            is_flow_trigger = trigger.type in k2.TRIGGER_FLOW
            for key in TRIGGER_CONDITION_KEYS:
                pair = trigger.get(key)
                if pair is None:
                    continue
                yield self._report(flow, trigger, key, pair, is_flow_trigger)

    def _report(self, flow: Flow, trigger: Task, key: str, pair: tuple[Any, Any], is_flow_trigger: bool) -> Diagnostic:
        key_node, value_node = pair
        fix = None
        if is_flow_trigger:
            if key == "conditions":
                advice = (
                    "list the upstream flows under `dependsOn` (`flowId`, `namespace`, `states`, `labels`, `when`): "
                    "`ExecutionFlow` becomes `flowId` + `namespace`, `ExecutionStatus` becomes `states`, "
                    "`MultipleCondition` one entry per flow and a trigger-level `window`"
                )
            elif key == "timeWindow":
                advice = "write a trigger-level `window` (`deadline`, `from`/`to`, `every`, `lookback`)"
            else:
                advice = "list the upstream flows under `dependsOn` (one entry per flow) and the time window as `window`"
            message = f"`{key}` on Flow triggers is removed in Kestra 2.0 (the flow does not parse); {advice}"
        else:
            expression = None
            if key in ("conditions", "scheduleConditions"):
                expression = k2.when_expression(yn.elements(value_node))
            if expression is not None:
                advice = f"write `when: {_quote(expression)}` instead"
                fix = self._fix(flow, trigger, key, key_node, value_node, expression)
            else:
                names = {k2.condition_name(yn.get_string(c, "type")) for c in yn.elements(value_node)}
                unknown = sorted(
                    name for name in names - set(k2.WHEN_CONDITIONS) if name is not None
                )
                needs = f" ({', '.join(unknown)} has no direct form: write it by hand)" if unknown else ""
                advice = f"write a top-level `when` Pebble expression instead{needs}"
            message = f"`{key}` on triggers is removed in Kestra 2.0 (the flow does not parse); {advice}"
        return self.flow_diagnostic(
            flow, yn.node_span(flow.source, key_node), f"{owner_name(trigger, flow)}: {message}", task=trigger, fix=fix
        )

    def _fix(self, flow: Flow, trigger: Task, key: str, key_node: Any, value_node: Any, expression: str) -> Fix | None:
        from contractlint.flow.edits import content_end

        others = [k for k in ("when", *("conditions", "scheduleConditions")) if k != key and trigger.get(k) is not None]
        if others or not yn.is_scalar(key_node) or key_node.style not in (None, ""):
            return None  # an existing `when`, or both lists: combining them is a judgement call
        source = flow.source
        start, end = key_node.start_mark.index, content_end(source, value_node)
        if source.text[source.line_start_of(start):start].strip(" ") != "":
            return None  # `- conditions:` opening a list item, or a flow mapping: not a line of its own
        edit = source.edit(start, end, f"when: {_quote(expression)}")
        return Fix("unsafe", f"Replace `{key}` with `when`", (edit,))


# =====================================================================================
# CL604
# =====================================================================================


class TriggerMissingInput(MigrationRule):
    code = "CL604"
    name = "trigger-missing-input"
    summary = "A Schedule or Webhook trigger that does not supply an input without `defaults`: Kestra 2.0 rejects the flow"
    explanation = """
## What it does
Reports, on a Kestra 2.0 (or later) target, a Schedule or Webhook trigger (current
and legacy type names) that leaves out an input of the flow which has no
`defaults`. Kestra 2.0 checks, when the flow is saved, that every trigger that
starts executions by itself can resolve every input: an input without `defaults`
must be set under the trigger's `inputs:` map, keyed by the input's `id`.
`required: false` and `prefill` do not count (prefill is a hint for the UI);
inputs with a `dependsOn` are only needed when it holds, so they are left out.

See the migration guide's index and the official migration tool's notes
("Triggers must supply every input lacking a `defaults`").

## Why is this bad?
Kestra 2.0 refuses the flow: `Invalid Flow: Missing inputs for Schedule Trigger
'daily', missing inputs: 'date'`. On 1.x such a trigger started executions that
failed, or ran with the input empty.

## Example
```yaml
inputs:
  - id: date
    type: STRING
triggers:
  - id: daily
    type: io.kestra.plugin.core.trigger.Schedule
    cron: "0 6 * * *"
```

## Use instead
```yaml
inputs:
  - id: date
    type: STRING
triggers:
  - id: daily
    type: io.kestra.plugin.core.trigger.Schedule
    cron: "0 6 * * *"
    inputs:
      date: "{{ trigger.date | date('yyyy-MM-dd') }}"
```
"""
    # The migration guide index and the official migration tool ("Triggers must supply every input
    # lacking a `defaults`", "Missing inputs for Schedule Trigger"); Webhooks since kestra#18601.
    VALID = [
        Valid(
            flow_text("""
                id: daily_report
                namespace: company.team
                inputs:
                  - id: date
                    type: STRING
                  - id: region
                    type: STRING
                    defaults: eu
                tasks:
                  - id: hello
                    type: io.kestra.plugin.core.log.Log
                    message: "{{ inputs.date }} {{ inputs.region }}"
                triggers:
                  - id: daily
                    type: io.kestra.plugin.core.trigger.Schedule
                    cron: "0 6 * * *"
                    inputs:
                      date: "{{ trigger.date | date('yyyy-MM-dd') }}"
            """),
            config=V2,
            note="the trigger supplies `date`; `region` has defaults",
        ),
    ]
    INVALID = [
        Invalid(
            flow_text("""
                id: daily_report
                namespace: company.team
                inputs:
                  - id: date
                    type: STRING
                  - id: dry_run
                    type: BOOL
                    required: false
                tasks:
                  - id: hello
                    type: io.kestra.plugin.core.log.Log
                    message: "{{ inputs.date }}"
                triggers:
                  - id: daily
                    type: io.kestra.plugin.core.trigger.Schedule
                    cron: "0 6 * * *"
                  - id: hook
                    type: io.kestra.plugin.core.trigger.Webhook
                    key: "{{ secret('WEBHOOK_KEY') }}"
                    inputs:
                      date: "{{ trigger.body.date }}"
            """),
            config=V2,
            count=2,
            line=14,
            column=9,
            end_column=14,
            message="Schedule trigger 'daily' does not supply inputs 'date', 'dry_run', which have no `defaults`: "
            "Kestra 2.0 rejects the flow (\"Missing inputs for Schedule Trigger\"); add `defaults` to the inputs or "
            "set them under the trigger's `inputs:`",
            note="`required: false` does not count; the Webhook misses `dry_run`",
        ),
    ]

    def check_flow(self, flow: Flow, context: RuleContext) -> Iterable[Diagnostic]:
        needed = []
        for node in yn.elements(yn.get_value(flow.root, "inputs")):
            input_id = yn.scalar_text(yn.get_value(node, "id")) or yn.scalar_text(yn.get_value(node, "name"))
            if input_id and yn.get(node, "defaults") is None and yn.get(node, "dependsOn") is None:
                needed.append(input_id)
        if not needed:
            return
        for trigger in flow.triggers:
            if trigger.type in k2.TRIGGER_SCHEDULE:
                kind = "Schedule"
            elif trigger.type in k2.TRIGGER_WEBHOOK:
                kind = "Webhook"
            else:
                continue
            inputs = trigger.value("inputs")
            if inputs is not None and not yn.is_mapping(inputs):
                continue  # `inputs: "{{ … }}"`: cannot be listed
            supplied = {yn.scalar_text(key) for key, _ in yn.items(inputs)}
            missing = [name for name in needed if name not in supplied]
            if not missing:
                continue
            anchor = trigger.get("id") or trigger.get("type")
            span = yn.node_span(flow.source, anchor[1] if anchor is not None else trigger.node)
            names = ", ".join(f"'{name}'" for name in missing)
            plural = len(missing) > 1
            yield self.flow_diagnostic(
                flow,
                span,
                f"{kind} trigger '{trigger.id}' does not supply input{'s' if plural else ''} {names}, which "
                f"{'have' if plural else 'has'} no `defaults`: Kestra 2.0 rejects the flow (\"Missing inputs for {kind} "
                f"Trigger\"); add `defaults` to the input{'s' if plural else ''} or set {'them' if plural else 'it'} "
                "under the trigger's `inputs:`",
                task=trigger,
            )


# =====================================================================================
# CL605
# =====================================================================================

SUBFLOW_TYPES = (k2.CORE + "flow.Subflow", "io.kestra.core.tasks.flows.Subflow", "io.kestra.core.tasks.flows.Flow")
PAUSE_TYPES = (k2.CORE + "flow.Pause", "io.kestra.core.tasks.flows.Pause")
_RFC1123 = re.compile(r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$")


class RemovedProperty(MigrationRule):
    code = "CL605"
    name = "removed-property"
    summary = "A property Kestra 2.0 removes (Subflow `outputs`, Schedule `backfill`, trigger `minLogLevel`, script `runner`/`docker`, HTTP basic-auth options, `workerGroup`, …)"
    fix = "sometimes"
    explanation = """
## What it does
Reports, on a Kestra 2.0 (or later) target, properties that Kestra 2.0 no longer
has (a flow with an unknown property is refused), with what replaces them:

- `outputs` of a `Subflow` task: declare the outputs in the subflow itself
  (flow-level `outputs`) and read them as `{{ outputs.<task>.outputs.<id> }}`;
- `backfill` / `backfills` of a Schedule trigger: start backfills from the UI or
  the API;
- `minLogLevel` of a trigger;
- `runner` and `docker` of script tasks: `taskRunner`
  (`io.kestra.plugin.core.runner.Process` for `runner: PROCESS`,
  `io.kestra.plugin.scripts.runner.docker.Docker` otherwise) and `containerImage`
  for `docker.image`;
- `options.basicAuthUser` / `basicAuthPassword` of HTTP tasks:
  `options.auth: {type: BASIC, username: …, password: …}`; and
  `options.connectionPoolIdleTimeout`;
- inline `tasks` of a `Pause` task: put them after it;
- `extension` of a `FILE` input;
- `workerGroup` (Enterprise): `workerSelector: {tags: [<key>], fallback: …}` —
  `fallback` defaults to `FAIL` in 2.0 where 1.x waited, so `WAIT` is written when
  `workerGroup` had none;
- `expiredOnly` of `io.kestra.plugin.core.kv.PurgeKV` (deprecated, still read):
  `behavior: {type: key, expiredOnly: …}`.

Fixes: the entries that 2.0 would only ignore or refuse (`backfill`,
`minLogLevel`, `connectionPoolIdleTimeout`, a FILE input's `extension`) are
deleted; `runner: PROCESS`, `runner: DOCKER` with `docker: {image: …}`,
`workerGroup` and `expiredOnly` are rewritten; deleting a Subflow's `outputs` is
unsafe (move them to the subflow first). See the migration guide's index and the
official migration tool's list of removed properties.

## Why is this bad?
Kestra 2.0 refuses a flow with a property it does not know, and for the ones it
still reads (`runner`), it ignores them: a `PROCESS` task silently runs in Docker.

## Example
```yaml
tasks:
  - id: process_runner
    type: io.kestra.plugin.scripts.shell.Commands
    runner: PROCESS
    commands:
      - echo hello
```

## Use instead
```yaml
tasks:
  - id: process_runner
    type: io.kestra.plugin.scripts.shell.Commands
    taskRunner: {type: io.kestra.plugin.core.runner.Process}
    commands:
      - echo hello
```
"""
    # The official migration tool's script-runner case (kestra-ee#11384) and its removed-property list
    # (Subflow outputs, Schedule backfills, trigger minLogLevel, workerGroup → workerSelector).
    VALID = [
        Valid(
            flow_text("""
                id: script_runner
                namespace: company.team
                tasks:
                  - id: docker_runner
                    type: io.kestra.plugin.scripts.shell.Commands
                    taskRunner:
                      type: io.kestra.plugin.scripts.runner.docker.Docker
                    containerImage: ubuntu:24.04
                    commands:
                      - echo hello
                triggers:
                  - id: daily
                    type: io.kestra.plugin.core.trigger.Schedule
                    cron: "0 6 * * *"
            """),
            config=V2,
            note="the 2.0 form of a Docker script task",
        ),
    ]
    INVALID = [
        Invalid(
            flow_text("""
                id: script_runner
                namespace: company.team
                tasks:
                  - id: process_runner
                    type: io.kestra.plugin.scripts.shell.Commands
                    runner: PROCESS
                    commands:
                      - echo hello

                  - id: docker_runner
                    type: io.kestra.plugin.scripts.shell.Commands
                    runner: DOCKER
                    docker:
                      image: ubuntu:24.04
                    commands:
                      - echo hello
            """),
            config=V2,
            count=2,
            line=6,
            column=5,
            end_column=11,
            message="Task 'process_runner': `runner` of script tasks is removed in Kestra 2.0 (ignored: the task would "
            "run in Docker); use `taskRunner: {type: io.kestra.plugin.core.runner.Process}`",
            fixed=flow_text("""
                id: script_runner
                namespace: company.team
                tasks:
                  - id: process_runner
                    type: io.kestra.plugin.scripts.shell.Commands
                    taskRunner: {type: io.kestra.plugin.core.runner.Process}
                    commands:
                      - echo hello

                  - id: docker_runner
                    type: io.kestra.plugin.scripts.shell.Commands
                    taskRunner: {type: io.kestra.plugin.scripts.runner.docker.Docker}
                    containerImage: ubuntu:24.04
                    commands:
                      - echo hello
            """),
            note="the official migration tool's script-runner case",
        ),
        Invalid(
            flow_text("""
                id: nightly
                namespace: company.team
                tasks:
                  - id: child
                    type: io.kestra.plugin.core.flow.Subflow
                    namespace: company.team
                    flowId: load
                    outputs:
                      rows: "{{ outputs.count.value }}"
                triggers:
                  - id: daily
                    type: io.kestra.plugin.core.trigger.Schedule
                    cron: "0 6 * * *"
                    minLogLevel: WARN
                    backfill:
                      start: 2024-01-01T00:00:00Z
            """),
            config=V2,
            count=3,
            line=8,
            column=5,
            message="Task 'child': `outputs` of a Subflow task is removed in Kestra 2.0; declare them as flow `outputs` "
            "in the subflow",
            fixed=flow_text("""
                id: nightly
                namespace: company.team
                tasks:
                  - id: child
                    type: io.kestra.plugin.core.flow.Subflow
                    namespace: company.team
                    flowId: load
                triggers:
                  - id: daily
                    type: io.kestra.plugin.core.trigger.Schedule
                    cron: "0 6 * * *"
            """),
            note="Subflow `outputs`, Schedule `backfill`, trigger `minLogLevel`",
        ),
        Invalid(
            flow_text("""
                id: routed
                namespace: company.team
                tasks:
                  - id: gpu_job
                    type: io.kestra.plugin.scripts.python.Commands
                    workerGroup:
                      key: gpu
                    commands:
                      - python train.py
            """),
            config=V2_EE,
            line=6,
            column=5,
            message="use `workerSelector: {tags: [gpu], fallback: WAIT}`",
            fixed=flow_text("""
                id: routed
                namespace: company.team
                tasks:
                  - id: gpu_job
                    type: io.kestra.plugin.scripts.python.Commands
                    workerSelector: {tags: [gpu], fallback: WAIT}
                    commands:
                      - python train.py
            """),
            note="Enterprise worker groups; WAIT keeps 1.x's default fallback",
        ),
    ]

    def check_flow(self, flow: Flow, context: RuleContext) -> Iterable[Diagnostic]:
        for place, plugin_type, _ in typed_places(flow):
            if in_plugin_defaults(place, flow):
                continue
            yield from self._check(flow, place, plugin_type)
        for node in yn.elements(yn.get_value(flow.root, "inputs")):
            pair = yn.get(node, "extension")
            if pair is not None and yn.get_string(node, "type") == "FILE":
                yield self._removed(flow, node, pair, None, "`extension` of a FILE input is removed in Kestra 2.0 "
                                    "(it was not enforced)", "safe")

    def _check(self, flow: Flow, place: k2.Place, plugin_type: str) -> Iterator[Diagnostic]:
        node, task = place.node, place.task
        is_trigger = task is not None and task.is_trigger and task.node is node
        if plugin_type in SUBFLOW_TYPES and yn.get(node, "outputs") is not None:
            yield self._removed(flow, node, yn.get(node, "outputs"), task, "`outputs` of a Subflow task is removed in "
                                "Kestra 2.0; declare them as flow `outputs` in the subflow and read them as "
                                "`{{ outputs.<task>.outputs.<id> }}`", "unsafe")
        if plugin_type in k2.TRIGGER_SCHEDULE:
            for key in ("backfill", "backfills"):
                if yn.get(node, key) is not None:
                    yield self._removed(flow, node, yn.get(node, key), task, f"`{key}` of a Schedule trigger is removed "
                                        "in Kestra 2.0; start backfills from the UI or the API", "safe")
        if is_trigger and yn.get(node, "minLogLevel") is not None:
            yield self._removed(flow, node, yn.get(node, "minLogLevel"), task,
                                "`minLogLevel` of triggers is removed in Kestra 2.0", "safe")
        if plugin_type in PAUSE_TYPES and yn.get(node, "tasks") is not None:
            yield self._removed(flow, node, yn.get(node, "tasks"), task, "the inline `tasks` of a Pause task are "
                                "removed in Kestra 2.0; put them after the Pause task", None)
        if plugin_type.startswith("io.kestra.plugin.scripts."):
            yield from self._runner(flow, node, task)
        options = yn.get_value(node, "options")
        if yn.is_mapping(options):
            yield from self._http_options(flow, options, task)
        worker_group = yn.get(node, "workerGroup")
        if worker_group is not None:
            yield self._worker_group(flow, node, worker_group, task)
        expired = yn.get(node, "expiredOnly")
        if plugin_type == k2.CORE + "kv.PurgeKV" and expired is not None and yn.get(node, "behavior") is None:
            pair = expired
            value = yn.scalar_text(pair[1])
            fix = None
            if value is not None and yn.is_scalar(pair[1]) and "\n" not in value:
                behavior = f"behavior: {{type: key, expiredOnly: {_raw(flow, pair[1])}}}"
                fix = self._replace_entry(flow, node, pair, behavior, "Replace `expiredOnly` with `behavior`", "safe")
            yield self.flow_diagnostic(
                flow, yn.node_span(flow.source, pair[0]),
                f"{owner_name(task, flow)}: `expiredOnly` of PurgeKV is deprecated in Kestra 2.0 (still read, to be "
                f"removed); write `behavior: {{type: key, expiredOnly: {value}}}`", task=task, fix=fix)

    def _removed(self, flow: Flow, mapping: Any, pair: tuple[Any, Any], task: Task | None, message: str,
                 applicability: str | None) -> Diagnostic:
        fix = None
        if applicability is not None:
            from contractlint.flow.edits import delete_entry

            index = next(i for i, (key, _) in enumerate(yn.items(mapping)) if key is pair[0])
            edit = delete_entry(flow.source, mapping, index)
            if edit is not None:
                fix = Fix(applicability, f"Remove `{yn.scalar_text(pair[0])}`", (edit,))
        prefix = f"{owner_name(task, flow)}: " if task is not None else ""
        return self.flow_diagnostic(flow, yn.node_span(flow.source, pair[0]), prefix + message, task=task, fix=fix)

    def _replace_entry(self, flow: Flow, mapping: Any, pair: tuple[Any, Any], content: str, description: str,
                       applicability: str) -> Fix | None:
        """Replace one block-mapping entry (its key through its value) with ``content``."""
        from contractlint.flow.edits import content_end

        key_node, value_node = pair
        source = flow.source
        start, end = key_node.start_mark.index, content_end(source, value_node)
        if mapping.flow_style or source.text[source.line_start_of(start):start].strip(" -") != "":
            return None
        if not yn.is_scalar(key_node):
            return None
        return Fix(applicability, description, (source.edit(start, end, content),))

    def _runner(self, flow: Flow, node: Any, task: Task | None) -> Iterator[Diagnostic]:
        runner, docker = yn.get(node, "runner"), yn.get(node, "docker")
        if runner is None and docker is None:
            return
        existing = yn.get(node, "taskRunner") is not None or yn.get(node, "containerImage") is not None
        runner_value = yn.scalar_text(runner[1]) if runner is not None else None
        image = yn.get(docker[1], "image") if docker is not None and yn.is_mapping(docker[1]) else None
        only_image = docker is not None and yn.is_mapping(docker[1]) and len(yn.items(docker[1])) == 1 and image
        subject = owner_name(task, flow)
        if runner is not None:
            if runner_value == "PROCESS":
                advice = "use `taskRunner: {type: io.kestra.plugin.core.runner.Process}`" + (
                    " and delete `docker`" if docker is not None else "")
                fix = None if existing or docker is not None else self._replace_entry(
                    flow, node, runner, "taskRunner: {type: io.kestra.plugin.core.runner.Process}",
                    "Replace `runner: PROCESS` with the Process task runner", "safe")
            else:
                advice = "use `taskRunner: {type: io.kestra.plugin.scripts.runner.docker.Docker}`" + (
                    " and `containerImage`" if docker is not None else "")
                fix = None
                if not existing and (docker is None or only_image):
                    first = self._replace_entry(flow, node, runner, "taskRunner: {type: "
                                                "io.kestra.plugin.scripts.runner.docker.Docker}", "", "safe")
                    second = None
                    if docker is not None:
                        image_entry = f"containerImage: {_raw(flow, image[1])}"
                        second = self._replace_entry(flow, node, docker, image_entry, "", "safe")
                    if first is not None and (docker is None or second is not None):
                        edits = first.edits + (second.edits if second is not None else ())
                        fix = Fix("safe", "Replace `runner`/`docker` with `taskRunner` and `containerImage`", edits)
            yield self.flow_diagnostic(
                flow, yn.node_span(flow.source, runner[0]),
                f"{subject}: `runner` of script tasks is removed in Kestra 2.0 (ignored: the task would run in Docker); "
                f"{advice}", task=task, fix=fix)
        elif docker is not None:
            fix = None
            if not existing and only_image:
                first = self._replace_entry(flow, node, docker, "taskRunner: {type: "
                                            "io.kestra.plugin.scripts.runner.docker.Docker}", "", "safe")
                if first is not None:
                    edit = first.edits[0]
                    newline = flow.source.newline_at(docker[0].start_mark.index)
                    indent = " " * docker[0].start_mark.column
                    content = f"{edit.content}{newline}{indent}containerImage: {_raw(flow, image[1])}"
                    fix = Fix("safe", "Replace `docker` with `taskRunner` and `containerImage`",
                              (flow.source.edit(edit.start, edit.end, content),))
        if docker is not None and runner is None:
            yield self.flow_diagnostic(
                flow, yn.node_span(flow.source, docker[0]),
                f"{subject}: `docker` of script tasks is removed in Kestra 2.0 (the flow does not parse); use "
                "`taskRunner: {type: io.kestra.plugin.scripts.runner.docker.Docker}` and `containerImage` for "
                "`docker.image`", task=task, fix=fix)

    def _http_options(self, flow: Flow, options: Any, task: Task | None) -> Iterator[Diagnostic]:
        pair = yn.get(options, "connectionPoolIdleTimeout")
        if pair is not None:
            yield self._removed(flow, options, pair, task, "`options.connectionPoolIdleTimeout` is removed in Kestra 2.0",
                                "safe")
        for key in ("basicAuthUser", "basicAuthPassword"):
            pair = yn.get(options, key)
            if pair is not None:
                yield self._removed(flow, options, pair, task, f"`options.{key}` is removed in Kestra 2.0; use "
                                    "`options.auth: {type: BASIC, username: …, password: …}`", None)

    def _worker_group(self, flow: Flow, node: Any, pair: tuple[Any, Any], task: Task | None) -> Diagnostic:
        key = yn.scalar_text(yn.get_value(pair[1], "key")) if yn.is_mapping(pair[1]) else None
        fallback = yn.scalar_text(yn.get_value(pair[1], "fallback")) if yn.is_mapping(pair[1]) else None
        fix = None
        if key is not None and _RFC1123.match(key):
            selector = f"{{tags: [{key}], fallback: {fallback or 'WAIT'}}}"
            advice = f"use `workerSelector: {selector}`"
            fix = self._replace_entry(flow, node, pair, f"workerSelector: {selector}",
                                      "Replace `workerGroup` with `workerSelector`", "safe")
        else:
            advice = ("use `workerSelector: {tags: [...]}` — its tags must be RFC 1123 labels (lowercase letters, "
                      "digits and hyphens), so rename the worker group")
        return self.flow_diagnostic(
            flow, yn.node_span(flow.source, pair[0]),
            f"{owner_name(task, flow)}: `workerGroup` is removed in Kestra 2.0; {advice} (2.0 defaults `fallback` to "
            "FAIL where 1.x waited)", task=task, fix=fix)


def _raw(flow: Flow, node: Any) -> str:
    """A scalar as written in the file (quotes included), to copy it into a rewrite."""
    return flow.source.text[node.start_mark.index : node.end_mark.index]


# =====================================================================================
# CL606
# =====================================================================================


class SdkAuthRequired(MigrationRule):
    code = "CL606"
    name = "sdk-auth-required"
    summary = "A task that calls the Kestra API (git sync, `io.kestra.plugin.kestra.*`) without `auth`: Kestra 2.0 answers 401"
    explanation = """
## What it does
Reports, on a Kestra 2.0 (or later) target, tasks that call the Kestra API through
the SDK and have no `auth` block: the git sync tasks
(`io.kestra.plugin.git.SyncFlows`, `SyncFlow`, `NamespaceSync`, `TenantSync`,
`PushFlows`, `SyncDashboards`, `PushDashboards`, `SyncNamespaceFiles` with
`includeChildNamespaces: true`), the Enterprise git tasks (`SyncApps`,
`SyncBlueprints`, …), every `io.kestra.plugin.kestra.*` task and
`io.kestra.plugin.ai.KestraFlow`. On the Enterprise Edition an `auth` given by a
Policy named in `policies` counts.

In 1.3 these calls were not authenticated; Kestra 2.0 requires credentials. Give
them inline (`auth: {apiToken: "{{ secret('KESTRA_API_TOKEN') }}"}`, or `username`
and `password`), as the namespace's or tenant's default credentials (Enterprise),
or in the server configuration (`kestra.tasks.sdk.authentication`; open source
derives it from `kestra.server.basic-auth`). If yours are configured there, turn
the rule off (`ignore = ["CL606"]`). See the migration guide's "SDK Authentication
Required for Internal Tasks" page.

## Why is this bad?
The flow saves, then the task fails on every run with `401 Unauthorized` ("Failed
to export flows from Kestra for namespace …").

## Example
```yaml
tasks:
  - id: sync
    type: io.kestra.plugin.git.SyncFlows
    targetNamespace: company.team
    gitDirectory: _flows
    url: https://github.com/your-org/your-repo
    branch: main
```

## Use instead
```yaml
tasks:
  - id: sync
    type: io.kestra.plugin.git.SyncFlows
    targetNamespace: company.team
    gitDirectory: _flows
    url: https://github.com/your-org/your-repo
    branch: main
    auth:
      url: "http://your-webserver:8080"
      apiToken: "{{ secret('KESTRA_API_TOKEN') }}"
```
"""
    # The guide's "SDK Authentication Required for Internal Tasks" page ("Inline auth on the task").
    VALID = [
        Valid(
            flow_text("""
                id: git_sync
                namespace: company.team
                tasks:
                  - id: sync
                    type: io.kestra.plugin.git.SyncFlows
                    targetNamespace: company.team
                    gitDirectory: _flows
                    url: https://github.com/your-org/your-repo
                    branch: main
                    auth:
                      url: "http://your-webserver:8080"
                      apiToken: "{{ secret('KESTRA_API_TOKEN') }}"
                  - id: files
                    type: io.kestra.plugin.git.SyncNamespaceFiles
                    namespace: company.team
                    gitDirectory: _files
                    url: https://github.com/your-org/your-repo
            """),
            config=V2,
            note="the guide's 2.0 form; SyncNamespaceFiles only calls the API with includeChildNamespaces",
        ),
    ]
    INVALID = [
        Invalid(
            flow_text("""
                id: git_sync
                namespace: company.team
                tasks:
                  - id: sync
                    type: io.kestra.plugin.git.SyncFlows
                    targetNamespace: company.team
                    gitDirectory: _flows
                    url: https://github.com/your-org/your-repo
                    branch: main
            """),
            config=V2,
            line=5,
            column=11,
            end_column=41,
            message="Task 'sync' (io.kestra.plugin.git.SyncFlows) calls the Kestra API, which Kestra 2.0 authenticates: "
            "without credentials it fails with 401 Unauthorized; add an `auth:` block",
            note="the guide's 1.3 form",
        ),
    ]

    def check_flow(self, flow: Flow, context: RuleContext) -> Iterable[Diagnostic]:
        from contractlint.flow.defaults import providers

        for task in (*flow.tasks, *flow.triggers):
            plugin_type = task.type
            if plugin_type is None:
                continue
            needs = plugin_type in k2.SDK_AUTH_TYPES or plugin_type.startswith(k2.SDK_AUTH_PREFIX)
            if plugin_type in k2.SDK_AUTH_WHEN:
                value = yn.scalar_text(task.value(k2.SDK_AUTH_WHEN[plugin_type])) or ""
                needs = value.lower() == "true" or "{{" in value
            if not needs or task.get("auth") is not None:
                continue
            if any(provider.value("auth") is not None for provider in providers(task, flow, context.project)):
                continue
            where = ("the namespace's or tenant's default credentials, or `kestra.tasks.sdk.authentication` in the "
                     "server configuration") if context.project.target.is_ee else (
                     "`kestra.tasks.sdk.authentication` in the server configuration (derived from "
                     "`kestra.server.basic-auth` when that is set)")
            type_node = task.value("type")
            yield self.flow_diagnostic(
                flow,
                yn.node_span(flow.source, type_node),
                f"{owner_name(task, flow)} ({plugin_type}) calls the Kestra API, which Kestra 2.0 authenticates: "
                "without credentials it fails with 401 Unauthorized; add an `auth:` block (`apiToken: "
                f"\"{{{{ secret('KESTRA_API_TOKEN') }}}}\"`) or configure {where}",
                task=task,
            )


# =====================================================================================
# CL607
# =====================================================================================


class OptionalInputWithDefaults(MigrationRule):
    code = "CL607"
    name = "optional-input-with-defaults"
    summary = "An input with `defaults` and `required: false`, which Kestra 2.0 refuses: an input with defaults is required"
    fix = "safe"
    kestra_opt_in = True
    explanation = """
## What it does
Reports, on a Kestra 2.0 (or later) target, a flow input that has `defaults` and
`required: false`. In Kestra 2.0 an input with a default is always required (the
default is always applied), so the combination is refused. The fix deletes
`required: false`.

The result is valid on Kestra 1.3 too: select the rule by name on a 1.x target
(`extend-select = ["CL607"]`) to fix it before upgrading.

If the input must be clearable, use `prefill` instead of `defaults` — but not for
an input that a Schedule or Webhook trigger leaves out (CL604).

## Why is this bad?
Kestra 2.0 refuses the flow; on 1.x `required: false` did nothing, as the default
was always applied.

## Example
```yaml
inputs:
  - id: region
    type: STRING
    defaults: eu
    required: false
```

## Use instead
```yaml
inputs:
  - id: region
    type: STRING
    defaults: eu
```
"""
    # The official migration tool's "Inputs with defaults must be required".
    VALID = [
        Valid(
            flow_text("""
                id: report
                namespace: company.team
                inputs:
                  - id: region
                    type: STRING
                    defaults: eu
                  - id: note
                    type: STRING
                    required: false
                tasks:
                  - id: hello
                    type: io.kestra.plugin.core.log.Log
                    message: "{{ inputs.region }}"
            """),
            config=V2,
        ),
    ]
    INVALID = [
        Invalid(
            flow_text("""
                id: report
                namespace: company.team
                inputs:
                  - id: region
                    type: STRING
                    defaults: eu
                    required: false  # optional
                tasks:
                  - id: hello
                    type: io.kestra.plugin.core.log.Log
                    message: "{{ inputs.region }}"
            """),
            config=V2,
            line=7,
            column=5,
            end_column=13,
            message="Input 'region' has `defaults` and `required: false`; Kestra 2.0 refuses it (an input with defaults "
            "is required): remove `required: false`",
            fixed=flow_text("""
                id: report
                namespace: company.team
                inputs:
                  - id: region
                    type: STRING
                    defaults: eu
                tasks:
                  - id: hello
                    type: io.kestra.plugin.core.log.Log
                    message: "{{ inputs.region }}"
            """),
        ),
    ]

    def check_flow(self, flow: Flow, context: RuleContext) -> Iterable[Diagnostic]:
        from contractlint.flow.edits import delete_entry

        for node in yn.elements(yn.get_value(flow.root, "inputs")):
            required = yn.get(node, "required")
            if required is None or yn.get(node, "defaults") is None:
                continue
            if yn.scalar_text(required[1]) not in ("false", "False", "FALSE"):
                continue
            name = yn.scalar_text(yn.get_value(node, "id")) or yn.scalar_text(yn.get_value(node, "name"))
            index = next(i for i, (key, _) in enumerate(yn.items(node)) if key is required[0])
            edit = delete_entry(flow.source, node, index)
            fix = Fix("safe", "Remove `required: false`", (edit,)) if edit is not None else None
            yield self.flow_diagnostic(
                flow,
                yn.node_span(flow.source, required[0]),
                f"input '{name}' has `defaults` and `required: false`; Kestra 2.0 refuses it (an input with defaults is "
                "required): remove `required: false`",
                fix=fix,
            )
