"""Plugin defaults as Kestra applies them.

What we rely on (Kestra's ``PluginDefaultService`` and ``MapUtils.deepMerge``, 0.2x–1.x):

* Defaults come from the flow (``pluginDefaults``; the pre-0.17 ``taskDefaults`` only
  when ``pluginDefaults`` is absent) and from the server configuration
  (``kestra.plugins.defaults``, older ``kestra.tasks.defaults``), most important
  first: flow-level before global.
* A default applies to every mapping with a ``type`` (tasks, triggers, task runners)
  whose type *equals or starts with* the default's type — a plain string prefix,
  ``pluginType.startsWith(key)``, no dot boundary.
* Non-forced: the task's own value wins, and among defaults the first (flow-level)
  wins. Forced: the default wins over the task's value. Maps such as ``env`` merge
  key by key, so a default's ``env`` adds the keys the task does not set.
* Kestra 1.x ignores ``forced`` on *flow-level* type defaults (with a warning); we
  follow the SPEC and treat ``forced`` as written.

Kestra 2.0 removes ``pluginDefaults`` at every scope. What gives a task values then
depends on the target (``project.target``): on 2.x Enterprise, the ``Add`` rules of
Policies (``contractlint.flow.policies``); on 2.x open source, nothing — a task gets
only what it declares. ``providers`` is that one answer for every rule.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from contractlint.flow import yaml_nodes as yn
from contractlint.source import SourceFile

if TYPE_CHECKING:
    from contractlint.flow.model import Flow, Task
    from contractlint.flow.policies import PolicyRule
    from contractlint.project import Project



@dataclass(frozen=True, eq=False)
class PluginDefault:
    type: str
    forced: bool
    values: Any  # the `values` mapping node (None when absent)
    node: Any  # the whole entry's mapping node
    source: SourceFile  # where it is written: the flow, or a server configuration file
    origin: str  # "flow" or "global"
    line_offset: int = 0  # for defaults inside an embedded KESTRA_CONFIGURATION string
    key: str = "pluginDefaults"  # the flow key it is listed under (or the older taskDefaults)

    def matches(self, plugin_type: str | None) -> bool:
        return plugin_type is not None and plugin_type.startswith(self.type)

    @property
    def line(self) -> int:
        return self.node.start_mark.line + 1 + self.line_offset

    @property
    def where(self) -> str:
        """``flow pluginDefaults (line 40)`` or ``kestra.yml:12``, for messages."""
        if self.origin == "flow":
            return f"flow {self.key}, line {self.line}"
        return f"{self.source.path}:{self.line}"

    def describe(self) -> str:
        """``forced plugin default 'io.kestra.plugin.dbt' (flow pluginDefaults, line 5)``."""
        forced = "forced " if self.forced else ""
        return f"{forced}plugin default '{self.type}' ({self.where})"

    def value(self, *path: str) -> tuple[Any, Any] | None:
        """(key node, value node) at ``path`` inside ``values`` (e.g. ``"env", "TOKEN"``)."""
        return yn.get_path(self.values, *path)


@dataclass(frozen=True)
class EnvProvider:
    """A default that gives a task an environment variable."""

    key: str
    default: PluginDefault | PolicyRule
    key_node: Any
    value_node: Any


def flow_defaults(flow: Flow) -> list[PluginDefault]:
    pair = yn.get(flow.root, "pluginDefaults") or yn.get(flow.root, "taskDefaults")
    if pair is None:
        return []
    return plugin_default_entries(pair[1], flow.source, "flow", key=pair[0].value)


def plugin_default_entries(
    sequence: Any, source: SourceFile, origin: str, line_offset: int = 0, key: str = "pluginDefaults"
) -> list[PluginDefault]:
    found = []
    for node in yn.elements(sequence):
        plugin_type = yn.get_string(node, "type")
        if plugin_type is None:
            continue  # CL002 reports an entry without a type
        forced_node = yn.get_value(node, "forced")
        forced = yn.is_scalar(forced_node) and forced_node.value.lower() == "true"
        values = yn.get_value(node, "values")
        found.append(
            PluginDefault(
                type=plugin_type,
                forced=forced,
                values=values if yn.is_mapping(values) else None,
                node=node,
                source=source,
                origin=origin,
                line_offset=line_offset,
                key=key,
            )
        )
    return found


def applicable(plugin_type: str | None, flow: Flow, project: Project) -> list[PluginDefault]:
    """Defaults that apply to a plugin of ``plugin_type``, most important first."""
    return [d for d in (*flow_defaults(flow), *project.global_defaults) if d.matches(plugin_type)]


def providers(task: Task, flow: Flow, project: Project) -> list[PluginDefault | PolicyRule]:
    """What injects values into ``task`` on the target: plugin defaults on 1.x, the
    applicable Policy ``Add`` rules on 2.x Enterprise, nothing on 2.x open source.
    Innermost first, as ``applicable`` orders plugin defaults."""
    target = project.target
    if not target.is_v2:
        return list(applicable(task.type, flow, project))
    if not target.is_ee:
        return []
    from contractlint.flow.policies import applicable_rules

    return list(applicable_rules(task, flow, project.policies))


def provider_kind(project: Project) -> str | None:
    """Where shared values belong on the target, for messages: ``pluginDefaults``, ``a
    Policy`` (2.x Enterprise), or None (2.x open source: nowhere central)."""
    if not project.target.is_v2:
        return "pluginDefaults"
    return "a Policy `Add` rule" if project.target.is_ee else None


def unmatched_provider_hint(task: Task, flow: Flow, project: Project, key: str) -> str:
    """Name something that gives ``key`` to other plugins but not to ``task``: a likely
    typo, or a type (or policy scope) that is too narrow."""
    target = project.target
    if not target.is_v2:
        for default in (*flow_defaults(flow), *project.global_defaults):
            if default.matches(task.type):
                continue
            env = default.value("env")
            if env is not None and any(yn.scalar_text(k) == key for k, _ in yn.items(env[1])):
                return (
                    f"; the pluginDefaults entry for type '{default.type}' ({default.where}) provides it but does not "
                    f"match type '{task.type}'"
                )
        return ""
    if not target.is_ee:
        return ""
    for rule in project.policies:
        env = rule.value("env") if rule.kind == "Add" else None
        if env is None or not any(yn.scalar_text(k) == key for k, _ in yn.items(env[1])) or rule.applies(task, flow):
            continue
        if not rule.matches_type(task):
            return f"; {rule.describe()} provides it but its `where` ({rule.type}) does not match type '{task.type}'"
        if not rule.in_scope(flow):
            return f"; {rule.describe()} provides it but does not apply to namespace '{flow.namespace}'"
        if rule.enforcement == "REFERENCE":
            return f"; {rule.describe()} provides it: list '{rule.policy_id}' in the flow's or the task's `policyRefs`"
        return f"; {rule.describe()} provides it but its enforcement is {rule.enforcement}, which injects nothing"
    return ""


def env_providers(task: Task, flow: Flow, project: Project) -> dict[str, list[EnvProvider]]:
    """For each env key that a default (or policy) gives ``task``: every one giving it,
    most important first (for forced ones, the winner is the last forced one)."""
    found: dict[str, list[EnvProvider]] = {}
    for default in providers(task, flow, project):
        env = default.value("env")
        for key_node, value_node in yn.items(env[1] if env else None):
            key = yn.scalar_text(key_node)
            if key is not None:
                found.setdefault(key, []).append(EnvProvider(key, default, key_node, value_node))
    return found


def env_is_open(task: Task, flow: Flow, project: Project) -> bool:
    """True when the env a task gets cannot be listed statically: its own ``env`` or a
    matching default's ``env`` is a template string rather than a mapping."""
    own = task.value("env")
    if own is not None and not yn.is_mapping(own) and not _is_null(own):
        return True
    # A templated key (`"{{ inputs.name }}": x`) names a variable only at run time.
    if any("{{" in key or "{%" in key for key in (yn.scalar_text(k) for k, _ in yn.items(own)) if key):
        return True
    for default in providers(task, flow, project):
        env = default.value("env")
        if env is not None and not yn.is_mapping(env[1]) and not _is_null(env[1]):
            return True
    return False


def _is_null(node: Any) -> bool:
    return yn.is_scalar(node) and yn.tag_of(node) == "tag:yaml.org,2002:null"


def provided_env(task: Task, flow: Flow, project: Project) -> set[str]:
    """Every variable a task's process is given: its own ``env``, its defaults' (or
    policies') ``env``, minus what a policy deletes, and the configured ``runtime-env``."""
    keys = {yn.scalar_text(k) for k, _ in yn.items(task.value("env"))}
    keys.update(env_providers(task, flow, project))
    if project.target.is_v2 and project.target.is_ee:
        from contractlint.flow.policies import deleted_env

        whole, deleted = deleted_env(task, flow, project.policies)
        keys = set() if whole else keys - deleted
    keys.update(project.runtime_env)
    keys.discard(None)
    return keys
