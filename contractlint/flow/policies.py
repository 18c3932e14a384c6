"""Kestra 2.x Enterprise Policies, as far as they inject values into tasks.

Kestra 2.0 removes ``pluginDefaults``; in the Enterprise Edition a Policy's
``io.kestra.plugin.ee.rules.Add`` rules take their place (the migration guide's
"pluginDefaults Removed" page, and the Policies reference). What we rely on:

* A Policy has an ``id``, an ``enforcement`` (``ACTIVE`` by default, ``REFERENCE``,
  ``EVALUATE``, ``DISABLED``) and ``rules``. Only ``ACTIVE`` policies, and
  ``REFERENCE`` ones a flow, task or trigger lists in ``policyRefs``, mutate flows.
* An ``Add`` rule with ``on: PLUGIN`` injects its ``values`` into every plugin
  instance — tasks (nested ones included), triggers, task runners — that its
  ``where`` conditions all match (no ``where``: every instance). Conditions compare a
  property of the instance (``field``, usually ``type``) literally: plugin aliases are
  not resolved. Operators: ``EQUAL_TO``, ``NOT_EQUAL_TO``, ``STARTS_WITH``,
  ``ENDS_WITH``, ``CONTAINS``, ``IN``, ``NOT_IN``, ``REGEX`` (full match),
  ``IS_NULL``, ``IS_NOT_NULL``.
* ``override: false`` (the default) fills what the author left unset, and the
  innermost scope wins; ``override: true`` replaces the author's value, and the
  outermost scope wins. Maps such as ``env`` merge key by key.
* A ``Delete`` rule removes ``properties`` (``env``, ``env.KEY``) whatever the author
  wrote.
* Scopes, outermost first: static policies (``kestra.policies`` in the server
  configuration), tenant policies, namespace policies (which apply to the namespace
  and its children). A policy file read here is scoped by the configuration entry
  that names it (``{ path = "…", namespace = "company.team" }``), else by its
  ``target.namespaces``, else it applies to every flow; a server configuration's
  ``kestra.policies`` are static.

The files are read and validated when the run starts: a file that cannot be read,
does not parse or holds no policy is a configuration error (exit status 2).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from contractlint.flow import yaml_nodes as yn
from contractlint.source import SourceFile

if TYPE_CHECKING:
    from contractlint.flow.model import Flow, Task

ADD = "io.kestra.plugin.ee.rules.Add"
DELETE = "io.kestra.plugin.ee.rules.Delete"
ENFORCEMENTS = ("ACTIVE", "EVALUATE", "DISABLED", "REFERENCE")
OPERATORS = ("EQUAL_TO", "NOT_EQUAL_TO", "STARTS_WITH", "ENDS_WITH", "CONTAINS", "IN", "NOT_IN", "REGEX",
             "IS_NULL", "IS_NOT_NULL")
# Scope depth: static policies are outermost; a namespace policy is deeper the longer
# its namespace.
STATIC, TENANT = -2, -1


@dataclass(frozen=True)
class Condition:
    field: str
    operator: str
    value: Any  # str, a list of str (IN / NOT_IN), or None (IS_NULL / IS_NOT_NULL)

    def matches(self, task: Task) -> bool:
        actual = _field(task, self.field)
        if self.operator == "IS_NULL":
            return actual is None
        if self.operator == "IS_NOT_NULL":
            return actual is not None
        if actual is None:
            return self.operator in ("NOT_EQUAL_TO", "NOT_IN")
        value = self.value
        if self.operator == "EQUAL_TO":
            return actual == value
        if self.operator == "NOT_EQUAL_TO":
            return actual != value
        if self.operator == "STARTS_WITH":
            return actual.startswith(value)
        if self.operator == "ENDS_WITH":
            return actual.endswith(value)
        if self.operator == "CONTAINS":
            return value in actual
        if self.operator == "IN":
            return actual in value
        if self.operator == "NOT_IN":
            return actual not in value
        return re.fullmatch(value, actual) is not None  # REGEX

    @property
    def text(self) -> str:
        value = f" {self.value}" if self.value is not None else ""
        return f"{self.field} {self.operator}{value}"


def _field(task: Task, path: str) -> str | None:
    """The scalar text of property ``path`` (dotted) of a plugin instance; None when
    absent or not a scalar."""
    if path == "type":
        return task.type
    node = task.node
    for part in path.split("."):
        node = yn.get_value(node, part)
        if node is None:
            return None
    return yn.scalar_text(node)


@dataclass(frozen=True, eq=False)
class PolicyRule:
    """One ``Add`` or ``Delete`` rule on plugins, with what Kestra needs to apply it.

    It answers the same questions as a ``PluginDefault`` (``value``, ``forced``,
    ``describe``), so contract 2's rules read either."""

    policy_id: str
    enforcement: str
    kind: str  # "Add" or "Delete"
    override: bool
    conditions: tuple[Condition, ...]
    values: Any  # the `values` mapping node of an Add rule (None otherwise)
    properties: tuple[str, ...]  # what a Delete rule removes
    node: Any
    source: SourceFile
    index: int  # 1-based position of the rule in its policy
    scope: int  # STATIC, TENANT, or the depth of the namespace it is scoped to
    namespaces: tuple[str, ...] | None  # None: every namespace
    line_offset: int = 0
    origin: str = "policy"

    @property
    def forced(self) -> bool:
        return self.override

    @property
    def line(self) -> int:
        return self.node.start_mark.line + 1 + self.line_offset

    @property
    def where(self) -> str:
        return f"{self.source.path}:{self.line}"

    @property
    def type(self) -> str:
        """The ``where`` clause, for messages."""
        if not self.conditions:
            return "every plugin"
        return " and ".join(condition.text for condition in self.conditions)

    def describe(self) -> str:
        """``policy 'aws-credentials' (override: true, policies/aws.yaml:7)``."""
        override = "override: true, " if self.override else ""
        return f"policy '{self.policy_id}' ({override}{self.where})"

    def value(self, *path: str) -> tuple[Any, Any] | None:
        """(key node, value node) at ``path`` inside ``values`` (e.g. ``"env", "TOKEN"``)."""
        return yn.get_path(self.values, *path)

    def in_scope(self, flow: Flow) -> bool:
        if self.namespaces is None:
            return True
        namespace = flow.namespace or ""
        return any(namespace == scope or namespace.startswith(scope + ".") for scope in self.namespaces)

    def applies(self, task: Task, flow: Flow) -> bool:
        """Kestra applies this rule to ``task`` (a task, trigger or task runner) of ``flow``."""
        if not self.in_scope(flow):
            return False
        if self.enforcement == "REFERENCE":
            if self.policy_id not in _policy_refs(flow.root) | _policy_refs(task.node):
                return False
        elif self.enforcement != "ACTIVE":
            return False  # EVALUATE and DISABLED mutate nothing
        return all(condition.matches(task) for condition in self.conditions)

    def matches_type(self, task: Task) -> bool:
        """The ``where`` conditions match (scope and enforcement aside): used to say
        that a policy giving a variable exists but does not reach this task."""
        return all(condition.matches(task) for condition in self.conditions)


def _policy_refs(node: Any) -> set[str]:
    return {yn.scalar_text(element) for element in yn.elements(yn.get_value(node, "policyRefs"))} - {None}


def applicable_rules(task: Task, flow: Flow, rules: Sequence[PolicyRule], kind: str = "Add") -> list[PolicyRule]:
    """The ``kind`` rules Kestra applies to ``task``, innermost scope first (so the
    first one is what a non-overriding value resolves to, and the last overriding one
    is what wins an override)."""
    found = [rule for rule in rules if rule.kind == kind and rule.applies(task, flow)]
    return sorted(found, key=lambda rule: -rule.scope)


def deleted_env(task: Task, flow: Flow, rules: Sequence[PolicyRule]) -> tuple[bool, set[str]]:
    """(the whole ``env`` is deleted, env keys deleted) by the Delete rules applying to ``task``."""
    whole, keys = False, set()
    for rule in applicable_rules(task, flow, rules, "Delete"):
        for prop in rule.properties:
            if prop == "env":
                whole = True
            elif prop.startswith("env."):
                keys.add(prop[len("env."):])
    return whole, keys
