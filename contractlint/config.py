"""Configuration: flags → ``CONTRACTLINT_*`` environment → config file → defaults.

The config file is the nearest ``.contractlint.toml`` (keys at top level) or
``pyproject.toml`` with a ``[tool.contractlint]`` table, looking from the working
directory upwards (in one folder, ``.contractlint.toml`` wins). Paths in it are
relative to its folder, which is the project root; without a file, the working
directory is. The file is validated with JSON Schema before anything is used.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from contractlint.discovery import DEFAULT_EXCLUDES
from contractlint.target import DEFAULT_TARGET, KestraTarget

FORMATS = ("text", "json", "sarif", "github")
DEFAULT_RUNTIME_ENV = ("EXECUTION_ID",)


class ConfigError(Exception):
    """Invalid configuration or usage: reported on stderr, exit status 2."""


@dataclass(frozen=True)
class Selection:
    """One layer of rule selection (defaults, file, environment or flags)."""

    select: tuple[str, ...] | None = None  # replaces what earlier layers chose
    extend_select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()


@dataclass(frozen=True)
class Settings:
    root: Path  # the config file's folder, or the working directory
    config_path: Path | None
    enabled: frozenset[str]
    rule_options: dict[str, dict[str, Any]]
    exclude: tuple[str, ...] = DEFAULT_EXCLUDES
    extend_exclude: tuple[str, ...] = ()
    per_file_ignores: tuple[tuple[str, tuple[str, ...]], ...] = ()
    src: tuple[Path, ...] = ()
    plugin_defaults: tuple[Path, ...] = ()
    # The Kestra the flows are linted for, with where each value came from, and the
    # EE Policy files (path, namespace they are scoped to or None) applied on 2.x EE.
    target: KestraTarget = DEFAULT_TARGET
    policies: tuple[tuple[Path, str | None], ...] = ()
    not_applicable: tuple[str, ...] = ()  # rules selected by name that the target turns off
    runtime_env: frozenset[str] = frozenset(DEFAULT_RUNTIME_ENV)
    respect_gitignore: bool = True
    force_exclude: bool = False
    output_format: str = "text"
    show_source: bool | None = None  # None: decide by whether stdout is a terminal
    unsafe_fixes: bool = False
    raw: dict[str, Any] = field(default_factory=dict)  # the validated file table


# -- the file ----------------------------------------------------------------------


def find_config_file(start: Path) -> Path | None:
    for folder in (start, *start.parents):
        dedicated = folder / ".contractlint.toml"
        if dedicated.is_file():
            return dedicated
        pyproject = folder / "pyproject.toml"
        if pyproject.is_file() and "contractlint" in _read_toml(pyproject).get("tool", {}):
            return pyproject
    return None


def _read_toml(path: Path) -> dict[str, Any]:
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - exercised on 3.10 only
        import tomli as tomllib
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except OSError as error:
        raise ConfigError(f"cannot read {path}: {error.strerror}") from error
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{path} is not valid TOML: {error}") from error


def load_config_table(path: Path) -> dict[str, Any]:
    """The contractlint table of a config file, validated."""
    data = _read_toml(path)
    if path.name == "pyproject.toml":
        tool = data.get("tool", {})
        if "contractlint" not in tool:
            raise ConfigError(f"{path} has no [tool.contractlint] table")
        table = tool["contractlint"]
        where = f"{path} [tool.contractlint]"
    else:
        table = data
        where = str(path)
    validate_table(table, where)
    return table


def config_schema() -> dict[str, Any]:
    from contractlint.rules import all_rules
    from contractlint.target import EDITIONS, VERSION_EXPECTED, VERSION_PATTERN

    string_list = {"type": "array", "items": {"type": "string"}}
    rule_properties = {
        rule.code: {
            "type": "object",
            "properties": rule.options,
            "additionalProperties": False,
        }
        for rule in all_rules()
    }
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "select": string_list,
            "extend-select": string_list,
            "ignore": string_list,
            "exclude": string_list,
            "extend-exclude": string_list,
            "per-file-ignores": {"type": "object", "additionalProperties": string_list},
            "src": string_list,
            "plugin-defaults": string_list,
            "kestra-version": {"type": "string", "pattern": VERSION_PATTERN, "x-expected": VERSION_EXPECTED},
            "edition": {"enum": list(EDITIONS)},
            "policies": {
                "type": "array",
                "items": {
                    "anyOf": [
                        {"type": "string"},
                        {
                            "type": "object",
                            "properties": {"path": {"type": "string"}, "namespace": {"type": "string"}},
                            "required": ["path"],
                            "additionalProperties": False,
                        },
                    ],
                    "x-expected": 'a path, or a table { path = "…", namespace = "…" }',
                },
            },
            "runtime-env": string_list,
            "respect-gitignore": {"type": "boolean"},
            "force-exclude": {"type": "boolean"},
            "format": {"enum": list(FORMATS)},
            "show-source": {"type": "boolean"},
            "unsafe-fixes": {"type": "boolean"},
            "rules": {"type": "object", "properties": rule_properties, "additionalProperties": False},
        },
    }


def validate_table(table: dict[str, Any], where: str) -> None:
    from jsonschema import Draft202012Validator

    validator = Draft202012Validator(config_schema())
    errors = sorted(validator.iter_errors(table), key=lambda e: list(map(str, e.absolute_path)))
    if not errors:
        return
    error = errors[0]
    key = ".".join(str(part) for part in error.absolute_path)
    if error.validator == "additionalProperties":
        known = sorted(error.schema.get("properties", {}))
        unknown = sorted(set(error.instance) - set(known))
        location = f"{where}.{key}" if key else where
        raise ConfigError(
            f"unknown key {', '.join(repr(k) for k in unknown)} in {location}; expected one of: {', '.join(known)}"
        )
    expected = _expected(error.schema)
    raise ConfigError(f"invalid value for {key!r} in {where}: expected {expected}, got {error.instance!r}")


def _expected(schema: dict[str, Any]) -> str:
    if "x-expected" in schema:
        return schema["x-expected"]
    if "enum" in schema:
        return "one of " + ", ".join(repr(v) for v in schema["enum"])
    kind = schema.get("type")
    if kind == "array":
        return f"a list of {schema.get('items', {}).get('type', 'value')}s"
    if kind == "object":
        return "a table"
    if kind == "integer" and "minimum" in schema:
        return f"an integer >= {schema['minimum']}"
    return f"a {kind}" if kind else "a valid value"


# -- rule selection ------------------------------------------------------------------


def parse_codes(value: str | None) -> tuple[str, ...] | None:
    """``"CL2, CL301"`` → ``("CL2", "CL301")``; None stays None."""
    if value is None:
        return None
    return tuple(part.strip().upper() for part in value.split(",") if part.strip())


def resolve_selection(layers: list[Selection]) -> frozenset[str]:
    """Apply the layers in order, ruff-style: within a layer the longest matching
    prefix decides between select and ignore (ignore wins a tie)."""
    from contractlint.rules import all_rules

    rules = all_rules()
    codes = [rule.code for rule in rules]
    for layer in layers:
        for selector in (*(layer.select or ()), *layer.extend_select, *layer.ignore):
            _check_selector(selector, codes)
    enabled = {rule.code for rule in rules if rule.default_enabled}
    for layer in layers:
        if layer.select is not None:
            chosen, base = (*layer.select, *layer.extend_select), set()
        else:
            chosen, base = layer.extend_select, set(enabled)
        for code in codes:
            select_len = _longest(code, chosen)
            ignore_len = _longest(code, layer.ignore)
            if select_len > ignore_len:
                base.add(code)
            elif ignore_len >= 0:
                base.discard(code)
        enabled = base
    return frozenset(enabled)


def _normalise(selector: str) -> str:
    return "CL" if selector == "ALL" else selector


def _longest(code: str, selectors: tuple[str, ...]) -> int:
    lengths = [len(_normalise(s)) for s in selectors if code.startswith(_normalise(s))]
    return max(lengths) if lengths else -1


def _check_selector(selector: str, codes: list[str]) -> None:
    normal = _normalise(selector)
    if not any(code.startswith(normal) for code in codes):
        raise ConfigError(
            f"unknown rule selector {selector!r}: no rule code starts with it (see `contractlint rules`)"
        )


# -- everything together -----------------------------------------------------------


@dataclass(frozen=True)
class CommandLine:
    """What the user said on the command line or in ``CONTRACTLINT_*`` variables
    (click merges the two; the flag wins)."""

    config: Path | None = None
    select: tuple[str, ...] | None = None
    extend_select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    output_format: str | None = None
    show_source: bool | None = None
    force_exclude: bool | None = None
    unsafe_fixes: bool | None = None
    kestra_version: str | None = None
    kestra_version_source: str = "--kestra-version"  # or CONTRACTLINT_KESTRA_VERSION


def resolve_settings(command_line: CommandLine, cwd: Path) -> Settings:
    config_path = command_line.config if command_line.config is not None else find_config_file(cwd)
    if config_path is None:
        return settings_from_table({}, cwd, None, command_line)
    if not config_path.is_file():
        raise ConfigError(f"config file {config_path} does not exist")
    return settings_from_table(load_config_table(config_path), config_path.resolve().parent, config_path, command_line)


def settings_from_table(
    table: dict[str, Any], root: Path, config_path: Path | None, command_line: CommandLine
) -> Settings:
    """Settings from a validated config table and the command line."""
    from contractlint.rules import all_rules
    from contractlint.target import explicitly_selected, restrict_to_target

    codes = [rule.code for rule in all_rules()]
    layers = [
        Selection(
            select=tuple(s.upper() for s in table["select"]) if "select" in table else None,
            extend_select=tuple(s.upper() for s in table.get("extend-select", ())),
            ignore=tuple(s.upper() for s in table.get("ignore", ())),
        ),
        Selection(
            select=command_line.select,
            extend_select=command_line.extend_select,
            ignore=command_line.ignore,
        ),
    ]
    target = settings_target(table, root, config_path, command_line)
    selectors = [s for layer in layers for s in (*(layer.select or ()), *layer.extend_select)]
    explicit = explicitly_selected(selectors)
    selected = resolve_selection(layers)
    enabled = restrict_to_target(selected, target, explicit)
    file_options = table.get("rules", {})
    rule_options = {
        rule.code: {
            **{name: schema["default"] for name, schema in rule.options.items()},
            **file_options.get(rule.code, {}),
        }
        for rule in all_rules()
    }
    per_file_ignores = []
    for key in ("exclude", "extend-exclude"):
        for pattern in table.get(key, ()):
            _check_glob(pattern, key)
    for pattern, selectors in table.get("per-file-ignores", {}).items():
        _check_glob(pattern, "per-file-ignores")
        normal = tuple(s.upper() for s in selectors)
        for selector in normal:
            _check_selector(selector, codes)
        per_file_ignores.append((pattern, normal))
    return Settings(
        root=root,
        config_path=config_path,
        enabled=enabled,
        rule_options=rule_options,
        exclude=tuple(table["exclude"]) if "exclude" in table else DEFAULT_EXCLUDES,
        extend_exclude=tuple(table.get("extend-exclude", ())),
        per_file_ignores=tuple(per_file_ignores),
        src=tuple(root / entry for entry in table.get("src", ["."])),
        plugin_defaults=tuple(root / entry for entry in table.get("plugin-defaults", ())),
        target=target,
        not_applicable=tuple(sorted((selected & explicit) - enabled)),
        policies=tuple(
            (root / entry, None) if isinstance(entry, str) else (root / entry["path"], entry.get("namespace"))
            for entry in table.get("policies", ())
        ),
        runtime_env=frozenset(table.get("runtime-env", DEFAULT_RUNTIME_ENV)),
        respect_gitignore=table.get("respect-gitignore", True),
        force_exclude=_first(command_line.force_exclude, table.get("force-exclude"), False),
        output_format=_first(command_line.output_format, table.get("format"), "text"),
        show_source=_first(command_line.show_source, table.get("show-source"), None),
        unsafe_fixes=_first(command_line.unsafe_fixes, table.get("unsafe-fixes"), False),
        raw=table,
    )


def settings_target(
    table: dict[str, Any], root: Path, config_path: Path | None, command_line: CommandLine
) -> KestraTarget:
    """The Kestra target of one configuration (``contractlint.target`` resolves it)."""
    from contractlint.project import display_path
    from contractlint.target import TargetError, resolve_target

    if config_path is None:
        where = "the configuration"
    elif config_path.name == "pyproject.toml":
        where = f"{display_path(config_path)} [tool.contractlint]"
    else:
        where = display_path(config_path)
    try:
        return resolve_target(table, root, where, command_line.kestra_version, command_line.kestra_version_source)
    except TargetError as error:
        raise ConfigError(str(error)) from error


def _check_glob(pattern: str, key: str) -> None:
    from contractlint.discovery import glob_match

    try:
        glob_match(pattern, "x")
    except ValueError as error:
        raise ConfigError(f"invalid glob {pattern!r} in {key}: {error}") from error


def _first(*values: Any) -> Any:
    """The first value that was set (None means not set; False is a setting)."""
    for value in values[:-1]:
        if value is not None:
            return value
    return values[-1]
