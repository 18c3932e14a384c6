"""Migration to Kestra 2.0, part 3: what Kestra 2.0 still accepts but runs differently
(CL621–CL624).

The flow saves; then an expression fails, a directory is half deleted, a loop runs
all at once, a file reads as bytes. Sources as in ``migration``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from contractlint.diagnostics import Diagnostic, Fix
from contractlint.flow import kestra2 as k2
from contractlint.flow import yaml_nodes as yn
from contractlint.rules.base import Invalid, RuleContext, Valid
from contractlint.rules.migration import V2, MigrationRule, flow_text, owner_name, typed_places
from contractlint.rules.renames import pebble_findings

if TYPE_CHECKING:
    from contractlint.flow.model import Flow

# =====================================================================================
# CL621
# =====================================================================================

_FILE_CALL = re.compile(r"\b(read|fileURI)\s*\(")
_VERSION_ARGUMENT = re.compile(r"\bversion\s*=(?!=)")


def version_arguments(parts: list[k2.Part], text: str) -> list[tuple[int, int, str]]:
    """The ``version`` named argument of ``read(…)`` / ``fileURI(…)`` calls in Pebble
    code (string literals skipped, nested calls followed by parenthesis depth)."""
    found = []
    depth = 0  # inside a read()/fileURI() call: its parenthesis depth
    group = None
    for part in parts:
        if part.group != group:
            depth, group = 0, part.group
        if part.kind != "code":
            continue
        index = part.start
        while index < part.end:
            if depth == 0:
                match = _FILE_CALL.search(text, index, part.end)
                if match is None:
                    break
                depth, index = 1, match.end()
                continue
            char = text[index]
            if char == "(":
                depth += 1
            elif char == ")":
                depth -= 1
            elif depth == 1:
                match = _VERSION_ARGUMENT.match(text, index, part.end)
                after_name = index > part.start and (text[index - 1].isalnum() or text[index - 1] == "_")
                if match is not None and not after_name:
                    found.append((index, index + len("version"), "revision"))
                    index = match.end()
                    continue
            index += 1
    return found


class ReadRevisionArgument(MigrationRule):
    code = "CL621"
    name = "read-revision-argument"
    summary = "`read(…, version=…)` / `fileURI(…, version=…)`, whose argument Kestra 2.0 renames `revision` with no alias"
    fix = "safe"
    explanation = """
## What it does
Reports, on a Kestra 2.0 (or later) target, the `version` named argument of the
Pebble functions `read()` and `fileURI()` (the revision of a namespace file), which
Kestra 2.0 renames `revision` with no alias or fallback, and renames it. Only the
Pebble code of `{{ … }}` and `{% … %}` in YAML values is read, not the scripts
around it nor string literals.

Kestra 1.3 knows only `version`, so this rule cannot be selected on a 1.x target.
See the migration guide's tutorial ("patterns to grep for") and the official
migration tool's notes ("Pebble read()/fileURI() named argument version removed").

## Why is this bad?
The flow saves, then the expression fails when it renders: the task fails at run
time.

## Example
```yaml
message: "{{ read('config/settings.json', version=2) }}"
```

## Use instead
```yaml
message: "{{ read('config/settings.json', revision=2) }}"
```
"""
    # The migration tutorial's "patterns to grep for" and kestra#16699 (`version` → `revision`).
    VALID = [
        Valid(
            flow_text("""
                id: pinned
                namespace: company.team
                tasks:
                  - id: log
                    type: io.kestra.plugin.core.log.Log
                    message: "{{ read('config/settings.json', revision=2) }} {{ read('notes.txt') }}"
                  - id: script
                    type: io.kestra.plugin.scripts.python.Script
                    script: |
                      open("settings.json").read(version=2)
            """),
            config=V2,
            note="the 2.0 form; Python's own read() is not Pebble",
        ),
    ]
    INVALID = [
        Invalid(
            flow_text("""
                id: pinned
                namespace: company.team
                tasks:
                  - id: log
                    type: io.kestra.plugin.core.log.Log
                    message: "{{ read('config/settings.json', version=2) }} {{ fileURI(path='a.csv', version = 3) }}"
            """),
            config=V2,
            count=2,
            line=6,
            column=47,
            end_column=54,
            message="Task 'log': the `version` argument of read()/fileURI() is renamed `revision` in Kestra 2.0, with "
            "no alias: the expression fails; write `revision`",
            fixed=flow_text("""
                id: pinned
                namespace: company.team
                tasks:
                  - id: log
                    type: io.kestra.plugin.core.log.Log
                    message: "{{ read('config/settings.json', revision=2) }} {{ fileURI(path='a.csv', revision = 3) }}"
            """),
        ),
    ]

    def check_flow(self, flow: Flow, context: RuleContext) -> Iterable[Diagnostic]:
        found = pebble_findings(
            self, flow, version_arguments,
            lambda _: "the `version` argument of read()/fileURI() is renamed `revision` in Kestra 2.0, with no alias: "
            "the expression fails; write `revision`",
            "version",
        )
        for _, diagnostic in sorted(found, key=lambda pair: pair[0]):
            yield diagnostic


# =====================================================================================
# CL622
# =====================================================================================

LOCAL_DELETE = "io.kestra.plugin.fs.local.Delete"


class LocalDeleteRecursive(MigrationRule):
    code = "CL622"
    name = "local-delete-recursive"
    summary = "An `io.kestra.plugin.fs.local.Delete` without `recursive`, whose default Kestra 2.0 flips to false"
    fix = "safe"
    kestra_opt_in = True
    explanation = """
## What it does
Reports, on a Kestra 2.0 (or later) target, an `io.kestra.plugin.fs.local.Delete`
task that does not set `recursive`. Its default was `true` and is `false` in Kestra
2.0, like every other Delete task of the fs plugin. The fix adds `recursive: true`,
which keeps what the task did on 1.x (it has no effect on a file) and is valid on
1.3 too: select the rule by name on a 1.x target to pin it before upgrading. If the
task should not delete below a directory, write `recursive: false` instead.

See the migration guide's "local.Delete recursive Default Changed to false" page.

## Why is this bad?
No error is raised: the task succeeds and leaves the directory's contents in place.

## Example
```yaml
- id: cleanup
  type: io.kestra.plugin.fs.local.Delete
  from: /data/uploads/processed/
```

## Use instead
```yaml
- id: cleanup
  type: io.kestra.plugin.fs.local.Delete
  from: /data/uploads/processed/
  recursive: true
```
"""
    # The guide's before/after.
    VALID = [
        Valid(
            flow_text("""
                id: cleanup
                namespace: company.team
                tasks:
                  - id: cleanup
                    type: io.kestra.plugin.fs.local.Delete
                    from: /data/uploads/processed/
                    recursive: true
            """),
            config=V2,
        ),
    ]
    INVALID = [
        Invalid(
            flow_text("""
                id: cleanup
                namespace: company.team
                tasks:
                  - id: cleanup
                    type: io.kestra.plugin.fs.local.Delete
                    from: /data/uploads/processed/  # after the load
                  - id: done
                    type: io.kestra.plugin.core.log.Log
                    message: done
            """),
            config=V2,
            line=5,
            column=11,
            end_column=43,
            message="Task 'cleanup': `recursive` of io.kestra.plugin.fs.local.Delete defaults to false in Kestra 2.0 "
            "(true before): a directory's contents are no longer deleted; set `recursive: true` to keep deleting them",
            fixed=flow_text("""
                id: cleanup
                namespace: company.team
                tasks:
                  - id: cleanup
                    type: io.kestra.plugin.fs.local.Delete
                    from: /data/uploads/processed/  # after the load
                    recursive: true
                  - id: done
                    type: io.kestra.plugin.core.log.Log
                    message: done
            """),
            note="the guide's before/after; the comment stays on its line",
        ),
    ]

    def check_flow(self, flow: Flow, context: RuleContext) -> Iterable[Diagnostic]:
        from contractlint.flow.edits import insert_entry

        for task in flow.tasks:
            if task.type != LOCAL_DELETE or task.get("recursive") is not None:
                continue
            edit = insert_entry(flow.source, task.node, "recursive", "true")
            yield self.flow_diagnostic(
                flow,
                yn.node_span(flow.source, task.value("type")),
                f"{owner_name(task, flow)}: `recursive` of {LOCAL_DELETE} defaults to false in Kestra 2.0 (true "
                "before): a directory's contents are no longer deleted; set `recursive: true` to keep deleting them",
                task=task,
                fix=Fix("safe", "Add `recursive: true`", (edit,)) if edit is not None else None,
            )


# =====================================================================================
# CL623
# =====================================================================================


def _limit(node: Any, key: str) -> tuple[Any, int | None] | None:
    pair = yn.get(node, key)
    if pair is None:
        return None
    text = yn.scalar_text(pair[1])
    return pair, int(text) if text is not None and text.isdigit() else None


class LoopConcurrency(MigrationRule):
    code = "CL623"
    name = "loop-concurrency"
    summary = "A ForEach (or EachSequential/EachParallel) with a concurrency limit: the Loop replacing it runs every iteration at once unless told"
    explanation = """
## What it does
Reports, on a Kestra 2.0 (or later) target, a `ForEach`, `EachSequential` or
`EachParallel` task that limits how many iterations run at once — ForEach's
`concurrencyLimit` defaults to 1 (one at a time), EachSequential is always
sequential, EachParallel's `concurrent` limits it — and says which
`concurrencyLimit` the `io.kestra.plugin.core.flow.Loop` replacing it (CL602) needs:
Loop's default is 0, every iteration at once. A ForEach with `concurrencyLimit: 0`
and an unlimited EachParallel are not reported.

See the migration guide's "ForEach Replaced by Loop" page ("Concurrent execution").

## Why is this bad?
A rewrite that only changes the type turns a sequential loop into a parallel one:
iterations that wrote to the same table or called a rate-limited API now run
together, with no error to tell.

## Example
```yaml
- id: for_each
  type: io.kestra.plugin.core.flow.ForEach
  values: [1, 2, 3, 4, 5]
  tasks:
    - id: log
      type: io.kestra.plugin.core.log.Log
      message: "Processing {{ taskrun.value }}"
```

## Use instead
```yaml
- id: loop
  type: io.kestra.plugin.core.flow.Loop
  values: [1, 2, 3, 4, 5]
  concurrencyLimit: 1
  tasks:
    - id: log
      type: io.kestra.plugin.core.log.Log
      message: "Processing {{ item.value }}"
```
"""
    # The guide's "ForEach Replaced by Loop", "Concurrent execution"; ForEach.java (concurrencyLimit = 1).
    VALID = [
        Valid(
            flow_text("""
                id: loops
                namespace: company.team
                tasks:
                  - id: all_at_once
                    type: io.kestra.plugin.core.flow.ForEach
                    values: [1, 2, 3]
                    concurrencyLimit: 0
                    tasks:
                      - id: log
                        type: io.kestra.plugin.core.log.Log
                        message: "{{ taskrun.value }}"
                  - id: loop
                    type: io.kestra.plugin.core.flow.Loop
                    values: [1, 2, 3]
                    concurrencyLimit: 3
                    tasks:
                      - id: log_loop
                        type: io.kestra.plugin.core.log.Log
                        message: "{{ item.value }}"
            """),
            config=V2,
            note="an unlimited ForEach keeps its behaviour as a Loop; a Loop is not reported",
        ),
    ]
    INVALID = [
        Invalid(
            flow_text("""
                id: loops
                namespace: company.team
                tasks:
                  - id: for_each
                    type: io.kestra.plugin.core.flow.ForEach
                    values: [1, 2, 3, 4, 5]
                    concurrencyLimit: 3
                    tasks:
                      - id: log
                        type: io.kestra.plugin.core.log.Log
                        message: "Processing {{ taskrun.value }}"
                  - id: one_by_one
                    type: io.kestra.plugin.core.flow.ForEach
                    values: [1, 2]
                    tasks:
                      - id: log_one
                        type: io.kestra.plugin.core.log.Log
                        message: "{{ taskrun.value }}"
            """),
            config=V2,
            count=2,
            line=7,
            column=5,
            end_column=21,
            message="Task 'for_each' runs at most 3 iterations at once; the Loop replacing it runs them all at once "
            "unless it sets `concurrencyLimit: 3`",
            note="the guide's \"Concurrent execution\", and a ForEach relying on its default of 1",
        ),
    ]

    def check_flow(self, flow: Flow, context: RuleContext) -> Iterable[Diagnostic]:
        for task in flow.tasks:
            name = k2.FOREACH_FAMILY.get(task.type or "")
            if name is None or name == "ForEachItem":
                continue
            if name == "EachParallel":
                found = _limit(task.node, "concurrent")
                if found is None or not found[1]:
                    continue  # unlimited (0, the default) or templated
                anchor, limit = found[0][0], found[1]
            elif name == "EachSequential":
                anchor, limit = task.value("type"), 1
            else:
                found = _limit(task.node, "concurrencyLimit")
                if found is not None and found[1] == 0:
                    continue
                if found is not None and found[1] is None:
                    continue  # a template: cannot tell
                anchor, limit = (found[0][0], found[1]) if found is not None else (task.value("type"), 1)
            how = "one iteration at a time" if limit == 1 else f"at most {limit} iterations at once"
            default = " (ForEach's default)" if name == "ForEach" and task.get("concurrencyLimit") is None else ""
            yield self.flow_diagnostic(
                flow,
                yn.node_span(flow.source, anchor),
                f"{owner_name(task, flow)} runs {how}{default}; the Loop replacing it runs them all at once unless it "
                f"sets `concurrencyLimit: {limit}`",
                task=task,
            )


# =====================================================================================
# CL624
# =====================================================================================

_ION_READ = re.compile(r"\bread\s*\(\s*outputs\s*(?:\.\s*([A-Za-z0-9_]+)|\[\s*['\"]([^'\"]+)['\"]\s*\])")
_FROM_ION_BEFORE = re.compile(r"fromIon\s*\(\s*$")


def _writes_ion(node: Any, plugin_type: str) -> bool:
    """Tasks whose output file is ION (what the official migration tool lists): serdes
    `*ToIon`, `FileTransform`, queries that store their result, core Write/Concat to `.ion`."""
    if plugin_type.endswith("ToIon") or plugin_type.endswith(".FileTransform"):
        return True
    stores = yn.scalar_text(yn.get_value(node, "store")) == "true"
    if yn.scalar_text(yn.get_value(node, "fetchType")) == "STORE" or stores:
        return True
    if plugin_type in (k2.CORE + "storage.Write", k2.CORE + "storage.Concat"):
        return yn.scalar_text(yn.get_value(node, "extension")) == ".ion"
    return False


class IonRead(MigrationRule):
    code = "CL624"
    name = "ion-read"
    summary = "`read(outputs.<task>…)` of a task that writes ION, without `fromIon()`: binary in Kestra 2.0"
    explanation = """
## What it does
Reports, on a Kestra 2.0 (or later) target, a Pebble `read(outputs.<task>.uri)` of a
task whose output file is ION — serdes `*ToIon` tasks, `FileTransform`, queries with
`fetchType: STORE` (or `store: true`), core `Write`/`Concat` with `extension: .ion` —
when it is not wrapped in `fromIon()`. Kestra 2.0 writes ION files in binary:
`read()` returns bytes, so a message showing it, a `contains`, a comparison no
longer work. `fromIon(read(…))` gives the first row, `fromIon(read(…), allRows=true)`
every row; it reads both forms, so it is safe on 1.3 too. There is no fix: the
expression's type changes from text to rows.

See the migration guide's "ION Binary Format" page.

## Why is this bad?
The flow saves and runs; the expression renders bytes instead of text.

## Example
```yaml
message: "{{ read(outputs.to_ion.uri) }}"
```

## Use instead
```yaml
message: "{{ fromIon(read(outputs.to_ion.uri), allRows=true) }}"
```
"""
    # The guide's "ION Binary Format" page and the migration tool's ion-read case.
    VALID = [
        Valid(
            flow_text("""
                id: ion
                namespace: company.team
                tasks:
                  - id: to_ion
                    type: io.kestra.plugin.serdes.csv.CsvToIon
                    from: "{{ inputs.file }}"
                  - id: to_csv
                    type: io.kestra.plugin.serdes.csv.IonToCsv
                    from: "{{ outputs.to_ion.uri }}"
                  - id: log
                    type: io.kestra.plugin.core.log.Log
                    message: "{{ fromIon(read(outputs.to_ion.uri), allRows=true) }} {{ read(outputs.to_csv.uri) }}"
            """),
            config=V2,
            note="wrapped in fromIon(); a CSV output reads as text",
        ),
    ]
    INVALID = [
        Invalid(
            flow_text("""
                id: ion
                namespace: company.team
                tasks:
                  - id: to_ion
                    type: io.kestra.plugin.serdes.csv.CsvToIon
                    from: "{{ inputs.file }}"
                  - id: log
                    type: io.kestra.plugin.core.log.Log
                    message: "{{ read(outputs.to_ion.uri) }}"
            """),
            config=V2,
            line=9,
            column=18,
            end_column=22,
            message="Task 'log': read(outputs.to_ion…) reads the ION output of task 'to_ion' "
            "(io.kestra.plugin.serdes.csv.CsvToIon), binary in Kestra 2.0",
        ),
    ]

    def check_flow(self, flow: Flow, context: RuleContext) -> Iterable[Diagnostic]:
        producers = {}
        for place, plugin_type, _ in typed_places(flow):
            task = place.task
            if task is not None and task.node is place.node and task.id and _writes_ion(place.node, plugin_type):
                producers[task.id] = plugin_type
        if not producers:
            return

        def finder(parts: list[k2.Part], text: str) -> list[tuple[int, int, str]]:
            found = []
            groups = sorted({part.group for part in parts})
            for group in groups:
                members = [part for part in parts if part.group == group]
                start, end = members[0].start, members[-1].end
                for match in _ION_READ.finditer(text, start, end):
                    producer = match.group(1) or match.group(2)
                    if producer in producers and not _FROM_ION_BEFORE.search(text[start : match.start()]):
                        found.append((match.start(), match.start() + len("read"), producer))
            return found

        found = pebble_findings(
            self, flow, finder,
            lambda producer: f"read(outputs.{producer}…) reads the ION output of task '{producer}' "
            f"({producers[producer]}), binary in Kestra 2.0: read() returns bytes, not text; wrap it: "
            "`fromIon(read(…))` for the first row, `fromIon(read(…), allRows=true)` for all rows",
            "read",
            applicability=None,
        )
        for _, diagnostic in sorted(found, key=lambda pair: pair[0]):
            yield diagnostic
