"""Kestra server configuration read for a project: the global plugin defaults of
``plugin-defaults`` files (Kestra 1.x) and the policies of ``policies`` files (2.x
Enterprise). Each file is a Kestra ``application.yml``, a compose file whose
``KESTRA_CONFIGURATION`` holds one, or (for policies) Policy documents.

These are read once when a run starts, like the configuration that names them: a file
that cannot be read, does not parse or holds nothing usable is a ``ConfigError`` (exit
status 2). The flow model (``flow.defaults``, ``flow.policies``) only applies what is
read here; it never reads files or knows about configuration.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from contractlint.config import ConfigError
from contractlint.flow import yaml_nodes as yn
from contractlint.flow.defaults import PluginDefault, plugin_default_entries
from contractlint.flow.policies import ADD, DELETE, ENFORCEMENTS, OPERATORS, STATIC, TENANT, Condition, PolicyRule
from contractlint.project import display_path
from contractlint.source import SourceFile, UndecodableFile, UnreadablePath, read_file


# Where a server configuration holds plugin defaults (``kestra.tasks.defaults`` before 0.17).
SERVER_DEFAULT_PATHS = (("kestra", "plugins", "defaults"), ("kestra", "tasks", "defaults"))


def relative_to_root(path: Path, root: Path) -> str:
    """How messages name a file the configuration names: relative to its folder."""
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except (ValueError, OSError):
        return display_path(path)


# -- global plugin defaults (Kestra 1.x) -------------------------------------------------


def load_global_defaults(paths: Sequence[Path], root: Path | None = None) -> tuple[PluginDefault, ...]:
    """The defaults of every Kestra server configuration file named in ``plugin-defaults``.

    Such a file is a Kestra ``application.yml`` (other settings around the defaults are
    ignored) or a docker-compose file whose ``KESTRA_CONFIGURATION`` holds that YAML.
    Messages name it relative to ``root`` (the project's), so they read the same from
    any working directory.
    """
    found: list[PluginDefault] = []
    for path in paths:
        shown = display_path(path) if root is None else relative_to_root(path, root)
        found.extend(_server_defaults(_read(path, shown, "plugin-defaults"), 0))
    return tuple(found)


def _server_defaults(source: SourceFile, line_offset: int) -> list[PluginDefault]:
    found: list[PluginDefault] = []
    for root in _documents(source, line_offset, "plugin-defaults"):
        for path in SERVER_DEFAULT_PATHS:
            found.extend(plugin_default_entries(lookup_config(root, path), source, "global", line_offset))
        for inner, offset in _embedded_configurations(source, root, line_offset):
            found.extend(_server_defaults(inner, offset))
    return found


def _read(path: Path, shown: str, what: str) -> SourceFile:
    """The ``what`` file (``plugin-defaults``, ``policies``) at ``path``, named ``shown``."""
    try:
        return SourceFile.from_bytes(shown, read_file(path), syntax="yaml")
    except UnreadablePath as error:
        raise ConfigError(f"cannot read {what} file {path}: {error.reason}") from error
    except UndecodableFile as error:
        raise ConfigError(f"{what} file {path} is not UTF-8 text: {error}") from error


def _documents(source: SourceFile, line_offset: int, what: str) -> list[Any]:
    try:
        return yn.compose_documents(source)
    except yn.YamlError as error:
        raise ConfigError(
            f"{what} file {source.path}:{error.line + line_offset}:{error.column}: YAML does not parse: {error.message}"
        ) from error


def _embedded_configurations(source: SourceFile, root: Any, line_offset: int) -> Iterator[tuple[SourceFile, int]]:
    """The server configurations a compose file holds in ``KESTRA_CONFIGURATION``
    values, each with the line offset of its first line in the file."""
    for node in yn.walk(root):
        embedded = yn.get(node, "KESTRA_CONFIGURATION")
        if embedded and yn.is_string(embedded[1]):
            value_node = embedded[1]
            # A block scalar's content starts on the line after its indicator.
            offset = value_node.start_mark.line + (1 if value_node.style in ("|", ">") else 0)
            yield SourceFile(path=source.path, text=value_node.value, syntax="yaml"), line_offset + offset


def lookup_config(node: Any, path: tuple[str, ...]) -> Any:
    """``kestra: {plugins: {defaults: …}}``, also written with dotted keys
    (``kestra.plugins.defaults: …``, as Micronaut allows)."""
    if not path:
        return node
    for split in range(len(path), 0, -1):
        pair = yn.get(node, ".".join(path[:split]))
        if pair is not None:
            result = lookup_config(pair[1], path[split:])
            if result is not None:
                return result
    return None


# -- policies (Kestra 2.x Enterprise) ---------------------------------------------------


def load_policies(entries: Sequence[tuple[Path, str | None]], root: Path) -> tuple[PolicyRule, ...]:
    """The plugin rules of every policy in the files named by ``policies``: Policy
    documents (``id``, ``enforcement``, ``rules``), or Kestra server configuration
    files (also a compose file's ``KESTRA_CONFIGURATION``) whose ``kestra.policies``
    are static policies. Messages name the files relative to ``root`` (the
    configuration's folder), as the configuration does."""
    found: list[PolicyRule] = []
    for path, namespace in entries:
        source = _read(path, relative_to_root(path, root), "policies")
        rules, policies = _file_rules(source, 0, namespace)
        if policies == 0:
            raise ConfigError(
                f"policies file {source.path} holds no Kestra Policy: expected a policy (`id`, `rules`) or "
                "a server configuration with `kestra.policies`"
            )
        found.extend(rules)
    return tuple(found)


def _file_rules(source: SourceFile, line_offset: int, namespace: str | None) -> tuple[list[PolicyRule], int]:
    """(rules, number of policies) of one file or embedded configuration."""
    rules: list[PolicyRule] = []
    policies = 0
    for root in _documents(source, line_offset, "policies"):
        static = lookup_config(root, ("kestra", "policies"))
        bodies: list[tuple[str | None, Any, bool]] = []
        if static is not None:
            if yn.is_mapping(static):  # `kestra.policies: {instance-defaults: {...}}`
                bodies += [(yn.scalar_text(key), body, True) for key, body in yn.items(static)]
            else:  # `kestra.policies: [{id: ..., rules: [...]}]`
                bodies += [(None, body, True) for body in yn.elements(static)]
        elif yn.is_sequence(root):
            bodies += [(None, body, False) for body in yn.elements(root)]
        elif yn.is_mapping(root) and yn.get(root, "rules") is not None:
            bodies.append((None, root, False))
        for key, body, is_static in bodies:
            rules.extend(_policy_rules(source, body, key, is_static, namespace, line_offset))
            policies += 1
        for inner, offset in _embedded_configurations(source, root, line_offset):
            more, count = _file_rules(inner, offset, namespace)
            rules.extend(more)
            policies += count
    return rules, policies


def _policy_rules(
    source: SourceFile, body: Any, key: str | None, is_static: bool, namespace: str | None, line_offset: int
) -> list[PolicyRule]:
    def fail(node: Any, message: str) -> ConfigError:
        return ConfigError(f"policies file {source.path}:{node.start_mark.line + 1 + line_offset}: {message}")

    if not yn.is_mapping(body):
        raise fail(body, "a policy must be a mapping with `id` and `rules`")
    policy_id = yn.scalar_text(yn.get_value(body, "id")) or key
    if policy_id is None:
        raise fail(body, "a policy needs an `id`")
    enforcement_node = yn.get_value(body, "enforcement")
    if enforcement_node is None:
        enforcement = "ACTIVE"  # Kestra's default
    elif yn.is_scalar(enforcement_node) and enforcement_node.value.upper() in ENFORCEMENTS:
        enforcement = enforcement_node.value.upper()
    else:
        raise fail(enforcement_node, f"policy '{policy_id}' has an unknown enforcement (one of {', '.join(ENFORCEMENTS)})")
    if is_static:
        scope, namespaces = STATIC, None
    elif namespace is not None:
        scope, namespaces = namespace.count(".") + 1, (namespace,)
    else:
        listed = yn.elements(yn.get_value(yn.get_value(body, "target"), "namespaces"))
        targets = tuple(text for text in (yn.scalar_text(n) for n in listed) if text)
        scope, namespaces = TENANT, targets or None
    rules_node = yn.get_value(body, "rules")
    if not yn.is_sequence(rules_node):
        raise fail(body, f"policy '{policy_id}' needs a list of `rules`")
    found: list[PolicyRule] = []
    for index, rule in enumerate(yn.elements(rules_node), start=1):
        rule_type = yn.scalar_text(yn.get_value(rule, "type"))
        if rule_type not in (ADD, DELETE):
            continue  # validate rules (Deny, Restrict, Require) inject nothing
        target = yn.scalar_text(yn.get_value(rule, "on"))
        if target is None or target.upper() not in ("PLUGIN", "FLOW"):
            raise fail(rule, f"rule {index} of policy '{policy_id}' needs `on: PLUGIN` or `on: FLOW`")
        if target.upper() == "FLOW":
            continue  # flow properties, not a task's
        conditions = tuple(_condition(entry, fail) for entry in yn.elements(yn.get_value(rule, "where")))
        override_node = yn.get_value(rule, "override")
        values = yn.get_value(rule, "values")
        found.append(
            PolicyRule(
                policy_id=policy_id,
                enforcement=enforcement,
                kind="Add" if rule_type == ADD else "Delete",
                override=yn.is_scalar(override_node) and override_node.value.lower() == "true",
                conditions=conditions,
                values=values if yn.is_mapping(values) else None,
                properties=tuple(
                    text for text in (yn.scalar_text(n) for n in yn.elements(yn.get_value(rule, "properties"))) if text
                ),
                node=rule,
                source=source,
                index=index,
                scope=scope,
                namespaces=namespaces,
                line_offset=line_offset,
            )
        )
    return found


def _condition(entry: Any, fail: Any) -> Condition:
    field = yn.scalar_text(yn.get_value(entry, "field"))
    operator = (yn.scalar_text(yn.get_value(entry, "operator")) or "").upper()
    if field is None or operator not in OPERATORS:
        raise fail(entry, f"a `where` condition needs a `field` and an `operator` (one of {', '.join(OPERATORS)})")
    value_node = yn.get_value(entry, "value")
    if operator in ("IN", "NOT_IN"):
        value: Any = tuple(yn.scalar_text(n) for n in yn.elements(value_node))
    elif operator in ("IS_NULL", "IS_NOT_NULL"):
        value = None
    else:
        value = yn.scalar_text(value_node)
        if value is None:
            raise fail(entry, f"the `where` condition on `{field}` needs a `value`")
        if operator == "REGEX":
            try:
                re.compile(value)
            except re.error as error:
                raise fail(entry, f"invalid REGEX {value!r}: {error}") from error
    return Condition(field, operator, value)
