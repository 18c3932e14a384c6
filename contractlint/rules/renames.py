"""Migration to Kestra 2.0, part 2: renames, each with a safe fix (CL611–CL619).

What Kestra 2.0 dropped under an old name that has a new one: legacy type names,
input `name`, the `BOOLEAN`/`ENUM` input types, `maxAttempt`, Pause `delay`,
`CANCELED`, Pebble `json()` / `| json`, `checks[].condition`, reserved flow ids. The
fix writes the new name in place — the key or the value, in the style it was written
in — and nothing else. Except for `checks[].when` (which 1.3 does not know), every
new name is valid on Kestra 1.3 already: these rules may be selected by name on a 1.x
target to migrate before the upgrade. Sources as in ``migration``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any

from contractlint.diagnostics import Diagnostic, Edit, Fix
from contractlint.flow import kestra2 as k2
from contractlint.flow import yaml_nodes as yn
from contractlint.rules.base import Invalid, RuleContext, Valid
from contractlint.rules.migration import V2, MigrationRule, flow_text, owner_name, typed_places

if TYPE_CHECKING:
    from contractlint.flow.model import Flow, Task


class RenameRule(MigrationRule):
    """A rename whose new name Kestra 1.3 already accepts."""

    fix = "safe"
    kestra_opt_in = True

    def rename(
        self, flow: Flow, node: Any, new: str, message: str, task: Task | None = None, more: tuple[Edit, ...] = (),
        description: str | None = None, applicability: str = "safe",
    ) -> Diagnostic:
        """A finding at ``node`` (a key or a value) whose fix writes ``new`` there."""
        from contractlint.flow.edits import replace_scalar

        edit = replace_scalar(flow.source, node, new)
        fix = None
        if edit is not None:
            fix = Fix(applicability, description or f"Rename to `{new}`", (edit, *more))
        return self.flow_diagnostic(flow, yn.node_span(flow.source, node), message, task=task, fix=fix)


def _key_rename(flow: Flow, mapping: Any, old: str, new: str) -> Edit | None:
    """The edit renaming key ``old`` of ``mapping`` to ``new`` (None when ``new`` is
    there already, or the key cannot be edited)."""
    from contractlint.flow.edits import rename_key

    pair = yn.get(mapping, old)
    if pair is None or yn.get(mapping, new) is not None:
        return None
    return rename_key(flow.source, pair[0], new)


# =====================================================================================
# CL611
# =====================================================================================


class LegacyTypeName(RenameRule):
    code = "CL611"
    name = "legacy-type-name"
    summary = "A legacy type name (`io.kestra.core.tasks.*`, `io.kestra.plugin.fs.http.*`, deprecated aliases) that Kestra 2.0 no longer resolves"
    fix = "sometimes"
    explanation = """
## What it does
Reports, on a Kestra 2.0 (or later) target, a `type` written with a name Kestra
2.0 no longer resolves, and fixes it to the current name:

- the pre-0.17 core names, whose aliases 2.0 removes:
  `io.kestra.core.tasks.flows.*` → `io.kestra.plugin.core.flow.*`,
  `io.kestra.core.tasks.log.Log` → `io.kestra.plugin.core.log.Log`,
  `io.kestra.core.tasks.storages.*` → `io.kestra.plugin.core.storage.*`,
  `io.kestra.core.models.triggers.types.*` → `io.kestra.plugin.core.trigger.*`,
  `io.kestra.plugin.fs.http.*` → `io.kestra.plugin.core.http.*`, …;
- deprecated names the migration tool renames: `Echo` → `io.kestra.plugin.core.log.Log`
  (its `format` becomes `message`), `storage.Purge` →
  `io.kestra.plugin.core.execution.PurgeExecutions`, `storage.PurgeExecution` →
  `storage.PurgeCurrentExecutionFiles`, `io.kestra.plugin.core.log.Fetch` →
  `io.kestra.plugin.kestra.logs.Fetch`, and plugins that moved
  (`io.kestra.plugin.notifications.slack.*` → `io.kestra.plugin.slack.notifications.*`,
  `io.kestra.plugin.kubernetes.PodCreate` → `…kubernetes.core.PodCreate`, …).

Types in `pluginDefaults` entries are renamed too, so that they keep matching the
tasks. `Template` becomes `io.kestra.plugin.core.flow.Subflow` with `templateId` as
`flowId`; that fix is unsafe (a template was inlined, a subflow runs the flow of
that id). Condition types belong to CL603, removed types to CL602.

Every new name is valid on 1.3: select the rule by name on a 1.x target to rename
before upgrading. See the migration guide's tutorial (what `kestra-migrate`
rewrites) and the 0.17 "Renamed Plugins" page.

## Why is this bad?
Kestra 2.0 refuses a flow with a type it does not know, and 2.0 Policies match
types literally: a policy for `io.kestra.plugin.core.log.Log` does not reach a task
still called `io.kestra.core.tasks.log.Log`.

## Example
```yaml
tasks:
  - id: hello
    type: io.kestra.core.tasks.log.Log
    message: hello
```

## Use instead
```yaml
tasks:
  - id: hello
    type: io.kestra.plugin.core.log.Log
    message: hello
```
"""
    # The tutorial's 06-type-renames flow; the guide's Echo rename (kestra-ee#11390).
    VALID = [
        Valid(
            flow_text("""
                id: renames
                namespace: company.team
                tasks:
                  - id: purge_old
                    type: io.kestra.plugin.core.execution.PurgeExecutions
                    endDate: "{{ now() | dateAdd(-30, 'DAYS') }}"
                  - id: notify
                    type: io.kestra.plugin.slack.notifications.SlackIncomingWebhook
                    url: "{{ secret('SLACK_WEBHOOK') }}"
            """),
            config=V2,
            note="the tutorial's 2.0 names",
        ),
    ]
    INVALID = [
        Invalid(
            flow_text("""
                id: renames
                namespace: company.team
                tasks:
                  - id: purge_old
                    type: io.kestra.plugin.core.storage.Purge
                    endDate: "{{ now() | dateAdd(-30, 'DAYS') }}"
                  - id: notify
                    type: "io.kestra.plugin.notifications.slack.SlackIncomingWebhook"
                    url: "{{ secret('SLACK_WEBHOOK') }}"
                triggers:
                  - id: daily
                    type: io.kestra.core.models.triggers.types.Schedule  # the pre-0.17 name
                    cron: "0 6 * * *"
            """),
            config=V2,
            count=3,
            line=5,
            column=11,
            end_column=46,
            message="Task 'purge_old': `io.kestra.plugin.core.storage.Purge` is a legacy name that Kestra 2.0 no "
            "longer resolves; use `io.kestra.plugin.core.execution.PurgeExecutions` (valid on 1.x too)",
            fixed=flow_text("""
                id: renames
                namespace: company.team
                tasks:
                  - id: purge_old
                    type: io.kestra.plugin.core.execution.PurgeExecutions
                    endDate: "{{ now() | dateAdd(-30, 'DAYS') }}"
                  - id: notify
                    type: "io.kestra.plugin.slack.notifications.SlackIncomingWebhook"
                    url: "{{ secret('SLACK_WEBHOOK') }}"
                triggers:
                  - id: daily
                    type: io.kestra.plugin.core.trigger.Schedule  # the pre-0.17 name
                    cron: "0 6 * * *"
            """),
            note="the tutorial's type renames; quotes and comments stay",
        ),
        Invalid(
            flow_text("""
                id: echo_to_log
                namespace: migration.flows
                tasks:
                  - id: echo
                    type: io.kestra.plugin.core.debug.Echo
                    level: WARN
                    format: "Hello from Echo in {{ flow.namespace }}"
            """),
            line=5,
            column=11,
            message="use `io.kestra.plugin.core.log.Log` (its `format` is `message`)",
            fixed=flow_text("""
                id: echo_to_log
                namespace: migration.flows
                tasks:
                  - id: echo
                    type: io.kestra.plugin.core.log.Log
                    level: WARN
                    message: "Hello from Echo in {{ flow.namespace }}"
            """),
            note="on the default 1.x target, as the rule is selected by name: the new name is valid there",
        ),
    ]

    def check_flow(self, flow: Flow, context: RuleContext) -> Iterable[Diagnostic]:
        for place, plugin_type, type_node in typed_places(flow):
            new = k2.TYPE_RENAMES.get(plugin_type)
            template = plugin_type in k2.TEMPLATE_TYPES
            if new is None and not template:
                continue
            more: tuple[Edit, ...] = ()
            note = ""
            if template:
                new = k2.CORE + "flow.Subflow"
                edit = _key_rename(flow, place.node, "templateId", "flowId")
                more = (edit,) if edit is not None else ()
                note = " with `templateId` as `flowId` (a subflow runs that flow; a template was inlined)"
            elif plugin_type in k2.RENAMED_PROPERTIES:
                old_key, new_key = k2.RENAMED_PROPERTIES[plugin_type]
                edit = _key_rename(flow, place.node, old_key, new_key)
                more = (edit,) if edit is not None else ()
                note = f" (its `{old_key}` is `{new_key}`)"
            subject = owner_name(place.task, flow) if place.task is not None and place.task.node is place.node else ""
            prefix = f"{subject}: " if subject else ""
            yield self.rename(
                flow, type_node, new,
                f"{prefix}`{plugin_type}` is a legacy name that Kestra 2.0 no longer resolves; use `{new}`{note} "
                "(valid on 1.x too)",
                task=place.task, more=more, applicability="unsafe" if template else "safe",
            )


# =====================================================================================
# CL612
# =====================================================================================


class InputPropertyRenamed(RenameRule):
    code = "CL612"
    name = "input-property-renamed"
    summary = "An input's `name` (renamed `id`) or a MULTISELECT input's `options` (renamed `values`)"
    explanation = """
## What it does
Reports, on a Kestra 2.0 (or later) target, a flow input that still has `name`
instead of `id` (renamed in Kestra 0.15, and no longer read by 2.0), and a
`MULTISELECT` input with `options` instead of `values`. The fix renames the key;
use `displayName` for the text shown in the UI.

`id` and `values` are valid on 1.3: select the rule by name on a 1.x target to
rename before upgrading. See the 0.15 migration guide ("inputs name") and the
official migration tool's notes.

## Why is this bad?
Kestra 2.0 refuses an input without `id`, and the flow with it.

## Example
```yaml
inputs:
  - name: beverage
    type: STRING
    defaults: coffee
```

## Use instead
```yaml
inputs:
  - id: beverage
    type: STRING
    defaults: coffee
```
"""
    # The official migration tool's myflow case (inputs `name` → `id`).
    VALID = [
        Valid(
            flow_text("""
                id: myflow
                namespace: company.team
                inputs:
                  - id: beverage
                    type: STRING
                    defaults: coffee
                  - id: sizes
                    type: MULTISELECT
                    values: [S, M, L]
                tasks:
                  - id: hello
                    type: io.kestra.plugin.core.log.Log
                    message: Hello World! 🚀
            """),
            config=V2,
        ),
    ]
    INVALID = [
        Invalid(
            flow_text("""
                id: myflow
                namespace: company.team
                inputs:
                  - name: beverage
                    type: STRING
                    defaults: coffee
                  - name: quantity
                    type: INT
                    defaults: 1
                  - id: sizes
                    type: MULTISELECT
                    options: [S, M, L]
                tasks:
                  - id: hello
                    type: io.kestra.plugin.core.log.Log
                    message: Hello World! 🚀
            """),
            config=V2,
            count=3,
            line=4,
            column=5,
            end_column=9,
            message="Input 'beverage' has `name`, renamed `id` in Kestra 0.15 and no longer read by 2.0; rename it "
            "to `id`",
            fixed=flow_text("""
                id: myflow
                namespace: company.team
                inputs:
                  - id: beverage
                    type: STRING
                    defaults: coffee
                  - id: quantity
                    type: INT
                    defaults: 1
                  - id: sizes
                    type: MULTISELECT
                    values: [S, M, L]
                tasks:
                  - id: hello
                    type: io.kestra.plugin.core.log.Log
                    message: Hello World! 🚀
            """),
            note="the official migration tool's myflow case, and a MULTISELECT with `options`",
        ),
    ]

    def check_flow(self, flow: Flow, context: RuleContext) -> Iterable[Diagnostic]:
        from contractlint.flow.edits import rename_key

        for node in yn.elements(yn.get_value(flow.root, "inputs")):
            name = yn.get(node, "name")
            if name is not None and yn.get(node, "id") is None:
                yield self.rename(
                    flow, name[0], "id",
                    f"input '{yn.scalar_text(name[1])}' has `name`, renamed `id` in Kestra 0.15 and no longer read by "
                    "2.0; rename it to `id`",
                )
            options = yn.get(node, "options")
            if options is not None and yn.get_string(node, "type") == "MULTISELECT" and yn.get(node, "values") is None:
                label = yn.scalar_text(yn.get_value(node, "id")) or yn.scalar_text(yn.get_value(node, "name"))
                edit = rename_key(flow.source, options[0], "values")
                yield self.flow_diagnostic(
                    flow, yn.node_span(flow.source, options[0]),
                    f"MULTISELECT input '{label}' has `options`, removed in Kestra 2.0; rename it to `values`",
                    fix=Fix("safe", "Rename to `values`", (edit,)) if edit is not None else None,
                )


# =====================================================================================
# CL613
# =====================================================================================

TYPE_NAMES = {"BOOLEAN": "BOOL", "ENUM": "SELECT"}


class InputTypeRenamed(RenameRule):
    code = "CL613"
    name = "input-type-renamed"
    summary = "An input (or flow output) of type `BOOLEAN` or `ENUM`, which Kestra 2.0 removes for `BOOL` and `SELECT`"
    explanation = """
## What it does
Reports, on a Kestra 2.0 (or later) target, a flow input or flow output whose
`type` is `BOOLEAN` (deprecated since 0.23 for the `BOOL` toggle) or `ENUM`
(`SELECT`), and fixes it. `BOOL` and `SELECT` are valid on 1.3: select the rule by
name on a 1.x target to rename before upgrading. See the migration tutorial's
05-input-types flow and the 0.23 "BOOLEAN input" page.

A `BOOLEAN` input had three states (true, false, unset); `BOOL` has two. An input
that relied on "unset" needs a look.

## Why is this bad?
Kestra 2.0 refuses an input type it does not know, and the flow with it.

## Example
```yaml
inputs:
  - id: enabled
    type: BOOLEAN
  - id: log_level
    type: ENUM
    values: [DEBUG, INFO, WARNING, ERROR]
```

## Use instead
```yaml
inputs:
  - id: enabled
    type: BOOL
  - id: log_level
    type: SELECT
    values: [DEBUG, INFO, WARNING, ERROR]
```
"""
    VALID = [
        Valid(
            flow_text("""
                id: input_types
                namespace: company.team
                inputs:
                  - id: enabled
                    type: BOOL
                    defaults: true
                  - id: log_level
                    type: SELECT
                    values: [DEBUG, INFO, WARNING, ERROR]
                    defaults: INFO
                tasks:
                  - id: log
                    type: io.kestra.plugin.core.log.Log
                    message: "{{ inputs.log_level }}"
            """),
            config=V2,
            note="the tutorial's 2.0 form",
        ),
    ]
    INVALID = [
        Invalid(
            flow_text("""
                id: input_types
                namespace: company.team
                inputs:
                  - id: enabled
                    type: BOOLEAN    # → BOOL
                    defaults: true
                  - id: log_level
                    type: ENUM       # → SELECT
                    values: [DEBUG, INFO, WARNING, ERROR]
                    defaults: INFO
                tasks:
                  - id: log
                    type: io.kestra.plugin.core.log.Log
                    message: "{{ inputs.log_level }}"
                outputs:
                  - id: flag
                    type: BOOLEAN
                    value: "{{ inputs.enabled }}"
            """),
            config=V2,
            count=3,
            line=5,
            column=11,
            end_column=18,
            message="Input 'enabled' has type `BOOLEAN`, which Kestra 2.0 removes; use `BOOL`",
            fixed=flow_text("""
                id: input_types
                namespace: company.team
                inputs:
                  - id: enabled
                    type: BOOL    # → BOOL
                    defaults: true
                  - id: log_level
                    type: SELECT       # → SELECT
                    values: [DEBUG, INFO, WARNING, ERROR]
                    defaults: INFO
                tasks:
                  - id: log
                    type: io.kestra.plugin.core.log.Log
                    message: "{{ inputs.log_level }}"
                outputs:
                  - id: flag
                    type: BOOL
                    value: "{{ inputs.enabled }}"
            """),
            note="the tutorial's 05-input-types flow, and a flow output",
        ),
    ]

    def check_flow(self, flow: Flow, context: RuleContext) -> Iterable[Diagnostic]:
        for section, what in (("inputs", "input"), ("outputs", "output")):
            for node in yn.elements(yn.get_value(flow.root, section)):
                pair = yn.get(node, "type")
                if pair is None or yn.scalar_text(pair[1]) not in TYPE_NAMES:
                    continue
                old = pair[1].value
                label = yn.scalar_text(yn.get_value(node, "id")) or yn.scalar_text(yn.get_value(node, "name"))
                yield self.rename(
                    flow, pair[1], TYPE_NAMES[old],
                    f"{what} '{label}' has type `{old}`, which Kestra 2.0 removes; use `{TYPE_NAMES[old]}`",
                )


# =====================================================================================
# CL614
# =====================================================================================

RETRY_TYPES = ("constant", "exponential", "random")


class RetryMaxAttempt(RenameRule):
    code = "CL614"
    name = "retry-max-attempt"
    summary = "A retry's `maxAttempt`, renamed `maxAttempts` (Kestra 0.24) and gone in 2.0"
    explanation = """
## What it does
Reports, on a Kestra 2.0 (or later) target, `maxAttempt` in a retry definition —
a task's, a flow's or a plugin default's `retry`, or any mapping with a retry `type`
(`constant`, `exponential`, `random`) — and renames it `maxAttempts`, its name since
Kestra 0.24 (valid on 1.3: select the rule by name on a 1.x target to rename before
upgrading). See the 0.24 migration guide ("maxAttempt renamed maxAttempts").

## Why is this bad?
Kestra 2.0 refuses the unknown property; a retry without its limit is not what was
meant.

## Example
```yaml
retry:
  type: constant
  interval: PT20S
  maxAttempt: 3
```

## Use instead
```yaml
retry:
  type: constant
  interval: PT20S
  maxAttempts: 3
```
"""
    # The 0.24 migration guide ("maxAttempt renamed maxAttempts"), as the migration tool applies it.
    VALID = [
        Valid(
            flow_text("""
                id: retries
                namespace: company.team
                tasks:
                  - id: fetch
                    type: io.kestra.plugin.core.http.Request
                    uri: https://example.com
                    retry:
                      type: constant
                      interval: PT20S
                      maxAttempts: 3
            """),
            config=V2,
        ),
    ]
    INVALID = [
        Invalid(
            flow_text("""
                id: retries
                namespace: company.team
                tasks:
                  - id: fetch
                    type: io.kestra.plugin.core.http.Request
                    uri: https://example.com
                    retry: {type: constant, interval: PT20S, maxAttempt: 3}
                pluginDefaults:
                  - type: io.kestra.plugin.core.http.Request
                    values:
                      retry:
                        type: exponential
                        interval: PT1S
                        maxInterval: PT1M
                        maxAttempt: 5
            """),
            config=V2,
            count=2,
            line=7,
            column=46,
            end_column=56,
            message="Task 'fetch': `maxAttempt` was renamed `maxAttempts` in Kestra 0.24 and 2.0 no longer reads it",
            fixed=flow_text("""
                id: retries
                namespace: company.team
                tasks:
                  - id: fetch
                    type: io.kestra.plugin.core.http.Request
                    uri: https://example.com
                    retry: {type: constant, interval: PT20S, maxAttempts: 3}
                pluginDefaults:
                  - type: io.kestra.plugin.core.http.Request
                    values:
                      retry:
                        type: exponential
                        interval: PT1S
                        maxInterval: PT1M
                        maxAttempts: 5
            """),
            note="a task's retry, and a plugin default's (CL601 reports the block itself)",
        ),
    ]

    def check_flow(self, flow: Flow, context: RuleContext) -> Iterable[Diagnostic]:
        for place in k2.places(flow):
            pair = yn.get(place.node, "maxAttempt")
            if pair is None or yn.get(place.node, "maxAttempts") is not None:
                continue
            if place.key != "retry" and yn.get_string(place.node, "type") not in RETRY_TYPES:
                continue
            prefix = f"{owner_name(place.task, flow)}: " if place.task is not None else ""
            yield self.rename(
                flow, pair[0], "maxAttempts",
                f"{prefix}`maxAttempt` was renamed `maxAttempts` in Kestra 0.24 and 2.0 no longer reads it",
                task=place.task,
            )


# =====================================================================================
# CL615
# =====================================================================================


class PauseDelay(RenameRule):
    code = "CL615"
    name = "pause-delay"
    summary = "A Pause task's `delay`, which Kestra 2.0 removes for `pauseDuration`"
    explanation = """
## What it does
Reports, on a Kestra 2.0 (or later) target, the `delay` of a `Pause` task (current
and legacy type names) and renames it `pauseDuration`: how long the execution is
paused before it resumes by itself. `pauseDuration` is valid on 1.3: select the rule
by name on a 1.x target to rename before upgrading. See the official migration
tool's notes ("Pause.delay removed").

## Why is this bad?
Kestra 2.0 refuses the unknown property, and without it a pause waits for a manual
resume instead of the delay.

## Example
```yaml
- id: wait_before_check
  type: io.kestra.plugin.core.flow.Pause
  delay: PT5M
```

## Use instead
```yaml
- id: wait_before_check
  type: io.kestra.plugin.core.flow.Pause
  pauseDuration: PT5M
```
"""
    # The official migration tool's "Pause.delay removed" (the Pause of the guide's ArgoCD blueprint).
    VALID = [
        Valid(
            flow_text("""
                id: paused
                namespace: company.team
                tasks:
                  - id: wait_for_manual_approval
                    type: io.kestra.plugin.core.flow.Pause
                    pauseDuration: "{{ inputs.manual_approval_timeout }}"
                  - id: wait
                    type: io.kestra.plugin.core.flow.Sleep
                    duration: PT5M
            """),
            config=V2,
        ),
    ]
    INVALID = [
        Invalid(
            flow_text("""
                id: paused
                namespace: company.team
                tasks:
                  - id: wait_before_check
                    type: io.kestra.plugin.core.flow.Pause
                    delay: PT5M
            """),
            config=V2,
            line=6,
            column=5,
            end_column=10,
            message="Task 'wait_before_check': the `delay` of Pause is removed in Kestra 2.0; rename it to "
            "`pauseDuration`",
            fixed=flow_text("""
                id: paused
                namespace: company.team
                tasks:
                  - id: wait_before_check
                    type: io.kestra.plugin.core.flow.Pause
                    pauseDuration: PT5M
            """),
        ),
    ]

    def check_flow(self, flow: Flow, context: RuleContext) -> Iterable[Diagnostic]:
        for place, plugin_type, _ in typed_places(flow):
            if plugin_type not in (k2.CORE + "flow.Pause", "io.kestra.core.tasks.flows.Pause"):
                continue
            pair = yn.get(place.node, "delay")
            if pair is None or yn.get(place.node, "pauseDuration") is not None:
                continue
            prefix = f"{owner_name(place.task, flow)}: " if place.task is not None else ""
            yield self.rename(
                flow, pair[0], "pauseDuration",
                f"{prefix}the `delay` of Pause is removed in Kestra 2.0; rename it to `pauseDuration`", task=place.task,
            )


# =====================================================================================
# CL616
# =====================================================================================

STATE_KEYS = ("states", "in", "allowedStates")


def _cancelled_in_strings(parts: list[k2.Part], text: str) -> list[tuple[int, int, str]]:
    found = []
    for part in parts:
        if part.kind == "string" and text[part.start + 1 : part.end - 1] == "CANCELED":
            found.append((part.start + 1, part.end - 1, "CANCELLED"))
    return found


class CancelledState(RenameRule):
    code = "CL616"
    name = "cancelled-state"
    summary = "The execution state `CANCELED`, an alias Kestra 2.0 removes for `CANCELLED`"
    explanation = """
## What it does
Reports, on a Kestra 2.0 (or later) target, the state name `CANCELED` (one L), an
alias of `CANCELLED` that Kestra 2.0 removes: in `states` and `in` lists (Flow
triggers, `ExecutionStatus`, `PurgeExecutions`), as an `Exit` task's `state`, and
as a string in a Pebble expression (`{{ execution.state == 'CANCELED' }}`). The fix
writes `CANCELLED`, valid on 1.3 too: select the rule by name on a 1.x target to
fix it before upgrading. See the migration guide's index ("The CANCELED execution
state alias is also removed").

Do not write `KILLED` instead: a kill also stops the running sibling tasks.

## Why is this bad?
Kestra 2.0 refuses an unknown state in a list, and an expression comparing with
`'CANCELED'` is never true.

## Example
```yaml
- id: purge
  type: io.kestra.plugin.core.execution.PurgeExecutions
  states: [CANCELED]
```

## Use instead
```yaml
- id: purge
  type: io.kestra.plugin.core.execution.PurgeExecutions
  states: [CANCELLED]
```
"""
    # The official migration tool's canceled-state case (kestra-ee#11383).
    VALID = [
        Valid(
            flow_text("""
                id: canceled_state
                namespace: company.team
                tasks:
                  - id: purge
                    type: io.kestra.plugin.core.execution.PurgeExecutions
                    states: [CANCELLED]
                    endDate: "{{ now() }}"
                  - id: log
                    type: io.kestra.plugin.core.log.Log
                    message: "CANCELED is spelled CANCELLED in {{ execution.state }}"
            """),
            config=V2,
            note="text outside Pebble is not a state",
        ),
    ]
    INVALID = [
        Invalid(
            flow_text("""
                id: canceled_state
                namespace: company.team
                tasks:
                  - id: purge
                    type: io.kestra.plugin.core.execution.PurgeExecutions
                    states: [CANCELED]
                    endDate: "{{ now() }}"
                  - id: stop
                    type: io.kestra.plugin.core.execution.Exit
                    state: CANCELED
                    condition: "{{ parent.state == 'CANCELED' }}"
            """),
            config=V2,
            count=3,
            line=6,
            column=14,
            end_column=22,
            message="Task 'purge': the state `CANCELED` is an alias Kestra 2.0 removes; write `CANCELLED`",
            fixed=flow_text("""
                id: canceled_state
                namespace: company.team
                tasks:
                  - id: purge
                    type: io.kestra.plugin.core.execution.PurgeExecutions
                    states: [CANCELLED]
                    endDate: "{{ now() }}"
                  - id: stop
                    type: io.kestra.plugin.core.execution.Exit
                    state: CANCELLED
                    condition: "{{ parent.state == 'CANCELLED' }}"
            """),
            note="the official migration tool's canceled-state case, an Exit state and a Pebble comparison",
        ),
    ]

    def check_flow(self, flow: Flow, context: RuleContext) -> Iterable[Diagnostic]:
        message = "the state `CANCELED` is an alias Kestra 2.0 removes; write `CANCELLED`"
        found: list[tuple[int, Diagnostic]] = []
        for place in k2.places(flow):
            prefix = f"{owner_name(place.task, flow)}: " if place.task is not None else ""
            for key_node, value_node in yn.items(place.node):
                key = yn.scalar_text(key_node)
                values = yn.elements(value_node) if key in STATE_KEYS else []
                if key == "state" and yn.get_string(place.node, "type") == k2.CORE + "execution.Exit":
                    values = [value_node]
                for node in values:
                    if yn.scalar_text(node) == "CANCELED":
                        found.append((node.start_mark.index,
                                      self.rename(flow, node, "CANCELLED", prefix + message, task=place.task)))
        found.extend(self._in_pebble(flow, _cancelled_in_strings, message))
        for _, diagnostic in sorted(found, key=lambda pair: pair[0]):
            yield diagnostic

    def _in_pebble(self, flow: Flow, finder: Any, message: str) -> Iterator[tuple[int, Diagnostic]]:
        yield from pebble_findings(self, flow, finder, lambda content: message, "CANCELED")


def pebble_findings(
    rule: MigrationRule, flow: Flow, finder: Any, message: Any, needle: str, applicability: str | None = "safe"
) -> Iterator[tuple[int, Diagnostic]]:
    """(offset, finding) for every change ``finder`` wants in the Pebble of the flow's
    string values that contain ``needle``, each with a fix when its position in the file
    is exact (and ``applicability`` is not None: a finding to report, not to rewrite)."""
    owners: dict[int, Task] | None = None
    for node in k2.flow_strings(flow):
        if needle not in node.value or "{" not in node.value:
            continue
        edits, exact = k2.pebble_edits(flow.source, node, finder)
        if edits and owners is None:
            owners = _string_owners(flow)
        for edit in edits:
            task = owners.get(id(node)) if owners is not None else None
            span = flow.source.span(edit.start, edit.end)
            fix = None
            if exact and applicability is not None:
                fix = Fix(applicability, f"Write `{edit.content}`",
                          (Edit(edit.start, edit.end, edit.content, span),))
            prefix = f"{owner_name(task, flow)}: " if task is not None else ""
            yield edit.start, rule.flow_diagnostic(flow, span, prefix + message(edit.content), task=task, fix=fix)


def _string_owners(flow: Flow) -> dict[int, Task]:
    """``id()`` of each string value → the innermost task or trigger holding it."""
    owners: dict[int, Task] = {}
    for task in sorted((*flow.tasks, *flow.triggers), key=lambda t: len(t.path)):
        for node in k2.string_values(task.node):
            owners[id(node)] = task  # deeper tasks come later and win
    return owners


# =====================================================================================
# CL617
# =====================================================================================

_JSON_FILTER = re.compile(r"(\|\s*)json\b")
_JSON_FUNCTION = re.compile(r"\bjson\s*\(")
_IS_TEST = re.compile(r"\bis\s+(?:not\s+)?$")


def json_renames(parts: list[k2.Part], text: str) -> list[tuple[int, int, str]]:
    """``| json`` → ``toJson`` and ``json(`` → ``fromJson`` in the code (not the string
    literals) of Pebble expressions and tags; ``x is json`` (a test) and ``a.json(``
    stay."""
    found = []
    for part in parts:
        if part.kind != "code":
            continue
        code = text[part.start : part.end]
        filters = set()
        for match in _JSON_FILTER.finditer(code):
            start = part.start + match.end(1)
            filters.add(start)
            found.append((start, start + 4, "toJson"))
        for match in _JSON_FUNCTION.finditer(code):
            start = part.start + match.start()
            if start in filters or (match.start() > 0 and code[match.start() - 1] == "."):
                continue
            if _IS_TEST.search(code[: match.start()]):
                continue
            found.append((start, start + 4, "fromJson"))
    return sorted(found)


class PebbleJson(RenameRule):
    code = "CL617"
    name = "pebble-json"
    summary = "Pebble's `json()` function or `| json` filter, which Kestra 2.0 removes for `fromJson()` and `| toJson`"
    explanation = """
## What it does
Reports, on a Kestra 2.0 (or later) target, the Pebble function `json(x)` and the
filter `x | json`, which Kestra 2.0 removes, and renames them `fromJson(x)` and
`x | toJson` (the same behaviour; on 1.3 they were aliases already, so the fix is
valid there too: select the rule by name on a 1.x target to fix before upgrading).

Only Pebble is read: the code of `{{ … }}` expressions and `{% … %}` tags in any
YAML value, inline scripts included — never the Python, SQL or shell around them
(`json.dumps(x)`, `jq` pipes), never string literals inside the expression, never
`{% raw %}` or `{% verbatim %}` sections. The `json` test (`{% if x is json %}`)
still exists and is left alone. See the migration guide's "json() Function
Removed" page (the filter fails at run time, not when the flow is saved).

## Why is this bad?
Kestra 2.0 refuses a flow calling an unknown function, and an unknown filter fails
the task when it renders.

## Example
```yaml
message: "{{ json(outputs.request.body).products[0].id }} {{ outputs.fetch.headers | json }}"
```

## Use instead
```yaml
message: "{{ fromJson(outputs.request.body).products[0].id }} {{ outputs.fetch.headers | toJson }}"
```
"""
    # The guide's "json() Function Removed" page and the migration tool's
    # pebble-json-rename case.
    VALID = [
        Valid(
            flow_text("""
                id: pebble-json-rename
                namespace: company.team
                tasks:
                  - id: fetch
                    type: io.kestra.plugin.core.http.Request
                    uri: https://dummyjson.com/products/1
                  - id: log
                    type: io.kestra.plugin.core.log.Log
                    message: "{{ fromJson(outputs.fetch.body).title }} / {{ outputs.fetch.headers | toJson }}"
                  - id: branch
                    type: io.kestra.plugin.core.flow.If
                    condition: "{{ outputs.fetch.body is json }}"
                    then:
                      - id: script
                        type: io.kestra.plugin.scripts.python.Script
                        script: |
                          import json
                          data = json.loads('{{ outputs.fetch.body | toJson }}')
                          print("{% raw %}{{ json(x) }}{% endraw %}", data["id"], "{{ 'json(y)' }}")
            """),
            config=V2,
            note="the 2.0 form; the `json` test, Python's json module, raw sections and strings stay",
        ),
    ]
    INVALID = [
        Invalid(
            flow_text("""
                id: pebble-json-rename
                namespace: company.team
                tasks:
                  - id: fetch
                    type: io.kestra.plugin.core.http.Request
                    uri: https://dummyjson.com/products/1
                  - id: log
                    type: io.kestra.plugin.core.log.Log
                    message: "{{ json(outputs.fetch.body).title }} / {{ outputs.fetch.headers | json }}"
                  - id: branch
                    type: io.kestra.plugin.core.flow.If
                    condition: "{{ outputs.fetch.body is json }}"
                    then:
                      - id: script
                        type: io.kestra.plugin.scripts.python.Script
                        script: |
                          import json
                          data = json.loads('{{ outputs.fetch.body | json }}')
                          print("{% raw %}{{ json(x) }}{% endraw %}", data["id"])
                          print("{% verbatim %}{{ x | json }}{% endverbatim %}")
            """),
            config=V2,
            count=3,
            line=9,
            column=18,
            end_column=22,
            message="Task 'log': Pebble's `json` was removed in Kestra 2.0; write `fromJson`",
            fixed=flow_text("""
                id: pebble-json-rename
                namespace: company.team
                tasks:
                  - id: fetch
                    type: io.kestra.plugin.core.http.Request
                    uri: https://dummyjson.com/products/1
                  - id: log
                    type: io.kestra.plugin.core.log.Log
                    message: "{{ fromJson(outputs.fetch.body).title }} / {{ outputs.fetch.headers | toJson }}"
                  - id: branch
                    type: io.kestra.plugin.core.flow.If
                    condition: "{{ outputs.fetch.body is json }}"
                    then:
                      - id: script
                        type: io.kestra.plugin.scripts.python.Script
                        script: |
                          import json
                          data = json.loads('{{ outputs.fetch.body | toJson }}')
                          print("{% raw %}{{ json(x) }}{% endraw %}", data["id"])
                          print("{% verbatim %}{{ x | json }}{% endverbatim %}")
            """),
            note="the migration tool's pebble-json-rename case, in a message and inside an inline script",
        ),
    ]

    def check_flow(self, flow: Flow, context: RuleContext) -> Iterable[Diagnostic]:
        found = pebble_findings(
            self, flow, json_renames,
            lambda new: f"Pebble's `json` was removed in Kestra 2.0; write `{new}`"
            + (" (the filter)" if new == "toJson" else ""),
            "json",
        )
        for _, diagnostic in sorted(found, key=lambda pair: pair[0]):
            yield diagnostic


# =====================================================================================
# CL618
# =====================================================================================


class ChecksCondition(MigrationRule):
    code = "CL618"
    name = "checks-condition"
    summary = "A flow check's `condition`, renamed `when` in Kestra 2.0"
    fix = "safe"
    explanation = """
## What it does
Reports, on a Kestra 2.0 (or later) target, `condition` in the flow's `checks`
and renames it `when`, the name Kestra 2.0 gives every conditional expression. A
deprecated alias keeps `condition` working in 2.0, but it is to be removed. Only the
flow-level `checks` list is read — a task's `condition` (If, Fail, LoopUntil) is
not a check's.

Kestra 1.3 does not know `when` on checks, so this rule cannot be selected on a 1.x
target. See the migration guide's "Check.condition Renamed to when" page.

## Why is this bad?
When the alias goes, the flow stops parsing; until then it reads as 1.x.

## Example
```yaml
checks:
  - condition: "{{ inputs.environment == 'production' }}"
    message: "This flow can only run in production"
```

## Use instead
```yaml
checks:
  - when: "{{ inputs.environment == 'production' }}"
    message: "This flow can only run in production"
```
"""
    VALID = [
        Valid(
            flow_text("""
                id: guarded
                namespace: company.team
                checks:
                  - when: "{{ inputs.environment == 'production' }}"
                    message: "This flow can only run in production"
                    behavior: BLOCK_EXECUTION
                    style: ERROR
                tasks:
                  - id: branch
                    type: io.kestra.plugin.core.flow.If
                    condition: "{{ inputs.environment == 'production' }}"
                    then:
                      - id: hello
                        type: io.kestra.plugin.core.log.Log
                        message: hello
            """),
            config=V2,
            note="the guide's 2.0 form; an If task's `condition` is not a check's",
        ),
    ]
    INVALID = [
        Invalid(
            flow_text("""
                id: guarded
                namespace: company.team
                checks:
                  - condition: "{{ inputs.environment == 'production' }}"
                    message: "This flow can only run in production"
                    behavior: BLOCK_EXECUTION
                    style: ERROR
                tasks:
                  - id: hello
                    type: io.kestra.plugin.core.log.Log
                    message: hello
            """),
            config=V2,
            line=4,
            column=5,
            end_column=14,
            message="A flow check's `condition` is renamed `when` in Kestra 2.0 (a deprecated alias still reads it, "
            "to be removed); rename it",
            fixed=flow_text("""
                id: guarded
                namespace: company.team
                checks:
                  - when: "{{ inputs.environment == 'production' }}"
                    message: "This flow can only run in production"
                    behavior: BLOCK_EXECUTION
                    style: ERROR
                tasks:
                  - id: hello
                    type: io.kestra.plugin.core.log.Log
                    message: hello
            """),
            note="the guide's before/after",
        ),
    ]

    def check_flow(self, flow: Flow, context: RuleContext) -> Iterable[Diagnostic]:
        from contractlint.flow.edits import rename_key

        for node in yn.elements(yn.get_value(flow.root, "checks")):
            pair = yn.get(node, "condition")
            if pair is None or yn.get(node, "when") is not None:
                continue
            edit = rename_key(flow.source, pair[0], "when")
            yield self.flow_diagnostic(
                flow, yn.node_span(flow.source, pair[0]),
                "a flow check's `condition` is renamed `when` in Kestra 2.0 (a deprecated alias still reads it, to be "
                "removed); rename it",
                fix=Fix("safe", "Rename to `when`", (edit,)) if edit is not None else None,
            )


# =====================================================================================
# CL619
# =====================================================================================


class ReservedFlowId(RenameRule):
    code = "CL619"
    name = "reserved-flow-id"
    summary = "A flow id that Kestra reserves (`pause`, `resume`, `kill`, `executions`, …): refused since 1.0"
    explanation = """
## What it does
Reports a flow whose `id` is one of the words Kestra reserves for its API since 1.0
— `pause`, `resume`, `force-run`, `change-status`, `kill`, `executions`, `search`,
`source`, `disable`, `enable` — on a Kestra 2.0 (or later) target, and renames it
with a `-flow` suffix, as the official migration tool does. Update the subflow
tasks and Flow triggers of other flows that name it.

The new id is valid on every version: select the rule by name on a 1.x target
(`extend-select = ["CL619"]`). See the 1.0 migration guide ("Reserved Keywords as
Flow IDs").

## Why is this bad?
Kestra refuses to save the flow.

## Example
```yaml
id: pause
namespace: company.team
```

## Use instead
```yaml
id: pause-flow
namespace: company.team
```
"""
    # The 1.0 migration guide's reserved keywords and the official migration tool's `-flow` suffix.
    VALID = [
        Valid(
            flow_text("""
                id: pause-flow
                namespace: company.team
                tasks:
                  - id: pause
                    type: io.kestra.plugin.core.flow.Pause
            """),
            config=V2,
            note="a task may be called `pause`",
        ),
    ]
    INVALID = [
        Invalid(
            flow_text("""
                id: pause
                namespace: company.team
                tasks:
                  - id: pause
                    type: io.kestra.plugin.core.flow.Pause
            """),
            config=V2,
            line=1,
            column=5,
            end_column=10,
            message="Flow id 'pause' is a word Kestra reserves (refused since 1.0); rename the flow, e.g. 'pause-flow', "
            "and update the subflows and Flow triggers that name it",
            fixed=flow_text("""
                id: pause-flow
                namespace: company.team
                tasks:
                  - id: pause
                    type: io.kestra.plugin.core.flow.Pause
            """),
        ),
    ]

    def check_flow(self, flow: Flow, context: RuleContext) -> Iterable[Diagnostic]:
        if flow.id not in k2.RESERVED_FLOW_IDS:
            return
        node = yn.get_value(flow.root, "id")
        new = f"{flow.id}-flow"
        yield self.rename(
            flow, node, new,
            f"flow id '{flow.id}' is a word Kestra reserves (refused since 1.0); rename the flow, e.g. '{new}', and "
            "update the subflows and Flow triggers that name it",
        )
