"""File-level checks: the input can be read, parsed, and is shaped like a Kestra flow.

CL000, CL001 and CL003 are raised by the engine while it reads and parses (a file
that does not parse has nothing for other rules to read); CL002 is a flow rule.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from contractlint.diagnostics import Diagnostic, Span
from contractlint.flow import yaml_nodes as yn
from contractlint.rules.base import Invalid, Rule, RuleContext, Valid

if TYPE_CHECKING:
    from contractlint.flow.model import Flow, Task
    from contractlint.python.code import PythonCode, PythonSyntaxError
    from contractlint.source import SourceFile


class UnreadableFile(Rule):
    code = "CL000"
    precision = "very-high"
    problem_severity = "error"
    name = "unreadable-file"
    contract = "—"
    summary = "A file that cannot be read or decoded as UTF-8 text"
    explanation = """
## What it does
Reports a file named on the command line or found in a directory that cannot be
read: it does not exist, permissions forbid reading it, or it is not UTF-8 text.

## Why is this bad?
A flow or module the linter cannot read is a flow nobody checked. Kestra reads
flows as UTF-8; a file in another encoding (or a binary file with a `.yaml`
name) will not deploy as intended.

## Example
A flow saved as Latin-1: the `é` below is the single byte `0xE9`, which is not UTF-8.
```yaml
id: hello
namespace: company.team
tasks:
  - id: log
    type: io.kestra.plugin.core.log.Log
    message: café
```

## Use instead
The same flow saved as UTF-8 (`é` is the two bytes `0xC3 0xA9`): use the editor's
"save with encoding", or `iconv -f latin1 -t utf-8`.
```yaml
id: hello
namespace: company.team
tasks:
  - id: log
    type: io.kestra.plugin.core.log.Log
    message: café
```
"""
    # Encoding problems cannot be written in a str example; the CLI tests cover them.
    VALID = [Valid("id: hello\nnamespace: company.team\ntasks:\n  - id: log\n    type: io.kestra.plugin.core.log.Log\n    message: café\n")]
    INVALID = []


class YamlSyntax(Rule):
    code = "CL001"
    precision = "very-high"
    problem_severity = "error"
    name = "yaml-syntax"
    contract = "—"
    summary = "A YAML file that does not parse, or a flow with a repeated mapping key"
    explanation = """
## What it does
Reports YAML that does not parse, at the position the parser stopped, and a key
repeated in one mapping of a flow (the second one silently replaces the first).

## Why is this bad?
Kestra rejects a flow that is not valid YAML, so it fails at deploy time instead
of at commit time. A repeated key is worse: the flow deploys, and the first value
is thrown away without a word.

## Example
```yaml
id: hello
namespace: company.team
tasks:
  - id: log
    type: io.kestra.plugin.core.log.Log
    message: "unterminated
```

## Use instead
```yaml
id: hello
namespace: company.team
tasks:
  - id: log
    type: io.kestra.plugin.core.log.Log
    message: "terminated"
```
"""
    VALID = [
        Valid("id: hello\nnamespace: company.team\ntasks:\n  - id: log\n    type: io.kestra.plugin.core.log.Log\n    message: hi\n"),
        Valid("name: not a flow\non: [push]\njobs: {}\n", path="ci.yaml", note="YAML that is not a flow is skipped"),
    ]
    INVALID = [
        Invalid(
            'id: hello\nnamespace: company.team\ntasks:\n  - id: log\n    type: io.kestra.plugin.core.log.Log\n    message: "unterminated\n',
            line=7,
            column=1,
            message="found unexpected end of stream",
        ),
        Invalid(
            "id: hello\nnamespace: company.team\ntasks:\n  - id: log\n    type: io.kestra.plugin.core.log.Log\n    message: one\n    message: two\n",
            line=7,
            column=5,
            end_column=12,
            message="Duplicate key 'message' (first defined on line 6)",
        ),
        Invalid("key: [unclosed\n", path="other.yml", line=2, column=1, note="any YAML file is parsed, flow or not"),
    ]


class FlowStructure(Rule):
    code = "CL002"
    precision = "very-high"
    problem_severity = "error"
    name = "flow-structure"
    contract = "—"
    summary = "A flow that breaks Kestra's structure: missing keys, tasks without id or type, invalid or duplicate ids"
    explanation = """
## What it does
Validates a flow against a bundled JSON Schema of Kestra's flow structure — `id`,
`namespace` and a non-empty `tasks` list; every task, nested ones included, with
an `id` and a `type`; ids that Kestra accepts — and checks what a schema cannot:
task ids repeated anywhere in the flow, and repeated trigger or input ids, and
YAML aliases (`*name`) and merge keys (`<<: *name`), which Kestra does not expand.
Each problem is reported at the offending node. Scalars are read as Kestra reads
them: `id: 1` is the task id `"1"`, and `disabled: "true"` is `true`.

Every YAML document of a file that is a flow is checked on its own (Kestra's flow
import and namespace sync split files on `---`). A document with tasks or triggers
and only one of `id` and `namespace` is a broken flow: the missing key is reported
(with the likely misspelling, such as `namepsace`) and the rest is linted as a
flow. A value that is wholly a `${…}` placeholder (Terraform, envsubst templates)
is taken as present. Kestra Apps, unit test suites and other YAML are not flows.

## Why is this bad?
Kestra refuses such a flow when it is deployed; an agent that wrote it learns
that only after a round trip to the server. Task ids must be unique across the
whole flow because outputs are addressed as `outputs.<task id>`.

## Example
```yaml
id: etl
namespace: company.team
tasks:
  - id: extract
    type: io.kestra.plugin.scripts.python.Script
    script: print("hi")
  - id: extract
    type: io.kestra.plugin.core.log.Log
    message: done
```

## Use instead
```yaml
id: etl
namespace: company.team
tasks:
  - id: extract
    type: io.kestra.plugin.scripts.python.Script
    script: print("hi")
  - id: report
    type: io.kestra.plugin.core.log.Log
    message: done
```
"""
    VALID = [
        Valid(
            "id: etl\nnamespace: company.team\ntasks:\n  - id: branch\n    type: io.kestra.plugin.core.flow.If\n"
            "    condition: \"{{ inputs.go }}\"\n    then:\n      - id: a\n        type: io.kestra.plugin.core.log.Log\n"
            "        message: a\n    else:\n      - id: b\n        type: io.kestra.plugin.core.log.Log\n        message: b\n"
        ),
        Valid(
            "id: extract\nnamespace: company.team\ntasks:\n  - id: log\n    type: io.kestra.plugin.core.log.Log\n"
            "    message: a\n---\nid: load\nnamespace: company.team\ntasks:\n  - id: log\n"
            "    type: io.kestra.plugin.core.log.Log\n    message: b\n---\n",
            note="several flows in one file (Kestra's flow import splits on ---), each with its own task ids",
        ),
        Valid(
            "id: release\nnamespace: company.team\ntasks:\n  - id: qa_approval\n    type: io.kestra.plugin.core.flow.Pause\n"
            "    onResume:\n      - id: approved\n        type: BOOLEAN\n  - id: ops_approval\n"
            "    type: io.kestra.plugin.core.flow.Pause\n    onResume:\n      - id: approved\n        type: BOOLEAN\n",
            note="Pause onResume inputs are inputs, not tasks: two gates may each ask 'approved'",
        ),
        Valid(
            "id: ${flow_id}\nnamespace: ${namespace}\ntasks:\n  - id: log\n    type: io.kestra.plugin.core.log.Log\n"
            "    message: hi\n",
            path="flows/example.yaml",
            note="a Terraform or envsubst template: a whole ${…} placeholder is a value to come",
        ),
        Valid(
            "id: request_form\ntype: io.kestra.plugin.ee.apps.Execution\nnamespace: company.team\nflowId: release\n"
            "layout:\n  - on: OPEN\n    blocks:\n      - type: io.kestra.plugin.ee.apps.core.blocks.Markdown\n"
            "        content: Request a release\n",
            note="a Kestra App is not a flow",
        ),
    ]
    INVALID = [
        Invalid(
            "id: etl\nnamespace: company.team\ntasks:\n  - id: extract\n    type: io.kestra.plugin.core.log.Log\n"
            "    message: a\n  - id: extract\n    type: io.kestra.plugin.core.log.Log\n    message: b\n",
            line=7,
            column=9,
            end_column=16,
            message="Duplicate task id 'extract' (first used on line 4)",
        ),
        Invalid("id: etl\nnamespace: company.team\n", line=1, column=1, message="missing required key 'tasks'"),
        Invalid(
            "id: etl\nnamepsace: company.team\ntasks:\n  - id: log\n    type: io.kestra.plugin.core.log.Log\n"
            "    message: a\n",
            path="flows/example.yaml",
            line=2,
            column=1,
            end_column=10,
            message="Flow is missing required key 'namespace' (found 'namepsace': did you mean 'namespace'?)",
            note="a broken flow is still a flow: the rest of it is linted too",
        ),
        Invalid(
            "id: extract\nnamespace: company.team\ntasks:\n  - id: log\n    type: io.kestra.plugin.core.log.Log\n"
            "    message: a\n---\nid: load\nnamespace: company.team\ntasks:\n  - id: log\n"
            "    type: io.kestra.plugin.core.log.Log\n    message: b\n  - id: log\n"
            "    type: io.kestra.plugin.core.log.Log\n    message: c\n",
            line=14,
            column=9,
            end_column=12,
            message="Duplicate task id 'log' (first used on line 11)",
            note="every flow of a file is checked, in the file's lines",
        ),
        Invalid(
            "id: etl\nnamespace: company.team\ntasks:\n  - id: notify\n    type: io.kestra.plugin.core.log.Log\n"
            "    message: a\nlisteners:\n  - tasks:\n      - id: notify\n        type: io.kestra.plugin.core.log.Log\n"
            "        message: b\n",
            line=9,
            column=13,
            end_column=19,
            message="Duplicate task id 'notify' (first used on line 4)",
            note="Kestra 0.x listeners' tasks are tasks of the flow",
        ),
        Invalid(
            "id: extract\nnamespace: company.team\ntasks:\n  - id: log\n    type: io.kestra.plugin.core.log.Log\n"
            "    message: a\n---\nid: extract\nnamespace: company.team\ntasks:\n  - id: log\n"
            "    type: io.kestra.plugin.core.log.Log\n    message: b\n",
            line=8,
            column=5,
            end_column=12,
            message="Flow 'company.team.extract' is defined twice in this file (first on line 1)",
            note="a copied document whose id was not changed",
        ),
        Invalid(
            "id: etl\nnamespace: company.team\ntasks:\n  - id: branch\n    type: io.kestra.plugin.core.flow.If\n"
            "    condition: \"{{ inputs.go }}\"\n    then:\n      - id: inner\n        message: no type\n",
            line=8,
            column=9,
            message="Task 'inner' (tasks[0].then[0]) is missing required key 'type'",
            note="nested tasks are checked like top-level ones",
        ),
        Invalid(
            "id: etl\nnamespace: company.team\ntasks:\n  - id: my task\n    type: io.kestra.plugin.core.log.Log\n    message: a\n",
            line=4,
            column=9,
            end_column=16,
            message="has an invalid id 'my task'",
        ),
        Invalid(
            "id: etl\nnamespace: company.team\nvariables:\n  image: &image python:3.12-slim\ntasks:\n"
            "  - id: run\n    type: io.kestra.plugin.scripts.python.Commands\n    containerImage: *image\n"
            "    commands:\n      - python -m pipelines.run\n",
            line=8,
            column=21,
            end_column=27,
            message="YAML alias '*image' is not expanded by Kestra",
            note="Kestra reads the anchor's name, not its value",
        ),
    ]

    def check_flow(self, flow: Flow, context: RuleContext) -> Iterable[Diagnostic]:
        try:
            valid = _plainly_valid(flow.root)
        except yn.ExpansionTooLarge as error:
            # An alias bomb: one finding says the flow cannot be checked, rather than
            # one per alias of the bomb.
            valid = None
            yield self.flow_diagnostic(flow, Span(1, 1, 1, 2), f"Flow cannot be checked: YAML {error}")
        if valid is False:
            yield from self._schema_errors(flow, yn.to_data(flow.root, scalar=_jackson_scalar))
        yield from self._duplicate_ids(flow, flow.tasks, "task")
        yield from self._duplicate_ids(flow, flow.triggers, "trigger")
        yield from self._duplicate_input_ids(flow)
        if valid is not None:
            yield from self._aliases(flow)

    def _aliases(self, flow: Flow) -> Iterator[Diagnostic]:
        """Kestra reads flows with Jackson, which does not expand YAML aliases: `*x` is
        the string "x" and a merge key `<<` is an ordinary key (kestra-io/kestra#16315).
        The flow deploys and runs on values other than the ones written."""
        text = flow.source.text
        if "&" not in text:
            return  # an alias needs an anchor: without one, the text could not have composed
        for at, name, merge in _alias_uses(flow.root, text):
            end = at + 1 + len(name)
            if merge:
                message = (
                    f"Merge key '<<: *{name}' is not expanded by Kestra (its YAML reader ignores merge keys), so this "
                    f"mapping does not get the keys of '&{name}'; write the keys out, or share them with pluginDefaults"
                )
            else:
                message = (
                    f"YAML alias '*{name}' is not expanded by Kestra: it reads the string '{name}' here instead of "
                    f"the value anchored as '&{name}'; write the value out, or share it with pluginDefaults or variables"
                )
            yield self.flow_diagnostic(flow, flow.source.span(at, end), message)

    def _schema_errors(self, flow: Flow, data: Any) -> Iterator[Diagnostic]:
        validator = _flow_validator()
        tasks_by_node = {id(task.node): task for task in (*flow.tasks, *flow.triggers)}
        reported: set[tuple] = set()
        for error in sorted(validator.iter_errors(data), key=lambda e: [str(p) for p in e.absolute_path]):
            for leaf in _leaf_errors(error):
                path = tuple(leaf.absolute_path)
                # One finding per node and check; every missing key of a node is one.
                key = (path, leaf.validator, leaf.message if leaf.validator == "required" else "")
                if key in reported or _is_placeholder_value(leaf):
                    continue
                reported.add(key)
                yield self._schema_diagnostic(flow, leaf, path, tasks_by_node)

    def _schema_diagnostic(self, flow: Flow, error: Any, path: tuple, tasks_by_node: dict) -> Diagnostic:
        node, key_node = _node_at(flow.root, path)
        owner = _owning_task(flow.root, path, tasks_by_node)
        where = _describe(owner, path)
        if error.validator == "required":
            missing = re.search(r"'([^']+)' is a required property", error.message)
            name = missing.group(1) if missing else error.message
            span = _first_key_span(flow, node)
            message = f"{where}is missing required key '{name}'" if where else f"Flow is missing required key '{name}'"
            misspelt = _misspelt_key(node, name)
            if misspelt is not None:
                span = yn.node_span(flow.source, misspelt)
                message += f" (found '{misspelt.value}': did you mean '{name}'?)"
        else:
            span = yn.first_line_span(flow.source, node) if node is not None else Span(1, 1, 1, 2)
            # Name the key relative to its task: "Task 'x' (tasks[0]) 'id' must be …".
            relative = path[len(owner.path) :] if owner is not None and path[: len(owner.path)] == owner.path else path
            if error.validator == "pattern" and not where:
                # "has an invalid id" needs a subject: the flow, or the input/output.
                where = "Flow " if len(path) <= 1 else f"'{_dotted(path[:-1])}' "
            message = f"{where}{_describe_error(error, relative or path)}"
        return self.flow_diagnostic(flow, span, message[:1].upper() + message[1:], task=owner)

    def _duplicate_ids(self, flow: Flow, tasks: list[Task], noun: str) -> Iterator[Diagnostic]:
        first: dict[str, int] = {}
        for task in tasks:
            pair = task.get("id")
            if task.id is None or pair is None:
                continue
            line = pair[1].start_mark.line + 1
            if task.id in first:
                yield self.flow_diagnostic(
                    flow,
                    yn.node_span(flow.source, pair[1]),
                    f"Duplicate {noun} id '{task.id}' (first used on line {first[task.id]}); "
                    f"{noun} ids must be unique in a flow",
                    task=task,
                )
            else:
                first[task.id] = line

    def _duplicate_input_ids(self, flow: Flow) -> Iterator[Diagnostic]:
        first: dict[str, int] = {}
        for element in yn.elements(yn.get_value(flow.root, "inputs")):
            pair = yn.get(element, "id") or yn.get(element, "name")
            value = yn.scalar_text(pair[1]) if pair else None
            if value is None:
                continue
            if value in first:
                yield self.flow_diagnostic(
                    flow,
                    yn.node_span(flow.source, pair[1]),
                    f"Duplicate input id '{value}' (first used on line {first[value]})",
                )
            else:
                first[value] = pair[1].start_mark.line + 1


class _YamlScalar(str):
    """A YAML number or boolean, kept as its text: Kestra reads flows with Jackson,
    which coerces scalars to the property's type (`id: 1` is the task id "1",
    `disabled: "true"` is true), so the schema sees both the text and the value."""

    resolved: Any


def _jackson_scalar(node: Any) -> Any:
    value = yn.scalar_value(node)
    if value is None or isinstance(value, str):
        return value
    scalar = _YamlScalar(node.value)
    scalar.resolved = value
    return scalar


_INTEGER = re.compile(r"[-+]?[0-9]+")
_NUMBER = re.compile(r"[-+]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][-+]?[0-9]+)?")


def _resolved(instance: Any) -> Any:
    return instance.resolved if isinstance(instance, _YamlScalar) else instance


def _is_boolean(checker: Any, instance: Any) -> bool:
    value = _resolved(instance)
    # Jackson also accepts the strings "true" and "false" for a boolean property.
    return isinstance(value, bool) or (isinstance(value, str) and value.lower() in ("true", "false"))


def _is_integer(checker: Any, instance: Any) -> bool:
    value = _resolved(instance)
    if isinstance(value, bool):
        return False
    return isinstance(value, int) or (isinstance(value, str) and _INTEGER.fullmatch(value.strip()) is not None)


def _is_number(checker: Any, instance: Any) -> bool:
    value = _resolved(instance)
    if isinstance(value, bool):
        return False
    return isinstance(value, (int, float)) or (isinstance(value, str) and _NUMBER.fullmatch(value.strip()) is not None)


_ALIAS = re.compile(r"\*([^\s,\[\]{}]+)")


def _alias_uses(root: Any, text: str) -> Iterator[tuple[int, str, bool]]:
    """(offset of `*`, anchor name, used as a merge key) for every alias in the
    document. The composer shares the anchored node, so an alias is a child whose
    node starts before the place it is used; the `*name` is found in the text there."""
    seen: set[int] = set()
    stack = [root]
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        children: list[tuple[int, Any, bool]] = []  # (offset the child is written at, node, merge)
        if yn.is_mapping(node):
            for key_node, value_node in node.value:
                children.append((key_node.end_mark.index, value_node, yn.is_scalar(key_node) and key_node.value == "<<"))
        elif yn.is_sequence(node):
            cursor = node.start_mark.index  # just past the previous element as written
            for element in node.value:
                if element.start_mark.index >= cursor:
                    children.append((cursor, element, False))
                    cursor = element.end_mark.index
                    continue
                match = _ALIAS.search(text, cursor)  # `- *name`, `[*a, *a]`
                if match is not None:
                    yield match.start(), match.group(1), False
                    cursor = match.end()
        for written_at, child, merge in children:
            if child.start_mark.index < written_at:
                match = _ALIAS.search(text, written_at)
                if match is not None:
                    yield match.start(), match.group(1), merge
        stack.extend(child for _, child, _ in reversed(children))


# -- validation: a fast verdict, then words for an invalid flow ---------------------------
#
# jsonschema-rs (Rust) decides whether a flow is valid, on the flow as plain JSON data
# (``_plain_scalar``); only a flow it rejects is validated again with Python's jsonschema,
# which words the errors and reads scalars as Kestra's Jackson does (``_jackson_scalar``:
# ``id: 1`` is the string "1", ``disabled: "true"`` is true). Jackson's coercions only
# ever make a flow *more* valid, so "valid as plain data" implies "valid for Jackson":
# the schema constrains strings (pattern, length) only where it requires a string, and
# its ``if`` conditions test string patterns and enums that no number or boolean text
# can meet (``tests/test_schema_dialects.py`` checks both assumptions). A flow that only
# coercion makes valid costs the slow path and yields no finding. Patterns run in Rust's
# ``regex`` (linear time) and in Python's ``re`` with ``$`` as the end of the text (as
# Rust and Kestra's Java ``matches()`` read it; Python's ``$`` also matches before a
# final line break).


def _plainly_valid(root: Any) -> bool:
    """Whether the flow is valid as plain JSON data (ExpansionTooLarge for an alias bomb)."""
    data = yn.to_data(root, scalar=_plain_scalar)
    try:
        return _fast_validator().is_valid(data)
    except ValueError:
        return False  # data jsonschema-rs cannot take: let Python's validator decide


def _plain_scalar(node: Any) -> Any:
    """A scalar as JSON data: null, a boolean, an integer, or else its text (a float as
    written: JSON Schema's "integer" would accept 1.0, Jackson's reading does not)."""
    value = yn.scalar_value(node)
    if value is None or isinstance(value, (str, bool, int)):
        return value
    return node.value


def flow_schema() -> dict[str, Any]:
    # Read next to this package (importlib.resources would cost more to import than this
    # whole check takes on a small flow).
    from pathlib import Path

    return json.loads((Path(__file__).resolve().parents[1] / "schemas" / "flow.schema.json").read_text("utf-8"))


@lru_cache(maxsize=1)
def _fast_validator() -> Any:
    import jsonschema_rs

    return jsonschema_rs.Draft202012Validator(flow_schema(), pattern_options=jsonschema_rs.RegexOptions())


def python_pattern(pattern: str) -> str:
    """A schema ``pattern`` for Python's ``re`` that matches what Rust's ``regex`` matches:
    every ``$`` outside a character class becomes ``\\Z`` (the end of the text only)."""
    out: list[str] = []
    in_class = escaped = False
    for char in pattern:
        if escaped:
            out.append(char)
            escaped = False
        elif char == "\\":
            out.append(char)
            escaped = True
        elif in_class:
            out.append(char)
            in_class = char != "]"
        elif char == "[":
            out.append(char)
            in_class = True
        elif char == "$":
            out.append("\\Z")
        else:
            out.append(char)
    return "".join(out)


@lru_cache(maxsize=None)
def _compiled_pattern(pattern: str) -> re.Pattern[str]:
    return re.compile(python_pattern(pattern))


@lru_cache(maxsize=1)
def _flow_validator() -> Any:
    from jsonschema import Draft202012Validator, ValidationError, validators

    _minimum = Draft202012Validator.VALIDATORS["minimum"]

    def pattern(validator: Any, regex: str, instance: Any, schema: Any) -> Any:
        if validator.is_type(instance, "string") and not _compiled_pattern(regex).search(instance):
            yield ValidationError(f"{instance!r} does not match {regex!r}")

    def minimum(validator: Any, limit: Any, instance: Any, schema: Any) -> Any:
        value = _resolved(instance)
        if isinstance(value, str):
            value = float(value)  # the number checker accepted it, so it converts
        return _minimum(validator, limit, value, schema)

    checker = Draft202012Validator.TYPE_CHECKER.redefine_many(
        {"boolean": _is_boolean, "integer": _is_integer, "number": _is_number}
    )
    coercing = validators.extend(
        Draft202012Validator, validators={"minimum": minimum, "pattern": pattern}, type_checker=checker
    )
    return coercing(flow_schema())


def _leaf_errors(error: Any) -> Iterator[Any]:
    """The most specific errors: inside anyOf/oneOf, the branch that got furthest."""
    if error.context:
        deepest = max(len(e.absolute_path) for e in error.context)
        for sub in error.context:
            if len(sub.absolute_path) == deepest:
                yield from _leaf_errors(sub)
        return
    yield error


def _node_at(root: Any, path: tuple) -> tuple[Any, Any]:
    node, key_node = root, None
    for part in path:
        if isinstance(part, int):
            children = yn.elements(node)
            if part >= len(children):
                break
            node, key_node = children[part], None
        else:
            pair = yn.get(node, part)
            if pair is None:
                break
            key_node, node = pair
    return node, key_node


def _owning_task(root: Any, path: tuple, tasks_by_node: dict) -> Task | None:
    node, owner = root, None
    for part in path:
        if isinstance(part, int):
            children = yn.elements(node)
            if part >= len(children):
                break
            node = children[part]
        else:
            pair = yn.get(node, part)
            if pair is None:
                break
            node = pair[1]
        owner = tasks_by_node.get(id(node), owner)
    return owner


def _describe(task: Task | None, path: tuple) -> str:
    if task is None:
        return ""
    noun = "trigger" if task.is_trigger else "task"
    if task.id is not None:
        return f"{noun} '{task.id}' ({task.location}) "
    return f"{noun} at {task.location} "


def _describe_error(error: Any, path: tuple) -> str:
    if error.validator == "pattern":
        return f"has an invalid {_dotted(path[-1:]) if path else 'value'} '{error.instance}': must match {error.validator_value}"
    if error.validator == "type":
        return f"'{_dotted(path)}' must be {_type_name(error.validator_value)}, not {_type_name(_json_type(error.instance))}"
    if error.validator == "minItems":
        return f"'{_dotted(path)}' must not be empty"
    if error.validator == "maxLength":
        return f"'{_dotted(path)}' is longer than {error.validator_value} characters"
    return f"'{_dotted(path)}': {error.message}" if path else error.message


def _dotted(path: tuple) -> str:
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def _type_name(kind: Any) -> str:
    if isinstance(kind, list):
        return " or ".join(_type_name(k) for k in kind)
    return {"object": "a mapping", "array": "a list", "string": "a string", "boolean": "true or false",
            "integer": "an integer", "number": "a number", "null": "empty"}.get(kind, str(kind))


def _json_type(value: Any) -> str:
    value = _resolved(value)
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


def _is_placeholder_value(error: Any) -> bool:
    """A pattern or length error on a value that is wholly a ``${…}`` placeholder: the
    file is a template (Terraform, envsubst), the value is filled in later."""
    from contractlint.flow.model import is_placeholder

    return error.validator in ("pattern", "maxLength") and isinstance(error.instance, str) and is_placeholder(
        error.instance
    )


# Keys Kestra reads at the top of a flow: a key close to a missing one, but not one of
# these, is a misspelling of it.
_FLOW_KEYS = frozenset(
    ("id", "namespace", "revision", "description", "labels", "inputs", "outputs", "variables", "tasks", "errors",
     "finally", "afterExecution", "listeners", "triggers", "pluginDefaults", "taskDefaults", "disabled",
     "concurrency", "retry", "sla", "deleted", "checks")
)


def _misspelt_key(node: Any, name: str) -> Any:
    """The key node of ``node`` that is most likely ``name`` misspelt (``namepsace``,
    ``Namespace``, ``ID``), or None."""
    from difflib import SequenceMatcher

    best, best_ratio = None, 0.0
    for key_node, _ in yn.items(node):
        key = yn.scalar_text(key_node)
        if key is None or key in _FLOW_KEYS:
            continue
        ratio = 1.0 if key.lower() == name.lower() else SequenceMatcher(None, key.lower(), name.lower()).ratio()
        if ratio > best_ratio:
            best, best_ratio = key_node, ratio
    return best if best_ratio >= (0.8 if len(name) > 2 else 1.0) else None


def _first_key_span(flow: Flow, node: Any) -> Span:
    if yn.is_mapping(node) and node.value:
        return yn.node_span(flow.source, node.value[0][0])
    if node is not None:
        return yn.first_line_span(flow.source, node)
    return Span(1, 1, 1, 2)


class PythonSyntax(Rule):
    code = "CL003"
    precision = "very-high"
    problem_severity = "error"
    name = "python-syntax"
    contract = "—"
    summary = "Python — a module, or an inline script after Pebble masking — that does not parse"
    explanation = """
## What it does
Reports Python that does not parse: a module, or the inline script of a flow task
after its Pebble expressions (`{{ … }}`, `{% … %}`, `{# … #}`) are masked, at the
position where the parser stopped.

## Why is this bad?
A script that does not parse fails the task on its first run, after the flow was
deployed and scheduled. The other rules cannot check it either.

## Example
```yaml
tasks:
  - id: report
    type: io.kestra.plugin.scripts.python.Script
    script: |
      print("rows:", {{ outputs.count.value }}
```

## Use instead
```yaml
tasks:
  - id: report
    type: io.kestra.plugin.scripts.python.Script
    env:
      ROW_COUNT: "{{ outputs.count.value }}"
    script: |
      import os
      print("rows:", os.environ["ROW_COUNT"])
```
"""
    VALID = [
        Valid("import os\n\nprint(os.environ['TABLE'])\n"),
        Valid(
            "id: hello\nnamespace: company.team\ntasks:\n  - id: run\n    type: io.kestra.plugin.scripts.python.Script\n"
            "    script: |\n      print({{ inputs.count }})\n",
            note="Pebble is masked before parsing",
        ),
        Valid(
            "id: hello\nnamespace: company.team\ntasks:\n  - id: run\n    type: io.kestra.plugin.scripts.python.Script\n"
            "    script: |\n      label = \"{{ inputs.table\n               | upper }}\"  # for {{ inputs.day\n"
            "        | date('yyyy') }} runs\n      print(label)\n",
            note="also when an expression spans lines inside a Python string or a comment",
        ),
    ]
    INVALID = [
        Invalid("def broken(:\n    pass\n", line=1, column=12, message="Python does not parse: invalid syntax"),
        Invalid(
            "id: hello\nnamespace: company.team\ntasks:\n  - id: run\n    type: io.kestra.plugin.scripts.python.Script\n"
            "    script: |\n      import os\n      print('é', os.environ['X']\n",
            line=8,
            column=12,
            message="Inline Python (script) does not parse: '(' was never closed",
            note="the position is in the YAML file, inside the block scalar",
        ),
    ]


# -- diagnostics raised by the engine ---------------------------------------------------


def unreadable_file(path: str, reason: str, span: Span) -> Diagnostic:
    return Diagnostic(
        code=UnreadableFile.code,
        name=UnreadableFile.name,
        message=f"Cannot read file: {reason}",
        path=path,
        span=span,
        fingerprint_text=reason,
    )


def internal_error(path: str, error: Exception) -> Diagnostic:
    """CL000 for a file that could not be checked because contractlint failed on it."""
    detail = str(error).strip()
    what = f"{type(error).__name__}: {detail.splitlines()[0][:200]}" if detail else type(error).__name__
    return Diagnostic(
        code=UnreadableFile.code,
        name=UnreadableFile.name,
        message=f"Internal error while linting this file ({what}); it was not checked: "
        "this is a bug in contractlint, please report it",
        path=path,
        span=Span(1, 1, 1, 1),
        fingerprint_text=type(error).__name__,
    )


def yaml_syntax_error(source: SourceFile, error: yn.YamlError) -> Diagnostic:
    line = max(1, min(error.line, source.line_count))
    length = len(source.line_text(line))
    column = max(1, min(error.column, length + 1))
    return Diagnostic(
        code=YamlSyntax.code,
        name=YamlSyntax.name,
        message=f"YAML does not parse: {error.message}",
        path=source.path,
        span=Span(line, column, line, min(column + 1, length + 1)),  # at the end of the text: empty
        fingerprint_text=error.message,
    )


def duplicate_key(flow: Flow, duplicate: yn.DuplicateKey) -> Diagnostic:
    return YamlSyntax().flow_diagnostic(
        flow,
        yn.node_span(flow.source, duplicate.node),
        f"Duplicate key '{duplicate.key}' (first defined on line {duplicate.first_line}); "
        "the earlier value is silently discarded",
    )


def duplicate_flow(flow: Flow, first: Flow) -> Diagnostic:
    """A file defining one flow twice: Kestra's import saves each document in turn, so
    the later one silently replaces the earlier."""
    pair = yn.get(flow.root, "id")
    first_line = yn.start_offset(first.root)
    return FlowStructure().flow_diagnostic(
        flow,
        yn.node_span(flow.source, pair[1]),
        f"Flow '{flow.ref}' is defined twice in this file (first on line {flow.source.position(first_line)[0]}); "
        "Kestra keeps only the last one: give this flow another id",
    )


def python_syntax_error(code: PythonCode, error: PythonSyntaxError) -> Diagnostic:
    starts = code.line_starts  # CPython's lines, as the error counts them
    line = max(1, min(error.line, len(starts)))
    end = starts[line] if line < len(starts) else len(code.text)
    length = len(code.text[starts[line - 1] : end].rstrip("\r\n"))
    column = max(1, min(error.column, length + 1))
    span = Span(line, column, line, min(column + 1, length + 1))
    what = f"Inline Python ({code.label}) does not parse" if code.is_inline else "Python does not parse"
    return PythonSyntax().code_diagnostic(code, span, f"{what}: {error.message}", fingerprint_text=error.message)
